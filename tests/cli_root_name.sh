#!/bin/sh
# cli_root_name.sh: resolve names the root it walked as the view names it (the review of
# issue 13: "index.json" was printed for a docker save whose --ref matched nothing and for a
# containers/image dir: layout, which have no index.json).
. "$TESTS_DIR/lib.sh"
S="$TESTDATA/samples"
C="$TESTDATA/cimage"

run resolve "$C/umoci-v1"
expect_rc 0 "dir: layout resolves"
expect_eq "$(sed -n 2p "$T_TMP/out")" "manifest.json (dir:)" "dir: the tree's root line is manifest.json (dir:)"
expect_out_has "  path        manifest.json (dir:)" "dir: the selection's path begins at manifest.json (dir:)"

run resolve --ref nope "$S/docker-save-by-id.tar"
expect_rc 2 "docker save, --ref naming nothing"
expect_eq "$(sed -n 2p "$T_TMP/out")" \
  "manifest.json (a docker save archive: no registry manifest; images are known by image ID)" \
  "docker save with no row: the root line still says manifest.json"
case "$out" in *"
index.json"*) not_ok "docker save: no index.json line ($out)" ;; *) ok "docker save: no index.json line" ;; esac

run resolve "$S/umoci-multitag"
expect_eq "$(sed -n 2p "$T_TMP/out")" "index.json" "OCI layout: the root line is index.json"
expect_out_has "  path        index.json" "OCI layout: the path begins at index.json"
finish
