#!/usr/bin/env python3
"""files_ref.py: the merged file tree of an image, computed independently of ocidig.

The image's layers are found by reading the layout's JSON here (index.json and manifests, or
a docker save's manifest.json, or a containers/image dir:'s manifest.json), each layer is
decompressed by gzip or zstd, and extracted with GNU tar, in order, into one scratch
directory; the whiteouts of a layer (OCI image-spec layer.md) are applied first, to what the
layers below left: ".wh.NAME" removes NAME, ".wh..wh..opq" empties its directory; then the
layer's other entries are extracted over it (a non-directory replacing a directory removes
the directory first).  A directory that no entry names (GNU tar makes it for an entry beneath
it) is given mode 0755, owner 0:0 and mtime 0, as ocidig shows one; the mtime of a directory
of a lower layer that a later layer only adds to is put back (extracting into it changes it).

Usage: files_ref.py [--platform OS/ARCH[/VARIANT]] [--ref NAME] [--manifest DIGEST] SOURCE_DIR SCRATCH
  (--manifest: that manifest's layers, when its blob is in the layout)
  --changes N: instead, layer N's own changes after layers 0..N-1: "A|M|D<tab>PATH" lines
  prints one line per entry of the merged tree, sorted by path:
  PATH TYPE MODE UID GID SIZE MTIME LINK SHA256      (fields separated by a tab)
  TYPE: f d l c b p; MODE: 4 octal digits (07777); SIZE: a file's bytes, "MAJ,MIN" for a
  device, else 0; LINK: a symlink's target, else "-"; SHA256: a file's content, else "-".
  The extracted tree stays in SCRATCH/root (cat --file compares against it).
Exit 3 (and a message) for what this reference does not decide: an entry whose parent in the
tree is a symbolic link (unpackers differ; ocidig follows it inside the tree, as containerd).
"""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile


def fail(msg, code=1):
    print("files_ref: " + msg, file=sys.stderr)
    sys.exit(code)


def blob(src, digest):
    alg, hexd = digest.split(":", 1)
    for p in (os.path.join(src, "blobs", alg, hexd), os.path.join(src, hexd)):
        if os.path.exists(p):
            return p
    fail("blob %s not found" % digest)


def load(path):
    with open(path, "rb") as f:
        return json.load(f)


def platform_of(d):
    p = d.get("platform") or {}
    s = "%s/%s" % (p.get("os", ""), p.get("architecture", ""))
    return s + ("/" + p["variant"] if p.get("variant") else "")


def pick_layers(src, want_platform, ref, manifest):
    """The layer files of the image, bottom first."""
    if manifest and os.path.exists(os.path.join(src, "blobs", *manifest.split(":", 1))):
        return [blob(src, l["digest"]) for l in load(blob(src, manifest))["layers"]]
    if os.path.exists(os.path.join(src, "index.json")):
        manifests = []

        def walk(doc, depth, name):
            for d in doc.get("manifests", []):
                mt = d.get("mediaType", "")
                n = (d.get("annotations") or {}).get("org.opencontainers.image.ref.name") or \
                    (d.get("annotations") or {}).get("io.containerd.image.name") or name
                if "index" in mt or "manifest.list" in mt:
                    walk(load(blob(src, d["digest"])), depth + 1, n)
                elif platform_of(d) != "unknown/unknown":
                    manifests.append((d, n))
        walk(load(os.path.join(src, "index.json")), 0, None)
        if ref:
            manifests = [m for m in manifests if m[1] and (m[1] == ref or m[1].endswith(":" + ref)
                                                           or m[1].endswith("/" + ref))]
        if want_platform:
            manifests = [m for m in manifests if platform_of(m[0]) == want_platform] or \
                        [m for m in manifests if not m[0].get("platform")]
        if not manifests:
            fail("no manifest for %s" % want_platform)
        m = load(blob(src, manifests[0][0]["digest"]))
        return [blob(src, l["digest"]) for l in m["layers"]]
    m = load(os.path.join(src, "manifest.json"))
    if isinstance(m, list):  # docker save
        e = m[0]
        if ref:
            e = [x for x in m if any(t == ref or t.endswith("/" + ref) for t in x.get("RepoTags") or [])][0]
        return [os.path.join(src, l) for l in e["Layers"]]
    return [blob(src, l["digest"]) for l in m["layers"]]  # dir:


def decompress(path, out):
    with open(path, "rb") as f:
        magic = f.read(4)
    cmd = ["gzip", "-dc"] if magic[:2] == b"\x1f\x8b" else ["zstd", "-dcq"] if magic == b"\x28\xb5\x2f\xfd" else None
    with open(out, "wb") as o:
        if cmd:
            r = subprocess.run(cmd + [path], stdout=o, stderr=subprocess.PIPE)
            if r.returncode not in (0, 2):  # 2: a warning (gzip: "trailing garbage ignored")
                fail("%s %s: %s" % (cmd[0], path, r.stderr.decode(errors="replace").strip()))
        else:
            with open(path, "rb") as i:
                shutil.copyfileobj(i, o)


def clean(name):
    parts = []
    for c in name.split("/"):
        if c in ("", "."):
            continue
        if c == "..":
            if parts:
                parts.pop()
            continue
        parts.append(c)
    return "/".join(parts)


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def dirs_of(root):
    out = {}
    for d, _, _ in os.walk(root):
        out[os.path.relpath(d, root)] = os.lstat(d).st_mtime_ns
    return out


def apply_layer(root, tarpath):
    with tarfile.open(tarpath) as tf:
        members = tf.getmembers()
    names = [(clean(m.name), m) for m in members]
    links = {n for n, m in names if m.issym()}
    # the decisions this reference leaves to unpackers: ".." inside a name (GNU tar refuses
    # the entry, containerd cleans it), an entry beneath a symbolic link
    for m in members:
        parts = [c for c in m.name.split("/") if c not in ("", ".")]
        lead = 0
        while lead < len(parts) and parts[lead] == "..":
            lead += 1  # a leading "../": GNU tar and containerd both drop it
        if ".." in parts[lead:]:
            fail("%s has a '..' inside its name: not decided here" % m.name, 3)
    for n, m in names:
        parts = n.split("/")
        for i in range(1, len(parts)):
            pre = "/".join(parts[:i])
            if pre in links or os.path.islink(os.path.join(root, pre)):
                fail("%s passes through the symbolic link %s: not decided here" % (n, pre), 3)
    before = dirs_of(root)
    # 1. whiteouts, over what the layers below left
    for n, m in names:
        base = n.rsplit("/", 1)[-1]
        parent = n.rsplit("/", 1)[0] if "/" in n else ""
        if base == ".wh..wh..opq":
            d = os.path.join(root, parent)
            if os.path.isdir(d) and not os.path.islink(d):
                for c in os.listdir(d):
                    remove(os.path.join(d, c))
        elif base.startswith(".wh.") and not base.startswith(".wh..wh."):
            remove(os.path.join(root, parent, base[4:]))
    # 2. a non-directory replacing a directory: the directory goes first
    for n, m in names:
        p = os.path.join(root, n)
        if n and not m.isdir() and os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
    explicit = {n: m.mtime for n, m in names if m.isdir()}  # the last entry of a name wins
    # 3. the layer's entries, with GNU tar
    r = subprocess.run(["tar", "-xf", tarpath, "-C", root, "--numeric-owner", "--same-owner", "--same-permissions",
                        "--exclude=.wh.*"], capture_output=True, text=True)
    if r.returncode:
        fail("GNU tar: " + r.stderr.strip())
    # 4. directories: made for an entry beneath (implicit), or of a lower layer (mtime put back)
    for rel, mt in sorted(dirs_of(root).items(), key=lambda x: -len(x[0])):
        p = os.path.join(root, rel)
        if clean(rel) in explicit:  # as its entry says (an entry extracted after it changed it)
            os.utime(p, (explicit[clean(rel)], explicit[clean(rel)]), follow_symlinks=False)
            continue
        if rel == ".":
            continue
        if rel in before:
            os.utime(p, ns=(mt, before[rel]), follow_symlinks=False)
        else:
            os.chown(p, 0, 0, follow_symlinks=False)
            os.chmod(p, 0o755)
            os.utime(p, ns=(0, 0), follow_symlinks=False)


def listing(root):
    rows = []
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            t = {stat.S_IFREG: "f", stat.S_IFDIR: "d", stat.S_IFLNK: "l", stat.S_IFCHR: "c", stat.S_IFBLK: "b",
                 stat.S_IFIFO: "p"}.get(stat.S_IFMT(st.st_mode), "?")
            size, link, sha = "0", "-", "-"
            if t == "f":
                size = str(st.st_size)
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                sha = h.hexdigest()
            elif t == "l":
                link = os.readlink(p)
            elif t in "cb":
                size = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            rows.append("\t".join([rel, t, "%04o" % stat.S_IMODE(st.st_mode), str(st.st_uid), str(st.st_gid), size,
                                   str(st.st_mtime_ns // 1000000000), link, sha]))
    return sorted(rows, key=lambda r: r.split("\t", 1)[0].encode("utf-8", "surrogateescape"))


def main():
    args = sys.argv[1:]
    want, ref, manifest, changes = None, None, None, None
    while args and args[0].startswith("--"):
        if args[0] == "--platform":
            want = args[1]
        elif args[0] == "--ref":
            ref = args[1]
        elif args[0] == "--manifest":
            manifest = args[1]
        elif args[0] == "--changes":
            changes = int(args[1])
        else:
            fail("unknown option " + args[0], 2)
        args = args[2:]
    if len(args) != 2:
        fail(__doc__.split("\n\n")[2], 2)
    src, scratch = args
    root = os.path.join(scratch, "root")
    os.makedirs(root)
    before = None
    for i, layer in enumerate(pick_layers(src, want, ref, manifest)):
        if changes is not None and i > changes:
            break
        tarpath = os.path.join(scratch, "layer%d.tar" % i)
        decompress(layer, tarpath)
        if i == changes:
            before = {r.split("\t", 1)[0] for r in listing(root)}
            with tarfile.open(tarpath) as tf:
                names = {clean(m.name) for m in tf.getmembers()}
        apply_layer(root, tarpath)
        os.unlink(tarpath)
    os.chdir("/")
    if changes is not None:
        # layer N's own changes: its entries (and the directories made for them) added or
        # modified, what the layers below left and it removed deleted
        after = {r.split("\t", 1)[0] for r in listing(root)}
        rows = ["%s\t%s" % ("M" if p in before else "A", p) for p in after
                if p in names or p not in before]
        rows += ["D\t" + p for p in before - after]
        sys.stdout.write("".join(r + "\n" for r in sorted(rows, key=lambda r: r.split("\t")[1].encode("utf-8", "surrogateescape"))))
        return
    sys.stdout.write("".join(r + "\n" for r in listing(root)))


if __name__ == "__main__":
    main()
