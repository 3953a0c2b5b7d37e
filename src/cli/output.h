/* output.h: the one output layer of the CLI.  Every byte that reaches standard output or
 * standard error goes through these functions (tests/cli_output.sh fails the build when a
 * command file writes to a stream itself):
 *   - text from the input (the layout, argv) is escaped by one function, cli_escape_char
 *     (through cli_clean, cli_text, cli_put_escaped and the messages of cli_error & co.);
 *   - every write to standard output is checked: the first failure (EPIPE, ENOSPC, a closed
 *     descriptor) is remembered, later writes are skipped, and cli_finish reports it once
 *     as output-error, exit 5;
 *   - colour (cli_style) and aligned columns (cli_table) are decided here;
 *   - a JSON document is written by cli_put_json (a library *_to_json text),
 *     cli_json_sink (a library *_write_json document, as it is made) or
 *     cli_put_json_object (a json-c tree), the one JSON writer. */
#ifndef OCIDIG_CLI_OUTPUT_H
#define OCIDIG_CLI_OUTPUT_H

#include "ocidig.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* ------------------------------------------------------------ standard output */

/* Formatted text; the caller escapes what came from the input (cli_clean, cli_text). */
void cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* s as it is (no newline added). */
void cli_puts(const char *s);
void cli_putc(int c);
/* s with every character a terminal could act on escaped (cli_escape_char; with
 * backslash, a backslash too). */
void cli_put_escaped(const char *s, bool backslash);
/* Bytes as they are (cat).  False after a failed write (now or earlier); err, when given,
 * is then the OCIDIG_ERR_OUTPUT error naming standard output. */
bool cli_write(const void *buf, size_t len, ocidig_error *err);
/* Flushes standard output: false if a write failed (now or earlier). */
bool cli_flush(void);

/* Prints a JSON document and a newline on stdout, valid UTF-8 whatever its strings hold
 * (ocidig_json_utf8: a byte outside well-formed UTF-8 as the text \\xNN), C1 controls in
 * its strings as \u00NN. */
void cli_put_json(const char *text);
/* A library *_write_json document streamed to stdout as cli_put_json writes one: pass
 * cli_json_sink and a zeroed cli_json_stream, then cli_json_end (the newline).  The sink
 * returns OCIDIG_ERR_OUTPUT once a write failed (cli_finish reports it). */
typedef struct cli_json_stream {
  bool held; /* the piece before ended inside a C2 xx pair */
} cli_json_stream;
ocidig_code cli_json_sink(void *ctx, const void *buf, size_t len, ocidig_error *err);
void cli_json_end(cli_json_stream *st);
/* s as a JSON string (quoted and escaped as json-c writes one), for ocidig_json_member's
 * values; malloc'd, NULL when out of memory. */
char *cli_json_quote(const char *s);
/* The same for a json-c tree, in the one layout of all JSON output (pretty, spaced, no
 * escaped slashes).  NULL (out of memory) writes nothing. */
void cli_put_json_object(struct json_object *o);
/* The same on one line (JSON Lines: audit --format jsonl). */
void cli_put_json_line(struct json_object *o);

/* Strings as a one-line JSON array, escaped as text ("["/bin/sh","-c","x"]", as docker
 * shows an entrypoint): not a JSON document, a value inside a line of text. */
void cli_put_json_strings(char *const *v, size_t n);

/* ------------------------------------------------------------ standard error */

/* "ocidig: message" on stderr, the whole message escaped as cli_clean does. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports err on stderr and returns its exit status. */
int cli_fail(const ocidig_error *err);
/* Usage error for a command: message, a hint to --help, exit 2. */
int cli_usage(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Program text (the usage of `ocidig` without a command) on stderr. */
void cli_eputs(const char *s);

/* ------------------------------------------------------------ the output error */

/* Standard output could not be written (errnum: errno, 0 if unknown): an
 * OCIDIG_ERR_OUTPUT error naming standard output. */
void cli_output_error_set(ocidig_error *err, int errnum);
/* Reports the failed write on standard output (once per process) and returns EXIT_OUTPUT. */
int cli_output_error(void);
/* At the start of main: a closed stdout or stderr keeps its descriptor number. */
void cli_start(void);
/* At the end of main: flushes and closes stdout; a write error on it, now or earlier,
 * is reported and makes the status EXIT_OUTPUT.  Returns the exit status. */
int cli_finish(int status);

/* ------------------------------------------------------------ escaping */

/* The one escaping path of all text output: the terminal-safe form of the character
 * at *s (C0 controls, DEL and bytes outside valid UTF-8 as \xNN, C1 controls as \u00NN;
 * with backslash, '\\' as \x5c) into out (8 bytes); *s moves past it.  Returns its length. */
size_t cli_escape_char(const char **s, char *out, bool backslash);
/* s as XML character data or an attribute value (audit --format junit): & < > " ' as
 * entities, and what cli_escape_char escapes as its visible text (XML 1.0 cannot hold C0
 * controls), tab, newline and carriage return as character references. */
void cli_put_xml(const char *s);
/* Columns the escaped form of s takes (cli_put_escaped with backslash; a character is
 * one column). */
size_t cli_escaped_width(const char *s);

/* Text from a layout (media types, names, reasons) or argv with control characters
 * escaped by cli_escape_char, so that a hostile layout cannot drive the terminal.  Returns
 * one of a few rotating buffers: valid until eight more calls; cut at about 1 KiB. */
const char *cli_clean(const char *s);

/* The same for text of any length (history, labels): a ring of 16 heap strings, each
 * valid until 16 more calls; cli_text_free() releases them. */
const char *cli_text(const char *s);
void cli_text_free(void);

/* The length of the valid UTF-8 sequence at s (NUL-terminated), 0 if the bytes there are
 * not one (overlong, surrogate, above U+10FFFF, cut short); *cp gets its code point. */
size_t cli_utf8_len(const unsigned char *s, uint32_t *cp);

/* ------------------------------------------------------------ colour */

/* Colour on standard output: only on a terminal and never with NO_COLOR. */
bool cli_color(void);
#define CLI_BOLD "\033[1m"
#define CLI_DIM "\033[2m"
#define CLI_RED "\033[31m"
#define CLI_GREEN "\033[32m"
#define CLI_YELLOW "\033[33m"
#define CLI_CYAN "\033[36m"
#define CLI_RESET "\033[0m"

/* The escape sequences of standard output's text: the CLI_* codes with colour, "" each
 * without. */
typedef struct cli_style {
  const char *bold, *dim, *red, *green, *yellow, *reset;
} cli_style;
const cli_style *cli_styles(void);

/* ------------------------------------------------------------ tables */

/* Columns aligned by the byte length of their (already escaped) cells, as printf's %-*s
 * pads: cli_table_width grows a column to fit a cell (every command's widths are computed
 * so).  cli_table_row writes one row of n_cols cells separated by two spaces: padded to the
 * column's width (on the left for the columns of `right`, a bit per column), each cell
 * wrapped in its colour when colors[k] is not NULL and colour is on; the last column, when
 * `last_free`, is not padded and is left out with its separator when empty.  line_style
 * (NULL: none) wraps the whole row (a bold header). */
#define CLI_TABLE_MAX 8
typedef struct cli_table {
  int width[CLI_TABLE_MAX];
  int n_cols;
  unsigned right;
  bool last_free;
} cli_table;
void cli_table_width(cli_table *t, int col, const char *cell);
/* The same for a width kept apart: *w grows to strlen(cell) + extra (an indent). */
void cli_width_fit(int *w, const char *cell, int extra);
void cli_table_row(const cli_table *t, const char *const *cells, const char *const *colors, const char *line_style);

/* ------------------------------------------------------------ progress */

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

#endif
