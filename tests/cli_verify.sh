#!/bin/sh
. "$TESTS_DIR/lib.sh"
run verify --help
expect_rc 2 "verify (not yet)"
finish
