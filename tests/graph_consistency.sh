#!/bin/sh
# One condition, one answer, whatever the route (issue 13, doc/resolution.md §5.9): a
# corrupted config behind a platform-less manifest is the same error, with the same
# message, for `resolve --ref` (the manifest as the root) and for `resolve` (the manifest
# as a candidate), in a directory and in a tar archive.  Layout: umoci's
# (testdata/samples/umoci-multitag: no platform on any descriptor), one byte of v1's config
# changed.
. "$TESTS_DIR/lib.sh"
S="$TESTDATA/samples"
CFG=b15881a1a676c90560344ae2fb7169d7f87df727a84de4f5b0a4d3a5731327a8 # v1's config (linux/amd64)

json_get() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

L=$T_TMP/corrupt
cp -R "$S/umoci-multitag" "$L"
chmod -R u+w "$L"
python3 - "$L/blobs/sha256/$CFG" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[b.index(b"amd64")] = ord("A") # "Amd64": still JSON, another platform, another digest
open(p, "wb").write(bytes(b))
EOF
(cd "$L" && tar -cf "$T_TMP/corrupt.tar" oci-layout index.json blobs) || not_ok "tar the layout"

for form in "$L" "$T_TMP/corrupt.tar"; do
  name=$(basename "$form")
  run resolve --json --platform linux/amd64 --ref v1 "$form"
  expect_rc 4 "$name: resolve --ref v1 (the config is read for the root's platform)"
  printf '%s' "$out" >"$T_TMP/ref.json"
  expect_eq "$(json_get "$T_TMP/ref.json" 'j["error"]["code"]')" "digest-mismatch" "$name: --ref: digest-mismatch"
  run resolve --json --platform linux/amd64 "$form"
  expect_rc 4 "$name: resolve (v1 is the first candidate; its config decides its platform)"
  printf '%s' "$out" >"$T_TMP/walk.json"
  expect_eq "$(json_get "$T_TMP/walk.json" 'j["error"]["code"]')" "digest-mismatch" "$name: walk: digest-mismatch"
  expect_eq "$(json_get "$T_TMP/ref.json" 'j["error"]["message"]')" \
    "$(json_get "$T_TMP/walk.json" 'j["error"]["message"]')" "$name: the same message on both routes"
  case "$(json_get "$T_TMP/ref.json" 'j["error"]["message"]')" in
    *"sha256:$CFG"*) ok "$name: the message names the config" ;;
    *) not_ok "$name: the message does not name sha256:$CFG" ;;
  esac
  # Another image, whose config is intact, is not touched by it.
  run resolve --platform linux/arm64 --ref v2-arm64 "$form"
  expect_rc 0 "$name: resolve --ref v2-arm64 (another config)"
done

# An absent config behind a --ref root stays a warning: the root is selected whatever its
# platform (§5.3), nothing needs the config.
rm "$L/blobs/sha256/$CFG"
run resolve --json --platform linux/amd64 --ref v1 "$L"
expect_rc 0 "absent config: resolve --ref v1 selects"
expect_out_has "could not be read from its config" "absent config: a warning"
run resolve --platform linux/amd64 "$L"
expect_rc 0 "absent config: resolve moves on to the next candidate"

finish
