#!/usr/bin/env python3
"""files_gen.py OUT: the fixtures of tests/files.sh, written at test time.

Layers are made by GNU tar from staging directories (whiteouts and opaque markers are
ordinary empty files there), compressed by gzip and zstd; one image whose layers need an
entry order GNU tar cannot give (a whiteout after an entry of its own layer) by Python's
tarfile.  The OCI layout's JSON (config with rootfs.diff_ids, manifest, index.json) is
written here.  Made:
  OUT/multi/        OCI layout, 3 layers (gzip, zstd, uncompressed): files, directories,
                    symlinks (relative, absolute, one leaving the tree, a loop), hard links
                    (in one layer, and to a file of a lower layer), setuid, sticky, a fifo,
                    owners, names with spaces and UTF-8; then whiteouts of a file and a
                    directory, an opaque directory, a file replacing a directory and a
                    directory replacing a file, files replaced (wasted bytes)
  OUT/multigz/      the same layers, each gzip (for skopeo's docker-archive: and dir:)
  OUT/samelayer/    OCI layout, 2 layers (Python tarfile): whiteouts in the same layer as
                    entries they name, before and after them
  OUT/multi.tar     multi/ as an archive, index.json and manifests first, layers in order
  OUT/big.tar       one layer of 5 MiB (gzip), in the same order
"""
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import io

T0 = 1577836800  # 2020-01-01


def sh(*cmd, **kw):
    subprocess.run(list(cmd), check=True, **kw)


def write(path, data=b"", mode=0o644, uid=0, gid=0, mtime=T0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chown(path, uid, gid)  # before chmod: chown clears setuid
    os.chmod(path, mode)
    os.utime(path, (mtime, mtime))


def mkdir(path, mode=0o755, uid=0, gid=0, mtime=T0):
    os.makedirs(path, exist_ok=True)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def symlink(target, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def gnu_tar(stage, out):
    # directories' mtimes last (GNU tar sets what it reads)
    for d, dirs, files in os.walk(stage, topdown=False):
        os.utime(d, (T0 + 60, T0 + 60))
    sh("tar", "-C", stage, "--sort=name", "--numeric-owner", "-cf", out, ".")


class Layout:
    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"))
        self.layers, self.diff_ids = [], []

    def blob(self, data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.root, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        return "sha256:" + d

    def add_layer(self, tar_bytes, compression):
        self.diff_ids.append("sha256:" + hashlib.sha256(tar_bytes).hexdigest())
        if compression == "gzip":
            data = gzip.compress(tar_bytes, 6, mtime=0)
            mt = "application/vnd.oci.image.layer.v1.tar+gzip"
        elif compression == "zstd":
            data = subprocess.run(["zstd", "-q", "-c"], input=tar_bytes, capture_output=True, check=True).stdout
            mt = "application/vnd.oci.image.layer.v1.tar+zstd"
        else:
            data, mt = tar_bytes, "application/vnd.oci.image.layer.v1.tar"
        self.layers.append({"mediaType": mt, "digest": self.blob(data), "size": len(data)})

    def finish(self):
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/usr/bin"]},
                             "rootfs": {"type": "layers", "diff_ids": self.diff_ids}}).encode()
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                          "digest": self.blob(config), "size": len(config)},
                               "layers": self.layers}).encode()
        self.manifest = self.blob(manifest)
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                "digest": self.manifest, "size": len(manifest),
                                "platform": {"architecture": "amd64", "os": "linux"},
                                "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
        with open(os.path.join(self.root, "index.json"), "w") as f:
            json.dump(index, f)
        with open(os.path.join(self.root, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        self.config = json.loads(manifest)["config"]["digest"]


def multi(out, work):
    lay = Layout(os.path.join(out, "multi"))
    gz = Layout(os.path.join(out, "multigz"))  # the same layers, gzip only (docker's formats have no zstd)
    # layer 0 (gzip)
    s = os.path.join(work, "l0")
    for d in ["etc", "usr/bin", "usr/lib", "usr/share", "opt/app", "var/cache/apt", "srv/www", "home/user"]:
        mkdir(os.path.join(s, d))
    mkdir(os.path.join(s, "tmp"), 0o1777)
    mkdir(os.path.join(s, "home/user"), 0o700, 1000, 1000)
    write(os.path.join(s, "etc/os-release"), b'NAME="Fixture"\nID=fixture\n')
    write(os.path.join(s, "etc/passwd"), b"root:x:0:0::/root:/bin/sh\n")
    write(os.path.join(s, "etc/na\u00efve file.txt"), b"spaces and utf-8\n")
    write(os.path.join(s, "usr/bin/tool"), b"#!/bin/sh\necho tool\n", 0o755)
    write(os.path.join(s, "usr/bin/suid"), b"setuid\n", 0o4755)
    write(os.path.join(s, "usr/lib/libx.so.1"), b"\x7fELF version 1" * 100)
    symlink("libx.so.1", os.path.join(s, "usr/lib/libx.so"))
    os.link(os.path.join(s, "usr/bin/tool"), os.path.join(s, "usr/bin/tool-hard"))
    write(os.path.join(s, "opt/app/big"), os.urandom(70000))
    write(os.path.join(s, "usr/share/data.bin"), os.urandom(3 << 20))  # streamed in many pieces
    write(os.path.join(s, "opt/app/conf"), b"old=1\n")
    write(os.path.join(s, "var/cache/apt/pkgcache.bin"), b"c" * 5000)
    write(os.path.join(s, "srv/www/index.html"), b"<html></html>\n" * 10)
    write(os.path.join(s, "home/user/.profile"), b"export X=1\n", 0o600, 1000, 1000)
    write(os.path.join(s, "data"), b"a file that becomes a directory\n")
    os.mkfifo(os.path.join(s, "tmp/fifo"))
    symlink("usr/bin", os.path.join(s, "bin"))
    symlink("/etc/os-release", os.path.join(s, "etc/alt-release"))
    symlink("../../../../etc/shadow", os.path.join(s, "etc/escape"))
    symlink("loop-b", os.path.join(s, "etc/loop-a"))
    symlink("loop-a", os.path.join(s, "etc/loop-b"))
    gnu_tar(s, os.path.join(work, "l0.tar"))
    with open(os.path.join(work, "l0.tar"), "rb") as f:
        data = f.read()
        lay.add_layer(data, "gzip")
        gz.add_layer(data, "gzip")
    # layer 1 (zstd): changes
    s = os.path.join(work, "l1")
    for d in ["etc", "usr/bin", "usr/lib", "opt/app", "var", "data"]:
        mkdir(os.path.join(s, d))
    write(os.path.join(s, "etc/passwd"), b"root:x:0:0::/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n")
    write(os.path.join(s, "usr/lib/libx.so.1"), b"\x7fELF version 2" * 120)
    write(os.path.join(s, "var/.wh.cache"))                 # a directory deleted
    write(os.path.join(s, "etc/.wh.na\u00efve file.txt"))        # a file deleted
    write(os.path.join(s, "opt/app/.wh..wh..opq"))          # an opaque directory
    write(os.path.join(s, "opt/app/conf"), b"new=2\n")
    write(os.path.join(s, "data/inside"), b"data is a directory now\n")
    write(os.path.join(s, "usr/bin/added"), b"added in layer 1\n", 0o755)
    gnu_tar(s, os.path.join(work, "l1.tar"))
    # a hard link to a file of layer 0 (GNU tar cannot make one to a file not in its
    # input): appended with Python's tarfile
    with tarfile.open(os.path.join(work, "l1.tar"), "a", format=tarfile.GNU_FORMAT) as tf:
        ti = tarfile.TarInfo("./usr/bin/tool-hard2")
        ti.type, ti.linkname, ti.mtime, ti.mode = tarfile.LNKTYPE, "./usr/bin/tool", T0, 0o755
        tf.addfile(ti)
    with open(os.path.join(work, "l1.tar"), "rb") as f:
        data = f.read()
        lay.add_layer(data, "zstd")
        gz.add_layer(data, "gzip")
    # layer 2 (uncompressed): a file in place of a directory, the file of layer 0 replaced again
    s = os.path.join(work, "l2")
    mkdir(os.path.join(s, "etc"))
    write(os.path.join(s, "srv"), b"srv is a file now\n")
    write(os.path.join(s, "etc/passwd"), b"root:x:0:0::/root:/bin/bash\n", 0o644)
    write(os.path.join(s, "etc/group"), b"root:x:0:\n", 0o644, 0, 42)
    gnu_tar(s, os.path.join(work, "l2.tar"))
    with open(os.path.join(work, "l2.tar"), "rb") as f:
        data = f.read()
        lay.add_layer(data, "none")
        gz.add_layer(data, "gzip")
    lay.finish()
    gz.finish()
    return lay


def samelayer(out):
    lay = Layout(os.path.join(out, "samelayer"))

    def tar(entries):
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for name, kind, data in entries:
                ti = tarfile.TarInfo(name)
                ti.mtime = T0
                if kind == "d":
                    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                    tf.addfile(ti)
                else:
                    ti.size, ti.mode = len(data), 0o644
                    tf.addfile(ti, io.BytesIO(data))
        return b.getvalue()
    lay.add_layer(tar([("x", "f", b"x of layer 0"), ("y", "f", b"y0"), ("d/", "d", b""), ("d/old", "f", b"old"),
                       ("e/", "d", b""), ("e/old", "f", b"e old")]), "gzip")
    lay.add_layer(tar([(".wh.x", "f", b""), ("x", "f", b"x of layer 1"),       # whiteout first
                       ("y", "f", b"y of layer 1"), (".wh.y", "f", b""),       # whiteout after
                       ("d/", "d", b""), ("d/new", "f", b"new"), (".wh.d", "f", b""),
                       (".wh.e", "f", b""), ("e/", "d", b""), ("e/new", "f", b"e new")]), "gzip")
    lay.finish()
    return lay


def big(out, work):
    """One layer over 4 MiB (more than an archive on standard input keeps)."""
    lay = Layout(os.path.join(out, "big"))
    s = os.path.join(work, "big")
    write(os.path.join(s, "blob"), os.urandom(5 << 20))
    gnu_tar(s, os.path.join(work, "big.tar"))
    with open(os.path.join(work, "big.tar"), "rb") as f:
        lay.add_layer(f.read(), "gzip")
    lay.finish()
    return lay


def archive(lay, out):
    """lay's layout as a tar, in the order a stream can be read: index.json and manifests first."""
    root = lay.root
    names = ["oci-layout", "index.json", "blobs/sha256/" + lay.manifest.split(":")[1],
             "blobs/sha256/" + lay.config.split(":")[1]] + \
            ["blobs/sha256/" + l["digest"].split(":")[1] for l in lay.layers]
    sh("tar", "-C", root, "--numeric-owner", "-cf", out, "--no-recursion", *names)


def main():
    out = sys.argv[1]
    work = os.path.join(out, "work")
    os.makedirs(work)
    m = multi(out, work)
    samelayer(out)
    archive(m, os.path.join(out, "multi.tar"))
    archive(big(out, work), os.path.join(out, "big.tar"))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
