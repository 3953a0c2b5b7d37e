#!/usr/bin/env python3
"""deep_scope_docker.py OUT_DIR N: a legacy docker save directory (manifest.json, config, N layer
directories <hex>/layer.tar, each a tiny distinct tar)."""
import hashlib, io, json, os, sys, tarfile
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
layers, diffs = [], []
for i in range(n):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        ti = tarfile.TarInfo("f%07d" % i); data = b"x"; ti.size = 1
        t.addfile(ti, io.BytesIO(data))
    raw = b.getvalue(); h = hashlib.sha256(raw).hexdigest()
    os.makedirs(os.path.join(out, h), exist_ok=True)
    open(os.path.join(out, h, "layer.tar"), "wb").write(raw)
    layers.append(h + "/layer.tar"); diffs.append("sha256:" + h)
cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
ch = hashlib.sha256(cfg).hexdigest()
open(os.path.join(out, ch + ".json"), "wb").write(cfg)
json.dump([{"Config": ch + ".json", "RepoTags": ["t:latest"], "Layers": layers}], open(os.path.join(out, "manifest.json"), "w"))
