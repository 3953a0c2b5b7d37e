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
An entry beneath a symbolic link, or with ".." inside its name, is unpacked where containerd's
unpacker puts it (resolve_names); the entries no unpacker makes (a hard link to nothing, an
entry beneath a file or a loop of links: containerd's unpack fails) are left out and named in
SCRATCH/undecided, one per line.
Exit 3 (and a message) for what this reference does not decide.
"""
import hashlib
import json
import os
import posixpath
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


def resolve_names(root, members):
    """Where containerd's unpacker puts each entry of a layer (its fs.RootPath, written here
    from its documented behaviour): the name cleaned; its parent walked component by
    component over what the layers below left (on disk, never through a link: every prefix
    walked is a real directory) and the layer's own earlier entries; a symbolic link's target
    walked on from the link's directory, leading ".." at most to the root (a target with ".."
    after a name, "x/../y", is where containerd's own walk differs by the link's depth: not
    decided here, exit 3);
    a component that is not there ends the walk, it and the rest are made as directories.
    None: no unpacker makes it (a file as a directory, a loop of links, a hard link to
    nothing: containerd's unpack fails there)."""
    state = {}      # this layer's entries so far, by resolved name: ("l", target) | ("d",) | ("f",) | ("gone",)
    opaque = set()  # directories this layer made opaque (what is below them is hidden)

    def lookup(rel):
        parts = rel.split("/")
        for k in range(1, len(parts)):
            pre = "/".join(parts[:k])
            if state.get(pre, ("d",))[0] != "d":
                return None, None
        if rel in state:
            return state[rel][0] if state[rel][0] != "gone" else None, state[rel][1:]
        if any(rel.startswith(o + "/") for o in opaque):
            return None, None
        try:
            st = os.lstat(os.path.join(root, rel))
        except FileNotFoundError:
            return None, None
        if stat.S_ISLNK(st.st_mode):
            return "l", (os.readlink(os.path.join(root, rel)),)
        return ("d" if stat.S_ISDIR(st.st_mode) else "f"), ()

    def rootpath(parts, m):
        out, queue, links = [], [c for c in parts if c not in ("", ".")], 0
        while queue:
            c = queue.pop(0)
            if c == "..":
                if out:
                    out.pop()
                continue
            kind, extra = lookup("/".join(out + [c]))
            if kind is None:
                return out + [c] + queue  # made as directories (the rest holds no link)
            if kind == "l":
                links += 1
                if links > 255:
                    return None
                target = extra[0]
                tparts = [t for t in target.split("/") if t not in ("", ".")]
                while tparts and tparts[0] == "..":
                    tparts.pop(0)
                if ".." in tparts:
                    # "x/../y": containerd's fs.RootPath walks x first at the root and takes
                    # "x/.." away as text below it; the kernel walks x: not decided here
                    fail("%s: the link %s -> %s has '..' after a name: not decided here"
                         % (m.name, "/".join(out + [c]), target), 3)
                if target.startswith("/"):
                    out = []
                queue = [t for t in posixpath.normpath(target).split("/") if t not in ("", ".")] + queue
                continue
            if kind != "d":
                return None
            out.append(c)
        return out

    names = []
    for m in members:
        n = clean(m.name)
        if not n:
            names.append((n, m))
            continue
        parent, base = n.rsplit("/", 1) if "/" in n else ("", n)
        d = rootpath(parent.split("/"), m) if parent else []
        r = None if d is None else "/".join(d + [base])
        if r is not None and m.islnk():
            t = clean(m.linkname)
            tp, tb = t.rsplit("/", 1) if "/" in t else ("", t)
            td = rootpath(tp.split("/"), m) if tp else []
            kind = None if td is None else lookup("/".join(td + [tb]))[0]
            if kind is None or kind == "d":
                r = None  # a hard link to nothing (or to a directory): the unpack fails
            else:
                m.linkname = "/".join(td + [tb])
        names.append((r, m))
        if r is None:
            continue
        if base == ".wh..wh..opq":
            opaque.add("/".join(d))
        elif base.startswith(".wh.") and not base.startswith(".wh..wh."):
            state["/".join(d + [base[4:]])] = ("gone",)
        else:
            state[r] = ("l", m.linkname) if m.issym() else ("d",) if m.isdir() else ("f",)
    return names


def apply_layer(root, tarpath, undecided):
    with tarfile.open(tarpath) as tf:
        members = tf.getmembers()
        names = resolve_names(root, members)
        # the layer again, each entry under the name it is unpacked at: GNU tar then passes
        # through no symbolic link (every parent is a real directory or made)
        rewritten = tarpath + ".resolved"
        with tarfile.open(rewritten, "w", format=tarfile.PAX_FORMAT) as out:
            for r, m in names:
                if r is None:
                    undecided.append(clean(m.name))
                    continue
                if not r:
                    continue
                m.name = r
                m.pax_headers.pop("path", None)  # else the old name stays in the PAX header
                m.pax_headers.pop("linkpath", None)
                out.addfile(m, tf.extractfile(m) if m.isreg() else None)
    names = [(r, m) for r, m in names if r]
    for r, m in names:  # never out of the scratch root, whatever the layer says
        if not os.path.realpath(os.path.join(root, os.path.dirname(r))).startswith(os.path.realpath(root)):
            fail("%s would be unpacked outside the tree" % r)
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
    r = subprocess.run(["tar", "-xf", rewritten, "-C", root, "--numeric-owner", "--same-owner", "--same-permissions",
                        "--exclude=.wh.*"], capture_output=True, text=True)
    os.unlink(rewritten)
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
    undecided = []
    for i, layer in enumerate(pick_layers(src, want, ref, manifest)):
        if changes is not None and i > changes:
            break
        tarpath = os.path.join(scratch, "layer%d.tar" % i)
        decompress(layer, tarpath)
        if i == changes:
            before = {r.split("\t", 1)[0] for r in listing(root)}
            with tarfile.open(tarpath) as tf:
                names = {clean(m.name) for m in tf.getmembers()}
        apply_layer(root, tarpath, undecided)
        os.unlink(tarpath)
    os.chdir("/")
    with open(os.path.join(scratch, "undecided"), "w") as f:
        f.write("".join(n + "\n" for n in undecided))
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
