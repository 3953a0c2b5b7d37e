#!/usr/bin/env python3
"""deep_scope_unref.py LAYOUT K ENTRIES: adds K unreferenced blobs to LAYOUT, each an
uncompressed tar of ENTRIES empty files (distinct names per blob)."""
import hashlib, io, os, sys, tarfile
out, k, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for j in range(k):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        for i in range(n):
            t.addfile(tarfile.TarInfo("u%d/d%03d/f%07d" % (j, i % 100, i)))
    data = b.getvalue()
    with open(os.path.join(out, "blobs", "sha256", hashlib.sha256(data).hexdigest()), "wb") as f:
        f.write(data)
