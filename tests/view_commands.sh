#!/bin/sh
# view_commands.sh: ls, inspect and cat read a docker save and a containers/image dir:
# layout through the view, and say what resolve says (issue 13, item 2).  Fixtures: the
# docker saves of testdata/samples (docker, podman, buildah) and the dir: layouts of
# testdata/cimage (skopeo copy ... dir:, skopeo sync --dest dir).
. "$TESTS_DIR/lib.sh"
S="$TESTDATA/samples"
C="$TESTDATA/cimage"
py() { python3 -c "$@"; }
sha() { python3 -c 'import hashlib,sys; print("sha256:" + hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }

# --- a containers/image dir: layout: listed, inspected and catted like any layout
run ls --json "$C/sync"
expect_rc 0 "dir: tree: ls"
expect_eq "$(py 'import json,sys; j=json.load(open(sys.argv[1])); print(j["format"], sorted(i["name"] for i in j["images"]))' "$T_TMP/out")" \
  "dir ['multiarch:latest', 'umoci:v1']" "dir: tree: ls lists one image per folder, named by its path"
expect_eq "$(py 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["unreferencedFiles"], s["missingBlobs"], s["errors"])' "$T_TMP/out")" \
  "0 0 0" "dir: tree: no unreferenced file (manifest.json and version are the format's), none missing"
run inspect --ref umoci:v1 "$C/sync"
expect_rc 0 "dir: tree: inspect --ref a folder"
run resolve --json "$C/umoci-v1"
sel=$(py 'import json,sys; r=json.load(open(sys.argv[1])); print(r["selected"]["digest"], r["selected"]["config"]["digest"] if "config" in r["selected"] else r["config"]["digest"])' "$T_TMP/out" 2>/dev/null)
man=${sel%% *}
cfg=${sel##* }
"$OCIDIG" cat "$C/umoci-v1" manifest >"$T_TMP/m"
expect_eq "$?:$(sha "$T_TMP/m")" "0:$man" "dir: cat manifest writes the manifest.json resolve selects"
"$OCIDIG" cat "$C/umoci-v1" config >"$T_TMP/c"
expect_eq "$?:$(sha "$T_TMP/c")" "0:$cfg" "dir: cat config writes the config resolve names (a file named by its hex)"
"$OCIDIG" cat "$C/umoci-v1" "$cfg" >"$T_TMP/c2"
expect_eq "$?:$(sha "$T_TMP/c2")" "0:$cfg" "dir: cat DIGEST finds the file named by its hex"
"$OCIDIG" cat "$C/umoci-v1" "$(echo "${cfg#sha256:}" | cut -c1-12)" >"$T_TMP/c3"
expect_eq "$?:$(sha "$T_TMP/c3")" "0:$cfg" "dir: cat of a short digest: the files named by their hex"

# --- a docker save: ls --platform shows what resolve --ref IMAGE --platform P selects
for p in linux/amd64 linux/arm64; do
  run ls --json --platform "$p" "$S/podman-save.docker-archive.tar"
  got=$(py 'import json,sys; i=json.load(open(sys.argv[1]))["images"][0]; r=i["resolved"]; print(r["outcome"], r["imageId"], i["digest"] == r["imageId"])' "$T_TMP/out")
  run resolve --json --ref localhost/corpus-multi:armv7 --platform "$p" "$S/podman-save.docker-archive.tar"
  want=$(py 'import json,sys; r=json.load(open(sys.argv[1])); print(r["outcome"], r["selected"]["digest"], True)' "$T_TMP/out")
  expect_eq "$got" "$want" "docker save: ls --platform $p = resolve --ref IMAGE --platform $p (by image ID)"
done
run resolve --ref localhost/corpus-multi:armv7 --platform linux/amd64 "$S/podman-save.docker-archive.tar"
expect_err_has "the selected image localhost/corpus-multi:armv7 (image ID sha256:" "docker save: resolve's warning names the image, not its synthesized manifest"
run ls --json "$S/docker-save-legacy-build.tar"
expect_eq "$(py 'import json,sys; j=json.load(open(sys.argv[1])); p=j["images"][0]["platforms"][0]; s=j["summary"]; print(p["manifest"], p["mediaType"], p["blobs"], s["unreferencedFiles"])' "$T_TMP/out")" \
  "None application/vnd.docker.container.image.v1+json 3 0" \
  "legacy docker save: no manifest, the config's media type, config and layers counted (not the view's manifest), <id>/json and VERSION not unreferenced"

# --- cat: the docker save's image manifest is the view's, not a file
run resolve --json --ref localhost/corpus-multi:armv7 "$S/podman-save.docker-archive.tar"
"$OCIDIG" cat --ref localhost/corpus-multi:armv7 "$S/podman-save.docker-archive.tar" config >"$T_TMP/dc"
expect_eq "$?:$(sha "$T_TMP/dc")" "0:$(py 'import json,sys; print(json.load(open(sys.argv[1]))["selected"]["digest"])' "$T_TMP/out")" \
  "docker save: cat config writes the config whose digest is the image ID"
run cat --ref localhost/corpus-multi:armv7 "$S/podman-save.docker-archive.tar" manifest
expect_rc 2 "docker save: cat manifest is a usage error (no registry manifest)"
finish
