/* common.c: error reporting, host detection and colour for all commands. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
  fputs(prefix, stderr);
  for (const char *s = text; *s;) {
    char buf[8];
    size_t k = cli_escape_char(&s, buf, false);
    fwrite(buf, 1, k, stderr);
  }
  fputs(end, stderr);
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

/* Set once a write error on standard output was reported, so that it is reported once. */
static bool output_error_reported;

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
  fprintf(stderr, "\nTry 'ocidig %s --help'.\n", command);
  return EXIT_USAGE;
}

void cli_output_error_set(ocidig_error *err, int errnum)
{
  err->code = OCIDIG_ERR_OUTPUT;
  snprintf(err->message, sizeof err->message, "standard output: %s", errnum ? strerror(errnum) : "write error");
}

int cli_output_error(int errnum)
{
  ocidig_error err;
  if (output_error_reported)
    return EXIT_OUTPUT;
  cli_output_error_set(&err, errnum);
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
  bool failed = ferror(stdout) != 0;
  int errnum = 0;
  errno = 0;
  if (fflush(stdout) != 0) {
    failed = true;
    errnum = errno;
  }
  /* fclose after a successful fflush writes nothing; EBADF then only says that the
   * descriptor was closed with nothing due. */
  errno = 0;
  if (fclose(stdout) != 0 && errno != EBADF && !failed) {
    failed = true;
    errnum = errno;
  }
  if (!failed)
    return status;
  return cli_output_error(errnum);
}

static ocidig_platform host_platform;
static bool host_done;

const ocidig_platform *cli_host(void)
{
  if (!host_done) {
    ocidig_error err;
    host_done = true;
    if (ocidig_platform_detect_host(&host_platform, &err) != OCIDIG_OK) {
      host_platform.os = "linux";
      host_platform.architecture = "amd64";
    }
  }
  return &host_platform;
}

int cli_matcher(const char *spec, bool strict, ocidig_matcher **out)
{
  ocidig_platform p = {0};
  ocidig_error err;
  ocidig_code rc;
  const ocidig_platform *req = cli_host();
  if (spec) {
    if (ocidig_platform_parse(spec, cli_host(), &p, &err) != OCIDIG_OK) {
      cli_error("invalid --platform: %s", err.message);
      return EXIT_USAGE;
    }
    req = &p;
  }
  rc = ocidig_matcher_new(strict ? OCIDIG_MATCHER_ONLY_STRICT : OCIDIG_MATCHER_ONLY, req, 1, cli_host(), out,
                          &err);
  ocidig_platform_clear(&p);
  if (rc != OCIDIG_OK)
    return cli_fail(&err);
  return 0;
}

bool cli_color(FILE *f)
{
  const char *nc = getenv("NO_COLOR");
  if (nc)
    return false;
  return isatty(fileno(f));
}

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
    return (size_t)sprintf(out, "\\x%02x", u[0]);
  }
  *s += w;
  if (cp >= 0x80 && cp <= 0x9f)
    return (size_t)sprintf(out, "\\u%04x", (unsigned)cp);
  memcpy(out, u, w);
  return w;
}

void cli_put_json(const char *json)
{
  /* A byte outside well-formed UTF-8 (a member name, a path) becomes \\xNN, so that the
   * document is UTF-8 (RFC 8259 §8.1).  Then, inside a JSON document, bytes C2 80..C2 9F
   * (U+0080..U+009F) can only be in a string: \u00NN there is the same string, and no C1
   * control reaches a terminal. */
  char *clean = ocidig_json_utf8(json);
  const char *text = clean ? clean : json;
  const char *s = text, *run = text;
  for (; *s; s++) {
    if ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f) {
      fwrite(run, 1, (size_t)(s - run), stdout);
      printf("\\u%04x", (unsigned char)s[1]);
      run = ++s + 1;
    }
  }
  fwrite(run, 1, (size_t)(s - run), stdout);
  putchar('\n');
  free(clean);
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
  char *out = malloc(n * 6 + 1);
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

void cli_human_size(int64_t n, char *buf, size_t len)
{
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = (double)n;
  int u = 0;
  if (n >= INT64_MAX) { /* a sum of sizes saturates there (oci_size_add) */
    snprintf(buf, len, "8 EiB or more");
    return;
  }
  if (n < 0) { /* never a total: sizes are checked where they are read */
    n = 0;
    v = 0;
  }
  while (v >= 1024 && u < 6) {
    v /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(buf, len, "%lld B", (long long)n);
  else
    snprintf(buf, len, "%.1f %s", v, units[u]);
}

int cli_max_bytes(const char *command, const char *arg, uint64_t *out)
{
  uint64_t n = 0, mult = 1;
  const char *p = arg;
  if (!*p)
    return cli_usage(command, "--max-bytes needs a number of bytes");
  for (; *p >= '0' && *p <= '9'; p++) {
    if (n > (UINT64_MAX - 9) / 10)
      return cli_usage(command, "--max-bytes %s is too large", arg);
    n = n * 10 + (uint64_t)(*p - '0');
  }
  if (p != arg && *p && !p[1]) {
    switch (*p) {
    case 'k': case 'K': mult = 1ull << 10; p++; break;
    case 'm': case 'M': mult = 1ull << 20; p++; break;
    case 'g': case 'G': mult = 1ull << 30; p++; break;
    case 't': case 'T': mult = 1ull << 40; p++; break;
    default: break;
    }
  }
  if (p == arg || *p)
    return cli_usage(command, "--max-bytes takes a number of bytes, with K, M, G or T for KiB .. TiB, not '%s'",
                     arg);
  if (n > UINT64_MAX / mult)
    return cli_usage(command, "--max-bytes %s is too large", arg);
  *out = n * mult;
  return 0;
}

static double now_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void cli_progress_cb(void *ctx, uint64_t done, int64_t total)
{
  cli_progress *p = ctx;
  char a[32], b[32];
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
    fprintf(stderr, "\rocidig: %s: %s of %s (%d%%)\033[K", p->what, a, b,
            (int)(done * 100 / (uint64_t)total));
  } else {
    fprintf(stderr, "\rocidig: %s: %s\033[K", p->what, a);
  }
  fflush(stderr);
}

void cli_short_digest(const char *d, int alg_max, char *buf, size_t n)
{
  const char *colon = d ? strchr(d, ':') : NULL;
  int alg = colon ? (int)(colon - d) : 0;
  if (!d || !*d)
    snprintf(buf, n, "(no digest)");
  else if (colon && strlen(colon + 1) > 12)
    snprintf(buf, n, "%.*s:%.12s", alg_max > 0 && alg > alg_max ? alg_max : alg, d, colon + 1);
  else
    snprintf(buf, n, "%.40s", d);
}

void cli_progress_end(cli_progress *p)
{
  if (p->shown) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->shown = false;
  }
}
