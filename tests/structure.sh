#!/bin/sh
# structure.sh: the library's shape, checked in make check (tests/structure.py: file sizes,
# module call loops read from the object files, header include cycles, what the CLI
# includes).  Skipped (exit 77) where python3 or nm is missing.
: "${OCIDIG:?OCIDIG must point at the ocidig binary}"
: "${TESTS_DIR:?TESTS_DIR must point at tests/}"
for tool in python3 nm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "ok - the library's structure # SKIP no $tool"
    exit 77
  fi
done
src=$(cd "$TESTS_DIR/.." && pwd)
build=$(cd "$(dirname "$OCIDIG")" && pwd)
if python3 "$TESTS_DIR/structure.py" "$src" "$build"; then
  echo "ok - the library's structure"
  echo "1 passed, 0 failed"
else
  echo "not ok - the library's structure"
  echo "0 passed, 1 failed"
  exit 1
fi
