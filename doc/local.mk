# doc/: manuals. The man pages are installed; the Markdown guides ship in
# the tarball.
dist_man_MANS += \
	doc/man/weft.1 \
	doc/man/weft-inspect.1 \
	doc/man/weft-devices.1 \
	doc/man/weft-run.1 \
	doc/man/weft-check.1 \
	doc/man/weft-fmt.1 \
	doc/man/weft-dot.1 \
	doc/man/weft-graph.5

EXTRA_DIST += \
	doc/plugin-guide.md \
	doc/performance.md \
	doc/api-changes.md \
	doc/graph-language.md \
	doc/acoustic-model.md
