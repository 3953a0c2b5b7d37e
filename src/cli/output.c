/* output.c: the one output layer of the CLI (see output.h): checked writes to standard
 * output, messages on standard error, the one escaping of input text, colour, columns,
 * the JSON writer and the progress line.  The only file of src/cli that names stdout or
 * stderr (tests/cli_output.sh checks it). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ standard output */

/* The first failed write on standard output: later writes are skipped (nothing more can
 * reach the reader in order), and cli_finish reports it once. */
static bool out_failed;
static int out_errno;
/* Set once a write error on standard output was reported, so that it is reported once. */
static bool output_error_reported;

/* A write just returned an error (or the stream's error flag is set): remember it. */
static void out_fail(void)
{
  if (!out_failed) {
    out_failed = true;
    out_errno = errno;
  }
}

void cli_printf(const char *fmt, ...)
{
  va_list ap;
  int n;
  if (out_failed)
    return;
  errno = 0;
  va_start(ap, fmt);
  n = vfprintf(stdout, fmt, ap);
  va_end(ap);
  if (n < 0 || ferror(stdout))
    out_fail();
}

void cli_puts(const char *s)
{
  if (out_failed)
    return;
  errno = 0;
  if (fputs(s, stdout) == EOF || ferror(stdout))
    out_fail();
}

void cli_putc(int c)
{
  if (out_failed)
    return;
  errno = 0;
  if (putc(c, stdout) == EOF || ferror(stdout))
    out_fail();
}

bool cli_write(const void *buf, size_t len, ocidig_error *err)
{
  if (!out_failed) {
    errno = 0;
    /* The error flag is sticky: a failed write of an earlier chunk (fwrite buffers) also stops. */
    if (fwrite(buf, 1, len, stdout) != len || ferror(stdout))
      out_fail();
  }
  if (out_failed && err)
    cli_output_error_set(err, out_errno);
  return !out_failed;
}

void cli_put_escaped(const char *s, bool backslash)
{
  while (*s && !out_failed) {
    char buf[8];
    size_t k = cli_escape_char(&s, buf, backslash);
    cli_write(buf, k, NULL);
  }
}

bool cli_flush(void)
{
  if (out_failed)
    return false;
  errno = 0;
  if (fflush(stdout) != 0 || ferror(stdout))
    out_fail();
  return !out_failed;
}

/* A piece of a JSON text that is valid UTF-8, written with C1 controls as \u00NN: inside a
 * JSON document, bytes C2 80..C2 9F (U+0080..U+009F) can only be in a string, where \u00NN
 * is the same string, and so no C1 control reaches a terminal.  A piece that ends with
 * the first byte of such a pair holds it (*held) for the next. */
static void put_json_piece(const char *text, size_t len, bool *held)
{
  const unsigned char *s = (const unsigned char *)text, *end = s + len, *run = s;
  if (*held) {
    *held = false;
    if (s < end && s[0] >= 0x80 && s[0] <= 0x9f) {
      cli_printf("\\u%04x", s[0]);
      run = ++s;
    } else {
      cli_write("\xc2", 1, NULL);
    }
  }
  for (; s < end; s++) {
    if (s[0] != 0xc2)
      continue;
    if (s + 1 == end) {
      cli_write(run, (size_t)(s - run), NULL);
      *held = true;
      return;
    }
    if (s[1] >= 0x80 && s[1] <= 0x9f) {
      cli_write(run, (size_t)(s - run), NULL);
      cli_printf("\\u%04x", s[1]);
      run = ++s + 1;
    }
  }
  cli_write(run, (size_t)(end - run), NULL);
}

void cli_put_json(const char *json)
{
  /* A byte outside well-formed UTF-8 (a member name, a path) becomes \\xNN, so that the
   * document is UTF-8 (RFC 8259 §8.1). */
  char *clean = ocidig_json_utf8(json);
  const char *text = clean ? clean : json;
  bool held = false;
  put_json_piece(text, strlen(text), &held);
  if (held)
    cli_write("\xc2", 1, NULL);
  cli_putc('\n');
  free(clean);
}

char *cli_json_quote(const char *s)
{
  json_object *o = json_object_new_string(s ? s : "");
  const char *t = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
  char *out = t ? strdup(t) : NULL;
  json_object_put(o);
  return out;
}

ocidig_code cli_json_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  cli_json_stream *st = ctx;
  put_json_piece(buf, len, &st->held);
  return cli_write("", 0, err) ? OCIDIG_OK : OCIDIG_ERR_OUTPUT;
}

void cli_json_end(cli_json_stream *st)
{
  if (st->held)
    cli_write("\xc2", 1, NULL);
  st->held = false;
  cli_putc('\n');
}

void cli_put_json_object(json_object *o)
{
  const char *text;
  if (!o)
    return;
  text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                JSON_C_TO_STRING_NOSLASHESCAPE);
  if (text)
    cli_put_json(text);
}

void cli_put_json_line(json_object *o)
{
  const char *text;
  if (!o)
    return;
  text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  if (text)
    cli_put_json(text);
}

void cli_put_json_strings(char *const *v, size_t n)
{
  json_object *a = json_object_new_array();
  const char *text;
  for (size_t i = 0; a && i < n; i++)
    json_object_array_add(a, json_object_new_string(v[i]));
  text = a ? json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
  cli_put_escaped(text ? text : "?", false);
  json_object_put(a);
}

/* ------------------------------------------------------------ standard error */

/* Standard error is where failures are reported: a failed write there cannot be reported
 * anywhere, and does not change the exit status. */
static void err_write(const char *s, size_t n)
{
  if (fwrite(s, 1, n, stderr) != n)
    clearerr(stderr);
}

void cli_eputs(const char *s)
{
  err_write(s, strlen(s));
}

/* "ocidig: " prefix, then the message with every character a terminal could act on
 * escaped (the message may quote argv or the layout), then end (a newline). */
static void message(const char *prefix, const char *end, const char *fmt, va_list ap)
{
  char small[1024], *text = small;
  va_list copy;
  int n;
  va_copy(copy, ap);
  n = vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0) {
    small[0] = '\0';
  } else if ((size_t)n >= sizeof small) {
    char *big = malloc((size_t)n + 1); /* else (out of memory) the message cut at 1023 bytes */
    if (big) {
      vsnprintf(big, (size_t)n + 1, fmt, ap);
      text = big;
    }
  }
  cli_eputs(prefix);
  for (const char *s = text; *s;) {
    char buf[8];
    size_t k = cli_escape_char(&s, buf, false);
    err_write(buf, k);
  }
  cli_eputs(end);
  if (text != small)
    free(text);
}

void cli_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  message("ocidig: ", "\n", fmt, ap);
  va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  message("ocidig: warning: ", "\n", fmt, ap);
  va_end(ap);
}

int cli_fail(const ocidig_error *err)
{
  cli_error("%s (%s)", cli_clean(err->message), ocidig_code_name(err->code));
  if (err->code == OCIDIG_ERR_OUTPUT)
    output_error_reported = true;
  return ocidig_code_exit_status(err->code);
}

int cli_usage(const char *command, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  message("ocidig: ", "", fmt, ap);
  va_end(ap);
  cli_eputs("\nTry 'ocidig ");
  cli_eputs(command);
  cli_eputs(" --help'.\n");
  return EXIT_USAGE;
}

/* ------------------------------------------------------------ the output error */

void cli_output_error_set(ocidig_error *err, int errnum)
{
  err->code = OCIDIG_ERR_OUTPUT;
  snprintf(err->message, sizeof err->message, "standard output: %s", errnum ? strerror(errnum) : "write error");
}

int cli_output_error(void)
{
  ocidig_error err;
  if (output_error_reported)
    return EXIT_OUTPUT;
  cli_output_error_set(&err, out_errno);
  return cli_fail(&err);
}

void cli_start(void)
{
  /* A closed standard output or error: hold its descriptor with /dev/null opened for
   * reading, so that no file the command opens becomes "standard output" and a write
   * fails (EBADF) as it would on the closed descriptor. */
  for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
    if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      int nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (nfd >= 0 && nfd != fd) {
        dup2(nfd, fd);
        close(nfd);
      }
    }
  }
}

int cli_finish(int status)
{
  cli_flush();
  /* fclose after a successful fflush writes nothing; EBADF then only says that the
   * descriptor was closed with nothing due. */
  errno = 0;
  if (fclose(stdout) != 0 && errno != EBADF)
    out_fail();
  if (!out_failed)
    return status;
  return cli_output_error();
}

/* ------------------------------------------------------------ escaping */

size_t cli_utf8_len(const unsigned char *s, uint32_t *cp)
{
  size_t w;
  uint32_t v, min;
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    w = 2, v = s[0] & 0x1f, min = 0x80;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    w = 3, v = s[0] & 0x0f, min = 0x800;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    w = 4, v = s[0] & 0x07, min = 0x10000;
  else
    return 0;
  for (size_t k = 1; k < w; k++) {
    if ((s[k] & 0xc0) != 0x80) /* also stops at the terminating NUL */
      return 0;
    v = (v << 6) | (s[k] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
    return 0;
  *cp = v;
  return w;
}

/* The one escaping path of all text output: writes the terminal-safe form of the
 * character at *s into out (room for 7 bytes) and returns its length; *s moves past it.
 * C0 controls and DEL become \xNN, C1 controls (U+0080..U+009F; U+009B is CSI on some
 * terminals) \u00NN, and every byte that is not part of a valid UTF-8 sequence \xNN;
 * with backslash, a backslash becomes \x5c. */
size_t cli_escape_char(const char **s, char *out, bool backslash)
{
  const unsigned char *u = (const unsigned char *)*s;
  uint32_t cp = 0;
  size_t w = cli_utf8_len(u, &cp);
  if (w == 0 || cp < 0x20 || cp == 0x7f || (backslash && cp == '\\')) {
    (*s)++;
    return (size_t)snprintf(out, 8, "\\x%02x", u[0]);
  }
  *s += w;
  if (cp >= 0x80 && cp <= 0x9f)
    return (size_t)snprintf(out, 8, "\\u%04x", (unsigned)cp);
  memcpy(out, u, w);
  return w;
}

void cli_put_xml(const char *s)
{
  while (s && *s) {
    char buf[8];
    const char *at = s;
    size_t k = cli_escape_char(&s, buf, false);
    /* what XML 1.0 cannot hold is escaped as the text shows it (\\xNN); tab, newline and
     * carriage return are characters it can */
    if (*at == '\t' || *at == '\n' || *at == '\r') {
      cli_printf("&#%d;", *at);
      continue;
    }
    switch (buf[0]) {
    case '&': cli_puts("&amp;"); break;
    case '<': cli_puts("&lt;"); break;
    case '>': cli_puts("&gt;"); break;
    case '"': cli_puts("&quot;"); break;
    case '\'': cli_puts("&apos;"); break;
    default:
      buf[k] = '\0';
      cli_puts(buf);
    }
  }
}

size_t cli_escaped_width(const char *s)
{
  size_t cols = 0;
  while (*s) {
    char buf[8];
    size_t k = cli_escape_char(&s, buf, true);
    cols += buf[0] == '\\' ? k : 1;
  }
  return cols;
}

const char *cli_clean(const char *s)
{
  static char ring[8][1024];
  static unsigned next;
  char *out = ring[next++ % 8];
  size_t o = 0;
  if (!s)
    return "";
  while (*s && o + 8 < sizeof ring[0])
    o += cli_escape_char(&s, out + o, false);
  if (*s && o + 4 <= sizeof ring[0]) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
  return out;
}

/* A ring of heap strings: inspect prints long untrusted text (history, labels, env). */
#define TEXT_RING 16
static char *text_ring[TEXT_RING];
static unsigned text_next;

const char *cli_text(const char *s)
{
  size_t n = s ? strlen(s) : 0, k = 0;
  char *out = n < SIZE_MAX / 6 ? malloc(n * 6 + 1) : NULL;
  if (!out)
    return "?";
  while (s && *s)
    k += cli_escape_char(&s, out + k, false);
  out[k] = '\0';
  free(text_ring[text_next]);
  text_ring[text_next] = out;
  text_next = (text_next + 1) % TEXT_RING;
  return out;
}

void cli_text_free(void)
{
  for (unsigned i = 0; i < TEXT_RING; i++) {
    free(text_ring[i]);
    text_ring[i] = NULL;
  }
}

/* ------------------------------------------------------------ colour and columns */

bool cli_color(void)
{
  const char *nc = getenv("NO_COLOR");
  if (nc)
    return false;
  return isatty(STDOUT_FILENO);
}

const cli_style *cli_styles(void)
{
  static const cli_style plain = {"", "", "", "", "", ""};
  static const cli_style color = {CLI_BOLD, CLI_DIM, CLI_RED, CLI_GREEN, CLI_YELLOW, CLI_RESET};
  return cli_color() ? &color : &plain;
}

void cli_width_fit(int *w, const char *cell, int extra)
{
  int n = (cell ? (int)strlen(cell) : 0) + extra;
  if (n > *w)
    *w = n;
}

void cli_table_width(cli_table *t, int col, const char *cell)
{
  if (col >= 0 && col < CLI_TABLE_MAX)
    cli_width_fit(&t->width[col], cell, 0);
}

void cli_table_row(const cli_table *t, const char *const *cells, const char *const *colors, const char *line_style)
{
  const cli_style *st = cli_styles();
  if (line_style)
    cli_puts(line_style);
  for (int k = 0; k < t->n_cols && k < CLI_TABLE_MAX; k++) {
    const char *cell = cells[k] ? cells[k] : "";
    const char *color = colors && colors[k] && *st->reset ? colors[k] : NULL;
    bool last = k == t->n_cols - 1;
    if (last && t->last_free && !*cell)
      break;
    if (k)
      cli_puts("  ");
    if (color)
      cli_puts(color);
    if (last && t->last_free)
      cli_puts(cell);
    else
      cli_printf(t->right & (1u << k) ? "%*s" : "%-*s", t->width[k], cell);
    if (color)
      cli_puts(st->reset);
  }
  if (line_style)
    cli_puts(cli_styles()->reset);
  cli_putc('\n');
}

/* ------------------------------------------------------------ progress */

static double now_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void cli_progress_cb(void *ctx, uint64_t done, int64_t total)
{
  cli_progress *p = ctx;
  char a[32], b[32], line[160];
  double t;
  if (!p->started) {
    p->started = true;
    p->tty = isatty(STDERR_FILENO);
    p->start = now_seconds();
  }
  if (!p->tty)
    return;
  t = now_seconds();
  /* Only a read that lasts (after a second, or p->delay), or a large one (p->min_bytes);
   * then five times a second. */
  if (t - p->start < (p->delay > 0 ? p->delay : 1) &&
      !(p->min_bytes && (total >= 0 ? (uint64_t)total : done) >= p->min_bytes))
    return;
  if (p->shown && t - p->last < 0.2 && !(total >= 0 && done >= (uint64_t)total))
    return;
  p->last = t;
  p->shown = true;
  cli_human_size((int64_t)done, a, sizeof a);
  if (total > 0) {
    cli_human_size(total, b, sizeof b);
    snprintf(line, sizeof line, "\rocidig: %s: %s of %s (%d%%)\033[K", p->what, a, b,
             (int)(done * 100 / (uint64_t)total));
  } else {
    snprintf(line, sizeof line, "\rocidig: %s: %s\033[K", p->what, a);
  }
  cli_eputs(line);
  fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
  if (p->shown) {
    cli_eputs("\r\033[K");
    fflush(stderr);
    p->shown = false;
  }
}

