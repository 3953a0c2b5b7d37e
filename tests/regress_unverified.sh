#!/bin/sh
# regress_unverified.sh: defects a review found in issue 17's rules: a descriptor URL with a
# fragment (RFC 3986 allows one); digests of an unregistered algorithm ("cannot be verified")
# in index.json, in a shared index and as a layer, each given one answer by every command.
# Each layout is made here, with sha256sum and printf.
. "$TESTS_DIR/lib.sh"

# sha, layout, blob, index: tests/lib.sh
MT_M=application/vnd.oci.image.manifest.v1+json
MT_I=application/vnd.oci.image.index.v1+json
MT_C=application/vnd.oci.image.config.v1+json
MT_L=application/vnd.oci.image.layer.v1.tar
MT_ND=application/vnd.oci.image.layer.nondistributable.v1.tar+gzip
B64=sha256+b64:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564
ANNO=org.opencontainers.image.ref.name

# manifest DIR LAYERS: stores a config, a layer and a manifest of config + LAYERS (descriptors,
# "" for the one stored layer alone); prints the manifest's descriptor; $LAYER is the layer's.
manifest() {
  printf 'layer-bytes' >"$T_TMP/layer"
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$T_TMP/config.json"
  m_c=$(blob "$1" "$T_TMP/config.json" "$MT_C")
  LAYER=$(blob "$1" "$T_TMP/layer" "$MT_L")
  m_l=$2
  [ -n "$m_l" ] || m_l=$LAYER
  printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' "$MT_M" "$m_c" "$m_l" >"$T_TMP/manifest.json"
  blob "$1" "$T_TMP/manifest.json" "$MT_M"
}
# ref DESCRIPTOR NAME: the descriptor with a ref.name annotation.
ref() { printf '%s,"annotations":{"%s":"%s"}}' "${1%\}}" "$ANNO" "$2"; }

# ------------------------------------------------------ 1. URLs with a fragment
L=$T_TMP/url
layout "$L"
absent='"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":10'
for u in 'https://example.com/layer.tgz#part1' 'https://example.com/l#a/b?c=d:@!$&()*+,;=%20' \
  'https://example.com/l?x=1#' 'urn:example:layer#frag'; do
  index "$L" "$(ref "$(manifest "$L" "{\"mediaType\":\"$MT_ND\",$absent,\"urls\":[\"$u\"]}")" x)"
  run verify "$L"
  expect_rc 0 "url $u: a URI with a fragment (RFC 3986 section 3), absent: expected"
  expect_out_lacks "url-invalid" "url $u: not url-invalid"
  expect_out_has "non-distributable" "url $u: called non-distributable"
done
for u in 'https://example.com/l#a#b' 'https://example.com/l#[x]' 'https://example.com/l#%2' '#frag'; do
  index "$L" "$(ref "$(manifest "$L" "{\"mediaType\":\"$MT_ND\",$absent,\"urls\":[\"$u\"]}")" x)"
  run verify "$L"
  expect_rc 4 "url $u: not a URI: an error"
  expect_out_has "url-invalid" "url $u: url-invalid"
done

if ! command -v python3 >/dev/null 2>&1; then
  skip "digests that cannot be verified" "no python3"
  finish
  exit $?
fi
# jq EXPR: EXPR over verify --json's output ($T_TMP/out as j), printed.
jq() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$T_TMP/out"; }
# image NAME: the expression of verify --json's image of that name.
img() { printf '[i for i in j["images"] if i["name"]=="%s"][0]' "$1"; }

# ---------------------- 2. an entry of index.json whose digest cannot be verified, by --ref
L=$T_TMP/entry
layout "$L"
M=$(manifest "$L" "")
index "$L" "$(ref "$M" a),$(ref "{\"mediaType\":\"$MT_M\",\"digest\":\"$B64\",\"size\":3}" c)"
run verify --json --ref c "$L"
printf '%s' "$out" >"$T_TMP/out"
expect_rc 0 "verify --ref c (an unregistered algorithm): a warning, exit 0"
expect_eq "$(jq 'len(j["images"])')" 1 "verify --ref c: the entry is the one image checked (was 0)"
expect_eq "$(jq "$(img c)[\"complete\"]")" False "verify --ref c: image c is not complete"
expect_eq "$(jq "$(img c)[\"digest\"]")" "$B64" "verify --ref c: image c's digest as written"
expect_eq "$(jq "[(p['complete'], p['blobs'], p['present'], p['unverified']) for p in $(img c)['platforms']]")" \
  "[(False, 1, 0, 1)]" "verify --ref c: one row, its manifest cannot be verified"
run verify "$L"
expect_out_lacks "(no digest)" "verify: image c is named by its digest as written"
case "$out" in *"image c  sha256+b64:"*"incomplete"*) ok "verify: image c incomplete" ;;
  *) not_ok "verify: image c incomplete; got $out" ;; esac
expect_out_has "manifest cannot be verified" "verify: its row says why"
run resolve --ref c "$L"
expect_rc 4 "resolve --ref c: the walk needs the manifest: exit 4"

# ------------------------- 3. one index, two entries, one child that cannot be verified
L=$T_TMP/shared
layout "$L"
M=$(manifest "$L" "")
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s,%s]}' "$MT_I" \
  "${M%\}},\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}" \
  "{\"mediaType\":\"$MT_M\",\"digest\":\"$B64\",\"size\":3,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}" \
  >"$T_TMP/index.json"
I=$(blob "$L" "$T_TMP/index.json" "$MT_I")
index "$L" "$(ref "$I" x),$(ref "$I" y)"
run verify --json "$L"
printf '%s' "$out" >"$T_TMP/out"
expect_rc 0 "shared index: a warning, exit 0"
expect_eq "$(jq "($(img x)['complete'], $(img y)['complete'])")" "(False, False)" \
  "shared index: both images reaching it are incomplete (y was ok)"
expect_eq "$(jq "[(p['platform'], p['complete'], p['unverified']) for p in $(img x)['platforms']]")" \
  "[('linux/amd64', True, 0), ('linux/arm64', False, 1)]" "shared index: the child that cannot be verified has its row"
expect_eq "$(jq "[(p.get('walkedAlready'), p['complete']) for p in $(img y)['platforms']]")" "[(True, False)]" \
  "shared index: y's row stands for the index, not complete"
run verify "$L"
case "$out" in *"image y "*"incomplete"*) ok "shared index: text: image y incomplete" ;;
  *) not_ok "shared index: text: image y incomplete; got $out" ;; esac
expect_out_lacks " ok (walked" "shared index: no row says ok"
run verify --json --ref y "$L"
printf '%s' "$out" >"$T_TMP/out"
expect_eq "$(jq "($(img y)['complete'], [(p['platform'], p['complete']) for p in $(img y)['platforms']])")" \
  "(False, [('linux/amd64', True), ('linux/arm64', False)])" "verify --ref y: its platforms walked, arm64 not verified"
run verify --json --ref x --platform linux/arm64 "$L"
printf '%s' "$out" >"$T_TMP/out"
expect_eq "$(jq "$(img x)['complete']")" False "verify --ref x --platform linux/arm64: not complete"

# --------------------------------------------- 4. a layer that cannot be verified
L=$T_TMP/onelayer
layout "$L"
printf 'layer-bytes' >"$T_TMP/layer"
l1=$(blob "$L" "$T_TMP/layer" "$MT_L")
M=$(manifest "$L" "$l1,{\"mediaType\":\"$MT_L\",\"digest\":\"$B64\",\"size\":3}")
index "$L" "$(ref "$M" a),$(ref "$M" b)"
run verify --json "$L"
printf '%s' "$out" >"$T_TMP/out"
expect_rc 0 "layer: verify: a warning, exit 0 (resolve does not need a layer)"
expect_eq "$(jq "[(p['complete'], p['blobs'], p['present'], p['unverified'], len(p['missing'])) for p in $(img a)['platforms']]")" \
  "[(False, 4, 3, 1, 0)]" "layer: verify: 4 blobs, 3 present, 1 unverified, none missing"
expect_eq "$(jq "$(img b)['complete']")" False "layer: verify: the second image too"
run verify "$L"
expect_out_has "3 of 4 blobs verified, 1 cannot be verified" "layer: verify's row says so (was '3 of 3 blobs present')"
# one rule: resolve stops only where its walk needs the blob (index, manifest, config)
run resolve --ref a "$L"
expect_rc 0 "layer: resolve does not need a layer: exit 0"
run ls "$L"
expect_rc 0 "layer: ls: exit 0 (was error, exit 4)"
expect_out_has "1 of 4 blobs cannot be verified" "layer: ls's row says it cannot be verified"
expect_out_has "; 1 blob cannot be verified" "layer: ls's footer too"
expect_out_lacks "missing" "layer: ls calls nothing missing (was '1 blob missing')"
expect_out_lacks "error" "layer: ls shows no error"
run ls --json "$L"
printf '%s' "$out" >"$T_TMP/out"
expect_eq "$(jq "[(p['complete'], p['missing'], p['unverified']) for p in j['images'][0]['platforms']]")" \
  "[(False, 0, 1)]" "layer: ls --json: not complete, 0 missing, 1 unverified"
expect_eq "$(jq "(j['summary']['missingBlobs'], j['summary']['unverifiedBlobs'])")" "(0, 1)" \
  "layer: ls --json summary: unverifiedBlobs, not missingBlobs"
run inspect --ref a "$L"
expect_rc 0 "layer: inspect: exit 0"
expect_out_has "(cannot be verified" "layer: inspect says the layer cannot be verified"
expect_out_lacks "(missing)" "layer: inspect does not call it missing"
# a manifest the walk needs: resolve and ls stop there (exit 4), verify warns
L=$T_TMP/entry
run ls "$L"
expect_rc 4 "entry: ls needs the manifest: exit 4"
expect_out_has "(unsupported-digest-algorithm)" "entry: ls names the code (was invalid-digest)"

finish
