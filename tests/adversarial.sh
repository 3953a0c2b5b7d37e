#!/bin/sh
# adversarial.sh: hostile inputs (tests/adversarial/gen.py makes them, with the exit
# status and error code each must give) plus the replay of the fuzzers' regression
# inputs.  Every run must also end normally (never by a signal), within 5 s and within
# 64 MiB of resident memory (5 s of CPU time; a run that blocks is killed after 30 s);
# under valgrind or a sanitizer only the outcome and a generous timeout are checked.
#
# ADV_ONLY=PATTERN runs the cases whose name matches the shell pattern (e.g. 'dup-*').
# ADV_KEEP=DIR generates into DIR (which must not exist) and keeps it; a later run with
# the same ADV_KEEP reuses the inputs.
. "$TESTS_DIR/lib.sh"

MAX_SECONDS=5
MAX_RSS_KB=65536
# A decoder's window is memory the format itself requires: a zstd frame may declare up to
# 128 MiB (libzstd's default limit, which zstd --long=27 writes), and refusing it would
# refuse valid archives.  Such cases get that window on top of the usual bound.
WINDOW_CASES='*zstd-window-128m*'
WINDOW_RSS_KB=$((MAX_RSS_KB + 131072))

if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is needed to generate the adversarial inputs: skipped"
  exit 77
fi

if ! "$OCIDIG" --version >/dev/null 2>&1; then
  not_ok "$OCIDIG --version does not run"
  finish
  exit 1
fi

gen=${ADV_KEEP:-$T_TMP/adv}
if [ -n "${ADV_KEEP:-}" ] && [ -f "$gen/cases.tsv" ]; then
  echo "# reusing the inputs in $gen"
elif [ -n "${ADV_KEEP:-}" ] && [ -e "$gen" ]; then
  not_ok "ADV_KEEP=$gen exists and holds no cases.tsv"
  finish
  exit 1
elif ! python3 "$TESTS_DIR/adversarial/gen.py" "$gen"; then
  not_ok "tests/adversarial/gen.py failed"
  finish
  exit 1
fi

# How runs are measured: /usr/bin/time (GNU) for time and RSS, timeout(1) for hangs.
TIME=
if [ -x /usr/bin/time ] && /usr/bin/time -f '%e %U %S %M' -o "$T_TMP/probe" true 2>/dev/null; then
  TIME=/usr/bin/time
else
  echo "# /usr/bin/time (GNU time) not found: time and memory are not checked (apt-get install time)"
fi
KILL_AFTER=30
LIMITS=yes
if [ -n "${OCIDIG_WRAPPER:-}" ]; then
  LIMITS=no
  KILL_AFTER=600
  echo "# running under $OCIDIG_WRAPPER: time and memory limits not checked"
elif ASAN_OPTIONS=help=1 "$OCIDIG" --version 2>&1 | grep -q AddressSanitizer; then
  LIMITS=no
  KILL_AFTER=300
  echo "# sanitizer build: time and memory limits not checked"
fi
TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -s KILL $KILL_AFTER"

# Known failures (tests/adversarial/xfail.txt): pattern, then the reason.
is_xfail() {
  x_reason=
  [ -f "$TESTS_DIR/adversarial/xfail.txt" ] || return 1
  while read -r x_pat x_why; do
    case "$x_pat" in '' | '#'*) continue ;; esac
    # shellcheck disable=SC2254
    case "$1" in $x_pat)
      x_reason=$x_why
      return 0
      ;;
    esac
  done <"$TESTS_DIR/adversarial/xfail.txt"
  return 1
}

MAX_SEEN_S=0
MAX_SEEN_WALL=0
MAX_SEEN_KB=0
MAX_SEEN_S_CASE=-
MAX_SEEN_KB_CASE=-

# measure NAME STDIN ARG...: runs ocidig; sets rc, out, err, secs, kb.
measure() {
  m_name=$1
  m_in=$2
  shift 2
  rm -f "$T_TMP/time"
  m_timeout=$TIMEOUT
  if [ -n "$TIMEOUT" ] && is_xfail "$m_name"; then
    # A known hang should cost little.
    if [ "$LIMITS" = yes ]; then m_timeout="timeout -s KILL $((MAX_SECONDS + 1))"; else m_timeout="timeout -s KILL 20"; fi
  fi
  if [ -n "$TIME" ]; then
    $m_timeout $TIME -f '%e %U %S %M' -o "$T_TMP/time" ${OCIDIG_WRAPPER:-} "$OCIDIG" "$@" <"$m_in" >"$T_TMP/out" 2>"$T_TMP/err"
  else
    $m_timeout ${OCIDIG_WRAPPER:-} "$OCIDIG" "$@" <"$m_in" >"$T_TMP/out" 2>"$T_TMP/err"
  fi
  rc=$?
  secs=0
  wall=0
  kb=0
  if [ -s "$T_TMP/time" ]; then
    # GNU time writes "Command exited with non-zero status N" or "Command terminated by
    # signal N" before the numbers.
    set -- $(tail -n 1 "$T_TMP/time")
    wall=${1:-0}
    # The 5 s limit is on CPU time (user + system), which a loaded machine does not
    # inflate; a run that blocks instead is killed by timeout(1) after $KILL_AFTER s.
    secs=$(awk "BEGIN { printf \"%.2f\", ${2:-0} + ${3:-0} }")
    kb=${4:-0}
    if grep -q "terminated by signal" "$T_TMP/time"; then
      rc=$((128 + $(sed -n 's/.*terminated by signal \([0-9]*\).*/\1/p' "$T_TMP/time" | head -n 1)))
    fi
  fi
  if awk "BEGIN { exit !($secs > $MAX_SEEN_S) }"; then
    MAX_SEEN_S=$secs
    MAX_SEEN_S_CASE=$m_name
  fi
  if awk "BEGIN { exit !($wall > $MAX_SEEN_WALL) }"; then
    MAX_SEEN_WALL=$wall
  fi
  if [ "$kb" -gt "$MAX_SEEN_KB" ]; then
    MAX_SEEN_KB=$kb
    MAX_SEEN_KB_CASE=$m_name
  fi
}

# check NAME WANT_EXIT WANT_CODE CHECK: judges the last measure.
check() {
  c_name=$1
  c_exit=$2
  c_code=$3
  c_check=$4
  c_why=
  # The error object's code (resolve and verify reports alike; findings have codes too).
  got_code=$(sed -n '/^  "error": {/,/}/s/^ *"code": "\([a-z-]*\)".*/\1/p' "$T_TMP/out" | head -n 1)
  [ -n "$got_code" ] || got_code=-
  if [ "$rc" -ge 124 ] && [ "$rc" -ne 126 ] && [ "$rc" -ne 127 ]; then
    c_why="killed or ended by a signal (exit $rc)"
  elif [ "$rc" -ne "$c_exit" ]; then
    c_why="exit $rc, wanted $c_exit"
  elif [ "$c_code" != "-" ] && ! case "|$c_code|" in *"|$got_code|"*) true ;; *) false ;; esac; then
    c_why="error code $got_code, wanted $c_code"
  elif [ "$c_code" = "-" ] && [ "$got_code" != "-" ]; then
    c_why="error code $got_code, wanted none"
  fi
  if [ -z "$c_why" ] && [ "$c_check" = "!esc" ]; then
    # C0 controls but tab and newline, DEL, and C1 controls written in UTF-8.
    if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T_TMP/err" "$T_TMP/out" ||
      LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T_TMP/err" "$T_TMP/out"; then
      c_why="a control character reached the terminal"
    fi
  elif [ -z "$c_why" ] && [ "$c_check" != "-" ]; then
    if ! grep -qF -- "$c_check" "$T_TMP/out" "$T_TMP/err"; then
      c_why="the output lacks '$c_check'"
    fi
  fi
  if [ -z "$c_why" ] && [ "$LIMITS" = yes ] && [ -n "$TIME" ]; then
    if awk "BEGIN { exit !($secs > $MAX_SECONDS) }"; then
      c_why="took $secs s of CPU (limit $MAX_SECONDS s)"
    else
      c_limit=$MAX_RSS_KB
      case "$c_name" in $WINDOW_CASES) c_limit=$WINDOW_RSS_KB ;; esac
      if [ "$kb" -gt "$c_limit" ]; then
        c_why="used $kb KiB of memory (limit $c_limit KiB)"
      fi
    fi
  fi
  if is_xfail "$c_name"; then
    if [ -z "$c_why" ]; then
      ok "$c_name: exit $rc $got_code (${secs} s CPU, ${wall} s, ${kb} KiB) # XPASS: the fix landed, delete its line in tests/adversarial/xfail.txt"
    else
      ok "$c_name # TODO known failure ($x_reason): $c_why"
    fi
  elif [ -z "$c_why" ]; then
    ok "$c_name: exit $rc $got_code (${secs} s CPU, ${wall} s, ${kb} KiB)"
  else
    not_ok "$c_name: $c_why; stderr: $(head -c 600 "$T_TMP/err")"
  fi
}

tab=$(printf '\t')
n_cases=0
n_skipped=0
while IFS="$tab" read -r name want_exit want_code want_check args; do
  case "$name" in ${ADV_ONLY:-*}) ;; *) continue ;; esac
  if [ -n "${OCIDIG_WRAPPER:-}" ] && [ -z "${ADV_ONLY:-}" ]; then
    # Under valgrind (about 1.5 s a run): the archive of each dir/tar pair only, and not
    # the cases about time and memory limits, which are not checked there.
    case "$name" in
    dir-* | verify-*.dir) ;;
    *.dir | limit-* | bomb-outer-* | verify-limit-* | verify-bomb-*)
      n_skipped=$((n_skipped + 1))
      continue
      ;;
    esac
  fi
  n_cases=$((n_cases + 1))
  # The arguments are TAB-separated too, and never contain spaces or patterns.
  old_ifs=$IFS
  IFS=$tab
  set -f
  # shellcheck disable=SC2086
  set -- $args
  set +f
  IFS=$old_ifs
  measure "$name" /dev/null "$@"
  check "$name" "$want_exit" "$want_code" "$want_check"
done <"$gen/cases.tsv"

# Archives on standard input (read once, in one pass).
case stdin in ${ADV_ONLY:-*})
  for f in good.tar good.tar.gz good.tar.zst good-index-last.tar; do
    measure "stdin-$f" "$gen/$f" resolve --json --platform linux/amd64 -
    check "stdin-$f" 0 - '"verdict": "selected"'
  done
  measure stdin-not-an-archive "$gen/not-an-archive-text" resolve --json --platform linux/amd64 -
  check stdin-not-an-archive 3 not-a-layout -
  measure stdin-empty /dev/null resolve --json --platform linux/amd64 -
  check stdin-empty 3 missing-index-json -
  if [ -z "${OCIDIG_WRAPPER:-}" ] || [ -n "${ADV_ONLY:-}" ]; then
    # The 20 x 4 MiB members ahead fill OCIDIG_MAX_KEPT_BYTES: the manifests that follow
    # pass unkept, and standard input cannot be read twice.
    measure stdin-limit-kept-bytes "$gen/limit-kept-bytes.tar" resolve --json --platform linux/amd64 -
    check stdin-limit-kept-bytes 3 not-rereadable -
    # A gzip bomb is read to the end (streamed, in bounded memory), unless capped.
    measure stdin-bomb-outer-gzip "$gen/bomb-outer-gzip.tar.gz" resolve --json --platform linux/amd64 -
    check stdin-bomb-outer-gzip 0 - '"verdict": "selected"'
    measure stdin-bomb-outer-gzip+max-bytes "$gen/bomb-outer-gzip.tar.gz" resolve --json --platform linux/amd64 \
      --max-bytes 64M -
    check stdin-bomb-outer-gzip+max-bytes 4 limit-exceeded -
  fi
  ;;
esac

# The fuzzers' regression inputs (tests/fuzz/regressions): archives through resolve and
# verify, JSON documents as a layout's index.json, specifiers through ocidig platform.
# They must end normally (exit 0-4), within the limits, whatever the outcome.
judge_regression() {
  if [ "$rc" -ge 124 ] && [ "$rc" -ne 126 ] && [ "$rc" -ne 127 ]; then
    not_ok "$1: killed or ended by a signal (exit $rc); stderr: $(head -c 600 "$T_TMP/err")"
  elif [ "$rc" -gt 4 ]; then
    not_ok "$1: exit $rc; stderr: $(head -c 600 "$T_TMP/err")"
  elif [ "$LIMITS" = yes ] && awk "BEGIN { exit !($secs > $MAX_SECONDS) }"; then
    not_ok "$1: took $secs s"
  elif [ "$LIMITS" = yes ] && [ "$kb" -gt "$MAX_RSS_KB" ]; then
    not_ok "$1: used $kb KiB"
  else
    ok "$1: exit $rc (${secs} s, ${kb} KiB)"
  fi
}
fuzzdir=$TESTS_DIR/fuzz/regressions
for f in "$fuzzdir"/archive/* "$fuzzdir"/json/*; do
  [ -f "$f" ] || continue
  case "$f" in */README*) continue ;; esac
  name="regression-$(basename "$(dirname "$f")")-$(basename "$f")"
  case "$name" in ${ADV_ONLY:-*}) ;; *) continue ;; esac
  case "$f" in
  */json/*)
    d=$T_TMP/$name
    mkdir -p "$d"
    cp "$f" "$d/index.json"
    src=$d
    ;;
  *) src=$f ;;
  esac
  for cmd in resolve verify; do
    if [ "$cmd" = verify ] && ! "$OCIDIG" verify --help >/dev/null 2>&1; then
      continue
    fi
    if [ "$cmd" = resolve ]; then
      measure "$name-$cmd" /dev/null resolve --json --platform linux/amd64 "$src"
    else
      measure "$name-$cmd" /dev/null verify "$src"
    fi
    judge_regression "$name-$cmd"
  done
done
for f in "$fuzzdir"/platform/*; do
  [ -f "$f" ] || continue
  name="regression-platform-$(basename "$f")"
  case "$name" in ${ADV_ONLY:-*}) ;; *) continue ;; esac
  measure "$name" /dev/null platform --json -- "$(cat "$f")"
  judge_regression "$name"
done

[ "$n_skipped" -eq 0 ] || echo "# $n_skipped cases left out under $OCIDIG_WRAPPER (ADV_ONLY='*' runs them all)"
echo "# $n_cases generated cases; most CPU $MAX_SEEN_S s ($MAX_SEEN_S_CASE), longest wall time $MAX_SEEN_WALL s, largest $MAX_SEEN_KB KiB ($MAX_SEEN_KB_CASE)"
finish
