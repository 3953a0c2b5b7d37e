#!/bin/sh
# verify_views.sh: verify reads the formats other than OCI through the view (issue 13 item 2):
# containers/image dir: layouts (testdata/cimage, written by skopeo) are walked like an OCI
# layout from their synthesized index: every manifest, config and layer named by its hex,
# hashed; a file changed, removed or added is found, in the directory and in a tar of it.
# A docker save: the image whose config cannot be used (absent, not JSON, not its image ID)
# is not complete, as ls says of it.
. "$TESTS_DIR/lib.sh"
C="$TESTDATA/cimage"
if ! command -v python3 >/dev/null 2>&1; then
  skip "verify: dir: layouts" "python3 is needed to read the JSON reports"
  
# docker save: one image's config is broken; the other image is intact
V="$TESTDATA/verify"
for spec in "docker-config-invalid invalid-json" "docker-config-tampered digest-mismatch" \
  "docker-config-missing blob-missing" "docker-clean -"; do
  set -- $spec
  run verify --json "$V/$1.tar"
  printf '%s' "$out" >"$T_TMP/r.json"
  got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted({f["code"] for f in d["findings"]})) or "-",
      sorted((i["complete"], [p["complete"] for p in i["platforms"]]) for i in d["images"]))' "$T_TMP/r.json")
  if [ "$2" = - ]; then want="- [(True, [True]), (True, [True])]"; else want="$2 [(False, [False]), (True, [True])]"; fi
  expect_eq "$got" "$want" "$1: the finding; the image is complete only when its config can be used"
done
finish
fi

# summary FILE: "exit images platforms blobsChecked codes..." of a JSON report
summary() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
codes = sorted("%s:%s" % (f["code"], f.get("path")) for f in d["findings"])
print(d["format"], len(d["images"]), sum(len(i["platforms"]) for i in d["images"]),
      d["summary"]["blobsChecked"], " ".join(codes) or "-")' "$1"
}

# layout  images platforms blobs (counted from the fixture by hand: manifest.json and the
# files named by hex that it reaches)
for spec in "umoci-v1 1 1 3" "multiarch-all 1 9 28" "sync 2 10 31"; do
  set -- $spec
  for form in dir tar; do
    p="$C/$1"
    if [ $form = tar ]; then
      tar -C "$C/$1" -cf "$T_TMP/$1.tar" . && p="$T_TMP/$1.tar"
    fi
    run verify --json "$p"
    expect_rc 0 "$1 ($form): a dir: layout made by skopeo verifies clean"
    printf '%s' "$out" >"$T_TMP/r.json"
    expect_eq "$(summary "$T_TMP/r.json")" "dir $2 $3 $4 -" "$1 ($form): images, platforms, blobs checked, no findings"
  done
done

run verify "$C/umoci-v1"
expect_out_has "linux/amd64 (config)" "umoci-v1: the platform is read from the config"
expect_out_has "verifying everything reachable from manifest.json (dir:)" "umoci-v1: the header names the root"

# a changed layer, an added file named by a digest, a removed config
cp -R "$C/umoci-v1" "$T_TMP/bad"
chmod -R u+w "$T_TMP/bad"
layer=7f9b5d82508a638c6cf5d6e8a1df85282260a940e4f527b0b1494a828328d0f8
config=b15881a1a676c90560344ae2fb7169d7f87df727a84de4f5b0a4d3a5731327a8
printf 'X' | dd of="$T_TMP/bad/$layer" bs=1 seek=10 conv=notrunc 2>/dev/null
stray=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
echo hello >"$T_TMP/bad/$stray"
tar -C "$T_TMP/bad" -cf "$T_TMP/bad.tar" .
for p in "$T_TMP/bad" "$T_TMP/bad.tar"; do
  b=$(basename "$p")
  run verify --json "$p"
  expect_rc 4 "$b: a changed layer: exit 4"
  printf '%s' "$out" >"$T_TMP/r.json"
  expect_eq "$(summary "$T_TMP/r.json")" "dir 1 1 3 blob-unreferenced:$stray digest-mismatch:$layer" \
    "$b: digest-mismatch of the layer (named by its file), the stray file unreferenced"
  run verify "$p"
  expect_out_has "is not referenced from manifest.json (dir:)" "$b: the stray file is named against manifest.json"
done
rm "$T_TMP/bad/$config" "$T_TMP/bad/$stray"
run verify --json "$T_TMP/bad"
expect_rc 4 "a removed config: exit 4"
printf '%s' "$out" >"$T_TMP/r.json"
expect_eq "$(summary "$T_TMP/r.json")" "dir 1 1 2 blob-missing:$config digest-mismatch:$layer" \
  "a removed config: blob-missing, named by its file"

# docker save: one image's config is broken; the other image is intact
V="$TESTDATA/verify"
for spec in "docker-config-invalid invalid-json" "docker-config-tampered digest-mismatch" \
  "docker-config-missing blob-missing" "docker-clean -"; do
  set -- $spec
  run verify --json "$V/$1.tar"
  printf '%s' "$out" >"$T_TMP/r.json"
  got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted({f["code"] for f in d["findings"]})) or "-",
      sorted((i["complete"], [p["complete"] for p in i["platforms"]]) for i in d["images"]))' "$T_TMP/r.json")
  if [ "$2" = - ]; then want="- [(True, [True]), (True, [True])]"; else want="$2 [(False, [False]), (True, [True])]"; fi
  expect_eq "$got" "$want" "$1: the finding; the image is complete only when its config can be used"
done
finish
