#!/usr/bin/env python3
"""deep_fixtures.py OUTDIR: the OCI layouts tests/verify_deep.sh runs `verify --deep` over, one
per case, written at test time.  Layers are tars made by Python's tarfile (GNU format; pax
where a name needs it), compressed by gzip(1) and zstd(1); the configs' rootfs.diff_ids are
the sha256 of each tar as written here (hashlib), never anything ocidig computed.  Prints
nothing; each layout's name says what it holds (see /work/notes/s7/fixtures.md and the test).
"""
import hashlib, io, json, os, shutil, subprocess, sys, tarfile

OUT = sys.argv[1]
MT_TAR = "application/vnd.oci.image.layer.v1.tar"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"


def sha(b):
    return hashlib.sha256(b).hexdigest()


def tar(entries, fmt=tarfile.GNU_FORMAT):
    """entries: tuples (kind, name, ...): f name data [mode], d name [mode], l name target,
    h name target, c/b name major minor, p name."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in entries:
            kind, name = e[0], e[1]
            ti = tarfile.TarInfo(name)
            ti.mtime = 1704164645
            ti.mode = 0o644
            data = None
            if kind == "f":
                data = e[2]
                ti.size = len(data)
                if len(e) > 3:
                    ti.mode = e[3]
            elif kind == "d":
                ti.type = tarfile.DIRTYPE
                ti.mode = e[2] if len(e) > 2 else 0o755
            elif kind == "l":
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, e[2], 0o777
            elif kind == "h":
                ti.type, ti.linkname = tarfile.LNKTYPE, e[2]
            elif kind in "cb":
                ti.type = tarfile.CHRTYPE if kind == "c" else tarfile.BLKTYPE
                ti.devmajor, ti.devminor = e[2], e[3]
            elif kind == "p":
                ti.type = tarfile.FIFOTYPE
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def compress(data, how):
    if how == "none":
        return data, MT_TAR
    cmd = {"gzip": ["gzip", "-n", "-6", "-c"], "zstd": ["zstd", "-q", "-3", "-c"],
           "zstd-long": ["zstd", "-q", "--long=28", "-c"]}[how]  # from a pipe: a 256 MiB window
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout, \
        MT_TAR + "+" + how.split("-")[0]


class Layout:
    def __init__(self, name):
        self.root = os.path.join(OUT, name)
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(os.path.join(self.root, "blobs", "sha256"))
        with open(os.path.join(self.root, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        self.entries = []

    def blob(self, data, mt):
        h = sha(data)
        with open(os.path.join(self.root, "blobs", "sha256", h), "wb") as f:
            f.write(data)
        return {"mediaType": mt, "digest": "sha256:" + h, "size": len(data)}

    def image(self, layers, diff_ids=None, arch="amd64", env=None, ref=None, layer_mt=None):
        """layers: (blob bytes, media type, tar bytes or None)."""
        if diff_ids is None:
            diff_ids = ["sha256:" + sha(t) for _, _, t in layers if t is not None]
        cfg = {"architecture": arch, "os": "linux", "config": {"Env": env or ["PATH=/usr/bin:/bin"]},
               "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        cd = self.blob(json.dumps(cfg, indent=1).encode(), MT_CONFIG)
        m = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": cd,
             "layers": [self.blob(b, mt) for b, mt, _ in layers]}
        md = self.blob(json.dumps(m, indent=1).encode(), MT_MANIFEST)
        md["platform"] = {"architecture": arch, "os": "linux"}
        if ref:
            md["annotations"] = {"org.opencontainers.image.ref.name": ref}
        self.entries.append(md)
        return md

    def index(self, entries=None):
        idx = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": entries or self.entries}
        with open(os.path.join(self.root, "index.json"), "w") as f:
            json.dump(idx, f, indent=1)


def layer(entries, how="gzip", cut=0, extra=b"", fmt=tarfile.GNU_FORMAT, drop_marker=False):
    t = tar(entries, fmt)
    if drop_marker:  # the tar without its zero blocks: cut after the last member's data
        with tarfile.open(fileobj=io.BytesIO(t)) as tf:
            tf.getmembers()
            t = t[:tf.offset]
    b, mt = compress(t, how)
    if cut:
        b = b[:-cut] if how != "none" else b[:cut]
    b += extra
    if how == "none":
        t = b  # the diff_id is of the bytes as they are
    return b, mt, t


# ---- the base image: three layers (gzip, zstd, uncompressed), whiteouts and an opaque
# directory over the layers below, a hard link to an earlier entry, a symlink into usr
BASE0 = [("d", "etc/"), ("f", "etc/os-release", b'ID=test\n'), ("f", "etc/old", b"old\n"),
         ("d", "usr/"), ("d", "usr/bin/"), ("f", "usr/bin/tool", b"#!/bin/sh\n", 0o755),
         ("h", "usr/bin/tool2", "usr/bin/tool"), ("l", "bin", "usr/bin"), ("d", "var/"),
         ("d", "var/cache/"), ("f", "var/cache/a", b"a" * 1000), ("d", "tmp/", 0o1777)]
BASE1 = [("d", "etc/"), ("f", "etc/.wh.old", b""), ("f", "etc/os-release", b'ID=test\nVERSION=2\n'),
         ("d", "var/"), ("d", "var/cache/"), ("f", "var/cache/.wh..wh..opq", b""), ("f", "var/cache/b", b"b\n"),
         ("h", "usr/bin/tool3", "usr/bin/tool")]
BASE2 = [("d", "app/"), ("f", "app/main", b"\x7fELF" + b"\0" * 100, 0o755),
         ("d", "bin/"), ("f", "bin/own", b"a directory over layer 0's symbolic link bin: no hazard\n")]


def base_layers(l0=None, l1=None, l2=None):
    return [l0 or layer(BASE0, "gzip"), l1 or layer(BASE1, "zstd"), l2 or layer(BASE2, "none")]


def clean():
    L = Layout("deep-clean")
    L.image(base_layers(), ref="v1")
    L.index()


def clean_gz():  # no zstd: skopeo writes it as a docker save (docker has no zstd layers)
    L = Layout("deep-clean-gz")
    L.image(base_layers(l1=layer(BASE1, "gzip")), ref="v1")
    L.index()


def diffid_wrong():
    L = Layout("deep-diffid-wrong")
    ls = base_layers()
    ids = ["sha256:" + sha(t) for _, _, t in ls]
    ids[1] = "sha256:" + sha(b"something else")
    L.image(ls, diff_ids=ids, ref="v1")
    L.index()


def count_mismatch():
    L = Layout("deep-count-mismatch")
    ls = base_layers()
    L.image(ls, diff_ids=["sha256:" + sha(t) for _, _, t in ls][:2], ref="v1")
    L.index()


def broken(name, **kw):
    L = Layout(name)
    L.image(base_layers(**kw), ref="v1")
    L.index()


def hazards():
    L = Layout("deep-hazards")
    l0 = layer([("d", "usr/"), ("d", "usr/lib/"), ("l", "lib", "usr/lib"), ("d", "dev/"), ("c", "dev/null", 1, 3),
                ("b", "dev/sda", 8, 0), ("p", "dev/fifo"), ("d", "bin/"), ("f", "bin/su", b"su\n", 0o4755),
                ("f", "bin/wall", b"wall\n", 0o2755), ("d", "open/", 0o777), ("f", "open/f", b"f\n", 0o666),
                ("f", "/abs", b"abs\n"), ("f", "../up", b"up\n"), ("h", "hl", "nothing-here"),
                ("d", "etc/"), ("f", "etc/.wh.gone", b"content\n"), ("f", "file", b"x\n"),
                ("f", "file/.wh..wh..opq", b""), ("l", "s", "somewhere"), ("f", "s/through", b"t\n")], "gzip")
    l1 = layer([("f", "lib/x", b"x\n"), ("h", "hl2", "bin/su"), ("h", "hl3", "gone-too"),
                ("f", "lib/.wh..wh..opq", b"")], "gzip")
    L.image([l0, l1], ref="v1")
    L.index()


def shared():
    L = Layout("deep-shared")
    common = layer(BASE0, "gzip")
    L.image([common, layer([("f", "amd", b"amd64\n")], "zstd")], arch="amd64")
    L.image([common, layer([("f", "arm", b"arm64\n")], "zstd")], arch="arm64")
    idx = L.blob(json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": L.entries}).encode(), MT_INDEX)
    idx["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
    L.index([idx])


def attestation():
    L = Layout("deep-attestation")
    md = L.image(base_layers(), ref=None)
    statement = json.dumps({"_type": "https://in-toto.io/Statement/v0.1", "subject": []}).encode()
    empty = L.blob(b"{}", "application/vnd.oci.empty.v1+json")
    att = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": empty,
           "layers": [L.blob(statement, "application/vnd.in-toto+json")]}
    ad = L.blob(json.dumps(att).encode(), MT_MANIFEST)
    ad["platform"] = {"architecture": "unknown", "os": "unknown"}
    ad["annotations"] = {"vnd.docker.reference.type": "attestation-manifest",
                         "vnd.docker.reference.digest": md["digest"]}
    idx = L.blob(json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [md, ad]}).encode(), MT_INDEX)
    idx["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
    L.index([idx])


os.makedirs(OUT, exist_ok=True)
clean()
clean_gz()
diffid_wrong()
count_mismatch()
broken("deep-gzip-cut", l0=layer(BASE0, "gzip", cut=20))
broken("deep-gzip-trailing", l0=layer(BASE0, "gzip", extra=b"garbage after the gzip member\n"))
broken("deep-zstd-cut", l1=layer(BASE1, "zstd", cut=10))
broken("deep-zstd-trailing", l1=layer(BASE1, "zstd", extra=b"garbage after the zstd frame\n"))
broken("deep-zstd-window", l1=layer(BASE1, "zstd-long"))
broken("deep-tar-cut", l2=layer(BASE2, "none", cut=1050))
broken("deep-tar-nomarker", l2=layer(BASE2, "none", drop_marker=True))
hazards()
shared()
attestation()
