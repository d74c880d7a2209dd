# The weft command.
bin_PROGRAMS += core/cli/weft
core_cli_weft_SOURCES = core/cli/main.c core/cli/cli.h core/cli/inspect.c
core_cli_weft_SOURCES += core/cli/check.c core/cli/fmt.c core/cli/dot.c
core_cli_weft_SOURCES += core/cli/run.c
core_cli_weft_SOURCES += core/cli/devices.c
core_cli_weft_LDADD = core/libweft.la
