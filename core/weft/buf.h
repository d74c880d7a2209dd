/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/buf.h: reference-counted buffers.
 *
 * A buffer carries one payload (a tensor, UTF-8 text or a small typed
 * message), a presentation timestamp and duration in nanoseconds, a segment
 * id (an utterance id in a voice graph), flags and optional string metadata
 * (a file name, say).
 *
 * Buffers come from per-domain pools: freeing the last reference returns the
 * header and its storage to a size-class free list, so a graph in steady
 * state allocates nothing (weft_mem_stats() counts the system allocations,
 * which tests read).
 *
 * Ownership: weft_buf_new_* return a buffer with one reference (transfer
 * full). weft_buf_ref adds one, weft_buf_unref drops one; the last unref
 * recycles it. Pushing a buffer into a port hands the reference over.
 * A buffer with more than one reference must be treated as read-only;
 * weft_buf_make_writable gives a private copy when needed.
 *
 * Threads: a buffer may move between threads; reference counting is atomic.
 * Mutating one buffer from two threads at once is the caller's bug.
 */
#ifndef WEFT_BUF_H
#define WEFT_BUF_H

#include <weft/common.h>

WEFT_BEGIN_DECLS

/** Element types of tensors. Values are part of the ABI; never renumber. */
typedef uint32_t weft_dtype;
enum {
    WEFT_DTYPE_INVALID = 0,
    WEFT_DTYPE_F32 = 1,
    WEFT_DTYPE_F64 = 2,
    WEFT_DTYPE_F16 = 3,
    WEFT_DTYPE_BF16 = 4,
    WEFT_DTYPE_I8 = 5,
    WEFT_DTYPE_U8 = 6,
    WEFT_DTYPE_I16 = 7,
    WEFT_DTYPE_I32 = 8,
    WEFT_DTYPE_I64 = 9,
    WEFT_DTYPE_BOOL = 10,
    WEFT_DTYPE_COUNT_
};

/** Size in bytes of one element, 0 for an invalid dtype. [any-thread] */
WEFT_API size_t weft_dtype_size(weft_dtype dt);
/** Name as used in formats and .npy files: "f32", "i64", ... [any-thread] */
WEFT_API const char *weft_dtype_name(weft_dtype dt);
/** Parse a dtype name; WEFT_DTYPE_INVALID if unknown. [any-thread] */
WEFT_API weft_dtype weft_dtype_from_name(const char *name);

/** Memory domains. Device domains also carry a device index. */
typedef uint32_t weft_domain;
enum {
    WEFT_DOMAIN_HOST = 0,   /* ordinary host memory, 64-byte aligned */
    WEFT_DOMAIN_PINNED = 1, /* page-locked host memory (CUDA host alloc) */
    WEFT_DOMAIN_CUDA = 2    /* CUDA device memory on device N */
};
/** "host", "pinned", "cuda". [any-thread] */
WEFT_API const char *weft_domain_name(weft_domain d);

/** Payload kinds. */
typedef uint32_t weft_kind;
enum {
    WEFT_KIND_NONE = 0,    /* an empty buffer: an event carrier */
    WEFT_KIND_TENSOR = 1,
    WEFT_KIND_TEXT = 2,
    WEFT_KIND_MESSAGE = 3
};
/** "none", "tensor", "text", "message". [any-thread] */
WEFT_API const char *weft_kind_name(weft_kind k);

/** Buffer flags. */
typedef uint32_t weft_buf_flags;
enum {
    WEFT_BUF_DISCONT = 1u << 0,     /* data is not contiguous with the last */
    WEFT_BUF_SEGMENT_END = 1u << 1, /* last buffer of its segment (utterance) */
    WEFT_BUF_GAP = 1u << 2,         /* no real data: silence / filler */
    WEFT_BUF_HEADER = 1u << 3       /* stream header, not media */
};

#define WEFT_TENSOR_MAX_DIMS 8
/** An unset timestamp. */
#define WEFT_TIME_NONE INT64_MIN

typedef struct weft_buf weft_buf;

/* ---------------------------------------------------------------- life */

/**
 * weft_buf_new_tensor: a contiguous (C-order) tensor of @ndim dims.
 * @domain/@device: where the storage lives (device is ignored for host).
 * Returns: (transfer full) a buffer with uninitialised data, or NULL when out
 * of memory, when ndim/shape/dtype are invalid, or when the domain is not
 * available (no CUDA). [any-thread]
 */
WEFT_API weft_buf *weft_buf_new_tensor(weft_dtype dtype, uint32_t ndim,
                                       const int64_t *shape,
                                       weft_domain domain, int32_t device);

/**
 * weft_buf_new_text: a copy of @len bytes of UTF-8 @text (len may be
 * SIZE_MAX for a NUL-terminated string). The stored text is NUL-terminated.
 * Returns: (transfer full) or NULL. [any-thread]
 */
WEFT_API weft_buf *weft_buf_new_text(const char *text, size_t len);

/**
 * weft_buf_new_message: an empty message of schema @schema ("intent", ...).
 * Returns: (transfer full) or NULL. [any-thread]
 */
WEFT_API weft_buf *weft_buf_new_message(const char *schema);

/** An empty buffer (kind NONE). (transfer full) or NULL. [any-thread] */
WEFT_API weft_buf *weft_buf_new_empty(void);

/** Add a reference. Returns @buf. NULL-safe. [any-thread] */
WEFT_API weft_buf *weft_buf_ref(weft_buf *buf);
/** Drop a reference; the last recycles the buffer. NULL-safe. [any-thread] */
WEFT_API void weft_buf_unref(weft_buf *buf);
/** Current reference count (for tests and assertions). [any-thread] */
WEFT_API int32_t weft_buf_refcount(const weft_buf *buf);
/** True when the caller holds the only reference. [any-thread] */
WEFT_API bool weft_buf_is_writable(const weft_buf *buf);

/**
 * weft_buf_make_writable: return @buf itself if it is writable, else a deep
 * copy (same domain) and drop the caller's reference to @buf.
 * (transfer full) in and out. NULL on allocation failure, in which case the
 * reference to @buf has still been dropped. [any-thread]
 */
WEFT_API weft_buf *weft_buf_make_writable(weft_buf *buf);

/**
 * weft_buf_copy: a deep copy of payload, timing, flags and metadata, with
 * tensor data placed in @domain/@device (host<->device copies go through
 * CUDA when the build has it). (transfer full) or NULL. [any-thread]
 */
WEFT_API weft_buf *weft_buf_copy(const weft_buf *buf, weft_domain domain,
                                 int32_t device);

/* ---------------------------------------------------------------- common */

WEFT_API weft_kind weft_buf_kind(const weft_buf *buf);
WEFT_API int64_t weft_buf_pts(const weft_buf *buf);
WEFT_API void weft_buf_set_pts(weft_buf *buf, int64_t pts_ns);
WEFT_API int64_t weft_buf_duration(const weft_buf *buf);
WEFT_API void weft_buf_set_duration(weft_buf *buf, int64_t duration_ns);
WEFT_API uint64_t weft_buf_segment(const weft_buf *buf);
WEFT_API void weft_buf_set_segment(weft_buf *buf, uint64_t segment);
WEFT_API weft_buf_flags weft_buf_get_flags(const weft_buf *buf);
WEFT_API void weft_buf_set_flags(weft_buf *buf, weft_buf_flags flags);
/** Copy pts, duration, segment, flags and metadata from @src. */
WEFT_API int weft_buf_copy_meta(weft_buf *dst, const weft_buf *src);
/**
 * Keep @src's pts, segment, flags and metadata for a later output: the
 * buffer in *@carrier (or NULL) is released and replaced by a new empty
 * buffer holding a copy of them. For nodes whose output leaves after the
 * input that described it (features, model outputs, decoder results);
 * copy them onto the output with weft_buf_copy_meta, then release the
 * carrier with weft_buf_unref. 0, or WEFT_ENOMEM with *@carrier unchanged.
 */
WEFT_API int weft_buf_keep_meta(weft_buf **carrier, const weft_buf *src);

/**
 * String metadata ("file" = "a.wav"). set copies key and value; a NULL
 * value removes the key. get returns (transfer none) storage valid while the
 * buffer lives and is unchanged, or NULL. [worker]
 */
WEFT_API int weft_buf_set_meta(weft_buf *buf, const char *key,
                               const char *value);
WEFT_API const char *weft_buf_get_meta(const weft_buf *buf, const char *key);

/* ---------------------------------------------------------------- tensor */

/** (transfer none) pointer to the first element, in the buffer's domain. */
WEFT_API void *weft_buf_data(weft_buf *buf);
WEFT_API const void *weft_buf_cdata(const weft_buf *buf);
WEFT_API weft_dtype weft_buf_dtype(const weft_buf *buf);
WEFT_API uint32_t weft_buf_ndim(const weft_buf *buf);
/** Extent of dimension @i, 0 if out of range. */
WEFT_API int64_t weft_buf_dim(const weft_buf *buf, uint32_t i);
/** Stride of dimension @i in bytes (numpy's convention). */
WEFT_API int64_t weft_buf_stride(const weft_buf *buf, uint32_t i);
/** Number of elements. */
WEFT_API int64_t weft_buf_numel(const weft_buf *buf);
/** Size of the tensor's data in bytes. */
WEFT_API size_t weft_buf_nbytes(const weft_buf *buf);
WEFT_API weft_domain weft_buf_domain(const weft_buf *buf);
WEFT_API int32_t weft_buf_device(const weft_buf *buf);
/** True when the strides are C-contiguous. */
WEFT_API bool weft_buf_is_contiguous(const weft_buf *buf);

/**
 * weft_buf_reshape: change the view's shape in place, keeping the element
 * count, on a contiguous tensor. WEFT_EINVAL otherwise.
 */
WEFT_API int weft_buf_reshape(weft_buf *buf, uint32_t ndim,
                              const int64_t *shape);
/**
 * weft_buf_shrink: reduce dimension 0 to @rows (<= current), for nodes that
 * allocate for the worst case and fill fewer rows.
 */
WEFT_API int weft_buf_shrink(weft_buf *buf, int64_t rows);

/**
 * CUDA readiness event of a device buffer ((transfer none) cudaEvent_t as
 * void*, NULL when the data is ready now). A producer on a CUDA stream
 * records an event after its kernels and sets it; a consumer makes its
 * stream wait on it. The buffer does not own the event. [worker]
 */
WEFT_API void *weft_buf_cuda_event(const weft_buf *buf);
WEFT_API void weft_buf_set_cuda_event(weft_buf *buf, void *event);

/* ---------------------------------------------------------------- text */

/**
 * weft_buf_text: (transfer none) the NUL-terminated UTF-8 text; @len gets
 * its length in bytes when non-NULL. NULL if the buffer is not text.
 */
WEFT_API const char *weft_buf_text(const weft_buf *buf, size_t *len);

/**
 * Optional per-token scores of a text buffer (a decoder's word
 * confidences, start/end times). Each token is a byte span of the text.
 */
typedef struct weft_token_score {
    uint32_t offset, length; /* byte span in the text */
    float score;             /* confidence or log-probability */
    int64_t start_ns, end_ns;/* time span, WEFT_TIME_NONE if unknown */
} weft_token_score;
/** Copy @n scores into the buffer, replacing any. [worker] */
WEFT_API int weft_buf_set_tokens(weft_buf *buf, const weft_token_score *tok,
                                 size_t n);
/** (transfer none) the scores; @n gets the count (0 and NULL if none). */
WEFT_API const weft_token_score *weft_buf_tokens(const weft_buf *buf,
                                                 size_t *n);

/* ---------------------------------------------------------------- message */

/** Field types of a message record. */
typedef uint32_t weft_field_type;
enum {
    WEFT_FIELD_NONE = 0,
    WEFT_FIELD_INT = 1,
    WEFT_FIELD_FLOAT = 2,
    WEFT_FIELD_STRING = 3,
    WEFT_FIELD_BOOL = 4
};

/** The message's schema name; NULL if not a message. */
WEFT_API const char *weft_msg_schema(const weft_buf *msg);
/** Set a field (replacing one of the same key). Strings are copied. */
WEFT_API int weft_msg_set_int(weft_buf *msg, const char *key, int64_t v);
WEFT_API int weft_msg_set_float(weft_buf *msg, const char *key, double v);
WEFT_API int weft_msg_set_bool(weft_buf *msg, const char *key, bool v);
WEFT_API int weft_msg_set_string(weft_buf *msg, const char *key,
                                 const char *v);
/**
 * Read a field. Returns WEFT_ENOENT when absent, WEFT_ETYPE when of another
 * type. Strings are (transfer none).
 */
WEFT_API int weft_msg_get_int(const weft_buf *msg, const char *key,
                              int64_t *v);
WEFT_API int weft_msg_get_float(const weft_buf *msg, const char *key,
                                double *v);
WEFT_API int weft_msg_get_bool(const weft_buf *msg, const char *key, bool *v);
WEFT_API int weft_msg_get_string(const weft_buf *msg, const char *key,
                                 const char **v);
/** Number of fields, and the @i-th field's key and type, in insert order. */
WEFT_API size_t weft_msg_n_fields(const weft_buf *msg);
WEFT_API const char *weft_msg_field_key(const weft_buf *msg, size_t i,
                                        weft_field_type *type);

/* ---------------------------------------------------------------- memory */

/** Counters of the buffer pools (process-wide, all domains). */
typedef struct weft_mem_stats {
    uint64_t sys_allocs;  /* allocations that reached malloc/cudaMalloc */
    uint64_t pool_hits;   /* allocations served from a free list */
    uint64_t live_bufs;   /* buffers currently referenced */
    uint64_t pooled_bytes;/* bytes parked on free lists */
} weft_mem_stats;
/** Snapshot the counters. [any-thread] */
WEFT_API void weft_mem_stats_get(weft_mem_stats *out);
/** Release every pooled block back to the system. [any-thread] */
WEFT_API void weft_mem_trim(void);

WEFT_END_DECLS
#endif /* WEFT_BUF_H */
