#!/usr/bin/env python3
"""Builds the fixtures of `ocidig verify` (testdata/verify/) from one clean layout.

Each fixture is the clean layout with ONE mutation (a tampered byte, a wrong size, a
missing blob, a bad oci-layout, a duplicate key, ...), written twice: as a directory
testdata/verify/<name>/ and as testdata/verify/<name>.tar.gz.  The docker-* fixtures are
docker save archives (manifest.json, no index.json; docker-*-links as containers/image
writes them, with symbolic links), each a clean two-image archive with ONE mutation, as
plain .tar; hybrid-* are the clean layout with a manifest.json beside index.json.  A few mutations only make
sense in an archive (unsafe names, link and special members, duplicate members): those
are written as .tar.gz only; the directory forms of links and special files are made at
test time (git keeps neither FIFOs nor links that point outside the tree).

The output is deterministic (fixed mtimes, owners and order; gzip without a name or a
timestamp), so re-running the script gives the same bytes.  Standard library only.

    python3 tests/verify/mkfixtures.py [OUTDIR]      # default: testdata/verify

MANIFEST (written to OUTDIR/MANIFEST) lists every fixture with its forms and the finding
code it exists for; the Check and CLI tests read their expectations from their own
tables, not from it.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
MT_INTOTO = "application/vnd.in-toto+json"
MTIME = 1577836800  # 2020-01-01


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
        f.write(data)
    return buf.getvalue()


def raw_tar(files, trim=False):
    """An uncompressed tar of {name: bytes}, deterministic (docker save stores layers so).
    trim: without the padding to a 10 KiB record (as docker writes tars), which keeps the
    docker fixtures small."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name in sorted(files):
            ti = tarfile.TarInfo(name)
            ti.size = len(files[name])
            ti.mtime = MTIME
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(files[name]))
        end = t.offset
    return buf.getvalue()[: end + 1024] if trim else buf.getvalue()


def layer_tar(files):
    """A gzip'd tar of {name: bytes}, deterministic."""
    return gz(raw_tar(files))


class Layout:
    """An OCI layout in memory: blobs by digest, index.json, oci-layout, extras."""

    def __init__(self):
        self.blobs = {}  # digest -> bytes
        self.index = None  # index.json object
        self.index_raw = None  # bytes overriding index.json, or None
        self.oci_layout = b'{"imageLayoutVersion":"1.0.0"}'
        self.extra = {}  # path -> bytes (files outside blobs/<digest>)
        self.tar_members = []  # extra raw tar members (TarInfo, bytes or None), archive only
        self.archive_only = False

    def put(self, data):
        d = sha(data)
        self.blobs[d] = data
        return {"digest": d, "size": len(data)}

    def put_json(self, obj):
        return self.put(dumps(obj))

    def get_json(self, digest):
        return json.loads(self.blobs[digest])

    def files(self):
        out = {}
        if self.oci_layout is not None:
            out["oci-layout"] = self.oci_layout
        if self.index_raw is not None:
            out["index.json"] = self.index_raw
        elif self.index is not None:
            out["index.json"] = dumps(self.index)
        for d, data in self.blobs.items():
            alg, hx = d.split(":", 1)
            out["blobs/%s/%s" % (alg, hx)] = data
        out.update(self.extra)
        return out

    def write_dir(self, path):
        if os.path.exists(path):
            shutil.rmtree(path)
        os.makedirs(path)
        for name, data in sorted(self.files().items()):
            full = os.path.join(path, name)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)

    def write_targz(self, path):
        buf = io.BytesIO()
        files = self.files()
        # index.json and oci-layout first, then a hybrid's manifest.json (docker save and ctr
        # export write it beside index.json, not after the blobs), then blobs.
        order = [n for n in ("oci-layout", "index.json", "manifest.json") if n in files]
        order += sorted(n for n in files if n not in order)
        dirs_done = set()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
            for name in order:
                parts = name.split("/")[:-1]
                for i in range(1, len(parts) + 1):
                    dname = "/".join(parts[:i]) + "/"
                    if dname in dirs_done:
                        continue
                    dirs_done.add(dname)
                    ti = tarfile.TarInfo(dname)
                    ti.type = tarfile.DIRTYPE
                    ti.mode = 0o755
                    ti.mtime = MTIME
                    t.addfile(ti)
                ti = tarfile.TarInfo(name)
                ti.size = len(files[name])
                ti.mode = 0o644
                ti.mtime = MTIME
                t.addfile(ti, io.BytesIO(files[name]))
            for ti, data in self.tar_members:
                ti.mtime = MTIME
                t.addfile(ti, io.BytesIO(data) if data is not None else None)
        with open(path, "wb") as f:
            f.write(gz(buf.getvalue()))


def clean():
    """index.json -> OCI index: linux/amd64, linux/arm64/v8 and a buildx attestation."""
    lay = Layout()
    shared = lay.put(layer_tar({"etc/os-release": b"NAME=fixture\n"}))
    images = {}
    for arch, variant in (("amd64", None), ("arm64", "v8")):
        plat = {"architecture": arch, "os": "linux"}
        if variant:
            plat["variant"] = variant
        cfg = {
            "architecture": arch,
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": []},
        }
        if variant:
            cfg["variant"] = variant
        own = lay.put(layer_tar({"platform.txt": ("linux/%s\n" % arch).encode()}))
        cfgd = lay.put_json(cfg)
        man = {
            "schemaVersion": 2,
            "mediaType": MT_MANIFEST,
            "config": dict(mediaType=MT_CONFIG, **cfgd),
            "layers": [dict(mediaType=MT_LAYER, **shared), dict(mediaType=MT_LAYER, **own)],
        }
        mand = lay.put_json(man)
        images[arch] = dict(mediaType=MT_MANIFEST, platform=plat, **mand)
    # A buildx attestation manifest for the amd64 image.
    stmt = lay.put(dumps({"_type": "https://in-toto.io/Statement/v0.1", "subject": []}))
    empty = lay.put(b"{}")
    att = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": dict(mediaType=MT_EMPTY, **empty),
        "layers": [dict(mediaType=MT_INTOTO, **stmt)],
    }
    attd = lay.put_json(att)
    attdesc = dict(
        mediaType=MT_MANIFEST,
        platform={"architecture": "unknown", "os": "unknown"},
        annotations={
            "vnd.docker.reference.digest": images["amd64"]["digest"],
            "vnd.docker.reference.type": "attestation-manifest",
        },
        **attd,
    )
    idx = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [images["amd64"], images["arm64"], attdesc]}
    idxd = lay.put_json(idx)
    lay.index = {
        "schemaVersion": 2,
        "mediaType": MT_INDEX,
        "manifests": [dict(mediaType=MT_INDEX, annotations={"org.opencontainers.image.ref.name": "v1.0"}, **idxd)],
    }
    return lay


# ------------------------------------------------------------ edit helpers


def top_index(lay):
    return lay.index["manifests"][0]["digest"]


def child(lay, n):
    """The n-th descriptor of the image index (0 amd64, 1 arm64, 2 attestation)."""
    return lay.get_json(top_index(lay))["manifests"][n]


def rewrite_index(lay, fn):
    """Applies fn to the image index object, stores it, repoints index.json."""
    old = top_index(lay)
    idx = lay.get_json(old)
    fn(idx)
    new = lay.put_json(idx)
    del lay.blobs[old]
    lay.index["manifests"][0].update(new)


def rewrite_manifest(lay, n, fn, raw=None):
    """Applies fn to manifest n (or stores raw bytes), and updates the index chain."""
    old = child(lay, n)["digest"]
    man = lay.get_json(old)
    fn(man)
    data = raw(man) if raw else dumps(man)
    new = lay.put(data)
    if old not in (d["digest"] for i, d in enumerate(lay.get_json(top_index(lay))["manifests"]) if i != n):
        del lay.blobs[old]

    def fix(idx):
        idx["manifests"][n].update(new)
        for d in idx["manifests"]:  # an attestation follows the manifest it attests
            ann = d.get("annotations", {})
            if ann.get("vnd.docker.reference.digest") == old:
                ann["vnd.docker.reference.digest"] = new["digest"]

    rewrite_index(lay, fix)


def amd64_manifest(lay):
    return lay.get_json(child(lay, 0)["digest"])


def member(name, kind, target=None, data=None):
    ti = tarfile.TarInfo(name)
    ti.mode = 0o644
    if kind == "file":
        ti.size = len(data)
    elif kind == "symlink":
        ti.type = tarfile.SYMTYPE
        ti.linkname = target
    elif kind == "hardlink":
        ti.type = tarfile.LNKTYPE
        ti.linkname = target
    elif kind == "fifo":
        ti.type = tarfile.FIFOTYPE
    elif kind == "chr":
        ti.type = tarfile.CHRTYPE
        ti.devmajor, ti.devminor = 1, 3
    return ti, data


# --------------------------------------------------------------- mutations


def m_layer_tampered(lay):
    d = amd64_manifest(lay)["layers"][1]["digest"]
    b = bytearray(lay.blobs[d])
    b[len(b) // 2] ^= 0x01
    lay.blobs[d] = bytes(b)


def m_large_layer_tampered(lay):
    """An uncompressed 6 MiB layer (verify hashes blobs from 4 MiB on a second thread,
    src/lib/hasher.c), one bit flipped near its end.  Archive only: 6 MiB of a repeating
    pattern compress to a few KiB in the tar.gz, not in a directory."""
    big = raw_tar({"big.bin": bytes(range(256)) * (6 * 1024 * 1024 // 256)})
    old = amd64_manifest(lay)["layers"][1]["digest"]
    d = lay.put(big)
    del lay.blobs[old]
    rewrite_manifest(lay, 0, lambda m: m["layers"][1].update(mediaType="application/vnd.oci.image.layer.v1.tar", **d))
    b = bytearray(big)
    b[len(b) - 5000] ^= 0x01
    lay.blobs[d["digest"]] = bytes(b)
    lay.archive_only = True


def m_layer_truncated(lay):
    d = amd64_manifest(lay)["layers"][1]["digest"]
    lay.blobs[d] = lay.blobs[d][:-7]


def m_size_wrong(lay):
    rewrite_manifest(lay, 0, lambda m: m["layers"][1].update(size=m["layers"][1]["size"] + 1))


def m_index_missing(lay):
    del lay.blobs[top_index(lay)]


def m_config_missing(lay):
    del lay.blobs[amd64_manifest(lay)["config"]["digest"]]


def m_sparse_platform(lay):
    arm = child(lay, 1)["digest"]
    man = lay.get_json(arm)
    del lay.blobs[man["config"]["digest"]]
    del lay.blobs[man["layers"][1]["digest"]]  # its own layer; layers[0] is shared
    del lay.blobs[arm]


def m_oci_layout_missing(lay):
    lay.oci_layout = None


def m_oci_layout_invalid(lay):
    lay.oci_layout = b"imageLayoutVersion: 1.0.0\n"


def m_oci_layout_version(lay):
    lay.oci_layout = b'{"imageLayoutVersion":"2.0.0"}'


def m_index_json_missing(lay):
    lay.index = None


def m_index_json_invalid(lay):
    lay.index_raw = dumps(lay.index)[:-2]


def m_duplicate_key(lay):
    def raw(m):
        text = dumps(m)
        return b'{"schemaVersion":2,' + text[1:]

    rewrite_manifest(lay, 0, lambda m: None, raw)


def m_schema_version(lay):
    lay.index["schemaVersion"] = 1


def m_media_type_mismatch(lay):
    rewrite_manifest(lay, 0, lambda m: m.update(mediaType=MT_DOCKER_MANIFEST))


def m_kind_mismatch(lay):
    lay.index["manifests"][0]["mediaType"] = MT_MANIFEST


def m_field_missing(lay):
    rewrite_manifest(lay, 0, lambda m: m["layers"][1].pop("size"))


def m_field_type(lay):
    rewrite_manifest(lay, 0, lambda m: m["layers"][1].update(size=str(m["layers"][1]["size"])))


def m_digest_invalid(lay):
    rewrite_manifest(lay, 0, lambda m: m["layers"][1].update(digest=m["layers"][1]["digest"].upper().replace("SHA", "sha")))


def m_digest_unsupported(lay):
    rewrite_manifest(lay, 0, lambda m: m["layers"][1].update(digest="md5:" + "0" * 32))


def m_size_negative(lay):
    rewrite_manifest(lay, 0, lambda m: m["layers"][1].update(size=-1))


def m_data_mismatch(lay):
    import base64

    rewrite_manifest(lay, 0, lambda m: m["config"].update(data=base64.b64encode(b'{"not":"the config"}').decode()))


def m_empty_descriptor_invalid(lay):
    rewrite_manifest(lay, 0, lambda m: m["config"].update(mediaType=MT_EMPTY))


def m_foreign_layer(lay):
    blob = b"a layer that lives elsewhere"
    lay_desc = {
        "mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "digest": sha(blob),
        "size": len(blob),
        "urls": ["https://example.com/foreign/layer.tar.gz"],
    }
    rewrite_manifest(lay, 0, lambda m: m["layers"].append(lay_desc))


def m_ref_name_invalid(lay):
    lay.index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] = "bad name!"


def m_ref_name_duplicate(lay):
    extra = dict(child(lay, 0))
    extra.pop("platform")
    extra["annotations"] = {"org.opencontainers.image.ref.name": "v1.0"}
    lay.index["manifests"].append(extra)


def m_attestation_subject_missing(lay):
    ghost = sha(b"no such manifest")
    rewrite_index(lay, lambda i: i["manifests"][2]["annotations"].update({"vnd.docker.reference.digest": ghost}))


def m_blob_unreferenced(lay):
    lay.put(b"a blob that nothing references\n")


def m_blob_name_invalid(lay):
    lay.extra["blobs/sha256/not-a-digest"] = b"stray\n"


def m_config_platform_mismatch(lay):
    man = amd64_manifest(lay)
    cfgd = man["config"]["digest"]
    cfg = lay.get_json(cfgd)
    cfg["architecture"] = "arm64"
    new = lay.put_json(cfg)
    del lay.blobs[cfgd]
    rewrite_manifest(lay, 0, lambda m: m["config"].update(new))


def m_unknown_media_type(lay):
    blob = lay.put(dumps({"note": "an artifact of an unknown type"}))
    desc = dict(mediaType="application/vnd.example.thing.v1+json", **blob)
    rewrite_index(lay, lambda i: i["manifests"].append(desc))


def m_index_cycle(lay):
    # The image index lists itself; its name stays the old digest (so the bytes lie too).
    name = top_index(lay)
    idx = lay.get_json(name)
    idx["manifests"].append({"mediaType": MT_INDEX, "digest": name, "size": len(lay.blobs[name])})
    data = dumps(idx)
    lay.blobs[name] = data
    lay.index["manifests"][0]["size"] = len(data)


def m_nesting_too_deep(lay):
    # 65 nested indexes: the innermost is at level 66 > OCIDIG_MAX_INDEX_NESTING (64).
    desc = dict(lay.index["manifests"][0])
    desc.pop("annotations")
    for _ in range(65):
        wrapper = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [desc]}
        desc = dict(mediaType=MT_INDEX, **lay.put_json(wrapper))
    desc["annotations"] = {"org.opencontainers.image.ref.name": "v1.0"}
    lay.index["manifests"] = [desc]


def m_index_json_platforms(lay):
    # Not a fault: index.json lists the platform manifests itself (no image index), both
    # named "v1.0" (distinct platforms, so not a duplicate).  For --platform scoping.
    kids = [dict(child(lay, 0)), dict(child(lay, 1))]
    for k in kids:
        k["annotations"] = {"org.opencontainers.image.ref.name": "v1.0"}
    att = child(lay, 2)["digest"]  # the attestation goes with the image index
    man = lay.get_json(att)
    for d in [att, man["config"]["digest"]] + [x["digest"] for x in man["layers"]]:
        del lay.blobs[d]
    del lay.blobs[top_index(lay)]
    lay.index["manifests"] = kids


# archive-only mutations


def m_link_escapes(lay):
    lay.archive_only = True
    lay.tar_members.append(member("escape-symlink", "symlink", target="/etc/passwd"))
    lay.tar_members.append(member("escape-hardlink", "hardlink", target="../outside"))


def m_special_member(lay):
    lay.archive_only = True
    lay.tar_members.append(member("fifo", "fifo"))
    lay.tar_members.append(member("dev-null", "chr"))


def m_path_unsafe(lay):
    lay.archive_only = True
    lay.tar_members.append(member("../evil", "file", data=b"outside\n"))


def m_duplicate_member(lay):
    lay.archive_only = True
    d = amd64_manifest(lay)["layers"][1]["digest"]
    lay.tar_members.append(member("blobs/sha256/" + d.split(":")[1], "file", data=lay.blobs[d]))


def m_link_member(lay):
    lay.archive_only = True
    man = amd64_manifest(lay)
    own, shared = man["layers"][1]["digest"], man["layers"][0]["digest"]
    del lay.blobs[own]
    lay.tar_members.append(
        member("blobs/sha256/" + own.split(":")[1], "hardlink", target="blobs/sha256/" + shared.split(":")[1])
    )


# ------------------------------------------------------- docker save archives


class DockerArchive:
    """A docker save archive (manifest.json, no index.json) in memory.

    links=False: as `docker save` before Docker 25 writes it: <config hex>.json, and per
    layer <legacy id>/{VERSION,json,layer.tar}.  links=True: as containers/image
    (docker-archive:, podman save, buildah push) writes it: <diff_id hex>.tar layers and
    <legacy id>/layer.tar symbolic links to them."""

    def __init__(self, links=False):
        self.links = links
        self.files = {}  # path -> bytes
        self.symlinks = {}  # path -> target
        self.manifest = []
        self.manifest_raw = None
        self.repositories = {}
        self.archive_only = True

    def put_config(self, cfg_bytes):
        name = hashlib.sha256(cfg_bytes).hexdigest() + ".json"
        self.files[name] = cfg_bytes
        return name

    def add_image(self, tags, layers, arch="amd64"):
        """layers: [uncompressed tar bytes]; returns the manifest.json entry."""
        diff_ids = [sha(b) for b in layers]
        cfg = {
            "architecture": arch,
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
        paths, parent = [], ""
        for data, diff in zip(layers, diff_ids):
            lid = hashlib.sha256((parent + diff).encode()).hexdigest()
            self.files[lid + "/VERSION"] = b"1.0"
            self.files[lid + "/json"] = dumps({"id": lid, "parent": parent} if parent else {"id": lid})
            if self.links:
                hexname = diff.split(":")[1] + ".tar"
                self.files[hexname] = data
                self.symlinks[lid + "/layer.tar"] = "../" + hexname
                paths.append(hexname)
            else:
                self.files[lid + "/layer.tar"] = data
                paths.append(lid + "/layer.tar")
            parent = lid
        entry = {"Config": self.put_config(dumps(cfg)), "RepoTags": tags, "Layers": paths}
        self.manifest.append(entry)
        for t in tags or []:
            repo, tag = t.rsplit(":", 1)
            self.repositories.setdefault(repo, {})[tag] = parent
        return entry

    def write_tar(self, path):
        files = dict(self.files)
        files["manifest.json"] = self.manifest_raw if self.manifest_raw is not None else dumps(self.manifest)
        if self.repositories:
            files["repositories"] = dumps(self.repositories)
        names = sorted(set(files) | set(self.symlinks))
        dirs_done = set()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
            for name in names:
                if "/" in name:
                    d = name.split("/")[0] + "/"
                    if d not in dirs_done:
                        dirs_done.add(d)
                        ti = tarfile.TarInfo(d)
                        ti.type = tarfile.DIRTYPE
                        ti.mode = 0o755
                        ti.mtime = MTIME
                        t.addfile(ti)
                ti = tarfile.TarInfo(name)
                ti.mtime = MTIME
                ti.mode = 0o644
                if name in self.symlinks:
                    ti.type = tarfile.SYMTYPE
                    ti.linkname = self.symlinks[name]
                    ti.mode = 0o777
                    t.addfile(ti)
                else:
                    ti.size = len(files[name])
                    t.addfile(ti, io.BytesIO(files[name]))
            end = t.offset
        data = buf.getvalue()[: end + 1024]  # two zero blocks end it; no record padding
        with open(path, "wb") as f:
            f.write(gz(data) if path.endswith(".gz") else data)


def docker_layers():
    base = raw_tar({"etc/os-release": b"NAME=fixture\n"}, trim=True)
    app = raw_tar({"app/hello.txt": b"hello from the fixture\n"}, trim=True)
    return base, app


def docker_clean(links=False):
    """Two images sharing a layer: fixture/app (two tags, two layers) and an untagged one
    (RepoTags null, as `docker save <image ID>` writes it)."""
    arc = DockerArchive(links)
    base, app = docker_layers()
    arc.add_image(["fixture/app:1", "fixture/app:latest"], [base, app])
    arc.add_image(None, [base], arch="arm64")
    return arc


def app_layer_path(arc):
    return arc.manifest[0]["Layers"][1]


def flip(data):
    b = bytearray(data)
    b[len(b) // 2] ^= 0x01
    return bytes(b)


def docker_large(tampered):
    """A 5 MiB layer.tar: over what verify keeps in memory even on stdin (4 MiB), so the
    archive source hashes it as it passes (one pass; stdin gives no second).  Written as
    .tar.gz: its repeating bytes compress to a few KiB."""
    arc = DockerArchive()
    big = raw_tar({"big.bin": bytes(range(256)) * (5 * 1024 * 1024 // 256)}, trim=True)
    base, _ = docker_layers()
    arc.add_image(["fixture/big:1"], [base, big])
    if tampered:
        p = app_layer_path(arc)
        b = bytearray(arc.files[p])
        b[len(b) - 3000] ^= 0x01
        arc.files[p] = bytes(b)
    return arc


def d_layer_tampered(arc):
    p = app_layer_path(arc)
    arc.files[p] = flip(arc.files[p])


def d_config_tampered(arc):
    # still valid JSON: only the bytes no longer hash to the name (the image ID)
    c = arc.manifest[0]["Config"]
    arc.files[c] = arc.files[c].replace(b"/bin/sh", b"/bin/xx")


def d_config_invalid(arc):
    # not JSON, but named by the digest of its bytes: invalid-json, not digest-mismatch
    del arc.files[arc.manifest[0]["Config"]]
    arc.manifest[0]["Config"] = arc.put_config(b'{"architecture": "amd64", ')


def d_layer_missing(arc):
    del arc.files[app_layer_path(arc)]


def d_config_missing(arc):
    del arc.files[arc.manifest[1]["Config"]]
    arc.manifest[1]["Config"] = "0" * 64 + ".json"


def d_manifest_invalid(arc):
    arc.manifest_raw = dumps([{"Config": 5, "RepoTags": "fixture/app:1", "Layers": "base.tar"}])


def d_diff_id_count(arc):
    c = arc.manifest[1]["Config"]
    cfg = json.loads(arc.files.pop(c))
    cfg["rootfs"]["diff_ids"].append(sha(b"a layer manifest.json does not list"))
    arc.manifest[1]["Config"] = arc.put_config(dumps(cfg))


def d_repositories_mismatch(arc):
    arc.repositories["fixture/app"]["2"] = arc.repositories["fixture/app"]["1"]


def d_unreferenced(arc):
    arc.files["stray.bin"] = b"nothing refers to this\n"


def d_link_escapes(arc):
    p = app_layer_path(arc)
    del arc.files[p]
    arc.symlinks[p] = "../outside/" + p


def hybrid(disagree):
    """Docker 25+ / ctr export: the OCI layout with a manifest.json for its amd64 image."""
    lay = clean()
    man = amd64_manifest(lay)
    entry = {
        "Config": "blobs/sha256/" + man["config"]["digest"].split(":")[1],
        "RepoTags": ["v1.0"],
        "Layers": ["blobs/sha256/" + x["digest"].split(":")[1] for x in man["layers"]],
    }
    if disagree:
        entry["RepoTags"] = ["fixture/elsewhere:2"]
        entry["Layers"] = entry["Layers"][:1]
    lay.extra["manifest.json"] = dumps([entry])
    lay.archive_only = True
    return lay


DOCKER_FIXTURES = [
    ("docker-clean", False, None, "-"),
    ("docker-clean-links", True, None, "-"),
    ("docker-layer-tampered", False, d_layer_tampered, "diff-id-mismatch"),
    ("docker-layer-tampered-links", True, d_layer_tampered, "digest-mismatch"),
    ("docker-config-tampered", False, d_config_tampered, "digest-mismatch"),
    ("docker-config-invalid", False, d_config_invalid, "invalid-json"),
    ("docker-layer-missing", False, d_layer_missing, "blob-missing"),
    ("docker-config-missing", False, d_config_missing, "blob-missing"),
    ("docker-manifest-invalid", False, d_manifest_invalid, "docker-manifest-invalid"),
    ("docker-diff-id-count", False, d_diff_id_count, "diff-id-mismatch"),
    ("docker-repositories-mismatch", False, d_repositories_mismatch, "repositories-mismatch"),
    ("docker-unreferenced", False, d_unreferenced, "blob-unreferenced"),
    ("docker-link-escapes", True, d_link_escapes, "link-escapes"),
]

FIXTURES = [
    ("clean", None, "-"),
    ("layer-tampered", m_layer_tampered, "digest-mismatch"),
    ("large-layer-tampered", m_large_layer_tampered, "digest-mismatch"),
    ("layer-truncated", m_layer_truncated, "size-mismatch"),
    ("size-wrong", m_size_wrong, "size-mismatch"),
    ("index-missing", m_index_missing, "blob-missing"),
    ("config-missing", m_config_missing, "image-incomplete"),
    ("sparse-platform", m_sparse_platform, "image-incomplete"),
    ("oci-layout-missing", m_oci_layout_missing, "oci-layout-missing"),
    ("oci-layout-invalid", m_oci_layout_invalid, "bad-oci-layout"),
    ("oci-layout-version", m_oci_layout_version, "bad-oci-layout"),
    ("index-json-missing", m_index_json_missing, "missing-index-json"),
    ("index-json-invalid", m_index_json_invalid, "invalid-json"),
    ("duplicate-key", m_duplicate_key, "json-duplicate-key"),
    ("schema-version", m_schema_version, "schema-version"),
    ("media-type-mismatch", m_media_type_mismatch, "media-type-mismatch"),
    ("kind-mismatch", m_kind_mismatch, "kind-mismatch"),
    ("field-missing", m_field_missing, "field-missing"),
    ("field-type", m_field_type, "field-type"),
    ("digest-invalid", m_digest_invalid, "invalid-digest"),
    ("digest-unsupported", m_digest_unsupported, "unsupported-digest-algorithm"),
    ("size-negative", m_size_negative, "size-negative"),
    ("data-mismatch", m_data_mismatch, "data-mismatch"),
    ("empty-descriptor-invalid", m_empty_descriptor_invalid, "empty-descriptor-invalid"),
    ("foreign-layer", m_foreign_layer, "foreign-layer-absent"),
    ("ref-name-invalid", m_ref_name_invalid, "ref-name-invalid"),
    ("ref-name-duplicate", m_ref_name_duplicate, "ref-name-duplicate"),
    ("attestation-subject-missing", m_attestation_subject_missing, "attestation-subject-missing"),
    ("blob-unreferenced", m_blob_unreferenced, "blob-unreferenced"),
    ("blob-name-invalid", m_blob_name_invalid, "blob-name-invalid"),
    ("config-platform-mismatch", m_config_platform_mismatch, "config-platform-mismatch"),
    ("unknown-media-type", m_unknown_media_type, "unknown-media-type"),
    ("index-cycle", m_index_cycle, "index-cycle"),
    ("nesting-too-deep", m_nesting_too_deep, "nesting-too-deep"),
    ("index-json-platforms", m_index_json_platforms, "-"),
    ("link-escapes", m_link_escapes, "link-escapes"),
    ("special-member", m_special_member, "special-member"),
    ("path-unsafe", m_path_unsafe, "path-unsafe"),
    ("duplicate-member", m_duplicate_member, "duplicate-member"),
    ("link-member", m_link_member, "link-member"),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "testdata", "verify")
    os.makedirs(out, exist_ok=True)
    lines = ["# name  forms  code   (generated by tests/verify/mkfixtures.py)"]
    for name, fn, code in FIXTURES:
        lay = clean()
        if fn:
            fn(lay)
        forms = []
        if not lay.archive_only:
            lay.write_dir(os.path.join(out, name))
            forms.append("dir")
        elif os.path.exists(os.path.join(out, name)):
            shutil.rmtree(os.path.join(out, name))
        lay.write_targz(os.path.join(out, name + ".tar.gz"))
        forms.append("tar.gz")
        lines.append("%s  %s  %s" % (name, ",".join(forms), code))
    # docker save archives: plain tar, as docker writes them (the tests extract them into a
    # directory when they need one: git keeps no symbolic links here)
    for name, links, fn, code in DOCKER_FIXTURES:
        arc = docker_clean(links)
        if fn:
            fn(arc)
        arc.write_tar(os.path.join(out, name + ".tar"))
        lines.append("%s  %s  %s" % (name, "tar", code))
    for name, tampered, code in (("docker-large-layer", False, "-"),
                                 ("docker-large-layer-tampered", True, "diff-id-mismatch")):
        docker_large(tampered).write_tar(os.path.join(out, name + ".tar.gz"))
        lines.append("%s  %s  %s" % (name, "tar.gz", code))
    for name, disagree, code in (("hybrid-clean", False, "-"), ("hybrid-disagrees", True, "docker-manifest-disagrees")):
        hybrid(disagree).write_targz(os.path.join(out, name + ".tar.gz"))
        lines.append("%s  %s  %s" % (name, "tar.gz", code))
    with open(os.path.join(out, "MANIFEST"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
