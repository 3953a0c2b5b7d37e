#!/bin/sh
# schema_cases.sh: verify against the OCI image-spec's own schema tests (issue 17):
# every case of testdata/image-spec/schema-cases.json placed in each position of a layout
# where verify must check it, with the verdict the schema test expects (tests/schema_cases.py
# says how; its XFAIL list is what is left to do).
. "$TESTS_DIR/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "the image-spec schema cases" "no python3"
  finish
  exit $?
fi
# shellcheck disable=SC2086 # the wrapper is a command and its arguments
python3 "$TESTS_DIR/schema_cases.py" "$OCIDIG" "$TESTDATA/image-spec/schema-cases.json" "$T_TMP" ${OCIDIG_WRAPPER:-}
