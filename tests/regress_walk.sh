#!/bin/sh
# regress_walk.sh: issue 12, defects 1 and 2: index graphs and index.json files whose cost
# grew faster than their size.
#
#  defect 1: verify wrote a platform row for every path through an index graph.  A chain
#    of 40 indexes, each listing the next twice, took 18 GB; index.json listing index B
#    3,000 times, B holding 3,000 manifests, 3.7 GB.  Each index is walked once; a
#    repeated reference is one "walked already" row.
#  defect 2: ls --platform and verify --platform read and parsed index.json again for
#    each image: index.json with one image and N referrers (artifact manifests whose
#    subject is the image) took 12.7 s at N = 1,000.  N = 3,000 now takes well under 2 s.
#
# The layouts are made here by python3.  Each run must end within its CPU time (5 s, or
# 2 s for defect 2) and 64 MiB of resident memory, measured as tests/adversarial.sh does
# (/usr/bin/time); ulimit (CPU time, address space) and timeout(1) make the runs of an
# unfixed build fail fast instead of taking minutes and gigabytes.  Under valgrind or a
# sanitizer the layouts are smaller and only the outcome is checked.
. "$TESTS_DIR/lib.sh"

MAX_RSS_KB=65536

if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is needed to generate the layouts: skipped"
  exit 77
fi

LIMITS=yes
KILL_AFTER=30
if [ -n "${OCIDIG_WRAPPER:-}" ]; then
  LIMITS=no
  KILL_AFTER=900
  echo "# running under $OCIDIG_WRAPPER: smaller layouts, time and memory limits not checked"
elif ASAN_OPTIONS=help=1 "$OCIDIG" --version 2>&1 | grep -q AddressSanitizer; then
  LIMITS=no
  KILL_AFTER=300
  echo "# sanitizer build: smaller layouts, time and memory limits not checked"
fi
TIME=
if [ -x /usr/bin/time ] && /usr/bin/time -f '%e %U %S %M' -o "$T_TMP/probe" true 2>/dev/null; then
  TIME=/usr/bin/time
else
  echo "# /usr/bin/time (GNU time) not found: time and memory are not checked (apt-get install time)"
fi
TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -s KILL $KILL_AFTER"
if [ "$LIMITS" = yes ]; then FAN=3000 REFERRERS=3000; else FAN=300 REFERRERS=300; fi

cat >"$T_TMP/gen.py" <<'EOF'
import hashlib, json, os, sys, tarfile

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
REF = "org.opencontainers.image.ref.name"

def put(root, data):
    if not isinstance(data, bytes):
        data = json.dumps(data, separators=(",", ":")).encode()
    h = hashlib.sha256(data).hexdigest()
    p = os.path.join(root, "blobs", "sha256", h)
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(data)
    return "sha256:" + h, len(data)

def manifest(root, tag, os_="linux", arch="amd64"):
    cd, cs = put(root, {"architecture": arch, "os": os_, "config": {"Labels": {"n": tag}},
                        "rootfs": {"type": "layers", "diff_ids": []}})
    ld, ls = put(root, b"layer " + tag.encode())
    d, s = put(root, {"schemaVersion": 2, "mediaType": MT_MANIFEST,
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]})
    return {"mediaType": MT_MANIFEST, "digest": d, "size": s, "platform": {"os": os_, "architecture": arch}}

def index(root, descs):
    d, s = put(root, {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": descs})
    return {"mediaType": MT_INDEX, "digest": d, "size": s}

def layout(root, entries):
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": entries}, f, separators=(",", ":"))

# 40 indexes: the last lists two manifests, each other one lists the next one twice.
def chain(root, n):
    cur = index(root, [manifest(root, "amd64"), manifest(root, "arm64", arch="arm64")])
    for _ in range(n - 1):
        cur = index(root, [cur, cur])
    layout(root, [dict(cur, annotations={REF: "chain"})])

# index.json lists index B n times (n names); B lists n manifests.
def fan(root, n):
    archs = ["arm64", "s390x", "ppc64le", "riscv64", "386", "mips64le"]
    b = index(root, [manifest(root, "m0")] + [manifest(root, "m%d" % i, arch=archs[i % len(archs)])
                                              for i in range(1, n)])
    layout(root, [dict(b, annotations={REF: "b:%d" % i}) for i in range(n)])

# index.json lists one image and n OCI 1.1 referrers of it.
def referrers(root, n):
    img = manifest(root, "img")
    ed, es = put(root, b"{}")
    subject = {"mediaType": img["mediaType"], "digest": img["digest"], "size": img["size"]}
    entries = [dict(img, annotations={REF: "img"})]
    for i in range(n):
        sd, ss = put(root, ("signature %d" % i).encode())
        d, s = put(root, {"schemaVersion": 2, "mediaType": MT_MANIFEST, "artifactType": "application/vnd.example.sig",
                          "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": ed, "size": es},
                          "layers": [{"mediaType": "application/vnd.example.sig", "digest": sd, "size": ss}],
                          "subject": subject})
        entries.append({"mediaType": MT_MANIFEST, "digest": d, "size": s, "artifactType": "application/vnd.example.sig"})
    layout(root, entries)

kind, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(os.path.join(root, "blobs", "sha256"))
{"chain": chain, "fan": fan, "referrers": referrers}[kind](root, n)
with tarfile.open(root + ".tar", "w") as t:
    for name in ("oci-layout", "index.json", "blobs"):
        t.add(os.path.join(root, name), name)
EOF

if ! python3 "$T_TMP/gen.py" chain "$T_TMP/chain" 40 || ! python3 "$T_TMP/gen.py" fan "$T_TMP/fan" "$FAN" ||
  ! python3 "$T_TMP/gen.py" referrers "$T_TMP/referrers" "$REFERRERS"; then
  not_ok "the layouts could not be generated"
  finish
  exit 1
fi

# measure CPU_SECONDS ARG...: runs ocidig under the limits; sets rc, out, err, secs, kb.
measure() {
  m_cpu=$1
  shift
  rm -f "$T_TMP/time"
  (
    if [ "$LIMITS" = yes ]; then
      # An unfixed build is stopped here, quickly: SIGXCPU past the CPU time, an allocation
      # failure past 1 GiB of address space.
      ulimit -t $((m_cpu + 1)) 2>/dev/null
      ulimit -v 1048576 2>/dev/null
    fi
    if [ -n "$TIME" ]; then
      exec $TIMEOUT $TIME -f '%e %U %S %M' -o "$T_TMP/time" ${OCIDIG_WRAPPER:-} "$OCIDIG" "$@"
    else
      exec $TIMEOUT ${OCIDIG_WRAPPER:-} "$OCIDIG" "$@"
    fi
  ) >"$T_TMP/out" 2>"$T_TMP/err"
  rc=$?
  out=$(cat "$T_TMP/out")
  err=$(cat "$T_TMP/err")
  secs=0
  kb=0
  if [ -s "$T_TMP/time" ]; then
    # GNU time writes "Command exited with non-zero status N" or "Command terminated by
    # signal N" before the numbers.
    set -- $(tail -n 1 "$T_TMP/time")
    secs=$(awk "BEGIN { printf \"%.2f\", ${2:-0} + ${3:-0} }")
    kb=${4:-0}
    if grep -q "terminated by signal" "$T_TMP/time"; then
      rc=$((128 + $(sed -n 's/.*terminated by signal \([0-9]*\).*/\1/p' "$T_TMP/time" | head -n 1)))
    fi
  fi
}

# run_case NAME CPU_SECONDS WANT_EXIT ARG...: measures and judges the exit status, the
# CPU time and the memory.
run_case() {
  c_name=$1
  c_cpu=$2
  c_want=$3
  shift 3
  measure "$c_cpu" "$@"
  if [ "$rc" -ne "$c_want" ]; then
    not_ok "$c_name: exit $rc, wanted $c_want (CPU $secs s, $kb KiB); stderr: $(tail -c 300 "$T_TMP/err")"
  elif [ "$LIMITS" = yes ] && [ -n "$TIME" ] && awk "BEGIN { exit !($secs > $c_cpu) }"; then
    not_ok "$c_name: $secs s of CPU time (limit $c_cpu s)"
  elif [ "$LIMITS" = yes ] && [ -n "$TIME" ] && [ "$kb" -gt "$MAX_RSS_KB" ]; then
    not_ok "$c_name: $kb KiB of memory (limit $MAX_RSS_KB KiB)"
  else
    ok "$c_name (exit $rc, CPU $secs s, $kb KiB)"
  fi
}

# json_check NAME PYTHON_EXPRESSION: the expression, over the JSON report in $T_TMP/out
# (as r), must be true.
json_check() {
  if python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T_TMP/out" "$2" 2>"$T_TMP/pyerr"; then
    ok "$1"
  else
    not_ok "$1: false: $2 $(cat "$T_TMP/pyerr")"
  fi
}

# The walked-already rows of image i, the other rows, and every row.
WALKED='[p for p in r["images"][%d]["platforms"] if p.get("walkedAlready")]'
MANIFESTS='[p for p in r["images"][%d]["platforms"] if not p.get("walkedAlready")]'

# ------------------------------------------------------------------ defect 1

for form in dir tar; do
  src=$T_TMP/chain
  [ "$form" = tar ] && src=$T_TMP/chain.tar
  run_case "defect 1: verify of a 40-level chain of indexes listing the next twice ($form)" 5 0 verify "$src"
  expect_out_has "walked already: its platforms are listed above" "defect 1: verify says a repeated index was walked already ($form)"
  run_case "defect 1: verify --platform linux/amd64 of the chain ($form)" 5 0 verify --platform linux/amd64 "$src"
  run_case "defect 1: verify --all-platforms --json of the chain ($form)" 5 0 verify --all-platforms --json "$src"
  # 2 manifests, once each; 39 indexes met a second time, one row each; nothing else.
  json_check "defect 1: the chain's report lists each manifest once and each repeated index once ($form)" \
    "len($(printf "$MANIFESTS" 0)) == 2 and len($(printf "$WALKED" 0)) == 39 and \
len(set(p['index'] for p in $(printf "$WALKED" 0))) == 39 and all(p['complete'] for p in $(printf "$WALKED" 0)) and \
r['summary']['blobsChecked'] == 46 and not r['findings']"
done

for form in dir tar; do
  src=$T_TMP/fan
  [ "$form" = tar ] && src=$T_TMP/fan.tar
  run_case "defect 1: verify of index.json listing index B $FAN times, B with $FAN manifests ($form)" 5 0 verify "$src"
  expect_out_has "walked already: its platforms are listed under image b:0" "defect 1: verify says where B's platforms are ($form)"
  run_case "defect 1: verify --platform linux/amd64 of B listed $FAN times ($form)" 5 0 verify --platform linux/amd64 "$src"
  run_case "defect 1: verify --all-platforms --json of B listed $FAN times ($form)" 5 0 verify --all-platforms --json "$src"
  json_check "defect 1: B's $FAN manifests are listed once, under the first image; each other image is one walked-already row ($form)" \
    "len(r['images']) == $FAN and len(r['images'][0]['platforms']) == $FAN and \
all(len(im['platforms']) == 1 and im['platforms'][0].get('walkedAlready') and im['platforms'][0]['walkedIn'] == 0 \
and im['platforms'][0]['complete'] and im['complete'] for im in r['images'][1:]) and \
r['summary']['blobsChecked'] == 3 * $FAN + 1 and not r['findings']"
  run_case "defect 1: verify --platform linux/amd64 --json of B listed $FAN times ($form)" 5 0 verify --platform linux/amd64 --json "$src"
  json_check "defect 1: --platform: B's linux/amd64 manifest under the first image only ($form)" \
    "[p['platform'] for p in r['images'][0]['platforms']] == ['linux/amd64'] and \
all(im['platforms'][0].get('walkedAlready') for im in r['images'][1:]) and not r['findings']"
  run_case "defect 1: verify --platform linux/s390x of B listed $FAN times ($form)" 5 0 verify --platform linux/s390x "$src"
done

# ------------------------------------------------------------------ defect 2

for form in dir tar; do
  src=$T_TMP/referrers
  [ "$form" = tar ] && src=$T_TMP/referrers.tar
  run_case "defect 2: ls --platform linux/amd64 of one image and $REFERRERS referrers ($form)" 2 0 ls --platform linux/amd64 "$src"
  expect_out_has "img                  linux/amd64" "defect 2: ls resolves the image to its linux/amd64 manifest ($form)"
  run_case "defect 2: verify --platform linux/amd64 of one image and $REFERRERS referrers ($form)" 2 0 verify --platform linux/amd64 "$src"
  expect_out_has "ok: no errors" "defect 2: verify --platform finds no error ($form)"
done

finish
