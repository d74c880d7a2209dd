# libweft: the runtime.
lib_LTLIBRARIES += core/libweft.la
core_libweft_la_SOURCES = \
	core/internal.h \
	core/error.c \
	core/log.c \
	core/buf.c \
	core/memory.c \
	core/memory.h \
	core/format.c \
	core/format-ops.c \
	core/format-private.h \
	core/prop.c \
	core/registry.c \
	core/node.c \
	core/node.h \
	core/class.c \
	core/class.h \
	core/harness.c \
	core/graph.c \
	core/graph-check.c \
	core/diag.c \
	core/graph-private.h \
	core/shared.c \
	core/util.c
core_libweft_la_CFLAGS = $(AM_CFLAGS) -DWEFT_BUILDING_CORE
core_libweft_la_LDFLAGS = -version-info $(WEFT_LT_VERSION) -no-undefined
core_libweft_la_LIBADD = $(LIBS)
if HAVE_CUDA
core_libweft_la_SOURCES += core/memory-cuda.c
core_libweft_la_CFLAGS += $(CUDA_CFLAGS)
core_libweft_la_LIBADD += $(CUDA_LIBS)
endif

weftinclude_HEADERS += \
	core/weft/weft.h \
	core/weft/common.h \
	core/weft/buf.h \
	core/weft/format.h \
	core/weft/prop.h \
	core/weft/log.h \
	core/weft/plugin.h \
	core/weft/registry.h \
	core/weft/harness.h \
	core/weft/graph.h
