/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * greedy-cuda.h: batched CTC greedy decoding on a CUDA stream (greedy.cu).
 *
 * ctc_cuda_greedy: for each of @batch utterances of @len[b] frames (NULL:
 * all @t_max), rows [b * t_max, b * t_max + len[b]) of @logp (device,
 * [batch * t_max, v] f32): argmax per frame into @best (device, batch *
 * t_max), then the collapsed, blank-free tokens into @tok and their frames
 * into @frame (device, batch * t_max each, utterance b from b * t_max), the
 * count into @count[b]. Queued on @stream (a cudaStream_t, NULL for the
 * default stream); nothing synchronizes. Returns 0, WEFT_EINVAL (-2),
 * WEFT_ERANGE (-6) or WEFT_ECUDA (-15) for a failed launch.
 */
#ifndef WEFT_PLUGIN_CTC_GREEDY_CUDA_H
#define WEFT_PLUGIN_CTC_GREEDY_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int ctc_cuda_greedy(const float *logp, int64_t batch, int64_t t_max,
                    int64_t v, const int32_t *len, int32_t blank,
                    int32_t *best, int32_t *tok, int32_t *frame,
                    int32_t *count, void *stream);

#ifdef __cplusplus
}
#endif
#endif
