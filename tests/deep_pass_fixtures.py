#!/usr/bin/env python3
"""deep_pass_fixtures.py OUT N SIZE [--zstd] [--random] [--reverse] [--swap]: an OCI image
layout OUT with one image of N layers, each a tar (Python's tarfile) of files of SIZE bytes
in all (text; --random: random bytes, which do not compress), compressed in turn gzip
(Python's gzip module, level 6), zstd (zstd(1), with --zstd) or none.  --reverse: the
manifest lists the layers in the reverse order of their digests (a tar of the layout holds
them in the order of their names).  --swap: the media types of the first two layers
swapped (gzip bytes said to be a tar, a tar said to be gzip).  Digests and diff_ids by hashlib: independent of ocidig.  Used by
tests/deep_pass.sh (one pass over many layers) and to measure verify --deep."""
import gzip, hashlib, io, json, os, subprocess, sys, tarfile

def blob(out, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d

def layer_tar(i, size, rnd):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        n, k = 0, 0
        while n < size:
            # text that compresses as real files do (not zeros, not random)
            chunk = ("layer %d file %d line %%d\n" % (i, k)).encode()
            data = b"".join(chunk % j for j in range(max(1, min(size - n, 65536) // len(chunk))))
            if rnd:
                data = os.urandom(len(data))
            ti = tarfile.TarInfo("d%d/f%d" % (i, k))
            ti.size = len(data)
            ti.mode = 0o644
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
            n += len(data) + 512
            k += 1
    return b.getvalue()

def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    use_zstd = "--zstd" in sys.argv
    out, n, size = args[0], int(args[1]), int(args[2])
    os.makedirs(out, exist_ok=True)
    layers, diff_ids = [], []
    kinds = ["gzip", "zstd", "none"] if use_zstd else ["gzip", "none"]
    for i in range(n):
        raw = layer_tar(i, size, "--random" in sys.argv)
        kind = kinds[i % len(kinds)]
        if kind == "gzip":
            data, mt = gzip.compress(raw, 6, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
        elif kind == "zstd":
            data = subprocess.run(["zstd", "-q", "-c", "-3"], input=raw, stdout=subprocess.PIPE, check=True).stdout
            mt = "application/vnd.oci.image.layer.v1.tar+zstd"
        else:
            data, mt = raw, "application/vnd.oci.image.layer.v1.tar"
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        layers.append({"mediaType": mt, "digest": blob(out, data), "size": len(data)})
    if "--reverse" in sys.argv:
        order = sorted(range(n), key=lambda i: layers[i]["digest"], reverse=True)
        layers, diff_ids = [layers[i] for i in order], [diff_ids[i] for i in order]
    if "--swap" in sys.argv:
        layers[0]["mediaType"], layers[1]["mediaType"] = layers[1]["mediaType"], layers[0]["mediaType"]
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": blob(out, cfg), "size": len(cfg)},
                      "layers": layers}).encode()
    md = blob(out, man)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(man),
             "platform": {"architecture": "amd64", "os": "linux"}}]}, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')

main()
