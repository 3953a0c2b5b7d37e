#!/bin/sh
# cli_verify.sh: ocidig verify on the fixtures of testdata/verify (tests/verify/mkfixtures.py:
# one mutation of a clean layout each), as directories, as tar.gz files and on stdin;
# options, exit statuses, the JSON report, and the samples of testdata/samples; docker save
# archives (the docker-* and hybrid-* fixtures, the docker samples, extracted and tampered
# with here), their JSON reports parsed back with python3 when it is there.
. "$TESTS_DIR/lib.sh"
V="$TESTDATA/verify"
S="$TESTDATA/samples"

# expect_code FIXTURE-PATH CODE STATUS [OPTIONS...]: the JSON report holds CODE, exit STATUS.
expect_code() {
  p=$1 code=$2 want=$3
  shift 3
  run verify --json "$@" "$p"
  expect_rc "$want" "verify $* $(basename "$p"): exit"
  expect_out_has "\"code\": \"$code\"" "verify $* $(basename "$p"): finding $code"
}

# --------------------------------------------------------------- usage
run verify --help
expect_rc 0 "--help"
expect_out_has "--fail-on" "--help lists --fail-on"
run verify
expect_rc 2 "no SOURCE"
run verify --platform linux/amd64 --all-platforms "$V/clean"
expect_rc 2 "--platform with --all-platforms"
run verify --strict "$V/clean"
expect_rc 2 "--strict without --platform"
run verify --fail-on sometimes "$V/clean"
expect_rc 2 "--fail-on with a bad level"
run verify --platform 'linux/!!' "$V/clean"
expect_rc 2 "a bad --platform"
run verify --ref nope "$V/clean"
expect_rc 2 "--ref that names nothing"
expect_err_has "ref-not-found" "--ref that names nothing: the code"
run verify "$V/clean" "$V/clean"
expect_rc 2 "two sources"

# ------------------------------------------------------ unreadable input
run verify "$T_TMP/no-such-thing"
expect_rc 3 "a source that does not exist"
printf 'not an archive at all\n' >"$T_TMP/junk"
run verify "$T_TMP/junk"
expect_rc 3 "a file that is not an archive"
run verify --json "$T_TMP/junk"
expect_rc 3 "a file that is not an archive (--json)"
expect_out_has '"error": {' "--json still prints a report with the error"
run verify --json "$V/index-json-missing"
expect_rc 3 "no index.json (directory)"
expect_out_has '"code": "missing-index-json"' "no index.json: the finding"
run verify "$V/index-json-missing.tar.gz"
expect_rc 3 "no index.json (tar.gz)"

# --------------------------------------------------------------- clean
for p in "$V/clean" "$V/clean.tar.gz"; do
  run verify "$p"
  expect_rc 0 "clean $(basename "$p")"
  expect_out_has "image v1.0" "clean $(basename "$p"): the image"
  expect_out_has "linux/arm64/v8" "clean $(basename "$p"): a platform"
  expect_out_has "0 errors, 0 warnings, 0 info" "clean $(basename "$p"): the summary"
done
run verify - <"$V/clean.tar.gz"
expect_rc 0 "clean on stdin"
run verify --json "$V/clean"
expect_out_has '"schemaVersion": 1' "--json: schemaVersion"
expect_out_has '"findings": [' "--json: findings"
expect_out_has '"blobsChecked": 11' "--json: blobsChecked"
expect_out_has '"bytesHashed":' "--json: bytesHashed"
case "$out" in *'\033['* | *"$(printf '\033')"*) not_ok "no colour when not a terminal" ;; *) ok "no colour when not a terminal" ;; esac

# ------------------------------------------------- one finding per fixture
# fixture code status (each as a directory and as a tar.gz)
while read -r name code status; do
  case $name in '#'* | '') continue ;; esac
  [ -d "$V/$name" ] && expect_code "$V/$name" "$code" "$status"
  expect_code "$V/$name.tar.gz" "$code" "$status"
done <<EOF
layer-tampered digest-mismatch 4
large-layer-tampered digest-mismatch 4
layer-truncated size-mismatch 4
size-wrong size-mismatch 4
index-missing blob-missing 4
config-missing image-incomplete 0
sparse-platform image-incomplete 0
oci-layout-missing oci-layout-missing 4
oci-layout-invalid bad-oci-layout 3
oci-layout-version bad-oci-layout 3
index-json-invalid invalid-json 4
duplicate-key json-duplicate-key 0
schema-version schema-version 4
media-type-mismatch media-type-mismatch 4
kind-mismatch kind-mismatch 4
field-missing field-missing 4
field-type field-type 4
digest-invalid invalid-digest 4
digest-unsupported unsupported-digest-algorithm 0
size-negative size-negative 4
data-mismatch data-mismatch 4
empty-descriptor-invalid empty-descriptor-invalid 4
foreign-layer foreign-layer-absent 0
ref-name-invalid ref-name-invalid 0
ref-name-duplicate ref-name-duplicate 4
attestation-subject-missing attestation-subject-missing 0
blob-unreferenced blob-unreferenced 0
blob-name-invalid blob-name-invalid 0
config-platform-mismatch config-platform-mismatch 0
unknown-media-type unknown-media-type 0
index-cycle index-cycle 4
nesting-too-deep nesting-too-deep 4
link-escapes link-escapes 4
special-member special-member 4
path-unsafe path-unsafe 4
duplicate-member duplicate-member 0
link-member link-member 0
EOF

# ------------------------------------------------------------ options
expect_code "$V/clean" platform-not-found 4 --platform linux/s390x
expect_code "$V/sparse-platform" blob-missing 4 --platform linux/arm64
expect_code "$V/sparse-platform.tar.gz" blob-missing 4 --platform linux/arm64/v8 --strict
run verify --platform linux/amd64 "$V/sparse-platform"
expect_rc 0 "sparse-platform: the platform that is there"
expect_out_has "not checked (the scope is narrowed by --platform)" "--platform: no unreferenced check"
expect_code "$V/config-missing.tar.gz" blob-missing 4 --platform linux/amd64
run verify --platform linux/arm64 "$V/layer-tampered"
expect_rc 0 "layer-tampered: another platform is intact"
run verify --platform linux/arm64 "$V/index-json-platforms"
expect_rc 0 "index.json of platform manifests: --platform picks its entry"
expect_out_has "linux/arm64/v8" "index.json of platform manifests: the arm64 entry"
# each entry is an image, verified as resolve --ref selects it (doc/resolution.md 5.3)
expect_code "$V/index-json-platforms.tar.gz" platform-mismatch 0 --platform linux/s390x
run verify --fail-on warning "$V/duplicate-key"
expect_rc 4 "--fail-on warning with a warning"
expect_out_has "failed: 1 warning (--fail-on warning)" "--fail-on warning: the verdict"
run verify --fail-on warning "$V/foreign-layer"
expect_rc 0 "--fail-on warning with only info"
run verify --fail-on error "$V/duplicate-key"
expect_rc 0 "--fail-on error with a warning"
run verify --ref v1.0 "$V/clean.tar.gz"
expect_rc 0 "--ref v1.0"
run verify --ref v1.0 --platform linux/arm64 "$V/sparse-platform"
expect_rc 4 "--ref and --platform: the absent platform"
run verify - <"$V/large-layer-tampered.tar.gz"
expect_rc 4 "large-layer-tampered on stdin (hashed on a second thread)"
expect_out_has "digest-mismatch" "large-layer-tampered on stdin: the finding"
run verify --platform linux/arm64 "$V/large-layer-tampered.tar.gz"
expect_rc 0 "large-layer-tampered: another platform is intact"
run verify - <"$V/layer-tampered.tar.gz"
expect_rc 4 "layer-tampered on stdin"
expect_out_has "digest-mismatch" "layer-tampered on stdin: the finding"
run verify "$V/sparse-platform"
expect_out_has "absent" "sparse-platform: the platform row says absent"
expect_out_has "platform-filtered export" "sparse-platform: says why"

# ------------------------------------------ links and special files in a directory
cp -R "$V/clean" "$T_TMP/links" && chmod -R u+w "$T_TMP/links"
ln -s /etc/passwd "$T_TMP/links/passwd"
expect_code "$T_TMP/links" link-escapes 4
cp -R "$V/clean" "$T_TMP/fifo" && chmod -R u+w "$T_TMP/fifo"
if mkfifo "$T_TMP/fifo/pipe" 2>/dev/null; then
  expect_code "$T_TMP/fifo" special-member 4
else
  ok "# skip: mkfifo unavailable"
fi

# --------------------------------------------------------------- samples
for s in buildah-multiarch buildah-multiarch.oci-archive.tar buildah-multiarch-v2s2list \
  containerd-export-allplatforms.tar containerd-export-arm64only.tar podman-save-ocidir \
  podman-save.oci-archive.tar skopeo-picked-armv7 umoci-multitag variant-multiarch.tar.gz \
  variant-multiarch.tar.zst variant-multiarch-dotslash.tar variant-multiarch-indexlast.tar \
  skopeo-v2.oci-archive.tar buildah-amd64-zstd; do
  run verify "$S/$s"
  expect_rc 0 "sample $s"
  expect_out_has "findings       0 errors" "sample $s: no errors"
done
for s in docker-save-legacy-build.tar docker-save-by-id.tar buildah-arm64.docker-archive.tar \
  podman-save.docker-archive.tar; do
  run verify "$S/$s"
  expect_rc 0 "docker sample $s"
  expect_out_has "findings       0 errors, 0 warnings" "docker sample $s: no errors, no warnings"
  expect_out_has "carries no registry manifest" "docker sample $s: says there is no registry manifest"
  expect_out_has "image ID" "docker sample $s: the digest is the image ID"
  run verify - <"$S/$s"
  expect_rc 0 "docker sample $s on stdin"
done
run verify "$S/docker-save-legacy-build.tar"
expect_out_has "image example.com/corpus/dockerbuild:legacy  sha256:457bf17784d1  image ID  ok" \
  "docker-save-legacy-build: the image row"
expect_out_has "files checked  3 (6.0 KiB hashed)" "docker-save-legacy-build: every byte of 3 files hashed"
run verify "$S/buildah-arm64.docker-archive.tar"
expect_out_has "linux/arm64/v8 (config)" "buildah docker-archive: the platform from the config"
run verify "$S/containerd-export-allplatforms.tar"
expect_out_has "manifest.json is" "hybrid: says manifest.json is compared"
run verify "$S/containerd-export-arm64only.tar"
expect_out_has "8 of 9 platforms are absent" "arm64only: 8 platforms absent"
run verify --platform linux/arm64 "$S/containerd-export-arm64only.tar"
expect_rc 0 "arm64only --platform linux/arm64"
run verify --platform linux/amd64 "$S/containerd-export-arm64only.tar"
expect_rc 4 "arm64only --platform linux/amd64"
run verify --platform linux/arm64 "$S/umoci-multitag"
expect_rc 0 "umoci --platform linux/arm64"
expect_out_has "platform-mismatch" "umoci --platform linux/arm64: single manifests for amd64"

# ------------------------------------------------ docker save archives
# fixture code status (plain tar, as docker writes them; hybrid-*: tar.gz)
while read -r name code status; do
  case $name in '#'* | '') continue ;; esac
  if [ "$code" = - ]; then
    run verify "$V/$name"
    expect_rc "$status" "verify $name: exit"
    expect_out_has "findings       0 errors, 0 warnings, 0 info" "verify $name: no finding"
  else
    expect_code "$V/$name" "$code" "$status"
  fi
done <<EOF
docker-clean.tar - 0
docker-clean-links.tar - 0
docker-layer-tampered.tar diff-id-mismatch 4
docker-layer-tampered-links.tar digest-mismatch 4
docker-config-tampered.tar digest-mismatch 4
docker-config-invalid.tar invalid-json 4
docker-layer-missing.tar blob-missing 4
docker-config-missing.tar blob-missing 4
docker-manifest-invalid.tar docker-manifest-invalid 4
docker-diff-id-count.tar diff-id-mismatch 4
docker-repositories-mismatch.tar repositories-mismatch 0
docker-unreferenced.tar blob-unreferenced 0
docker-link-escapes.tar link-escapes 4
hybrid-clean.tar.gz - 0
hybrid-disagrees.tar.gz docker-manifest-disagrees 0
docker-large-layer.tar.gz - 0
docker-large-layer-tampered.tar.gz diff-id-mismatch 4
EOF
# A 5 MiB layer.tar on stdin, over the 4 MiB kept in memory: hashed as it passes.
run verify - <"$V/docker-large-layer.tar.gz"
expect_rc 0 "docker-large-layer on stdin"
expect_out_has "findings       0 errors, 0 warnings, 0 info" "docker-large-layer on stdin: no finding (no blob-unreadable)"
run verify - <"$V/docker-large-layer-tampered.tar.gz"
expect_rc 4 "docker-large-layer-tampered on stdin"
expect_out_has "diff-id-mismatch" "docker-large-layer-tampered on stdin: the finding"
run verify - <"$V/docker-layer-tampered.tar"
expect_rc 4 "docker-layer-tampered on stdin"
expect_out_has "diff-id-mismatch" "docker-layer-tampered on stdin: the finding"
# each image of a docker save is a single config, a root: resolve --ref selects it whatever
# --platform asks (doc/resolution.md 5.3) and ls --platform shows it so; verify --platform
# checks it too and warns that it is for another platform (as of an OCI single manifest)
expect_code "$V/docker-clean.tar" platform-mismatch 0 --platform linux/s390x
expect_out_lacks "platform-not-found" "verify --platform linux/s390x docker-clean.tar: no platform-not-found"
run verify --platform linux/arm64 "$V/docker-layer-tampered.tar"
expect_rc 4 "docker-layer-tampered --platform linux/arm64: the amd64 image is checked too"
expect_out_has "is for linux/amd64 (its config), not linux/arm64; it is verified because resolve selects it" \
  "docker-layer-tampered --platform linux/arm64: says why the amd64 image is checked"
expect_out_has "diff-id-mismatch" "docker-layer-tampered --platform linux/arm64: its finding"
run verify --ref fixture/app:latest "$V/docker-clean.tar"
expect_rc 0 "docker --ref fixture/app:latest"
expect_out_has "that --ref names" "docker --ref: the header"
run verify --ref nope "$V/docker-clean.tar"
expect_rc 2 "docker --ref that names nothing"
expect_err_has "ref-not-found" "docker --ref that names nothing: the code"
run verify --fail-on warning "$V/docker-repositories-mismatch.tar"
expect_rc 4 "docker --fail-on warning with a warning"

# extracted into a directory (the links of containers/image kept), then tampered with
mkdir "$T_TMP/dk" && tar -xf "$V/docker-clean-links.tar" -C "$T_TMP/dk" && chmod -R u+w "$T_TMP/dk"
run verify "$T_TMP/dk"
expect_rc 0 "docker-clean-links as a directory"
expect_out_has "(directory)" "docker-clean-links as a directory: says so"
cfg=$(cd "$T_TMP/dk" && ls ./*.json | head -n 1)
printf ' ' >>"$T_TMP/dk/$cfg"
expect_code "$T_TMP/dk" digest-mismatch 4
mkdir "$T_TMP/dl" && tar -xf "$V/docker-clean.tar" -C "$T_TMP/dl" && chmod -R u+w "$T_TMP/dl"
for l in "$T_TMP"/dl/*/layer.tar; do
  printf 'tampered' | dd of="$l" bs=1 seek=700 conv=notrunc 2>/dev/null
done
expect_code "$T_TMP/dl" diff-id-mismatch 4

# the JSON report, parsed back
if command -v python3 >/dev/null 2>&1; then
  j() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T_TMP/out" "$1"; }
  run verify --json "$S/docker-save-legacy-build.tar"
  expect_eq "$(j 'j["format"]')" docker-archive "--json docker: format"
  expect_eq "$(j 'j["images"][0]["digest"]')" \
    sha256:457bf17784d1da12f4ae1ae16112bc37a02c521e051453db1301947ee423ac01 "--json docker: the image ID"
  expect_eq "$(j 'j["images"][0]["platforms"][0]["manifest"]')" None "--json docker: no manifest"
  expect_eq "$(j 'j["images"][0]["platforms"][0]["blobs"]')" 3 "--json docker: config and 2 layers"
  expect_eq "$(j 'j["summary"]["bytesHashed"]')" 6147 "--json docker: every byte hashed"
  expect_eq "$(j 'len(j["findings"])')" 0 "--json docker: no finding"
  run verify --json "$V/docker-layer-missing.tar"
  expect_eq "$(j '[f["code"] for f in j["findings"]]')" "['blob-missing']" "--json docker-layer-missing: the finding"
  expect_eq "$(j 'j["images"][0]["platforms"][0]["missing"][0]["role"]')" layer "--json docker-layer-missing: role"
  expect_eq "$(j 'j["summary"]["blobsMissing"]')" 1 "--json docker-layer-missing: blobsMissing"
  run verify --json "$V/hybrid-disagrees.tar.gz"
  expect_eq "$(j 'j["format"]')" oci+docker-archive "--json hybrid: format"
  expect_eq "$(j 'sorted(set((f["code"], f["severity"]) for f in j["findings"]))')" \
    "[('docker-manifest-disagrees', 'warning')]" "--json hybrid: the disagreements, as warnings"
else
  ok "# skip: python3 is needed to parse the JSON reports back"
fi

finish
