/* common.c: error reporting, host detection and colour for all commands. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_error(const char *fmt, ...)
{
  va_list ap;
  fputs("ocidig: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
  va_list ap;
  fputs("ocidig: warning: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int cli_fail(const ocidig_error *err)
{
  cli_error("%s (%s)", cli_clean(err->message), ocidig_code_name(err->code));
  return ocidig_code_exit_status(err->code);
}

int cli_usage(const char *command, const char *fmt, ...)
{
  va_list ap;
  fputs("ocidig: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'ocidig %s --help'.\n", command);
  return EXIT_USAGE;
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

/* Writes the terminal-safe form of the character at *s into out (room for 7 bytes) and
 * returns its length; *s moves past it (two bytes for a C1 control). */
static size_t escape_one(const char **s, char *out)
{
  unsigned char c = (unsigned char)**s, c2 = c ? (unsigned char)(*s)[1] : 0;
  (*s)++;
  if (c < 0x20 || c == 0x7f)
    return (size_t)sprintf(out, "\\x%02x", c);
  if (c == 0xc2 && c2 >= 0x80 && c2 <= 0x9f) {
    /* A C1 control in UTF-8 (U+0080..U+009F; U+009B is CSI on some terminals). */
    (*s)++;
    return (size_t)sprintf(out, "\\u%04x", c2);
  }
  out[0] = (char)c;
  return 1;
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
    o += escape_one(&s, out + o);
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
    k += escape_one(&s, out + k);
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
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)n;
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(buf, len, "%lld B", (long long)n);
  else
    snprintf(buf, len, "%.1f %s", v, units[u]);
}
