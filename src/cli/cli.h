/* cli.h: what the command files share.  Each command is one file, cmd_<name>.c. */
#ifndef OCIDIG_CLI_H
#define OCIDIG_CLI_H

#include "config.h"

#include "ocidig.h"
#include "output.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h> /* snprintf; writing is output.h's */

/* Exit statuses (doc/resolution.md §6). */
enum {
  EXIT_SELECTED = 0,
  EXIT_NO_MATCH = 1,
  EXIT_USAGE = 2,
  EXIT_UNREADABLE = 3,
  EXIT_INTEGRITY = 4,
  EXIT_OUTPUT = 5, /* the output could not be written */
};

typedef struct cli_command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
} cli_command;

int cmd_platform(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_files(int argc, char **argv);
int cmd_verify_bundle(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* cmd_files.c: the image resolved as resolve selects it (matcher, ref) and its merged tree
 * loaded (fopts NULL: every layer), its warnings on standard error unless quiet_warnings.
 * 0, or the exit status after saying what went wrong (*out NULL). */
int cli_files_load(ocidig_layout *layout, const ocidig_matcher *m, const char *ref,
                   const ocidig_files_options *fopts, bool quiet_warnings, ocidig_files **out);

/* The host platform (detected once per process; falls back to linux/amd64). */
const ocidig_platform *cli_host(void);
/* Parses a --platform value (NULL: the host) into a matcher.  Exit status on failure. */
int cli_matcher(const char *spec, bool strict, ocidig_matcher **out);

/* --max-bytes N (every command that opens a SOURCE): N bytes, or with a suffix K, M, G or
 * T (KiB .. TiB, either case); 0 means no cap.  Returns 0, or the usage status after
 * saying what is wrong. */
int cli_max_bytes(const char *command, const char *arg, uint64_t *out);
#define CLI_MAX_BYTES_HELP                                                                            \
  "      --max-bytes N    stop with limit-exceeded (exit 4) after N bytes of archive\n"                \
  "                       members (decompressed, sparse holes included); suffixes K, M,\n"            \
  "                       G, T; 0 or absent: no cap\n"

/* A digest as the text output shows it: its algorithm (at most alg_max characters, 0: all)
 * and 12 hex digits, "sha256:6dbe130e3ff3"; a digest with 12 or fewer after the colon, or
 * none, its first 40 characters; "(no digest)" for NULL or "". */
void cli_short_digest(const char *d, int alg_max, char *buf, size_t n);

/* "215 B", "1.1 KiB", "2.0 GiB". */
void cli_human_size(int64_t n, char *buf, size_t len);
/* What is attached to an image, in one short line (escaped, malloc'd; NULL when nothing is):
 * "signatures: 2 cosign, 1 notation; attestations: https://slsa.dev/provenance/v1". */
char *cli_attached_summary(const ocidig_attached *v, size_t n);
/* A file read whole (bundles, keys, trusted roots: at most 16 MiB); 0, or the exit status
 * after saying why on standard error ("WHAT PATH: reason"). */
int cli_slurp(const char *path, const char *what, uint8_t **out, size_t *len);

/* Trust material on the command line (verify, audit): --key, --trusted-root, the certificate
 * identity and issuer (exact or as a regexp), --trust-policy with --trust-store.  A command
 * puts CLI_TRUST_LONGOPTS in its option table, hands each of those options to
 * cli_trust_option, then calls cli_trust_load once (the combinations checked, the files
 * read); opts is then what ocidig_verify_options.trust takes; cli_trust_free at the end. */
enum { CLI_OPT_TRUST = 512, CLI_OPT_TRUST_END = CLI_OPT_TRUST + 10 };
#define CLI_TRUST_LONGOPTS                                                          \
  {"key", required_argument, NULL, CLI_OPT_TRUST + 0},                              \
  {"trusted-root", required_argument, NULL, CLI_OPT_TRUST + 1},                     \
  {"certificate-identity", required_argument, NULL, CLI_OPT_TRUST + 2},             \
  {"certificate-identity-regexp", required_argument, NULL, CLI_OPT_TRUST + 3},      \
  {"certificate-oidc-issuer", required_argument, NULL, CLI_OPT_TRUST + 4},          \
  {"certificate-oidc-issuer-regexp", required_argument, NULL, CLI_OPT_TRUST + 5},   \
  {"trust-policy", required_argument, NULL, CLI_OPT_TRUST + 6},                     \
  {"trust-store", required_argument, NULL, CLI_OPT_TRUST + 7},                      \
  {"ca-roots", required_argument, NULL, CLI_OPT_TRUST + 8},                         \
  {"ca-intermediates", required_argument, NULL, CLI_OPT_TRUST + 9}
typedef struct cli_trust {
  ocidig_trust_options opts;
  const char *key_path, *root_path, *policy_path, *store_path, *ca_roots_path, *ca_inter_path;
  uint8_t *key, *root, *ca_roots, *ca_inter;
  ocidig_notation_trust *notation;
} cli_trust;
/* true when opt is one of CLI_TRUST_LONGOPTS' (then arg is kept). */
bool cli_trust_option(cli_trust *t, int opt, const char *arg);
/* 0, or the exit status after saying what is wrong (command: for usage messages). */
int cli_trust_load(cli_trust *t, const char *command);
void cli_trust_free(cli_trust *t);

#endif
