#!/bin/sh
# docker_large_manifest.sh: a docker save whose manifest.json is larger than a JSON document
# may be (4 MiB) is read, not refused: manifest.json is read as a stream, image by image, by
# the view every command reads through and by verify's shape rules.  The archive (made here
# from docker-clean.tar, made by docker save): 1,500 images, each its own config, each with
# 25 RepoTags, a manifest.json of about 4.7 MB.  Before: every command said
# "manifest.json: larger than the 4194304-byte limit (json-too-large)", exit 4.
. "$TESTS_DIR/lib.sh"
if [ -n "${OCIDIG_WRAPPER:-}" ]; then
  skip "a large manifest.json" "under $OCIDIG_WRAPPER (hours of memcheck)"
  finish
  exit $?
fi
if ! command -v python3 >/dev/null 2>&1; then
  skip "a large manifest.json" "python3 is needed to make the archive"
  finish
  exit $?
fi
A="$T_TMP/many.tar"
size=$(python3 - "$TESTDATA/verify/docker-clean.tar" "$A" <<'PY'
import io, json, tarfile, hashlib, sys
src, out = sys.argv[1], sys.argv[2]
with tarfile.open(src) as t:
    mem = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
byname = dict((m.name, d) for m, d in mem)
img = json.loads(byname["manifest.json"])[0]
cfg = json.loads(byname[img["Config"]])
entries, files = [], []
for i in range(1500):
    c = dict(cfg)
    c["config"] = dict(c.get("config") or {})
    c["config"]["Env"] = ["N=%d" % i]
    b = json.dumps(c).encode()
    h = hashlib.sha256(b).hexdigest()
    files.append((h + ".json", b))
    e = dict(img)
    e["Config"] = h + ".json"
    e["RepoTags"] = ["registry.example.com/a-long-project-name/image-%04d:release-%02d-%s" % (i, k, "x" * 40)
                     for k in range(25)]
    entries.append(e)
data = json.dumps(entries).encode()
with tarfile.open(out, "w") as t:
    for m, d in mem:
        if m.name in ("repositories", "manifest.json") or m.name.endswith(".json"):
            continue
        t.addfile(m, io.BytesIO(d) if d is not None else None)
    for name, b in files:
        m = tarfile.TarInfo(name)
        m.size = len(b)
        t.addfile(m, io.BytesIO(b))
    m = tarfile.TarInfo("manifest.json")
    m.size = len(data)
    t.addfile(m, io.BytesIO(data))
print(len(data))
PY
)
if [ "${size:-0}" -gt 4194304 ]; then ok "manifest.json is over 4 MiB ($size bytes)"; else not_ok "manifest.json is over 4 MiB: $size"; fi
last="registry.example.com/a-long-project-name/image-1499:release-24-$(printf 'x%.0s' $(seq 40))"
run ls --json "$A"
expect_rc 0 "ls"
printf '%s' "$out" >"$T_TMP/ls.json"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(len(d["images"]), len(d["images"][-1]["names"]), d["images"][-1]["names"][-1])' "$T_TMP/ls.json" 2>&1)
expect_eq "$got" "1500 25 $last" "ls lists the 1,500 images, each with its 25 names"
run resolve --ref "$last" "$A"
expect_rc 0 "resolve --ref (the last name of the last image)"
run inspect --ref "$last" "$A"
expect_rc 0 "inspect --ref (the last name of the last image)"
expect_out_has "$last" "inspect names the image"
run verify --json "$A"
expect_rc 0 "verify"
printf '%s' "$out" >"$T_TMP/v.json"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(len(d["images"]), sorted({f["code"] for f in d["findings"]}))' "$T_TMP/v.json" 2>&1)
expect_eq "$got" "1500 []" "verify checks the 1,500 images, no finding"
finish
