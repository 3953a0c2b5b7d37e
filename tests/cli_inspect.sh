#!/bin/sh
. "$TESTS_DIR/lib.sh"
run inspect --help
expect_rc 2 "inspect (not yet)"
finish
