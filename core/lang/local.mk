# The graph language: lexer, parser, expansion, formatter, DOT.
