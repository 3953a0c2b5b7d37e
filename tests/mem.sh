#!/bin/sh
# mem.sh: verify's blob table refers to the member table (a blob's digest is read from its
# member's name; only a digest that names no member keeps its own string), and its rows are
# made from compact records: the cases where that could go wrong, each checked against
# values Python computes from the bytes it wrote (hashlib), never against ocidig's own:
#   - sha512 blobs (blobs/sha512/<128 hex>): the image's digest, its platform's manifest;
#   - a digest that names no member (a layer absent): the missing row and the finding;
#   - unreferenced blobs of both algorithms, reported in the order of their digests;
#   - in the tar form, a member replaced by a later one of the same name (duplicate-member;
#     the last copy is the one verified), and a symbolic link under blobs/ (a name the
#     member table does not hold as a file: the blob keeps its own string);
#   - the directory and the tar give the same images and the same findings otherwise.
. "$TESTS_DIR/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "mem suite" "no python3"
  finish
  exit $?
fi

python3 - "$T_TMP" <<'PY'
import hashlib, io, json, os, sys, tarfile
root = sys.argv[1]
d = os.path.join(root, "dir")
for alg in ("sha256", "sha512"):
    os.makedirs(os.path.join(d, "blobs", alg))
members = []  # (name, bytes) in archive order
def put(data, alg="sha256"):
    h = hashlib.new(alg, data).hexdigest()
    name = "blobs/%s/%s" % (alg, h)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    members.append((name, data))
    return "%s:%s" % (alg, h)
MT_M = "application/vnd.oci.image.manifest.v1+json"
config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
layer = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"
cd, ld = put(config), put(layer)
absent = "sha256:" + hashlib.sha256(b"never written").hexdigest()
def manifest(layers, tag):
    return json.dumps({"schemaVersion": 2, "mediaType": MT_M,
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(config)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": x, "size": n}
                                  for x, n in layers],
                       "annotations": {"tag": tag}}).encode()
ma = manifest([(ld, len(layer))], "a")
mb = manifest([(ld, len(layer)), (absent, 7)], "b")
mc = manifest([(ld, len(layer))], "c")
da, db, dc = put(ma, "sha512"), put(mb), put(mc)
unref = [put(b"loose one"), put(b"loose two", "sha512"), put(b"loose three"), put(b"loose four", "sha512")]
def entry(digest, data, name):
    return {"mediaType": MT_M, "digest": digest, "size": len(data),
            "annotations": {"org.opencontainers.image.ref.name": name}}
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [entry(da, ma, "a"), entry(db, mb, "b"), entry(dc, mc, "c")]}).encode()
for name, data in (("index.json", index), ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    members.append((name, data))
# the tar: image c's manifest first as other bytes, then as itself (the last copy is used);
# a symbolic link under blobs/ to the config (a link member is not read: link-member)
linkname = "blobs/sha256/" + hashlib.sha256(b"link").hexdigest()
with tarfile.open(os.path.join(root, "layout.tar"), "w", format=tarfile.PAX_FORMAT) as tf:
    def add(name, data):
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode, ti.mtime = len(data), 0o444, 0
        tf.addfile(ti, io.BytesIO(data))
    add("blobs/sha256/" + dc.split(":")[1], b'{"not":"this copy"}')
    for name, data in members:
        add(name, data)
    ti = tarfile.TarInfo(linkname)
    ti.type, ti.linkname, ti.mtime = tarfile.SYMTYPE, cd.split(":")[1], 0
    tf.addfile(ti)
with open(os.path.join(root, "expect.json"), "w") as f:
    json.dump({"a": da, "b": db, "c": dc, "absent": absent, "unref": sorted(unref),
               "link": "sha256:" + linkname.split("/")[2], "c_path": "blobs/sha256/" + dc.split(":")[1]}, f)
PY
[ -f "$T_TMP/expect.json" ] || { not_ok "the layouts could not be made"; finish; exit 1; }

# check FORM: the checks of one form's verify --json ($T_TMP/FORM.json) against expect.json
check() {
  python3 - "$T_TMP/expect.json" "$T_TMP/$1.json" "$1" <<'PY' >"$T_TMP/checks"
import json, sys
x = json.load(open(sys.argv[1]))
r = json.load(open(sys.argv[2]))
form = sys.argv[3]
def check(ok, what, got=""):
    print("%s %s: %s%s" % ("PASS" if ok else "FAIL", form, what, "" if ok else " (got %s)" % (got,)))
im = {i["name"]: i for i in r["images"]}
a, b, c = im.get("a", {}), im.get("b", {}), im.get("c", {})
check(a.get("digest") == x["a"], "the sha512 image's digest is its manifest's sha512 digest", a.get("digest"))
pa = (a.get("platforms") or [{}])[0]
check(pa.get("manifest") == x["a"] and a.get("complete") is True,
      "the sha512 image's platform: its manifest, complete", (pa.get("manifest"), a.get("complete")))
pb = (b.get("platforms") or [{}])[0]
miss = [m.get("digest") for m in pb.get("missing") or []]
check(b.get("digest") == x["b"] and miss == [x["absent"]] and b.get("complete") is False,
      "a digest that names no member: the platform's missing blob", (b.get("digest"), miss))
fm = [f.get("digest") for f in r["findings"] if f["code"] == "blob-missing"]
check(fm == [x["absent"]], "a digest that names no member: one blob-missing finding with it", fm)
fu = [f.get("digest") for f in r["findings"] if f["code"] == "blob-unreferenced"]
want = list(x["unref"])
if form == "tar":  # the link is under blobs/ too, and not referenced
    want = sorted(want + [x["link"]])
check(fu == want, "unreferenced blobs of both algorithms, in the order of their digests", fu)
check(c.get("digest") == x["c"] and c.get("complete") is True, "image c verified",
      (c.get("digest"), c.get("complete")))
dup = [f.get("path") for f in r["findings"] if f["code"] == "duplicate-member"]
if form == "tar":
    check(dup == [x["c_path"]], "a member replaced by a later one of the same name: duplicate-member, "
          "the last copy verified (no digest-mismatch)", dup)
    check(not [f for f in r["findings"] if f["code"] in ("digest-mismatch", "size-mismatch")],
          "no mismatch from the first copy", [f["code"] for f in r["findings"]])
    lk = [f.get("path") for f in r["findings"] if f["code"] == "link-member"]
    check(lk == [x["link"].replace("sha256:", "blobs/sha256/")], "the link under blobs/: link-member", lk)
else:
    check(dup == [], "no duplicate-member in the directory", dup)
PY
  while IFS= read -r line; do
    case "$line" in
    PASS*) ok "${line#PASS }" ;;
    *) not_ok "${line#FAIL }" ;;
    esac
  done <"$T_TMP/checks"
}

for form in dir tar; do
  if [ "$form" = dir ]; then path=$T_TMP/dir; else path=$T_TMP/layout.tar; fi
  run verify --json "$path"
  expect_rc 4 "$form: exit 4 (a blob is missing)"
  printf '%s\n' "$out" >"$T_TMP/$form.json"
  check "$form"
done

# The two forms: the same images (rows, digests, missing blobs) and the same findings but
# for what only an archive has (duplicate-member, link-member, the link's unreferenced blob).
python3 - "$T_TMP/dir.json" "$T_TMP/tar.json" "$T_TMP/expect.json" <<'PY' >"$T_TMP/checks"
import json, sys
a, b, x = (json.load(open(p)) for p in sys.argv[1:4])
print("PASS" if a["images"] == b["images"] else "FAIL", "dir and tar: the same images")
def fs(r):
    return [(f["code"], f.get("digest"), f.get("message")) for f in r["findings"]
            if f["code"] not in ("duplicate-member", "link-member")
            and not (f["code"] == "blob-unreferenced" and f.get("digest") == x["link"])]
print("PASS" if fs(a) == fs(b) else "FAIL", "dir and tar: the same findings otherwise")
PY
while IFS= read -r line; do
  case "$line" in
  PASS*) ok "${line#PASS }" ;;
  *) not_ok "${line#FAIL }" ;;
  esac
done <"$T_TMP/checks"
finish
