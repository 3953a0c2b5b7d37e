#!/usr/bin/env python3
"""mk_ntn_chain.py OUTDIR: Notation JWS envelopes made with Python's cryptography (not by
ocidig) over the check_notation target (sha256:19dbd2e4..., 481 bytes), signed by a leaf
under an intermediate under a root (the root in OUTDIR/truststore/x509/ca/t/), with
OUTDIR/trustpolicy.json.  One envelope per case, OUTDIR/CASE.jws:
  es256        EC P-256 leaf, ES256, EKU codeSigning: Notation verifies it
  es384        EC P-384 leaf, ES384: verifies
  ocsp         EKU codeSigning + OCSPSigning: notation-core-go refuses the leaf
  rsa_es       RSA-2048 leaf, alg ES256 in the header: alg does not match the key"""
import base64, datetime, json, os, sys
from cryptography import x509
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

out = sys.argv[1]
now = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"), x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "WA"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Review"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def ku(ca):
    return x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False, data_encipherment=False,
                         key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)
def cert(subj, key, issuer, ikey, ca, eku=None, pathlen=None):
    b = (x509.CertificateBuilder().subject_name(name(subj)).issuer_name(name(issuer)).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=36500))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen), critical=True)
         .add_extension(ku(ca), critical=True))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return b.sign(ikey, hashes.SHA384() if isinstance(ikey, ec.EllipticCurvePrivateKey) and ikey.curve.key_size == 384 else hashes.SHA256())
rk = ec.generate_private_key(ec.SECP384R1()); root = cert("root", rk, "root", rk, True)
ik = ec.generate_private_key(ec.SECP384R1()); inter = cert("inter", ik, "root", rk, True, pathlen=0)
os.makedirs(out + "/truststore/x509/ca/t", exist_ok=True)
open(out + "/truststore/x509/ca/t/root.pem", "wb").write(root.public_bytes(serialization.Encoding.PEM))
json.dump({"version": "1.0", "trustPolicies": [{"name": "t", "registryScopes": ["*"], "signatureVerification": {"level": "strict"},
           "trustStores": ["ca:t"], "trustedIdentities": ["x509.subject: C=US, ST=WA, O=Review"]}]}, open(out + "/trustpolicy.json", "w"))
b64u = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
payload = json.dumps({"targetArtifact": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0", "size": 481}}).encode()
def envelope(case, lk, alg, eku):
    leaf = cert("leaf-" + case, lk, "inter", ik, False, eku=eku)
    prot = {"alg": alg, "crit": ["io.cncf.notary.signingScheme"], "cty": "application/vnd.cncf.notary.payload.v1+json",
            "io.cncf.notary.signingScheme": "notary.x509", "io.cncf.notary.signingTime": "2023-06-01T00:00:00Z"}
    p = b64u(json.dumps(prot).encode()); pl = b64u(payload)
    tbs = (p + "." + pl).encode()
    h = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[alg[2:]]
    if isinstance(lk, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(lk.sign(tbs, ec.ECDSA(h)))
        n = (lk.curve.key_size + 7) // 8
        sig = r.to_bytes(n, "big") + s.to_bytes(n, "big")
    else:
        sig = lk.sign(tbs, padding.PSS(padding.MGF1(h), h.digest_size), h)
    env = {"payload": pl, "protected": p, "header": {"x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
           for c in (leaf, inter, root)]}, "signature": b64u(sig)}
    json.dump(env, open("%s/%s.jws" % (out, case), "w"))
CS = ExtendedKeyUsageOID.CODE_SIGNING
envelope("es256", ec.generate_private_key(ec.SECP256R1()), "ES256", [CS])
envelope("es384", ec.generate_private_key(ec.SECP384R1()), "ES384", [CS])
envelope("es521", ec.generate_private_key(ec.SECP521R1()), "ES512", [CS])
envelope("ocsp", ec.generate_private_key(ec.SECP256R1()), "ES256", [CS, ExtendedKeyUsageOID.OCSP_SIGNING])
envelope("rsa_es", rsa.generate_private_key(65537, 2048), "ES256", [CS])
envelope("ps256", rsa.generate_private_key(65537, 2048), "PS256", [CS])
