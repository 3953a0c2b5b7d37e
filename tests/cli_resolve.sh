#!/bin/sh
# CLI tests of `ocidig resolve` over layouts made by real tools (testdata/samples, see
# testdata/README.md) and small fixtures written here.
. "$TESTS_DIR/lib.sh"
S="$TESTDATA/samples"

# json_get FILE EXPR: evaluates a python expression on the parsed JSON `j`.
json_get() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# --- selected, with fallbacks, via nested index --------------------------------
run resolve --platform linux/arm64 "$S/containerd-export-arm64only.tar"
expect_rc 0 "arm64-only export, linux/arm64"
expect_out_has "selected   sha256:7d5a4eaebd90d4e57a28613e6766cb3a10b5405a1a15a494157cc9f95a168038" "selects the arm64 manifest"
expect_out_has "platform    linux/arm64 (from the descriptor)" "platform from the descriptor"

# --- blob-missing and no-match-in-index, exit 1 ---------------------------------
run resolve --platform linux/amd64 "$S/containerd-export-arm64only.tar"
expect_rc 1 "arm64-only export, linux/amd64"
expect_out_has "linux/amd64                            blob-missing" "amd64 manifest is listed but missing"
expect_out_has "linux/386                              blob-missing" "386 manifest is listed but missing"
expect_out_has "no-match-in-index" "the nested index has no match"
run resolve --platform linux/arm/v7 "$S/containerd-export-arm64only.tar"
expect_rc 1 "arm64-only export, linux/arm/v7"
expect_out_has "linux/arm/v7                           blob-missing" "arm/v7 manifest is missing"

# --- fallback: arm64 request on a list without arm64 takes arm/v7 ---------------
run resolve --json --platform linux/arm/v8 "$S/buildah-multiarch"
expect_rc 0 "arm/v8 falls back"
printf '%s' "$out" >"$T_TMP/j"
expect_eq "$(json_get "$T_TMP/j" 'j["selected"]["platform"]["variant"]')" "v7" "arm/v8 selects arm/v7"
run resolve --strict --platform linux/arm/v8 "$S/buildah-multiarch"
expect_rc 1 "--strict: no fallback"

# --- config-platform-mismatch and not-reached (umoci: no platforms on descriptors)
run resolve --json --platform linux/arm64 "$S/umoci-multitag"
expect_rc 0 "umoci, configs decide"
printf '%s' "$out" >"$T_TMP/j"
expect_eq "$(json_get "$T_TMP/j" '[d["verdict"] for d in j["descriptors"]]')" \
  "['config-platform-mismatch', 'config-platform-mismatch', 'config-platform-mismatch', 'selected']" "verdict rows"
expect_eq "$(json_get "$T_TMP/j" 'j["selected"]["platformSource"]')" "config" "platform from the config"
expect_eq "$(json_get "$T_TMP/j" 'len([w for w in j["warnings"] if "several images" in w])')" "1" "note listing the names"
run resolve --json --platform linux/amd64 "$S/umoci-multitag"
printf '%s' "$out" >"$T_TMP/j"
expect_eq "$(json_get "$T_TMP/j" '[d["verdict"] for d in j["descriptors"]]')" \
  "['selected', 'not-reached', 'not-reached', 'not-reached']" "later candidates are not-reached"

# --- --ref forms -----------------------------------------------------------------
run resolve -q --ref v2-arm64 "$S/umoci-multitag"
expect_rc 0 "--ref NAME"
expect_eq "$out" "sha256:45b662cddd26af82c5fc91ded80c1d5ad7655397523a10726b56fb58f55fa145" "-q prints the digest only"
run resolve -q --ref armv7 "$S/podman-save.oci-archive.tar"
expect_rc 0 "--ref TAG matches a full reference name"
run resolve -q --ref localhost/corpus-multi:armv7 "$S/podman-save-ocidir"
expect_rc 0 "--ref full reference"
run resolve -q --ref @sha256:4fefe2aad61acc7e5495e72c6f4d1da1a6d5dfb86048bb6dc8c70ae52475efa7 "$S/umoci-multitag"
expect_rc 0 "--ref @DIGEST (two names, one digest: one hit)"
run resolve --ref nosuch "$S/umoci-multitag"
expect_rc 2 "--ref that names nothing"
expect_err_has "ref-not-found" "ref-not-found code"
expect_err_has "v2-arm64" "the error lists the names"
run resolve --json --ref nosuch "$S/umoci-multitag"
expect_rc 2 "--ref not found, --json"
printf '%s' "$out" >"$T_TMP/j"
expect_eq "$(json_get "$T_TMP/j" 'j["outcome"] + " " + j["error"]["code"]')" "error ref-not-found" "JSON error object"
run resolve --platform linux/amd64 --ref v2 "$S/umoci-multitag"
expect_rc 0 "--ref root manifest"
run resolve --platform linux/arm64 --ref v2 "$S/umoci-multitag"
expect_rc 0 "--ref root manifest of another platform is still returned"
expect_err_has "does not match the request linux/arm64" "with a warning"

# ambiguous: two entries named by the same tag with different digests
mkdir -p "$T_TMP/amb"
cp -r "$S/umoci-multitag/." "$T_TMP/amb/"
python3 - "$T_TMP/amb/index.json" <<'PY'
import json, sys
p = sys.argv[1]; j = json.load(open(p))
for m in j["manifests"]:
    m.setdefault("annotations", {})["io.containerd.image.name"] = "example.com/x:" + ("dup" if m["annotations"]["org.opencontainers.image.ref.name"] in ("v1", "v2-arm64") else "other")
json.dump(j, open(p, "w"))
PY
run resolve --ref dup "$T_TMP/amb"
expect_rc 2 "--ref naming two digests"
expect_err_has "ref-ambiguous" "ref-ambiguous code"

# --- unknown media type, attestation, error verdicts ------------------------------
python3 - "$T_TMP/unk" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
os.makedirs(root + "/blobs/sha256")
def blob(b):
    d = hashlib.sha256(b).hexdigest()
    open(root + "/blobs/sha256/" + d, "wb").write(b)
    return "sha256:" + d, len(b)
cfg = blob(b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}')
man = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg[0], "size": cfg[1]},
    "layers": []}).encode())
att = blob(b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[]}' % (cfg[0].encode(), cfg[1]))
art = blob(b'{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json"}')
idx = {"schemaVersion": 2, "manifests": [
  {"mediaType": "application/vnd.oci.artifact.manifest.v1+json", "digest": art[0], "size": art[1]},
  {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": att[0], "size": att[1],
   "platform": {"architecture": "unknown", "os": "unknown"},
   "annotations": {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": man[0]}},
  {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man[0], "size": man[1]}]}
open(root + "/index.json", "w").write(json.dumps(idx))
open(root + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
run resolve --json --platform linux/amd64 "$T_TMP/unk"
expect_rc 0 "unknown media type skipped"
printf '%s' "$out" >"$T_TMP/j"
expect_eq "$(json_get "$T_TMP/j" '[d["verdict"] for d in j["descriptors"]]')" \
  "['platform-mismatch', 'unknown-media-type', 'selected']" "attestation, artifact, image"
expect_eq "$(json_get "$T_TMP/j" '"buildx attestation manifest for sha256:" in j["descriptors"][0]["reason"]')" "True" \
  "the attestation is named as such"

# tampered manifest: exit 4, verdict error, the index on the path gets error too
mkdir -p "$T_TMP/tamper"
cp -r "$S/buildah-multiarch/." "$T_TMP/tamper/"
chmod -R u+w "$T_TMP/tamper"
arm64=$("$OCIDIG" resolve -q --platform linux/arm64 "$S/buildah-multiarch")
f="$T_TMP/tamper/blobs/sha256/${arm64#sha256:}"
sed 's/"schemaVersion": *2/"schemaVersion":3/' "$f" >"$f.new" && mv "$f.new" "$f"
run resolve --json --platform linux/arm64 "$T_TMP/tamper"
expect_rc 4 "tampered manifest"
printf '%s' "$out" >"$T_TMP/j"
expect_eq "$(json_get "$T_TMP/j" 'j["error"]["code"]')" "digest-mismatch" "digest-mismatch"
expect_eq "$(json_get "$T_TMP/j" '[d["verdict"] for d in j["descriptors"] if d["verdict"] not in ("platform-mismatch",)]')" \
  "['error', 'error', 'not-reached', 'not-reached']" "error on the manifest and the index above it; arm/v7 and arm/v6 not reached"
run resolve --platform linux/amd64 "$T_TMP/tamper"
expect_rc 0 "another platform of the tampered layout still resolves"

# --- exit 3: not a layout ----------------------------------------------------------
run resolve /nonexistent/path
expect_rc 3 "missing source"
mkdir -p "$T_TMP/empty"
run resolve --json "$T_TMP/empty"
expect_rc 3 "a directory without index.json"
printf '%s' "$out" >"$T_TMP/j"
expect_eq "$(json_get "$T_TMP/j" 'j["error"]["code"]')" "missing-index-json" "missing-index-json"
echo "not an archive" >"$T_TMP/text"
run resolve "$T_TMP/text"
expect_rc 3 "not an archive"
run resolve --platform 'linux/arm64/v8/x' "$S/buildah-multiarch"
expect_rc 2 "bad platform specifier"
run resolve
expect_rc 2 "no SOURCE"
run resolve --json -q "$S/buildah-multiarch"
expect_rc 2 "--json with -q"
run resolve --help
expect_rc 0 "--help"
expect_out_has "Exit status" "help lists exit statuses"

# --- stdin -------------------------------------------------------------------------
out=$("$OCIDIG" resolve -q --platform linux/arm64 - <"$S/variant-multiarch.tar.zst")
expect_eq "$out" "$arm64" "an archive on stdin"

# --- the same report whatever the container of the layout ---------------------------
for p in linux/amd64 linux/arm64 linux/arm/v6 linux/riscv64 windows/amd64 linux/mips64le; do
  "$OCIDIG" resolve --json --platform "$p" "$S/buildah-multiarch" >"$T_TMP/ref.json"
  for f in variant-multiarch.tar.gz variant-multiarch.tar.zst variant-multiarch-dotslash.tar \
    variant-multiarch-indexlast.tar buildah-multiarch.oci-archive.tar; do
    "$OCIDIG" resolve --json --platform "$p" "$S/$f" >"$T_TMP/other.json"
    if cmp -s "$T_TMP/ref.json" "$T_TMP/other.json"; then ok "same report for $p: $f"; else
      not_ok "report for $p differs: $f"; diff "$T_TMP/ref.json" "$T_TMP/other.json" | head -5; fi
  done
  # and a tar written here from the directory
  tar -C "$S/buildah-multiarch" -cf "$T_TMP/x.tar" . 2>/dev/null
  "$OCIDIG" resolve --json --platform "$p" "$T_TMP/x.tar" >"$T_TMP/other.json"
  if cmp -s "$T_TMP/ref.json" "$T_TMP/other.json"; then ok "same report for $p: tar"; else not_ok "tar report differs for $p"; fi
done

# --- JSON: valid whatever the outcome, with the fixed keys ---------------------------
for args in "--platform linux/arm64 $S/buildah-multiarch" "--platform linux/mips64le $S/buildah-multiarch" \
  "$T_TMP/empty" "--platform linux/arm64 $T_TMP/tamper"; do
  # shellcheck disable=SC2086
  "$OCIDIG" resolve --json $args >"$T_TMP/j" 2>/dev/null
  if python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["schemaVersion"]==1; assert set(["request","outcome","selected","descriptors","warnings"]) <= set(j)' "$T_TMP/j"; then
    ok "JSON report parses: $args"
  else
    not_ok "JSON report invalid: $args"
  fi
done
# --- an index graph where each level lists the next twice: linear, not 2^40 -----------
python3 - "$T_TMP/dag" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
os.makedirs(root + "/blobs/sha256")
def blob(b):
    d = hashlib.sha256(b).hexdigest()
    open(root + "/blobs/sha256/" + d, "wb").write(b)
    return {"digest": "sha256:" + d, "size": len(b)}
cfg = blob(b'{"architecture":"s390x","os":"linux"}')
man = blob(json.dumps({"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cfg},
                       "layers": []}).encode())
child = {"mediaType": "application/vnd.oci.image.manifest.v1+json", **man}
for level in range(40):
    idx = blob(json.dumps({"schemaVersion": 2, "manifests": [child, child]}).encode())
    child = {"mediaType": "application/vnd.oci.image.index.v1+json", **idx}
open(root + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [child]}))
PY
start=$(date +%s)
run resolve --json --platform linux/amd64 "$T_TMP/dag"
expect_rc 1 "a doubling index graph, 40 levels: no match"
expect_eq "$(( $(date +%s) - start < 5 ))" "1" "in under 5 s"
printf '%s' "$out" >"$T_TMP/j"
expect_eq "$(json_get "$T_TMP/j" 'sum(1 for d in j["descriptors"] if "walked already" in d["reason"])')" "39" \
  "each index is walked once; the second path to it says so"

# --- --ref in Docker's short form matches a full io.containerd.image.name ---------------
mkdir -p "$T_TMP/short"
cp -r "$S/buildah-multiarch/." "$T_TMP/short/"
chmod -R u+w "$T_TMP/short"
python3 - "$T_TMP/short/index.json" <<'PY'
import json, sys
p = sys.argv[1]; j = json.load(open(p))
j["manifests"][0]["annotations"] = {"io.containerd.image.name": "docker.io/library/alpine:3.19"}
json.dump(j, open(p, "w"))
PY
run resolve -q --platform linux/amd64 --ref alpine:3.19 "$T_TMP/short"
expect_rc 0 "--ref alpine:3.19 finds docker.io/library/alpine:3.19"
run resolve -q --platform linux/amd64 --ref docker.io/alpine:3.19 "$T_TMP/short"
expect_rc 0 "--ref docker.io/alpine:3.19 too"
run resolve -q --platform linux/amd64 --ref 3.19 "$T_TMP/short"
expect_rc 0 "--ref 3.19 (a tag alone)"
run resolve -q --platform linux/amd64 --ref alpine:3.20 "$T_TMP/short"
expect_rc 2 "--ref alpine:3.20 names nothing"
# --- text output never passes control characters from the layout to the terminal ------
mkdir -p "$T_TMP/esc"
cp -r "$S/umoci-multitag/." "$T_TMP/esc/"
chmod -R u+w "$T_TMP/esc"
python3 - "$T_TMP/esc/index.json" <<'PY'
import json, sys
p = sys.argv[1]; j = json.load(open(p))
j["manifests"][0]["mediaType"] = "application/x\u001b]0;pwned\u0007\u001b[2J"
j["manifests"][1]["platform"] = {"os": "linux\u001b[31m", "architecture": "amd64"}
open(p, "w").write(json.dumps(j).replace("\\\\u", "\\u"))
PY
run resolve --platform linux/arm64 "$T_TMP/esc"
if printf '%s%s' "$out" "$err" | od -An -c | grep -q '033'; then not_ok "raw ESC in the text output"; else ok "no raw ESC in the text output"; fi
expect_out_has '\x1b]0;pwned' "the control characters are shown escaped"
# --- --ref matched only in Docker's short form, by entries of different digests: the
# message lists them (it listed none), and counts different digests (it read past its
# two-slot array with three or more) --------------------------------------------------
mkdir -p "$T_TMP/short"
cp -r "$S/umoci-multitag/." "$T_TMP/short/"
chmod -R u+w "$T_TMP/short"
python3 - "$T_TMP/short/index.json" <<'PY'
import json, sys
p = sys.argv[1]; j = json.load(open(p))
names = ["docker.io/library/alpine:3", "docker.io/library/alpine:3", "docker.io/library/alpine:3", "docker.io/library/alpine:3"]
for m, n in zip(j["manifests"], names):
    m["annotations"] = {"io.containerd.image.name": n}
json.dump(j, open(p, "w"))
PY
run resolve --ref alpine:3 "$T_TMP/short"
expect_rc 2 "--ref alpine:3 named by three digests in Docker's long form"
expect_err_has "names 3 different manifests" "the ambiguity counts different digests, not entries"
expect_err_has "sha256:43d97f1d66cf" "the ambiguity message lists the first candidate"
expect_err_has "sha256:45b662cddd26" "the ambiguity message lists the last candidate"

finish
