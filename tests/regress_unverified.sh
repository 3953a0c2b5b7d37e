#!/bin/sh
# regress_unverified.sh: defects a review found in issue 17's rules: a descriptor URL with a
# fragment (RFC 3986 allows one); digests of an unregistered algorithm ("cannot be verified")
# in index.json, in a shared index and as a layer, each given one answer by every command.
# Each layout is made here, with sha256sum and printf.
. "$TESTS_DIR/lib.sh"

sha() { sha256sum "$1" | cut -d' ' -f1; }
layout() {
  rm -rf "$1"
  mkdir -p "$1/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$1/oci-layout"
}
# blob DIR FILE MEDIATYPE: stores FILE as a blob; prints its descriptor.
blob() {
  b_h=$(sha "$2")
  cp "$2" "$1/blobs/sha256/$b_h"
  printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$3" "$b_h" "$(wc -c <"$2" | tr -d ' ')"
}
# index DIR ENTRIES: index.json with these manifests entries.
index() {
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$2" \
    >"$1/index.json"
}
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

finish
