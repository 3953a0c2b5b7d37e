#!/bin/bash
# Writes testdata/layer-reader/: layer streams for tests/check_layer.c (the layer reader),
# each made by a real tool: GNU tar, bsdtar, Python's tarfile, gzip, zstd; the broken ones
# cut or extended with head/cat.  Beside each stream the expectations, also made by the
# tools, never by ocidig: NAME.list (the names, as `bsdtar -tf` lists them), NAME.sha256
# (sha256sum of the stream), NAME.files (sha256sum of each regular file's bytes, as
# `bsdtar -xO` extracts them).  The output is committed; run again only to change it:
#   tests/gen_layer_reader.sh testdata/layer-reader
set -euo pipefail
out=${1:?usage: gen_layer_reader.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C.UTF-8 TZ=UTC
MT='2024-01-02 03:04:05'

# ---- a tree: files, directories, a symlink, a hard link, an empty file, a sparse file
t=$work/tree
mkdir -p "$t/etc" "$t/usr/bin" "$t/usr/share/doc" "$t/var/empty"
printf 'NAME="Test"\nID=test\n' >"$t/etc/os-release"
printf '#!/bin/sh\necho hi\n' >"$t/usr/bin/hello"
chmod 0755 "$t/usr/bin/hello"
: >"$t/etc/empty"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3000)' >"$t/usr/share/doc/bytes.bin"
ln -s ../usr/bin/hello "$t/etc/hello-link"
ln "$t/usr/bin/hello" "$t/usr/bin/hello-hard"
truncate -s 3000000 "$t/usr/share/doc/sparse.img"
printf 'middle' | dd of="$t/usr/share/doc/sparse.img" bs=1 seek=1500000 conv=notrunc status=none
printf 'end' | dd of="$t/usr/share/doc/sparse.img" bs=1 seek=2999997 conv=notrunc status=none
long=$t/usr/share/doc/a-directory-name-that-is-long-enough-to-need-an-extended-header
mkdir -p "$long"
printf 'long\n' >"$long/and-a-file-name-that-makes-the-path-longer-than-one-hundred-bytes.txt"
find "$t" -exec touch -h -d "$MT" {} +

expect() { # NAME: .list, .sha256, .files of the plain tar NAME.tar
  local n=$1
  bsdtar -tf "$out/$n.tar" >"$out/$n.list"
  sha256sum <"$out/$n.tar" | cut -d' ' -f1 >"$out/$n.sha256"
  : >"$out/$n.files"
  while IFS= read -r name; do
    case $name in */) continue ;; esac
    type=$(bsdtar -tvf "$out/$n.tar" "$name" 2>/dev/null | head -1 | cut -c1)
    [ "$type" = - ] || continue
    h=$(bsdtar -xOf "$out/$n.tar" "$name" | sha256sum | cut -d' ' -f1)
    printf '%s  %s\n' "$h" "$name" >>"$out/$n.files"
  done <"$out/$n.list"
}

# GNU tar, gnu format (long names: ././@LongLink), the sparse file stored sparse (-S)
tar -C "$t" --format=gnu -S --owner=0 --group=0 --numeric-owner --sort=name -cf "$out/gnu.tar" etc usr var
expect gnu
# bsdtar, pax format (long names in pax headers)
(cd "$t" && bsdtar --format pax --uid 0 --gid 0 -cf "$out/bsd.tar" etc usr var)
expect bsd

# Python's tarfile: what a hostile or unusual layer holds (devices, a fifo, setuid, names
# that leave the root, a hard link to nothing, whiteouts)
python3 - "$out/py.tar" <<'EOF'
import io, sys, tarfile
def add(tf, name, type=tarfile.REGTYPE, data=b"", mode=0o644, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = type
    ti.mode = mode
    ti.mtime = 1704164645
    for k, v in kw.items():
        setattr(ti, k, v)
    if type == tarfile.REGTYPE:
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    else:
        tf.addfile(ti)
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tf:
    add(tf, "./", tarfile.DIRTYPE, mode=0o755)
    add(tf, "./dev/", tarfile.DIRTYPE, mode=0o755)
    add(tf, "./dev/null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3)
    add(tf, "./dev/sda", tarfile.BLKTYPE, mode=0o660, devmajor=8, devminor=0)
    add(tf, "./dev/pipe", tarfile.FIFOTYPE, mode=0o644)
    add(tf, "./bin/", tarfile.DIRTYPE, mode=0o755)
    add(tf, "./bin/su", data=b"setuid\n", mode=0o4755)
    add(tf, "./bin/wall", data=b"setgid\n", mode=0o2755)
    add(tf, "./tmp/", tarfile.DIRTYPE, mode=0o1777)
    add(tf, "./open/", tarfile.DIRTYPE, mode=0o777)
    add(tf, "./open/file", data=b"anyone\n", mode=0o666)
    add(tf, "/abs/name", data=b"absolute\n")
    add(tf, "../outside", data=b"dotdot\n")
    add(tf, "a/../../b", data=b"dotdot2\n")
    add(tf, "bin/sh-hard", tarfile.LNKTYPE, linkname="bin/does-not-exist")
    add(tf, "etc/", tarfile.DIRTYPE, mode=0o755)
    add(tf, "etc/.wh.passwd")
    add(tf, "etc/.wh.shadow", data=b"not empty\n")
    add(tf, "var/.wh..wh..opq")
    add(tf, "etc/link", tarfile.SYMTYPE, linkname="/etc/passwd")
    add(tf, "etc/link/through", data=b"through a symlink\n")
    add(tf, "etc/caf\u00e9", data=b"utf-8 name\n")
EOF
expect py

# an empty layer: the end-of-archive marker alone (docker's empty layer), and nothing at all
tar -cf "$out/empty.tar" -T /dev/null
expect empty
: >"$out/zero.tar"

# compressed
gzip -n -6 -c "$out/gnu.tar" >"$out/gnu.tar.gz"
zstd -q -3 -c "$out/gnu.tar" >"$out/gnu.tar.zst"
gzip -n -c "$out/empty.tar" >"$out/empty.tar.gz"
# two gzip members, two zstd frames (and a skippable frame between): one stream each
head -c 10240 "$out/bsd.tar" >"$work/part1"
tail -c +10241 "$out/bsd.tar" >"$work/part2"
{ gzip -n -c "$work/part1"; gzip -n -c "$work/part2"; } >"$out/bsd.tar.gz"
{ zstd -q -c "$work/part1"; printf '\x50\x2a\x4d\x18\x04\x00\x00\x00skip'; zstd -q -c "$work/part2"; } >"$out/bsd.tar.zst"

# broken streams
size=$(stat -c %s "$out/gnu.tar.gz")
head -c $((size - 100)) "$out/gnu.tar.gz" >"$out/cut.tar.gz"
{ cat "$out/gnu.tar.gz"; printf 'garbage after the member\n'; } >"$out/trailing.tar.gz"
{ cat "$out/gnu.tar.gz"; head -c 4096 /dev/zero; } >"$out/zeros-after.tar.gz"
size=$(stat -c %s "$out/gnu.tar.zst")
head -c $((size - 50)) "$out/gnu.tar.zst" >"$out/cut.tar.zst"
{ cat "$out/gnu.tar.zst"; printf 'garbage after the frame\n'; } >"$out/trailing.tar.zst"
# a zstd window of 256 MiB (--long=28, from a pipe: the header keeps it): valid, over the bound
zstd -q --long=28 -c <"$out/py.tar" >"$out/bigwindow.tar.zst"
printf 'this is not compressed at all, it is text of some length....\n' >"$out/text.bin"
# a tar cut inside an entry's data, cut inside a header, and without its end-of-archive
# marker (cut after the last entry: bsdtar's listing of it says where that is)
head -c 3000 "$out/gnu.tar" >"$out/cut-data.tar"
head -c 10500 "$out/py.tar" >"$out/cut-header.tar"
python3 - "$out/py.tar" "$out/nomarker.tar" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1]) as tf:
    tf.getmembers()
    end = tf.offset  # after the last member's data blocks, before the zero blocks
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(data[:end])
EOF
# a damaged header: the checksum of the third header broken
python3 - "$out/py.tar" "$out/badsum.tar" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
import tarfile
with tarfile.open(sys.argv[1]) as tf:
    m = tf.getmembers()[2]
off = m.offset
d[off + 148:off + 156] = b"0000000\0"
open(sys.argv[2], "wb").write(bytes(d))
EOF
for f in cut-data cut-header nomarker badsum; do sha256sum <"$out/$f.tar" | cut -d' ' -f1 >"$out/$f.sha256"; done
for f in "$out"/*.gz "$out"/*.zst "$out/text.bin" "$out/zero.tar" "$out/gnu.tar"; do sha256sum <"$f" | cut -d' ' -f1 >"$f.sha256"; done
echo "wrote $out"
