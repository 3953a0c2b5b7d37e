#!/bin/sh
# CLI tests of `ocidig inspect`, `ls` and `cat`, and of docker save archives across all
# commands, over layouts made by real tools (testdata/samples, see testdata/README.md) and
# fixtures written here (attestations, referrers, multi-image and hybrid docker archives,
# large and tampered blobs).  JSON outputs are parsed back with python3.
. "$TESTS_DIR/lib.sh"
S="$TESTDATA/samples"

if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is needed to parse the JSON outputs: skipped"
  exit 77
fi

# jq_ FILE EXPR: evaluates a python expression on the parsed JSON `j`.
jq_() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# run_json ARGS...: runs ocidig; the JSON goes to $T_TMP/j.
run_json() {
  run "$@"
  printf '%s' "$out" >"$T_TMP/j"
}
sha256() { python3 -c 'import hashlib,sys; print("sha256:" + hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }

# ================================================================== inspect: OCI samples
run inspect --platform linux/arm64 "$S/buildah-multiarch"
expect_rc 0 "inspect buildah-multiarch linux/arm64"
expect_out_has "manifest     sha256:7d5a4eaebd90d4e57a28613e6766cb3a10b5405a1a15a494157cc9f95a168038 (oci-manifest, 499 B)" "manifest digest and type"
expect_out_has "platform     linux/arm64 (from the descriptor)" "platform"
expect_out_has "image ID     sha256:f7ee0227951e3f4a69b5326b12b45ff3278c0b8d198ff6db2535dee3d5a36401" "config digest as image ID"
expect_out_has "env          PLATFORM=linux/arm64/v8" "env"
expect_out_has "org.example.platform=linux/arm64/v8" "labels"
expect_out_has "entrypoint   [\"/bin/hello\"]" "entrypoint"
expect_out_has "gzip" "layer compression"
expect_out_has "sha256:f7d5b9fabb3310035818127d9c2e1af6921c20ec85b22ad22bd893430e216332" "diff_id"
expect_out_has "path         index.json > sha256:45e83bb5f1dd05c0fd4452f7b0d3fcf8ffa8a143631586d71c5ba7410f45eaf8 > manifest" "path through the nested index"
run_json inspect --json --platform linux/arm64 "$S/buildah-multiarch"
expect_rc 0 "inspect --json"
expect_eq "$(jq_ "$T_TMP/j" 'j["outcome"], j["image"]["manifest"]["digest"], j["image"]["names"]')" \
  "('selected', 'sha256:7d5a4eaebd90d4e57a28613e6766cb3a10b5405a1a15a494157cc9f95a168038', ['latest'])" "JSON: outcome, manifest, names"
expect_eq "$(jq_ "$T_TMP/j" '[(l["compression"], l["size"], l["present"]) for l in j["image"]["layers"]], j["image"]["layersSize"]')" \
  "([('gzip', 215, True)], 215)" "JSON: layers"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["config"]["env"], j["image"]["config"]["entrypoint"], j["image"]["config"]["cmd"]')" \
  "(['PLATFORM=linux/arm64/v8'], ['/bin/hello'], None)" "JSON: config env, entrypoint, cmd"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["platform"]["architecture"], j["image"]["platformSource"], j["image"]["registryManifest"]')" \
  "('arm64', 'descriptor', True)" "JSON: platform"

# the same image from every container of the layout
for f in buildah-multiarch.oci-archive.tar variant-multiarch.tar.gz variant-multiarch.tar.zst \
  variant-multiarch-dotslash.tar variant-multiarch-indexlast.tar; do
  "$OCIDIG" inspect --json --platform linux/arm/v6 "$S/$f" | python3 -c 'import json,sys; j=json.load(sys.stdin); del j["source"]; print(json.dumps(j, sort_keys=True))' >"$T_TMP/a"
  "$OCIDIG" inspect --json --platform linux/arm/v6 "$S/buildah-multiarch" | python3 -c 'import json,sys; j=json.load(sys.stdin); del j["source"]; print(json.dumps(j, sort_keys=True))' >"$T_TMP/b"
  if cmp -s "$T_TMP/a" "$T_TMP/b"; then ok "same inspect output: $f"; else not_ok "inspect differs: $f"; fi
done

# umoci: names that share a digest, history with empty layers, author, working dir
run inspect --ref v2 "$S/umoci-multitag"
expect_rc 0 "inspect umoci --ref v2"
expect_out_has "v2, latest" "both names of the digest"
expect_out_has "author       corpus-builder" "author"
expect_out_has "working dir  /" "working dir"
expect_out_has "history (4 steps, 2 empty)" "history count"
expect_out_has "annotations  org.opencontainers.image.title=umoci-v2" "manifest annotations"
run_json inspect --json --ref v2 "$S/umoci-multitag"
expect_eq "$(jq_ "$T_TMP/j" '[(h["emptyLayer"], h["layer"]) for h in j["image"]["config"]["history"]]')" \
  "[(True, None), (False, 0), (False, 1), (True, None)]" "JSON: history marks empty layers"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["config"]["labels"], j["image"]["config"]["author"] if "author" in j["image"]["config"] else None')" \
  "({'org.example.corpus': 'umoci-multitag'}, 'corpus-builder')" "JSON: labels, author"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["platformSource"]')" "config" "umoci: platform from the config"

# podman: full-reference ref names
run inspect --ref armv7 --platform linux/arm/v7 "$S/podman-save.oci-archive.tar"
expect_rc 0 "podman oci-archive, --ref TAG"
expect_out_has "localhost/corpus-multi:armv7" "full reference name"
run inspect --ref localhost/corpus-multi:armv7 --platform linux/arm/v7 "$S/podman-save-ocidir"
expect_rc 0 "podman oci-dir, --ref full name"

# zstd layers
for f in buildah-amd64-zstd skopeo-v2-zstd; do
  run_json inspect --json --platform linux/amd64 "$S/$f"
  expect_rc 0 "inspect $f"
  expect_eq "$(jq_ "$T_TMP/j" 'set(l["compression"] for l in j["image"]["layers"])')" "{'zstd'}" "$f: zstd layers"
done
run inspect --platform linux/amd64 "$S/buildah-amd64-zstd"
expect_out_has "zstd" "zstd in the text table"

# Docker schema2 list and manifests
run_json inspect --json --platform linux/arm/v7 "$S/buildah-multiarch-v2s2list"
expect_rc 0 "docker manifest list"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["manifest"]["mediaType"], j["image"]["layers"][0]["compression"]')" \
  "('application/vnd.docker.distribution.manifest.v2+json', 'gzip')" "docker schema2 manifest, gzip layer"

# containerd export (hybrid): index.json used, RepoTags agree
run_json inspect --json --platform linux/arm64 "$S/containerd-export-arm64only.tar"
expect_rc 0 "containerd export, arm64"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["format"], j["image"]["names"], j["warnings"]')" \
  "('oci+docker-archive', ['example.com/corpus/multi-direct:latest'], [])" "hybrid: format, names, no disagreement"
run inspect --platform linux/amd64 "$S/containerd-export-arm64only.tar"
expect_rc 1 "containerd export of arm64 only, linux/amd64: no match"
expect_err_has "no manifest" "says no manifest matches"
run_json inspect --json --platform linux/amd64 "$S/containerd-export-arm64only.tar"
expect_eq "$(jq_ "$T_TMP/j" 'j["outcome"], j["image"]')" "('no-match', None)" "JSON on no match"

# errors
run inspect /nonexistent
expect_rc 3 "inspect: missing source"
run_json inspect --json /nonexistent
expect_eq "$(jq_ "$T_TMP/j" 'j["outcome"], j["error"]["code"]')" "('error', 'not-found')" "JSON on error"
run inspect --ref nosuch "$S/umoci-multitag"
expect_rc 2 "inspect --ref nosuch"
run inspect
expect_rc 2 "inspect without SOURCE"

# ================================================================== docker save archives
# --- Docker 20 legacy docker save --------------------------------------------------
LEGACY="$S/docker-save-legacy-build.tar"
LEGACY_ID=sha256:457bf17784d1da12f4ae1ae16112bc37a02c521e051453db1301947ee423ac01
run resolve --platform linux/amd64 "$LEGACY"
expect_rc 0 "resolve on a legacy docker save archive"
expect_out_has "selected   image ID $LEGACY_ID" "labels the image ID"
expect_out_has "manifest    none: a docker save archive carries no registry manifest" "says there is no registry manifest"
expect_err_has "carries no registry manifest" "a warning says it too"
run resolve -q --platform linux/amd64 "$LEGACY"
expect_eq "$out" "$LEGACY_ID" "resolve -q prints the image ID"
run_json resolve --json --platform linux/amd64 "$LEGACY"
expect_eq "$(jq_ "$T_TMP/j" 'j["outcome"], j["selected"]["digest"], j["selected"]["mediaType"], j["selected"]["platformSource"]')" \
  "('selected', '$LEGACY_ID', 'application/vnd.docker.container.image.v1+json', 'config')" "resolve JSON on a legacy archive"
expect_eq "$(jq_ "$T_TMP/j" '[(d["parent"], d["verdict"], d["annotations"]["io.ocidig.repo-tags"]) for d in j["descriptors"]]')" \
  "[('manifest.json', 'selected', 'example.com/corpus/dockerbuild:legacy')]" "rows come from manifest.json"
expect_eq "$(jq_ "$T_TMP/j" 'j["selected"]["manifestMediaType"], len(j["selected"]["layers"]), j["selected"]["layersSize"]')" \
  "(None, 2, 4096)" "no manifest media type; the layers"
run resolve --platform linux/arm64 "$LEGACY"
expect_rc 1 "legacy archive, another platform: no match"
expect_out_has "config-platform-mismatch" "verdict config-platform-mismatch"
run resolve --ref example.com/corpus/dockerbuild:legacy --platform linux/arm64 "$LEGACY"
expect_rc 0 "--ref RepoTag (a root is not platform-checked)"
expect_err_has "does not match the request linux/arm64" "with a warning"
run resolve -q --ref legacy "$LEGACY"
expect_eq "$out" "$LEGACY_ID" "--ref TAG alone"
run resolve --ref nosuch "$LEGACY"
expect_rc 2 "--ref naming no RepoTag"
expect_err_has "RepoTags there: example.com/corpus/dockerbuild:legacy" "lists the RepoTags"

run inspect --platform linux/amd64 "$LEGACY"
expect_rc 0 "inspect legacy"
expect_out_has "example.com/corpus/dockerbuild:legacy" "RepoTag as name"
expect_out_has "manifest     none: a docker save archive carries no registry manifest" "no manifest"
expect_out_has "image ID     $LEGACY_ID (the digest of its config" "image ID labelled"
expect_out_has "history (5 steps, 3 empty)" "legacy history"
expect_out_has "uncompressed" "uncompressed layers"
run_json inspect --json --platform linux/amd64 "$LEGACY"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["registryManifest"], j["image"]["manifest"], j["image"]["imageId"], j["image"]["format"]')" \
  "(False, None, '$LEGACY_ID', 'docker-archive')" "inspect JSON on a legacy archive"
expect_eq "$(jq_ "$T_TMP/j" '[(l["digest"] == l["diffId"], l["compression"], l["size"]) for l in j["image"]["layers"]]')" \
  "[(True, 'uncompressed', 2048), (True, 'uncompressed', 2048)]" "layers: digest = diff_id, uncompressed"
expect_eq "$(jq_ "$T_TMP/j" '[h["emptyLayer"] for h in j["image"]["config"]["history"]]')" \
  "[False, False, True, True, True]" "empty layers"
run ls "$LEGACY"
expect_rc 0 "ls legacy"
expect_out_has "IMAGE ID" "ls shows image IDs"
expect_out_has "example.com/corpus/dockerbuild:legacy  linux/amd64  sha256:457bf17784d1  yes" "ls row"
expect_out_has "no registry manifests" "ls says no registry manifests"
run_json ls --json "$LEGACY"
expect_eq "$(jq_ "$T_TMP/j" 'j["format"], j["images"][0]["digest"], j["images"][0]["platforms"][0]["manifest"], j["summary"]["unreferencedFiles"]')" \
  "('docker-archive', '$LEGACY_ID', None, 0)" "ls JSON on a legacy archive"
"$OCIDIG" cat "$LEGACY" config >"$T_TMP/cfg"
expect_eq "$(sha256 "$T_TMP/cfg")" "$LEGACY_ID" "cat config: the image ID is its digest"
"$OCIDIG" cat "$LEGACY" sha256:b8f671aa6f3cac39b21d29afb10c59bac7a85b89903c2538ed9d47409a683848 >"$T_TMP/layer"
expect_eq "$(sha256 "$T_TMP/layer")" "sha256:b8f671aa6f3cac39b21d29afb10c59bac7a85b89903c2538ed9d47409a683848" "cat a layer by diff_id"
run cat "$LEGACY" manifest
expect_rc 2 "cat manifest of a legacy archive"
expect_err_has "no registry manifest" "says why"
run cat "$LEGACY" manifest.json
expect_rc 0 "cat manifest.json"
expect_out_has '"RepoTags":["example.com/corpus/dockerbuild:legacy"]' "docker's manifest.json"
# on standard input
out=$("$OCIDIG" resolve -q --platform linux/amd64 - <"$LEGACY" 2>/dev/null)
expect_eq "$out" "$LEGACY_ID" "legacy archive on standard input"
out=$("$OCIDIG" inspect --json --platform linux/amd64 - <"$LEGACY")
printf '%s' "$out" >"$T_TMP/j"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["imageId"], j["image"]["layersSize"]')" "('$LEGACY_ID', 4096)" "inspect on standard input"

# --- docker save by ID: RepoTags null, no repositories -------------------------------
BYID="$S/docker-save-by-id.tar"
BYID_ID=sha256:7840c1e8d5f1f12ad0060103e7e0fd5697fde55e94079e6769db2d1ea8c5606b
run_json inspect --json --platform linux/arm64 "$BYID"
expect_rc 0 "inspect an archive saved by ID"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["names"], j["image"]["imageId"], j["image"]["platform"]["architecture"]')" \
  "([], '$BYID_ID', 'arm64')" "no names; image ID; arm64"
run resolve -q --ref "@$BYID_ID" --platform linux/arm64 "$BYID"
expect_eq "$out" "$BYID_ID" "--ref @IMAGE-ID"
run resolve --ref latest "$BYID"
expect_rc 2 "--ref on an archive without RepoTags"
expect_err_has "RepoTags there: none" "says there are none"
run ls "$BYID"
expect_out_has "sha256:7840c1e8d5f1  linux/arm64" "ls: unnamed image shown by digest"
run_json ls --json "$BYID"
expect_eq "$(jq_ "$T_TMP/j" 'j["images"][0]["name"], j["images"][0]["names"]')" "('$BYID_ID', [])" "ls JSON: name is the digest"

# --- containers/image docker-archive: symlinked legacy layers -----------------------------
BUILDAH="$S/buildah-arm64.docker-archive.tar"
run_json inspect --json --platform linux/arm64 "$BUILDAH"
expect_rc 0 "inspect a containers/image docker-archive"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["names"]')" "['example.com/corpus/multi:arm64v8', 'localhost/corpus-multi:arm64v8']" "both RepoTags"
expect_eq "$(jq_ "$T_TMP/j" '[(l["present"], l["size"], l["digest"]) for l in j["image"]["layers"]]')" \
  "[(True, 3584, 'sha256:f7d5b9fabb3310035818127d9c2e1af6921c20ec85b22ad22bd893430e216332')]" "the layer, its digest from its name"
run resolve -q --ref localhost/corpus-multi:arm64v8 "$BUILDAH"
expect_rc 0 "--ref one of two RepoTags of one image"
run resolve -q --ref arm64v8 "$BUILDAH"
expect_rc 0 "--ref tag shared by both RepoTags of the same image: one hit"
"$OCIDIG" cat "$BUILDAH" sha256:f7d5b9fabb3310035818127d9c2e1af6921c20ec85b22ad22bd893430e216332 >"$T_TMP/layer"
expect_eq "$(tar tf "$T_TMP/layer" | sort | tr '\n' ' ')" "bin/ bin/hello platform.txt " "cat the layer"
run cat --ref example.com/corpus/multi:arm64v8 "$BUILDAH" config
expect_rc 0 "cat config --ref RepoTag"
expect_out_has '"architecture":"arm64"' "the config"
# the legacy layer.tar symlink is what a Layers entry may name too
python3 - "$BUILDAH" "$T_TMP/viasymlink.tar" <<'PY'
import io, json, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
tin = tarfile.open(src)
tout = tarfile.open(dst, "w")
for m in tin.getmembers():
    data = tin.extractfile(m).read() if m.isfile() else None
    if m.name == "manifest.json":
        j = json.loads(data)
        j[0]["Layers"] = ["3745da55301dcd7c6473ffb3a44102a8021163c5a3f3a8e34df7fe6f64c878bc/layer.tar"]
        data = json.dumps(j).encode()
        m.size = len(data)
    tout.addfile(m, io.BytesIO(data) if data is not None else None)
tout.close()
PY
run_json inspect --json --platform linux/arm64 "$T_TMP/viasymlink.tar"
expect_eq "$(jq_ "$T_TMP/j" '[(l["present"], l["size"], l["digest"]) for l in j["image"]["layers"]]')" \
  "[(True, 3584, 'sha256:f7d5b9fabb3310035818127d9c2e1af6921c20ec85b22ad22bd893430e216332')]" \
  "a Layers path that is a symlink is followed (digest from the diff_id)"

# --- podman docker-archive --------------------------------------------------------------
run inspect --platform linux/arm/v7 --ref localhost/corpus-multi:armv7 "$S/podman-save.docker-archive.tar"
expect_rc 0 "podman docker-archive"
expect_out_has "platform     linux/arm/v7 (from the config)" "arm/v7 from the config"
run ls --platform linux/arm/v7 "$S/podman-save.docker-archive.tar"
expect_rc 0 "ls --platform on a docker-archive"
expect_out_has "linux/arm/v7" "resolves to arm/v7"
# ls --platform shows what resolve --ref IMAGE --platform P selects (issue 13): an image of a
# docker save is a root manifest, selected whatever its platform, with a warning
run ls --platform linux/amd64 "$S/podman-save.docker-archive.tar"
expect_rc 0 "ls --platform: the image resolves as resolve --ref says"
expect_out_has "linux/arm/v7" "ls --platform: the image's own platform is shown"
expect_err_has "which does not match the request linux/amd64" "ls --platform: the warning resolve --ref gives"

# --- a docker save archive of several images, made here -------------------------------------
python3 - "$T_TMP/multi.tar" <<'PY'
import hashlib, io, json, sys, tarfile
out = tarfile.open(sys.argv[1], "w")
def add(name, data):
    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 0
    out.addfile(ti, io.BytesIO(data))
def layer(text):
    b = io.BytesIO(); t = tarfile.open(fileobj=b, mode="w")
    ti = tarfile.TarInfo("f.txt"); ti.size = len(text); t.addfile(ti, io.BytesIO(text)); t.close()
    return b.getvalue()
shared = layer(b"shared base\n")
images = []
for arch, tags, extra in (("amd64", ["example.com/x:1", "example.com/x:amd64"], b"amd"),
                          ("arm64", ["example.com/x:arm64", "example.com/y:1"], b"arm")):
    own = layer(extra)
    ids = [hashlib.sha256(l).hexdigest() for l in (shared, own)]
    cfg = json.dumps({"architecture": arch, "os": "linux", "config": {"Env": ["A=" + arch]},
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + i for i in ids]},
                      "history": [{"created_by": "base"}, {"created_by": "own"}]}).encode()
    cid = hashlib.sha256(cfg).hexdigest()
    add(cid + ".json", cfg)
    for i, l in zip(ids, (shared, own)):
        add(i + "/layer.tar", l)
        add(i + "/VERSION", b"1.0")
    images.append({"Config": cid + ".json", "RepoTags": tags, "Layers": [i + "/layer.tar" for i in ids]})
add("manifest.json", json.dumps(images).encode())
add("repositories", json.dumps({"example.com/x": {"1": "x", "old": "y"}}).encode())
add("stray.bin", b"nobody references this\n")
out.close()
PY
run_json resolve --json --platform linux/arm64 "$T_TMP/multi.tar"
expect_rc 0 "two images, arm64 picks the second"
expect_eq "$(jq_ "$T_TMP/j" '[d["verdict"] for d in j["descriptors"]]')" "['config-platform-mismatch', 'selected']" "verdicts"
expect_eq "$(jq_ "$T_TMP/j" 'len([w for w in j["warnings"] if "holds 2 images" in w])')" "1" "a note lists the images"
expect_eq "$(jq_ "$T_TMP/j" 'len([w for w in j["warnings"] if "repositories names example.com/x:old" in w])')" "1" \
  "repositories disagreeing with RepoTags"
run_json resolve --json --platform linux/amd64 "$T_TMP/multi.tar"
expect_eq "$(jq_ "$T_TMP/j" '[d["verdict"] for d in j["descriptors"]]')" "['selected', 'not-reached']" "amd64 picks the first"
run resolve --ref 1 "$T_TMP/multi.tar"
expect_rc 2 "--ref 1: the tag of two images"
expect_err_has "ref-ambiguous" "ref-ambiguous"
run resolve -q --ref example.com/y:1 --platform linux/arm64 "$T_TMP/multi.tar"
expect_rc 0 "--ref picks the second image"
run_json ls --json "$T_TMP/multi.tar"
expect_eq "$(jq_ "$T_TMP/j" '[i["name"] for i in j["images"]]')" "['example.com/x:1, example.com/x:amd64', 'example.com/x:arm64, example.com/y:1']" "ls: both images"
expect_eq "$(jq_ "$T_TMP/j" 'j["summary"]["sharedBlobs"], j["summary"]["sharedBytes"], j["summary"]["unreferencedFiles"]')" \
  "(1, 10240, 1)" "ls: the shared layer and the stray file"
run ls --platform linux/arm64 "$T_TMP/multi.tar"
expect_out_has "linux/amd64" "ls --platform: the amd64 image is selected as resolve --ref selects it"
expect_err_has "is for linux/amd64 (from its config), which does not match the request linux/arm64" \
  "ls --platform: the amd64 image does not match: resolve --ref's warning"
# a config altered after the fact: its name no longer is its digest
python3 - "$T_TMP/multi.tar" "$T_TMP/altered.tar" <<'PY'
import io, sys, tarfile
tin = tarfile.open(sys.argv[1]); tout = tarfile.open(sys.argv[2], "w")
for m in tin.getmembers():
    data = tin.extractfile(m).read() if m.isfile() else None
    if m.name.endswith(".json") and m.name != "manifest.json" and b"amd64" in data:
        data = data.replace(b"A=amd64", b"A=AMD64")
    tout.addfile(m, io.BytesIO(data) if data is not None else None)
tout.close()
PY
run_json resolve --json --platform linux/amd64 "$T_TMP/altered.tar"
expect_rc 4 "an altered config is an integrity error"
expect_eq "$(jq_ "$T_TMP/j" 'j["error"]["code"]')" "digest-mismatch" "digest-mismatch"
run inspect --platform linux/amd64 "$T_TMP/altered.tar"
expect_rc 4 "inspect: altered config"
run_json ls --json "$T_TMP/altered.tar"
expect_rc 4 "ls: altered config, listing still printed"
expect_eq "$(jq_ "$T_TMP/j" 'j["images"][0]["platforms"][0]["error"]["code"]')" "digest-mismatch" "ls row error"

# --- hybrid archives: index.json wins, disagreements are reported ----------------------------
run_json resolve --json --platform linux/arm64 "$S/containerd-export-allplatforms.tar"
expect_eq "$(jq_ "$T_TMP/j" 'j["warnings"]')" "[]" "ctr export: manifest.json agrees with index.json"
mkdir -p "$T_TMP/hybrid"
cp -r "$S/buildah-multiarch/." "$T_TMP/hybrid/"
chmod -R u+w "$T_TMP/hybrid"
python3 - "$T_TMP/hybrid" <<'PY'
import json, sys
root = sys.argv[1]
# what Docker 25 writes beside index.json: Config and Layers as blobs/ paths
amd64 = "e25a248ff222ec8f05752fefc36dc2c8cec3f2ddb576081b6bd079c5f449b37e"
m = json.load(open(root + "/blobs/sha256/" + amd64))
cfg = m["config"]["digest"].split(":")[1]
good = {"Config": "blobs/sha256/" + cfg, "RepoTags": ["latest"],
        "Layers": ["blobs/sha256/" + l["digest"].split(":")[1] for l in m["layers"]]}
bad_layers = dict(good, RepoTags=["example.com/elsewhere:1"], Layers=["blobs/sha256/" + "0" * 64])
unknown = {"Config": "blobs/sha256/" + "1" * 64, "RepoTags": None, "Layers": []}
json.dump([good, bad_layers, unknown], open(root + "/manifest.json", "w"))
PY
run resolve --platform linux/amd64 "$T_TMP/hybrid"
expect_rc 0 "hybrid: resolve uses index.json"
expect_err_has "lists other layers than manifest sha256:e25a248ff222" "warns: other layers"
expect_err_has "RepoTag example.com/elsewhere:1 is not a name index.json gives" "warns: a RepoTag index.json does not give"
expect_err_has "is not an image that index.json reaches" "warns: an image index.json does not reach"
run_json inspect --json --platform linux/amd64 "$T_TMP/hybrid"
expect_eq "$(jq_ "$T_TMP/j" 'j["image"]["format"], "elsewhere" in str(j["warnings"])')" "('oci+docker-archive', True)" "inspect reports it too"
run_json ls --json "$T_TMP/hybrid"
expect_eq "$(jq_ "$T_TMP/j" 'j["format"], len(j["images"][0]["platforms"]), "disagrees" in str(j["warnings"])')" \
  "('oci+docker-archive', 9, True)" "ls on a hybrid"

# ================================================================== ls
run ls "$S/buildah-multiarch"
expect_rc 0 "ls buildah-multiarch"
expect_out_has "latest  linux/amd64" "first row"
expect_out_has "windows(10.0.17763.5329+win32k)/amd64" "windows row"
expect_out_has "unreferenced 0 B (0 files)" "footer"
run_json ls --json "$S/buildah-multiarch"
expect_eq "$(jq_ "$T_TMP/j" 'len(j["images"]), len(j["images"][0]["platforms"]), j["images"][0]["complete"]')" "(1, 9, True)" "ls JSON: 1 image, 9 platforms"
expect_eq "$(jq_ "$T_TMP/j" 'j["summary"]["blobs"], j["summary"]["missingBlobs"], j["summary"]["sharedBlobs"]')" "(28, 0, 0)" "ls JSON summary"
run_json ls --json "$S/umoci-multitag"
expect_eq "$(jq_ "$T_TMP/j" '[i["name"] for i in j["images"]]')" "['v1', 'v2, latest', 'v2-arm64']" "umoci: names grouped by digest"
expect_eq "$(jq_ "$T_TMP/j" '[p["platform"] + "/" + p["platformSource"] for i in j["images"] for p in i["platforms"]]')" \
  "['linux/amd64/config', 'linux/amd64/config', 'linux/arm64/config']" "platforms from the configs"
expect_eq "$(jq_ "$T_TMP/j" 'j["summary"]["sharedBlobs"] >= 2, j["summary"]["sharedBytes"] > 0')" "(True, True)" "shared layers"
run_json ls --json "$S/containerd-export-arm64only.tar"
expect_eq "$(jq_ "$T_TMP/j" 'j["images"][0]["complete"], [p["complete"] for p in j["images"][0]["platforms"]].count(True), j["summary"]["missingBlobs"]')" \
  "(False, 1, 8)" "sparse export: incomplete, 8 manifests missing"
run ls --platform linux/arm64 "$S/umoci-multitag"
expect_rc 0 "ls --platform"
expect_out_has "v2-arm64    linux/arm64" "v2-arm64 resolves"
# issue 13: the others are index.json entries that are manifests, which resolve --ref selects
# whatever their platform, with a warning (doc/resolution.md §5.3): ls shows the same
expect_out_has "v1          linux/amd64" "v1 resolves to its own manifest, as resolve --ref v1 does"
expect_err_has "does not match the request linux/arm64" "with resolve's warning"
run_json ls --json --platform linux/arm/v8 "$S/buildah-multiarch"
expect_eq "$(jq_ "$T_TMP/j" 'j["images"][0]["resolved"]["outcome"], j["images"][0]["resolved"]["platform"]')" \
  "('selected', 'linux/arm/v7')" "ls --platform follows resolve (arm/v8 falls back to arm/v7)"
run ls --platform linux/mips64le "$S/buildah-multiarch"
expect_rc 1 "ls --platform with no match anywhere"
run ls --strict "$S/buildah-multiarch"
expect_rc 2 "--strict without --platform"
# an unreferenced blob
mkdir -p "$T_TMP/unref"
cp -r "$S/buildah-multiarch/." "$T_TMP/unref/"
chmod -R u+w "$T_TMP/unref"
printf 'stray' >"$T_TMP/unref/blobs/sha256/$(printf stray | python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
run_json ls --json "$T_TMP/unref"
expect_eq "$(jq_ "$T_TMP/j" 'j["summary"]["unreferencedFiles"], j["summary"]["unreferencedBytes"]')" "(1, 5)" "unreferenced blob counted"

# ================================================================== cat
run cat "$S/buildah-multiarch" index.json
expect_rc 0 "cat index.json"
expect_eq "$out" "$(cat "$S/buildah-multiarch/index.json")" "the file as it is"
arm64=$("$OCIDIG" resolve -q --platform linux/arm64 "$S/buildah-multiarch")
"$OCIDIG" cat --platform linux/arm64 "$S/buildah-multiarch" manifest >"$T_TMP/m"
expect_eq "$(sha256 "$T_TMP/m")" "$arm64" "cat manifest: the resolved manifest's bytes"
"$OCIDIG" cat --platform linux/arm64 "$S/variant-multiarch.tar.zst" config >"$T_TMP/c"
expect_eq "$(sha256 "$T_TMP/c")" "sha256:f7ee0227951e3f4a69b5326b12b45ff3278c0b8d198ff6db2535dee3d5a36401" "cat config from a tar.zst"
"$OCIDIG" cat "$S/buildah-multiarch.oci-archive.tar" sha256:6dbe130e3ff3bba9fee621734735e66b626a4adcf95d4e4f45fbf4b226348a87 >"$T_TMP/l"
expect_eq "$(sha256 "$T_TMP/l")" "sha256:6dbe130e3ff3bba9fee621734735e66b626a4adcf95d4e4f45fbf4b226348a87" "cat a blob by digest"
out=$("$OCIDIG" cat - sha256:6dbe130e3ff3bba9fee621734735e66b626a4adcf95d4e4f45fbf4b226348a87 <"$S/variant-multiarch.tar.gz" | python3 -c 'import hashlib,sys; print("sha256:" + hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
expect_eq "$out" "sha256:6dbe130e3ff3bba9fee621734735e66b626a4adcf95d4e4f45fbf4b226348a87" "cat from standard input"
run cat "$S/buildah-multiarch" sha256:0000000000000000000000000000000000000000000000000000000000000000
expect_rc 4 "cat a digest that is not there"
run cat "$S/buildah-multiarch" sha256:xyz
expect_rc 2 "cat an invalid digest"
run cat "$S/buildah-multiarch" nonsense
expect_rc 2 "cat WHAT unknown"
run cat --platform linux/mips64le "$S/buildah-multiarch" manifest
expect_rc 1 "cat manifest with no match"
run cat --platform linux/arm64 "$S/buildah-multiarch" sha256:6dbe130e3ff3bba9fee621734735e66b626a4adcf95d4e4f45fbf4b226348a87
expect_rc 2 "--platform with a digest"
# a tampered small blob: nothing written
mkdir -p "$T_TMP/tamper"
cp -r "$S/buildah-multiarch/." "$T_TMP/tamper/"
chmod -R u+w "$T_TMP/tamper"
f="$T_TMP/tamper/blobs/sha256/6dbe130e3ff3bba9fee621734735e66b626a4adcf95d4e4f45fbf4b226348a87"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-1]^=1; open(p,"wb").write(b)' "$f"
run cat "$T_TMP/tamper" sha256:6dbe130e3ff3bba9fee621734735e66b626a4adcf95d4e4f45fbf4b226348a87
expect_rc 4 "tampered small blob"
expect_eq "${#out}" "0" "nothing written"
expect_err_has "digest-mismatch" "digest-mismatch"
# a large blob (above the 4 MiB cap) is streamed and checked at the end
mkdir -p "$T_TMP/big/blobs/sha256"
big=$(python3 - "$T_TMP/big" <<'PY'
import hashlib, os, sys
data = bytes((i * 7) & 0xff for i in range(5 * 1024 * 1024 + 3))
d = hashlib.sha256(data).hexdigest()
open(os.path.join(sys.argv[1], "blobs/sha256", d), "wb").write(data)
print(d)
PY
)
"$OCIDIG" cat "$T_TMP/big" "sha256:$big" >"$T_TMP/bigout"
rc=$?
expect_rc 0 "a large blob"
expect_eq "$(sha256 "$T_TMP/bigout")" "sha256:$big" "streamed intact"
python3 -c 'import sys; p=sys.argv[1]; f=open(p,"r+b"); f.seek(4000000); c=f.read(1); f.seek(4000000); f.write(bytes([c[0]^1]))' "$T_TMP/big/blobs/sha256/$big"
"$OCIDIG" cat "$T_TMP/big" "sha256:$big" >"$T_TMP/bigout" 2>"$T_TMP/err"
rc=$?
err=$(cat "$T_TMP/err")
expect_rc 4 "a large tampered blob"
expect_err_has "NOT verified" "says the bytes written were not verified"
expect_eq "$(wc -c <"$T_TMP/bigout" | tr -d ' ')" "5242883" "the bytes went out (streamed)"
# and from an archive
tar -C "$T_TMP/big" -cf "$T_TMP/big.tar" blobs
"$OCIDIG" cat "$T_TMP/big.tar" "sha256:$big" >/dev/null 2>"$T_TMP/err"
rc=$?
err=$(cat "$T_TMP/err")
expect_rc 4 "a large tampered blob in an archive"
expect_err_has "NOT verified" "not verified"

# ================================================================== attestations, referrers
python3 - "$T_TMP/att" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
os.makedirs(root + "/blobs/sha256")
def blob(b):
    if isinstance(b, (dict, list)): b = json.dumps(b).encode()
    d = hashlib.sha256(b).hexdigest()
    open(root + "/blobs/sha256/" + d, "wb").write(b)
    return {"digest": "sha256:" + d, "size": len(b)}
OCI_M = "application/vnd.oci.image.manifest.v1+json"
OCI_I = "application/vnd.oci.image.index.v1+json"
layer = blob(b"layer bytes (not a real tar)")
cfg = blob({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "a" * 64]},
            "config": {"ExposedPorts": {"8080/tcp": {}, "53/udp": {}}, "Volumes": {"/data": {}},
                       "User": "1000:1000", "Cmd": ["serve"]}})
man = blob({"schemaVersion": 2, "mediaType": OCI_M,
            "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"),
            "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+gzip")]})
# buildx attestation manifest
prov = blob(b'{"_type":"https://in-toto.io/Statement/v0.1"}')
sbom = blob(b'{"_type":"https://in-toto.io/Statement/v0.1","x":1}')
acfg = blob({"architecture": "unknown", "os": "unknown", "rootfs": {"type": "layers", "diff_ids": []}})
att = blob({"schemaVersion": 2, "mediaType": OCI_M,
            "config": dict(acfg, mediaType="application/vnd.oci.image.config.v1+json"),
            "layers": [dict(prov, mediaType="application/vnd.in-toto+json",
                            annotations={"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}),
                       dict(sbom, mediaType="application/vnd.in-toto+json",
                            annotations={"in-toto.io/predicate-type": "https://spdx.dev/Document"})]})
idx = blob({"schemaVersion": 2, "mediaType": OCI_I, "manifests": [
    dict(man, mediaType=OCI_M, platform={"architecture": "amd64", "os": "linux"}),
    dict(att, mediaType=OCI_M, platform={"architecture": "unknown", "os": "unknown"},
         annotations={"vnd.docker.reference.type": "attestation-manifest",
                      "vnd.docker.reference.digest": man["digest"]})]})
# OCI 1.1 referrers: one listed in index.json, one in a referrers index tagged sha256-<hex>
empty = blob(b"{}")
sig = blob(b"signature bytes")
def referrer(atype, payload):
    return blob({"schemaVersion": 2, "mediaType": OCI_M, "artifactType": atype,
                 "config": dict(empty, mediaType="application/vnd.oci.empty.v1+json"),
                 "layers": [dict(payload, mediaType="application/octet-stream")],
                 "subject": dict(man, mediaType=OCI_M)})
r1 = referrer("application/vnd.example.sbom+json", blob(b"an sbom"))
r2 = referrer("application/vnd.dev.cosign.artifact.sig.v1+json", sig)
ridx = blob({"schemaVersion": 2, "mediaType": OCI_I, "manifests": [
    dict(r2, mediaType=OCI_M, artifactType="application/vnd.dev.cosign.artifact.sig.v1+json")]})
index = {"schemaVersion": 2, "manifests": [
    dict(idx, mediaType=OCI_I, annotations={"org.opencontainers.image.ref.name": "v1"}),
    dict(r1, mediaType=OCI_M, artifactType="application/vnd.example.sbom+json"),
    dict(ridx, mediaType=OCI_I, annotations={"org.opencontainers.image.ref.name": "sha256-" + man["digest"][7:]})]}
open(root + "/index.json", "w").write(json.dumps(index))
open(root + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(root + "/manifest-digest", "w").write(man["digest"])
PY
MAN=$(cat "$T_TMP/att/manifest-digest")
rm "$T_TMP/att/manifest-digest"
run inspect --ref v1 --platform linux/amd64 "$T_TMP/att"
expect_rc 0 "inspect with attestations and referrers"
expect_out_has "attestations (1)" "one attestation"
expect_out_has "predicates: https://slsa.dev/provenance/v0.2, https://spdx.dev/Document" "its predicate types"
expect_out_has "referrers (2)" "two referrers"
expect_out_has "application/vnd.example.sbom+json" "the referrer in index.json"
expect_out_has "application/vnd.dev.cosign.artifact.sig.v1+json" "the referrer in the referrers index"
expect_out_has "ports        53/udp" "exposed ports (sorted)"
expect_out_has "volumes      /data" "volumes"
expect_out_has "user         1000:1000" "user"
expect_out_has 'cmd          ["serve"]' "cmd"
run_json inspect --json --ref v1 --platform linux/amd64 "$T_TMP/att"
expect_eq "$(jq_ "$T_TMP/j" '[a["predicateTypes"] for a in j["image"]["attestations"]], [a["foundIn"] == j["image"]["manifest"]["digest"] for a in j["image"]["attestations"]]')" \
  "([['https://slsa.dev/provenance/v0.2', 'https://spdx.dev/Document']], [False])" "JSON: attestation"
expect_eq "$(jq_ "$T_TMP/j" 'sorted(r["artifactType"] for r in j["image"]["referrers"]), j["image"]["manifest"]["digest"] == "'"$MAN"'"')" \
  "(['application/vnd.dev.cosign.artifact.sig.v1+json', 'application/vnd.example.sbom+json'], True)" "JSON: referrers"
expect_eq "$(jq_ "$T_TMP/j" 'sorted(r["foundIn"] for r in j["image"]["referrers"])[0]')" "index.json" "a referrer found in index.json"
run_json ls --json "$T_TMP/att"
expect_eq "$(jq_ "$T_TMP/j" '[(i["name"][:7], len(i["platforms"]), len(i["attestations"])) for i in j["images"]]')" \
  "[('v1', 1, 1), ('sha256:', 1, 0), ('sha256-', 1, 0)]" "ls: attestations apart"
expect_eq "$(jq_ "$T_TMP/j" 'j["images"][0]["attestations"][0]["attestationOf"] == "'"$MAN"'"')" "True" "ls: what it attests"
run ls "$T_TMP/att"
expect_out_has "attestations (buildx)" "ls text: attestation table"
run resolve --platform linux/amd64 --ref v1 "$T_TMP/att"
expect_rc 0 "resolve: the attestation is skipped"

# ================================================================== every command on every sample
for s in "$S"/*; do
  name=$(basename "$s")
  for cmd in resolve inspect ls; do
    "$OCIDIG" $cmd --json "$s" >"$T_TMP/j" 2>"$T_TMP/err"
    rc=$?
    if [ "$rc" -le 1 ] && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert isinstance(j, dict)' "$T_TMP/j" 2>/dev/null; then
      ok "$cmd --json $name (exit $rc)"
    else
      not_ok "$cmd --json $name: exit $rc, $(head -c 300 "$T_TMP/err")"
    fi
  done
  "$OCIDIG" ls "$s" >/dev/null 2>"$T_TMP/err"
  rc=$?
  if [ "$rc" -eq 0 ]; then ok "ls $name"; else not_ok "ls $name: exit $rc $(head -c 300 "$T_TMP/err")"; fi
  "$OCIDIG" ls --platform linux/arm64 --json "$s" >"$T_TMP/j" 2>/dev/null
  rc=$?
  if [ "$rc" -le 1 ]; then ok "ls --platform $name (exit $rc)"; else not_ok "ls --platform $name: exit $rc"; fi
  # inspect on whichever platform the first listed row has
  p=$("$OCIDIG" ls --json "$s" 2>/dev/null | python3 -c 'import json,sys; j=json.load(sys.stdin); print(next(p["platform"] for i in j["images"] for p in i["platforms"] if p["platform"] and p["present"]))' 2>/dev/null)
  ref=$("$OCIDIG" ls --json "$s" 2>/dev/null | python3 -c 'import json,sys; j=json.load(sys.stdin); i=next(i for i in j["images"] for p in i["platforms"] if p["platform"] and p["present"]); print("@" + i["digest"])' 2>/dev/null)
  "$OCIDIG" inspect --ref "$ref" --platform "$p" "$s" >/dev/null 2>"$T_TMP/err"
  rc=$?
  if [ "$rc" -eq 0 ]; then ok "inspect --ref $ref --platform $p $name"; else not_ok "inspect $name ($p): exit $rc $(head -c 300 "$T_TMP/err")"; fi
  "$OCIDIG" cat --ref "$ref" --platform "$p" "$s" config >"$T_TMP/c" 2>"$T_TMP/err"
  rc=$?
  if [ "$rc" -eq 0 ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T_TMP/c"; then ok "cat config $name"; else
    not_ok "cat config $name: exit $rc $(head -c 300 "$T_TMP/err")"; fi
done

# ================================================================== help, man page, completion
for cmd in inspect ls cat resolve diff; do
  run $cmd --help
  expect_rc 0 "$cmd --help"
  expect_out_has "Examples:" "$cmd --help has examples"
  expect_out_has "Exit status" "$cmd --help has exit statuses"
done
MAN1="$TESTS_DIR/../doc/ocidig.1"
for w in "SS ls" "SS inspect" "SS resolve" "SS verify" "SS cat" "SS files" "SS diff" "SS platform" "SH EXIT STATUS" "SH EXAMPLES" "docker save"; do
  if grep -q "$w" "$MAN1"; then ok "man page: $w"; else not_ok "man page lacks $w"; fi
done
if command -v groff >/dev/null 2>&1; then
  warn=$(LC_ALL=C groff -man -Tascii -ww -z "$MAN1" 2>&1)
  expect_eq "$warn" "" "man page renders without warnings"
fi
if command -v bash >/dev/null 2>&1; then
  comp=$(bash -c '. "$1"; t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _ocidig; echo "${COMPREPLY[*]}"; }
    t ocidig ""; t ocidig inspect --; t ocidig cat img.tar m; t ocidig ls --platform linux/arm6' _ "$TESTS_DIR/../completion/ocidig" 2>&1)
  expect_eq "$comp" "ls inspect resolve verify cat files diff platform verify-bundle audit --help --version
--platform --strict --ref --json --max-bytes --help
manifest manifest.json
linux/arm64 linux/arm64/v8" "bash completion"
fi
finish
