#!/bin/sh
# sig_dir.sh: containers/image dir: signatures (signature-N beside manifest.json) found and
# verified (testdata/sig/cimage-dir: containers/image's dir-img-cosign-* fixtures, each with
# the version file its dir: transport writes, and a layout skopeo signed with GPG; see ORIGIN).
#  - every fixture's verdict as containers/image's policy_eval_sigstore_test.go expects it,
#    with the key or trusted material that test uses (the private PKI through --ca-roots),
#    from the directory, a tar, a tar.gz and
#    standard input alike; the fixtures are sparse (manifest.json without its config and
#    layers): verify says the blobs are missing (exit 4) and still gives every verdict;
#  - a mutated signature-1 (payload, signature, certificate, Rekor SET, manifest.json, a
#    truncated file, garbage after the prefix, a 5 MiB one, an unknown format) gets its
#    failure, never a crash; a GPG signature is listed as simple-signing, unsupported;
#  - complete layouts signed here by openssl in containers/image's sigstore format (one image,
#    skopeo sync folders, a per-platform <hex>.signature-N): exit 0 with the key, 6 without
#    a verified signature;
#  - ls, inspect and their --json list the signatures, the same from every form.
# Runs without a network (unshare -rn) where the machine allows it.
. "${TESTS_DIR:-$(dirname "$0")}/no_network.sh"
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "sig_dir" "python3 is needed to read the reports"
  finish
fi
PY="python3 ${TESTS_DIR:-$(dirname "$0")}/sig_dir.py"
D=$TESTDATA/sig/cimage-dir
K=$TESTDATA/sig/cosign/keys
PROD=$TESTDATA/sig/production_trusted_root.json
ID=mitr@redhat.com
ISS=https://github.com/login/oauth
M1=sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00 # dir-img-cosign-valid's manifest.json
M2=sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a # the Rekor fixtures'

pack() {
  tar -C "$1" -cf "$T_TMP/l.tar" . && gzip -c "$T_TMP/l.tar" >"$T_TMP/l.tar.gz"
}
# verify_as FORM DIR ARGS...: verify --json over DIR in that form (pack DIR first)
verify_as() {
  va_form=$1 va_dir=$2
  shift 2
  case $va_form in
  dir) run verify --json "$@" "$va_dir" ;;
  tar) run verify --json "$@" "$T_TMP/l.tar" ;;
  tgz) run verify --json "$@" "$T_TMP/l.tar.gz" ;;
  stdin) run verify --json "$@" - <"$T_TMP/l.tar" ;;
  esac
  printf '%s' "$out" >"$T_TMP/report.json"
}
# expect_verdicts DIGEST WANT DESCRIPTION: the signatures of DIGEST in the last report
expect_verdicts() {
  ev_got=$($PY verdicts "$T_TMP/report.json" "$1" 2>&1)
  expect_eq "$ev_got" "$2" "$3"
}

# ---------------------------------------------------------------- the fixtures' verdicts
# case|digest|want|exit|args (containers/image's policy_eval_sigstore_test.go: the key or
# Fulcio CA + Rekor key of each; fulcio_v1.crt.pem and rekor.pub are the public-good
# instance's, both in the production trusted root).  Exit 4: the fixtures are sparse (a
# blob missing is an integrity error, which wins over the policy); the schema 1 manifest of
# manifest-digest-error names no blob: nothing is missing, the policy is not met (6).  Its
# digest is its bytes' (containers/image cannot compute one for it and rejects it; here the
# payload names another manifest).
cat >"$T_TMP/cases" <<EOF
dir-img-cosign-valid|$M1|PASS verified|4|--key $K/cosign.pub
dir-img-cosign-valid|$M1|FAIL bad-signature|4|--key $K/cosign2.pub
dir-img-cosign-valid-2|$M1|PASS verified,verified|4|--key $K/cosign.pub
dir-img-cosign-valid-with-tag|$M1|PASS verified|4|--key $K/cosign.pub
dir-img-cosign-mixed|$M1|PASS bad-signature,verified|4|--key $K/cosign.pub
dir-img-cosign-key-rekor-valid|$M2|PASS verified|4|--key $K/cosign2.pub --trusted-root $PROD
dir-img-cosign-key-rekor-valid|$M2|PASS verified|4|--key $K/cosign2.pub
dir-img-cosign-key-rekor-valid|$M2|FAIL bad-signature|4|--key $K/cosign.pub
dir-img-cosign-fulcio-rekor-valid|$M2|PASS verified|4|--trusted-root $PROD --certificate-identity $ID --certificate-oidc-issuer $ISS
dir-img-cosign-fulcio-rekor-valid|$M2|FAIL identity-mismatch|4|--trusted-root $PROD --certificate-identity someone@example.com --certificate-oidc-issuer $ISS
dir-img-cosign-modified-manifest|sha256:d9dcafdb480aa7c475e91737b96925e45844213dcb0290b4a90017459121f71f|FAIL subject-mismatch|4|--key $K/cosign.pub
dir-img-cosign-manifest-digest-error|sha256:dc6d2c1a204b02b1ed4d0a9b29f075d24317a37da08041f89a88a2ebffbe46d8|FAIL subject-mismatch|6|--key $K/cosign.pub
dir-img-cosign-other-attachment|$M1|FAIL unsupported|4|--key $K/cosign.pub
EOF
while IFS='|' read -r name digest want code args; do
  pack "$D/$name"
  for form in dir tar tgz stdin; do
    # shellcheck disable=SC2086
    verify_as "$form" "$D/$name" $args
    expect_verdicts "$digest" "$want" "$name ($form, $(echo "$args" | sed 's|[^ ]*/||g')): $want"
    [ "$rc" -eq "$code" ] || not_ok "$name ($form): exit $rc, wanted $code; $err"
    if [ "$code" = 4 ]; then
      case $out in *'"blobsMissing": 0'*) not_ok "$name ($form): its missing blobs not reported" ;; esac
    fi
  done
done <"$T_TMP/cases"
# containers/image rejects the image whose manifest is missing; here there is no image at all
run verify --key "$K/cosign.pub" "$D/dir-img-cosign-no-manifest"
expect_rc 3 "dir-img-cosign-no-manifest: no manifest.json, no layout (missing-index-json)"
run ls "$D/dir-img-cosign-no-manifest"
expect_rc 3 "dir-img-cosign-no-manifest: ls, the same"
# the private PKI (containers/image's "pki" policy: roots, intermediates, the email or host)
PKI=$D/dir-img-cosign-pki-valid
PM=sha256:253c890b744fe3efa923b68e3a1be07bd007eb44ba29da1e7deb1d4c53b3e212
pack "$PKI"
for form in dir tar tgz stdin; do
  verify_as "$form" "$PKI" --ca-roots "$K/pki_root_crts.pem" --ca-intermediates "$K/pki_intermediate_crts.pem" \
    --certificate-identity qiwan@redhat.com
  expect_verdicts "$PM" "PASS verified" "dir-img-cosign-pki-valid ($form): --ca-roots, --ca-intermediates, the email"
done
verify_as dir "$PKI" --ca-roots "$K/pki_root_crts.pem" --certificate-identity myhost.example.com
expect_verdicts "$PM" "PASS verified" "dir-img-cosign-pki-valid: the roots alone (the chain annotation's), the host"
verify_as dir "$PKI" --ca-roots "$K/fulcio_v1.crt.pem" --certificate-identity qiwan@redhat.com
expect_verdicts "$PM" "FAIL untrusted-key" "dir-img-cosign-pki-valid: another root"

# without trust material: listed, not verified, the exit status of the missing blobs
run verify --json "$D/dir-img-cosign-valid-2"
printf '%s' "$out" >"$T_TMP/report.json"
expect_verdicts "$M1" "FAIL not-verified,not-verified" "no trust material: both listed, not verified"
expect_rc 4 "no trust material: exit of the missing blobs"

# ---------------------------------------------------------------- mutations
# mutate CASE WHAT DIGEST WANT ARGS...: the mutated copy's verdicts are WANT (four forms for
# the size and format cases: an archive and standard input read them as a directory does)
mutate() {
  mu_case=$1 mu_what=$2 mu_digest=$3 mu_want=$4
  shift 4
  rm -rf "$T_TMP/m"
  $PY mutate "$D/$mu_case" "$T_TMP/m" "$mu_what" || {
    not_ok "$mu_case: the $mu_what mutation could not be made"
    return
  }
  case $mu_what in huge | truncated | garbage | prefix-only) mu_forms="dir tar tgz stdin" ;; *) mu_forms=dir ;; esac
  [ "$mu_forms" = dir ] || pack "$T_TMP/m"
  for form in $mu_forms; do
    verify_as "$form" "$T_TMP/m" "$@"
    [ "$rc" -le 6 ] || not_ok "$mu_case, $mu_what ($form): exit $rc (a crash?); $err"
    expect_verdicts "$mu_digest" "$mu_want" "$mu_case, $mu_what ($form): $mu_want"
  done
}
KEY="--key $K/cosign.pub"
mutate dir-img-cosign-valid payload "$M1" "FAIL bad-signature" $KEY
mutate dir-img-cosign-valid signature "$M1" "FAIL bad-signature" $KEY
mutate dir-img-cosign-valid truncated "$M1" "FAIL malformed" $KEY
mutate dir-img-cosign-valid garbage "$M1" "FAIL malformed" $KEY
mutate dir-img-cosign-valid huge "$M1" "FAIL malformed" $KEY
expect_out_has "more than the 4194304 bytes a signature may have: not read" "a 5 MiB signature-1: not read, said so"
mutate dir-img-cosign-valid huge "$M1" "FAIL malformed"
# cut inside its prefix: a 0 byte first and no newline (containers/image: "missing newline")
mutate dir-img-cosign-valid prefix-only "$M1" "FAIL malformed" $KEY
expect_out_has "no newline follows" "signature-1 cut inside its prefix: why"
mutate dir-img-cosign-valid unknown-format "$M1" "FAIL unsupported" $KEY
expect_out_has 'signature format \"x-other\"' "an unknown format: named"
mutate dir-img-cosign-valid no-newline "$M1" "FAIL malformed" $KEY
mutate dir-img-cosign-valid long-format "$M1" "FAIL unsupported" $KEY
expect_out_has 'signature format \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"' \
  "a 100-byte format name: unsupported, its first 64 bytes said"
mutate dir-img-cosign-valid binary-format "$M1" "FAIL malformed" $KEY
mutate dir-img-cosign-valid annotation-number "$M1" "FAIL malformed" $KEY
mutate dir-img-cosign-fulcio-rekor-valid signature "$M2" "FAIL bad-signature" --trusted-root "$PROD" \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
mutate dir-img-cosign-fulcio-rekor-valid payload "$M2" "FAIL bad-signature" --trusted-root "$PROD" \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
mutate dir-img-cosign-fulcio-rekor-valid certificate "$M2" "FAIL tlog-invalid" --trusted-root "$PROD" \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
mutate dir-img-cosign-fulcio-rekor-valid set "$M2" "FAIL tlog-invalid" --trusted-root "$PROD" \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
mutate dir-img-cosign-key-rekor-valid set "$M2" "FAIL tlog-invalid" --key "$K/cosign2.pub" --trusted-root "$PROD"
# the trusted root: another instance's (its Rekor key is not the one that signed the SET)
run verify --json --trusted-root "$TESTDATA/sig/bundle-verify/intoto-with-custom-trust-root/trusted_root.json" \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/dir-img-cosign-fulcio-rekor-valid"
printf '%s' "$out" >"$T_TMP/report.json"
expect_verdicts "$M2" "FAIL tlog-invalid" "fulcio-rekor: another trusted root: tlog-invalid"
# manifest.json one byte longer: its digest is another, the payload names the old one
rm -rf "$T_TMP/m"
$PY mutate "$D/dir-img-cosign-valid" "$T_TMP/m" manifest
run verify --json $KEY "$T_TMP/m"
printf '%s' "$out" >"$T_TMP/report.json"
MM=sha256:$(sha "$T_TMP/m/manifest.json")
expect_verdicts "$MM" "FAIL subject-mismatch" "manifest.json changed by one byte: subject-mismatch"
run ls --json "$T_TMP/m"
expect_out_lacks "$M1" "manifest.json changed: the signature is attached to the manifest as it is now"

# ---------------------------------------------------------------- GPG (simple signing)
G=$D/skopeo-gpg-umoci-v1
GM=sha256:$(sha "$G/manifest.json")
pack "$G"
for form in dir tar tgz stdin; do
  verify_as "$form" "$G" $KEY
  expect_verdicts "$GM" "FAIL unsupported" "skopeo --sign-by (GPG) ($form): unsupported"
  expect_rc 6 "skopeo --sign-by (GPG) ($form), a key given: a complete image without a verified signature"
done
expect_out_has '"scheme": "simple-signing"' "GPG: scheme simple-signing"
expect_out_has "ocidig verifies no OpenPGP signature" "GPG: why"
run verify "$G"
expect_rc 0 "GPG, no trust material: exit 0 as before"
expect_out_has "simple-signing signature signature-1 of ${GM%"${GM#sha256:????????????}"}: unsupported" "GPG: verify's text"
run ls "$G"
expect_out_has "  signatures: 1 simple-signing" "GPG: ls"
expect_out_has "unreferenced 0 B (0 files)" "ls: signature-N is the format's, not an unreferenced file"
run inspect --platform linux/amd64 "$G"
expect_out_has "simple-signing signature signature-1 of ${GM%"${GM#sha256:????????????}"} (dir signature-1)" \
  "GPG: inspect"

# the names containers/image writes ("signature-%d" from 1), in N's order; others are not its
rm -rf "$T_TMP/names"
cp -R "$G" "$T_TMP/names" && chmod -R u+w "$T_TMP/names"
for n in 2 10 01 0 1x; do cp "$G/signature-1" "$T_TMP/names/signature-$n"; done
cp "$G/signature-1" "$T_TMP/names/signature-1.bak"
mkdir "$T_TMP/names/other" && cp "$G/signature-1" "$T_TMP/names/other/signature-3"
run ls --json "$T_TMP/names"
expect_eq "$(printf '%s' "$out" | sed -n 's/.*"foundAs": "\(.*\)".*/\1/p' | tr '\n' ' ')" \
  "dir signature-1 dir signature-2 dir signature-10 " "signature-N: N from 1, no leading zero, in N's order"

# ---------------------------------------------------------------- complete layouts signed here
if command -v openssl >/dev/null 2>&1; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T_TMP/ec.key" 2>/dev/null &&
    openssl pkey -in "$T_TMP/ec.key" -pubout -out "$T_TMP/ec.pub" 2>/dev/null
  # one image (skopeo copy ... dir:)
  rm -rf "$T_TMP/s1"
  $PY sign "$TESTDATA/cimage/umoci-v1" "$T_TMP/s1" "$T_TMP/ec.key"
  S1=sha256:$(sha "$T_TMP/s1/manifest.json")
  pack "$T_TMP/s1"
  for form in dir tar tgz stdin; do
    verify_as "$form" "$T_TMP/s1" --key "$T_TMP/ec.pub"
    expect_rc 0 "signed umoci-v1 ($form): verified, complete"
    expect_verdicts "$S1" "PASS verified" "signed umoci-v1 ($form): verified"
  done
  run inspect --json --platform linux/amd64 - <"$T_TMP/l.tar"
  expect_out_has '"foundAs": "dir signature-1"' "signed umoci-v1: inspect --json (stdin): the signature file"
  expect_out_has '"scheme": "cosign"' "signed umoci-v1: inspect --json: a cosign signature"
  run verify --key "$K/cosign.pub" "$T_TMP/s1"
  expect_rc 6 "signed umoci-v1, another key: policy not met"
  run verify --key "$T_TMP/ec.pub" "$TESTDATA/cimage/umoci-v1"
  expect_rc 6 "unsigned umoci-v1, a key given: policy not met"
  # skopeo sync folders: one signed, one not
  rm -rf "$T_TMP/s2"
  $PY sign "$TESTDATA/cimage/sync" "$T_TMP/s2" "$T_TMP/ec.key" "umoci:v1"
  run verify --json --key "$T_TMP/ec.pub" "$T_TMP/s2"
  printf '%s' "$out" >"$T_TMP/report.json"
  expect_rc 6 "sync folders, one signed: the other image has no signature"
  expect_verdicts "sha256:$(sha "$T_TMP/s2/umoci:v1/manifest.json")" "PASS verified" "sync: umoci:v1's signature"
  expect_out_has '"manifest": "umoci:v1/signature-1"' "sync: the signature named by its path"
  run ls "$T_TMP/s2"
  expect_out_has "  signatures: 1 cosign" "sync: ls"
  # a per-platform signature: <hex>.signature-1 of one manifest of a list
  rm -rf "$T_TMP/s3"
  PM=$(ls "$TESTDATA/cimage/multiarch-all" | sed -n 's/\.manifest\.json$//p' | head -n 1)
  $PY sign "$TESTDATA/cimage/multiarch-all" "$T_TMP/s3" "$T_TMP/ec.key" "" "$PM"
  run verify --json --key "$T_TMP/ec.pub" "$T_TMP/s3"
  printf '%s' "$out" >"$T_TMP/report.json"
  expect_verdicts "sha256:$PM" "PASS verified" "a per-platform <hex>.signature-1: verified for its manifest"
  expect_rc 0 "a per-platform signature: the image (its index's platform) is signed"
else
  skip "complete layouts signed here" "no openssl"
fi

# ---------------------------------------------------------------- ls and inspect, every form
pack "$D/dir-img-cosign-mixed"
run ls --json "$D/dir-img-cosign-mixed"
printf '%s' "$out" | sed -n '/"attached"/,/^      \]/p' >"$T_TMP/ls-dir"
expect_out_has '"foundAs": "dir signature-2"' "ls --json: found as dir signature-2"
for form in dir tar tgz stdin; do
  case $form in
  dir) run ls "$D/dir-img-cosign-mixed" ;;
  tar) run ls "$T_TMP/l.tar" ;;
  tgz) run ls "$T_TMP/l.tar.gz" ;;
  stdin) run ls - <"$T_TMP/l.tar" ;;
  esac
  expect_out_has "  signatures: 2 cosign" "ls ($form): the image's signatures"
  case $form in
  dir) run ls --json "$D/dir-img-cosign-mixed" ;;
  tar) run ls --json "$T_TMP/l.tar" ;;
  tgz) run ls --json "$T_TMP/l.tar.gz" ;;
  stdin) run ls --json - <"$T_TMP/l.tar" ;;
  esac
  expect_eq "$(printf '%s' "$out" | sed -n '/"attached"/,/^      \]/p')" "$(cat "$T_TMP/ls-dir")" \
    "ls --json ($form): the same attachments as the directory's"
done

# ---------------------------------------------------------------- a number missing
# containers/image reads signature-1, -2, ... up to the first number missing: a valid
# signature-2 without a signature-1 is listed, unsupported, and does not satisfy the policy
# (review s10 finding 2: it counted as verified); signature-1 and signature-3: the first only.
mkdir -p "$T_TMP/gap" && cp "$D/dir-img-cosign-valid/manifest.json" "$D/dir-img-cosign-valid/version" "$T_TMP/gap/" &&
  cp "$D/dir-img-cosign-valid/signature-1" "$T_TMP/gap/signature-2"
pack "$T_TMP/gap"
for form in dir tar tgz stdin; do
  verify_as $form "$T_TMP/gap" --key "$K/cosign.pub"
  expect_verdicts "$M1" "FAIL unsupported" "signature-2 without signature-1 ($form): unsupported"
  expect_out_has "past a number missing (signature-1)" "signature-2 without signature-1 ($form): the number missing said"
done
run verify --key "$K/cosign.pub" "$T_TMP/gap"
expect_out_has "1 found, 0 verified; 1 image without a verified signature" "signature-2 without signature-1: the policy not met"
cp "$D/dir-img-cosign-valid/signature-1" "$T_TMP/gap/signature-1" && mv "$T_TMP/gap/signature-2" "$T_TMP/gap/signature-3"
verify_as dir "$T_TMP/gap" --key "$K/cosign.pub"
expect_verdicts "$M1" "PASS verified,unsupported" "signature-1 and signature-3: the first verified, the third past the gap"

finish
