#!/bin/sh
# regress_model.sh: issue 13, "every command the same answer": the cases of ls, inspect and
# related lookups that disagreed with resolve and verify over the same input.
#
#  case 1: a manifest whose body says it is an index (its "mediaType" is the OCI index
#    type, its descriptor says manifest): resolve, inspect and verify say kind-mismatch
#    (exit 4); ls showed the image COMPLETE "yes", exit 0.  Now its row has the error,
#    COMPLETE no, exit 4.
#  case 2: a corrupted config blob (one byte flipped, "amd64" -> "Amd64"): ls showed it
#    complete, exit 0.  Now its row has digest-mismatch, COMPLETE no, exit 4.
#  case 3: ls --platform P showed "(no match for P)" for an image whose index.json entry is
#    a manifest for another platform, while resolve --ref IMAGE --platform P selects it
#    (doc/resolution.md §5.3: a --ref root manifest is selected whatever its platform, with
#    a warning).  Now ls shows for each image exactly what resolve --ref selects.
#  case 4: ctr images export --platform linux/amd64 of example.com/flat:flat (a manifest)
#    and example.com/armorder:armorder (an index) writes one manifest.json entry per image,
#    both with the same config; ls and inspect gave each image both RepoTags (matched by
#    config alone).  Now a RepoTag names the image whose manifest its entry describes:
#    same config AND same layers.
#
# Fixtures: copies of testdata/samples/umoci-multitag (umoci 0.4.7) with one edit each,
# made here by python3; case 4's archive is rebuilt here, member for member, from the
# blobs of testdata/samples (umoci-multitag, skopeo-v2-zstd) in the shape containerd 1.6's
# `ctr images export` writes (the shape of testdata/samples/containerd-export-*.tar), and
# testdata/model/ctr-export-two.tar, when present, is checked too.
. "$TESTS_DIR/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is needed to generate the layouts: skipped"
  exit 77
fi

SAMPLES=$TESTDATA/samples
cat >"$T_TMP/gen.py" <<'PYEOF'
import hashlib, io, json, os, shutil, sys, tarfile

samples, out = sys.argv[1], sys.argv[2]
UMOCI = os.path.join(samples, "umoci-multitag")
ZSTD = os.path.join(samples, "skopeo-v2-zstd")
V1 = "43d97f1d66cf288973eff4ffd356138d0745ba6bdaac2bbff3c176273ab7c8fd"
V1_CONFIG = "b15881a1a676c90560344ae2fb7169d7f87df727a84de4f5b0a4d3a5731327a8"
MT_INDEX = "application/vnd.oci.image.index.v1+json"

def blob_path(root, h):
    return os.path.join(root, "blobs", "sha256", h)

def read(root, h):
    with open(blob_path(root, h), "rb") as f:
        data = f.read()
    assert hashlib.sha256(data).hexdigest() == h, h
    return data

def copy(name):
    dst = os.path.join(out, name)
    shutil.copytree(UMOCI, dst)
    for dirpath, dirs, files in os.walk(dst):
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)
    return dst

def load_index(root):
    with open(os.path.join(root, "index.json")) as f:
        return json.load(f)

def save_index(root, index):
    with open(os.path.join(root, "index.json"), "w") as f:
        f.write(json.dumps(index, separators=(",", ":")))

# case 1: v1's manifest says it is an index; index.json points at the new digest
root = copy("case1")
m = json.loads(read(root, V1))
m["mediaType"] = MT_INDEX
data = json.dumps(m, separators=(",", ":")).encode()
h = hashlib.sha256(data).hexdigest()
with open(blob_path(root, h), "wb") as f:
    f.write(data)
index = load_index(root)
for d in index["manifests"]:
    if d["digest"] == "sha256:" + V1:
        d["digest"], d["size"] = "sha256:" + h, len(data)
save_index(root, index)

# case 2: v1's config, one byte flipped in place; the entry is named t1
root = copy("case2")
data = read(root, V1_CONFIG)
assert data.count(b'"amd64"') == 1
with open(blob_path(root, V1_CONFIG), "wb") as f:
    f.write(data.replace(b'"amd64"', b'"Amd64"'))
index = load_index(root)
for d in index["manifests"]:
    if d["digest"] == "sha256:" + V1:
        d["annotations"]["org.opencontainers.image.ref.name"] = "t1"
save_index(root, index)

# case 4: ctr images export --platform linux/amd64 two.tar example.com/flat:flat
# example.com/armorder:armorder (containerd 1.6: index.json with io.containerd.image.name
# and the tag as ref.name, manifest.json with one entry per image, the blobs of amd64 only)
FLAT = "4fefe2aad61acc7e5495e72c6f4d1da1a6d5dfb86048bb6dc8c70ae52475efa7"
ARM64 = "45b662cddd26af82c5fc91ded80c1d5ad7655397523a10726b56fb58f55fa145"
ZMAN = "c98840f8db1fa2575a525e38d80a9cc69435ff6047f5c85c2fcb4b27ae5acfb9"
CONFIG = "e1e6234ca8dba2fcdd24b31d3be41992fee0902bf64140d77777150b441ba74e"
MT_M = "application/vnd.oci.image.manifest.v1+json"
armorder = json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [
    {"mediaType": MT_M, "digest": "sha256:" + ARM64, "size": 567, "platform": {"architecture": "arm64", "os": "linux"}},
    {"mediaType": MT_M, "digest": "sha256:" + ZMAN, "size": 560, "platform": {"architecture": "amd64", "os": "linux"}},
]}, separators=(",", ":")).encode()
ARMORDER = hashlib.sha256(armorder).hexdigest()
blobs = {ARMORDER: armorder}
for root, hs in ((UMOCI, [FLAT, CONFIG]), (ZSTD, [ZMAN])):
    for h in hs:
        blobs[h] = read(root, h)
def layers(h):
    return [d["digest"].split(":")[1] for d in json.loads(blobs[h])["layers"]]
for root, man in ((UMOCI, FLAT), (ZSTD, ZMAN)):
    for h in layers(man):
        blobs[h] = read(root, h)
index = json.dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": MT_M, "digest": "sha256:" + FLAT, "size": len(blobs[FLAT]),
     "annotations": {"io.containerd.image.name": "example.com/flat:flat", "org.opencontainers.image.ref.name": "flat"}},
    {"mediaType": MT_INDEX, "digest": "sha256:" + ARMORDER, "size": len(armorder),
     "annotations": {"io.containerd.image.name": "example.com/armorder:armorder",
                     "org.opencontainers.image.ref.name": "armorder"}},
]}, separators=(",", ":")).encode()
manifest = json.dumps([
    {"Config": "blobs/sha256/" + CONFIG, "RepoTags": ["example.com/armorder:armorder"],
     "Layers": ["blobs/sha256/" + h for h in layers(ZMAN)]},
    {"Config": "blobs/sha256/" + CONFIG, "RepoTags": ["example.com/flat:flat"],
     "Layers": ["blobs/sha256/" + h for h in layers(FLAT)]},
], separators=(",", ":")).encode()
with tarfile.open(os.path.join(out, "two.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, data=None, mode=0o444):
        ti = tarfile.TarInfo(name)
        ti.mtime, ti.uid, ti.gid = 0, 0, 0
        if data is None:
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            t.addfile(ti)
        else:
            ti.size, ti.mode = len(data), mode
            t.addfile(ti, io.BytesIO(data))
    add("blobs/")
    add("blobs/sha256/")
    for h in sorted(blobs):
        add("blobs/sha256/" + h, blobs[h])
    add("index.json", index, 0o644)
    add("manifest.json", manifest, 0o644)
    add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}', 0o444)
PYEOF
if ! python3 "$T_TMP/gen.py" "$SAMPLES" "$T_TMP"; then
  not_ok "the fixtures could not be made"
  finish
  exit 1
fi
tar -C "$T_TMP/case1" -cf "$T_TMP/case1.tar" .
tar -C "$T_TMP/case2" -cf "$T_TMP/case2.tar" .

# jget JSON-TEXT EXPR: prints a python expression over the document d (a failure: "?")
jget() {
  printf '%s' "$1" | python3 -c "import json,sys
try:
    d = json.load(sys.stdin)
    v = $2
    print(v if not isinstance(v, bool) else str(v).lower())
except Exception as e:
    print('?')" 2>/dev/null
}

# ---------------------------------------------------------------- case 1
for form in case1 case1.tar; do
  src=$T_TMP/$form
  run resolve --ref v1 "$src"
  expect_rc 4 "case 1 ($form): resolve --ref v1 exits 4"
  expect_err_has "kind-mismatch" "case 1 ($form): resolve says kind-mismatch"
  run ls "$src"
  expect_rc 4 "case 1 ($form): ls exits 4 (an image has an error)"
  expect_out_has "kind-mismatch" "case 1 ($form): ls shows the row's error"
  run ls --json "$src"
  expect_rc 4 "case 1 ($form): ls --json exits 4"
  expect_eq "$(jget "$out" 'd["images"][0]["platforms"][0]["error"]["code"]')" kind-mismatch \
    "case 1 ($form): ls --json: v1's row has kind-mismatch"
  expect_eq "$(jget "$out" 'd["images"][0]["complete"]')" false "case 1 ($form): ls --json: v1 is not complete"
  expect_eq "$(jget "$out" '[i["complete"] for i in d["images"][1:]]')" "[True, True]" \
    "case 1 ($form): ls --json: the other images stay complete"
  expect_eq "$(jget "$out" 'd["summary"]["errors"]')" 1 "case 1 ($form): ls --json: one error in the summary"
  run verify "$src"
  expect_rc 4 "case 1 ($form): verify exits 4"
done

# ---------------------------------------------------------------- case 2
for form in case2 case2.tar; do
  src=$T_TMP/$form
  run ls "$src"
  expect_rc 4 "case 2 ($form): ls exits 4"
  expect_out_has "digest-mismatch" "case 2 ($form): ls shows the config's digest-mismatch"
  run ls --json "$src"
  expect_eq "$(jget "$out" 'd["images"][0]["platforms"][0]["error"]["code"]')" digest-mismatch \
    "case 2 ($form): ls --json: t1's row has digest-mismatch"
  expect_eq "$(jget "$out" 'd["images"][0]["platforms"][0]["complete"]')" false \
    "case 2 ($form): ls --json: t1's row is not complete"
  expect_eq "$(jget "$out" 'd["images"][0]["complete"]')" false "case 2 ($form): ls --json: t1 is not complete"
  expect_eq "$(jget "$out" '"Amd64" in json.dumps(d)')" false \
    "case 2 ($form): ls --json shows nothing read from the corrupt bytes"
  expect_eq "$(jget "$out" 'd["images"][1]["complete"]')" true "case 2 ($form): ls --json: v2 stays complete"
  run ls --platform linux/amd64 "$src"
  expect_rc 4 "case 2 ($form): ls --platform linux/amd64 exits 4"
  run verify "$src"
  expect_rc 4 "case 2 ($form): verify exits 4"
done

# ---------------------------------------------------------------- case 3
# For every image of ls --platform P: resolve --ref NAME --platform P (NAME the image's
# first name, or @DIGEST) selects the manifest ls shows as selected, or neither selects.
check_same() { # SOURCE PLATFORM LABEL
  run ls --json --platform "$2" "$1"
  lsjson=$out
  n=$(jget "$lsjson" 'len(d["images"])')
  case "$n" in '' | '?' | 0) not_ok "case 3 ($3, $2): ls --json lists no image"; return ;; esac
  i=0
  bad=
  while [ "$i" -lt "$n" ]; do
    ref=$(jget "$lsjson" 'd["images"]['"$i"']["names"][0] if d["images"]['"$i"']["names"] else "@" + d["images"]['"$i"']["digest"]')
    got=$(jget "$lsjson" 'd["images"]['"$i"']["resolved"].get("manifest") or "-"')
    run resolve --json --ref "$ref" --platform "$2" "$1"
    want=$(jget "$out" '(d["selected"] or {}).get("digest") or "-"')
    [ "$got" = "$want" ] || bad="$bad $ref: ls $got, resolve $want;"
    i=$((i + 1))
  done
  if [ -z "$bad" ]; then ok "case 3 ($3, $2): ls shows for each of $n images what resolve --ref selects"
  else not_ok "case 3 ($3, $2):$bad"; fi
}
for p in linux/arm64 linux/amd64 linux/arm/v7 windows/amd64; do
  check_same "$SAMPLES/umoci-multitag" "$p" umoci-multitag
  check_same "$SAMPLES/containerd-export-allplatforms.tar" "$p" containerd-export-allplatforms.tar
  check_same "$T_TMP/two.tar" "$p" ctr-export-two
done
run ls --platform linux/arm64 "$SAMPLES/umoci-multitag"
expect_rc 0 "case 3: ls --platform linux/arm64 of umoci-multitag exits 0"
case "$out" in
*"no match"*) not_ok "case 3: ls --platform linux/arm64 still says 'no match' for v1: $out" ;;
*) ok "case 3: ls --platform linux/arm64 says 'no match' for no image (each entry is a manifest)" ;;
esac
expect_err_has "does not match the request linux/arm64" \
  "case 3: ls --platform linux/arm64 warns, as resolve does, that v1's manifest is for another platform"

# ---------------------------------------------------------------- case 4
check_two() { # ARCHIVE LABEL
  run ls --json "$1"
  expect_rc 0 "case 4 ($2): ls exits 0"
  expect_eq "$(jget "$out" '[i["names"] for i in d["images"]]')" \
    "[['example.com/flat:flat'], ['example.com/armorder:armorder']]" \
    "case 4 ($2): ls: each RepoTag names only the image its manifest.json entry describes"
  run inspect --json --ref example.com/flat:flat "$1"
  expect_rc 0 "case 4 ($2): inspect --ref example.com/flat:flat exits 0"
  expect_eq "$(jget "$out" 'd["image"]["names"]')" "['example.com/flat:flat']" \
    "case 4 ($2): inspect --ref example.com/flat:flat names only the flat image"
  run inspect --json --ref example.com/armorder:armorder --platform linux/amd64 "$1"
  expect_rc 0 "case 4 ($2): inspect --ref example.com/armorder:armorder exits 0"
  expect_eq "$(jget "$out" 'd["image"]["names"]')" "['example.com/armorder:armorder']" \
    "case 4 ($2): inspect --ref example.com/armorder:armorder names only the armorder image"
  run ls "$1"
  case "$out" in
  *"flat:flat, example.com/armorder"* | *"armorder:armorder, example.com/flat"*)
    not_ok "case 4 ($2): ls text still joins the two names: $out" ;;
  *) ok "case 4 ($2): ls text gives each image its own name only" ;;
  esac

}
check_two "$T_TMP/two.tar" "rebuilt from the samples"
if [ -f "$TESTDATA/model/ctr-export-two.tar" ]; then
  check_two "$TESTDATA/model/ctr-export-two.tar" "testdata/model/ctr-export-two.tar, made by containerd"
fi
# A hybrid archive whose manifest.json entry describes its image exactly keeps the RepoTag
# (Docker 25 and ctr export of one image).
run ls --json "$SAMPLES/containerd-export-allplatforms.tar"
expect_eq "$(jget "$out" 'd["images"][0]["names"]')" "['example.com/corpus/multi-direct:latest']" \
  "case 4: a RepoTag whose entry matches a manifest still names its image"

finish
