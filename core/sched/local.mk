# The scheduler: queues, workers, live-source threads, stats, traces.
