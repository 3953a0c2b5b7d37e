#!/bin/sh
# OpenSSL's configuration file: read only when OPENSSL_CONF names one (src/cli/main.c,
# crypto_init).  The host's openssl.cnf is not read, so it cannot change a verdict, and a
# named configuration without the digests every command needs is said as such (exit 2),
# not reported as a failure of the first hash (it said "out of memory", exit 3).
. "$TESTS_DIR/lib.sh"
S="$TESTDATA/samples/containerd-export-arm64only.tar"

# Only OpenSSL's null provider: no digest at all.
cat >"$T_TMP/null.cnf" <<'CNF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
null = null_sect
[null_sect]
activate = 1
CNF
# The default provider, named: the digests are there.
cat >"$T_TMP/default.cnf" <<'CNF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
[default_sect]
activate = 1
CNF

OPENSSL_CONF="$T_TMP/null.cnf" run resolve --platform linux/arm64 "$S"
expect_rc 2 "OPENSSL_CONF without SHA-256: a usage error"
expect_err_has "OPENSSL_CONF=$T_TMP/null.cnf: OpenSSL offers no SHA-256 or SHA-512" "the message names the configuration"
case "$err" in *"out of memory"*) not_ok "not out of memory: $err" ;; *) ok "not out of memory" ;; esac
OPENSSL_CONF="$T_TMP/null.cnf" run verify "$S"
expect_rc 2 "verify: the same"
expect_err_has "(usage)" "the message ends with its code"
OPENSSL_CONF="$T_TMP/null.cnf" run --version
expect_rc 0 "--version needs no digest"
OPENSSL_CONF="$T_TMP/null.cnf" run resolve --help
expect_rc 0 "a command's --help needs no digest"
expect_out_has "Usage: ocidig resolve" "resolve --help: its usage"
# A provider that cannot be loaded (OpenSSL 3.0 reports no failure for it; the digests are
# then missing): the same usage error.
cat >"$T_TMP/nosuch.cnf" <<'CNF'
config_diagnostics = 1
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
nosuch = nosuch_sect
[nosuch_sect]
activate = 1
CNF
OPENSSL_CONF="$T_TMP/nosuch.cnf" run resolve --platform linux/arm64 "$S"
expect_rc 2 "a provider that cannot be loaded: a usage error"
expect_err_has "OPENSSL_CONF=$T_TMP/nosuch.cnf: OpenSSL" "a provider that cannot be loaded: the configuration named"

OPENSSL_CONF="$T_TMP/default.cnf" run resolve --platform linux/arm64 "$S"
expect_rc 0 "OPENSSL_CONF with the default provider"
expect_out_has "selected   sha256:7d5a4eaebd90d4e57a28613e6766cb3a10b5405a1a15a494157cc9f95a168038" "selects as without it"
OPENSSL_CONF= run resolve --platform linux/arm64 "$S"
expect_rc 0 "an empty OPENSSL_CONF is no configuration"
OPENSSL_CONF="$T_TMP/absent.cnf" run resolve --platform linux/arm64 "$S"
expect_rc 0 "a configuration file that does not exist: OpenSSL's defaults"

# Which files are opened: the system's openssl.cnf never, a named one when named.
ocidig_real
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null; then
  sysconf=$(openssl version -d 2>/dev/null | sed -n 's/^OPENSSLDIR: "\(.*\)"$/\1/p')/openssl.cnf
  (unset OPENSSL_CONF; LD_LIBRARY_PATH=$OCIDIG_LIBS strace -f -e trace=open,openat -o "$T_TMP/trace" \
    "$OCIDIG_REAL" resolve --platform linux/arm64 "$S" >/dev/null 2>&1)
  if grep -q 'openssl\.cnf' "$T_TMP/trace"; then not_ok "no OPENSSL_CONF: opened $(grep openssl.cnf "$T_TMP/trace")"
  else ok "no OPENSSL_CONF: openssl.cnf ($sysconf) not opened"; fi
  OPENSSL_CONF="$T_TMP/default.cnf" LD_LIBRARY_PATH=$OCIDIG_LIBS strace -f -e trace=open,openat -o "$T_TMP/trace" \
    "$OCIDIG_REAL" resolve --platform linux/arm64 "$S" >/dev/null 2>&1
  if grep -q 'default\.cnf' "$T_TMP/trace"; then ok "OPENSSL_CONF named: the file is read"
  else not_ok "OPENSSL_CONF named: default.cnf not opened"; fi
else
  skip "openssl.cnf not opened without OPENSSL_CONF" "strace is not installed or may not trace here"
fi

finish
