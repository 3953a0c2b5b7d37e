#!/bin/sh
. "$TESTS_DIR/lib.sh"
run --help
expect_rc 0 "--help"
finish
