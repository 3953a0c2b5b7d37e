#!/usr/bin/env python3
"""audit_mutate.py OP SRC DST [ARG]: a copy of the OCI layout directory SRC at DST, changed
as a bundle drifts in transit (tests/audit.sh):
  retag NAME     the first image's manifest changed (an annotation added: a new digest), its
                 index.json entry pointing at it and named NAME (the same name: a retag)
  rename NAME    the first image's index.json entry named NAME instead (its digest unchanged:
                 index.json is covered by no digest)
  add-name NAME  a second index.json entry for the first image's digest, named NAME
  drop-platform  the manifest of the first image's last platform removed
  corrupt        one byte of the image's largest layer blob changed
  drop-layer     the image's largest layer blob removed"""
import hashlib
import json
import os
import shutil
import sys

op, src, dst = sys.argv[1:4]
shutil.copytree(src, dst)
for dirpath, dirs, files in os.walk(dst):
    for n in dirs + files:
        os.chmod(os.path.join(dirpath, n), 0o755 if n in dirs else 0o644)


def blob(d):
    return os.path.join(dst, "blobs", *d.split(":", 1))


index = json.load(open(os.path.join(dst, "index.json")))
entry = index["manifests"][0]
doc = json.load(open(blob(entry["digest"])))
if op == "retag":
    doc.setdefault("annotations", {})["org.example.audit-test"] = "retagged"
    data = json.dumps(doc).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    open(blob(digest), "wb").write(data)
    entry["digest"], entry["size"] = digest, len(data)
    entry.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = sys.argv[4]
    json.dump(index, open(os.path.join(dst, "index.json"), "w"))
elif op == "rename":
    entry.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = sys.argv[4]
    json.dump(index, open(os.path.join(dst, "index.json"), "w"))
elif op == "add-name":
    twin = json.loads(json.dumps(entry))
    twin.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = sys.argv[4]
    index["manifests"].append(twin)
    json.dump(index, open(os.path.join(dst, "index.json"), "w"))
elif op == "drop-platform":
    os.remove(blob(doc["manifests"][-1]["digest"]))
elif op == "drop-layer":
    if "manifests" in doc:
        doc = json.load(open(blob(doc["manifests"][0]["digest"])))
    os.remove(blob(max(doc["layers"], key=lambda l: l["size"])["digest"]))
elif op == "corrupt":
    if "manifests" in doc:
        doc = json.load(open(blob(doc["manifests"][0]["digest"])))
    layer = max(doc["layers"], key=lambda l: l["size"])
    p = blob(layer["digest"])
    b = bytearray(open(p, "rb").read())
    b[len(b) // 2] ^= 0xFF
    open(p, "wb").write(bytes(b))
else:
    sys.exit("unknown op " + op)
