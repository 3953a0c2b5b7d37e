# lib.sh: helpers for the CLI tests (sourced).  Prints a TAP-like log and
# "N passed, N failed" at the end; exits non-zero when a check failed.
set -u
: "${OCIDIG:?OCIDIG must point at the ocidig binary}"
: "${TESTDATA:?TESTDATA must point at testdata/}"
T_PASS=0
T_FAIL=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ocidig-cli-XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

ok() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }

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
expect_err_has() {
  case "$err" in *"$1"*) ok "$2" ;; *) not_ok "$2: stderr lacks '$1'; stderr: $err" ;; esac
}
expect_eq() { # GOT WANT DESCRIPTION
  if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3: got '$1', wanted '$2'"; fi
}

finish() {
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}
