#!/bin/sh
# ls --lock (issue 16 item 1): the lock file of a bundle, against what tests/lock_ref.py reads
# from each layout directory itself (images, their manifests, every blob with its size and
# whether the layout holds it); the same text whatever the packing (directory, tar, .tar.gz,
# standard input) and the order of the sources; a docker save against its manifest.json;
# nothing written for a source that cannot be read or a document that fails.
. "$(dirname "$0")/lib.sh"
R=$(dirname "$0")
S=$TESTDATA/samples

lock_of() { # SOURCE...: the lock, normalized (tests/lock_norm.py checks its shape and order)
  "$OCIDIG" ls --lock "$@" 2>"$T_TMP/lerr" | python3 "$R/lock_norm.py" 2>&1
}

for d in podman-save-ocidir buildah-multiarch buildah-multiarch-v2s2list buildah-amd64-zstd \
  skopeo-v2-zstd skopeo-picked-armv7 umoci-multitag; do
  python3 "$R/lock_ref.py" "$S/$d" >"$T_TMP/want" 2>&1
  lock_of "$S/$d" >"$T_TMP/got"
  if cmp -s "$T_TMP/got" "$T_TMP/want"; then ok "$d: the lock equals the layout read in Python"
  else not_ok "$d: lock differs: $(diff "$T_TMP/got" "$T_TMP/want" | head -5)"; fi
  # the same images packed otherwise: the same lock, sources aside
  tar -C "$S/$d" -cf "$T_TMP/$d.tar" . && gzip -c "$T_TMP/$d.tar" >"$T_TMP/$d.tar.gz"
  for f in "$T_TMP/$d.tar" "$T_TMP/$d.tar.gz"; do
    lock_of "$f" >"$T_TMP/got2"
    if cmp -s "$T_TMP/got2" "$T_TMP/want"; then ok "$d: ${f##*.} form, the same lock"
    else not_ok "$d ${f##*.}: $(diff "$T_TMP/got2" "$T_TMP/want" | head -5)"; fi
  done
  "$OCIDIG" ls --lock - <"$T_TMP/$d.tar.gz" | python3 "$R/lock_norm.py" >"$T_TMP/got3" 2>&1
  if cmp -s "$T_TMP/got3" "$T_TMP/want"; then ok "$d: standard input, the same lock"
  else not_ok "$d stdin: $(diff "$T_TMP/got3" "$T_TMP/want" | head -5)"; fi
done

# Several sources: one entry per image digest (its sources listed), whatever their order.
A=$S/buildah-multiarch B=$S/podman-save-ocidir
"$OCIDIG" ls --lock "$A" "$B" >"$T_TMP/ab"; rc=$?
expect_rc 0 "two sources"
"$OCIDIG" ls --lock "$B" "$A" >"$T_TMP/ba"
python3 - "$T_TMP/ab" "$T_TMP/ba" "$A" "$B" >"$T_TMP/py" 2>&1 <<'EOF'
import json, sys
ab, ba = (json.load(open(p)) for p in sys.argv[1:3])
A, B = sys.argv[3:5]
assert ab["sources"] == [A, B] and ba["sources"] == [B, A], (ab["sources"], ba["sources"])
strip = lambda l: [{k: v for k, v in i.items() if k != "sources"} for i in l["images"]]
assert strip(ab) == strip(ba), "the images differ with the order of the sources"
for i in ab["images"]:
    assert i["sources"] in ([A], [B]), i["sources"]
print(len(ab["images"]))
EOF
if [ $? -eq 0 ]; then ok "two sources in either order: the same images ($(cat "$T_TMP/py"))"
else not_ok "two sources: $(cat "$T_TMP/py")"; fi
"$OCIDIG" ls --lock "$A" "$T_TMP/buildah-multiarch.tar" >"$T_TMP/aa"
python3 - "$T_TMP/aa" "$A" "$T_TMP/buildah-multiarch.tar" >"$T_TMP/py" 2>&1 <<'EOF'
import json, sys
l = json.load(open(sys.argv[1]))
digests = [i["digest"] for i in l["images"]]
assert len(digests) == len(set(digests)), digests
assert all(i["sources"] == sys.argv[2:4] for i in l["images"]), [i["sources"] for i in l["images"]]
EOF
if [ $? -eq 0 ]; then ok "one image in two sources: one entry naming both"
else not_ok "one image in two sources: $(cat "$T_TMP/py")"; fi
run ls --lock "$A" "$B"
cmp -s "$T_TMP/out" "$T_TMP/ab" && ok "the same sources: the same text" || not_ok "a second lock differs"

# A docker save: its images by image ID (the config's sha256) and RepoTags, from manifest.json.
"$OCIDIG" ls --lock "$S/docker-save-legacy-build.tar" >"$T_TMP/ds"; rc=$?
expect_rc 0 "docker save"
python3 - "$T_TMP/ds" "$S/docker-save-legacy-build.tar" >"$T_TMP/py" 2>&1 <<'EOF'
import hashlib, json, sys, tarfile
l = json.load(open(sys.argv[1]))
t = tarfile.open(sys.argv[2])
m = json.load(t.extractfile("manifest.json"))
want = {}
for e in m:
    cfg = t.extractfile(e["Config"]).read()
    d = "sha256:" + hashlib.sha256(cfg).hexdigest()
    blobs = {(d, len(cfg))}
    for ly in e["Layers"]:
        b = t.extractfile(ly).read()
        blobs.add(("sha256:" + hashlib.sha256(b).hexdigest(), len(b)))
    want[d] = (sorted(e["RepoTags"]), sorted(blobs))
got = {i["digest"]: (i["names"], sorted((b["digest"], b["size"]) for b in i["blobs"] if b["present"]))
       for i in l["images"]}
assert got == want, (got, want)
EOF
if [ $? -eq 0 ]; then ok "docker save: image IDs, RepoTags, config and layer files as manifest.json has them"
else not_ok "docker save: $(cat "$T_TMP/py")"; fi

# Errors: nothing written.
run ls --lock "$A" "$T_TMP/nothing-here"
expect_rc 3 "a source that is not there"
expect_eq "$out" "" "a source that is not there: nothing on standard output"
expect_err_has "nothing-here" "a source that is not there: named"
cp -r "$B" "$T_TMP/bad"
chmod -R u+w "$T_TMP/bad"
M=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"].split(":")[1])' "$T_TMP/bad/index.json")
printf '{"schemaVersion":2}' >"$T_TMP/bad/blobs/sha256/$M"
run ls --lock "$A" "$T_TMP/bad"
expect_rc 4 "a manifest that does not match its digest"
expect_eq "$out" "" "a manifest that fails: nothing on standard output"
expect_err_has "sha256:$M" "a manifest that fails: its digest named"
run ls --lock --json "$A"
expect_rc 2 "--lock with --json"
run ls --lock
expect_rc 2 "--lock without a source"
run ls "$A" "$B"
expect_rc 2 "two sources without --lock"
if [ -w /dev/full ]; then
  "$OCIDIG" ls --lock "$A" >/dev/full 2>/dev/null; rc=$?
  expect_rc 5 "--lock to a full disk"
else
  skip "--lock to a full disk" "no /dev/full"
fi

# A name with a control character and bytes that are not UTF-8: valid JSON, the name kept.
cp -r "$B" "$T_TMP/names"
chmod -R u+w "$T_TMP/names"
python3 - "$T_TMP/names/index.json" <<'EOF'
import json, sys
p = sys.argv[1]
i = json.load(open(p))
i["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] = "a\u0001b\u009bc"
open(p, "w").write(json.dumps(i))
EOF
"$OCIDIG" ls --lock "$T_TMP/names" >"$T_TMP/nl"; rc=$?
expect_rc 0 "a name with control characters"
n=$(python3 -c 'import json,sys; print(ascii(json.load(open(sys.argv[1]))["images"][0]["names"]))' "$T_TMP/nl" 2>&1)
expect_eq "$n" "['a\\x01b\\x9bc']" "a name with control characters: kept, escaped as JSON"

finish
