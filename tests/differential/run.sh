#!/bin/sh
# tests/differential/run.sh - differential check of `ocidig resolve` against
# containerd 1.6.20 (the oracle in ../shared/oracle).  Not part of `make check`.
#
#   tests/differential/run.sh            # 2000 valid layouts + 300 with faults
#
# Environment (all optional):
#   ORACLE=/tmp/oracle/bin/oracle   the oracle binary (skips, exit 0, when absent)
#   ORACLE_DIR=/tmp/oracle          where gen.py is
#   OCIDIG=...                      the ocidig to test (default: this tree's build,
#                                   snapshotted first so a rebuild cannot race the run)
#   N=2000 SEED0=1                  valid layouts: seeds SEED0..SEED0+N-1
#   FAULT_N=300 FAULT_SEED0=100001 FAULT_RATE=0.3
#                                   layouts made with gen.py --faults FAULT_RATE
#   EXTRA_PLATFORMS=a,b             request platforms added to the oracle's 18, e.g.
#                                   linux/arm64/v9,linux/arm64/v7 (must parse in containerd 1.6)
#   JOBS=2                          parallel workers
#   REPORT=$TMPDIR/ocidig-differential.jsonl   every non-agreeing case, one JSON per line
#   KEEP=1 WORKDIR=DIR              keep the generated layouts in DIR
#   SHOW=20                         unexplained cases printed in full
# Exit status: 0 when nothing is unexplained (or skipped), 1 otherwise.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ORACLE_DIR=${ORACLE_DIR:-/tmp/oracle}
ORACLE=${ORACLE:-/tmp/oracle/bin/oracle}
TMP=${TMPDIR:-/tmp}

if [ ! -x "$ORACLE" ]; then
  echo "SKIP: differential check skipped: no oracle binary at $ORACLE" \
       "(build it: cp -r ../shared/oracle /tmp/oracle && /tmp/oracle/build.sh; or set ORACLE=...)"
  exit 0
fi
if [ ! -f "$ORACLE_DIR/gen.py" ]; then
  echo "SKIP: differential check skipped: no generator at $ORACLE_DIR/gen.py (set ORACLE_DIR=...)"
  exit 0
fi
command -v python3 >/dev/null 2>&1 || { echo "SKIP: differential check skipped: no python3"; exit 0; }

SNAP=""
cleanup() { [ -z "$SNAP" ] || rm -rf "$SNAP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
LDP=""
if [ -z "${OCIDIG:-}" ]; then
  if [ -x "$TOP/.libs/ocidig" ] && [ -e "$TOP/.libs/libocidig.so" ]; then
    # libtool build: run the real binary (the wrapper script costs ~40 ms a run), from a
    # private copy so that another engineer's `make` cannot swap it out mid-run
    SNAP=$(mktemp -d "$TMP/ocidig-snap.XXXXXX")
    cp "$TOP/.libs/ocidig" "$SNAP/ocidig"
    cp -P "$TOP"/.libs/libocidig.so* "$SNAP/"
    OCIDIG=$SNAP/ocidig
    LDP=$SNAP
  elif [ -x "$TOP/ocidig" ]; then
    OCIDIG=$TOP/ocidig
  else
    echo "run.sh: no ocidig binary in $TOP; run make first (or set OCIDIG=...)" >&2
    exit 2
  fi
fi

N=${N:-2000}
SEED0=${SEED0:-1}
FAULT_N=${FAULT_N:-300}
FAULT_SEED0=${FAULT_SEED0:-100001}
FAULT_RATE=${FAULT_RATE:-0.3}
JOBS=${JOBS:-2}
REPORT=${REPORT:-$TMP/ocidig-differential.jsonl}
SHOW=${SHOW:-20}

set -- --oracle "$ORACLE" --oracle-dir "$ORACLE_DIR" --ocidig "$OCIDIG" --ld-library-path "$LDP" \
       --jobs "$JOBS" --report "$REPORT" --show "$SHOW" --fault-rate "$FAULT_RATE"
[ "$N" -gt 0 ] && set -- "$@" --seeds "$SEED0-$((SEED0 + N - 1))"
[ "$FAULT_N" -gt 0 ] && set -- "$@" --fault-seeds "$FAULT_SEED0-$((FAULT_SEED0 + FAULT_N - 1))"
[ -n "${EXTRA_PLATFORMS:-}" ] && set -- "$@" --extra-platforms "$EXTRA_PLATFORMS"
[ -n "${WORKDIR:-}" ] && set -- "$@" --workdir "$WORKDIR"
[ "${KEEP:-0}" = 1 ] && set -- "$@" --keep

echo "oracle: $("$ORACLE" version)"
echo "ocidig: $OCIDIG"
rc=0
python3 "$HERE/compare.py" "$@" || rc=$?
exit $rc
