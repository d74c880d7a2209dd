# The scheduler: queues, workers, live-source threads, stats, traces, and
# the app.src/app.sink classes of the embedding API.
core_libweft_la_SOURCES += \
	core/sched/sched.h \
	core/sched/sched.c \
	core/sched/stats.c \
	core/sched/trace.c \
	core/sched/app.c

weftinclude_HEADERS += core/weft/run.h
