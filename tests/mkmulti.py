#!/usr/bin/env python3
"""mkmulti.py OUT_DIR N_IMAGES PLATFORMS CONFIG_BYTES: an OCI layout of N images, each an
index of PLATFORMS manifests (linux/amd64, linux/arm64, ...), each with its own config padded
to about CONFIG_BYTES (a label), all sharing one empty gzip layer.  Archive it as hauler's
store is: tar -C OUT_DIR -cf x.tar . && zstd x.tar (the file system's order)."""
import hashlib, json, os, sys
out, n, p, cbytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)
layer = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x63\x60\x18\x05\xa3\x60\x14\x0c\x77\x00\x00\xe6\xa1\x9c\x47\x00\x08\x00\x00"
import gzip, io, tarfile
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w") as t: pass
raw = b.getvalue(); layer = gzip.compress(raw, mtime=0)
ld, ls = blob(layer); diff = "sha256:" + hashlib.sha256(raw).hexdigest()
archs = ["amd64", "arm64", "ppc64le", "s390x", "riscv64", "386"]
entries = []
for i in range(n):
    mans = []
    for k in range(p):
        pad = "x" * max(0, cbytes - 200)
        cd, cs = blob(json.dumps({"architecture": archs[k], "os": "linux", "config": {"Labels": {"i": str(i), "pad": pad}},
                                  "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode())
        md, ms = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": ls}]}).encode())
        mans.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
                     "platform": {"architecture": archs[k], "os": "linux"}})
    xd, xs = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": mans}).encode())
    entries.append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": xd, "size": xs,
                    "annotations": {"org.opencontainers.image.ref.name": "example.com/img%d:v1" % i}})
with open(os.path.join(out, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": entries}, f)
