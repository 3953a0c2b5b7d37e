#!/usr/bin/env python3
"""Writes testdata/layers/: images whose layers issue 14 looks inside (verify --deep, files,
cat --file, diff), each made by a real tool where one can make it:

  umoci         umoci-multi: three gzip layers by umoci repack over a root filesystem
                changed between them (files changed, deleted: umoci's .wh. whiteouts)
  skopeo        skopeo-zstd: umoci-multi copied with --dest-compress-format zstd;
                docker-save.tar: umoci-multi copied to docker-archive: (docker save's format)
  GNU tar       gnutar-whiteouts: whiteouts and opaque directories over four layers;
                hazards: a tar with each hazard issue 14 names (devices and fifo made by
                mknod, names by --transform -P), over a lower layer's symlink
  bsdtar        gnutar-whiteouts' third layer (pax format)
  gzip, zstd    the compression of the GNU tar and bsdtar layers
  this script   what no tool writes on purpose: a wrong diff_id, a diff_id count that
                disagrees, a gzip layer cut short, garbage after a gzip member (each a copy
                of umoci-multi with one thing changed, its manifest and config re-digested),
                and shared-layer: an index of two platforms whose manifests share a layer

  python3 tests/gen_layers.py testdata/layers     (root: mknod; umoci, skopeo installed)

The layouts are committed: re-running writes other timestamps (umoci, skopeo), not other
contents.  What each holds is listed in testdata/README.md ("layers/").
"""
import gzip as _gzip_unused  # noqa: F401  (the gzip(1) tool is used, not this module)
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "testdata/layers")
WORK = tempfile.mkdtemp(prefix="gen-layers-")
MTIME = "@1700000000"
GNUTAR = ["tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=" + MTIME,
          "--format=gnu"]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = {"tar": "application/vnd.oci.image.layer.v1.tar",
         "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
         "zstd": "application/vnd.oci.image.layer.v1.tar+zstd"}


def run(*cmd, cwd=None, stdout=None):
    subprocess.run(cmd, check=True, cwd=cwd, stdout=stdout)


def sh(cmd, cwd=None):
    subprocess.run(cmd, shell=True, check=True, cwd=cwd)


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write(path, data, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)


def fresh(name):
    p = os.path.join(OUT, name)
    if os.path.lexists(p):
        shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)
    return p


# ------------------------------------------------------------------ a layout by hand
class Layout:
    """An OCI layout directory: blobs by digest, documents written as JSON (compact)."""

    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
        write(os.path.join(root, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}')

    def blob(self, data, media_type):
        d = sha(data)
        write(os.path.join(self.root, "blobs", "sha256", d[7:]), data)
        return {"mediaType": media_type, "digest": d, "size": len(data)}

    def doc(self, obj, media_type):
        return self.blob(json.dumps(obj, separators=(",", ":")).encode(), media_type)

    def image(self, layers, arch="amd64", diff_ids=None, history=None, env=None):
        """layers: [(blob bytes, kind, uncompressed tar bytes)]; returns the manifest descriptor."""
        descs = [self.blob(b, LAYER[k]) for b, k, _ in layers]
        ids = diff_ids if diff_ids is not None else [sha(t) for _, _, t in layers]
        cfg = {"created": "2023-11-14T22:13:20Z", "architecture": arch, "os": "linux",
               "config": {"Env": env or ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
               "rootfs": {"type": "layers", "diff_ids": ids},
               "history": history or [{"created": "2023-11-14T22:13:20Z", "created_by": "tests/gen_layers.py layer %d" % i}
                                      for i in range(len(layers))]}
        c = self.doc(cfg, OCI_CONFIG)
        return self.doc({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": c, "layers": descs}, OCI_MANIFEST)

    def index(self, manifests):
        write(os.path.join(self.root, "index.json"),
              json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}, separators=(",", ":")))


def gzip_bytes(tar_path):
    return subprocess.run(["gzip", "-n", "-6", "-c", tar_path], check=True, stdout=subprocess.PIPE).stdout


def zstd_bytes(tar_path):
    return subprocess.run(["zstd", "-q", "-3", "-c", tar_path], check=True, stdout=subprocess.PIPE).stdout


def read(p):
    with open(p, "rb") as f:
        return f.read()


# ------------------------------------------------------------------ umoci-multi
def umoci_multi():
    root = fresh("umoci-multi")
    w = os.path.join(WORK, "umoci")
    os.makedirs(w)
    lay = os.path.join(w, "L")
    run("umoci", "init", "--layout", lay)
    run("umoci", "new", "--image", lay + ":latest")
    run("umoci", "unpack", "--image", lay + ":latest", os.path.join(w, "b"))
    r = os.path.join(w, "b", "rootfs")
    # layer 1: a small root filesystem
    write(r + "/etc/os-release", 'NAME="ocidig test"\nID=ocidig\nVERSION_ID=1\n')
    write(r + "/etc/hostname", "fixture\n")
    write(r + "/etc/motd", "welcome\n")
    write(r + "/usr/bin/tool", "#!/bin/sh\necho tool 1\n", 0o755)
    write(r + "/usr/share/doc/tool/README", "tool's documentation\n" * 40)
    write(r + "/usr/share/doc/tool/CHANGES", "1: first\n")
    write(r + "/var/lib/data/blob.bin", os.urandom(0) + bytes(range(256)) * 64)
    os.symlink("../usr/bin/tool", r + "/etc/tool-link")
    os.link(r + "/usr/bin/tool", r + "/usr/bin/tool-hard")
    os.makedirs(r + "/tmp", exist_ok=True)
    os.chmod(r + "/tmp", 0o1777)
    run("umoci", "repack", "--refresh-bundle", "--image", lay + ":latest", os.path.join(w, "b"))
    # layer 2: a file changed, a file deleted, a directory deleted, files added
    write(r + "/usr/bin/tool", "#!/bin/sh\necho tool 2\n", 0o755)
    os.unlink(r + "/etc/motd")
    shutil.rmtree(r + "/usr/share/doc/tool")
    write(r + "/opt/app/app.conf", "port=8080\n")
    write(r + "/opt/app/bin/app", "#!/bin/sh\necho app\n", 0o755)
    run("umoci", "repack", "--refresh-bundle", "--image", lay + ":latest", os.path.join(w, "b"))
    # layer 3: a directory replaced by a file, a symlink replaced, a file re-added
    shutil.rmtree(r + "/opt/app/bin")
    write(r + "/opt/app/bin", "now a file\n")
    os.unlink(r + "/etc/tool-link")
    os.symlink("/usr/bin/tool", r + "/etc/tool-link")
    write(r + "/etc/motd", "welcome back\n")
    run("umoci", "repack", "--refresh-bundle", "--image", lay + ":latest", os.path.join(w, "b"))
    run("umoci", "gc", "--layout", lay)
    shutil.copytree(lay, root)
    return root


# ------------------------------------------------------------------ skopeo
def skopeo_forms(src):
    z = fresh("skopeo-zstd")
    run("skopeo", "copy", "-q", "--dest-compress", "--dest-compress-format", "zstd",
        "oci:" + src + ":latest", "oci:" + z + ":latest")
    d = fresh("docker-save.tar")
    run("skopeo", "copy", "-q", "oci:" + src + ":latest", "docker-archive:" + d + ":ocidig/multi:latest")


# ------------------------------------------------------------------ derived from umoci-multi
def load_image(root):
    idx = json.load(open(os.path.join(root, "index.json")))
    m = idx["manifests"][0]
    man = json.load(open(os.path.join(root, "blobs", "sha256", m["digest"][7:])))
    cfg = json.load(open(os.path.join(root, "blobs", "sha256", man["config"]["digest"][7:])))
    return idx, man, cfg


def derived(src, name, change):
    """A copy of src with change(layout, manifest, config) applied and re-digested."""
    root = fresh(name)
    shutil.copytree(src, root)
    lay = Layout(root)
    idx, man, cfg = load_image(root)
    change(lay, man, cfg)
    man["config"] = lay.doc(cfg, man["config"]["mediaType"])
    m = lay.doc(man, OCI_MANIFEST)
    m["annotations"] = idx["manifests"][0].get("annotations", {})
    idx["manifests"] = [m]
    write(os.path.join(root, "index.json"), json.dumps(idx, separators=(",", ":")))
    # blobs no longer referenced go, so that only what the image names is there
    keep = {m["digest"], man["config"]["digest"]} | {l["digest"] for l in man["layers"]}
    for b in os.listdir(os.path.join(root, "blobs", "sha256")):
        if "sha256:" + b not in keep:
            os.unlink(os.path.join(root, "blobs", "sha256", b))


def wrong_diffid(lay, man, cfg):
    d = cfg["rootfs"]["diff_ids"][1]
    cfg["rootfs"]["diff_ids"][1] = d[:-8] + ("00000000" if d[-8:] != "00000000" else "11111111")


def count_mismatch(lay, man, cfg):
    cfg["rootfs"]["diff_ids"] = cfg["rootfs"]["diff_ids"][:-1]


def layer_bytes(lay, desc):
    return read(os.path.join(lay.root, "blobs", "sha256", desc["digest"][7:]))


def truncated_gzip(lay, man, cfg):
    data = layer_bytes(lay, man["layers"][1])
    man["layers"][1] = lay.blob(data[: len(data) * 2 // 3], man["layers"][1]["mediaType"])


def trailing_garbage(lay, man, cfg):
    data = layer_bytes(lay, man["layers"][1])
    man["layers"][1] = lay.blob(data + b"garbage after the gzip member\n", man["layers"][1]["mediaType"])


# ------------------------------------------------------------------ GNU tar / bsdtar layers
def tar_layer(name, build, tool="gnu", extra=()):
    """A layer tar of directory WORK/name (filled by build(dir)); returns the tar's path."""
    d = os.path.join(WORK, name)
    os.makedirs(d)
    build(d)
    for r, dirs, files in os.walk(d):  # bsdtar has no --mtime
        for n in dirs + files + [""]:
            os.utime(os.path.join(r, n), (1700000000, 1700000000), follow_symlinks=False)
    t = os.path.join(WORK, name + ".tar")
    if tool == "gnu":
        run(*GNUTAR, *extra, "-cf", t, "-C", d, ".")
    else:
        run("bsdtar", "--format", "pax", "--uid", "0", "--gid", "0", "--numeric-owner", *extra, "-cf", t, "-C", d, ".")
    return t


def gnutar_whiteouts():
    def l1(d):
        write(d + "/a/1", "a1\n")
        write(d + "/a/2", "a2\n")
        write(d + "/a/sub/x", "x\n")
        write(d + "/b/keep", "b keep\n")
        write(d + "/c", "c is a file\n")
        write(d + "/d/old1", "d old 1\n")
        write(d + "/d/deep/old2", "d old 2\n")
        write(d + "/e/f/g", "g\n")
        write(d + "/big", b"0123456789abcdef" * 4096)

    def l2(d):
        write(d + "/a/.wh.1", "")            # a/1 deleted
        write(d + "/.wh.c", "")              # c deleted
        write(d + "/d/.wh..wh..opq", "")     # d emptied of what lower layers had...
        write(d + "/d/new", "d new\n")       # ...and given this
        write(d + "/big", b"fedcba9876543210" * 2048)  # overwritten: wasted bytes

    def l3(d):  # bsdtar (pax)
        write(d + "/a/.wh.sub", "")          # a directory deleted
        write(d + "/c/now-a-dir", "c is a directory now\n")
        write(d + "/b/.wh..wh..opq", "")     # b opaque, and empty in this layer
        write(d + "/e/.wh.f", "")            # e/f (with e/f/g) deleted
        write(d + "/.wh.big", "")            # big deleted

    def l4(d):
        write(d + "/a/1", "a1 again\n")      # re-added after its whiteout
        write(d + "/e/f", "e/f is a file now\n")
        write(d + "/d/.wh.new", "")          # the opaque layer's own file deleted

    t1 = tar_layer("w1", l1)
    t2 = tar_layer("w2", l2)
    t3 = tar_layer("w3", l3, tool="bsd")
    t4 = tar_layer("w4", l4)
    root = fresh("gnutar-whiteouts")
    lay = Layout(root)
    layers = [(gzip_bytes(t1), "gzip", read(t1)), (gzip_bytes(t2), "gzip", read(t2)),
              (read(t3), "tar", read(t3)), (zstd_bytes(t4), "zstd", read(t4))]
    m = lay.image(layers)
    m["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    lay.index([m])


def hazards():
    def lower(d):
        write(d + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        os.symlink("/etc", d + "/lnk")       # a symlink a higher layer's name goes through
        os.makedirs(d + "/tmp")
        os.chmod(d + "/tmp", 0o1777)         # sticky: not a finding
        write(d + "/plainfile", "a file, not a directory\n")

    def upper(d):
        write(d + "/abs-file", "absolute\n")            # -> /abs-file
        write(d + "/dotdot-file", "dot dot\n")          # -> ../dotdot-file
        write(d + "/mid/dotdot-mid", "dot dot in the middle\n")  # -> mid/../../dotdot-mid
        os.symlink("/usr", d + "/s")                    # this layer's own symlink...
        write(d + "/s-dir/through", "through this layer's symlink s -> /usr\n")  # -> s/through
        write(d + "/hl-target-gone", "")                # made a hard link to nothing below
        os.makedirs(d + "/dev")
        os.mknod(d + "/dev/null2", 0o20666, os.makedev(1, 3))   # character device
        os.mknod(d + "/dev/sda9", 0o60660, os.makedev(8, 9))    # block device
        os.mkfifo(d + "/fifo")
        write(d + "/bin/suid", "#!/bin/sh\n", 0o4755)
        write(d + "/bin/sgid", "#!/bin/sh\n", 0o2755)
        write(d + "/ww-file", "anyone may write this\n", 0o666)
        os.makedirs(d + "/ww-dir")
        os.chmod(d + "/ww-dir", 0o777)                  # world-writable, no sticky bit
        write(d + "/.wh.gone", "a whiteout with content\n")
        write(d + "/plainfile/.wh..wh..opq", "")        # -> opaque marker under a file
        os.chmod(d + "/bin", 0o755)

    tl = tar_layer("h1", lower)
    # GNU tar keeps leading "/" and ".." with -P; --transform names the entries as a hostile
    # tar would.  plainfile/ exists in the scratch tree only to hold the marker: its own
    # directory entry is dropped (--exclude of the dir itself is not possible, so the
    # transform renames it to a harmless name first).
    d = os.path.join(WORK, "h2")
    os.makedirs(d)
    upper(d)
    t = os.path.join(WORK, "h2.tar")
    os.link(d + "/hl-target-gone", d + "/hl")
    names = ["abs-file", "dotdot-file", "mid/dotdot-mid", "lnk/shadow", "s", "s-dir/through", "dev", "dev/null2", "dev/sda9", "fifo", "bin", "bin/suid", "bin/sgid",
             "ww-file", "ww-dir", ".wh.gone", "plainfile/.wh..wh..opq"]
    # lnk/shadow: a name through the lower layer's symlink lnk -> /etc (lnk itself is not
    # in this layer: --no-recursion and the names listed)
    write(d + "/lnk/shadow", "through the lower layer's symlink lnk -> /etc\n")
    for p in ("/dev/null2", "/dev/sda9"):
        os.chmod(d + p, 0o666 if p.endswith("null2") else 0o660)
    for root_, dirs, files in os.walk(d):
        for n in dirs + files:
            os.utime(os.path.join(root_, n), (1700000000, 1700000000), follow_symlinks=False)
    run(*GNUTAR, "-P", "--no-recursion",
        "--transform=s,^abs-file$,/abs-file,",
        "--transform=s,^dotdot-file$,../dotdot-file,",
        "--transform=s,^mid/dotdot-mid$,mid/../../dotdot-mid,",
        "--transform=s,^s-dir/through$,s/through,",
        "-cf", t, "-C", d, *names)
    # hl: a hard link to a name no layer has (GNU tar records a link to the first name of a
    # file it meets: archive hl-target-gone twice, the second as hl, then rename the first
    # away so that only the link entry remains) -- done with bsdtar's -s substitution.
    t_hl = os.path.join(WORK, "hl.tar")
    run("bsdtar", "--format", "ustar", "--uid", "0", "--gid", "0", "-cf", t_hl, "-C", d,
        "-s", ",^hl-target-gone$,no/such/file,", "hl-target-gone", "hl")
    # the upper tar: GNU tar's entries, then bsdtar's link entry only (concatenated with
    # GNU tar --concatenate: -A), so hl links to no/such/file, which nothing holds.
    t_link_only = os.path.join(WORK, "hl-only.tar")
    sh("bsdtar -cf %s --format ustar --exclude no/such/file @%s" % (t_link_only, t_hl))
    run("tar", "-A", "-f", t, t_link_only)
    root = fresh("hazards")
    lay = Layout(root)
    m = lay.image([(gzip_bytes(tl), "gzip", read(tl)), (gzip_bytes(t), "gzip", read(t))])
    m["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    lay.index([m])


def shared_layer():
    def base(d):
        write(d + "/etc/os-release", "ID=shared\n")
        write(d + "/usr/share/common.txt", "the same in both platforms\n")

    def amd(d):
        write(d + "/usr/bin/prog", "amd64 program\n", 0o755)

    def arm(d):
        write(d + "/usr/bin/prog", "arm64 program\n", 0o755)

    tb, ta, tr = tar_layer("s-base", base), tar_layer("s-amd64", amd), tar_layer("s-arm64", arm)
    root = fresh("shared-layer")
    lay = Layout(root)
    gb = gzip_bytes(tb)
    m1 = lay.image([(gb, "gzip", read(tb)), (gzip_bytes(ta), "gzip", read(ta))], arch="amd64")
    m1["platform"] = {"architecture": "amd64", "os": "linux"}
    m2 = lay.image([(gb, "gzip", read(tb)), (gzip_bytes(tr), "gzip", read(tr))], arch="arm64")
    m2["platform"] = {"architecture": "arm64", "os": "linux", "variant": "v8"}
    ix = lay.doc({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [m1, m2]}, OCI_INDEX)
    ix["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    lay.index([ix])


def main():
    os.makedirs(OUT, exist_ok=True)
    src = umoci_multi()
    skopeo_forms(src)
    derived(src, "wrong-diffid", wrong_diffid)
    derived(src, "count-mismatch", count_mismatch)
    derived(src, "truncated-gzip", truncated_gzip)
    derived(src, "trailing-garbage", trailing_garbage)
    gnutar_whiteouts()
    hazards()
    shared_layer()
    shutil.rmtree(WORK)


main()
