#!/usr/bin/env python3
"""Writes an OCI layout whose index.json lists N images (as an air-gapped store such as
hauler's keeps them: one entry per image, with its names), for tests/graph_large.sh.

Each entry is a linux/amd64 image manifest descriptor with the annotations
org.opencontainers.image.ref.name and io.containerd.image.name (about 330 bytes of
index.json per image).  Every manifest is a real blob (a distinct one per image, sharing
one config and one layer) unless --sparse is given: then only the first and last FULL
images have blobs (what resolve --ref and the first match read), the others are absent.

usage: graph_large.py DIR N [--sparse FULL]
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def sha(b):
    return hashlib.sha256(b).hexdigest()


def write_blob(root, data):
    h = sha(data)
    with open(os.path.join(root, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return "sha256:" + h


def main():
    root, n = sys.argv[1], int(sys.argv[2])
    full = n
    if len(sys.argv) > 4 and sys.argv[3] == "--sparse":
        full = int(sys.argv[4])
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = b"hello\n"
        ti = tarfile.TarInfo("hello.txt")
        ti.size, ti.mtime = len(data), 0
        t.addfile(ti, io.BytesIO(data))
    layer_tar = buf.getvalue()
    layer = gzip.compress(layer_tar, 9, mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(layer_tar)]},
                         "config": {}}, separators=(",", ":")).encode()
    cdesc = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": write_blob(root, config),
             "size": len(config)}
    ldesc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": write_blob(root, layer),
             "size": len(layer)}
    entries = []
    for i in range(n):
        name = "registry.example.com/products/team-%03d/app-%06d:v1.%d.0" % (i % 997, i, i % 50)
        man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": cdesc, "layers": [ldesc],
                          "annotations": {"org.opencontainers.image.ref.name": name}},
                         separators=(",", ":")).encode()
        if i < full or i >= n - full:
            digest = write_blob(root, man)
        else:
            digest = "sha256:" + sha(man)
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
                        "size": len(man), "platform": {"architecture": "amd64", "os": "linux"},
                        "annotations": {"io.containerd.image.name": name,
                                        "org.opencontainers.image.ref.name": name}})
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": entries}, f, separators=(",", ":"))
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')


if __name__ == "__main__":
    main()
