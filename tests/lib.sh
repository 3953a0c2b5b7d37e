# lib.sh: helpers for the CLI tests (sourced).  Prints a TAP-like log and
# "N passed, N failed" at the end; exits non-zero when a check failed.
set -u
: "${OCIDIG:?OCIDIG must point at the ocidig binary}"
: "${TESTDATA:?TESTDATA must point at testdata/}"
T_PASS=0
T_FAIL=0
T_SKIP=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ocidig-cli-XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

ok() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }
# skip DESCRIPTION REASON: a test that could not run here, visible in the log (TAP's
# "# SKIP" directive); it neither passes nor fails the suite.
skip() { T_SKIP=$((T_SKIP + 1)); echo "ok - $1 # SKIP $2"; }

# ocidig_copy DIR: copies the real binary behind libtool's wrapper script (or $OCIDIG
# itself) to DIR/ocidig, with its uninstalled libraries beside it, readable and executable
# by every user: a test run as another user cannot reach a build tree under a 0700 home.
# Run the copy as: env LD_LIBRARY_PATH=DIR DIR/ocidig.  Sets OCIDIG_REAL and OCIDIG_LIBS
# (the folder of the uninstalled libraries, "" when none).
ocidig_real() {
  [ -n "${OCIDIG_REAL:-}" ] && return 0 # once: a suite may then point $OCIDIG at it
  OCIDIG_REAL=$OCIDIG
  OCIDIG_LIBS=
  if head -c 2 "$OCIDIG" 2>/dev/null | grep -q '#!'; then
    for oc_b in "$(dirname "$OCIDIG")/.libs/ocidig" "$(dirname "$OCIDIG")/.libs/lt-ocidig"; do
      if [ -x "$oc_b" ]; then
        OCIDIG_REAL=$oc_b
        OCIDIG_LIBS=$(dirname "$OCIDIG")/.libs
        break
      fi
    done
  fi
}
ocidig_copy() {
  ocidig_real
  mkdir -p "$1"
  cp "$OCIDIG_REAL" "$1/ocidig"
  [ -n "$OCIDIG_LIBS" ] && cp -P "$OCIDIG_LIBS"/libocidig.so* "$1/" 2>/dev/null
  chmod -R a+rX "$1"
}

# run CMD...: runs ocidig with the arguments; sets $out, $err, $rc.
run() {
  ${OCIDIG_WRAPPER:-} "$OCIDIG" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
  rc=$?
  out=$(cat "$T_TMP/out")
  err=$(cat "$T_TMP/err")
}

# expect_rc N DESCRIPTION
expect_rc() {
  if [ "$rc" -eq "$1" ]; then ok "$2 (exit $1)"; else not_ok "$2: exit $rc, wanted $1; stderr: $err"; fi
}
# expect_out_has TEXT DESCRIPTION
expect_out_has() {
  case "$out" in *"$1"*) ok "$2" ;; *) not_ok "$2: stdout lacks '$1'; stdout: $out" ;; esac
}
# expect_out_lacks TEXT DESCRIPTION
expect_out_lacks() {
  case "$out" in *"$1"*) not_ok "$2: stdout has '$1'; stdout: $out" ;; *) ok "$2" ;; esac
}
expect_err_has() {
  case "$err" in *"$1"*) ok "$2" ;; *) not_ok "$2: stderr lacks '$1'; stderr: $err" ;; esac
}
expect_eq() { # GOT WANT DESCRIPTION
  if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3: got '$1', wanted '$2'"; fi
}

# Layouts written by hand (schema_rules.sh, regress_unverified.sh).
# sha FILE: its sha256, hex.
sha() { sha256sum "$1" | cut -d' ' -f1; }
# layout DIR: an empty layout (oci-layout only).
layout() {
  rm -rf "$1"
  mkdir -p "$1/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$1/oci-layout"
}
# blob DIR FILE MEDIATYPE: stores FILE as a blob; prints its descriptor.
blob() {
  b_h=$(sha "$2")
  cp "$2" "$1/blobs/sha256/$b_h"
  printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$3" "$b_h" "$(wc -c <"$2" | tr -d ' ')"
}
# index DIR ENTRIES: writes index.json with these manifests entries.
index() {
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$2" \
    >"$1/index.json"
}

finish() {
  if [ "$T_SKIP" -gt 0 ]; then echo "$T_PASS passed, $T_FAIL failed ($T_SKIP skipped)"
  else echo "$T_PASS passed, $T_FAIL failed"; fi
  [ "$T_FAIL" -eq 0 ]
}
