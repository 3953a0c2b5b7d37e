#!/usr/bin/env python3
"""gen.py OUTDIR: writes the hostile inputs of tests/adversarial.sh and their expectations.

Python 3 standard library only.  Every input is generated (a few MB in all, about a second);
nothing random: the same bytes every run.  OUTDIR/cases.tsv gets one line per case:

    name <TAB> exit <TAB> error-code <TAB> check <TAB> arg...

- exit: the exit status `ocidig` must give;
- error-code: the `error.code` of the JSON report ("a|b": either), or "-" for none;
- check: "-" or a text the JSON report (stdout) must contain; "!esc" means that stderr
  must hold no control character (the case then runs without --json);
- arg...: the command line after `ocidig`.

A case whose input cannot be made here (a device node without privileges) is left out.
Cases that apply to both kinds of input are written twice, NAME.dir and NAME.tar.
"""

import gzip
import hashlib
import io
import json
import lzma
import os
import stat
import struct
import sys
import tarfile
import zlib

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYOUT = b'{"imageLayoutVersion":"1.0.0"}'

OUT = None
CASES = []


def sha(b):
    return hashlib.sha256(b).hexdigest()


def jdump(o):
    return json.dumps(o, separators=(",", ":")).encode()


def blob_path(b):
    return "blobs/sha256/" + sha(b)


def desc(mt, b, **kw):
    d = {"mediaType": mt, "digest": "sha256:" + sha(b), "size": len(b)}
    d.update(kw)
    return d


# ------------------------------------------------------------------ entries
# A layout is an ordered list of entries: (name, kind, payload).  kind is one of
# file, dir, symlink, hardlink, fifo, chr, blk; payload is the bytes of a file or the
# target of a link.


class Layout:
    def __init__(self):
        self.entries = []

    def copy(self):
        c = Layout()
        c.entries = list(self.entries)
        return c

    def add(self, name, data, kind="file"):
        self.entries.append((name, kind, data))
        return self

    def put(self, name, data, kind="file"):
        """Replaces the entry of that name (keeping its place), or appends one."""
        for i, (n, _, _) in enumerate(self.entries):
            if n == name:
                self.entries[i] = (name, kind, data)
                return self
        return self.add(name, data, kind)

    def remove(self, name):
        self.entries = [e for e in self.entries if e[0] != name]
        return self

    def get(self, name):
        for n, k, d in self.entries:
            if n == name:
                return d
        raise KeyError(name)

    def blob(self, data):
        return self.add(blob_path(data), data)

    def move_to_end(self, name):
        e = [x for x in self.entries if x[0] == name]
        self.entries = [x for x in self.entries if x[0] != name] + e
        return self

    def move_to_front(self, name):
        e = [x for x in self.entries if x[0] == name]
        self.entries = e + [x for x in self.entries if x[0] != name]
        return self


def write_dir(layout, path):
    os.makedirs(path, exist_ok=True)
    for name, kind, data in layout.entries:
        p = os.path.join(path, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if kind == "file":
            with open(p, "wb") as f:
                f.write(data)
        elif kind == "dir":
            os.makedirs(p, exist_ok=True)
        elif kind == "symlink":
            os.symlink(data, p)
        elif kind == "fifo":
            os.mkfifo(p)
        elif kind in ("chr", "blk"):
            os.mknod(p, 0o600 | (stat.S_IFCHR if kind == "chr" else stat.S_IFBLK), os.makedev(1, 5))
        else:
            raise ValueError(kind)
    return path


TAR_KINDS = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
    "fifo": tarfile.FIFOTYPE,
    "chr": tarfile.CHRTYPE,
    "blk": tarfile.BLKTYPE,
}


def tar_header(name, kind="file", size=0, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = TAR_KINDS[kind]
    ti.size = size if kind == "file" else 0
    ti.mode = 0o755 if kind == "dir" else 0o644
    ti.mtime = 1577836800
    ti.linkname = link
    if kind in ("chr", "blk"):
        ti.devmajor, ti.devminor = 1, 5
    return ti.tobuf(format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape")


def pad512(n):
    return b"\0" * ((512 - n % 512) % 512)


def tar_bytes(layout, end=True):
    """The tar stream of a layout; also the offsets of each member (header, data, end)."""
    out = io.BytesIO()
    offsets = {}
    for name, kind, data in layout.entries:
        start = out.tell()
        if kind == "file":
            out.write(tar_header(name, "file", len(data)))
            dstart = out.tell()
            out.write(data)
            out.write(pad512(len(data)))
        elif kind in ("symlink", "hardlink"):
            out.write(tar_header(name, kind, 0, data))
            dstart = out.tell()
        else:
            out.write(tar_header(name, kind))
            dstart = out.tell()
        offsets.setdefault(name, []).append((start, dstart, out.tell()))
    if end:
        out.write(b"\0" * 1024)
    return out.getvalue(), offsets


def compress(data, how):
    if how == "gz":
        return gzip.compress(data, 6, mtime=0)
    if how == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)
    if how == "zst":
        return zstd_frame(data)
    raise ValueError(how)


def zstd_frame(data):
    """A valid zstd frame made of raw blocks (the format needs no compressor for that)."""
    out = bytearray(b"\x28\xb5\x2f\xfd")
    # Frame header: single segment, 8-byte content size, content checksum off.
    out += bytes([0xE0]) + struct.pack("<Q", len(data))
    pos = 0
    maxblock = 128 * 1024
    while True:
        chunk = data[pos:pos + maxblock]
        pos += len(chunk)
        last = pos >= len(data)
        hdr = (len(chunk) << 3) | (0 << 1) | (1 if last else 0)  # raw block
        out += struct.pack("<I", hdr)[:3] + chunk
        if last:
            break
    return bytes(out)


def zstd_rle_frames(total, frame=1 << 30):
    """zstd frames of RLE blocks of zeros: about 4 bytes of input per 128 KiB of output."""
    out = bytearray()
    left = total
    while left > 0:
        n = min(frame, left)
        left -= n
        # No content size, no single segment: a 128 KiB window (Window_Descriptor 0x38).
        out += b"\x28\xb5\x2f\xfd" + bytes([0x00, 0x38])
        m = n
        while m > 0:
            b = min(m, 128 * 1024)
            m -= b
            hdr = (b << 3) | (1 << 1) | (1 if m == 0 else 0)  # RLE block
            out += struct.pack("<I", hdr)[:3] + b"\0"
    return bytes(out)


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def write_tar(layout, path, how=None, end=True):
    data, _ = tar_bytes(layout, end)
    if how:
        data = compress(data, how)
    return write_file(path, data)


# ------------------------------------------------------------------ cases

RESOLVE = ["resolve", "--json", "--platform", "linux/amd64"]


def case(name, exit_code, code, args, check="-"):
    CASES.append((name, str(exit_code), code or "-", check or "-", args))


def both(name, layout, exit_code, code, check="-", args=RESOLVE, tar=True, dir_=True):
    """The same layout as a directory and as a tar archive."""
    if dir_:
        case(name + ".dir", exit_code, code, args + [write_dir(layout, os.path.join(OUT, name + ".dir"))], check)
    if tar:
        case(name + ".tar", exit_code, code, args + [write_tar(layout, os.path.join(OUT, name + ".tar"))], check)


def dir_case(name, layout, exit_code, code, check="-", args=RESOLVE):
    both(name, layout, exit_code, code, check, args, tar=False)


def tar_case(name, layout, exit_code, code, check="-", args=RESOLVE, how=None):
    ext = ".tar" + ("." + how if how else "")
    case(name + ext, exit_code, code, args + [write_tar(layout, os.path.join(OUT, name + ext), how)], check)


def raw_case(name, data, exit_code, code, check="-", args=RESOLVE):
    case(name, exit_code, code, args + [write_file(os.path.join(OUT, name), data)], check)


# ------------------------------------------------------------------ the good image


class Image:
    """index.json -> [amd64 manifest, arm64 manifest], each with a config and a layer."""

    def __init__(self):
        layer_tar = tarfile_bytes({"hello.txt": b"hello from a layer\n"})
        self.layer = gzip.compress(layer_tar, 9, mtime=0)
        self.diff_id = "sha256:" + sha(layer_tar)
        self.cfg = {}
        self.man = {}
        for arch in ("amd64", "arm64"):
            self.cfg[arch] = self.config(arch)
            self.man[arch] = self.manifest(self.cfg[arch], [self.layer])

    def config(self, arch, os_="linux"):
        return jdump({"architecture": arch, "os": os_, "rootfs": {"type": "layers", "diff_ids": [self.diff_id]}})

    @staticmethod
    def manifest(cfg, layers):
        return jdump({
            "schemaVersion": 2,
            "mediaType": MT_MANIFEST,
            "config": desc(MT_CONFIG, cfg),
            "layers": [desc(MT_LAYER, l) for l in layers],
        })

    def mdesc(self, arch, **kw):
        return desc(MT_MANIFEST, self.man[arch], platform={"architecture": arch, "os": "linux"}, **kw)

    def index(self, manifests=None):
        if manifests is None:
            manifests = [self.mdesc("amd64"), self.mdesc("arm64")]
        return jdump({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests})

    def layout(self, index=None, index_last=False):
        lay = Layout()
        if not index_last:
            lay.add("index.json", index if index is not None else self.index())
            lay.add("oci-layout", OCI_LAYOUT)
        lay.add("blobs", b"", "dir").add("blobs/sha256", b"", "dir")
        lay.blob(self.layer)
        for arch in ("amd64", "arm64"):
            lay.blob(self.cfg[arch]).blob(self.man[arch])
        if index_last:
            lay.add("index.json", index if index is not None else self.index())
            lay.add("oci-layout", OCI_LAYOUT)
        return lay


def tarfile_bytes(files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1577836800
            t.addfile(ti, io.BytesIO(data))
    return out.getvalue()


def with_index(img, lay, manifests):
    return lay.copy().put("index.json", img.index(manifests))


# ------------------------------------------------------------------ the attacks


def gen_baseline(img):
    good = img.layout()
    both("good", good, 0, None, '"verdict": "selected"')
    for how in ("gz", "xz", "zst"):
        tar_case("good", good, 0, None, '"verdict": "selected"', how=how)
    tar_case("good-index-last", img.layout(index_last=True), 0, None, '"verdict": "selected"')
    # The same layout read from standard input is exercised by the shell (it needs a pipe).


def gen_names(img):
    good = img.layout(index_last=True)
    evil_manifest = Image.manifest(img.cfg["arm64"], [img.layer])
    amd = blob_path(img.man["amd64"])
    # Only copies of index.json with an unsafe name: none counts.
    for n, nm in (("member-absolute-index", "/index.json"), ("member-dotdot-index", "../index.json"),
                  ("member-dotdot-inner-index", "blobs/../../index.json")):
        lay = good.copy().remove("index.json").add(nm, img.index())
        tar_case(n, lay, 3, "missing-index-json", "absolute or")
    # A later member with an unsafe name that would shadow a blob is ignored.
    for n, nm in (("member-dotdot-shadow-blob", "blobs/sha256/../sha256/" + sha(img.man["amd64"])),
                  ("member-absolute-shadow-blob", "/" + amd)):
        lay = good.copy()
        lay.entries.insert(0, (nm, "file", evil_manifest))
        tar_case(n, lay, 0, None, "absolute or")
    # "./" prefixes are how GNU tar -C dir . names members: fine.
    lay = Layout()
    lay.entries = [("./" + n, k, d) for n, k, d in good.entries]
    tar_case("member-dot-slash", lay, 0, None, '"verdict": "selected"')
    # A member name longer than OCIDIG_MAX_PATH_LENGTH.
    lay = good.copy()
    lay.entries.insert(0, ("x/" + "a" * 5000, "file", b"junk"))
    tar_case("member-name-too-long", lay, 0, None, "longer than")
    # Control characters in a member name never reach the terminal raw.
    lay = good.copy().add("evil-\x1b]0;pwned\x07-\x1b[2J-name", b"", "fifo")
    tar_case("member-name-escapes", lay, 0, None, "!esc", args=["resolve", "--platform", "linux/amd64"])
    # Nor do those of a media type or a ref name (JSON \u001b), in the text report.
    m = img.mdesc("arm64")
    m["mediaType"] = "application/x\u001b]0;pwned\u0007\u001b[2J"
    m2 = img.mdesc("amd64", annotations={"org.opencontainers.image.ref.name": "x\u001b[31mred\u009b2J"})
    lay = with_index(img, img.layout(), [m, m2])
    both("text-escapes-media-type", lay, 1, None, "!esc", args=["resolve", "--platform", "linux/arm64"])
    both("text-escapes-ref-error", lay, 2, None, "!esc", args=["resolve", "--platform", "linux/amd64", "--ref", "x"])


def outside_dir(name, files):
    """A directory beside the layouts holding files the layout must never read."""
    d = os.path.join(OUT, "outside-" + name)
    for p, data in files.items():
        write_file(os.path.join(d, p), data)
    return d


def gen_dir_symlinks(img):
    good = img.layout()
    amd = blob_path(img.man["amd64"])
    # index.json -> an absolute path outside (whose content is a valid index.json).
    out = outside_dir("index", {"index.json": img.index()})
    dir_case("dir-symlink-index-absolute", good.copy().put("index.json", os.path.join(out, "index.json"), "symlink"),
             3, "missing-index-json", "outside the layout")
    dir_case("dir-symlink-index-relative", good.copy().put("index.json", "../outside-index/index.json", "symlink"),
             3, "missing-index-json", "outside the layout")
    # A manifest blob -> ../../../outside copy with the right bytes: treated as absent.
    out = outside_dir("blob", {"m": img.man["amd64"]})
    dir_case("dir-symlink-blob-relative", good.copy().put(amd, "../../../outside-blob/m", "symlink"),
             1, None, '"verdict": "blob-missing"')
    dir_case("dir-symlink-blob-absolute", good.copy().put(amd, os.path.join(out, "m"), "symlink"),
             1, None, '"verdict": "blob-missing"')
    # blobs/ itself a symbolic link to a folder outside that holds every blob.
    blobs = {p[len("blobs/"):]: d for p, k, d in good.entries if p.startswith("blobs/sha256/")}
    out = outside_dir("blobs", blobs)
    lay = Layout().add("index.json", img.index()).add("oci-layout", OCI_LAYOUT).add("blobs", out, "symlink")
    dir_case("dir-symlink-blobs-folder", lay, 1, None, '"verdict": "blob-missing"')
    lay = Layout().add("index.json", img.index()).add("oci-layout", OCI_LAYOUT).add("blobs", b"", "dir")
    lay.add("blobs/sha256", os.path.join(out, "sha256"), "symlink")
    dir_case("dir-symlink-sha256-folder", lay, 1, None, '"verdict": "blob-missing"')
    # A link that stays inside the layout is followed (control case).
    lay = good.copy().remove(amd).add("blobs/sha256/copy", img.man["amd64"]).add(amd, "copy", "symlink")
    dir_case("dir-symlink-inside", lay, 0, None, '"verdict": "selected"')
    # A loop and a dangling link: absent, never an endless walk.
    dir_case("dir-symlink-loop", good.copy().put(amd, sha(img.man["amd64"]), "symlink"), 1, None,
             '"verdict": "blob-missing"')
    dir_case("dir-symlink-dangling", good.copy().put(amd, "nowhere", "symlink"), 1, None, '"verdict": "blob-missing"')
    dir_case("dir-symlink-oci-layout-outside", good.copy().put("oci-layout", "/etc/hostname", "symlink"), 0, None,
             "outside the layout")
    # FIFOs: never opened for reading (the open would block).
    dir_case("dir-fifo-index", good.copy().put("index.json", b"", "fifo"), 3, "missing-index-json")
    dir_case("dir-fifo-blob", good.copy().put(amd, b"", "fifo"), 1, None, '"verdict": "blob-missing"')
    dir_case("dir-symlink-blob-dev-zero", good.copy().put(amd, "/dev/zero", "symlink"), 1, None,
             '"verdict": "blob-missing"')
    if os.geteuid() == 0:
        try:
            probe = os.path.join(OUT, "mknod-probe")
            os.mknod(probe, 0o600 | stat.S_IFCHR, os.makedev(1, 5))
            os.unlink(probe)
            dir_case("dir-chr-blob", good.copy().put(amd, b"", "chr"), 1, None, '"verdict": "blob-missing"')
        except OSError:
            pass


def gen_tar_specials(img):
    good = img.layout(index_last=True)
    amd = blob_path(img.man["amd64"])
    tar_case("tar-symlink-index-absolute", good.copy().put("index.json", "/etc/passwd", "symlink"),
             3, "missing-index-json", "symbolic link")
    tar_case("tar-symlink-blob-relative", good.copy().put(amd, "../../../etc/passwd", "symlink"),
             1, None, '"verdict": "blob-missing"')
    # Links inside the archive are not followed either (containerd's import skips them).
    lay = good.copy().remove(amd).add("copy", img.man["amd64"]).add(amd, "../../copy", "symlink").move_to_end(
        "index.json")
    tar_case("tar-symlink-blob-inside", lay, 1, None, '"verdict": "blob-missing"')
    tar_case("tar-hardlink-index-outside", good.copy().put("index.json", "../../etc/passwd", "hardlink"),
             3, "missing-index-json", "hard link")
    lay = good.copy().remove(amd).add("copy", img.man["amd64"]).add(amd, "copy", "hardlink").move_to_end("index.json")
    tar_case("tar-hardlink-blob-inside", lay, 1, None, '"verdict": "blob-missing"')
    tar_case("tar-fifo-index", good.copy().put("index.json", b"", "fifo"), 3, "missing-index-json", "FIFO")
    tar_case("tar-chr-blob", good.copy().put(amd, b"", "chr"), 1, None, '"verdict": "blob-missing"')
    tar_case("tar-blk-index", good.copy().put("index.json", b"", "blk"), 3, "missing-index-json")


def gen_duplicates(img):
    """Two members of one name.  The last copy wins, as tar extraction does; but a copy
    that turns up after ocidig already read the first one, and differs, makes the archive
    ambiguous (corrupt-archive): a lazy reader would otherwise act on another copy than
    tar extracts."""
    bad_index = b'{"schemaVersion":2,"manifests":[' + b"}"
    good_index = img.index()
    base = img.layout().remove("index.json").remove("oci-layout")
    # index.json twice before oci-layout: resolve reads the first, then reads on.
    for name, first, second in (("good-then-bad", good_index, bad_index), ("bad-then-good", bad_index, good_index)):
        lay = Layout().add("index.json", first).add("index.json", second).add("oci-layout", OCI_LAYOUT)
        lay.entries += base.entries
        tar_case("dup-index-" + name, lay, 3, "corrupt-archive", "more than once")
    # Both copies of a blob ahead of index.json: neither was read yet, the last one counts.
    amd = blob_path(img.man["amd64"])
    tampered = img.man["amd64"].replace(b'"schemaVersion":2', b'"schemaVersion":3')
    for name, first, second, want in (("good-then-bad", img.man["amd64"], tampered, (4, "digest-mismatch")),
                                      ("bad-then-good", tampered, img.man["amd64"], (0, None))):
        lay = img.layout(index_last=True).remove(amd)
        lay.entries.insert(0, (amd, "file", second))
        lay.entries.insert(0, (amd, "file", first))
        tar_case("dup-blob-" + name, lay, want[0], want[1], "more than once")
    # A manifest read (it has no platform: its config is needed next), then a second copy
    # of it on the way to the config.
    plain = desc(MT_MANIFEST, img.man["amd64"])
    cfg = blob_path(img.cfg["amd64"])
    for name, first, second in (("good-then-bad", img.man["amd64"], tampered),
                                ("bad-then-good", tampered, img.man["amd64"])):
        lay = Layout().add("index.json", img.index([plain])).add("oci-layout", OCI_LAYOUT)
        lay.add(amd, first).add(amd, second).add(cfg, img.cfg["amd64"]).blob(img.layer)
        want = (3, "corrupt-archive") if name == "good-then-bad" else (4, "digest-mismatch")
        tar_case("dup-blob-read-" + name, lay, want[0], want[1])
    # Identical copies: a warning, and the layout works.
    lay = img.layout(index_last=True)
    lay.entries.insert(0, (amd, "file", img.man["amd64"]))
    tar_case("dup-blob-identical", lay, 0, None, "identical copies")
    # A second index.json after everything resolve needs.  On a plain tar resolve reads
    # the remaining headers (seeks, no layer bytes) and refuses the ambiguity.  A compressed
    # archive is not inflated to its end for it (resolve stops early, issue 8): resolve
    # answers from the first copy; verify reads everything, warns of the duplicate and
    # checks the last copy, as tar would extract it (here: not JSON).
    lay = img.layout().add("index.json", bad_index)
    tar_case("dup-index-at-the-end", lay, 3, "corrupt-archive")
    tar_case("dup-index-at-the-end", lay, 0, None, how="gz")
    tar_case("dup-index-at-the-end-verify", lay, 4, None, '"code": "duplicate-member"', how="gz",
             args=["verify", "--json"])


def cut(data, at):
    return data[:at]


def gen_truncation(img):
    lay = img.layout(index_last=True)
    data, offs = tar_bytes(lay)
    idx_hdr, idx_data, idx_end = offs["index.json"][0]
    amd = blob_path(img.man["amd64"])
    m_hdr, m_data, m_end = offs[amd][0]
    raw_case("trunc-mid-header.tar", cut(data, m_hdr + 100), 3, "truncated-archive")
    raw_case("trunc-mid-member.tar", cut(data, m_data + 50), 3, "truncated-archive")
    raw_case("trunc-mid-index-json.tar", cut(data, idx_data + 20), 3, "truncated-archive")
    # Without the two zero blocks at the end: tar itself accepts such an archive.
    raw_case("trunc-no-end-blocks.tar", data[:-1024], 0, None)
    raw_case("trunc-one-end-block.tar", data[:-512], 0, None)
    # A header that claims far more data than the archive holds.
    big = bytearray(data)
    hdr = bytearray(tar_header(amd, "file", 1 << 40))
    big[m_hdr:m_hdr + 512] = hdr
    raw_case("trunc-huge-declared-size.tar", bytes(big), 3, "truncated-archive")
    gz = compress(data, "gz")
    raw_case("trunc-mid-stream.tar.gz", gz[: len(gz) // 2], 3, "truncated-archive")
    raw_case("trunc-gzip-no-trailer.tar.gz", gz[:-8], 3, "truncated-archive")
    zs = compress(data, "zst")
    raw_case("trunc-mid-stream.tar.zst", zs[: len(zs) // 2], 3, "truncated-archive")
    xz = compress(data, "xz")
    raw_case("trunc-mid-stream.tar.xz", xz[: len(xz) // 2], 3, "truncated-archive")


def flip(data, at, mask=0xFF):
    b = bytearray(data)
    b[at] ^= mask
    return bytes(b)


def gen_compression(img):
    data, _ = tar_bytes(img.layout(index_last=True))
    gz = compress(data, "gz")
    # libarchive 3.x does not check the gzip trailer ("XXX TODO: Verify the length and
    # CRC" in its gzip filter) and, like gzip -d, ignores what follows the last member.
    # The bytes themselves are intact here, and every blob the walk uses is checked
    # against its digest; these cases pin the behaviour down.
    raw_case("gzip-bad-crc.tar.gz", flip(gz, len(gz) - 8), 0, None)
    raw_case("gzip-bad-isize.tar.gz", flip(gz, len(gz) - 2), 0, None)
    raw_case("gzip-trailing-garbage.tar.gz", gz + b"this is not gzip" * 4, 0, None)
    raw_case("gzip-trailing-zeros.tar.gz", gz + b"\0" * 1024, 0, None)
    # The first deflate block with the reserved block type 3: zlib refuses it.
    raw_case("gzip-corrupt-deflate.tar.gz", gz[:10] + bytes([gz[10] | 0x06]) + gz[11:], 3, "corrupt-archive")
    # A byte flipped in the middle: wherever the damage shows, the outcome is exit 3.
    raw_case("gzip-corrupt-deflate-middle.tar.gz", flip(gz, len(gz) // 2), 3, "corrupt-archive|truncated-archive")
    raw_case("gzip-bad-header.tar.gz", flip(gz, 3, 0xE0), 3, "not-a-layout")
    xz = compress(data, "xz")
    raw_case("xz-corrupt.tar.xz", flip(xz, len(xz) // 2), 3, "corrupt-archive")
    raw_case("xz-bad-check.tar.xz", flip(xz, len(xz) - 20), 3, "corrupt-archive")
    zs = compress(data, "zst")
    raw_case("zstd-corrupt-block-type.tar.zst", flip(zs, 13, 0x06), 3, "corrupt-archive")
    raw_case("zstd-trailing-garbage.tar.zst", zs + b"garbage!" * 8, 3, "corrupt-archive")


def gen_not_archives(img):
    raw_case("not-an-archive-text", b"hello, I am not an archive\n" * 20, 3, "not-a-layout")
    raw_case("not-an-archive-random", bytes((i * 7919 + 13) % 251 for i in range(4096)), 3, "not-a-layout")
    raw_case("not-an-archive-json", img.index(), 3, "not-a-layout")
    raw_case("empty-file", b"", 3, "missing-index-json")
    raw_case("empty-archive.tar", b"\0" * 10240, 3, "missing-index-json")
    raw_case("empty-archive.tar.gz", gzip.compress(b"\0" * 10240, mtime=0), 3, "missing-index-json")
    os.mkfifo(os.path.join(OUT, "source-fifo"))
    case("source-fifo", 3, "not-a-layout", RESOLVE + [os.path.join(OUT, "source-fifo")])
    case("source-char-device", 3, "not-a-layout", RESOLVE + ["/dev/null"])
    case("source-missing", 3, "not-found", RESOLVE + [os.path.join(OUT, "does-not-exist")])
    os.makedirs(os.path.join(OUT, "empty-dir"))
    case("empty-dir", 3, "missing-index-json", RESOLVE + [os.path.join(OUT, "empty-dir")])


def gen_index_json(img):
    good = img.layout()
    both("index-missing", good.copy().remove("index.json"), 3, "missing-index-json")
    bodies = {
        "empty": b"",
        "whitespace": b" \n\t ",
        "number": b"42",
        "string": b'"index"',
        "null": b"null",
        "array": b"[]",
        "array-of-index": b"[" + img.index() + b"]",
        "truncated": img.index()[:-7],
        "bom": b"\xef\xbb\xbf" + img.index(),
        "trailing-garbage": img.index() + b"garbage",
        "two-values": img.index() + img.index(),
        "nul-byte": img.index()[:-2] + b"\0]}",
        "invalid-utf8": img.index().replace(b'"schemaVersion"', b'"schema\xff\xfeVersion"'),
        "single-quotes": img.index().replace(b'"schemaVersion"', b"'schemaVersion'"),
        "nan": img.index().replace(b'"schemaVersion":2', b'"schemaVersion":NaN'),
        "comment": b"/* hi */" + img.index(),
        "manifests-object": b'{"schemaVersion":2,"manifests":{}}',
        "manifests-string": b'{"schemaVersion":2,"manifests":"x"}',
        "descriptor-not-object": b'{"schemaVersion":2,"manifests":[1]}',
        "deep-arrays": b'{"manifests":' + b"[" * 100000 + b"]" * 100000 + b"}",
        "deep-objects": b'{"a":' * 100000 + b"1" + b"}" * 100000,
        "deep-unclosed": b"[" * 1000000,
    }
    for name, body in bodies.items():
        both("index-" + name, good.copy().put("index.json", body), 4, "invalid-json")
    both("index-manifest-shaped", good.copy().put("index.json", img.man["amd64"]), 4, "kind-mismatch")
    both("index-manifests-null", good.copy().put("index.json", b'{"schemaVersion":2,"manifests":null}'), 1, None)
    both("index-no-manifests", good.copy().put("index.json", b'{"schemaVersion":2}'), 1, None, "no \\\"manifests\\\"")
    both("index-is-directory", good.copy().put("index.json", b"", "dir"), 3, "missing-index-json")
    # Too large, too wide.
    big = b'{"schemaVersion":2,"manifests":[],"pad":"' + b"x" * (4 * 1024 * 1024) + b'"}'
    both("index-too-large", good.copy().put("index.json", big), 4, "json-too-large")
    # 4 MiB of "{}": json-c would need about 1 GiB for it.
    n = (4 * 1024 * 1024 - 64) // 3
    amp = b'{"schemaVersion":2,"manifests":[],"x":[' + b",".join([b"{}"] * n) + b"]}"
    both("index-object-amplification", good.copy().put("index.json", amp), 4, "json-too-large")
    # 100,001 descriptors: an index is read element by element (its length is not refused,
    # memory is what is kept); the walk then meets more than 10,000 rows: limit-exceeded.
    n = 100001
    wide = b'{"schemaVersion":2,"manifests":[' + b",".join([b"{}"] * n) + b"]}"
    both("index-too-many-descriptors", good.copy().put("index.json", wide), 4, "limit-exceeded")
    # Duplicate keys: the last "manifests" wins (here: only arm64), with a warning.
    dup = b'{"schemaVersion":2,"manifests":[' + jdump(img.mdesc("amd64")) + b'],"manifests":[' + \
        jdump(img.mdesc("arm64")) + b"]}"
    both("index-duplicate-key", good.copy().put("index.json", dup), 1, None, "appears twice")


def gen_oci_layout(img):
    good = img.layout()
    both("oci-layout-missing", good.copy().remove("oci-layout"), 0, None, "no oci-layout")
    for name, body in (("invalid-json", b"{imageLayoutVersion: 1.0.0}"), ("empty", b""),
                       ("other-version", b'{"imageLayoutVersion":"2.0.0"}'),
                       ("version-number", b'{"imageLayoutVersion":1.0}'), ("array", b"[]"),
                       ("too-large", b'{"imageLayoutVersion":"1.0.0","x":"' + b"y" * 70000 + b'"}')):
        both("oci-layout-" + name, good.copy().put("oci-layout", body), 3, "bad-oci-layout")
    both("oci-layout-is-directory", good.copy().put("oci-layout", b"", "dir"), 0, None, "no oci-layout")


def gen_blob_dirs(img):
    good = img.layout()
    amd = blob_path(img.man["amd64"])
    both("blob-is-directory", good.copy().put(amd, b"", "dir"), 1, None, '"verdict": "blob-missing"')
    # A platform-less manifest whose config blob is a directory.
    lay = with_index(img, good, [desc(MT_MANIFEST, img.man["amd64"])])
    lay.put(blob_path(img.cfg["amd64"]), b"", "dir")
    both("config-is-directory", lay, 1, None, '"verdict": "blob-missing"')
    both("blobs-is-file", Layout().add("index.json", img.index()).add("oci-layout", OCI_LAYOUT).add("blobs", b"x"),
         1, None, '"verdict": "blob-missing"')


def gen_digests(img):
    good = img.layout()
    hexd = sha(img.man["amd64"])
    cases = {
        "upper-case": ("sha256:" + hexd.upper(), "invalid-digest"),
        "short": ("sha256:" + hexd[:32], "invalid-digest"),
        "long": ("sha256:" + hexd + "00", "invalid-digest"),
        "no-algorithm": (hexd, "invalid-digest"),
        "empty": ("", "invalid-digest"),
        "dotdot": ("sha256:../../../../etc/passwd", "invalid-digest"),
        "dotdot-hex": ("sha256/../../" + hexd, "invalid-digest"),
        "slash-in-algorithm": ("sha256/..:" + hexd, "invalid-digest"),
        "nul": ("sha256:" + hexd[:10] + "\u0000" + hexd[11:], "invalid-digest"),
        "huge": ("sha256:" + "a" * 100000, "invalid-digest"),
        "md5": ("md5:" + hexd[:32], "unsupported-digest-algorithm"),
        "sha384": ("sha384:" + hexd + hexd[:32], "unsupported-digest-algorithm"),
        "blake3": ("blake3:" + hexd, "unsupported-digest-algorithm"),
    }
    for name, (d, code) in cases.items():
        m = img.mdesc("amd64")
        m["digest"] = d
        both("digest-" + name, with_index(img, good, [m, img.mdesc("arm64")]), 4, code)
    # On a descriptor the walk never needs (another platform's): a warning only.
    m = img.mdesc("arm64")
    m["digest"] = "sha256:" + hexd.upper()
    both("digest-bad-but-unneeded", with_index(img, good, [img.mdesc("amd64"), m]), 0, None, "invalid digest")
    # sha512 works (control).
    m512 = desc(MT_MANIFEST, img.man["amd64"], platform={"architecture": "amd64", "os": "linux"})
    m512["digest"] = "sha512:" + hashlib.sha512(img.man["amd64"]).hexdigest()
    lay = with_index(img, good, [m512]).add("blobs/sha512/" + hashlib.sha512(img.man["amd64"]).hexdigest(),
                                          img.man["amd64"])
    both("digest-sha512", lay, 0, None, '"verdict": "selected"')
    # A blob under blobs/sha512/ named with a sha256 hex: not found there.
    m = img.mdesc("amd64")
    m["digest"] = "sha512:" + hexd + hexd
    lay = with_index(img, good, [m]).add("blobs/sha512/" + hexd + hexd, img.man["amd64"])
    both("digest-sha512-wrong-bytes", lay, 4, "digest-mismatch")


def gen_sizes(img):
    good = img.layout()
    n = len(img.man["amd64"])
    idx = img.index()
    tag = b'"size":%d' % n
    assert idx.index(tag) < idx.index(b"arm64")  # the first one is amd64's
    raws = {
        "negative": (b'"size":-1', 4, "invalid-json"),
        "negative-zero": (b'"size":-0', 4, "size-mismatch"),
        "float": (b'"size":%d.0' % n, 4, "invalid-json"),
        "exponent": (b'"size":%de0' % n, 4, "invalid-json"),
        "string": (b'"size":"%d"' % n, 4, "invalid-json"),
        "null": (b'"size":null', 4, "size-mismatch"),  # null is Go's zero value
        "int64-max": (b'"size":9223372036854775807', 4, "size-mismatch"),
        "int64-overflow": (b'"size":9223372036854775808', 4, "invalid-json"),
        "huge": (b'"size":' + b"9" * 400, 4, "invalid-json"),
        "plus-one": (b'"size":%d' % (n + 1), 4, "size-mismatch"),
        "minus-one": (b'"size":%d' % (n - 1), 4, "size-mismatch"),
        "zero": (b'"size":0', 4, "size-mismatch"),
        "absent": (b'"x":0', 4, "size-mismatch"),
    }
    for name, (rep, code_exit, code) in raws.items():
        both("size-" + name, good.copy().put("index.json", idx.replace(tag, rep, 1)), code_exit, code)
    # A blob file shorter than its descriptor says (a truncated blob).
    amd = blob_path(img.man["amd64"])
    both("blob-truncated", good.copy().put(amd, img.man["amd64"][:-10]), 4, "size-mismatch")
    both("blob-empty", good.copy().put(amd, b""), 4, "size-mismatch")


def gen_tampering(img):
    good = img.layout()
    amd = blob_path(img.man["amd64"])
    # Same length, one byte changed.
    both("tampered-manifest", good.copy().put(amd, img.man["amd64"].replace(b'"schemaVersion":2',
                                                                             b'"schemaVersion":3')),
         4, "digest-mismatch")
    # A nested index whose bytes were changed so that amd64 points at the arm64 manifest.
    nested = img.index()
    outer = jdump({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [desc(MT_INDEX, nested)]})
    redirected = img.index([
        desc(MT_MANIFEST, img.man["arm64"], platform={"architecture": "amd64", "os": "linux"}),
        img.mdesc("arm64"),
    ])
    lay = good.copy().put("index.json", outer).put(blob_path(nested), redirected)
    both("tampered-index-redirect", lay, 4, "digest-mismatch")
    lay = good.copy().put("index.json", outer).put(blob_path(nested), nested)
    both("nested-index-good", lay, 0, None, '"verdict": "selected"')
    # A platform-less manifest whose config was changed to claim amd64.
    arm_plain = desc(MT_MANIFEST, img.man["arm64"])
    cfg = blob_path(img.cfg["arm64"])
    lay = with_index(img, good, [arm_plain]).put(cfg, img.cfg["arm64"].replace(b'"arm64"', b'"amd64"'))
    both("tampered-config", lay, 4, "digest-mismatch")
    # A tampered layer: resolve reads no layer, so it selects; verify must find it.
    lay = good.copy().put(blob_path(img.layer), flip(img.layer, len(img.layer) // 2, 0x01))
    both("tampered-layer", lay, 0, None, '"verdict": "selected"')
    # Inline data that lies: ignored with a warning, the blob is read.
    m = img.mdesc("amd64", data="eyJzY2hlbWFWZXJzaW9uIjoyfQ==")
    both("inline-data-lies", with_index(img, good, [m]), 0, None, "inline data does not match")


def gen_cycles(img):
    good = img.layout()
    # A "self-referencing" index: its file is named after a digest that it lists itself.
    name = "sha256:" + "c" * 64
    body = jdump({"schemaVersion": 2, "mediaType": MT_INDEX,
                  "manifests": [{"mediaType": MT_INDEX, "digest": name, "size": 0}]})
    body = body.replace(b'"size":0', b'"size":%d' % len(body))
    # Its own size is right now; its digest cannot be.
    lay = good.copy().put("index.json", jdump({"schemaVersion": 2, "manifests": [
        {"mediaType": MT_INDEX, "digest": name, "size": len(body)}]})).add("blobs/sha256/" + "c" * 64, body)
    both("cycle-self", lay, 4, "digest-mismatch")
    # Two indexes naming each other.
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    body_a = jdump({"schemaVersion": 2, "mediaType": MT_INDEX,
                    "manifests": [{"mediaType": MT_INDEX, "digest": b, "size": 999}]})
    body_b = jdump({"schemaVersion": 2, "mediaType": MT_INDEX,
                    "manifests": [{"mediaType": MT_INDEX, "digest": a, "size": 999}]})
    body_a = body_a.replace(b"999", b"%d" % len(body_b))
    body_b = body_b.replace(b"999", b"%d" % len(body_a))
    lay = good.copy().put("index.json", jdump({"schemaVersion": 2, "manifests": [
        {"mediaType": MT_INDEX, "digest": a, "size": len(body_a)}]}))
    lay.add("blobs/sha256/" + "a" * 64, body_a).add("blobs/sha256/" + "b" * 64, body_b)
    both("cycle-two-indexes", lay, 4, "digest-mismatch")
    # An honest DAG: each level lists the next level twice.  Walked naively it would
    # take 2^40 steps; every index must be opened once.
    lay = good.copy()
    cur = jdump({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": []})
    lay.blob(cur)
    for _ in range(40):
        cur = jdump({"schemaVersion": 2, "mediaType": MT_INDEX,
                     "manifests": [desc(MT_INDEX, cur), desc(MT_INDEX, cur)]})
        lay.blob(cur)
    lay.put("index.json", jdump({"schemaVersion": 2, "manifests": [desc(MT_INDEX, cur)]}))
    both("dag-doubling-40", lay, 1, None)


def nested_layout(img, levels):
    """index.json -> levels nested indexes -> the amd64 manifest."""
    lay = img.layout()
    child = img.mdesc("amd64")
    for _ in range(levels):
        body = jdump({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [child]})
        lay.blob(body)
        child = desc(MT_INDEX, body)
    return lay.put("index.json", jdump({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [child]}))


def gen_nesting(img):
    both("nest-64", nested_layout(img, 64), 0, None, '"verdict": "selected"')
    both("nest-65", nested_layout(img, 65), 4, "nesting-too-deep")
    both("nest-1000", nested_layout(img, 1000), 4, "nesting-too-deep")


def gzip_zeros_members(total, member=64 << 20):
    """gzip members of zeros, concatenated (a valid gzip stream): about 1/1000 of total."""
    one = gzip.compress(b"\0" * member, 9, mtime=0)
    n, rest = divmod(total, member)
    out = one * n
    if rest:
        out += gzip.compress(b"\0" * rest, 9, mtime=0)
    return out


def gen_bombs(img):
    # A layer that is a gzip bomb (4 GiB of zeros): resolve never inflates layers.
    bomb = gzip_zeros_members(4 << 30)
    lay = img.layout()
    man = Image.manifest(img.cfg["amd64"], [bomb])
    lay.remove(blob_path(img.man["amd64"])).blob(bomb).blob(man)
    lay.put("index.json", img.index([desc(MT_MANIFEST, man, platform={"architecture": "amd64", "os": "linux"})]))
    both("bomb-layer-gzip", lay, 0, None, '"verdict": "selected"')
    # The archive itself a gzip bomb: 512 MiB of zeros (512 KB of gzip, a ratio of 1,000)
    # in one member before index.json, named by its digest (a valid layout, as a layer of
    # zeros or an unreferenced zero-filled file in `docker save | gzip` is); and a zstd
    # one of 1 GiB (32 KB).  Members are streamed, never kept: they are read to the end in
    # bounded memory (no ratio is refused since issue 12), or stopped by --max-bytes.
    lay = img.layout(index_last=True)
    rest, _ = tar_bytes(lay)
    size = 512 << 20
    hdr = tar_header("blobs/sha256/" + zeros_sha256(size), "file", size)
    stream = gzip.compress(hdr, mtime=0) + gzip_zeros_members(size) + gzip.compress(rest, mtime=0)
    raw_case("bomb-outer-gzip.tar.gz", stream, 0, None, '"verdict": "selected"')
    capped("bomb-outer-gzip.tar.gz")
    size = 1 << 30
    hdr = tar_header("blobs/sha256/" + zeros_sha256(size), "file", size)
    stream = zstd_frame(hdr) + zstd_rle_frames(size) + zstd_frame(rest)
    raw_case("bomb-outer-zstd.tar.zst", stream, 0, None, '"verdict": "selected"')
    capped("bomb-outer-zstd.tar.zst")
    # The same with the largest window libzstd accepts (128 MiB): the decoder fills it (a
    # zstd --long=27 archive needs as much; adversarial.sh allows that window on top of
    # the usual bound); and a 2 GiB window, which libzstd refuses.
    for wd, name, exit_code, code in ((0x88, "128m", 0, None), (0xA8, "2g", 3, "corrupt-archive")):
        frames = zstd_rle_frames(size).replace(b"\x28\xb5\x2f\xfd\x00\x38", b"\x28\xb5\x2f\xfd\x00" + bytes([wd]))
        raw_case("bomb-outer-zstd-window-%s.tar.zst" % name, zstd_frame(hdr) + frames + zstd_frame(rest), exit_code, code)
    # xz with a 1.5 GiB dictionary over 48 MiB of zeros (7 KB): liblzma sets no limit
    # in libarchive (nor does xz -d by default): the dictionary fills as far as the
    # stream's output, 48 MiB.
    zeros = 48 << 20
    hdr = tar_header("blobs/sha256/" + zeros_sha256(zeros), "file", zeros)
    stream = lzma.compress(hdr + bytes(zeros) + rest, format=lzma.FORMAT_XZ,
                           filters=[{"id": lzma.FILTER_LZMA2, "preset": 0, "dict_size": 1536 << 20}])
    raw_case("bomb-outer-xz-dict-1536m.tar.xz", stream, 0, None, '"verdict": "selected"')
    # A member that declares 1 TiB of zeros as a GNU sparse file (a few KB on disk):
    # resolve skips it; verify would hash 1 TiB (about ten minutes): --max-bytes stops it.
    sparse = tar_sparse_member("blobs/sha256/" + "1" * 64, 1 << 40)
    raw_case("bomb-sparse-member.tar", sparse + rest, 0, None)
    # One of 1 GiB, named by its digest: verify hashes its holes as zeros.
    sha = hashlib.sha256()
    chunk = bytes(1 << 20)
    for _ in range(1023):
        sha.update(chunk)
    sha.update(bytes((1 << 20) - 512) + b"x" * 512)
    sparse = tar_sparse_member("blobs/sha256/" + sha.hexdigest(), 1 << 30)
    raw_case("bomb-sparse-member-1g.tar", sparse + rest, 0, None)


def zeros_sha256(size):
    """The sha256 (hex) of size zero bytes."""
    sha = hashlib.sha256()
    chunk = bytes(1 << 20)
    while size > 0:
        n = min(size, len(chunk))
        sha.update(chunk[:n] if n < len(chunk) else chunk)
        size -= n
    return sha.hexdigest()


def capped(name):
    """The opt-in cap (--max-bytes) on an archive generated just before: limit-exceeded."""
    path = os.path.join(OUT, name)
    case(name + "+max-bytes", 4, "limit-exceeded", RESOLVE + ["--max-bytes", "64M", path])


def tar_sparse_member(name, size):
    """An old-style GNU sparse member ('S'): one 512-byte data block at the end of size."""
    ti = tarfile.TarInfo(name)
    ti.size = 512
    ti.mtime = 1577836800
    ti.mode = 0o644
    buf = bytearray(ti.tobuf(format=tarfile.GNU_FORMAT))
    buf[156:157] = b"S"
    # Sparse map at offset 386: 4 entries of (offset, numbytes), 12 octal bytes each.
    off = size - 512
    buf[386:398] = b"\x80" + off.to_bytes(11, "big")
    buf[398:410] = b"%011o\0" % 512
    buf[482] = 0  # isextended
    # realsize at 483 (12 bytes); values beyond 8 GiB use base-256.
    buf[483:495] = b"\x80" + size.to_bytes(11, "big")
    buf[148:156] = b"        "
    chk = sum(buf[:512])
    buf[148:156] = b"%06o\0 " % chk
    return bytes(buf) + b"x" * 512


def gen_limits(img):
    # More than OCIDIG_MAX_ARCHIVE_MEMBERS (200,000) members, index.json last.
    good = img.layout(index_last=True)
    tmpl = bytearray(tar_header("m/000000", "file", 0))
    parts = []
    for i in range(200001):
        h = bytearray(tmpl)
        h[2:8] = b"%06d" % i
        h[148:156] = b"        "
        h[148:156] = b"%06o\0 " % sum(h)
        parts.append(bytes(h))
    rest, _ = tar_bytes(good)
    data = b"".join(parts) + rest
    raw_case("limit-members.tar.gz", gzip.compress(data, 1, mtime=0), 4, "limit-exceeded")
    # Small members kept in memory: 20 x 4 MiB of junk before index.json.
    lay = Layout()
    for i in range(20):
        lay.add("junk/%02d" % i, bytes([i]) * (4 * 1024 * 1024))
    lay.entries += good.entries
    tar_case("limit-kept-bytes", lay, 0, None, '"verdict": "selected"')
    # Thousands of distinct warnings: bad digests on descriptors ranked after the
    # selected one.  Each warning was compared with every earlier one.
    ds = [img.mdesc("amd64")] + [{"digest": "sha256:%x" % i} for i in range(9000)]
    both("limit-warning-flood", good.copy().put("index.json", img.index(ds)), 0, None, "more warnings not shown")
    # The walk meets more descriptors in all than OCIDIG_MAX_WALK_ROWS (10,000 proposed):
    # nested indexes of 4,900 (other platforms) each, none a DAG; with two of them (and
    # the amd64 manifest in the last) it fits, and stays within 64 MiB.
    for name, n_idx, want in (("limit-walk-descriptors", 3, (4, "limit-exceeded")),
                              ("limit-walk-descriptors-fits", 2, (0, None))):
        lay = good.copy()
        kids = []
        for k in range(n_idx):
            ds = [{"mediaType": MT_MANIFEST, "digest": "sha256:%064x" % (k * 100000 + i), "size": 1,
                   "platform": {"os": "linux", "architecture": "s390x"}} for i in range(4900)]
            if k == n_idx - 1:
                ds.append(img.mdesc("amd64"))
            body = img.index(ds)
            lay.blob(body)
            kids.append(desc(MT_INDEX, body))
        both(name, lay.put("index.json", img.index(kids)), want[0], want[1])
    # Both budgets at once: 48 MiB of small members kept in memory (OCIDIG_MAX_KEPT_BYTES)
    # and a walk of nearly 10,000 descriptors, index.json last.
    lay = Layout()
    for i in range(12):
        lay.add("junk/%02d" % i, b"{" + bytes([i]) * (4 * 1024 * 1024 - 1))
    kids = []
    for k in range(2):
        ds = [{"mediaType": MT_MANIFEST, "digest": "sha256:%064x" % (k * 100000 + i), "size": 1,
               "platform": {"os": "linux", "architecture": "s390x"}} for i in range(4900)]
        if k == 1:
            ds.append(img.mdesc("amd64"))
        body = img.index(ds)
        lay.blob(body)
        kids.append(desc(MT_INDEX, body))
    lay.entries += good.entries
    lay.put("index.json", img.index(kids)).move_to_end("index.json")
    tar_case("limit-kept-bytes-and-walk", lay, 0, None, '"verdict": "selected"')
    # The largest index that fits (OCIDIG_MAX_JSON_MEMORY): one row each, within 64 MiB.
    ds = [{"mediaType": MT_MANIFEST, "digest": "sha256:%064x" % i, "size": 1,
           "platform": {"os": "linux", "architecture": "s390x"}} for i in range(6500)]
    both("limit-largest-index", good.copy().put("index.json", img.index(ds + [img.mdesc("amd64")])), 0, None,
         '"verdict": "selected"')


def gen_docker(img):
    """docker save archives (manifest.json, no index.json)."""
    cfg = img.cfg["amd64"]
    cid = sha(cfg)

    def docker(name, manifest, extra, exit_code, code, check=None):
        lay = Layout().add("manifest.json", json.dumps(manifest).encode()).add(cid + ".json", cfg)
        for n, k, d in extra:
            lay.add(n, d, k)
        tar_case(name, lay, exit_code, code, check)

    docker("docker-config-traversal", [{"Config": "../../../etc/passwd", "RepoTags": ["x:1"],
                                        "Layers": ["../../etc/shadow", "/etc/passwd"]}], [], 1, None)
    docker("docker-layer-symlink-loop", [{"Config": cid + ".json", "RepoTags": ["x:1"], "Layers": ["a/layer.tar"]}],
           [("a/layer.tar", "symlink", "../b/layer.tar"), ("b/layer.tar", "symlink", "../a/layer.tar")], 0, None)
    docker("docker-200000-layers", [{"Config": cid + ".json", "RepoTags": ["x:1"], "Layers": ["l.tar"] * 200000}],
           [("l.tar", "file", b"layer")], 4, "json-too-large")
    docker("docker-bad-types", [{"Config": 5, "RepoTags": "x", "Layers": {"a": 1}}], [], 4, "invalid-json")
    docker("docker-not-an-array", {"Config": cid + ".json"}, [], 4, "invalid-json")


def gen_verify(img):
    """ocidig verify reads an archive in one full pass (OCIDIG_OPEN_HASH_BLOBS) and hashes
    every blob: the same inputs again, where that path differs from resolve's."""
    cases = [
        ("good.dir", 0, None, '"errors": 0'),
        ("good.tar", 0, None, '"errors": 0'),
        ("good.tar.zst", 0, None, '"errors": 0'),
        ("tampered-layer.dir", 4, None, '"code": "digest-mismatch"'),
        ("tampered-layer.tar", 4, None, '"code": "digest-mismatch"'),
        ("bomb-layer-gzip.dir", 0, None, '"errors": 0'),
        ("bomb-layer-gzip.tar", 0, None, '"errors": 0'),
        ("bomb-outer-gzip.tar.gz", 0, None, '"errors": 0'),
        ("bomb-outer-zstd.tar.zst", 0, None, '"errors": 0'),
        ("bomb-sparse-member-1g.tar", 0, None, '"errors": 0'),
        ("limit-members.tar.gz", 4, "limit-exceeded", None),
        ("trunc-mid-member.tar", 3, "truncated-archive", None),
        ("gzip-corrupt-deflate.tar.gz", 3, "corrupt-archive", None),
        ("dup-blob-good-then-bad.tar", 4, None, '"code": "duplicate-member"'),
        ("dup-index-good-then-bad.tar", 4, None, '"code": "duplicate-member"'),
        ("member-dotdot-shadow-blob.tar", 4, None, '"code": "path-unsafe"'),
        ("dir-symlink-blobs-folder.dir", 4, None, '"code": "link-escapes"'),
        ("dir-fifo-blob.dir", 4, None, '"code": "special-member"'),
        ("cycle-two-indexes.tar", 4, None, '"code": "digest-mismatch"'),
        ("nest-1000.dir", 4, None, '"code": "nesting-too-deep"'),
        ("dag-doubling-40.dir", 0, None, None),
        ("dag-doubling-40.tar", 0, None, None),
        ("index-object-amplification.tar", 4, None, '"code": "json-too-large"'),
        ("limit-kept-bytes.tar", 0, None, '"errors": 0'),
        ("limit-walk-descriptors-fits.dir", 0, None, None),
        # index.json's entries are images: absent ones are blob-missing, platform or not (issue 17)
        ("limit-largest-index.dir", 4, None, '"code": "blob-missing"'),
    ]
    for name, exit_code, code, check in cases:
        path = os.path.join(OUT, name)
        assert os.path.exists(path), name
        case("verify-" + name, exit_code, code, ["verify", "--json", path], check)
    # The opt-in cap: member bytes read (sparse holes included).
    for name in ("bomb-outer-gzip.tar.gz", "bomb-outer-zstd.tar.zst", "bomb-sparse-member.tar"):
        case("verify-%s+max-bytes" % name, 4, "limit-exceeded",
             ["verify", "--json", "--max-bytes", "64M", os.path.join(OUT, name)])


def main():
    global OUT
    if len(sys.argv) != 2:
        sys.exit("usage: gen.py OUTDIR")
    OUT = os.path.abspath(sys.argv[1])
    os.makedirs(OUT, exist_ok=True)
    img = Image()
    for g in (gen_baseline, gen_names, gen_dir_symlinks, gen_tar_specials, gen_duplicates, gen_truncation,
              gen_compression, gen_not_archives, gen_index_json, gen_oci_layout, gen_blob_dirs, gen_digests,
              gen_sizes, gen_tampering, gen_cycles, gen_nesting, gen_bombs, gen_limits, gen_docker, gen_verify):
        g(img)
    with open(os.path.join(OUT, "cases.tsv"), "w") as f:
        for name, exit_code, code, check, args in CASES:
            for a in args:
                assert "\t" not in a and "\n" not in a, a
            f.write("\t".join([name, exit_code, code, check] + args) + "\n")


if __name__ == "__main__":
    main()
