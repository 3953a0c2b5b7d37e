#!/usr/bin/env python3
"""make-corpus.py [TESTDATA] [OUTDIR]: seed corpora for the fuzzers, from testdata/.

Writes OUTDIR/archive (the sample archives, every sample directory and every resolve
vector as a tar, a few compressed), OUTDIR/json (every JSON document of the samples and
vectors) and OUTDIR/platform (every specifier of the platform vectors).  Python 3
standard library only; the output is the same on every run.  Defaults: the testdata/
beside this script's tests/, and tests/fuzz/seeds.
"""

import gzip
import hashlib
import io
import json
import lzma
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "testdata")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "seeds")


def put(kind, data):
    d = os.path.join(OUT, kind)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tar_of(files):
    """A tar of {name: bytes} (in order), without padding to 10 KiB records."""
    out = io.BytesIO()
    for name, data in files.items():
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        ti.mtime = 1577836800
        ti.mode = 0o644
        out.write(ti.tobuf(format=tarfile.GNU_FORMAT))
        out.write(data)
        out.write(b"\0" * ((512 - len(data) % 512) % 512))
    out.write(b"\0" * 1024)
    return out.getvalue()


def dir_files(root):
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            p = os.path.join(dirpath, fn)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as f:
                files[os.path.relpath(p, root)] = f.read()
    return files


def main():
    samples = os.path.join(TESTDATA, "samples")
    for name in sorted(os.listdir(samples)) if os.path.isdir(samples) else []:
        p = os.path.join(samples, name)
        if os.path.isfile(p) and os.path.getsize(p) <= 256 * 1024:
            with open(p, "rb") as f:
                put("archive", f.read())
        elif os.path.isdir(p):
            files = dir_files(p)
            t = tar_of(files)
            if len(t) <= 256 * 1024:
                put("archive", t)
            for rel, data in files.items():
                if data[:1] in (b"{", b"[") and len(data) <= 64 * 1024:
                    put("json", data)
    vec = os.path.join(TESTDATA, "vectors-resolve.json")
    if os.path.isfile(vec):
        with open(vec) as f:
            cases = json.load(f)
        for i, c in enumerate(cases):
            inp = c.get("input", {})
            files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}'}
            for digest, blob in sorted(inp.get("blobs", {}).items()):
                data = blob.get("data", "").encode("utf-8", "surrogatepass")
                alg, _, hexd = digest.partition(":")
                files["blobs/%s/%s" % (alg, hexd)] = data
                put("json", data)
            root = inp.get("root")
            if root is not None:
                files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [root]},
                                                 separators=(",", ":")).encode()
                put("json", files["index.json"])
            t = tar_of(files)
            put("archive", t)
            if i % 10 == 0:
                put("archive", gzip.compress(t, 9, mtime=0))
            if i % 10 == 5:
                put("archive", lzma.compress(t, format=lzma.FORMAT_XZ))
    vec = os.path.join(TESTDATA, "vectors-platform.json")
    if os.path.isfile(vec):
        with open(vec) as f:
            cases = json.load(f)
        seen = set()
        for c in cases:
            inp = c.get("input", {})
            specs = [inp.get("specifier"), inp.get("matcher", {}).get("specifier")]
            for s in specs:
                if isinstance(s, str) and s not in seen:
                    seen.add(s)
                    put("platform", s.encode("utf-8", "surrogatepass"))
            for key in ("platform", "candidate"):
                pl = inp.get(key)
                if isinstance(pl, dict):
                    put("json", json.dumps(pl).encode())


if __name__ == "__main__":
    main()
