#!/bin/sh
# regress_config_shapes.sh: what the graph keeps of a document's problems is bounded, in
# every command.  A config's fields are type-checked on their own (issue 17), and the graph
# reads configs for ls, resolve, inspect and cat too: a config with 10,000 history entries
# of the wrong types (5 problems each) kept every problem's message on its node, so 20 such
# configs (14 MB) took ls to 180 MiB.  Now a node keeps 100 of its own problems and counts
# the rest; verify still counts every one of them.
. "$TESTS_DIR/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "config shapes" "python3 is needed to make the layout"
  finish
  exit $?
fi
L="$T_TMP/l"
python3 - "$L" <<'PY' || exit 1
import hashlib, json, os, sys
root = sys.argv[1]
os.makedirs(root + "/blobs/sha256")
def blob(b):
    h = hashlib.sha256(b).hexdigest()
    open(root + "/blobs/sha256/" + h, "wb").write(b)
    return {"digest": "sha256:" + h, "size": len(b)}
entries = []
layer = blob(b"layer-bytes")
for i in range(20):
    cfg = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
           "config": {"Env": ["N=%d" % i]},
           "history": [{"created": 1, "author": 1, "created_by": 1, "comment": 1, "empty_layer": 1}] * 10000}
    c = blob(json.dumps(cfg, separators=(",", ":")).encode())
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **c),
         "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar", **layer)]}
    d = blob(json.dumps(m).encode())
    entries.append(dict(mediaType="application/vnd.oci.image.manifest.v1+json",
                        annotations={"org.opencontainers.image.ref.name": "i%d" % i}, **d))
open(root + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(root + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": entries}))
PY
ocidig_real
[ -n "$OCIDIG_LIBS" ] && export LD_LIBRARY_PATH="$OCIDIG_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -x /usr/bin/time ] && [ -z "${OCIDIG_WRAPPER:-}" ] && ! grep -qa -e __asan_init "$OCIDIG_REAL" 2>/dev/null; then
  /usr/bin/time -f "%M" -o "$T_TMP/rss" "$OCIDIG_REAL" ls "$L" >/dev/null 2>&1
  rc=$?
  rss=$(tail -n 1 "$T_TMP/rss")
  expect_eq "$rc" 0 "ls of 20 configs with 10,000 bad history entries each: exit"
  if [ "$rc" = 0 ] && [ "${rss:-999999}" -le 40960 ]; then ok "ls peaks at ${rss} KiB (<= 40 MiB)"
  else not_ok "ls peaks at ${rss} KiB, more than 40 MiB: the problems of a config are kept whole"; fi
else
  skip "ls's peak memory" "no /usr/bin/time, or under a sanitizer or wrapper"
fi
run verify --json "$L"
expect_rc 4 "verify: exit (field-type errors)"
printf '%s' "$out" >"$T_TMP/v.json"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["summary"]["errors"], len(d["findings"]) + d["summary"]["findingsDropped"])' "$T_TMP/v.json" 2>&1)
expect_eq "$got" "1000000 1000000" "verify counts every problem (20 configs x 10,000 entries x 5 fields), described or not"
finish
