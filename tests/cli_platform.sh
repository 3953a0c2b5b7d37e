#!/bin/sh
. "$TESTS_DIR/lib.sh"
run --version
expect_rc 0 "--version"
finish
