#!/bin/bash
# layers_fixtures.sh: testdata/layers/ (tests/gen_layers.py) holds what testdata/README.md
# says, checked with other tools than ocidig (gzip, zstd, sha256, tar): each image's layers
# decode (or fail to) as described, its diff_ids match the decoded layers (or do not), the
# hazards layer has each hazard; and blob-level `ocidig verify` passes on every one of them
# (what is wrong is inside the layers, where only verify --deep looks).
. "$TESTS_DIR/lib.sh"
L=$TESTDATA/layers

# One line per image: "layers=N diff_ids=N decode=S,S,... diff_id=M,M,..." where S is what
# gzip -dc / zstd -dc / cat said (ok, error, trailing) and M whether sha256 of the decoded
# bytes is the config's diff_id at that position (yes, no, none).
summary() {
  python3 - "$1" <<'PY'
import hashlib, json, os, subprocess, sys
root = sys.argv[1]
def blob(d): return os.path.join(root, "blobs", "sha256", d.split(":")[1])
idx = json.load(open(os.path.join(root, "index.json")))
m = idx["manifests"][0]
doc = json.load(open(blob(m["digest"])))
out = []
for man in ([json.load(open(blob(x["digest"]))) for x in doc["manifests"]] if "manifests" in doc else [doc]):
    cfg = json.load(open(blob(man["config"]["digest"])))
    ids = cfg["rootfs"]["diff_ids"]
    dec, match = [], []
    for i, l in enumerate(man["layers"]):
        mt = l["mediaType"]
        cmd = ["gzip", "-dc"] if mt.endswith("gzip") else ["zstd", "-dc"] if mt.endswith("zstd") else ["cat"]
        p = subprocess.run(cmd + [blob(l["digest"])], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = p.stderr.decode()
        dec.append("trailing" if "trailing garbage" in err else "ok" if p.returncode == 0 else "error")
        h = "sha256:" + hashlib.sha256(p.stdout).hexdigest()
        match.append("none" if i >= len(ids) else "yes" if ids[i] == h else "no")
    out.append("layers=%d diff_ids=%d decode=%s diff_id=%s" % (len(man["layers"]), len(ids), ",".join(dec), ",".join(match)))
print(" | ".join(out))
PY
}

want() { # IMAGE SUMMARY
  expect_eq "$(summary "$L/$1" 2>&1)" "$2" "$1: $2"
}
want umoci-multi "layers=3 diff_ids=3 decode=ok,ok,ok diff_id=yes,yes,yes"
want skopeo-zstd "layers=3 diff_ids=3 decode=ok,ok,ok diff_id=yes,yes,yes"
want gnutar-whiteouts "layers=4 diff_ids=4 decode=ok,ok,ok,ok diff_id=yes,yes,yes,yes"
want hazards "layers=2 diff_ids=2 decode=ok,ok diff_id=yes,yes"
want shared-layer "layers=2 diff_ids=2 decode=ok,ok diff_id=yes,yes | layers=2 diff_ids=2 decode=ok,ok diff_id=yes,yes"
want wrong-diffid "layers=3 diff_ids=3 decode=ok,ok,ok diff_id=yes,no,yes"
want count-mismatch "layers=3 diff_ids=2 decode=ok,ok,ok diff_id=yes,yes,none"
want truncated-gzip "layers=3 diff_ids=3 decode=ok,error,ok diff_id=yes,no,yes"
want trailing-garbage "layers=3 diff_ids=3 decode=ok,trailing,ok diff_id=yes,yes,yes"

# media types: skopeo-zstd's layers are zstd, gnutar-whiteouts has gzip, tar and zstd
types() { python3 -c '
import json, os, sys
r = sys.argv[1]
b = lambda d: os.path.join(r, "blobs", "sha256", d.split(":")[1])
m = json.load(open(b(json.load(open(os.path.join(r, "index.json")))["manifests"][0]["digest"])))
print(" ".join(l["mediaType"].rsplit(".", 1)[1] for l in m["layers"]))' "$1"; }
expect_eq "$(types "$L/skopeo-zstd")" "tar+zstd tar+zstd tar+zstd" "skopeo-zstd: zstd layers"
expect_eq "$(types "$L/gnutar-whiteouts")" "tar+gzip tar+gzip tar tar+zstd" "gnutar-whiteouts: gzip, gzip, tar, zstd"

# shared-layer: both platforms' first layer is the same blob
got=$(python3 -c '
import json, os, sys
r = sys.argv[1]
b = lambda d: os.path.join(r, "blobs", "sha256", d.split(":")[1])
ix = json.load(open(b(json.load(open(os.path.join(r, "index.json")))["manifests"][0]["digest"])))
ls = [json.load(open(b(m["digest"])))["layers"] for m in ix["manifests"]]
print(len(ix["manifests"]), ls[0][0] == ls[1][0], ls[0][1] == ls[1][1])' "$L/shared-layer")
expect_eq "$got" "2 True False" "shared-layer: two platforms, the first layer shared"

# hazards: the upper layer's entries, as GNU tar lists them
hz=$(python3 -c '
import json, os, sys
r = sys.argv[1]
b = lambda d: os.path.join(r, "blobs", "sha256", d.split(":")[1])
m = json.load(open(b(json.load(open(os.path.join(r, "index.json")))["manifests"][0]["digest"])))
print(b(m["layers"][1]["digest"]))' "$L/hazards")
list=$(tar -tvzf "$hz" 2>/dev/null | awk '{print $1, $NF}')
for e in "-rw-r--r-- /abs-file" "-rw-r--r-- ../dotdot-file" "-rw-r--r-- mid/../../dotdot-mid" \
  "-rw-r--r-- lnk/shadow" "lrwxrwxrwx /usr" "-rw-r--r-- s/through" "crw-rw-rw- dev/null2" \
  "brw-rw---- dev/sda9" "prw-r--r-- fifo" "-rwsr-xr-x bin/suid" "-rwxr-sr-x bin/sgid" \
  "-rw-rw-rw- ww-file" "drwxrwxrwx ww-dir/" "-rw-r--r-- .wh.gone" "-rw-r--r-- plainfile/.wh..wh..opq" \
  "hrw-r--r-- no/such/file"; do
  case "$list" in *"$e"*) ok "hazards: $e" ;; *) not_ok "hazards: no '$e' in: $list" ;; esac
done
expect_eq "$(tar -tzf "$hz" 2>/dev/null | grep -c '^no/such/file$')" 0 "hazards: nothing named no/such/file (hl links to nothing)"

# docker-save.tar: docker save's format as skopeo writes it
expect_eq "$(tar -tf "$L/docker-save.tar" | grep -c -E '^(manifest.json|repositories|[0-9a-f]{64}/layer.tar)$')" 5 \
  "docker-save.tar: manifest.json, repositories, three layer.tar"

for f in umoci-multi skopeo-zstd gnutar-whiteouts hazards shared-layer wrong-diffid count-mismatch \
  truncated-gzip trailing-garbage docker-save.tar; do
  run verify "$L/$f"
  expect_rc 0 "verify (blobs only) $f"
done
finish
