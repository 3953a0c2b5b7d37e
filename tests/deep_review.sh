#!/bin/sh
# deep_review.sh: `ocidig verify --deep` after the review of issue 14 (findings 1, 2, 3, 8,
# 9, 10, 11, 13), over layouts written at test time by tests/deep_review_fixtures.py (tars by
# Python's tarfile; diff_ids by hashlib):
#  - time linear in the input: long names under a symbolic link (prefixes hashed once), a
#    layer replacing 20,000 of its symbolic links, 8,000 links below x 8,000 whiteouts above:
#    each within a CPU-time bound about ten times what it takes (it took 5 to 7 s before);
#  - a hard link to what a layer in between removed (whiteout, its directory's whiteout, an
#    opaque directory) is layer-hardlink-missing; one to what is still there is not;
#  - cross-layer findings capped per code and layer (10, then one that counts the rest);
#  - sha512 diff_ids compared in sha512;
#  - layer-path-through-symlink is a warning (usrmerge: bin -> usr/bin, then bin/x);
#  - a layer shared by two images is read once: its one setuid file is one warning on its row.
. "$TESTS_DIR/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "verify --deep after the review" "python3 is needed to make the fixtures"
  finish
  exit $?
fi
F="$T_TMP/fx"
python3 "$TESTS_DIR/deep_review_fixtures.py" "$F" || not_ok "the fixtures could not be made"
ocidig_real

# cpu LAYOUT: CPU seconds (user + system) of verify --deep on it (the binary itself, not a
# wrapper: the bound is ocidig's); its exit status in $cpu_rc
cpu() {
  cpu_out=$(LD_LIBRARY_PATH=${OCIDIG_LIBS:-${LD_LIBRARY_PATH:-}} python3 -c '
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.2f %d" % (u.ru_utime + u.ru_stime, rc))' "$OCIDIG_REAL" verify --deep "$1")
  cpu_rc=${cpu_out#* }
  cpu_s=${cpu_out% *}
}
# within SECONDS: is $cpu_s at most SECONDS?
within() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$cpu_s" "$1"; }

while IFS='|' read -r c bound what; do
  cpu "$F/$c"
  if within "$bound"; then ok "$c: $what in ${cpu_s} s of CPU (at most $bound)"
  else not_ok "$c: $what took ${cpu_s} s of CPU, more than $bound (quadratic again?)"; fi
done <<'EOF'
long-names|1.5|5 names 60,000 bytes deep in a layer with a symbolic link
long-names-below|1.5|5 parents 60,000 bytes deep over a layer with a symbolic link
links-replaced|1.5|20,000 symbolic links each replaced by a file in the same layer
links-x-whiteouts|1.5|8,000 symbolic links below 8,000 whiteouts
EOF

# json CASE: verify --deep --json of the case into $T_TMP/r.json
json() {
  run verify --deep --json "$F/$1"
  printf '%s' "$out" >"$T_TMP/r.json"
}
# findings CODE: "severity message" of each finding with that code, sorted, a line each
findings() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for m in sorted(f["severity"] + " " + f["message"] for f in d["findings"] if f["code"] == sys.argv[2]):
    print(m)' "$T_TMP/r.json" "$1"
}

# ---- a symbolic link gone from the tree (whiteout, its directory whited out, opaque) is no hazard
json links-removed
got=$(findings layer-path-through-symlink | sed 's/ (sha256:[0-9a-f]*)//')
expect_eq "$got" 'warning layer 2: entries in "kept" pass through "kept", a symbolic link set by layer 0' \
  "links-removed: only the link no layer removed is passed through"

# ---- hard links to what a layer in between removed
json hardlink-whited-out
got=$(findings layer-hardlink-missing | sed 's/ (sha256:[0-9a-f]*)//' | tr '\n' '|')
expect_eq "$got" 'error layer 2: hard link "h1" points at "a", which layer 1 removed|error layer 2: hard link "h2" points at "dir/b", which layer 1 removed|error layer 2: hard link "h3" points at "o/c", which layer 1 removed|' \
  "hardlink-whited-out: h1, h2, h3 (whiteout, directory whiteout, opaque directory) missing; h4 not"
expect_rc 4 "hardlink-whited-out"

# ---- cross-layer findings capped per code and layer
json many-cross
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for code in ("layer-path-through-symlink", "layer-hardlink-missing"):
    fs = [f["message"] for f in d["findings"] if f["code"] == code]
    more = [m for m in fs if "290 more like the above" in m]
    print(code, len(fs), len(more))
print("dropped", d["summary"].get("findingsDropped", 0))' "$T_TMP/r.json" | tr '\n' '|')
expect_eq "$got" "layer-path-through-symlink 11 1|layer-hardlink-missing 11 1|dropped 0|" \
  "many-cross: 10 messages a code, then one that counts the other 290; nothing dropped"

# ---- sha512 diff_ids
json sha512-diffid
expect_eq "$(findings diff-id-mismatch)" "" "sha512-diffid: diff_ids in sha512 match (hashlib's)"
expect_rc 0 "sha512-diffid"
got=$(python3 -c '
import json, sys
print(" ".join(l["diffId"].split(":")[0] for l in json.load(open(sys.argv[1]))["layers"]))' "$T_TMP/r.json")
expect_eq "$got" "sha512 sha512" "sha512-diffid: the rows show the sha512 diff_ids"

# ---- usrmerge: a file written through bin -> usr/bin is a warning, not an error
json usrmerge
got=$(findings layer-path-through-symlink | sed 's/ (sha256:[0-9a-f]*)//')
expect_eq "$got" 'warning layer 1: entries in "bin" pass through "bin", a symbolic link set by layer 0' \
  "usrmerge: layer-path-through-symlink is a warning"
expect_rc 0 "usrmerge"
run verify --deep --fail-on warning "$F/usrmerge"
expect_rc 4 "usrmerge with --fail-on warning"

# ---- a shared layer read once: its setuid file counted once on its row
json shared-setuid
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%d/%d" % (l["entries"], l["warnings"]) for l in d["layers"]))' "$T_TMP/r.json")
expect_eq "$got" "1/1 1/0 1/0" "shared-setuid: three layer rows; the shared one's setuid file one warning (read once)"

finish
