/* cmd_platform.c: ocidig platform [--json] [--strict] [SPEC...]
 *
 * Shows what each platform specifier parses to, its normalized form, and the platforms
 * the matcher accepts in preference order, so that a user can see why, say, linux/arm64
 * may select an arm/v7 image. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
  cli_puts(
          "Usage: ocidig platform [--json] [--strict] [SPEC...]\n"
          "\n"
          "Show how platform specifiers are read, as containerd reads --platform:\n"
          "what each SPEC parses to, its normalized form, and the platforms an image\n"
          "index entry may have to be selected, most preferred first.  Without SPEC,\n"
          "the host platform (the default request) is shown.\n"
          "\n"
          "SPEC is os, arch, os/arch or os/arch/variant; os may carry an os.version and\n"
          "os.features as os(VERSION+FEATURE+...), percent-encoded where needed.\n"
          "\n"
          "Options:\n"
          "  --strict   no fallbacks: accept only the normalized platform itself\n"
          "             (containerd OnlyStrict; default is Only)\n"
          "  --json     print a JSON array, one object per SPEC\n"
          "  -h, --help show this help\n"
          "\n"
          "Examples:\n"
          "  ocidig platform                      the host platform\n"
          "  ocidig platform linux/arm64          arm64 also accepts arm/v8..v5 images\n"
          "  ocidig platform --strict armhf       only linux/arm/v7\n"
          "  ocidig platform 'windows(10.0.20348)/amd64'\n"
          "  ocidig platform --json linux/amd64/v3 aarch64\n"
          "\n"
          "Exit status: 0 when every SPEC is valid, 2 when one is not (its reason is\n"
          "printed on standard error; the other SPECs are still shown), 5 the output could\n"
          "not be written.\n");
}

/* ------------------------------------------------------------- text output */

static size_t features_width(const ocidig_platform *p)
{
  size_t w = 0;
  for (size_t i = 0; i < p->n_os_features; i++)
    w += cli_escaped_width(p->os_features[i] ? p->os_features[i] : "") + (i ? 2 : 0);
  return w;
}

static const char *field(const ocidig_platform *p, int which)
{
  const char *v = which == 0 ? p->os : which == 1 ? p->architecture : which == 2 ? p->variant : p->os_version;
  return v ? v : "";
}

static size_t shown_width(const ocidig_platform *p, int which)
{
  size_t w = which == 4 ? features_width(p) : cli_escaped_width(field(p, which));
  return w ? w : strlen("(none)");
}

static void put_value(const ocidig_platform *p, int which, size_t width)
{
  size_t w = shown_width(p, which);
  if (which == 4) {
    for (size_t i = 0; i < p->n_os_features; i++) {
      if (i)
        cli_puts(", ");
      cli_put_escaped(p->os_features[i] ? p->os_features[i] : "", true);
    }
    if (p->n_os_features == 0)
      cli_puts("(none)");
  } else if (*field(p, which)) {
    cli_put_escaped(field(p, which), true);
  } else {
    cli_puts("(none)");
  }
  for (; w < width; w++)
    cli_putc(' ');
}

/* Major, minor and build of a Windows os.version, as containerd reads it (0.0.0 when
 * it has fewer than three fields or a bad one). */
static void windows_version(const char *v, unsigned out[3])
{
  unsigned long n[3] = {0, 0, 0};
  const char *c = v;
  out[0] = out[1] = out[2] = 0;
  for (int i = 0; i < 3; i++) {
    const char *s = c;
    while (*c >= '0' && *c <= '9') {
      n[i] = n[i] * 10 + (unsigned long)(*c - '0');
      if (n[i] > 65535)
        return;
      c++;
    }
    if (c == s || (i < 2 && *c != '.') || (i == 2 && *c && *c != '.'))
      return;
    c++;
  }
  if (n[0] > 255 || n[1] > 255)
    return;
  for (int i = 0; i < 3; i++)
    out[i] = (unsigned)n[i];
}

/* Extra lines for the rules that are not visible in the accepts list. */
static void explain_rules(const ocidig_platform *n)
{
  if (!strcmp(field(n, 0), "windows") && *field(n, 3)) {
    unsigned v[3];
    windows_version(field(n, 3), v);
    if (v[0] == 0 && v[1] == 0 && v[2] == 0)
      cli_puts("  version rule  not a major.minor.build version: any Windows os.version is accepted\n");
    else if (v[2] <= 20348)
      cli_printf("  version rule  Windows %u.%u.%u only (any revision), or an image without os.version\n",
              v[0], v[1], v[2]);
    else
      cli_printf(
              "  version rule  Windows %u.%u builds 20348 (LTSC 2022) up to %u (any revision), or an\n"
              "                image without os.version; the first compatible index entry wins\n",
              v[0], v[1], v[2]);
  }
  if (n->n_os_features > 0)
    cli_puts("  feature rule  an image may declare only these features; among equally ranked\n"
          "                images, the one declaring more of them is preferred\n");
}

/* input: the specifier as given, or NULL for the detected host. */
static void print_text(const char *input, const ocidig_platform *parsed, const ocidig_platform *norm,
                       const ocidig_matcher *m, bool strict, bool color)
{
  static const char *const labels[5] = {"os", "architecture", "variant", "os.version", "os.features"};
  const ocidig_platform *acc;
  const char *column = input ? "parsed" : "detected";
  size_t n = ocidig_matcher_accepts(m, &acc), w = strlen(column);
  for (int i = 0; i < 5; i++)
    if (shown_width(parsed, i) > w)
      w = shown_width(parsed, i);
  cli_puts(color ? CLI_BOLD : "");
  if (input) {
    cli_puts("Specifier: ");
    cli_put_escaped(input, true);
  } else {
    cli_puts("Host platform (detected; the request when no SPEC is given)");
  }
  cli_printf("%s\n", color ? CLI_RESET : "");
  cli_printf("  %-13s %-*s   %s\n", "", (int)w, column, "normalized");
  for (int i = 0; i < 5; i++) {
    cli_printf("  %-13s ", labels[i]);
    put_value(parsed, i, w);
    cli_puts("   ");
    put_value(norm, i, 0);
    cli_putc('\n');
  }
  explain_rules(norm);
  cli_printf("  matcher       %s\n",
          strict ? "OnlyStrict (--strict): the normalized platform only"
                 : "Only (the default): the platform and its compatible fallbacks");
  if (n == 0) {
    cli_puts("  accepts       nothing: containerd's arm64 table has no entry for this variant\n"
          "                (it knows v8, v8.1-v8.9, v9, v9.1-v9.7), so no image matches\n");
    return;
  }
  cli_puts("  accepts (most preferred first):\n");
  for (size_t i = 0; i < n; i++) {
    char *s = ocidig_platform_format(&acc[i]);
    cli_printf("    %2zu. ", i + 1);
    cli_put_escaped(s ? s : "?", true);
    if (i > 0)
      cli_printf("%s  (fallback)%s", color ? CLI_DIM : "", color ? CLI_RESET : "");
    cli_putc('\n');
    free(s);
  }
  if (n > 1)
    cli_puts("  An index entry matching an earlier line is preferred over one matching a later\n"
          "  line; --strict accepts only line 1.\n");
}

/* ------------------------------------------------------------- JSON output */

/* json-c copies bytes as they are: invalid UTF-8 (possible after percent-decoding)
 * would make the document invalid, so it becomes U+FFFD. */
static json_object *json_str(const char *s)
{
  size_t n = strlen(s), o = 0;
  char *b = malloc(3 * n + 1);
  json_object *j;
  if (!b)
    return NULL;
  for (size_t i = 0; i < n;) {
    uint32_t r;
    size_t w = cli_utf8_len((const unsigned char *)s + i, &r); /* s[n] is its NUL */
    if (w == 0) {
      memcpy(b + o, "\xef\xbf\xbd", 3);
      o += 3;
      i++;
    } else {
      memcpy(b + o, s + i, w);
      o += w;
      i += w;
    }
  }
  j = json_object_new_string_len(b, (int)o);
  free(b);
  return j;
}

static json_object *json_platform(const ocidig_platform *p)
{
  json_object *o = json_object_new_object(), *f = json_object_new_array();
  json_object_object_add(o, "os", json_str(field(p, 0)));
  json_object_object_add(o, "architecture", json_str(field(p, 1)));
  json_object_object_add(o, "variant", json_str(field(p, 2)));
  json_object_object_add(o, "os.version", json_str(field(p, 3)));
  for (size_t i = 0; i < p->n_os_features; i++)
    json_object_array_add(f, json_str(p->os_features[i] ? p->os_features[i] : ""));
  json_object_object_add(o, "os.features", f);
  return o;
}

static json_object *json_entry(const char *input, bool host, const ocidig_platform *parsed,
                               const ocidig_platform *norm, const ocidig_matcher *m, bool strict)
{
  json_object *o = json_object_new_object(), *a = json_object_new_array();
  const ocidig_platform *acc;
  size_t n = ocidig_matcher_accepts(m, &acc);
  json_object_object_add(o, "input", json_str(input));
  if (host)
    json_object_object_add(o, "host", json_object_new_boolean(1));
  json_object_object_add(o, "matcher", json_object_new_string(strict ? "only_strict" : "only"));
  json_object_object_add(o, "parsed", json_platform(parsed));
  json_object_object_add(o, "normalized", json_platform(norm));
  for (size_t i = 0; i < n; i++) {
    char *s = ocidig_platform_format(&acc[i]);
    json_object_array_add(a, json_str(s ? s : ""));
    free(s);
  }
  json_object_object_add(o, "accepts", a);
  return o;
}

static json_object *json_error(const char *input, const ocidig_error *err)
{
  json_object *o = json_object_new_object(), *e = json_object_new_object();
  json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(err->code)));
  json_object_object_add(e, "message", json_str(err->message));
  json_object_object_add(o, "input", json_str(input));
  json_object_object_add(o, "error", e);
  return o;
}

/* ------------------------------------------------------------------ command */

typedef struct opts {
  bool json, strict, color;
  json_object *array;
  bool first;
} opts;

/* Shows one platform; returns the exit status it deserves. */
static int show(opts *o, const char *input, const ocidig_platform *given, bool is_host)
{
  ocidig_platform parsed = {0}, norm = {0};
  ocidig_matcher *m = NULL;
  ocidig_error err = {0};
  ocidig_code rc;
  const ocidig_platform *host = cli_host();
  if (given)
    rc = ocidig_platform_copy(&parsed, given, &err);
  else
    rc = ocidig_platform_parse(input, host, &parsed, &err);
  if (rc == OCIDIG_OK)
    rc = ocidig_platform_normalize(&parsed, host, &norm, &err);
  if (rc == OCIDIG_OK)
    rc = ocidig_matcher_new(o->strict ? OCIDIG_MATCHER_ONLY_STRICT : OCIDIG_MATCHER_ONLY, &parsed, 1, host, &m, &err);
  if (rc != OCIDIG_OK) {
    cli_error("%s: %s", is_host ? "host platform" : "invalid platform specifier", err.message);
    if (o->json)
      json_object_array_add(o->array, json_error(input, &err));
  } else if (o->json) {
    json_object_array_add(o->array, json_entry(input, is_host, &parsed, &norm, m, o->strict));
  } else {
    if (!o->first)
      cli_putc('\n');
    print_text(is_host ? NULL : input, &parsed, &norm, m, o->strict, o->color);
  }
  o->first = false;
  ocidig_matcher_free(m);
  ocidig_platform_clear(&parsed);
  ocidig_platform_clear(&norm);
  return rc == OCIDIG_OK ? 0 : ocidig_code_exit_status(rc);
}

int cmd_platform(int argc, char **argv)
{
  static const struct option long_opts[] = {
    {"json", no_argument, NULL, 'j'},
    {"strict", no_argument, NULL, 's'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  opts o = {.first = true};
  int c, status = 0;

  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
    switch (c) {
    case 'j':
      o.json = true;
      break;
    case 's':
      o.strict = true;
      break;
    case 'h':
      usage();
      return 0;
    default:
      return cli_usage("platform", "unknown option '%s'", argv[optind - 1]);
    }
  }
  o.color = !o.json && cli_color();
  if (o.json) {
    o.array = json_object_new_array();
    if (!o.array) {
      cli_error("out of memory");
      return EXIT_UNREADABLE;
    }
  }
  if (optind >= argc) {
    char *input = ocidig_platform_format(cli_host());
    status = show(&o, input ? input : "host", cli_host(), true);
    free(input);
  }
  for (int i = optind; i < argc; i++) {
    int s = show(&o, argv[i], NULL, false);
    /* The worst status wins, but every SPEC is still shown. */
    if (s > status)
      status = s;
  }
  if (o.json) {
    cli_put_json_object(o.array);
    json_object_put(o.array);
  }
  if (!cli_flush())
    return cli_output_error();
  return status;
}
