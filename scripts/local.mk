# Scripts shipped in the tarball.
dist_noinst_SCRIPTS += scripts/gpu-check
EXTRA_DIST += scripts/requirements.txt
