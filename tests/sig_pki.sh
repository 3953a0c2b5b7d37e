#!/bin/sh
# sig_pki.sh: cosign signatures from a private PKI (verify --ca-roots PEM [--ca-intermediates
# PEM], as cosign verify --ca-roots and containers/image's sigstoreSigned "pki" policy).
#  - containers/image's real signature (testdata/sig/cosign/layouts/cimage-cosign-pki: a
#    certificate of its Linuxera PKI, cert and chain annotations, no Rekor entry, no SCT;
#    sparse, so verify exits 4 and the signature's verdict is what is checked): the identity
#    as its email, its DNS name or a regexp; another identity, an issuer asked for, another
#    root (the Fulcio CA); the root alone when the chain annotation is gone, and with
#    --ca-intermediates then; one byte of the signature, payload, signed manifest or
#    certificate changed;
#  - a PKI made here by openssl (root, intermediate, leaf with an email and a URI SAN and the
#    code-signing EKU) signing a complete layout, so the policy alone decides (0 or 6): from a
#    directory, a tar.gz and standard input; another root, a leaf for TLS servers only (EKU),
#    a leaf expired before now (no log entry: the current time is the signing time);
#    intermediates of their own: one whose EKU is serverAuth only refused, naming it (Go's
#    x509 asks the code-signing EKU of every certificate of the chain that has an EKU, as
#    cosign verifies), one whose EKU is codeSigning verified; one without keyCertSign refused
#    (OpenSSL's rule, kept; Go does not read a CA's key usage: doc/signatures.md);
#  - usage: --ca-roots without an identity, --ca-intermediates alone, with --key; roots
#    or intermediates that are not PEM certificates (exit 2, the file named, verify and
#    audit); audit --require-signature with --ca-roots;
#  - cost: the roots are read once a run, not once a signature: 3,000 roots and a
#    signature manifest of 100 layers within 3x the CPU time of one layer (not under
#    sanitizers).
. "${TESTS_DIR:-$(dirname "$0")}/no_network.sh"
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "sig_pki" "python3 is needed to build the layouts"
  finish
fi
PY="python3 ${TESTS_DIR:-$(dirname "$0")}/sig_layouts.py"
K=$TESTDATA/sig/cosign/keys
L=$TESTDATA/sig/cosign/layouts/cimage-cosign-pki
IMG=sha256:253c890b744fe3efa923b68e3a1be07bd007eb44ba29da1e7deb1d4c53b3e212
ROOTS="--ca-roots $K/pki_root_crts.pem"
INTER="--ca-intermediates $K/pki_intermediate_crts.pem"

# verdict WANT DESCRIPTION ARGS... LAYOUT: `verify --json ARGS LAYOUT`'s verdict of the
# signature attached to the fixture's image is WANT ("PASS verified", "FAIL untrusted-key").
verdict() {
  vd_want=$1 vd_what=$2
  shift 2
  run verify --json "$@"
  printf '%s' "$out" >"$T_TMP/report.json"
  vd_digest=$(sed -n 's/.*"subject": "\(sha256:[0-9a-f]*\)".*/\1/p' "$T_TMP/report.json" | head -n 1)
  expect_eq "$($PY verdict "$T_TMP/report.json" "$vd_digest" 2>&1)" "$vd_want" "$vd_what"
}

# ---------------------------------------------------------------- containers/image's signature
verdict "PASS verified" "the roots and intermediates, the email" $ROOTS $INTER --certificate-identity qiwan@redhat.com "$L"
expect_rc 4 "a sparse layout: its missing blobs are still errors"
expect_out_has '"signer": "qiwan@redhat.com"' "the signer: the SAN matched"
expect_out_has '"issuer": null' "no OIDC issuer: null"
expect_out_has '"signedAt": null' "no log entry or timestamp: no verified signing time"
verdict "PASS verified" "the DNS name as the identity" $ROOTS $INTER --certificate-identity myhost.example.com "$L"
verdict "PASS verified" "an identity regexp" $ROOTS --certificate-identity-regexp '^qiwan@redhat\.com$' "$L"
verdict "PASS verified" "the roots alone: the chain annotation's intermediate" $ROOTS \
  --certificate-identity qiwan@redhat.com "$L"
# every certificate of --ca-roots is a trust anchor (Go's root pool, which cosign uses)
verdict "PASS verified" "the intermediate given as the root" --ca-roots "$K/pki_intermediate_crts.pem" \
  --certificate-identity qiwan@redhat.com "$L"
verdict "FAIL identity-mismatch" "another identity" $ROOTS $INTER --certificate-identity someone@example.com "$L"
expect_out_has "the certificate's identity is qiwan@redhat.com, not someone@example.com" "another identity: said"
verdict "FAIL identity-mismatch" "an OIDC issuer asked for: the certificate has none" $ROOTS \
  --certificate-identity qiwan@redhat.com --certificate-oidc-issuer https://github.com/login/oauth "$L"
# an issuer regexp is matched against the empty text when there is none, as cosign matches it
verdict "PASS verified" "an issuer regexp that accepts the empty text" $ROOTS \
  --certificate-identity qiwan@redhat.com --certificate-oidc-issuer-regexp '.*' "$L"
verdict "FAIL identity-mismatch" "an issuer regexp that wants some text" $ROOTS \
  --certificate-identity qiwan@redhat.com --certificate-oidc-issuer-regexp '^https://' "$L"
verdict "FAIL untrusted-key" "another root (the Fulcio CA)" --ca-roots "$K/fulcio_v1.crt.pem" \
  --certificate-identity qiwan@redhat.com "$L"
expect_out_has "does not chain to the CA roots given at " "another root: said"
expect_out_has "(the current time: no verified signing time)" "another root: at the current time"
# the same signature without its chain annotation: the root alone does not reach the leaf
rm -rf "$T_TMP/m"
if $PY mutate "$L" "$T_TMP/m" nochain; then
  verdict "FAIL untrusted-key" "no chain annotation, the roots without the intermediate" $ROOTS \
    --certificate-identity qiwan@redhat.com "$T_TMP/m"
  verdict "PASS verified" "no chain annotation, the intermediate given" $ROOTS $INTER \
    --certificate-identity qiwan@redhat.com "$T_TMP/m"
else
  not_ok "the nochain mutation could not be made"
fi
for m in signature:bad-signature payload:bad-signature manifest:subject-mismatch certificate:untrusted-key; do
  rm -rf "$T_TMP/m"
  $PY mutate "$L" "$T_TMP/m" "${m%%:*}" || {
    not_ok "the ${m%%:*} mutation could not be made"
    continue
  }
  verdict "FAIL ${m#*:}" "one byte of the ${m%%:*} changed: ${m#*:}" $ROOTS $INTER \
    --certificate-identity qiwan@redhat.com "$T_TMP/m"
done
# from the archive forms too (sig_layouts.sh has the four forms of the CASE.json verdict)
tar -C "$L" -cf "$T_TMP/l.tar" .
run verify --json $ROOTS --certificate-identity someone@example.com - <"$T_TMP/l.tar"
expect_out_has '"verdict": "identity-mismatch"' "standard input: another identity"

# ---------------------------------------------------------------- usage
run verify --ca-roots "$K/pki_root_crts.pem" "$L"
expect_rc 2 "--ca-roots without an identity: usage"
run verify --ca-intermediates "$K/pki_intermediate_crts.pem" --certificate-identity x "$L"
expect_rc 2 "--ca-intermediates without --ca-roots: usage"
run verify --key "$K/cosign.pub" $ROOTS --certificate-identity x "$L"
expect_rc 2 "--ca-roots with --key: usage"
run verify $ROOTS --certificate-identity x "$T_TMP/no-such-dir"
expect_rc 3 "a missing layout: unreadable"
run verify --ca-roots "$T_TMP/no-such.pem" --certificate-identity x "$L"
expect_rc 3 "a missing --ca-roots file: unreadable"
# read once, before the layout: a usage error naming the file, not a verdict of each signature
run verify --ca-roots "$K/cosign.pub" --certificate-identity qiwan@redhat.com "$L"
expect_rc 2 "roots that are not PEM certificates: usage"
expect_err_has "--ca-roots $K/cosign.pub: not PEM certificates" "roots that are not PEM certificates: the file named"
run verify $ROOTS --ca-intermediates "$K/cosign.pub" --certificate-identity qiwan@redhat.com "$L"
expect_rc 2 "intermediates that are not PEM certificates: usage"
expect_err_has "--ca-intermediates $K/cosign.pub: not PEM certificates" "intermediates not PEM: the file named"
: >"$T_TMP/empty.pem"
run audit --require-signature --ca-roots "$T_TMP/empty.pem" --certificate-identity x "$L"
expect_rc 2 "audit --require-signature, an empty --ca-roots file: usage"

# ---------------------------------------------------------------- a PKI made by openssl
U=$TESTDATA/samples/buildah-amd64-zstd
P=$T_TMP/pki
if ! command -v openssl >/dev/null 2>&1 || [ ! -d "$U" ]; then
  skip "a PKI made by openssl" "openssl or the unsigned fixture is missing"
  finish
fi
mkdir -p "$P"
EC="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >"$P/ca.ext"
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=email:dev@example.com,URI:https://example.com/ci\n' >"$P/leaf.ext"
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=email:dev@example.com\n' >"$P/tls.ext"
# an expired leaf: openssl ca sets dates in the past
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\npolicy=p\ndefault_md=sha256\n[p]\ncommonName=supplied\n' \
  "$P" "$P" "$P" >"$P/ca.cnf"
: >"$P/index.txt"
echo 01 >"$P/serial"
# shellcheck disable=SC2086
if openssl req -x509 $EC -keyout "$P/root.key" -out "$P/root.pem" -days 30 -subj "/CN=ocidig test root" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null &&
  openssl req $EC -keyout "$P/int.key" -out "$P/int.csr" -subj "/CN=ocidig test intermediate" 2>/dev/null &&
  openssl x509 -req -in "$P/int.csr" -CA "$P/root.pem" -CAkey "$P/root.key" -set_serial 2 -days 30 \
    -extfile "$P/ca.ext" -out "$P/int.pem" 2>/dev/null &&
  openssl req $EC -keyout "$P/leaf.key" -out "$P/leaf.csr" -subj "/CN=ocidig test signer" 2>/dev/null &&
  openssl x509 -req -in "$P/leaf.csr" -CA "$P/int.pem" -CAkey "$P/int.key" -set_serial 3 -days 30 \
    -extfile "$P/leaf.ext" -out "$P/leaf.pem" 2>/dev/null &&
  openssl x509 -req -in "$P/leaf.csr" -CA "$P/int.pem" -CAkey "$P/int.key" -set_serial 4 -days 30 \
    -extfile "$P/tls.ext" -out "$P/tls.pem" 2>/dev/null &&
  openssl ca -batch -config "$P/ca.cnf" -cert "$P/int.pem" -keyfile "$P/int.key" -in "$P/leaf.csr" \
    -startdate 20200101000000Z -enddate 20200201000000Z -extfile "$P/leaf.ext" -notext -out "$P/old.pem" 2>/dev/null &&
  cat "$P/int.pem" "$P/root.pem" >"$P/chain.pem"; then
  ok "openssl made a root, an intermediate and three leaves"
else
  not_ok "openssl could not make the PKI"
  finish
fi
for leaf in leaf tls old; do
  rm -rf "$P/signed-$leaf"
  $PY sign "$U" "$P/signed-$leaf" "$P/leaf.key" ecdsa "$P/$leaf.pem" "$P/chain.pem" ||
    not_ok "$leaf: the signed layout could not be made"
done
run verify --ca-roots "$P/root.pem" --certificate-identity dev@example.com "$P/signed-leaf"
expect_rc 0 "a complete layout signed by the PKI's leaf: every image signed"
expect_out_has ": verified by dev@example.com" "verified, by the certificate's email"
run verify --ca-roots "$P/root.pem" --ca-intermediates "$P/int.pem" \
  --certificate-identity https://example.com/ci "$P/signed-leaf"
expect_rc 0 "the URI SAN as the identity"
tar -C "$P/signed-leaf" -cf "$T_TMP/s.tar" . && gzip -c "$T_TMP/s.tar" >"$T_TMP/s.tar.gz"
run verify --ca-roots "$P/root.pem" --certificate-identity dev@example.com "$T_TMP/s.tar.gz"
expect_rc 0 "the signed layout as a tar.gz"
run verify --ca-roots "$P/root.pem" --certificate-identity dev@example.com - <"$T_TMP/s.tar"
expect_rc 0 "the signed layout on standard input"
run verify --ca-roots "$K/pki_root_crts.pem" --certificate-identity dev@example.com "$P/signed-leaf"
expect_rc 6 "another PKI's root: policy not met"
expect_out_has "untrusted-key" "another PKI's root: untrusted-key"
run verify --ca-roots "$P/root.pem" --certificate-identity other@example.com "$P/signed-leaf"
expect_rc 6 "another identity: policy not met"
run verify --ca-roots "$P/root.pem" --certificate-identity dev@example.com "$P/signed-tls"
expect_rc 6 "a leaf for TLS servers only: policy not met"
expect_out_has "not for code signing (EKU)" "a leaf for TLS servers only: said"
run verify --ca-roots "$P/root.pem" --certificate-identity dev@example.com "$P/signed-old"
expect_rc 6 "a leaf expired before now: policy not met"
expect_out_has "expired: at " "a leaf expired before now: expired"
run verify "$P/signed-leaf"
expect_rc 0 "no trust material: exit as before"
expect_out_has "not-verified" "no trust material: listed, not verified"
run audit --require-signature --ca-roots "$P/root.pem" --certificate-identity dev@example.com "$P/signed-leaf"
expect_rc 0 "audit --require-signature --ca-roots: signed"
run audit --require-signature --ca-roots "$K/pki_root_crts.pem" --certificate-identity dev@example.com "$P/signed-leaf"
expect_rc 6 "audit --require-signature --ca-roots, another root: unsigned"
expect_out_has "untrusted-key" "audit: the signature's verdict"

# ---------------------------------------------------------------- the EKU of the chain
# intermediate "srv": a CA for TLS servers only (EKU serverAuth); "cs": a CA whose EKU is
# codeSigning; "noks": a CA whose key usage lacks keyCertSign
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nextendedKeyUsage=serverAuth\n' >"$P/srv.ext"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nextendedKeyUsage=codeSigning\n' >"$P/cs.ext"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n' >"$P/noks.ext"
n=10
for i in srv cs noks; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  if openssl req $EC -keyout "$P/$i.key" -out "$P/$i.csr" -subj "/CN=ocidig test int $i" 2>/dev/null &&
    openssl x509 -req -in "$P/$i.csr" -CA "$P/root.pem" -CAkey "$P/root.key" -set_serial $n -days 30 \
      -extfile "$P/$i.ext" -out "$P/$i.pem" 2>/dev/null &&
    openssl x509 -req -in "$P/leaf.csr" -CA "$P/$i.pem" -CAkey "$P/$i.key" -set_serial 3 -days 30 \
      -extfile "$P/leaf.ext" -out "$P/leaf-$i.pem" 2>/dev/null; then
    rm -rf "$P/signed-$i"
    $PY sign "$U" "$P/signed-$i" "$P/leaf.key" ecdsa "$P/leaf-$i.pem" "$P/$i.pem" ||
      not_ok "$i: the signed layout could not be made"
  else
    not_ok "openssl could not make intermediate $i"
  fi
done
run verify --ca-roots "$P/root.pem" --certificate-identity dev@example.com "$P/signed-srv"
expect_rc 6 "an intermediate for TLS servers only (EKU serverAuth): policy not met"
expect_out_has "untrusted-key: certificate /CN=ocidig test int srv of the signing certificate's chain is not for code signing" \
  "an intermediate for TLS servers only: untrusted-key, the intermediate named"
run verify --ca-roots "$P/root.pem" --certificate-identity dev@example.com "$P/signed-cs"
expect_rc 0 "an intermediate whose EKU is codeSigning: verified"
run verify --ca-roots "$P/root.pem" --certificate-identity dev@example.com "$P/signed-noks"
expect_rc 6 "an intermediate without keyCertSign: refused (OpenSSL's rule; Go accepts it)"
expect_out_has "invalid CA certificate" "an intermediate without keyCertSign: said"

# ---------------------------------------------------------------- cost: the roots read once
ocidig_real
cost() { # COMMAND... --: "CPU-ms rc" of the command (its children's rusage)
  LD_LIBRARY_PATH=${OCIDIG_LIBS:-${LD_LIBRARY_PATH:-}} python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:sys.argv.index("--")], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(int((u.ru_utime + u.ru_stime) * 1000), rc)' "$@"
}
within() { # WHAT GOT BASE NUM DEN SLACK: GOT <= BASE * NUM / DEN + SLACK
  if [ "$2" -le $(($3 * $4 / $5 + $6)) ]; then ok "$1: $2 vs $3"; else not_ok "$1: $2 vs $3: over $4/$5 + $6"; fi
}
# a sanitizer build takes more time (ASan's shadow and quarantine): the bound is not checked there
SANITIZED=no
ASAN_OPTIONS=help=1 "$OCIDIG" --version 2>&1 | grep -q AddressSanitizer && SANITIZED=yes
if [ "$SANITIZED" = yes ]; then
  skip "3,000 roots x 100 layers" "a sanitizer build: time not bounded"
elif python3 -c 'import cryptography' 2>/dev/null; then
  python3 - "$T_TMP/many.pem" 3000 <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
k = ec.generate_private_key(ec.SECP256R1())
t = datetime.datetime(2025, 1, 1)
with open(sys.argv[1], "wb") as f:
    for i in range(int(sys.argv[2])):
        n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other root %d" % i)])
        c = (x509.CertificateBuilder().subject_name(n).issuer_name(n).public_key(k.public_key())
             .serial_number(i + 1).not_valid_before(t).not_valid_after(t + datetime.timedelta(days=3650))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .sign(k, hashes.SHA256()))
        f.write(c.public_bytes(serialization.Encoding.PEM))
PY
  cat "$P/root.pem" >>"$T_TMP/many.pem"
  # the signed layout with its signature manifest's one layer repeated 100 times
  rm -rf "$P/signed-100"
  python3 - "$P/signed-leaf" "$P/signed-100" 100 <<'PY'
import hashlib, json, os, shutil, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
shutil.copytree(src, dst)
index = json.load(open(os.path.join(dst, "index.json")))
for d in index["manifests"]:
    p = os.path.join(dst, "blobs", "sha256", d["digest"][7:])
    man = json.load(open(p))
    if man.get("layers") and man["layers"][0].get("mediaType") == "application/vnd.dev.cosign.simplesigning.v1+json":
        man["layers"] = man["layers"] * n
        data = json.dumps(man).encode()
        h = hashlib.sha256(data).hexdigest()
        open(os.path.join(dst, "blobs", "sha256", h), "wb").write(data)
        d["digest"], d["size"] = "sha256:" + h, len(data)
json.dump(index, open(os.path.join(dst, "index.json"), "w"))
PY
  run verify --ca-roots "$T_TMP/many.pem" --certificate-identity dev@example.com "$P/signed-100"
  expect_rc 0 "3,000 roots, 100 signature layers: verified"
  # identity-mismatch: each failing verdict is verified twice
  set -- $(cost "$OCIDIG_REAL" verify --ca-roots "$T_TMP/many.pem" --certificate-identity other@x "$P/signed-leaf" --)
  one=$1
  set -- $(cost "$OCIDIG_REAL" verify --ca-roots "$T_TMP/many.pem" --certificate-identity other@x "$P/signed-100" --)
  within "3,000 roots, 100 layers (identity-mismatch): CPU ms (vs one layer)" "$1" "$one" 3 1 300
else
  skip "3,000 roots x 100 layers" "python3's cryptography is missing"
fi

finish
