#!/usr/bin/env python3
"""deep_review_fixtures.py OUTDIR: the OCI layouts tests/deep_review.sh runs `verify --deep`
over (the review of issue 14: findings 1, 2, 3, 8, 9, 10, 11, 13).  Layers are tars made by
Python's tarfile, uncompressed (media type layer.v1.tar); each config's rootfs.diff_ids are
hashlib's digests of the tars as written here (sha256, or sha512 where the case says so),
never anything ocidig computed.  Prints nothing; each layout's name says what it holds."""
import hashlib, io, json, os, shutil, sys, tarfile

OUT = sys.argv[1]
MT_TAR = "application/vnd.oci.image.layer.v1.tar"


def sha(b):
    return hashlib.sha256(b).hexdigest()


def tarball(entries, fmt=tarfile.GNU_FORMAT):
    """entries: (kind, name[, arg[, mode]]): f name [data [mode]] | d name | l name target | h name target"""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in entries:
            ti = tarfile.TarInfo(e[1])
            ti.mtime = 1704164645
            ti.mode = 0o644
            data = None
            if e[0] == "f":
                data = e[2] if len(e) > 2 else b""
                ti.size = len(data)
                if len(e) > 3:
                    ti.mode = e[3]
            elif e[0] == "d":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif e[0] == "l":
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, e[2], 0o777
            elif e[0] == "h":
                ti.type, ti.linkname = tarfile.LNKTYPE, e[2]
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def layout(name, images, diff_alg="sha256"):
    """images: a list of (platform "os/arch", [layer tars]); one index entry each."""
    root = os.path.join(OUT, name)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "blobs", "sha256"))
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob(data, mt):
        h = sha(data)
        with open(os.path.join(root, "blobs", "sha256", h), "wb") as f:
            f.write(data)
        return {"mediaType": mt, "digest": "sha256:" + h, "size": len(data)}

    manifests = []
    for plat, tars in images:
        os_, arch = plat.split("/")
        layers = [blob(t, MT_TAR) for t in tars]
        ids = [diff_alg + ":" + hashlib.new(diff_alg, t).hexdigest() for t in tars]
        cfg = {"architecture": arch, "os": os_, "config": {}, "rootfs": {"type": "layers", "diff_ids": ids}}
        c = blob(json.dumps(cfg).encode(), "application/vnd.oci.image.config.v1+json")
        m = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                             "config": c, "layers": layers}).encode(), "application/vnd.oci.image.manifest.v1+json")
        m["platform"] = {"architecture": arch, "os": os_}
        manifests.append(m)
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": manifests}, f)


one = lambda tars: [("linux/amd64", tars)]

# finding 1: a symbolic link, then 5 entries whose names are 60,000 bytes deep (pax names)
deep = "a/" * 30000
layout("long-names", one([tarball([("l", "s", "t")] + [("f", deep + "f%d" % i) for i in range(5)],
                                  tarfile.PAX_FORMAT)]))
# the same names below, a symbolic link in the layer below (the parents across layers)
layout("long-names-below", one([tarball([("l", "s", "t")]),
                                tarball([("f", deep + "b%d/f" % i) for i in range(5)], tarfile.PAX_FORMAT)]))
# finding 2: 20,000 symbolic links, then regular files over each
n = 20000
layout("links-replaced", one([tarball([("l", "l%d" % i, "t") for i in range(n)] +
                                      [("f", "l%d" % i) for i in range(n)])]))
# finding 3: 8,000 symbolic links below, 8,000 whiteouts of other names above
n = 8000
layout("links-x-whiteouts", one([tarball([("l", "s%d" % i, "t") for i in range(n)]),
                                 tarball([("f", ".wh.w%d" % i) for i in range(n)])]))
# finding 3's semantics kept: links below removed by a whiteout, a whiteout of their directory,
# an opaque directory: entries beneath them above are no hazard; one link left: one is
layout("links-removed", one([
    tarball([("d", "d"), ("l", "d/s", "t"), ("l", "gone", "t"), ("d", "o"), ("l", "o/s", "t"), ("l", "kept", "t")]),
    tarball([("f", ".wh.gone"), ("f", ".wh.d"), ("d", "o"), ("f", "o/.wh..wh..opq")]),
    tarball([("f", "gone/x"), ("f", "d/s/x"), ("f", "o/s/x"), ("f", "kept/x")])]))
# finding 8: a hard link to a file a whiteout, a whiteout of its directory, or an opaque
# directory of a layer in between removed; and one whose target is still there
layout("hardlink-whited-out", one([
    tarball([("f", "a", b"x"), ("d", "dir"), ("f", "dir/b", b"y"), ("d", "o"), ("f", "o/c", b"z"), ("f", "ok", b"k")]),
    tarball([("f", ".wh.a"), ("f", ".wh.dir"), ("d", "o"), ("f", "o/.wh..wh..opq")]),
    tarball([("h", "h1", "a"), ("h", "h2", "dir/b"), ("h", "h3", "o/c"), ("h", "h4", "ok")])]))
# finding 9: 300 names through a link of the layer below and 300 hard links to nothing
n = 300
layout("many-cross", one([tarball([("l", "lnk", "/etc"), ("f", "x")]),
                          tarball([("f", "lnk/d%d/f" % i) for i in range(n)] +
                                  [("h", "h%d" % i, "no/such%d" % i) for i in range(n)])]))
# finding 10: diff_ids in sha512
layout("sha512-diffid", one([tarball([("f", "etc/os-release", b"ID=test\n")]),
                             tarball([("f", "etc/hostname", b"h\n")])]), diff_alg="sha512")
# finding 11: usrmerge: bin -> usr/bin below, a file written through it above
layout("usrmerge", one([tarball([("d", "usr"), ("d", "usr/bin"), ("l", "bin", "usr/bin")]),
                        tarball([("f", "bin/x", b"#!/bin/sh\n", 0o755)])]))
# finding 13: a layer shared by two platforms, with one setuid file (one warning, if read once)
shared = tarball([("f", "usr/bin/su", b"su", 0o4755)])
layout("shared-setuid", [("linux/amd64", [shared, tarball([("f", "amd", b"1")])]),
                         ("linux/arm64", [shared, tarball([("f", "arm", b"2")])])])
