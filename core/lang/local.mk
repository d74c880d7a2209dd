# The graph language: lexer, parser, checks, expansion, formatter, DOT.
core_libweft_la_SOURCES += \
	core/lang/lang.h \
	core/lang/util.c \
	core/lang/lex.c \
	core/lang/parse.c \
	core/lang/check.c \
	core/lang/expand.c \
	core/lang/load.c \
	core/lang/fmt.c \
	core/lang/dot.c
