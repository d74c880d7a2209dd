# libweft-kernels: numeric ops with a CPU backend (OpenBLAS, own code) and,
# when configure finds nvcc, a CUDA backend (cuBLAS, own kernels). Without
# CUDA every entry point still exists; CUDA devices report WEFT_ENODEV.
# (Conditional sources are distributed either way.)
lib_LTLIBRARIES += kernels/libweft-kernels.la
kernels_libweft_kernels_la_SOURCES = \
	kernels/kinternal.h \
	kernels/kernels.c \
	kernels/cpu/gemm.c \
	kernels/cpu/elementwise.c \
	kernels/json.c \
	kernels/model.c \
	kernels/kmfcc.h \
	kernels/mfcc.c
kernels_libweft_kernels_la_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
kernels_libweft_kernels_la_LDFLAGS = -version-info $(WEFT_LT_VERSION) -no-undefined
kernels_libweft_kernels_la_LIBADD = $(OPENBLAS_LIBS) $(LIBS)
if HAVE_CUDA
kernels_libweft_kernels_la_SOURCES += \
	kernels/cuda/kcuda.h \
	kernels/cuda/backend.cu \
	kernels/cuda/elementwise.cu \
	kernels/cuda/mfcc.cu
kernels_libweft_kernels_la_LIBADD += $(CUDA_LIBS)
endif

weftinclude_HEADERS += kernels/weft/kernels.h kernels/weft/model.h
weftinclude_HEADERS += kernels/weft/features.h

# The .cu.lo suffix rule has no automatic dependency tracking: name the
# headers the CUDA objects include so editing them rebuilds the objects.
KERNELS_CUDA_DEPS = $(srcdir)/kernels/cuda/kcuda.h $(srcdir)/kernels/kinternal.h \
	$(srcdir)/kernels/weft/kernels.h $(srcdir)/core/weft/common.h config.h
kernels/cuda/backend.lo: $(KERNELS_CUDA_DEPS)
kernels/cuda/elementwise.lo: $(KERNELS_CUDA_DEPS)
kernels/cuda/mfcc.lo: $(KERNELS_CUDA_DEPS) $(srcdir)/kernels/kmfcc.h \
	$(srcdir)/kernels/weft/features.h
