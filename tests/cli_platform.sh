#!/bin/sh
# cli_platform.sh: `ocidig platform` in text and JSON, --strict, the host default,
# bad specifiers and --help.
. "$TESTS_DIR/lib.sh"

# expect_json PYTHON-EXPR DESCRIPTION: the expression, over d = the JSON on stdout, holds.
if command -v python3 >/dev/null 2>&1; then
  expect_json() {
    if printf '%s' "$out" | python3 -c "import json, sys
d = json.load(sys.stdin)
sys.exit(0 if ($1) else 1)" 2>"$T_TMP/pyerr"; then
      ok "$2"
    else
      not_ok "$2: $(cat "$T_TMP/pyerr") stdout: $out"
    fi
  }
else
  expect_json() { echo "ok - $2 # SKIP python3 not installed"; }
fi

expect_out_lacks() {
  case "$out" in *"$1"*) not_ok "$2: stdout has '$1'; stdout: $out" ;; *) ok "$2" ;; esac
}

# ------------------------------------------------------------------ help
run platform --help
expect_rc 0 "--help"
expect_out_has "Usage: ocidig platform [--json] [--strict] [SPEC...]" "--help shows the usage"
expect_out_has "Examples:" "--help shows examples"
expect_eq "$err" "" "--help writes nothing on stderr"

run platform -h
expect_rc 0 "-h"

run platform --bogus linux
expect_rc 2 "unknown option"
expect_err_has "ocidig: unknown option '--bogus'" "unknown option is named"
expect_err_has "Try 'ocidig platform --help'." "unknown option points at --help"

# ------------------------------------------------------------------ text
run platform linux/arm64
expect_rc 0 "text linux/arm64"
expect_out_has "Specifier: linux/arm64" "text names the specifier"
expect_out_has "architecture  arm64" "text shows the parsed architecture"
expect_out_has "accepts (most preferred first):" "text lists what is accepted"
expect_out_has " 1. linux/arm64" "arm64 itself comes first"
expect_out_has " 3. linux/arm/v7  (fallback)" "arm64 falls back to arm/v7 (third)"
expect_out_has " 5. linux/arm/v5  (fallback)" "arm64 falls back down to arm/v5"
expect_out_lacks "linux/arm/v4" "arm/v4 is not accepted"
expect_eq "$err" "" "nothing on stderr for a valid specifier"

run platform armhf
expect_rc 0 "text armhf"
expect_out_has "variant       (none)   v7" "armhf parses without a variant and normalizes to v7"
expect_out_has " 1. linux/arm/v7" "armhf accepts arm/v7 first"

run platform 'windows(10.0.20348)/amd64'
expect_rc 0 "text windows with os.version"
expect_out_has "os.version    10.0.20348   10.0.20348" "the os.version is shown"
expect_out_has "version rule  Windows 10.0.20348 only" "the Windows version rule is explained"
expect_out_has " 1. windows(10.0.20348)/amd64" "FormatAll keeps the os.version"

run platform linux/arm64/v7
expect_rc 0 "arm64/v7 parses"
expect_out_has "accepts       nothing" "arm64/v7 accepts nothing (rc.5 table)"

run platform linux/arm64 'windows(10.0.20348)/amd64' armhf
expect_rc 0 "several specifiers"
expect_out_has "Specifier: armhf" "every specifier is shown"

run platform -- linux/amd64/v3
expect_rc 0 "-- before the specifiers"
expect_out_has " 3. linux/amd64  (fallback)" "amd64/v3 falls back to plain amd64"
expect_out_has " 4. linux/386  (fallback)" "amd64/v3 falls back to 386 last"

# ---------------------------------------------------------------- strict
run platform --strict linux/arm64
expect_rc 0 "--strict"
expect_out_has "OnlyStrict" "--strict names the strict matcher"
expect_out_has " 1. linux/arm64" "--strict accepts the platform"
expect_out_lacks "linux/arm/v7" "--strict has no arm fallback"
expect_out_lacks "(fallback)" "--strict lists no fallback"

# ------------------------------------------------------------------ host
run platform
expect_rc 0 "no specifier: the host"
expect_out_has "Host platform (detected" "the host is said to be the host"
expect_out_has " 1. " "the host's accepted platforms are listed"

run platform --json
expect_rc 0 "--json host"
expect_json 'len(d) == 1 and d[0]["host"] is True and d[0]["matcher"] == "only"' "JSON host entry is marked"
expect_json 'd[0]["accepts"] and d[0]["input"] and d[0]["parsed"]["architecture"]' "JSON host entry is filled"
case "$(uname -s)/$(uname -m)" in
Linux/x86_64)
  expect_json 'd[0]["input"] == "linux/amd64" and d[0]["accepts"] == ["linux/amd64", "linux/386"]' \
    "JSON host on linux/amd64"
  ;;
esac

# ------------------------------------------------------------------ JSON
run platform --json linux/arm64 armhf 'windows(10.0.20348)/amd64'
expect_rc 0 "--json several"
expect_json 'len(d) == 3 and [e["input"] for e in d] == ["linux/arm64", "armhf", "windows(10.0.20348)/amd64"]' \
  "JSON has one object per specifier, in order"
expect_json 'all(set(e) >= {"input", "parsed", "normalized", "accepts"} for e in d)' "JSON objects have the keys"
expect_json 'all(list(e[k]) == ["os", "architecture", "variant", "os.version", "os.features"]
                 for e in d for k in ("parsed", "normalized"))' "JSON platforms have the five keys"
expect_json 'd[0]["accepts"] == ["linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"]' \
  "JSON arm64 fallback vector"
expect_json 'd[1]["parsed"]["variant"] == "" and d[1]["normalized"]["variant"] == "v7"' \
  "JSON armhf parsed vs normalized"
expect_json 'd[2]["parsed"]["os.version"] == "10.0.20348" and d[2]["accepts"][0] == "windows(10.0.20348)/amd64"' \
  "JSON windows os.version"

run platform --json --strict armhf
expect_rc 0 "--json --strict"
expect_json 'd[0]["matcher"] == "only_strict" and d[0]["accepts"] == ["linux/arm/v7"]' "JSON --strict accepts one"

run platform --json 'windows(10.0.17763%2Bbuild.42)/amd64' 'linux(+b+a+b)'
expect_rc 0 "--json percent-encoding and features"
expect_json 'd[0]["parsed"]["os.version"] == "10.0.17763+build.42"' "percent-decoding in the os.version"
expect_json 'd[0]["accepts"][0] == "windows(10.0.17763%2Bbuild.42)/amd64"' "percent-encoding in accepts"
expect_json 'd[1]["parsed"]["os.features"] == ["b", "a", "b"] and d[1]["normalized"]["os.features"] == ["a", "b"]' \
  "features: parsed in order, normalized sorted and deduplicated"

run platform --json 'linux(%ff)'
expect_rc 0 "--json with a non-UTF-8 os.version"
expect_json 'd[0]["parsed"]["os.version"] == "\ufffd"' "JSON stays valid UTF-8"

# ------------------------------------------------------------------ errors
run platform 'linux/&arm'
expect_rc 2 "bad specifier"
expect_err_has 'ocidig: invalid platform specifier: "&arm" is an invalid component of "linux/&arm"' \
  "the reason quotes the bad part"
expect_eq "$out" "" "nothing on stdout for a lone bad specifier"

run platform foo linux/arm64
expect_rc 2 "a bad specifier among good ones"
expect_err_has '"foo": unknown operating system or architecture' "the bad one is reported"
expect_out_has "Specifier: linux/arm64" "the good one is still shown"

run platform 'linux(%zz)/amd64'
expect_rc 2 "bad percent escape"
expect_err_has 'invalid OS version "%zz": invalid URL escape "%zz"' "the bad escape is quoted"

run platform 'a/b/c/d/e'
expect_rc 2 "too many parts"
expect_err_has '"d/e" is an invalid component of "a/b/c/d/e"' "split at most in four parts"

run platform --json foo linux/amd64
expect_rc 2 "--json with a bad specifier"
expect_json 'd[0]["input"] == "foo" and d[0]["error"]["code"] == "invalid-platform"' "JSON error object"
expect_json '"\"foo\"" in d[0]["error"]["message"] and "accepts" not in d[0]' "JSON error message quotes the input"
expect_json 'd[1]["accepts"] == ["linux/amd64", "linux/386"]' "JSON still shows the good specifier"
expect_err_has '"foo": unknown operating system or architecture' "--json also reports on stderr"

run platform linux/amd64/v5000
expect_rc 2 "absurd variant"
expect_err_has 'variant "v5000"' "the absurd variant is named"

finish
