#!/bin/sh
# regress_many_names.sh: the names of one image are gathered in time linear in their number.
# A docker save of one image under 40,000 RepoTags (20,000 manifest.json entries of the same
# config and layers, two tags each; made here from docker-clean.tar, made by docker save):
# each name was checked against every name before it, and ls took about 15 s of CPU, inspect
# twice that.  Now each takes about a second; the bound checked is 4 s of CPU (not under a
# sanitizer or wrapper, where CPU time says nothing of the algorithm).
. "$TESTS_DIR/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "many names" "python3 is needed to make the archive"
  finish
  exit $?
fi
A="$T_TMP/names.tar"
python3 - "$TESTDATA/verify/docker-clean.tar" "$A" <<'PY' || exit 1
import copy, io, json, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
with tarfile.open(src) as t:
    mem = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
img = json.loads(dict((m.name, d) for m, d in mem)["manifest.json"])[0]
entries = []
for i in range(20000):
    e = dict(img)
    e["RepoTags"] = ["example.com/many/image-%05d:tag" % i, "example.com/many/alias-%05d:v1" % i]
    entries.append(e)
data = json.dumps(entries).encode()
with tarfile.open(out, "w") as t:
    for m, d in mem:
        m = copy.copy(m)
        if m.name == "repositories":
            continue
        if m.name == "manifest.json":
            d = data
            m.size = len(d)
        t.addfile(m, io.BytesIO(d) if d is not None else None)
PY
ocidig_real
[ -n "$OCIDIG_LIBS" ] && export LD_LIBRARY_PATH="$OCIDIG_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
timed() { # NAME ARGS...: runs the binary under GNU time; sets rc and cpu (user + system)
  what=$1
  shift
  /usr/bin/time -f "%U %S" -o "$T_TMP/time" "$OCIDIG_REAL" "$@" >"$T_TMP/out" 2>/dev/null
  rc=$?
  cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$T_TMP/time" 2>/dev/null)
}
judge=yes
if [ -n "${OCIDIG_WRAPPER:-}" ] || grep -qa -e __asan_init -e __ubsan_handle "$OCIDIG_REAL" 2>/dev/null ||
  [ ! -x /usr/bin/time ]; then judge=no; fi
for cmd in ls "inspect --ref example.com/many/alias-19999:v1"; do
  if [ "$judge" = yes ]; then
    timed "$cmd" $cmd "$A"
    expect_eq "$rc" 0 "$cmd: exit"
    if awk -v c="$cpu" 'BEGIN { exit !(c <= 4) }'; then ok "$cmd: ${cpu} s of CPU (<= 4)"
    else not_ok "$cmd: ${cpu} s of CPU, more than 4: names compared pairwise"; fi
  else
    run $cmd "$A"
    expect_rc 0 "$cmd"
    skip "$cmd: CPU time" "under a sanitizer or wrapper, or no /usr/bin/time"
  fi
done
run ls --json "$A"
printf '%s' "$out" >"$T_TMP/ls.json"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = d["images"][0]["names"]
print(len(d["images"]), len(names), len(set(names)), names[0], names[-1])' "$T_TMP/ls.json" 2>&1)
expect_eq "$got" "1 40000 40000 example.com/many/image-00000:tag example.com/many/alias-19999:v1" \
  "ls: one image, its 40,000 names once each, in manifest.json's order"
finish
