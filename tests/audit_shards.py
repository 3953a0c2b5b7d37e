#!/usr/bin/env python3
"""audit_shards.py DIR K N: K files DIR/sKK.jsonl as `audit --format jsonl` writes them for
K shards of a bundle of K*N images (N per shard, each ok), audited against one lock: each
file's last line has the (K-1)*N images of the other shards as missing (tests/audit.sh:
--merge is not quadratic in rows)."""
import hashlib
import json
import sys

base, K, N = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def digest(k, i):
    return "sha256:" + hashlib.sha256(b"%d/%d" % (k, i)).hexdigest()


for k in range(K):
    src = "%s/s%02d" % (base, k)
    head = {"schemaVersion": 1, "expect": base + "/all.lock"}
    rows = [{"source": src, "image": "s%02d-img%06d" % (k, i), "digest": digest(k, i), "platform": "linux/amd64",
             "manifest": digest(k, i), "status": "ok", "detail": None} for i in range(N)]
    miss = [{"source": None, "image": "s%02d-img%06d" % (o, i), "digest": digest(o, i), "platform": None,
             "manifest": None, "status": "missing", "detail": "in the lock (from %s/s%02d), in no source" % (base, o)}
            for o in range(K) if o != k for i in range(N)]
    with open("%s/s%02d.jsonl" % (base, k), "w") as f:
        f.write(json.dumps(dict(head, source=src, status="ok", rows=rows)) + "\n")
        f.write(json.dumps(dict(head, source=None, status="missing", rows=miss)) + "\n")
