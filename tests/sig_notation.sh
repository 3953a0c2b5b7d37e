#!/bin/sh
# sig_notation.sh: Notation signatures verified by `ocidig verify --trust-policy P
# --trust-store DIR` over notation-go's JWS and COSE envelopes (testdata/sig/notation: each
# case's index.json with the shared blobs beside it), from a directory, a tar, a tar.gz and
# standard input alike:
#  - each case's CASE.json: the alpine cases' signatures verified, by the certificate's
#    subject; notation-wrong-target-jws
#    subject-mismatch, the policy not met (exit 6); signedAt null (notary.x509's signing
#    time is the signer's word, not a timestamp);
#  - the trust material changed: a store without the CA (untrusted-key), other
#    trustedIdentities (identity-mismatch), level audit (verified, what failed logged in the
#    reason), level skip (not-verified), a scope naming the image's repository (verified) or
#    only another (untrusted-key), the OCI policy file; a policy Notation refuses (exit 2).
# Runs without a network (unshare -rn) where the machine allows it.
. "${TESTS_DIR:-$(dirname "$0")}/no_network.sh"
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
N=$TESTDATA/sig/notation
if ! command -v python3 >/dev/null 2>&1 || [ ! -d "$N/cases" ]; then
  skip "sig_notation" "python3 or testdata/sig/notation is missing"
  finish
fi

# make CASE: the case's layout in $T_TMP/n, and its tar and tar.gz.
make_case() {
  rm -rf "$T_TMP/n" && mkdir -p "$T_TMP/n" && cp -R "$N/cases/$1/." "$T_TMP/n/" && cp -R "$N/blobs" "$T_TMP/n/" &&
    tar -C "$T_TMP/n" -cf "$T_TMP/l.tar" . && gzip -c "$T_TMP/l.tar" >"$T_TMP/l.tar.gz"
}
# verify_as FORM ARGS...: `ocidig verify --json ARGS` over $T_TMP/n in that form.
verify_as() {
  va_form=$1
  shift
  case $va_form in
  dir) run verify --json "$@" "$T_TMP/n" ;;
  tar) run verify --json "$@" "$T_TMP/l.tar" ;;
  tgz) run verify --json "$@" "$T_TMP/l.tar.gz" ;;
  stdin) run verify --json "$@" - <"$T_TMP/l.tar" ;;
  esac
}
# sigs: the report's Notation signatures, one line each: manifest verdict signer signedAt.
sigs() {
  python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["signatures"]:
    if s["scheme"] == "notation":
        print(s["manifest"], s["verdict"], s["signer"], s["signedAt"], sep="|")
' "$T_TMP/out" 2>/dev/null | sort
}
# reasons: the reasons of the report's Notation signatures.
reasons() {
  python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["signatures"]:
    if s["scheme"] == "notation":
        print(s["verdict"], s["reason"])
' "$T_TMP/out" 2>/dev/null
}
# want CASE: the lines sigs should print, from CASE.json (PASS: verified by the subject of
# the store's certificate; FAIL: subject-mismatch).
want() {
  python3 -c '
import json, sys
c = json.load(open(sys.argv[1] + "/cases/" + sys.argv[2] + "/CASE.json"))
ok = c["expected"].startswith("PASS")
for s in c["signatures"]:
    print(s["signature_manifest"], "verified" if ok else "subject-mismatch",
          "C=US, ST=WA, L=Seattle, O=Notary, CN=alpine" if ok else "C=US, ST=WA, L=Seattle, O=Notary, CN=Notation Test Root",
          None, sep="|")
' "$N" "$1" | sort
}
TRUST="--trust-policy $N/trustpolicy.json --trust-store $N/truststore"

# ---------------------------------------------------------------- each case, each form
cbor=yes
for c in notation-jws-alpine notation-cose-alpine notation-jws-and-cose-alpine notation-wrong-target-jws; do
  make_case "$c" || {
    not_ok "$c: the layout could not be made"
    continue
  }
  case $c in *wrong*) code=6 ;; *) code=0 ;; esac
  expected=$(want "$c")
  for form in dir tar tgz stdin; do
    # shellcheck disable=SC2086
    verify_as "$form" $TRUST
    got=$(sigs)
    if [ "$got" = "$expected" ] && [ "$rc" = "$code" ]; then
      ok "$c ($form): $(echo "$got" | cut -d'|' -f2 | sort -u | tr '\n' ' ')exit $rc"
    elif [ "$c" = notation-cose-alpine ] && reasons | grep -q "built without libcbor"; then
      cbor=no
      skip "$c ($form)" "built without libcbor: COSE is unsupported"
    else
      not_ok "$c ($form): exit $rc (wanted $code); got [$got], wanted [$expected]"
    fi
  done
done

# ---------------------------------------------------------------- the trust material changed
make_case notation-jws-alpine
# policy FILE SCOPE LEVEL IDENTITY: a policy like the fixture's.
policy() {
  printf '{"version": "1.0", "trustPolicies": [{"name": "p", "registryScopes": ["%s"], "signatureVerification": {"level": "%s"}, "trustStores": ["ca:alpine"], "trustedIdentities": ["%s"]}]}' \
    "$2" "$3" "$4" >"$1"
}
J=sha256:f9d069b3e1c5b6e97a6e653ed87c9451d46adaf237d21aa8fe54ff547c21e17f

mkdir -p "$T_TMP/nostore/x509/ca/alpine"
for form in dir tgz; do
  verify_as "$form" --trust-policy "$N/trustpolicy.json" --trust-store "$T_TMP/nostore"
  expect_eq "$(sigs | cut -d'|' -f1,2)|$rc" "$J|untrusted-key|6" "a trust store without the CA ($form): untrusted-key, exit 6"
done

policy "$T_TMP/p1.json" "*" strict "x509.subject: C=US, ST=WA, O=Other"
verify_as tar --trust-policy "$T_TMP/p1.json" --trust-store "$N/truststore"
expect_eq "$(sigs | cut -d'|' -f2)|$rc" "identity-mismatch|6" "other trustedIdentities: identity-mismatch, exit 6"

policy "$T_TMP/p2.json" "*" audit "x509.subject: C=US, ST=WA, O=Other"
verify_as stdin --trust-policy "$T_TMP/p2.json" --trust-store "$N/truststore"
expect_eq "$(sigs | cut -d'|' -f2)|$rc" "verified|0" "level audit: other trustedIdentities only logged: verified, exit 0"
case "$(reasons)" in
*"level audit"*identity-mismatch*) ok "level audit: the reason says what was logged" ;;
*) not_ok "level audit: the reason does not say what was logged: $(reasons)" ;;
esac

printf '{"version": "1.0", "trustPolicies": [{"name": "s", "registryScopes": ["docker.io/library/alpine"], "signatureVerification": {"level": "skip"}}]}' >"$T_TMP/p3.json"
verify_as dir --trust-policy "$T_TMP/p3.json" --trust-store "$N/truststore"
expect_eq "$(sigs | cut -d'|' -f2)|$rc" "not-verified|6" "level skip: not verified, the policy not met"

# the index.json entry names docker.io/library/alpine:v2 (io.containerd.image.name)
policy "$T_TMP/p4.json" "docker.io/library/alpine" strict "*"
verify_as tgz --trust-policy "$T_TMP/p4.json" --trust-store "$N/truststore"
expect_eq "$(sigs | cut -d'|' -f2)|$rc" "verified|0" "a scope naming the image's repository: verified"
policy "$T_TMP/p5.json" "docker.io/library/busybox" strict "*"
verify_as tgz --trust-policy "$T_TMP/p5.json" --trust-store "$N/truststore"
expect_eq "$(sigs | cut -d'|' -f2)|$rc" "untrusted-key|6" "only a scope for another repository: untrusted-key"
case "$(reasons)" in
*"no trust policy applies to docker.io/library/alpine"*) ok "the reason names the image's repository" ;;
*) not_ok "no applicable policy: $(reasons)" ;;
esac

verify_as dir --trust-policy "$N/trustpolicy.oci.json" --trust-store "$N/truststore"
expect_eq "$(sigs | cut -d'|' -f2)|$rc" "verified|0" "trustpolicy.oci.json: verified"

printf '{"version": "2.0", "trustPolicies": []}' >"$T_TMP/bad.json"
run verify --trust-policy "$T_TMP/bad.json" --trust-store "$N/truststore" "$T_TMP/n"
expect_rc 2 "a trust policy Notation refuses"
expect_err_has "bad.json" "the message names the policy file"
run verify --trust-policy "$N/trustpolicy.json" --trust-store "$T_TMP/none" "$T_TMP/n"
expect_rc 2 "a named store that is not there"
expect_err_has "ca:alpine" "the message names the store"

# without trust material: listed, not verified, the exit status unchanged
verify_as tar
expect_eq "$(sigs | cut -d'|' -f2)|$rc" "not-verified|0" "no trust material: not verified, exit 0"
[ "$cbor" = no ] && echo "# built without libcbor: the COSE cases were skipped"
finish
