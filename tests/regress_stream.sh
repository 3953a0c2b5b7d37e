#!/bin/sh
# regress_stream.sh: issue 12, defects 10, 11 and 16 (the archive parts): a blob streamed
# from stdin wherever it is, truncation never reported as absence, and one code per
# condition for stdin that cannot be read, cut members and sizes a header only claims.
# The archives are written here with python3 (tarfile, zipfile) and cut with head -c.
. "$TESTS_DIR/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "# SKIP: python3 is needed to build the fixtures of this suite"; exit 77; }
D=$T_TMP

# mk.py OUT ORDER LAYER_SIZE CONFIG_PAD [TAMPER]: an OCI layout as a pax tar.  ORDER:
# index-last (blobs, then oci-layout and index.json), index-first (oci-layout, index.json,
# layer, config, manifest), layer-last (oci-layout, index.json, manifest, config, layer).
# The layer is random bytes; TAMPER=1 flips a byte of the layer after it is named.
# Prints the digests of layer, manifest, config.
cat >"$D/mk.py" <<'EOF'
import hashlib, io, json, random, sys, tarfile
out, order, size, pad = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tamper = len(sys.argv) > 5
rnd = random.Random(size)
layer = bytes(rnd.getrandbits(8) for _ in range(size))
def d(b): return "sha256:" + hashlib.sha256(b).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"pad": "x" * pad}},
                  "rootfs": {"type": "layers", "diff_ids": [d(layer)]}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d(cfg), "size": len(cfg)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d(layer), "size": len(layer)}]}).encode()
idx = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": d(man), "size": len(man), "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()
names = (d(layer), d(man), d(cfg))
if tamper:
    layer = bytes([layer[0] ^ 1]) + layer[1:]
blobs = [("blobs/sha256/" + names[0][7:], layer), ("blobs/sha256/" + names[2][7:], cfg), ("blobs/sha256/" + names[1][7:], man)]
meta = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", idx)]
members = {"index-last": blobs + meta, "index-first": meta + blobs, "layer-last": meta + blobs[::-1]}[order]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for n, b in members:
        ti = tarfile.TarInfo(n)
        ti.size = len(b)
        t.addfile(ti, io.BytesIO(b))
print(*names)
EOF
mk() { python3 "$D/mk.py" "$@"; }
sha() { python3 -c 'import hashlib,sys; print("sha256:" + hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }
# runin FILE ARGS...: run with FILE on standard input.
runin() {
  stdin_file=$1
  shift
  ${OCIDIG_WRAPPER:-} "$OCIDIG" "$@" <"$stdin_file" >"$T_TMP/out" 2>"$T_TMP/err"
  rc=$?
  err=$(cat "$T_TMP/err")
}

# ------------------------------------------------ defect 10: cat - streams the blob as it passes
for order in index-last index-first; do
  set -- $(mk "$D/big-$order.tar" "$order" 8000000 0)
  L=$1
  runin "$D/big-$order.tar" cat - "$L"
  expect_rc 0 "defect 10: cat - of an 8 MB layer ($order)"
  expect_eq "$(sha "$T_TMP/out")" "$L" "defect 10: cat - of an 8 MB layer ($order): the bytes hash to the digest"
  run cat "$D/big-$order.tar" "$L"
  expect_eq "$(sha "$T_TMP/out")" "$L" "defect 10: cat FILE of an 8 MB layer ($order): the same bytes"
done
set -- $(mk "$D/small.tar" index-last 300000 0)
runin "$D/small.tar" cat - "$1"
expect_rc 0 "defect 10: cat - of a 300 KB layer before index.json"
expect_eq "$(sha "$T_TMP/out")" "$1" "defect 10: cat - of a 300 KB layer: the bytes hash to the digest"
runin "$D/small.tar" cat - "$3"
expect_rc 0 "defect 10: cat - of the config by digest"
# altered bytes: a large blob goes out unverified and exit 4; a small one is not written at all
set -- $(mk "$D/big-bad.tar" index-last 8000000 0 tamper)
runin "$D/big-bad.tar" cat - "$1"
expect_rc 4 "defect 10: cat - of an altered 8 MB layer"
expect_err_has "NOT verified" "defect 10: cat - of an altered 8 MB layer says the bytes written are not verified"
expect_err_has "digest-mismatch" "defect 10: cat - of an altered 8 MB layer: digest-mismatch"
set -- $(mk "$D/small-bad.tar" index-last 300000 0 tamper)
runin "$D/small-bad.tar" cat - "$1"
expect_rc 4 "defect 10: cat - of an altered 300 KB layer"
expect_eq "$(wc -c <"$T_TMP/out" | tr -d ' ')" 0 "defect 10: cat - of an altered 300 KB layer writes nothing"
# manifest/config need index.json first: a 5 MB config before it cannot be had from stdin, and the
# message says why; after it (and after the manifest) it streams.
mk "$D/bigcfg-before.tar" index-last 1000 5000000 >/dev/null
runin "$D/bigcfg-before.tar" cat - config
expect_rc 3 "defect 10: cat - config with a 5 MB config before index.json"
expect_err_has "not-rereadable" "defect 10: cat - config before index.json: not-rereadable"
expect_err_has "before index.json" "defect 10: cat - config before index.json: the message gives the order"
set -- $(mk "$D/bigcfg-after.tar" layer-last 1000 5000000)
runin "$D/bigcfg-after.tar" cat - config
expect_rc 0 "defect 10: cat - config with a 5 MB config after index.json and the manifest"
expect_eq "$(sha "$T_TMP/out")" "$3" "defect 10: cat - config (5 MB): the bytes hash to the config digest"
run cat "$D/bigcfg-before.tar" config
expect_rc 0 "defect 10: cat FILE config with a 5 MB config before index.json (a file is re-read)"

# ------------------------------------------------ defect 11: a cut archive is truncated, not absent
set -- $(mk "$D/ll.tar" layer-last 300000 0)
L=$1 M=$2 C=$3
gzip -9 -c "$D/ll.tar" >"$D/ll.tar.gz"
head -c 100000 "$D/ll.tar.gz" >"$D/cut-layer.tar.gz" # inside the layer (the last member)
head -c 100000 "$D/ll.tar" >"$D/cut-layer.tar"
head -c 2560 "$D/ll.tar" >"$D/cut-manifest.tar" # inside the manifest's header (after index.json)
for f in cut-layer.tar.gz cut-layer.tar; do
  run cat "$D/$f" "$L"
  expect_rc 3 "defect 11: cat $f LAYER (after the cut)"
  expect_err_has "truncated-archive" "defect 11: cat $f LAYER says truncated-archive"
  runin "$D/$f" cat - "$L"
  expect_rc 3 "defect 11: cat - LAYER < $f"
  expect_err_has "truncated-archive" "defect 11: cat - LAYER < $f says truncated-archive"
  for c in ls inspect verify; do
    run "$c" "$D/$f"
    expect_rc 3 "defect 11: $c $f"
    expect_err_has "truncated-archive" "defect 11: $c $f says truncated-archive"
  done
done
for w in "$M" "$C" "$L" manifest config; do
  run cat "$D/cut-manifest.tar" "$w"
  expect_rc 3 "defect 11: cat cut-manifest.tar $w"
  expect_err_has "truncated-archive" "defect 11: cat cut-manifest.tar $w says truncated-archive"
done
for c in resolve ls inspect verify; do
  runin "$D/cut-manifest.tar" "$c" -
  expect_rc 3 "defect 11: $c - < cut-manifest.tar"
  expect_err_has "truncated-archive" "defect 11: $c - < cut-manifest.tar says truncated-archive"
done

# ------------------------------------------------ defect 16: unreadable stdin, cut members, claimed sizes
"$OCIDIG" resolve - <&- >"$T_TMP/out" 2>"$T_TMP/err"
rc=$? err=$(cat "$T_TMP/err")
expect_rc 3 "defect 16: resolve - with standard input closed"
expect_err_has "standard input" "defect 16: closed stdin: the message names standard input"
expect_err_has "io-error" "defect 16: closed stdin: io-error"
runin "$D" resolve -
expect_rc 3 "defect 16: resolve - with a directory on standard input"
expect_err_has "standard input is a directory" "defect 16: a directory on stdin: said so"
expect_err_has "io-error" "defect 16: a directory on stdin: io-error"
"$OCIDIG" ls - 0>"$D/wo" >"$T_TMP/out" 2>"$T_TMP/err"
rc=$? err=$(cat "$T_TMP/err")
expect_rc 3 "defect 16: ls - with standard input open for writing only"
expect_err_has "standard input" "defect 16: stdin not readable: the message names standard input"
expect_err_has "io-error" "defect 16: stdin not readable: io-error"

cat >"$D/zip.py" <<'EOF'
import random, sys, zipfile
rnd = random.Random(1)
data = bytes(rnd.getrandbits(8) for _ in range(200000))
method = {"deflate": zipfile.ZIP_DEFLATED, "lzma": zipfile.ZIP_LZMA, "bzip2": zipfile.ZIP_BZIP2,
          "stored": zipfile.ZIP_STORED}[sys.argv[2]]
with zipfile.ZipFile(sys.argv[1], "w", method) as z:
    z.writestr("oci-layout", '{"imageLayoutVersion":"1.0.0"}')
    z.writestr("blobs/sha256/" + "a" * 64, data)
    z.writestr("index.json", '{"schemaVersion":2,"manifests":[]}')
EOF
for m in deflate lzma bzip2; do
  python3 "$D/zip.py" "$D/z-$m.zip" "$m"
  head -c 100000 "$D/z-$m.zip" >"$D/cut-$m.zip"
  for c in resolve ls verify; do
    run "$c" "$D/cut-$m.zip"
    expect_rc 3 "defect 16: $c of a $m zip cut mid-data"
    expect_err_has "truncated-archive" "defect 16: $c of a $m zip cut mid-data says truncated-archive"
  done
  runin "$D/cut-$m.zip" resolve -
  expect_err_has "truncated-archive" "defect 16: resolve - < a $m zip cut mid-data says truncated-archive"
done

# pax.py OUT MEMBER SIZE [TAIL]: oci-layout and index.json, MEMBER's pax header claiming SIZE bytes;
# index.json first unless TAIL (then: oci-layout, index.json, and a 6 MB member after it).
cat >"$D/pax.py" <<'EOF'
import io, sys, tarfile
out, member, size = sys.argv[1], sys.argv[2], sys.argv[3]
tail = len(sys.argv) > 4
files = [("index.json", b'{"schemaVersion":2,"manifests":[]}'), ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')]
if tail:
    files = files[::-1] + [("blobs/sha256/" + "b" * 64, b"\1" * 6000000)]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for n, b in files:
        ti = tarfile.TarInfo(n)
        ti.size = len(b)
        if n == member:
            ti.pax_headers = {"size": size}
        t.addfile(ti, io.BytesIO(b))
EOF
python3 "$D/pax.py" "$D/pax-index.tar" index.json 9223372036854775806
python3 "$D/pax.py" "$D/pax-index-tail.tar" index.json 9223372036854775806 tail
python3 "$D/pax.py" "$D/pax-layout.tar" oci-layout 100000000
for f in pax-index.tar pax-index-tail.tar pax-layout.tar; do
  for c in resolve ls inspect verify; do
    run "$c" "$D/$f"
    expect_rc 3 "defect 16: $c $f (a member claims more bytes than the archive holds)"
    expect_err_has "truncated-archive" "defect 16: $c $f says truncated-archive"
    runin "$D/$f" "$c" -
    expect_rc 3 "defect 16: $c - < $f"
    expect_err_has "truncated-archive" "defect 16: $c - < $f says truncated-archive"
  done
done
for f in pax-index.tar pax-index-tail.tar; do
  run cat "$D/$f" index.json
  expect_rc 3 "defect 16: cat $f index.json"
  expect_err_has "truncated-archive" "defect 16: cat $f index.json says truncated-archive"
done
# a complete index.json over the limit stays json-too-large
python3 -c 'import io,sys,tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
for n, b in (("oci-layout", b"{\"imageLayoutVersion\":\"1.0.0\"}"), ("index.json", b"{\"schemaVersion\":2,\"manifests\":[]" + b" " * 5000000 + b"}")):
    ti = tarfile.TarInfo(n); ti.size = len(b); t.addfile(ti, io.BytesIO(b))
t.close()' "$D/big-index.tar"
run resolve "$D/big-index.tar"
expect_rc 4 "defect 16: a complete 5 MB index.json is json-too-large"
expect_err_has "json-too-large" "defect 16: a complete 5 MB index.json: json-too-large"
# On stdin the view learns that index.json is there by reading past it, and a member over
# 4 MiB is not kept: it cannot be streamed again (a clear error, not a wrong answer; left
# for the view, issue 13).
runin "$D/big-index.tar" resolve -
case "$err" in
  *json-too-large* | *"cannot be re-read"*) ok "defect 16: a complete 5 MB index.json on stdin: json-too-large or not re-readable" ;;
  *) not_ok "defect 16: a complete 5 MB index.json on stdin: $err" ;;
esac

# ------------------------------------------------ review: a short digest of a large blob on stdin
# A short digest reads the whole stream to be unique, so a blob over 4 MiB has gone by: the
# message says that (not "before index.json": here index.json comes first), and what works.
for order in index-first index-last; do
  set -- $(mk "$D/big-$order.tar" "$order" 8000000 0)
  short=$(printf '%s' "$1" | cut -c1-19) # sha256: and 12 hex digits
  runin "$D/big-$order.tar" cat - "$short"
  expect_rc 3 "review: cat - <12-hex prefix> of an 8 MB layer ($order): not-rereadable"
  expect_err_has "not-rereadable" "review: cat - <12-hex prefix> ($order): the code"
  expect_err_has "short digest must read the whole stream" "review: cat - <12-hex prefix> ($order): the message says why"
  expect_err_has "$1" "review: cat - <12-hex prefix> ($order): the message gives the full digest"
  case "$err" in
  *"before index.json"*) not_ok "review: cat - <12-hex prefix> ($order): the message blames the order: $err" ;;
  *) ok "review: cat - <12-hex prefix> ($order): the message does not blame the order of the archive" ;;
  esac
  run cat "$D/big-$order.tar" "$short"
  expect_eq "$(sha "$T_TMP/out")" "$1" "review: cat FILE <12-hex prefix> of an 8 MB layer ($order): the bytes"
done

finish
