/* cli.h: what the command files share.  Each command is one file, cmd_<name>.c. */
#ifndef OCIDIG_CLI_H
#define OCIDIG_CLI_H

#include "config.h"

#include "ocidig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses (RESOLUTION.md §5). */
enum {
  EXIT_SELECTED = 0,
  EXIT_NO_MATCH = 1,
  EXIT_USAGE = 2,
  EXIT_UNREADABLE = 3,
  EXIT_INTEGRITY = 4,
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

/* The host platform (detected once per process; falls back to linux/amd64). */
const ocidig_platform *cli_host(void);
/* Parses a --platform value (NULL: the host) into a matcher.  Exit status on failure. */
int cli_matcher(const char *spec, bool strict, ocidig_matcher **out);

/* Text from a layout (media types, names, reasons) with control characters shown as
 * \xNN, so that a hostile layout cannot drive the terminal.  Returns one of a few
 * rotating buffers: valid until eight more calls. */
const char *cli_clean(const char *s);

/* The same for text of any length (history, labels): a ring of 16 heap strings, each
 * valid until 16 more calls; cli_text_free() releases them. */
const char *cli_text(const char *s);
void cli_text_free(void);

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
