#!/bin/bash
# archive_gzip.sh: a .tar.gz source (file, stdin from a file, stdin from a pipe) reads the
# same whether libarchive's gzip filter inflates it or, built with ISA-L, src/lib/inflate.c
# does (the tar given to libarchive through its read callback; source/archive.c): same
# answers as the plain tar, the same exit codes for a stream cut short or corrupt, data
# after the last member not read and the CRC32 not checked (as libarchive's filter: the
# blobs are checked against their digests), members concatenated, and
# anything not gzip (a plain tar, zstd) read by libarchive as before, a plain tar on a pipe
# too.  CI runs it in both builds.  Archives made here by GNU tar, gzip and zstd.
. "$TESTS_DIR/lib.sh"
W=$T_TMP/w
mkdir -p "$W"
tar -C "$TESTDATA/layers/shared-layer" -cf "$W/img.tar" .
gzip -n -6 -c "$W/img.tar" >"$W/img.tar.gz"
# blobs first, index.json last: what the walk needs has gone by and is read again
(cd "$TESTDATA/layers/shared-layer" && tar -cf - blobs oci-layout index.json) | gzip -n -c >"$W/last.tar.gz"
zstd -q -c "$W/img.tar" >"$W/img.tar.zst"
n=$(stat -c %s "$W/img.tar")
head -c $((n / 3)) "$W/img.tar" | gzip -n -c >"$W/multi.tar.gz"   # three members: one tar
tail -c +$((n / 3 + 1)) "$W/img.tar" | head -c $((n / 3)) | gzip -n -1 -c >>"$W/multi.tar.gz"
tail -c +$((2 * (n / 3) + 1)) "$W/img.tar" | gzip -n -9 -c >>"$W/multi.tar.gz"
{ cat "$W/img.tar.gz"; printf 'trailing garbage\n'; } >"$W/trailing.tar.gz"
gz=$(stat -c %s "$W/img.tar.gz")
head -c $((gz / 2)) "$W/img.tar.gz" >"$W/cut.tar.gz"
python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[10] = 0x07  # the first deflate block: BFINAL 1, BTYPE 11 (reserved)
open(sys.argv[2], "wb").write(d)' "$W/img.tar.gz" "$W/bad.tar.gz"
python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[-8] ^= 0x01  # the CRC32: libarchive does not check it, nor then does the ISA-L build
open(sys.argv[2], "wb").write(d)' "$W/img.tar.gz" "$W/crc.tar.gz"
head -c 5000 /dev/urandom | gzip -c >"$W/notar.gz"

# The plain tar's answers, against which the rest are compared.
# one line: the exit status and the JSON on stdout, compact, without what names the source
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
strip() { sed -e "s|$W/[a-z.]*|SRC|g" -e 's|"source": *"[^"]*"||g'; }
want=$(printf '%s' "$want" | strip)
for f in img.tar.gz last.tar.gz multi.tar.gz trailing.tar.gz crc.tar.gz img.tar.zst; do
  expect_eq "$(answers "$W/$f" | strip)" "$want" "$f: the plain tar's answers (resolve, verify, ls)"
done
got=$( (run resolve --json --platform linux/arm64 - <"$W/img.tar.gz"; line) | strip)
expect_eq "$got" "$(printf '%s' "$want" | head -1)" "img.tar.gz on stdin (a file): resolve as the plain tar"
got=$(cat "$W/img.tar.gz" | { run resolve --json --platform linux/arm64 -; line; } | strip)
expect_eq "$got" "$(printf '%s' "$want" | head -1)" "img.tar.gz on a pipe: resolve as the plain tar"
got=$(cat "$W/img.tar" | { run verify -; printf '%s' "$rc"; })
expect_eq "$got" 0 "plain tar on a pipe (not gzip: given to libarchive as read): verify exit 0"
got=$(cat "$W/multi.tar.gz" | { run verify -; printf '%s' "$rc"; })
expect_eq "$got" 0 "three gzip members on a pipe: verify exit 0"

# Cut short, corrupt: exit 3, the same code in both builds.
for src in file stdin pipe; do
  for case in "cut truncated-archive" "bad corrupt-archive"; do
    set -- $case
    if [ $src = file ]; then run verify "$W/$1.tar.gz"
    elif [ $src = stdin ]; then run verify - <"$W/$1.tar.gz"
    else cat "$W/$1.tar.gz" | { run verify -; echo "$rc" >"$T_TMP/rc"; echo "$err" >"$T_TMP/e"; }
      rc=$(cat "$T_TMP/rc"); err=$(cat "$T_TMP/e"); fi
    expect_rc 3 "$1.tar.gz ($src): verify"
    expect_err_has "($2)" "$1.tar.gz ($src): $2"
  done
done
run verify "$W/notar.gz"
expect_rc 3 "gzip of random bytes: not a layout"
expect_err_has "(not-a-layout)" "gzip of random bytes: not-a-layout"
finish
