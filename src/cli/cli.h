/* cli.h: what the command files share.  Each command is one file, cmd_<name>.c. */
#ifndef OCIDIG_CLI_H
#define OCIDIG_CLI_H

#include "config.h"

#include "ocidig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
int cmd_ls(int argc, char **argv);
int cmd_cat(int argc, char **argv);

/* "ocidig: message" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports err on stderr and returns its exit status. */
int cli_fail(const ocidig_error *err);
/* Usage error for a command: message, a hint to --help, exit 2. */
int cli_usage(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* (cli_error, cli_warn and cli_usage escape their whole message as cli_clean does.) */

/* Standard output could not be written (errnum: errno, 0 if unknown): an
 * OCIDIG_ERR_OUTPUT error naming standard output. */
void cli_output_error_set(ocidig_error *err, int errnum);
/* Reports it (once per process) and returns EXIT_OUTPUT. */
int cli_output_error(int errnum);
/* At the start of main: a closed stdout or stderr keeps its descriptor number. */
void cli_start(void);
/* At the end of main: flushes and closes stdout; a write error on it, now or earlier,
 * is reported and makes the status EXIT_OUTPUT.  Returns the exit status. */
int cli_finish(int status);

/* The host platform (detected once per process; falls back to linux/amd64). */
const ocidig_platform *cli_host(void);
/* Parses a --platform value (NULL: the host) into a matcher.  Exit status on failure. */
int cli_matcher(const char *spec, bool strict, ocidig_matcher **out);

/* The one escaping path of all text output: the terminal-safe form of the character
 * at *s (C0 controls, DEL and bytes outside valid UTF-8 as \xNN, C1 controls as \u00NN;
 * with backslash, '\\' as \x5c) into out (8 bytes); *s moves past it.  Returns its length. */
size_t cli_escape_char(const char **s, char *out, bool backslash);

/* Text from a layout (media types, names, reasons) or argv with control characters
 * escaped by cli_escape_char, so that a hostile layout cannot drive the terminal.  Returns one of a few
 * rotating buffers: valid until eight more calls. */
const char *cli_clean(const char *s);

/* Prints a JSON document and a newline on stdout, valid UTF-8 whatever its strings hold
 * (ocidig_json_utf8: a byte outside well-formed UTF-8 as the text \\xNN), C1 controls in
 * its strings as \u00NN. */
void cli_put_json(const char *text);

/* The same for text of any length (history, labels): a ring of 16 heap strings, each
 * valid until 16 more calls; cli_text_free() releases them. */
const char *cli_text(const char *s);
void cli_text_free(void);

/* --max-bytes N (every command that opens a SOURCE): N bytes, or with a suffix K, M, G or
 * T (KiB .. TiB, either case); 0 means no cap.  Returns 0, or the usage status after
 * saying what is wrong. */
int cli_max_bytes(const char *command, const char *arg, uint64_t *out);
#define CLI_MAX_BYTES_HELP                                                                            \
  "      --max-bytes N    stop with limit-exceeded (exit 4) after N bytes of archive\n"                \
  "                       members (decompressed, sparse holes included); suffixes K, M,\n"            \
  "                       G, T; 0 or absent: no cap\n"

/* A progress line on standard error, when it is a terminal, for an open that reads for
 * more than a second (a large or highly compressed archive): ocidig_open_options'
 * progress with a cli_progress as its context; cli_progress_end clears the line. */
typedef struct cli_progress {
  const char *what; /* "reading", "verifying" */
  /* When the line may appear: after delay seconds (0: one), or at once for a read of at
   * least min_bytes (0: never at once). */
  double delay;
  uint64_t min_bytes;
  bool tty, started, shown;
  double start, last;
} cli_progress;
void cli_progress_cb(void *ctx, uint64_t done, int64_t total);
void cli_progress_end(cli_progress *p);

/* A digest as the text output shows it: its algorithm (at most alg_max characters, 0: all)
 * and 12 hex digits, "sha256:6dbe130e3ff3"; a digest with 12 or fewer after the colon, or
 * none, its first 40 characters; "(no digest)" for NULL or "". */
void cli_short_digest(const char *d, int alg_max, char *buf, size_t n);

/* The length of the valid UTF-8 sequence at s (NUL-terminated), 0 if the bytes there are
 * not one (overlong, surrogate, above U+10FFFF, cut short); *cp gets its code point. */
size_t cli_utf8_len(const unsigned char *s, uint32_t *cp);

/* "215 B", "1.1 KiB", "2.0 GiB". */
void cli_human_size(int64_t n, char *buf, size_t len);

/* Colour: only on a terminal and never with NO_COLOR. */
bool cli_color(FILE *f);
#define CLI_BOLD "\033[1m"
#define CLI_DIM "\033[2m"
#define CLI_RED "\033[31m"
#define CLI_GREEN "\033[32m"
#define CLI_YELLOW "\033[33m"
#define CLI_CYAN "\033[36m"
#define CLI_RESET "\033[0m"

#endif
