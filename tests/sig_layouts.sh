#!/bin/sh
# sig_layouts.sh: cosign signatures and Sigstore bundle referrers found in layouts and
# verified by `ocidig verify` (testdata/sig/cosign: the layouts assembled from
# containers/image's and cosign's real signatures, each CASE.json's expected verdicts).
#  - every expected verdict, from the directory, a tar, a tar.gz and standard input alike;
#    a sparse layout (the signed manifest present, its blobs not) still gets its verdict
#    and its missing blobs are still errors (exit 4: integrity wins over the policy);
#  - mutations of valid cases: a byte of the signature, the payload, the signed manifest,
#    the certificate, the Rekor SET, the trusted root: the verdict turns into its failure;
#  - ls and inspect say what is attached; without trust material nothing is verified and
#    the exit status is what it was; with trust material an unsigned image is exit 6.
# Runs without a network (unshare -rn) where the machine allows it.
# The private-PKI case (cimage-cosign-pki) with --ca-roots/--ca-intermediates and the
# subject's email; its other policies and mutations: tests/sig_pki.sh.
. "${TESTS_DIR:-$(dirname "$0")}/no_network.sh"
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "sig_layouts" "python3 is needed to read CASE.json"
  finish
fi
PY="python3 ${TESTS_DIR:-$(dirname "$0")}/sig_layouts.py"
L=$TESTDATA/sig/cosign/layouts
K=$TESTDATA/sig/cosign/keys
PROD=$TESTDATA/sig/production_trusted_root.json
FORMS="dir tar tgz stdin"

# verify_as FORM LAYOUT ARGS...: `ocidig verify --json ARGS` over the layout in that form.
verify_as() {
  va_form=$1 va_dir=$2
  shift 2
  case $va_form in
  dir) run verify --json "$@" "$va_dir" ;;
  tar) run verify --json "$@" "$T_TMP/l.tar" ;;
  tgz) run verify --json "$@" "$T_TMP/l.tar.gz" ;;
  stdin) run verify --json "$@" - <"$T_TMP/l.tar" ;;
  esac
}
pack() {
  tar -C "$1" -cf "$T_TMP/l.tar" . && gzip -c "$T_TMP/l.tar" >"$T_TMP/l.tar.gz"
}

# ---------------------------------------------------------------- CASE.json verdicts
$PY cases "$L" "$K" "$PROD" >"$T_TMP/cases" || not_ok "CASE.json could not be read"
while IFS='|' read -r name sparse digest want args; do
  [ -n "$name" ] || continue
  pack "$L/$name"
  # the arguments are tab-separated (a regexp may hold a space)
  oldifs=$IFS
  IFS='	'
  set -f # ".*" is a regexp, not a pattern of file names
  set -- $args
  set +f
  IFS=$oldifs
  for form in $FORMS; do
    verify_as "$form" "$L/$name" "$@"
    printf '%s' "$out" >"$T_TMP/report.json"
    got=$($PY verdict "$T_TMP/report.json" "$digest" 2>&1)
    case $got in
    "$want "*) ok "$name ($form, $1 $(basename "$2")): $got" ;;
    *) not_ok "$name ($form, $1 $(basename "$2")): got '$got', wanted $want; stderr: $err" ;;
    esac
    if [ "$sparse" = sparse ]; then
      # the signature's verdict and the missing blobs, both; integrity wins
      case $out in *'"blobsMissing": 0'*) not_ok "$name ($form): missing blobs not reported" ;; esac
      [ "$rc" -eq 4 ] || not_ok "$name ($form): exit $rc, wanted 4 (blobs missing)"
    fi
  done
done <"$T_TMP/cases"

# ---------------------------------------------------------------- mutations
# mutate CASE WHAT WANT ARGS...: the mutated copy's signature verdict is WANT
mutate() {
  mu_case=$1 mu_what=$2 mu_want=$3
  shift 3
  rm -rf "$T_TMP/m"
  $PY mutate "$L/$mu_case" "$T_TMP/m" "$mu_what" || {
    not_ok "$mu_case: the $mu_what mutation could not be made"
    return
  }
  run verify --json "$@" "$T_TMP/m"
  printf '%s' "$out" >"$T_TMP/report.json"
  mu_digest=$(sed -n 's/.*"subject": "\(sha256:[0-9a-f]*\)".*/\1/p' "$T_TMP/report.json" | head -n 1)
  got=$($PY verdict "$T_TMP/report.json" "$mu_digest" 2>&1)
  expect_eq "$got" "FAIL $mu_want" "$mu_case: one byte of the $mu_what changed: $mu_want"
}
KEY="--key $K/cosign.pub"
KEYLESS_ID="mitr@redhat.com"
KEYLESS_ISS="https://github.com/login/oauth"
mutate cimage-cosign-valid signature bad-signature $KEY
mutate cimage-cosign-valid payload bad-signature $KEY
mutate cimage-cosign-valid manifest subject-mismatch $KEY
mutate cimage-cosign-fulcio-rekor signature bad-signature --trusted-root "$PROD" \
  --certificate-identity "$KEYLESS_ID" --certificate-oidc-issuer "$KEYLESS_ISS"
mutate cimage-cosign-fulcio-rekor payload bad-signature --trusted-root "$PROD" \
  --certificate-identity "$KEYLESS_ID" --certificate-oidc-issuer "$KEYLESS_ISS"
# the certificate's own signature changed: it no longer is the certificate the log recorded
mutate cimage-cosign-fulcio-rekor certificate tlog-invalid --trusted-root "$PROD" \
  --certificate-identity "$KEYLESS_ID" --certificate-oidc-issuer "$KEYLESS_ISS"
mutate cimage-cosign-fulcio-rekor set tlog-invalid --trusted-root "$PROD" \
  --certificate-identity "$KEYLESS_ID" --certificate-oidc-issuer "$KEYLESS_ISS"
mutate cimage-cosign-key-rekor set tlog-invalid --key "$K/cosign2.pub" --trusted-root "$PROD"
# the trusted root: another instance's (sigstore-conformance's custom root: its Fulcio CA and
# Rekor key are not the ones that signed)
run verify --json --trusted-root "$TESTDATA/sig/bundle-verify/intoto-with-custom-trust-root/trusted_root.json" \
  --certificate-identity "$KEYLESS_ID" \
  --certificate-oidc-issuer "$KEYLESS_ISS" "$L/cimage-cosign-fulcio-rekor"
printf '%s' "$out" >"$T_TMP/report.json"
got=$($PY verdict "$T_TMP/report.json" sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a)
expect_eq "$got" "FAIL tlog-invalid" "cimage-cosign-fulcio-rekor: another trusted root: its Rekor key is not the log's"
# the identity policy
run verify --json --trusted-root "$PROD" --certificate-identity someone@example.com \
  --certificate-oidc-issuer "$KEYLESS_ISS" "$L/cimage-cosign-fulcio-rekor"
printf '%s' "$out" >"$T_TMP/report.json"
got=$($PY verdict "$T_TMP/report.json" sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a)
expect_eq "$got" "FAIL identity-mismatch" "cimage-cosign-fulcio-rekor: another identity asked for"

# ---------------------------------------------------------------- without trust material
run verify --json "$L/cimage-cosign-valid"
expect_rc 4 "verify without trust material: the exit status of the missing blobs, unchanged"
expect_out_has '"verdict": "not-verified"' "verify without trust material: the signature listed, not verified"
expect_out_has '"trustGiven": false' "verify without trust material: no policy"
run verify "$L/cimage-cosign-valid"
expect_out_has "signatures (not verified" "verify text: signatures listed as not verified"

# ---------------------------------------------------------------- policy: exit 6
# a complete unsigned layout with a key given: policy not met (6); the same with a missing
# blob: integrity wins (4)
U=$TESTDATA/samples/buildah-amd64-zstd
if [ -d "$U" ]; then
  run verify --key "$K/cosign.pub" "$U"
  expect_rc 6 "an unsigned image with a key given: policy not met"
  expect_out_has "policy not met: 1 image without a verified signature" "verify text: the policy line"
  run verify "$U"
  expect_rc 0 "the same without trust material: exit unchanged"
else
  skip "policy exit 6" "no unsigned fixture"
fi
run verify --key "$K/cosign2.pub" "$L/cimage-cosign-valid"
expect_rc 4 "a wrong key over a sparse layout: integrity (4) wins over the policy (6)"
run verify --trusted-root "$PROD" "$L/cimage-cosign-valid"
expect_rc 2 "--trusted-root without an identity policy: usage"
run verify --certificate-identity x "$L/cimage-cosign-valid"
expect_rc 2 "an identity without --trusted-root: usage"

# ---------------------------------------------------------------- key types
# A complete layout signed here by openssl (ECDSA P-256 and P-384, RSA PKCS#1 v1.5 and PSS,
# Ed25519), as cosign signs: every blob present, so the policy alone decides (0 or 6).
if command -v openssl >/dev/null 2>&1 && [ -d "$U" ]; then
  for alg in ec-p256 ec-p384 rsa rsa-pss ed25519; do
    case $alg in
    ec-p256) gen="-algorithm EC -pkeyopt ec_paramgen_curve:P-256" kind=ecdsa ;;
    ec-p384) gen="-algorithm EC -pkeyopt ec_paramgen_curve:P-384" kind=ecdsa ;;
    rsa) gen="-algorithm RSA -pkeyopt rsa_keygen_bits:2048" kind=rsa ;;
    rsa-pss) gen="-algorithm RSA -pkeyopt rsa_keygen_bits:2048" kind=rsa-pss ;;
    ed25519) gen="-algorithm ED25519" kind=ed25519 ;;
    esac
    # shellcheck disable=SC2086
    openssl genpkey $gen -out "$T_TMP/$alg.key" 2>/dev/null &&
      openssl pkey -in "$T_TMP/$alg.key" -pubout -out "$T_TMP/$alg.pub" 2>/dev/null || {
      not_ok "$alg: openssl could not make a key"
      continue
    }
    rm -rf "$T_TMP/signed-$alg"
    $PY sign "$U" "$T_TMP/signed-$alg" "$T_TMP/$alg.key" $kind || {
      not_ok "$alg: the signed layout could not be made"
      continue
    }
    run verify --key "$T_TMP/$alg.pub" "$T_TMP/signed-$alg"
    expect_rc 0 "$alg: a complete layout signed with the key: every image signed"
    expect_out_has ": verified by key SHA256:" "$alg: verified, by the key's fingerprint"
  done
  # another key of the same kind: bad-signature, policy not met
  run verify --key "$T_TMP/ec-p256.pub" "$T_TMP/signed-ec-p384"
  expect_rc 6 "a P-384 signature with a P-256 key: policy not met"
  expect_out_has "bad-signature" "a P-384 signature with a P-256 key: bad-signature"
  run verify --key "$T_TMP/rsa.pub" "$T_TMP/signed-ed25519"
  expect_rc 6 "an Ed25519 signature with an RSA key: policy not met"
  # the signed layout from the archive forms too
  pack "$T_TMP/signed-rsa-pss"
  run verify --key "$T_TMP/rsa-pss.pub" - <"$T_TMP/l.tar"
  expect_rc 0 "rsa-pss: the signed layout on standard input"
  run verify --key "$T_TMP/rsa-pss.pub" "$T_TMP/l.tar.gz"
  expect_rc 0 "rsa-pss: the signed layout as a tar.gz"
  # no trust material: listed, not verified, exit unchanged
  run verify "$T_TMP/signed-rsa"
  expect_rc 0 "a signed layout without trust material: exit 0 as before"
  expect_out_has "not-verified" "a signed layout without trust material: not verified"
else
  skip "key types" "openssl or the unsigned fixture is missing"
fi

# ---------------------------------------------------------------- Notation, through verify
# testdata/sig/notation: each case's root with the shared blobs beside it; CASE.json's
# verdicts (the three alpine cases pass, notation-wrong-target-jws fails).
N=$TESTDATA/sig/notation
if [ -d "$N/cases" ]; then
  for c in notation-jws-alpine notation-cose-alpine notation-jws-and-cose-alpine notation-wrong-target-jws; do
    rm -rf "$T_TMP/n"
    mkdir -p "$T_TMP/n" && cp -R "$N/cases/$c/." "$T_TMP/n/" && cp -R "$N/blobs" "$T_TMP/n/" || {
      not_ok "$c: the layout could not be made"
      continue
    }
    case $c in *wrong*) want=6 ;; *) want=0 ;; esac
    pack "$T_TMP/n"
    for form in dir stdin; do
      case $form in
      dir) run verify --trust-policy "$N/trustpolicy.json" --trust-store "$N/truststore" "$T_TMP/n" ;;
      stdin) run verify --trust-policy "$N/trustpolicy.json" --trust-store "$N/truststore" - <"$T_TMP/l.tar" ;;
      esac
      if [ "$want" = 6 ] && [ "$rc" = 6 ]; then
        expect_out_has "subject-mismatch" "$c ($form): the envelope signs another manifest: subject-mismatch"
      elif [ "$rc" = "$want" ]; then
        ok "$c ($form): exit $rc"
      elif [ "$rc" = 6 ] && grep -q "libcbor" "$T_TMP/out"; then
        skip "$c ($form)" "built without libcbor: COSE unsupported"
      else
        not_ok "$c ($form): exit $rc, wanted $want; $out"
      fi
    done
  done
  run verify "$T_TMP/n"
  expect_out_has "notation signature" "Notation without a trust policy: listed"
  expect_out_has "not-verified" "Notation without a trust policy: not verified"
else
  skip "Notation through verify" "no testdata/sig/notation"
fi

# ---------------------------------------------------------------- ls and inspect
for form in dir tar tgz stdin; do
  pack "$L/cimage-cosign-valid-2"
  case $form in
  dir) run ls "$L/cimage-cosign-valid-2" ;;
  tar) run ls "$T_TMP/l.tar" ;;
  tgz) run ls "$T_TMP/l.tar.gz" ;;
  stdin) run ls - <"$T_TMP/l.tar" ;;
  esac
  expect_out_has "  signatures: 1 cosign" "ls ($form): the image's signatures in one line"
done
pack "$L/cosign-oci-attestation-bundle"
run ls "$L/cosign-oci-attestation-bundle"
expect_out_has "  attestations: https://cosign.sigstore.dev/attestation/v1" "ls: a Sigstore bundle referrer by predicate type"
run ls --json "$L/cosign-oci-attestation-bundle"
printf '%s' "$out" >"$T_TMP/ls-dir.json"
expect_out_has '"scheme": "sigstore-bundle"' "ls --json: the scheme"
expect_out_has '"foundAs": "referrer"' "ls --json: how it was found"
for form in tar tgz stdin; do
  case $form in
  tar) run ls --json "$T_TMP/l.tar" ;;
  tgz) run ls --json "$T_TMP/l.tar.gz" ;;
  stdin) run ls --json - <"$T_TMP/l.tar" ;;
  esac
  a=$(printf '%s' "$out" | sed -n '/"attached"/,/^      \]/p')
  b=$(sed -n '/"attached"/,/^      \]/p' "$T_TMP/ls-dir.json")
  expect_eq "$a" "$b" "ls --json ($form): the same attachments as the directory's"
done
run inspect --ref latest "$L/cosign-oci-attestation-bundle"
expect_out_has "sigstore-bundle attestation sha256:33fb607c1282 of sha256:732112270d7e (referrer)" \
  "inspect: the attachment, its scheme and how it was found"
run inspect --json --ref latest "$L/cosign-oci-attestation-bundle"
expect_out_has '"https://cosign.sigstore.dev/attestation/v1"' "inspect --json: the predicate type"

finish
