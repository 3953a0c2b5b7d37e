#!/bin/sh
. "$TESTS_DIR/lib.sh"
run resolve /nonexistent
expect_rc 3 "missing source"
finish
