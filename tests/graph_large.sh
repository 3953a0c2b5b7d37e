#!/bin/sh
# Large indexes (issue 13): a layout whose index.json lists 20,000 images (about 6.6 MB,
# an air-gapped store's size) and one of 100,000 (about 33 MB), written by
# tests/graph_large.py.  resolve reads them (no json-too-large) within 64 MiB of peak
# resident memory, and for 20,000 images within 2 s of CPU time; index.json is read
# element by element, so memory is what is kept of each descriptor.
. "$TESTS_DIR/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
  skip "large indexes" "no python3"
  finish
  exit $?
fi
ocidig_real
MEASURE=yes
[ -n "${OCIDIG_WRAPPER:-}" ] && MEASURE= # memcheck: no resource figures
[ -x /usr/bin/time ] || MEASURE=
# Under AddressSanitizer the figures are the sanitizer's (shadow memory, slower code).
if LD_LIBRARY_PATH="$OCIDIG_LIBS" ldd "$OCIDIG_REAL" 2>/dev/null | grep -q 'lib[at]san'; then
  MEASURE=
  echo "# sanitizers: no resource figures"
fi

# measure NAME MAX_KIB MAX_CPU_S ARGS...: runs the real binary under /usr/bin/time.
measure() {
  m_name=$1 m_kib=$2 m_cpu=$3
  shift 3
  if [ -z "$MEASURE" ]; then
    run "$@"
    return
  fi
  env LD_LIBRARY_PATH="$OCIDIG_LIBS" /usr/bin/time -f '%M %U %S %e' -o "$T_TMP/time" "$OCIDIG_REAL" "$@" \
    >"$T_TMP/out" 2>"$T_TMP/err"
  rc=$?
  out=$(cat "$T_TMP/out")
  err=$(cat "$T_TMP/err")
  set -- $(tail -n 1 "$T_TMP/time")
  echo "# $m_name: peak RSS $1 KiB, CPU $2 s user + $3 s system, $4 s elapsed"
  if [ "$1" -le "$m_kib" ]; then ok "$m_name: peak RSS $1 KiB <= $m_kib KiB"
  else not_ok "$m_name: peak RSS $1 KiB > $m_kib KiB"; fi
  if [ -n "$m_cpu" ]; then
    if python3 -c "import sys; sys.exit(0 if $2 + $3 <= $m_cpu else 1)"; then ok "$m_name: CPU $2+$3 s <= $m_cpu s"
    else not_ok "$m_name: CPU $2+$3 s > $m_cpu s"; fi
  fi
}

L20=$T_TMP/l20k
L100=$T_TMP/l100k
python3 "$TESTS_DIR/graph_large.py" "$L20" 20000 || not_ok "generate 20,000 images"
python3 "$TESTS_DIR/graph_large.py" "$L100" 100000 --sparse 3 || not_ok "generate 100,000 images"
size20=$(wc -c <"$L20/index.json")
size100=$(wc -c <"$L100/index.json")
echo "# index.json: $size20 bytes (20,000 images), $size100 bytes (100,000 images)"
[ "$size20" -gt 4194304 ] && ok "20,000 images: index.json over the 4 MiB document limit" ||
  not_ok "20,000 images: index.json only $size20 bytes"
LAST20=registry.example.com/products/team-059/app-019999:v1.49.0
LAST100=registry.example.com/products/team-299/app-099999:v1.49.0

measure "20,000 images, --ref the last" 65536 2 resolve --json --ref "$LAST20" "$L20"
expect_rc 0 "20,000 images: resolve --ref the last"
expect_out_has "\"outcome\": \"selected\"" "20,000 images: selected"
expect_out_has "\"registry.example.com/products/team-059/app-019999:v1.49.0\"" "20,000 images: the entry named"

measure "20,000 images, linux/amd64" 65536 2 resolve --json --platform linux/amd64 "$L20"
expect_rc 0 "20,000 images: resolve --platform linux/amd64"
expect_out_has "app-000000:v1.0.0" "20,000 images: the first image is selected"

measure "20,000 images, ref by tag" 65536 2 resolve --ref v1.49.0 "$L20"
expect_rc 2 "20,000 images: a tag many images share is ambiguous"

measure "100,000 images, --ref the last" 65536 "" resolve --json --ref "$LAST100" "$L100"
expect_rc 0 "100,000 images: resolve --ref the last"
expect_out_has "app-099999:v1.49.0" "100,000 images: the entry named"

measure "100,000 images, linux/amd64" 65536 "" resolve --platform linux/amd64 "$L100"
expect_rc 0 "100,000 images: resolve --platform linux/amd64"

# The same 20,000 as a tar archive: index.json streams out of the archive.
(cd "$L20" && tar -cf "$T_TMP/l20k.tar" index.json oci-layout blobs) || not_ok "tar 20,000 images"
measure "20,000 images (tar), --ref the last" 65536 2 resolve --ref "$LAST20" "$T_TMP/l20k.tar"
expect_rc 0 "20,000 images (tar): resolve --ref the last"

finish
