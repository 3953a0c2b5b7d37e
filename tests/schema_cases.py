#!/usr/bin/env python3
"""schema_cases.py: `ocidig verify` against the OCI image-spec's own schema tests.

testdata/image-spec/schema-cases.json holds the table-driven cases of schema/*_test.go of
opencontainers/image-spec (and the JSON examples of its markdown files that spec_test.go
validates), each with the verdict the schema test expects (`fail`).  Each case's document is
placed in every position of a layout where verify must check it:

  index       index.json itself, and a nested index (a blob index.json points at)
  manifest    a manifest blob listed in index.json
  config      the config blob of a manifest listed in index.json
  descriptor  an entry of index.json, and a layer of a manifest listed in index.json
  layout      the oci-layout file

and `ocidig verify --json` runs over it.  The documents point at blobs the layout does not
hold (the cases carry digests of content nobody has): what follows from that alone
(blob-missing, image-incomplete, foreign-layer-absent, blob-unreferenced, info) is not the
document's verdict and is left out.  Of the rest:

  fail: true   at least one error (or, where the spec's text makes the rule a SHOULD, the
               warning that names it: SHOULD below);
  fail: false  no error, and no warning except unsupported-digest-algorithm (the spec says
               implementations SHOULD let digests of an unregistered algorithm pass
               validation: verify warns that it cannot verify them).

DERIVED: three config cases carry a second defect ("os": 123) besides the one they test;
each is also run with "os": "linux" so that its own defect must be found alone.

Prints one TAP line per (case, position) and "N passed, N failed".
usage: schema_cases.py OCIDIG CASES_JSON WORKDIR [WRAPPER...]
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar"

# Findings that follow from the layout holding only the case's documents.
IGNORED = {"blob-missing", "image-incomplete", "foreign-layer-absent", "blob-unreferenced"}
# Warnings a valid document may draw.
PASS_WARNINGS = {"unsupported-digest-algorithm"}

# Cases whose rule the spec's text makes a SHOULD: the warning code that must name it.
SHOULD = {
    "manifest:Manifest:5": ("layers-empty", "manifest.md: layers SHOULD have at least one entry"),
    "config:Config:9": ("config-env-invalid", "config.md: Env entries are VARNAME=VARVALUE"),
}

# Cases that carry a second defect besides the one they test (see DERIVED above).
DERIVED_OS = {"config:Config:3", "config:Config:4", "config:Config:5"}

# Expected failures: (case id, position) pairs verify does not yet get right.  A pair listed
# here that passes is an unexpected pass (a failure): remove it when fixing it.
XFAIL = set()


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


class Layout:
    def __init__(self, root):
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(os.path.join(root, "blobs", "sha256"))
        self.root = root
        self.write("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')

    def write(self, name, data):
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(data)

    def blob(self, data, media_type):
        d = sha256(data)
        self.write(os.path.join("blobs", "sha256", d.split(":", 1)[1]), data)
        return {"mediaType": media_type, "digest": d, "size": len(data)}

    def index_json(self, manifests):
        self.write("index.json", json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX,
                                             "manifests": manifests}).encode())

    def manifest(self, config, layers):
        m = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": config, "layers": layers}
        return self.blob(json.dumps(m).encode(), MT_MANIFEST)


# A config and a layer that verify finds nothing wrong with.
LAYER = b"a layer's bytes (verify hashes layers, it does not read them)\n"


def good_config(lay):
    c = {"architecture": "amd64", "os": "linux",
         "rootfs": {"type": "layers", "diff_ids": [sha256(LAYER)]}}
    return lay.blob(json.dumps(c).encode(), MT_CONFIG)


def doc_media_type(doc, default):
    try:
        v = json.loads(doc)
    except ValueError:
        return default
    if isinstance(v, dict) and isinstance(v.get("mediaType"), str):
        return v["mediaType"]
    return default


def place(kind, doc, root):
    """Yields (position, layout root) for each position of a document of this kind."""
    raw = doc.encode()
    if kind == "index":
        lay = Layout(root + "-top")
        lay.write("index.json", raw)
        yield "as index.json", lay.root
        lay = Layout(root + "-nested")
        lay.index_json([lay.blob(raw, MT_INDEX)])
        yield "as a nested index", lay.root
    elif kind == "manifest":
        lay = Layout(root)
        lay.index_json([lay.blob(raw, doc_media_type(doc, MT_MANIFEST))])
        yield "as a manifest in index.json", lay.root
    elif kind == "config":
        lay = Layout(root)
        lay.index_json([lay.manifest(lay.blob(raw, MT_CONFIG), [lay.blob(LAYER, MT_LAYER)])])
        yield "as a manifest's config", lay.root
    elif kind == "descriptor":
        lay = Layout(root + "-index")
        lay.write("index.json", b'{"schemaVersion":2,"mediaType":"' + MT_INDEX.encode() +
                  b'","manifests":[' + raw + b"]}")
        yield "in index.json", lay.root
        lay = Layout(root + "-layer")
        m = b'{"schemaVersion":2,"mediaType":"' + MT_MANIFEST.encode() + b'","config":' + \
            json.dumps(good_config(lay)).encode() + b',"layers":[' + raw + b"]}"
        lay.index_json([lay.blob(m, MT_MANIFEST)])
        yield "as a layer", lay.root
    elif kind == "layout":
        lay = Layout(root)
        lay.write("oci-layout", raw)
        lay.index_json([])
        yield "as oci-layout", lay.root
    else:
        raise SystemExit("unknown kind " + kind)


def run_verify(cmd, root):
    p = subprocess.run(cmd + ["verify", "--json", root], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        rep = json.loads(p.stdout.decode())
    except ValueError:
        rep = None
    return p.returncode, rep, p.stderr.decode(errors="replace")


def judge(case_id, fail, rc, rep, err):
    """(passed, explanation)"""
    if rep is None:
        # verify stops before it reports (exit 3: the layout itself is unusable).
        if fail and rc == 3:
            return True, "verify stops, exit 3 (%s)" % err.strip()[:120]
        return False, "no JSON report, exit %d: %s" % (rc, err.strip()[:200])
    found = [f for f in rep.get("findings", [])
             if f["code"] not in IGNORED and f["severity"] != "info"]
    errors = [f for f in found if f["severity"] == "error"]
    warnings = [f for f in found if f["severity"] == "warning"]
    show = "; ".join("%s %s: %s" % (f["severity"], f["code"], f["message"][:160]) for f in found) or "none"
    if not fail:
        bad = errors + [w for w in warnings if w["code"] not in PASS_WARNINGS]
        if bad:
            return False, "valid, but verify says: " + show
        return True, "valid: no error" + (" (warnings: %s)" % show if warnings else "")
    if case_id in SHOULD:
        code, rule = SHOULD[case_id]
        if any(f["code"] == code for f in warnings + errors):
            return True, "warning %s (the spec makes it a SHOULD: %s)" % (code, rule)
        return False, "expected the SHOULD warning %s (%s); verify says: %s" % (code, rule, show)
    if errors:
        return True, "invalid: " + show
    return False, "invalid, but verify finds no error; it says: " + show


def main():
    ocidig, cases_path, work = sys.argv[1:4]
    cmd = sys.argv[4:] + [ocidig]
    data = json.load(open(cases_path))
    cases = []
    for c in data["cases"]:
        cases.append((c["id"], c["kind"], c["doc"], c["fail"], c.get("comment", "")))
        if c["id"] in DERIVED_OS:
            v = json.loads(c["doc"])
            v["os"] = "linux"
            cases.append((c["id"] + "+os-valid", c["kind"], json.dumps(v, indent=2), True,
                          "derived: " + c.get("comment", "") + ", with a valid os"))
    passed = failed = 0
    seen_xfail = set()
    for n, (cid, kind, doc, fail, comment) in enumerate(cases):
        for pos, root in place(kind, doc, os.path.join(work, "case%d" % n)):
            rc, rep, err = run_verify(cmd, root)
            good, why = judge(cid.replace("+os-valid", ""), fail, rc, rep, err)
            key = (cid, pos)
            label = "%s %s (%s): %s" % (cid, pos, comment[:70], why)
            if key in XFAIL:
                seen_xfail.add(key)
                if good:
                    failed += 1
                    print("not ok - XPASS (remove it from XFAIL) " + label)
                else:
                    passed += 1
                    print("ok - XFAIL " + label)
            elif good:
                passed += 1
                print("ok - " + label)
            else:
                failed += 1
                print("not ok - " + label)
            shutil.rmtree(root, ignore_errors=True)
    for key in sorted(XFAIL - seen_xfail):
        failed += 1
        print("not ok - XFAIL entry %s %s names no case" % key)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
