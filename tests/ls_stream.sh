#!/bin/sh
# ls_stream.sh: ls lists one image at a time (issue 13: 100,000 images within 64 MiB) and
# says exactly what it said when it kept the whole listing:
#  - the warnings come in the order of the images, the first 100 distinct, then one line
#    counting the rest (150 images, each resolving with --platform to a manifest of
#    another platform: one warning each, naming the manifest);
#  - an archive cut past the manifests its images need is an error before anything is
#    written: no table, no half JSON document (ls reads such an archive to its end only
#    for the footer, after the images);
#  - the attestations' table follows the images' table, each with its own columns.
# The layouts are written here by python3 (the digests computed by hashlib, not by ocidig).
. "$TESTS_DIR/lib.sh"

command -v python3 >/dev/null 2>&1 || {
  echo "python3 is needed for these tests"
  exit 77
}

python3 - "$T_TMP" <<'PY' || exit 99
import hashlib, io, os, sys, tarfile
tmp = sys.argv[1]
root = os.path.join(tmp, "l150")
os.makedirs(os.path.join(root, "blobs", "sha256"))
files = []  # (name, bytes) in the order a tar gets them: index.json first


def put(data):
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(root, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    files.append(("blobs/sha256/" + h, data))
    return h


layer = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"
config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
lh, ch = put(layer), put(config)
entries, digests = [], []
for i in range(150):
    m = ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
         '"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},'
         '"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}],'
         '"annotations":{"n":"%d"}}' % (ch, len(config), lh, len(layer), i)).encode()
    h = put(m)
    digests.append("sha256:" + h)
    entries.append('{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,'
                   '"platform":{"architecture":"amd64","os":"linux"},'
                   '"annotations":{"org.opencontainers.image.ref.name":"img%03d"}}' % (h, len(m), i))
index = ('{"schemaVersion":2,"manifests":[' + ",".join(entries) + "]}").encode()
layout = b'{"imageLayoutVersion":"1.0.0"}'
for name, data in (("index.json", index), ("oci-layout", layout)):
    with open(os.path.join(root, name), "wb") as f:
        f.write(data)
with open(os.path.join(tmp, "digests"), "w") as f:
    f.write("\n".join(digests) + "\n")
# the same as a tar, index.json first, then cut in the middle of the 100th manifest
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
    for name, data in [("index.json", index), ("oci-layout", layout)] + files:
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode, ti.mtime = len(data), 0o444, 0
        t.addfile(ti, io.BytesIO(data))
whole = buf.getvalue()
with open(os.path.join(tmp, "l150.tar"), "wb") as f:
    f.write(whole)
cut = whole.find(files[101][1])  # files[101]: the 100th manifest (after the layer and the config)
assert cut > 0
with open(os.path.join(tmp, "cut.tar"), "wb") as f:
    f.write(whole[:cut + 100])
PY

L=$T_TMP/l150
# ------------------------------------------------------------------ warnings
for form in "$L" "$T_TMP/l150.tar"; do
  run ls --platform linux/arm64 "$form"
  expect_rc 0 "ls --platform linux/arm64 $(basename "$form"): every image resolves (to a root manifest)"
  n=$(grep -c '^ocidig: warning: ' "$T_TMP/err")
  expect_eq "$n" 101 "$(basename "$form"): 100 warnings and the line counting the rest"
  expect_eq "$(tail -n 1 "$T_TMP/err")" "ocidig: warning: 50 more warnings not shown" \
    "$(basename "$form"): the last line counts the 50 warnings not shown"
  got=$(grep -o 'selected manifest sha256:[0-9a-f]*' "$T_TMP/err" | sed 's/selected manifest //')
  want=$(head -n 100 "$T_TMP/digests")
  expect_eq "$got" "$want" "$(basename "$form"): the warnings name the first 100 images' manifests, in their order"
done
run ls --json --platform linux/arm64 "$L"
expect_rc 0 "ls --json --platform linux/arm64"
got=$(python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["warnings"]; print(len(w)); print(w[-1]); print(w[0].split()[3])' "$T_TMP/out")
expect_eq "$got" "101
50 more warnings not shown
$(head -n 1 "$T_TMP/digests")" "ls --json: the same 101 warnings, the first naming the first image"

# ------------------------------------------------------------------ a cut archive
run ls "$T_TMP/cut.tar"
expect_rc 3 "ls of an archive cut in its 100th manifest"
expect_err_has "truncated-archive" "ls of a cut archive: truncated-archive"
expect_eq "$out" "" "ls of a cut archive: nothing on standard output (no table of the images before the cut)"
run ls --json "$T_TMP/cut.tar"
expect_rc 3 "ls --json of the cut archive"
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["images"], d["error"]["code"])' "$T_TMP/out" 2>&1)
expect_eq "$got" "None truncated-archive" "ls --json of a cut archive: one JSON document, no images, the error"
run ls --json "$T_TMP/l150.tar"
expect_rc 0 "ls --json of the whole archive"
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["images"]), d["images"][149]["names"], d["summary"]["blobs"], d["summary"]["sharedBlobs"])' "$T_TMP/out" 2>&1)
expect_eq "$got" "150 ['img149'] 152 2" "ls --json of the archive: 150 images, 152 blobs, the config and layer shared"

# ------------------------------------------------------------------ two tables
run ls "$TESTDATA/verify/blob-unreferenced"
expect_rc 0 "ls of a layout with a buildx attestation"
expect_eq "$out" "$TESTDATA/verify/blob-unreferenced: oci, 1 image, 2 platforms
IMAGE  PLATFORM        MANIFEST             COMPLETE   SIZE
v1.0   linux/amd64     sha256:d1b499d80f93  yes       247 B
       linux/arm64/v8  sha256:241de3ecb09d  yes       246 B

attestations (buildx)
IMAGE  ATTESTS              MANIFEST             COMPLETE  SIZE
v1.0   sha256:d1b499d80f93  sha256:f5c590efdbc2  yes       58 B

total 3.0 KiB in 11 blobs; shared between images/platforms 128 B (1 blob); unreferenced 31 B (1 file)" \
  "ls: the images' table, then the attestations' with its own columns, then the footer"

finish
