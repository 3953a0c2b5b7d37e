#!/bin/sh
# diff.sh: `ocidig diff` (issue 14 item 4) over images made by umoci (testdata/diff/builds,
# tests/gen_diff.sh: two builds on one base that differ by one file and one env var) and the
# issue-14 fixtures.  Expected values are read from the fixtures with Python (the manifests,
# the configs, the layer tars) and sha256sum, not from ocidig.
. "$TESTS_DIR/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "diff" "python3 is needed"
  finish
  exit $?
fi
B="$TESTDATA/diff/builds"
L="$TESTDATA/layers"

# An image compared with itself: nothing, exit 0.
run diff --ref-a build1 --ref-b build1 "$B" "$B"
expect_rc 0 "an image against itself"
expect_eq "$out$err" "" "an image against itself: no output"
run diff --ref build2 "$B" "$B"
expect_rc 0 "--ref names the image of both"
tar -C "$L/umoci-multi" -cf "$T_TMP/umoci.tar" .
run diff "$L/umoci-multi" "$T_TMP/umoci.tar"
expect_rc 0 "a directory against its own tar archive"
expect_eq "$out" "" "a directory against its own tar archive: no output"

# The two builds: exactly the env var, the layer each added, and the file.
python3 - "$B" >"$T_TMP/want" <<'PY'
import hashlib, io, json, os, sys, tarfile
root = sys.argv[1]
def blob(d):
    return open(os.path.join(root, "blobs", *d.split(":")), "rb").read()
imgs = {}
for m in json.load(open(os.path.join(root, "index.json")))["manifests"]:
    imgs[m["annotations"]["org.opencontainers.image.ref.name"]] = json.loads(blob(m["digest"]))
a, b = imgs["build1"], imgs["build2"]
ca, cb = json.loads(blob(a["config"]["digest"])), json.loads(blob(b["config"]["digest"]))
la, lb = a["layers"][-1], b["layers"][-1]
def app(layer):
    with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"])), mode="r:gz") as t:
        for ti in t:
            if ti.name.lstrip("./") == "etc/app.conf":
                data = t.extractfile(ti).read()
                return "file %04o %d:%d %d bytes sha256:%s" % (ti.mode, ti.uid, ti.gid, len(data),
                                                               hashlib.sha256(data).hexdigest())
print("env")
print("  ~ X: 1 -> 2")
print("layers")
print("  - %s: gzip, %d bytes, diff_id %s" % (la["digest"], la["size"], ca["rootfs"]["diff_ids"][-1]))
print("  + %s: gzip, %d bytes, diff_id %s" % (lb["digest"], lb["size"], cb["rootfs"]["diff_ids"][-1]))
print("files")
print("  ~ etc/app.conf: %s -> %s" % (app(la), app(lb)))
print("(4 differences; 3 layers shared)")
PY
run diff --ref-a build1 --ref-b build2 "$B" "$B"
expect_rc 1 "two builds that differ"
expect_eq "$out" "$(cat "$T_TMP/want")" "two builds: the env var, the layers, the file, nothing else"
grep -q "sha256:$(printf 'one\n' | sha256sum | cut -d' ' -f1) -> .*sha256:$(printf 'two\n' | sha256sum | cut -d' ' -f1)" "$T_TMP/out" &&
  ok "the file's content digests are those of its two texts" || not_ok "content digests: $out"

run diff --json --ref-a build1 --ref-b build2 "$B" "$B"
expect_rc 1 "--json: they differ"
python3 - "$T_TMP/out" <<'PY' && ok "--json: the same four differences, layersShared 3" || not_ok "--json: $out"
import json, sys
d = json.load(open(sys.argv[1]))
got = [(x["section"], x["key"] if x["section"] != "layers" else "", x["change"]) for x in d["differences"]]
assert got == [("env", "X", "changed"), ("layers", "", "removed"), ("layers", "", "added"),
               ("files", "etc/app.conf", "changed")], got
assert d["equal"] is False and d["layersShared"] == 3 and d["filesCompared"] is True
assert d["differences"][0]["a"] == "1" and d["differences"][0]["b"] == "2"
assert d["differences"][1]["b"] is None and d["differences"][2]["a"] is None
PY

run diff --no-files --ref-a build1 --ref-b build2 "$B" "$B"
expect_rc 1 "--no-files: they differ"
expect_out_lacks "files" "--no-files: no files section"
expect_out_has "(3 differences; 3 layers shared)" "--no-files: config and layers only"

# A from standard input.
tar -C "$B" -cf "$T_TMP/builds.tar" .
${OCIDIG_WRAPPER:-} "$OCIDIG" diff --ref-a build1 --ref-b build2 - "$B" <"$T_TMP/builds.tar" >"$T_TMP/out" 2>"$T_TMP/err"
rc=$?
out=$(cat "$T_TMP/out")
expect_rc 1 "A on standard input"
expect_eq "$out" "$(cat "$T_TMP/want")" "A on standard input: the same differences"

# The same content in another form: the same layer tars compressed otherwise (skopeo
# copy to zstd) are one content (diff_id), told as changed blobs; no file differs.
run diff "$L/umoci-multi" "$L/skopeo-zstd"
expect_rc 1 "gzip against zstd layers of one content"
expect_out_has "(3 differences; 3 layers shared)" "recompressed layers paired by diff_id"
expect_out_lacks "files" "recompressed layers: no file differs"
# The same blob under a wrong diff_id: a changed layer, not a removed and an added one.
run diff "$L/umoci-multi" "$L/wrong-diffid"
expect_rc 1 "a wrong diff_id is a difference"
expect_out_has "(1 difference; 3 layers shared)" "a wrong diff_id: one changed layer"

# Usage, unreadable input, a layer cut short, a failed write.
run diff "$B"
expect_rc 2 "one source only"
run diff - -
expect_rc 2 "standard input twice"
run diff --platform linux/s390x "$B" "$B"
expect_rc 2 "no manifest matches the platform"
expect_err_has "no manifest matches linux/s390x" "no match: said so"
run diff "$B" "$T_TMP/nonexistent"
expect_rc 3 "B does not exist"
run diff "$L/umoci-multi" "$L/truncated-gzip"
expect_rc 3 "a layer cut short"
expect_err_has "truncated-archive" "a layer cut short: named"
run diff --no-files "$L/umoci-multi" "$L/truncated-gzip"
expect_rc 1 "--no-files reads no layer: the cut layer is only another blob"
expect_out_has "layers" "--no-files: the cut layer differs by digest"
if [ -w /dev/full ]; then
  ${OCIDIG_WRAPPER:-} "$OCIDIG" diff --ref-a build1 --ref-b build2 "$B" "$B" >/dev/full 2>"$T_TMP/err"
  rc=$?
  err=$(cat "$T_TMP/err")
  expect_rc 5 "standard output cannot be written"
fi
finish
