# Scheduler tests.
