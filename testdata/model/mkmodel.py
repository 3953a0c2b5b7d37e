#!/usr/bin/env python3
"""mkmodel.py: rewrites the edited fixtures of testdata/model/ (deterministic).

Each one is a copy of a layout written by a real tool (testdata/samples/umoci-multitag:
umoci 0.4.7) with ONE edit, the smallest that reproduces a case of issue 13; digests up the
chain are recomputed where the case needs every other document to stay valid.

  case1-manifest-says-index/  the manifest of v1 re-serialized with "mediaType" set to the
                              OCI index type (its descriptor in index.json still says
                              manifest); index.json points at the new digest
  case2-config-corrupt/       v1's entry renamed t1 (platform-less, as umoci writes it);
                              one byte of its config flipped in place ("amd64" ->
                              "Amd64"): the blob no longer hashes to its name
  case4-unreferenced-flipped/ umoci-multitag plus one blob nothing refers to (the manifest
                              skopeo 1.9.3 wrote for testdata/samples/skopeo-v2-zstd), with
                              one byte flipped ("zstd" -> "Zstd")

ctr-export-two.tar is not made here: containerd made it (see testdata/README.md).
Usage: python3 testdata/model/mkmodel.py   (from the top of the source tree)
"""
import hashlib
import json
import os
import shutil

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SAMPLES = os.path.join(TOP, "samples")
MODEL = os.path.join(TOP, "model")
UMOCI = os.path.join(SAMPLES, "umoci-multitag")
V1 = "43d97f1d66cf288973eff4ffd356138d0745ba6bdaac2bbff3c176273ab7c8fd"
V1_CONFIG = "b15881a1a676c90560344ae2fb7169d7f87df727a84de4f5b0a4d3a5731327a8"
ZSTD_MANIFEST = "c98840f8db1fa2575a525e38d80a9cc69435ff6047f5c85c2fcb4b27ae5acfb9"


def copy_layout(name):
    dst = os.path.join(MODEL, name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(UMOCI, dst)
    return dst


def blob(root, hexd):
    return os.path.join(root, "blobs", "sha256", hexd)


def write_index(root, index):
    with open(os.path.join(root, "index.json"), "w") as f:
        f.write(json.dumps(index, separators=(",", ":")))


def flip(path, old, new):
    with open(path, "rb") as f:
        data = f.read()
    assert data.count(old) >= 1 and len(old) == len(new)
    with open(path, "wb") as f:
        f.write(data.replace(old, new, 1))


def case1():
    root = copy_layout("case1-manifest-says-index")
    with open(blob(root, V1), "rb") as f:
        manifest = json.loads(f.read())
    manifest["mediaType"] = "application/vnd.oci.image.index.v1+json"
    data = json.dumps(manifest, separators=(",", ":")).encode()
    hexd = hashlib.sha256(data).hexdigest()
    with open(blob(root, hexd), "wb") as f:
        f.write(data)
    os.unlink(blob(root, V1))
    with open(os.path.join(root, "index.json")) as f:
        index = json.load(f)
    entry = index["manifests"][0]
    assert entry["digest"] == "sha256:" + V1
    entry["digest"], entry["size"] = "sha256:" + hexd, len(data)
    write_index(root, index)


def case2():
    root = copy_layout("case2-config-corrupt")
    with open(os.path.join(root, "index.json")) as f:
        index = json.load(f)
    entry = index["manifests"][0]
    assert entry["digest"] == "sha256:" + V1 and "platform" not in entry
    entry["annotations"]["org.opencontainers.image.ref.name"] = "t1"
    write_index(root, index)
    flip(blob(root, V1_CONFIG), b'"amd64"', b'"Amd64"')


def case4():
    root = copy_layout("case4-unreferenced-flipped")
    dst = blob(root, ZSTD_MANIFEST)
    shutil.copyfile(blob(os.path.join(SAMPLES, "skopeo-v2-zstd"), ZSTD_MANIFEST), dst)
    flip(dst, b"zstd", b"Zstd")


if __name__ == "__main__":
    case1()
    case2()
    case4()
