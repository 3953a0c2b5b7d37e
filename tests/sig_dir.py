#!/usr/bin/env python3
"""sig_dir.py: helpers of tests/sig_dir.sh (standard library only, no network).

  verdicts JSON DIGEST        from a `verify --json` report: "PASS" when a signature attached
                              to DIGEST verified, else "FAIL"; then their verdicts, in order
  mutate SRC DST WHAT         a copy of the dir: layout SRC whose signature-1 is changed:
                              payload (one byte of the decoded payload), signature (one byte
                              of the decoded signature), certificate (one byte of its DER, in
                              the issuer's signature), set (one byte of the Rekor SET),
                              manifest (manifest.json gets one more byte), truncated (the
                              file's first half), prefix-only (its first 5 bytes), garbage
                              (random bytes after the sigstore prefix), huge (5 MiB after the
                              prefix), unknown-format ("\\0x-other\\n" first), no-newline (a 0
                              byte and no newline), long-format (a 100-byte name), binary-format
                              (a name with a control byte), annotation-number (an annotation's
                              value a number)
  sign SRC DST KEY [FOLDER [HEX]]  a copy of the dir: layout SRC whose image folder FOLDER
                              (default the root) gets a signature-1 in containers/image's
                              sigstore format ("\\0sigstore-json\\n" + JSON), an ECDSA signature
                              openssl makes with the private key KEY over a simple-signing
                              payload naming the folder's manifest.json (HEX: the per-platform
                              manifest HEX.manifest.json, and the file is HEX.signature-1)
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys

PREFIX = b"\x00sigstore-json\n"


def verdicts(report, digest):
    with open(report) as f:
        r = json.load(f)
    sigs = [s for s in r.get("signatures", []) if s["subject"] == digest]
    ok = any(s["verified"] for s in sigs)
    print(("PASS" if ok else "FAIL") + " " + ",".join(s["verdict"] for s in sigs))


def flip_b64(text, at=None):
    raw = bytearray(base64.b64decode(text))
    raw[len(raw) // 2 if at is None else at] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def read_sig(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data.startswith(PREFIX), path
    return json.loads(data[len(PREFIX):])


def write_sig(path, doc):
    with open(path, "wb") as f:
        f.write(PREFIX + json.dumps(doc, separators=(",", ":")).encode())


def mutate(src, dst, what):
    shutil.copytree(src, dst)
    for root, _, files in os.walk(dst):
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    path = os.path.join(dst, "signature-1")
    with open(path, "rb") as f:
        data = f.read()
    if what in ("payload", "signature", "certificate", "set", "annotation-number"):
        doc = read_sig(path)
        ann = doc["annotations"]
        if what == "payload":
            doc["payload"] = flip_b64(doc["payload"], 5)  # "critical" -> "criuical": still JSON, another message
        elif what == "signature":
            ann["dev.cosignproject.cosign/signature"] = flip_b64(ann["dev.cosignproject.cosign/signature"])
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
        else:
            ann["dev.sigstore.cosign/certificate"] = 12
        write_sig(path, doc)
        return
    if what == "manifest":
        with open(os.path.join(dst, "manifest.json"), "ab") as f:
            f.write(b"\n")
        return
    if what == "truncated":
        data = data[:len(data) // 2]
    elif what == "prefix-only":
        data = data[:5]
    elif what == "garbage":
        data = PREFIX + bytes((i * 131 + 7) % 256 for i in range(300))
    elif what == "huge":
        data = PREFIX + b" " * (5 << 20) + data[len(PREFIX):]
    elif what == "unknown-format":
        data = b"\x00x-other\n" + data[len(PREFIX):]
    elif what == "no-newline":
        data = b"\x00" + b"a" * 100
    elif what == "long-format":  # the newline after 100 bytes: a (long) format's name
        data = b"\x00" + b"x" * 100 + b"\n" + data[len(PREFIX):]
    elif what == "binary-format":
        data = b"\x00sig\x01store\n" + data[len(PREFIX):]
    else:
        sys.exit("unknown mutation " + what)
    with open(path, "wb") as f:
        f.write(data)


def sign(src, dst, key, folder="", instance=""):
    shutil.copytree(src, dst)
    for root, _, files in os.walk(dst):
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    where = os.path.join(dst, folder)
    with open(os.path.join(where, instance + ".manifest.json" if instance else "manifest.json"), "rb") as f:
        digest = "sha256:" + hashlib.sha256(f.read()).hexdigest()
    payload = json.dumps({"critical": {"identity": {"docker-reference": "example.com/ocidig/signed"},
                                       "image": {"docker-manifest-digest": digest},
                                       "type": "cosign container image signature"},
                          "optional": None}, separators=(",", ":")).encode()
    pfile = dst.rstrip("/") + ".payload"
    with open(pfile, "wb") as f:
        f.write(payload)
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, pfile], check=True,
                         capture_output=True).stdout
    os.unlink(pfile)
    write_sig(os.path.join(where, instance + ".signature-1" if instance else "signature-1"), {
        "mimeType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "payload": base64.b64encode(payload).decode(),
        "annotations": {"dev.cosignproject.cosign/signature": base64.b64encode(sig).decode()}})


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "verdicts":
        verdicts(sys.argv[2], sys.argv[3])
    elif cmd == "mutate":
        mutate(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "sign":
        sign(sys.argv[2], sys.argv[3], sys.argv[4], *sys.argv[5:7])
    else:
        sys.exit("usage: sig_dir.py verdicts|mutate|sign ...")
