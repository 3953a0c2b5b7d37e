#!/usr/bin/env python3
"""Writes testdata/gzip/: gzip streams for tests/check_inflate.c, and expect.txt, what each
must decode to.  Made by gzip(1) where it can make them (-n: no name or time, so that the
output is the same on every run), the header variants gzip(1) never writes (FEXTRA,
FCOMMENT, FHCRC) by Python: RFC 1952's header fields, Python's zlib for the deflate data
and the CRC32.  The expectations come from how each stream was made, not from ocidig.

  python3 tests/gen_gzip.py testdata/gzip

expect.txt, one stream a line:  NAME STATUS OUTPUT HOW TOTAL_IN
  STATUS   end | trailing | truncated | corrupt
  OUTPUT   the plain file the decoded bytes are (or '-': none)
  HOW      all: exactly OUTPUT; prefix: a prefix of OUTPUT (decoding stopped inside it)
  TOTAL_IN compressed bytes consumed at the end (end: the size; trailing: where the
           trailing bytes begin), or '-' (not checked)
"""
import os
import random
import struct
import subprocess
import sys
import zlib

out = sys.argv[1] if len(sys.argv) > 1 else "testdata/gzip"
os.makedirs(out, exist_ok=True)
expect = []


def path(name):
    return os.path.join(out, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def gzip1(plain_name, *flags):
    """gzip(1) of a plain file, as bytes."""
    return subprocess.run(["gzip", "-c", *flags, path(plain_name)], check=True,
                          stdout=subprocess.PIPE).stdout


def exp(name, status, output="-", how="all", total_in="-"):
    expect.append("%s %s %s %s %s" % (name, status, output, how, total_in))


# Plain inputs: text-like lines (deflate finds matches, several blocks) and random bytes.
rnd = random.Random(14)
words = [b"layer", b"diff_id", b"whiteout", b"opaque", b"sha256", b"usr", b"lib", b"etc",
         b"bin", b"share", b"doc", b"tar", b"gzip", b"zstd", b"manifest", b"index"]
text = bytearray()
while len(text) < 48_000:
    text += b"/".join(rnd.choice(words) for _ in range(rnd.randint(2, 8)))
    text += b" %d\n" % rnd.randint(0, 1 << 30)
write("text.bin", bytes(text))
write("random.bin", bytes(rnd.getrandbits(8) for _ in range(12_000)))
write("empty.bin", b"")
write("text+random.bin", bytes(text) + open(path("random.bin"), "rb").read())

text_gz = gzip1("text.bin", "-6", "-n")
random_gz = gzip1("random.bin", "-9", "-n")
empty_gz = gzip1("empty.bin", "-n")

# Correct streams
write("text.gz", text_gz)
exp("text.gz", "end", "text.bin", "all", len(text_gz))
write("random.gz", random_gz)
exp("random.gz", "end", "random.bin", "all", len(random_gz))
write("empty-member.gz", empty_gz)
exp("empty-member.gz", "end", "empty.bin", "all", len(empty_gz))
fast = gzip1("text.bin", "-1", "-n")
write("text-fast.gz", fast)
exp("text-fast.gz", "end", "text.bin", "all", len(fast))
# gzip(1) without -n: FNAME (the file's name) and MTIME
named = gzip1("text.bin", "-6")
write("fname.gz", named)
exp("fname.gz", "end", "text.bin", "all", len(named))
# Members concatenated (gzip a; gzip b; cat), an empty member between them
multi = text_gz + empty_gz + random_gz
write("multi.gz", multi)
exp("multi.gz", "end", "text+random.bin", "all", len(multi))

# Data after the last member
write("trailing-zeros.gz", text_gz + bytes(1024))
exp("trailing-zeros.gz", "trailing", "text.bin", "all", len(text_gz))
write("trailing-garbage.gz", multi + b"garbage after the stream\n")
exp("trailing-garbage.gz", "trailing", "text+random.bin", "all", len(multi))
write("trailing-1f.gz", text_gz + b"\x1f\x00")  # the magic's first byte, not the second
exp("trailing-1f.gz", "trailing", "text.bin", "all", len(text_gz))

# Cut short
write("cut-header-1.gz", text_gz[:1])
exp("cut-header-1.gz", "truncated", "empty.bin", "all")
write("cut-header-3.gz", text_gz[:3])
exp("cut-header-3.gz", "truncated", "empty.bin", "all")
write("cut-header-name.gz", named[:14])  # inside the file name
exp("cut-header-name.gz", "truncated", "empty.bin", "all")
write("cut-data.gz", text_gz[:len(text_gz) // 2])
exp("cut-data.gz", "truncated", "text.bin", "prefix")
write("cut-trailer.gz", text_gz[:-3])
exp("cut-trailer.gz", "truncated", "text.bin", "prefix")
write("cut-second-member.gz", text_gz + random_gz[:5])
exp("cut-second-member.gz", "truncated", "text.bin", "all")
write("cut-after-magic.gz", text_gz + b"\x1f")
exp("cut-after-magic.gz", "truncated", "text.bin", "all")
write("empty.gz", b"")
exp("empty.gz", "truncated", "empty.bin", "all")

# Corrupt
crc = bytearray(text_gz)
crc[-8] ^= 0x01
write("crc-flipped.gz", bytes(crc))
exp("crc-flipped.gz", "corrupt", "text.bin", "prefix")
isize = bytearray(text_gz)
isize[-4] ^= 0x01
write("isize-flipped.gz", bytes(isize))
exp("isize-flipped.gz", "corrupt", "text.bin", "prefix")
crc2 = bytearray(random_gz)
crc2[-6] ^= 0x80
write("crc-second-member.gz", text_gz + bytes(crc2))
exp("crc-second-member.gz", "corrupt", "text+random.bin", "prefix")
block = bytearray(text_gz)
block[10] = 0x07  # BFINAL 1, BTYPE 11: a reserved block type
write("bad-block.gz", bytes(block))
exp("bad-block.gz", "corrupt", "empty.bin", "all")
method = bytearray(text_gz)
method[2] = 7
write("bad-method.gz", bytes(method))
exp("bad-method.gz", "corrupt", "empty.bin", "all")
flags = bytearray(text_gz)
flags[3] |= 0x20
write("reserved-flag.gz", bytes(flags))
exp("reserved-flag.gz", "corrupt", "empty.bin", "all")
write("not-gzip.gz", open(path("text.bin"), "rb").read()[:4096])
exp("not-gzip.gz", "corrupt", "empty.bin", "all")
zst = subprocess.run(["zstd", "-q", "-c", path("text.bin")], check=True, stdout=subprocess.PIPE).stdout
write("zstd.gz", zst)
exp("zstd.gz", "corrupt", "empty.bin", "all")


# Header fields gzip(1) does not write: built from RFC 1952, deflate and CRC32 by zlib.
def member(plain, extra=None, name=None, comment=None, hcrc=False, bad_hcrc=False):
    flg = 0
    tail = b""
    if extra is not None:
        flg |= 4
        tail += struct.pack("<H", len(extra)) + extra
    if name is not None:
        flg |= 8
        tail += name + b"\0"
    if comment is not None:
        flg |= 16
        tail += comment + b"\0"
    if hcrc:
        flg |= 2
    head = b"\x1f\x8b\x08" + bytes([flg]) + struct.pack("<I", 1700000000) + b"\x00\x03" + tail
    if hcrc:
        c = zlib.crc32(head) & 0xFFFF
        if bad_hcrc:
            c ^= 0x0101
        head += struct.pack("<H", c)
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = co.compress(plain) + co.flush()
    return head + body + struct.pack("<II", zlib.crc32(plain), len(plain) & 0xFFFFFFFF)


plain = open(path("text.bin"), "rb").read()
sub = b"RA" + struct.pack("<H", 6) + b"random" + b"ZZ" + struct.pack("<H", 0)
all_fields = member(plain, extra=sub, name=b"layer.tar", comment=b"a comment, made by Python", hcrc=True)
write("header-all-fields.gz", all_fields)
exp("header-all-fields.gz", "end", "text.bin", "all", len(all_fields))
big_extra = member(plain, extra=b"XY" + struct.pack("<H", 65531) + bytes(range(256)) * 255 + bytes(11),
                   name=b"n" * 5000, comment=b"c" * 5000)
write("header-big-fields.gz", big_extra)
exp("header-big-fields.gz", "end", "text.bin", "all", len(big_extra))
empty_extra = member(plain, extra=b"", hcrc=True)
write("header-empty-extra.gz", empty_extra)
exp("header-empty-extra.gz", "end", "text.bin", "all", len(empty_extra))
bad_hcrc = member(plain, name=b"layer.tar", hcrc=True, bad_hcrc=True)
write("header-bad-hcrc.gz", bad_hcrc)
exp("header-bad-hcrc.gz", "corrupt", "empty.bin", "all")
two = all_fields + big_extra
write("header-fields-multi.gz", two)
exp("header-fields-multi.gz", "end", "text+text.bin", "all", len(two))
write("text+text.bin", plain + plain)

with open(path("expect.txt"), "w") as f:
    f.write("# written by tests/gen_gzip.py: NAME STATUS OUTPUT HOW TOTAL_IN\n")
    f.write("\n".join(expect) + "\n")
