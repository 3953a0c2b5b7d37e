#!/bin/sh
# verify_deep.sh: `ocidig verify --deep` (issue 14 item 1) over layouts written at test time by
# tests/deep_fixtures.py (layers made by Python's tarfile, gzip(1) and zstd(1); diff_ids by
# hashlib): every finding code of --deep triggered by a fixture, and not by the clean one;
# one row per layer blob (a layer shared by two platforms: one row; that it is read once,
# deep_review.sh shows); the same rows for a
# directory, a tar of it, standard input, a docker save and a dir: layout (written by skopeo).
. "$TESTS_DIR/lib.sh"
for t in python3 gzip zstd; do
  if ! command -v $t >/dev/null 2>&1; then
    skip "verify --deep" "$t is needed to make the fixtures"
    finish
    exit $?
  fi
done
F="$T_TMP/fx"
python3 "$TESTS_DIR/deep_fixtures.py" "$F" || not_ok "the fixtures could not be made"

# codes FILE: the sorted set of finding codes of a JSON report ("-": none)
codes() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted({f["code"] for f in d["findings"]})) or "-")' "$1"
}
# rows FILE: "digest compression read entries uncompressedSize diffId" a layer row a line
rows() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for l in d.get("layers", []):
    print(l["digest"], l["compression"], l["read"], l["entries"], l["uncompressedSize"], l["diffId"])' "$1"
}
deep() { # CASE [OPTIONS...]: verify --deep --json of the case into $T_TMP/r.json
  c=$1
  shift
  run verify --deep --json "$@" "$F/$c"
  printf '%s' "$out" >"$T_TMP/r.json"
}

# ---- each case: the codes it triggers, its exit status
while IFS='|' read -r c want status; do
  deep "$c"
  expect_eq "$(codes "$T_TMP/r.json")" "$want" "$c: the findings of --deep"
  expect_rc "$status" "$c"
done <<'EOF'
deep-clean|-|0
deep-diffid-wrong|diff-id-mismatch|4
deep-count-mismatch|layer-count-mismatch|4
deep-gzip-cut|layer-truncated|4
deep-gzip-trailing|layer-trailing-data|4
deep-zstd-cut|layer-truncated|4
deep-zstd-trailing|layer-trailing-data|4
deep-zstd-window|layer-not-read|0
deep-tar-cut|layer-tar-invalid|4
deep-tar-nomarker|layer-tar-no-end-marker|0
deep-hazards|layer-hardlink-missing layer-path-through-symlink layer-path-unsafe layer-setgid layer-setuid layer-special-file layer-whiteout-malformed layer-world-writable|4
deep-shared|-|0
deep-attestation|layer-not-read|0
EOF
# ---- h3's fixtures (testdata/layers/, made by umoci, skopeo, GNU tar, bsdtar: tests/gen_layers.py)
if [ -d "$TESTDATA/layers" ]; then
  while IFS='|' read -r c want status; do
    run verify --deep --json "$TESTDATA/layers/$c"
    printf '%s' "$out" >"$T_TMP/r.json"
    expect_eq "$(codes "$T_TMP/r.json")" "$want" "layers/$c: the findings of --deep"
    expect_rc "$status" "layers/$c"
  done <<'EOF'
umoci-multi|-|0
skopeo-zstd|-|0
docker-save.tar|-|0
gnutar-whiteouts|-|0
shared-layer|-|0
wrong-diffid|diff-id-mismatch|4
count-mismatch|layer-count-mismatch|4
truncated-gzip|layer-truncated|4
trailing-garbage|layer-trailing-data|4
hazards|layer-hardlink-missing layer-path-through-symlink layer-path-unsafe layer-setgid layer-setuid layer-special-file layer-whiteout-malformed layer-world-writable|4
EOF
  run verify --deep "$TESTDATA/layers/hazards"
  for want in 'entries in "lnk" pass through "lnk", a symbolic link set by layer 0' \
    'an opaque marker in "plainfile", which layer 0 made no directory (a file)' \
    'hard link "hl" points at "no/such/file"' 'entry "mid/../../dotdot-mid" has a ".." component'; do
    expect_out_has "$want" "layers/hazards: $want"
  done
  run verify --deep --json "$TESTDATA/layers/shared-layer"
  printf '%s' "$out" >"$T_TMP/r.json"
  expect_eq "$(rows "$T_TMP/r.json" | wc -l | tr -d ' ')" 3 "layers/shared-layer: one row per layer blob, the one both platforms share once (read once: deep_review.sh)"
else
  skip "verify --deep over testdata/layers" "not in this tree"
fi

# ---- the samples real tools wrote (testdata/samples): nothing inside them is wrong; umoci's
# layers lack the tar's end-of-archive marker (info), and umoci names the root "/" (the root)
for f in "$TESTDATA"/samples/*; do
  run verify --deep --json "$f"
  printf '%s' "$out" >"$T_TMP/r.json"
  got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = sorted({f["code"] for f in d["findings"] if f["severity"] != "info" and
              (f["code"].startswith("layer-") or f["code"] == "diff-id-mismatch")})
print(" ".join(bad) or "-", all(l["read"] for l in d.get("layers", [])), len(d.get("layers", [])) > 0)' "$T_TMP/r.json")
  expect_eq "$got" "- True True" "samples/$(basename "$f"): every layer read, nothing wrong inside"
done

run verify --deep --fail-on warning "$F/deep-tar-nomarker"
expect_rc 0 "a tar without its end-of-archive marker is info (umoci writes such layers): --fail-on warning passes"

# without --deep nothing is read inside: no layer rows, no layer findings
run verify --json "$F/deep-hazards"
printf '%s' "$out" >"$T_TMP/r.json"
expect_eq "$(codes "$T_TMP/r.json") $(python3 -c 'import json,sys; print("layers" in json.load(open(sys.argv[1])))' "$T_TMP/r.json")" \
  "- False" "deep-hazards without --deep: no findings, no layer rows"
expect_rc 0 "deep-hazards without --deep"

# ---- what each hazard says (the messages name the entry)
deep deep-hazards
msgs=$(python3 -c '
import json, sys
for f in json.load(open(sys.argv[1]))["findings"]:
    print(f["code"], f["message"])' "$T_TMP/r.json")
for want in \
  'layer-path-unsafe .*entry "/abs" is an absolute name' \
  'layer-path-unsafe .*entry "../up" has a ".." component' \
  'layer-path-through-symlink .*entry "s/through" passes through "s", a symbolic link set earlier in this layer' \
  'layer-path-through-symlink .*layer 1 .*entries in "lib" pass through "lib", a symbolic link set by layer 0' \
  'layer-hardlink-missing .*hard link "hl" points at "nothing-here"' \
  'layer-hardlink-missing .*hard link "hl3" points at "gone-too"' \
  'layer-special-file .*"dev/null" is a character device node (1, 3)' \
  'layer-special-file .*"dev/sda" is a block device node (8, 0)' \
  'layer-special-file .*"dev/fifo" is a FIFO' \
  'layer-setuid .*"bin/su" is setuid (mode 4755' \
  'layer-setgid .*"bin/wall" is setgid (mode 2755' \
  'layer-world-writable .*directory "open" is world-writable (mode 0777) without the sticky bit' \
  'layer-world-writable .*file "open/f" is world-writable (mode 0666)' \
  'layer-whiteout-malformed .*whiteout "etc/.wh.gone" has content (8 bytes)' \
  'layer-whiteout-malformed .*opaque marker "file/.wh..wh..opq" is not in a directory' \
  'layer-whiteout-malformed .*an opaque marker in "lib", which layer 0 made no directory (a symbolic link)'; do
  if printf '%s\n' "$msgs" | grep -q -- "$want"; then ok "deep-hazards: $want"; else not_ok "deep-hazards: no '$want' in: $msgs"; fi
done
if printf '%s\n' "$msgs" | grep -q '"hl2"'; then not_ok "hl2 (its target is in the layer below) is no hazard"; else ok "a hard link to a file of the layer below is no hazard"; fi
if printf '%s\n' "$msgs" | grep -q '"tmp"'; then not_ok "tmp (1777) is no hazard"; else ok "a world-writable directory with the sticky bit is no hazard"; fi

# ---- the clean image: each layer read, its diff_id the config's, its entries tarfile's
deep deep-clean
rows "$T_TMP/r.json" >"$T_TMP/rows"
want=$(python3 - "$F/deep-clean" <<'EOF'
import io, json, subprocess, sys, tarfile
root = sys.argv[1]
def blob(d): return open("%s/blobs/sha256/%s" % (root, d.split(":")[1]), "rb").read()
m = json.loads(blob(json.load(open(root + "/index.json"))["manifests"][0]["digest"]))
ids = json.loads(blob(m["config"]["digest"]))["rootfs"]["diff_ids"]
for l, i in zip(m["layers"], ids):
    c = {"gzip": "gzip", "zstd": "zstd"}.get(l["mediaType"].rsplit("+", 1)[-1], "none")
    b = blob(l["digest"])
    t = subprocess.run([c, "-dc"], input=b, stdout=subprocess.PIPE, check=True).stdout if c != "none" else b
    n = len(tarfile.open(fileobj=io.BytesIO(t)).getmembers())
    print(l["digest"], c, True, n, len(t), i)
EOF
)
expect_eq "$(cat "$T_TMP/rows")" "$want" "deep-clean: a row per layer: compression, entries, size, diff_id (as tarfile, gzip, zstd say)"

# ---- a layer shared by two platforms is read once; --platform narrows the layers read
deep deep-shared
expect_eq "$(rows "$T_TMP/r.json" | wc -l | tr -d ' ')" 3 "deep-shared: one row per layer blob (3 rows for 4 layer references; read once: deep_review.sh)"
deep deep-shared --platform linux/arm64
expect_eq "$(rows "$T_TMP/r.json" | wc -l | tr -d ' ')" 2 "deep-shared --platform linux/arm64: its 2 layers only"
deep deep-clean --ref v1
expect_eq "$(rows "$T_TMP/r.json")" "$(cat "$T_TMP/rows")" "deep-clean --ref v1: the same rows"

# ---- every source form: a tar of the directory, standard input, a docker save, dir:
tar -C "$F/deep-clean" -cf "$T_TMP/clean.tar" .
run verify --deep --json "$T_TMP/clean.tar"
printf '%s' "$out" >"$T_TMP/a.json"
expect_eq "$(rows "$T_TMP/a.json")" "$(cat "$T_TMP/rows")" "deep-clean as a tar: the same rows"
expect_rc 0 "deep-clean as a tar"
${OCIDIG_WRAPPER:-} "$OCIDIG" verify --deep --json - <"$T_TMP/clean.tar" >"$T_TMP/s.json" 2>"$T_TMP/err"
rc=$?
expect_eq "$(rows "$T_TMP/s.json")" "$(cat "$T_TMP/rows")" "deep-clean on standard input: the same rows"
expect_rc 0 "deep-clean on standard input"
printf 'not an archive\n' | ${OCIDIG_WRAPPER:-} "$OCIDIG" verify --deep - >"$T_TMP/out" 2>"$T_TMP/err"
rc=$?
err=$(cat "$T_TMP/err")
expect_rc 3 "--deep on standard input that is no archive"
expect_err_has "standard input: not a layout" "the error names standard input, not the temporary file"
gzip -c "$T_TMP/clean.tar" >"$T_TMP/clean.tar.gz"
run verify --deep "$T_TMP/clean.tar.gz"
expect_rc 0 "deep-clean as a .tar.gz"
tar -C "$F/deep-hazards" -cf "$T_TMP/hazards.tar" .
run verify --deep --json "$T_TMP/hazards.tar"
printf '%s' "$out" >"$T_TMP/a.json"
expect_eq "$(codes "$T_TMP/a.json")" "layer-hardlink-missing layer-path-through-symlink layer-path-unsafe layer-setgid layer-setuid layer-special-file layer-whiteout-malformed layer-world-writable" \
  "deep-hazards as a tar: the same codes"

run verify --deep "$F/deep-clean"
expect_out_has "layers" "the text report has a layers section"
expect_out_has "4 entries" "a layer line gives its entries"

deep deep-clean-gz
rows "$T_TMP/r.json" >"$T_TMP/rows"
expect_rc 0 "deep-clean-gz"
if command -v skopeo >/dev/null 2>&1 &&
  skopeo copy -q "oci:$F/deep-clean-gz:v1" "docker-archive:$T_TMP/docker.tar:test/deep:v1" >/dev/null 2>&1 &&
  skopeo copy -q "oci:$F/deep-clean-gz:v1" "dir:$T_TMP/dirform" >/dev/null 2>&1; then
  # docker-archive: skopeo writes the layers uncompressed, named by their diff_ids
  run verify --deep --json "$T_TMP/docker.tar"
  printf '%s' "$out" >"$T_TMP/d.json"
  expect_rc 0 "deep-clean as a docker save (skopeo)"
  expect_eq "$(rows "$T_TMP/d.json" | awk '{print $2, $3, $4, $5, $6}')" \
    "$(awk '{print "none", $3, $4, $5, $6}' "$T_TMP/rows")" \
    "docker save: each layer read, uncompressed, the same entries and diff_ids"
  run verify --deep --json "$T_TMP/dirform"
  printf '%s' "$out" >"$T_TMP/d.json"
  expect_rc 0 "deep-clean as a dir: layout (skopeo)"
  expect_eq "$(rows "$T_TMP/d.json" | awk '{print $3, $4, $5, $6}')" "$(awk '{print $3, $4, $5, $6}' "$T_TMP/rows")" \
    "dir: each layer read, the same entries and diff_ids"
  if skopeo copy -q "oci:$F/deep-hazards:v1" "docker-archive:$T_TMP/dh.tar:test/h:v1" >/dev/null 2>&1; then
    run verify --deep --json "$T_TMP/dh.tar"
    printf '%s' "$out" >"$T_TMP/d.json"
    expect_eq "$(codes "$T_TMP/d.json")" "layer-hardlink-missing layer-path-through-symlink layer-path-unsafe layer-setgid layer-setuid layer-special-file layer-whiteout-malformed layer-world-writable" \
      "deep-hazards as a docker save: the same hazards"
  else
    not_ok "skopeo could not write deep-hazards as a docker save"
  fi
else
  skip "verify --deep of a docker save and a dir: layout" "skopeo is needed to write them"
fi
finish
