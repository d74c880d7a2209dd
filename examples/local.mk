# examples/: programs and plugins that use Weft from the outside, the way
# its users do. They are built against an installed Weft, so the build here
# only ships them; tests/install-example.sh installs Weft into a temporary
# folder and builds and tests the plugin example against it.
EXTRA_DIST += \
	examples/plugin-gain/README.md \
	examples/plugin-gain/Makefile \
	examples/plugin-gain/gain.c \
	examples/plugin-gain/gain.map \
	examples/plugin-gain/test-gain.c \
	examples/embed/README.md \
	examples/embed/Makefile \
	examples/embed/embed.c \
	tests/install-example.sh

TESTS += tests/install-example.sh
# `make install` relinks every plugin in place (libtool's relink for the
# install prefix), so the install test runs after every other test, never
# beside one that is loading plugins.
# (The target is spelled through a variable: automake drops a rule whose
# literal target it generates itself.)
INSTALL_TEST_LOG = tests/install-example.sh.log
$(INSTALL_TEST_LOG): $(TEST_LOGS:tests/install-example.sh.log=)
