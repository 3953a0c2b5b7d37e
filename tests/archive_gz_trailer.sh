#!/bin/bash
# archive_gz_trailer.sh: a .tar.gz's gzip trailers (CRC32, ISIZE) are read past, not checked,
# by the archive source (built with ISA-L its decoder does not compute the CRC32: a SHA-256
# beside ISA-L's CRC32 ran 30% slower, verify of a .tar.gz 1.24 -> 1.64 s), as libarchive's
# gzip filter does (--without-isal): a stream of three gzip members whose first has a wrong
# CRC32 and second a wrong ISIZE reads on into the next member and answers as the plain tar,
# and bsdtar lists it whole too; a stream cut inside its last trailer is still cut short
# (exit 3).  CI runs it in both builds.  Archives made here by GNU tar and gzip.
. "$TESTS_DIR/lib.sh"
W=$T_TMP/w
mkdir -p "$W"
tar -C "$TESTDATA/layers/shared-layer" -cf "$W/img.tar" .
n=$(stat -c %s "$W/img.tar")
head -c $((n / 3)) "$W/img.tar" | gzip -n -c >"$W/m1.gz"
tail -c +$((n / 3 + 1)) "$W/img.tar" | head -c $((n / 3)) | gzip -n -c >"$W/m2.gz"
tail -c +$((2 * (n / 3) + 1)) "$W/img.tar" | gzip -n -c >"$W/m3.gz"
cat "$W/m1.gz" "$W/m2.gz" "$W/m3.gz" >"$W/good.tar.gz"
python3 -c '
import sys
m1, m2, m3 = (bytearray(open(p, "rb").read()) for p in sys.argv[1:4])
m1[-8] ^= 0x01  # member 1: the CRC32
m2[-4] ^= 0x01  # member 2: the ISIZE
open(sys.argv[4], "wb").write(m1 + m2 + m3)' "$W/m1.gz" "$W/m2.gz" "$W/m3.gz" "$W/bad.tar.gz"
gzip -t "$W/good.tar.gz" 2>/dev/null && ok "gzip -t: the three members are sound" || not_ok "gzip -t good.tar.gz"
gzip -t "$W/bad.tar.gz" 2>/dev/null && not_ok "gzip -t accepts bad.tar.gz" || ok "gzip -t: bad.tar.gz has bad trailers"
gz=$(stat -c %s "$W/good.tar.gz")
head -c $((gz - 3)) "$W/good.tar.gz" >"$W/cut-trailer.tar.gz"

# libarchive's own reading: the names bsdtar lists are the plain tar's, bad trailers or not.
want=$(bsdtar -tf "$W/img.tar")
expect_eq "$(bsdtar -tf "$W/bad.tar.gz" 2>&1)" "$want" "bsdtar lists bad.tar.gz whole (libarchive reads past the trailers)"

line() { printf '%s %s\n' "$rc" "$(printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
d.pop("source", None)
print(json.dumps(d, sort_keys=True))' 2>&1)"; }
answers() { # SOURCE
  run resolve --json --platform linux/arm64 "$@"
  line
  run verify --json "$@"
  line
  run ls --json "$@"
  line
}
want=$(answers "$W/img.tar")
case "$want" in "0 "*) ok "plain tar: resolve exit 0" ;; *) not_ok "plain tar: $want" ;; esac
for f in good.tar.gz bad.tar.gz; do
  expect_eq "$(answers "$W/$f")" "$want" "$f: the plain tar's answers (resolve, verify, ls)"
done
got=$(cat "$W/bad.tar.gz" | { run verify --json -; line; })
expect_eq "$got" "$(printf '%s' "$want" | sed -n 2p)" "bad.tar.gz on a pipe: verify as the plain tar"

for src in file pipe; do
  if [ $src = file ]; then run verify "$W/cut-trailer.tar.gz"
  else cat "$W/cut-trailer.tar.gz" | { run verify -; echo "$rc" >"$T_TMP/rc"; echo "$err" >"$T_TMP/e"; }
    rc=$(cat "$T_TMP/rc"); err=$(cat "$T_TMP/e"); fi
  expect_rc 3 "cut-trailer.tar.gz ($src): verify"
  expect_err_has "(truncated-archive)" "cut-trailer.tar.gz ($src): truncated-archive"
done
finish
