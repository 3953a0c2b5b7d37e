#!/bin/sh
# schema_rules.sh: the rules of issue 17 that tests/schema_cases.sh does not pin down alone:
# a malformed media type is an error of its own while a well-formed unknown one stays info;
# a digest of an unregistered algorithm is a warning for verify while resolve still stops
# there (doc/resolution.md is unchanged); only a layer type is non-distributable; a missing
# manifest listed in index.json is one rule with or without a platform; an oci-layout that
# is not valid JSON is one exit status and one message for every command; a config's defects
# are each found on their own.
. "$TESTS_DIR/lib.sh"
V="$TESTDATA/verify"

# sha, layout, blob, index: tests/lib.sh
MT_M=application/vnd.oci.image.manifest.v1+json
MT_C=application/vnd.oci.image.config.v1+json
MT_L=application/vnd.oci.image.layer.v1.tar
MISSING=sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270

# image DIR LAYERS [CONFIG-JSON]: a new layout whose index.json lists one manifest (config +
# these layer descriptors).
image() {
  layout "$1"
  printf 'layer' >"$T_TMP/layer"
  i_cfg=${3:-}
  [ -n "$i_cfg" ] || i_cfg='{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
  printf '%s' "$i_cfg" >"$T_TMP/config.json"
  i_c=$(blob "$1" "$T_TMP/config.json" "$MT_C")
  blob "$1" "$T_TMP/layer" "$MT_L" >/dev/null
  printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' "$MT_M" "$i_c" "$2" >"$T_TMP/manifest.json"
  index "$1" "$(blob "$1" "$T_TMP/manifest.json" "$MT_M")"
}

# findings DIR: verify --json; sets $out, $rc; prints "severity code" lines.
codes() {
  python3 -c 'import json,sys
for f in json.load(sys.stdin)["findings"]: print(f["severity"], f["code"])' <"$T_TMP/out" | sort -u
}

if ! command -v python3 >/dev/null 2>&1; then
  skip "the rules of issue 17" "no python3"
  finish
  exit $?
fi

# ------------------------------------------------------------ media types
L=$T_TMP/mt
layout "$L"
index "$L" "{\"mediaType\":\"application/vnd.example.thing+json\",\"digest\":\"$MISSING\",\"size\":7682}"
run verify --json "$L"
c=$(codes)
case "$c" in *"info unknown-media-type"*) ok "a well-formed unknown media type: info unknown-media-type" ;;
  *) not_ok "a well-formed unknown media type: info unknown-media-type; got $c" ;; esac
case "$c" in *media-type-invalid*) not_ok "a well-formed unknown media type is not media-type-invalid: $c" ;;
  *) ok "a well-formed unknown media type is not media-type-invalid" ;; esac
for mt in application .foo/bar foo/.bar invalid '' 'a/b c' 'a/b;charset=utf-8'; do
  index "$L" "{\"mediaType\":\"$mt\",\"digest\":\"$MISSING\",\"size\":7682}"
  run verify --json "$L"
  case "$(codes)" in *"error media-type-invalid"*) ok "media type '$mt': error media-type-invalid" ;;
    *) not_ok "media type '$mt': error media-type-invalid; got $(codes)" ;; esac
  case "$(codes)" in *unknown-media-type*) not_ok "media type '$mt': not also unknown-media-type: $(codes)" ;;
    *) ok "media type '$mt': not also the info of a well-formed unknown type" ;; esac
done
# 127 characters each side is the longest a restricted-name may be
long=$(printf '%0127d' 0 | tr 0 a)
index "$L" "{\"mediaType\":\"$long/$long\",\"digest\":\"$MISSING\",\"size\":7682}"
run verify --json "$L"
case "$(codes)" in *media-type-invalid*) not_ok "127/127 characters is a media type; got $(codes)" ;;
  *) ok "127/127 characters is a media type" ;; esac
index "$L" "{\"mediaType\":\"${long}a/b\",\"digest\":\"$MISSING\",\"size\":7682}"
run verify --json "$L"
case "$(codes)" in *"error media-type-invalid"*) ok "a type of 128 characters: media-type-invalid" ;;
  *) not_ok "a type of 128 characters: media-type-invalid; got $(codes)" ;; esac
# resolve is not concerned (containerd takes any string): a malformed type is "unknown"
run resolve --json "$L"
expect_rc 1 "resolve: a malformed media type in index.json is no match, not an error"

# ------------------------------------------------- unregistered algorithms
L=$T_TMP/alg
layout "$L"
index "$L" '{"mediaType":"'$MT_M'","digest":"sha256+b64:c86f7763873b6c0aae22d963bab59b4f5debbed6685761b5951584f6efb0633b","size":1470}'
run verify --json "$L"
expect_rc 0 "verify: an unregistered algorithm is not an error"
expect_out_has '"severity": "warning"' "verify: ... but a warning"
expect_out_has 'cannot be verified: algorithm \"sha256+b64\" not supported' "verify: the warning says why"
printf '%s' "$out" >"$T_TMP/out"
expect_eq "$(python3 -c 'import json,sys; print([i["complete"] for i in json.load(sys.stdin)["images"]])' <"$T_TMP/out")" \
  "[False]" "verify: the image is not counted complete (unverified)"
run resolve --json "$L"
expect_rc 4 "resolve: the walk still stops at it (doc/resolution.md 4)"
expect_out_has '"code": "unsupported-digest-algorithm"' "resolve: unsupported-digest-algorithm"
index "$L" '{"mediaType":"'$MT_M'","digest":"sha256+foo+-b:c86f7763873b6c0aae22d963bab59b4f5debbed6685761b5951584f6efb0633b","size":1470}'
run verify --json "$L"
expect_rc 4 "verify: repeated separators break the grammar: an error"
expect_out_has '"code": "invalid-digest"' "verify: invalid-digest"
index "$L" '{"mediaType":"'$MT_M'","digest":"sha256","size":1470}'
run verify --json "$L"
expect_out_has 'no \":\" nor encoded part' "verify: \"sha256\" lacks the encoded part, not the algorithm"

# ----------------------------------------------------- non-distributable
L=$T_TMP/foreign
layout "$L"
image "$L" '{"mediaType":"'$MT_M'","digest":"'$MISSING'","size":7682,"urls":["value"]}'
run verify "$L"
expect_rc 4 "a manifest type with a bad URL as a layer: an error"
expect_out_has "url-invalid" "... url-invalid"
expect_out_has "blob-missing" "... and the blob is missing, not non-distributable"
case "$out" in *non-distributable*) not_ok "no non-distributable wording for a manifest type: $out" ;;
  *) ok "no non-distributable wording for a manifest type" ;; esac
image "$L" '{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"'$MISSING'","size":7682,"urls":["https://example.com/layer"]}'
run verify "$L"
expect_rc 0 "a layer type with an absolute URL, absent: expected"
expect_out_has "non-distributable" "... and called non-distributable"
image "$L" '{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"'$MISSING'","size":7682,"urls":["value"]}'
run verify "$L"
expect_rc 4 "a layer type whose only URL is not one, absent: an error"
expect_out_has "url-invalid" "... url-invalid"
case "$out" in *non-distributable*) not_ok "no URL to fetch it from: not non-distributable: $out" ;;
  *) ok "no URL to fetch it from: not non-distributable" ;; esac

# ------------------------------------------- a missing manifest in index.json
L=$T_TMP/missing
layout "$L"
index "$L" "{\"mediaType\":\"$MT_M\",\"digest\":\"$MISSING\",\"size\":7682}"
run verify --json "$L"
without=$(codes)
index "$L" "{\"mediaType\":\"$MT_M\",\"digest\":\"$MISSING\",\"size\":7682,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}"
run verify --json "$L"
with=$(codes)
expect_eq "$with" "$without" "a missing manifest in index.json: one rule with or without a platform"
expect_eq "$with" "error blob-missing" "... blob-missing"
expect_rc 4 "... exit 4"

# ------------------------------------------------ oci-layout not valid JSON
L=$T_TMP/ocil
rm -rf "$L"
cp -R "$V/clean" "$L"
for text in '{"imageLayoutVersion": 1.0.0}' '' 'null' '[]' '{"imageLayoutVersion":"1.0.0"'; do
  printf '%s' "$text" >"$L/oci-layout"
  (cd "$L" && tar czf "$T_TMP/ocil.tar.gz" .)
  for src in "$L" "$T_TMP/ocil.tar.gz"; do
    first=
    for cmd in resolve ls inspect cat verify; do
      if [ "$cmd" = cat ]; then run cat "$src" manifest; else run "$cmd" "$src"; fi
      expect_rc 3 "oci-layout '$text' ($(basename "$src")): $cmd"
      case "$err" in *"oci-layout"*"(bad-oci-layout)") ok "oci-layout '$text': $cmd names the file and the code" ;;
        *) not_ok "oci-layout '$text': $cmd names the file and the code; stderr: $err" ;; esac
      case "$err" in *"success"*) not_ok "oci-layout '$text': $cmd: a message that says success: $err" ;; esac
      # the message line alone (a memcheck wrapper may write its own lines to stderr)
      msg=$(printf '%s\n' "$err" | grep '^ocidig:')
      [ -z "$first" ] && first=$msg
      expect_eq "$msg" "$first" "oci-layout '$text' ($(basename "$src")): $cmd says what resolve says"
    done
  done
done

# ----------------------------------------------------------- config fields
L=$T_TMP/config
lay='{"mediaType":"'$MT_L'","digest":"sha256:'$(printf layer | sha256sum | cut -d' ' -f1)'","size":5}'
for field in '"created":5' '"author":[]' '"config":{"User":1234}' '"config":{"Env":[7353]}' \
  '"config":{"Volumes":["/v"]}' '"config":{"ExposedPorts":["80/tcp"]}' '"config":{"Cmd":"sh"}' \
  '"config":{"Labels":{"a":1}}' '"history":"should be an array"' '"history":[{"empty_layer":"yes"}]' \
  '"rootfs":{"type":"layers","diff_ids":"x"}'; do
  image "$L" "$lay" "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},$field}"
  run verify --json "$L"
  expect_rc 4 "config with $field: an error on its own"
  expect_out_has '"code": "field-type"' "config with $field: field-type"
done
image "$L" "$lay" '{"architecture":"amd64","os":"linux"}'
run verify --json "$L"
expect_out_has '"code": "field-missing"' "config without rootfs: field-missing"
image "$L" "$lay" '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Env":["PATH=/bin","foo"]}}'
run verify --json "$L"
expect_rc 0 "config Env entry without '=': not an error (a SHOULD)"
expect_out_has '"code": "config-env-invalid"' "config Env entry without '=': warning config-env-invalid"
image "$L" "$lay" '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Cmd":null,"Entrypoint":null,"Volumes":null,"Env":null,"OnBuild":null}}'
run verify --json "$L"
expect_rc 0 "config fields that are null (as Docker writes them): fine"

# ----------------------------------------------------------- empty layers
L=$T_TMP/nolayers
layout "$L"
image "$L" ''
run verify --json "$L"
expect_rc 0 "layers: [] is not an error (a SHOULD)"
expect_out_has '"code": "layers-empty"' "layers: []: warning layers-empty"

finish
