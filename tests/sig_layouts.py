#!/usr/bin/env python3
"""sig_layouts.py: helpers of tests/sig_layouts.sh (no network, standard library only).

  cases LAYOUTS KEYS PROD     one line per expected verdict of each layouts/*/CASE.json:
                              case|sparse|image digest|want|args (tab-separated args)
  verdict JSON DIGEST         from a `verify --json` report: "PASS" when a signature
                              attached to DIGEST verified, else "FAIL"; then the verdicts
  sign SRC DST KEY ALG [CERT [CHAIN]]
                              a copy of the complete layout SRC whose first image carries a
                              cosign signature (tag sha256-<hex>.sig) made by openssl with the
                              private key KEY (ALG: ecdsa, rsa, rsa-pss, ed25519); with CERT
                              (and CHAIN), PEM files: its certificate and chain annotations
  mutate SRC DST WHAT         a copy of the layout SRC with one thing of its cosign
                              signature changed (signature, payload, manifest, certificate,
                              set, nochain: the chain annotation removed), every digest it
                              changes rewritten so that the layout
                              stays intact: only the signature's verdict may change.
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys


def cases(layouts, keys, prod):
    for name in sorted(os.listdir(layouts)):
        path = os.path.join(layouts, name, "CASE.json")
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            c = json.load(f)
        for e in c["expected"]:
            if "verdict" not in e:
                continue
            if "key" in e:
                args = ["--key", os.path.join(keys, os.path.basename(e["key"]))]
            elif "trusted_root" in e:
                args = ["--trusted-root", os.path.join(keys, os.path.basename(e["trusted_root"])),
                        "--certificate-identity-regexp", ".*", "--certificate-oidc-issuer-regexp", ".*"]
            elif "fulcio_ca" in e:
                # fulcio_v1.crt.pem and rekor.pub are the public-good instance's: the production root holds both
                args = ["--trusted-root", prod, "--certificate-identity", e["subject_email"],
                        "--certificate-oidc-issuer", e["oidc_issuer"]]
            elif "ca_roots" in e:
                # a private PKI (cosign --ca-roots): the subject's email as the identity
                args = ["--ca-roots", os.path.join(keys, os.path.basename(e["ca_roots"]))]
                if "ca_intermediates" in e:
                    args += ["--ca-intermediates", os.path.join(keys, os.path.basename(e["ca_intermediates"]))]
                args += ["--certificate-identity", e["subject_email"]]
            else:
                sys.exit(name + ": an expected verdict without trust material this script knows")
            print("|".join([name, "sparse" if c.get("sparse") else "full", c["image_digest"], e["verdict"],
                            "\t".join(args)]))


def verdict(report, digest):
    with open(report) as f:
        r = json.load(f)
    sigs = [s for s in r.get("signatures", []) if s["subject"] == digest]
    ok = any(s["verified"] for s in sigs)
    print(("PASS" if ok else "FAIL") + " " + ",".join(s["verdict"] for s in sigs))


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def put_blob(root, data):
    d = sha(data)
    with open(os.path.join(root, "blobs", "sha256", d[7:]), "wb") as f:
        f.write(data)
    return d


def get_blob(root, digest):
    with open(os.path.join(root, "blobs", "sha256", digest.split(":")[1]), "rb") as f:
        return f.read()


def flip_b64(text, at=None):
    raw = bytearray(base64.b64decode(text))
    i = len(raw) // 2 if at is None else at
    raw[i] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def mutate(src, dst, what):
    shutil.copytree(src, dst)
    with open(os.path.join(dst, "index.json")) as f:
        index = json.load(f)
    sig = next(m for m in index["manifests"]
               if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith(".sig"))
    man = json.loads(get_blob(dst, sig["digest"]))
    layer = man["layers"][-1]
    ann = layer["annotations"]
    if what == "signature":
        ann["dev.cosignproject.cosign/signature"] = flip_b64(ann["dev.cosignproject.cosign/signature"])
    elif what == "payload":
        data = get_blob(dst, layer["digest"]) + b" "  # still JSON, the same claim: other bytes
        layer["digest"], layer["size"] = put_blob(dst, data), len(data)
    elif what == "manifest":
        img = next(m for m in index["manifests"] if m["digest"] == "sha256:" + sig["annotations"][
            "org.opencontainers.image.ref.name"][7:71])
        data = get_blob(dst, img["digest"]) + b"\n"
        img["digest"], img["size"] = put_blob(dst, data), len(data)
        sig["annotations"]["org.opencontainers.image.ref.name"] = "sha256-" + img["digest"][7:] + ".sig"
    elif what == "certificate":
        pem = ann["dev.sigstore.cosign/certificate"]
        body = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
        der = bytearray(base64.b64decode(body))
        der[-1] ^= 0x01  # in the issuer's signature over it: the certificate still parses
        b64 = base64.b64encode(bytes(der)).decode()
        ann["dev.sigstore.cosign/certificate"] = ("-----BEGIN CERTIFICATE-----\n" + "\n".join(
            b64[i:i + 64] for i in range(0, len(b64), 64)) + "\n-----END CERTIFICATE-----\n")
    elif what == "set":
        b = json.loads(ann["dev.sigstore.cosign/bundle"])
        b["SignedEntryTimestamp"] = flip_b64(b["SignedEntryTimestamp"])
        ann["dev.sigstore.cosign/bundle"] = json.dumps(b, separators=(",", ":"))
    elif what == "nochain":
        del ann["dev.sigstore.cosign/chain"]
    else:
        sys.exit("unknown mutation " + what)
    data = json.dumps(man, separators=(",", ":")).encode()
    sig["digest"], sig["size"] = put_blob(dst, data), len(data)
    with open(os.path.join(dst, "index.json"), "w") as f:
        json.dump(index, f, indent=2)


def sign(src, dst, key, alg, cert=None, chain=None):
    shutil.copytree(src, dst)
    with open(os.path.join(dst, "index.json")) as f:
        index = json.load(f)
    image = index["manifests"][0]
    payload = json.dumps({"critical": {"identity": {"docker-reference": "example.com/signed"},
                                       "image": {"docker-manifest-digest": image["digest"]},
                                       "type": "cosign container image signature"},
                          "optional": None}, separators=(",", ":")).encode()
    pfile = os.path.join(dst, "..", "payload")
    with open(pfile, "wb") as f:
        f.write(payload)
    if alg == "ed25519":  # over the bytes themselves
        cmd = ["openssl", "pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", pfile]
    else:  # over their SHA-256
        cmd = ["openssl", "dgst", "-sha256", "-sign", key]
        if alg == "rsa-pss":
            cmd += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]
        cmd.append(pfile)
    sig = subprocess.run(cmd, check=True, capture_output=True).stdout
    pd = put_blob(dst, payload)
    # the config cosign writes for a signature image (as in the fixtures' signature manifests)
    cfg = json.dumps({"architecture": "", "created": "0001-01-01T00:00:00Z",
                      "history": [{"created": "0001-01-01T00:00:00Z"}], "os": "",
                      "rootfs": {"type": "layers", "diff_ids": [pd]}, "config": {}},
                     separators=(",", ":")).encode()
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(cfg),
                      "digest": put_blob(dst, cfg)},
           "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "size": len(payload),
                       "digest": pd,
                       "annotations": {"dev.cosignproject.cosign/signature": base64.b64encode(sig).decode()}}]}
    for path, name in ((cert, "certificate"), (chain, "chain")):
        if path:
            with open(path) as f:
                man["layers"][0]["annotations"]["dev.sigstore.cosign/" + name] = f.read()
    data = json.dumps(man, separators=(",", ":")).encode()
    index["manifests"].append({"mediaType": man["mediaType"], "digest": put_blob(dst, data), "size": len(data),
                               "annotations": {"org.opencontainers.image.ref.name":
                                               "sha256-" + image["digest"][7:] + ".sig"}})
    with open(os.path.join(dst, "index.json"), "w") as f:
        json.dump(index, f)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "cases":
        cases(*sys.argv[2:5])
    elif cmd == "verdict":
        verdict(*sys.argv[2:4])
    elif cmd == "sign":
        sign(*sys.argv[2:8])
    elif cmd == "mutate":
        mutate(*sys.argv[2:5])
    else:
        sys.exit("usage: sig_layouts.py cases|verdict|mutate ...")
