#!/usr/bin/env python3
"""lock_ref.py LAYOUT_DIR: what an OCI layout directory holds, read here independently of
ocidig, in the terms of ocidig's lock file (doc/lock.md), for tests/lock.sh to compare:
one line per image (its digest, names, the manifests its indexes list) and one per blob it
needs (digest size present), sorted.  Names: the io.containerd.image.name and
org.opencontainers.image.ref.name annotations of index.json's entries."""
import json
import os
import sys

root = sys.argv[1]
INDEX = ("application/vnd.oci.image.index.v1+json",
         "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST = ("application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json")


def path(digest):
    alg, hexd = digest.split(":", 1)
    return os.path.join(root, "blobs", alg, hexd)


def load(digest):
    try:
        with open(path(digest), "rb") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


images = {}
for d in json.load(open(os.path.join(root, "index.json")))["manifests"]:
    img = images.setdefault(d["digest"], {"names": set(), "manifests": set(), "blobs": set()})
    ann = d.get("annotations") or {}
    for k in ("io.containerd.image.name", "org.opencontainers.image.ref.name"):
        if ann.get(k):
            img["names"].add(ann[k])
    seen = set()

    def walk(desc):
        present = os.path.exists(path(desc["digest"]))
        img["blobs"].add((desc["digest"], desc["size"], present))
        mt = desc.get("mediaType")
        if mt in INDEX:
            if desc["digest"] in seen or not present:
                if not present:
                    img["manifests"].add(desc["digest"])
                return
            seen.add(desc["digest"])
            for c in load(desc["digest"]).get("manifests", []):
                walk(c)
            return
        img["manifests"].add(desc["digest"])
        doc = load(desc["digest"]) if present and mt in MANIFEST else None
        if doc is None:
            return
        for b in [doc["config"]] + doc.get("layers", []):
            img["blobs"].add((b["digest"], b["size"], os.path.exists(path(b["digest"]))))

    walk(d)

for digest in sorted(images):
    img = images[digest]
    print("image", digest, ",".join(sorted(img["names"])), ",".join(sorted(img["manifests"])))
for digest in sorted(images):
    for b in sorted(images[digest]["blobs"]):
        print("blob", digest, b[0], b[1], "present" if b[2] else "absent")
