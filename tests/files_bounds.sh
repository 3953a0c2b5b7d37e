#!/bin/sh
# files_bounds.sh: what `ocidig files` says of names the tree skips for its bounds (tree.h):
# a name or a symbolic link's target of 4,096 bytes or more (Linux refuses it: ENAMETOOLONG),
# and entries whose missing parents pass the bound on implicit directories (65,536 and 4 an
# entry).  One uncompressed layer written by Python's tarfile (PAX names): ok/file, a name of
# 4,096 bytes, a link to a target of 5,000 bytes, then 40 files d0..d39 each beneath 2,000
# directories no entry sets: 1,999 "a" and d<i> (the 33rd and after pass 65,536 + 4 x 43).
. "$TESTS_DIR/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "files bounds" "python3 is needed"
  finish
  exit $?
fi
L="$T_TMP/lay"
layout "$L"
python3 - "$T_TMP/layer.tar" <<'PY'
import io, sys, tarfile
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as tf:
    def f(name, data=b""):
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644; ti.mtime = 1577836800
        tf.addfile(ti, io.BytesIO(data))
    f("ok/file", b"ok\n")
    f("long/" + "/".join(["c" * 199] * 20) + "/" + "c" * 91)  # 4,096 bytes
    ti = tarfile.TarInfo("lnk"); ti.type = tarfile.SYMTYPE; ti.linkname = "t" * 5000; tf.addfile(ti)
    for i in range(40):
        f("d%d/" % i + "a/" * 1999 + "f", b"deep\n")
open(sys.argv[1], "wb").write(b.getvalue())
PY
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$(sha "$T_TMP/layer.tar")" >"$T_TMP/config.json"
cfg=$(blob "$L" "$T_TMP/config.json" application/vnd.oci.image.config.v1+json)
lyr=$(blob "$L" "$T_TMP/layer.tar" application/vnd.oci.image.layer.v1.tar)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
  "$cfg" "$lyr" >"$T_TMP/manifest.json"
index "$L" "$(blob "$L" "$T_TMP/manifest.json" application/vnd.oci.image.manifest.v1+json)"

run files --json "$L"
expect_rc 0 "files over names past the tree's bounds"
got=$(printf '%s' "$out" | python3 -c 'import json, sys; s = json.load(sys.stdin)["summary"]
print(s["entriesTooLong"], s["entriesOverBound"], s["entriesSkipped"], s["files"])')
expect_eq "$got" "2 8 10 33" "too long: the 4,096-byte name and the link; over the bound: d32..d39; files: ok/file, d0..d31"
run files "$L" ok
expect_rc 0 "files, text"
expect_out_has "2 entries skipped (a name or link target of 4096 bytes or more: no unpacker makes it); 8 entries skipped (past the bound on implicit directories)" "the text summary says both"
run files "$L" d32
expect_out_lacks "d32/a" "nothing of a skipped entry is made"
run cat --file /ok/file "$L"
expect_rc 0 "cat --file beside them"
expect_eq "$out" "ok" "its bytes"
finish
