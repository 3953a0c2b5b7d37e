#!/usr/bin/env python3
"""deep_scope_platforms.py OUT_DIR N_PLATFORMS FILES_PER_LAYER [UNREF_ENTRIES]
An OCI layout: one index of N platforms (linux/amd64, linux/arm64, linux/p2, ...), each a
manifest with one gzip layer of FILES_PER_LAYER small files (distinct per platform); with
UNREF_ENTRIES, also one unreferenced blob: an uncompressed tar of that many empty files.
index.json is written last, so `tar -C OUT -cf x.tar oci-layout blobs index.json` puts it last."""
import gzip, hashlib, io, json, os, sys, tarfile

out, n, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
unref = int(sys.argv[4]) if len(sys.argv) > 4 else 0
os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)

def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)

def tar_of(nfiles, tag, content=True):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        for i in range(nfiles):
            ti = tarfile.TarInfo("d%03d/%s-file-%07d" % (i % 100, tag, i))
            data = (("%s %d\n" % (tag, i)) * 8).encode() if content else b""
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()

archs = ["amd64", "arm64"] + ["p%d" % i for i in range(2, n)]
mans = []
for k in range(n):
    raw = tar_of(files, archs[k])
    diff = "sha256:" + hashlib.sha256(raw).hexdigest()
    ld, ls = blob(gzip.compress(raw, 6, mtime=0))
    cd, cs = blob(json.dumps({"architecture": archs[k], "os": "linux",
                              "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode())
    md, ms = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": ls}]}).encode())
    mans.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
                 "platform": {"architecture": archs[k], "os": "linux"}})
idx, isz = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": mans}).encode())
if unref:
    blob(tar_of(unref, "unref", content=False))
with open(os.path.join(out, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
               "digest": idx, "size": isz, "annotations": {"org.opencontainers.image.ref.name": "t"}}]}, f)
