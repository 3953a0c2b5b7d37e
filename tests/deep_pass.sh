#!/bin/sh
# deep_pass.sh: verify --deep reads each layer of an archive in the archive's one pass
# (issue 14, task "feed"):
#  - every fixture of testdata/layers and every sample: the same findings and layer rows
#    from the directory, a tar with index.json last and one with index.json first (written
#    by Python's tarfile), that tar gzip'd (gzip(1)) and zstd'd (zstd(1)), and each of
#    those on standard input (an archive sample: itself, gzip'd, zstd'd, on standard input);
#  - one pass: a .tar.gz and a .tar.zst of 40 layers whose manifest lists them in the
#    reverse of the archive's order: the bytes read are the archive's, once on standard
#    input, twice at most from a file (verify's pass, then one forward pass for the layers
#    in scope; reading each layer again read the archive 16 times over);
#  - a docker save directory's layer files read once under --deep (not hashed, then read);
#  - standard input is never copied to a file: with TMPDIR a path no file can be made
#    under, verify --deep - of a .tar.gz reads every layer;
#  - a layer whose bytes are not what its media type says (gzip bytes named a tar, a tar
#    named gzip), too large to be kept: the same finding codes and messages in every form.
# Fixtures: tests/deep_pass_fixtures.py (tars by Python's tarfile, gzip and zstd; digests
# and diff_ids by hashlib).
. "$TESTS_DIR/lib.sh"
for t in python3 gzip zstd; do
  if ! command -v $t >/dev/null 2>&1; then
    skip "verify --deep in one pass" "$t is needed to make the fixtures"
    finish
    exit $?
  fi
done
ocidig_real
F="$T_TMP/fx"
mkdir -p "$F"

# norm FILE: a report's findings and layer rows, all but where it was read from
norm() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for f in d.get("findings", []):
    print("F", f["code"], f["severity"], f.get("digest"), f.get("path"), f["message"], f.get("image"), f.get("platform"))
for l in d.get("layers", []):
    print("L", l["digest"], l["compression"], l["read"], l.get("skipped"), l["entries"], l["uncompressedSize"], l["diffId"],
          l["errors"], l["warnings"], l["info"])
print("E", (d.get("error") or {}).get("code"))' "$1" || echo "the report of $1 could not be read"
}
# tarit DIR OUT first|last: DIR's files in a tar (Python's tarfile), index.json first or last
tarit() {
  python3 - "$1" "$2" "$3" <<'EOF'
import os, sys, tarfile
root, out, where = sys.argv[1:4]
names = []
for d, ds, fs in os.walk(root):
    ds.sort()
    for f in sorted(fs):
        names.append(os.path.relpath(os.path.join(d, f), root))
idx = [n for n in names if n == "index.json"]
rest = [n for n in names if n != "index.json"]
with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
    for n in (idx + rest if where == "first" else rest + idx):
        t.add(os.path.join(root, n), arcname=n, recursive=False)
EOF
}
# deepjson SOURCE [stdin]: verify --deep --json, normalized, into $T_TMP/got
deepjson() {
  if [ "${2:-}" = stdin ]; then
    "$OCIDIG" verify --deep --json - <"$1" >"$T_TMP/r.json" 2>/dev/null
  else
    "$OCIDIG" verify --deep --json "$1" >"$T_TMP/r.json" 2>/dev/null
  fi
  echo "rc $?" >"$T_TMP/got"
  norm "$T_TMP/r.json" >>"$T_TMP/got" 2>&1
  echo "$1" >"$T_TMP/from"
}
# forms NAME SOURCE: SOURCE's report in every form, compared with the first
forms() {
  n=$1
  src=$2
  w="$F/w-$n"
  rm -rf "$w"
  mkdir -p "$w"
  if [ -d "$src" ]; then
    deepjson "$src"
    cp "$T_TMP/got" "$w/want"
    tarit "$src" "$w/last.tar" last
    tarit "$src" "$w/first.tar" first
    set -- last.tar first.tar
  else
    deepjson "$src"
    cp "$T_TMP/got" "$w/want"
    cp "$src" "$w/self"
    set -- self
  fi
  for a in "$@"; do
    gzip -c -6 "$w/$a" >"$w/$a.gz"
    zstd -q -c "$w/$a" >"$w/$a.zst"
  done
  bad=
  # each form, each kind of input at least once (every combination costs too much time)
  for a in "$@"; do
    for fh in "$a file" "$a stdin" "$a.gz file" "$a.gz stdin" "$a.zst file" "$a.zst stdin"; do
      case "$a:$fh" in first.tar:*"first.tar file" | first.tar:*"gz stdin" | first.tar:*"zst file" | self:*"self file") continue ;; esac
      deepjson "$w/${fh% *}" "${fh#* }"
      if ! cmp -s "$T_TMP/got" "$w/want"; then
        bad="$bad ${fh% *}(${fh#* })"
        [ -n "${DEEP_PASS_DEBUG:-}" ] && diff "$w/want" "$T_TMP/got" | head -20
      fi
    done
  done
  if [ -z "$bad" ]; then
    ok "$n: the same findings and layer rows in every form"
  else
    not_ok "$n: findings or layer rows differ from the first form in:$bad"
  fi
}

# ---- every fixture and sample, in every form
for d in "$TESTDATA"/layers/* "$TESTDATA"/samples/*; do
  forms "$(basename "$(dirname "$d")")/$(basename "$d")" "$d"
done

# ---- one pass over a .tar.gz (and .tar.zst) of many layers, listed in the reverse of the
# archive's order: the bytes read from the input (the kernel's count, rchar, read in
# /proc/PID/io once the process has ended and before it is reaped) are the archive's once,
# where reading each layer again read it from its start for each (16 times over)
python3 "$TESTS_DIR/deep_pass_fixtures.py" "$F/many" 40 700000 --reverse || not_ok "the fixture could not be made"
tarit "$F/many" "$F/many.tar" last
gzip -c -6 "$F/many.tar" >"$F/many.tar.gz"
zstd -q -c "$F/many.tar" >"$F/many.tar.zst"
rchar() { # COMMAND... -- [STDIN]: the bytes the command read (read(2) and the like)
  LD_LIBRARY_PATH=${OCIDIG_LIBS:-${LD_LIBRARY_PATH:-}} python3 -c '
import os, subprocess, sys
i = sys.argv.index("--")
src = open(sys.argv[i + 1], "rb") if i + 1 < len(sys.argv) else subprocess.DEVNULL
p = subprocess.Popen(sys.argv[1:i], stdin=src, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
io = dict(l.split(": ") for l in open("/proc/%d/io" % p.pid).read().split("\n") if l)
p.wait()
print(io["rchar"])' "$@"
}
if [ -r /proc/self/io ]; then
  for a in many.tar.gz many.tar.zst; do
    size=$(wc -c <"$F/$a" | tr -d ' ')
    for how in file stdin; do
      if [ $how = file ]; then got=$(rchar "$OCIDIG_REAL" verify --deep "$F/$a" --); else got=$(rchar "$OCIDIG_REAL" verify --deep - -- "$F/$a"); fi
      # a file: verify's pass, then the layers in scope in one forward pass (nothing is
      # read on speculation from a file: tests/deep_scope.sh); standard input: one pass.
      # The slack: a .tar.zst file is read 556,568 bytes past its two passes whatever its
      # size (measured), more than the 512 KiB + 5 % that left the check to the size of
      # the random fixture (it failed for a .tar.zst under ~645 KB, about half the runs)
      if [ $how = file ]; then passes=2; else passes=1; fi
      if [ -n "$got" ] && [ "$got" -le $((passes * size + size / 20 + 786432)) ]; then
        ok "40 layers, $a ($how): $got bytes read for $size: $passes pass(es)"
      else
        not_ok "40 layers, $a ($how): ${got:-?} bytes read for $size: more than $passes pass(es)"
      fi
    done
  done
else
  skip "40 layers read in one pass" "no /proc/self/io here"
fi
deepjson "$F/many"
cp "$T_TMP/got" "$T_TMP/many.want"
rows=$(grep -c '^L .* True None ' "$T_TMP/many.want")
expect_eq "$rows" 40 "40 layers: each read (the directory)"

# ---- a docker save (as a directory; as an archive its files are hashed in the pass): each
# layer file read once under --deep, its sha256 (the docker rules' digest and diff_id) from
# the read that decodes it (it was hashed, then read again: twice the bytes)
if [ -r /proc/self/io ]; then
  mkdir -p "$F/dsave"
  tar -C "$F/dsave" -xf "$TESTDATA/layers/docker-save.tar"
  plain=$(rchar "$OCIDIG_REAL" verify "$F/dsave" --)
  deep=$(rchar "$OCIDIG_REAL" verify --deep "$F/dsave" --)
  layers=$(cat "$F"/dsave/*.tar | wc -c | tr -d ' ')
  if [ -n "$deep" ] && [ -n "$plain" ] && [ "$deep" -le $((plain + layers / 4)) ]; then
    ok "docker save (directory): verify --deep read $deep bytes, verify $plain: its $layers bytes of layers once"
  else
    not_ok "docker save (directory): verify --deep read ${deep:-?} bytes, verify ${plain:-?}: its $layers bytes of layers twice"
  fi
fi

# ---- standard input: no file made for it
touch "$T_TMP/notadir"
TMPDIR="$T_TMP/notadir/sub" "$OCIDIG" verify --deep --json - <"$F/many.tar.gz" >"$T_TMP/r.json" 2>"$T_TMP/err"
echo "rc $?" >"$T_TMP/got"
norm "$T_TMP/r.json" >>"$T_TMP/got"
if cmp -s "$T_TMP/got" "$T_TMP/many.want"; then
  ok "verify --deep - with TMPDIR where no file can be made: every layer read, as from the directory"
else
  not_ok "verify --deep - with TMPDIR where no file can be made: $(head -c 300 "$T_TMP/err")"
fi

# ---- a compression its media type does not say, too large to be kept on standard input
python3 "$TESTS_DIR/deep_pass_fixtures.py" "$F/swap" 4 6000000 --random --swap || not_ok "the fixture could not be made"
deepjson "$F/swap"
codes=$(grep '^F' "$T_TMP/got" | cut -d' ' -f2 | sort -u | tr '\n' ' ')
expect_eq "$codes" "diff-id-mismatch layer-corrupt layer-tar-invalid " "swapped media types: the directory's codes"
forms swapped "$F/swap"

finish
