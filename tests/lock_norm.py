#!/usr/bin/env python3
"""lock_norm.py < LOCK: ocidig's lock file (doc/lock.md) checked for its shape and order,
then printed as lock_ref.py prints a layout: one line per image, one per blob, by digest.
Sources are not printed: the same images in other packings print the same."""
import json
import sys

lock = json.load(sys.stdin)
assert lock["lockVersion"] == 1, lock.get("lockVersion")
assert isinstance(lock["sources"], list)
digests = [i["digest"] for i in lock["images"]]
assert len(digests) == len(set(digests)), "an image twice"
assert lock["summary"]["images"] == len(lock["images"])
assert lock["summary"]["platforms"] == sum(len(i["platforms"]) for i in lock["images"])
key = [(0, i["names"][0], i["digest"]) if i["names"] else (1, "", i["digest"]) for i in lock["images"]]
assert key == sorted(key), "images not in the lock's order (named by name, then by digest)"
for img in sorted(lock["images"], key=lambda i: i["digest"]):
    names = img["names"]
    assert names == sorted(set(names)), names
    blobs = [(b["digest"], b["size"]) for b in img["blobs"]]
    assert blobs == sorted(set(blobs)), "blobs not sorted or twice"
    assert set(img["sources"]) <= set(lock["sources"])
    mans = sorted(p.get("manifest") or p.get("index") for p in img["platforms"])
    print("image", img["digest"], ",".join(names), ",".join(mans))
for img in sorted(lock["images"], key=lambda i: i["digest"]):
    for b in img["blobs"]:
        print("blob", img["digest"], b["digest"], b["size"], "present" if b["present"] else "absent")
