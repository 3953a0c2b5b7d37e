/* fuzz_platform.c: platform specifier strings -> parse -> normalize -> format -> parse.
 *
 * Properties (host linux/amd64), beyond "no crash":
 *  - a specifier that parses formats (FormatAll) to one that parses back to the same
 *    platform: os, architecture, variant and os.version equal, os.features equal as sets
 *    (FormatAll sorts and de-duplicates them; Parse keeps them as given);
 *  - normalizing is idempotent, and a normalized platform round-trips through format
 *    too;
 *  - a failed parse says why (an error code and a message).
 * Two exceptions are containerd's own and are not checked: an architecture or variant
 * "." or ".." (FormatAll's path.Join cleans it away), and an os.version or feature that
 * percent-decodes to a character FormatAll does not encode (it encodes only % + ( ) /).
 * The matchers are exercised on the results without a property. */
#include "config.h"

#include "ocidig.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ocidig_platform host = {.os = (char *)"linux", .architecture = (char *)"amd64"};

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The features as a sorted set without empty strings (what FormatAll writes). */
static size_t feature_set(const ocidig_platform *p, const char **out)
{
  size_t n = 0;
  for (size_t i = 0; i < p->n_os_features; i++)
    if (p->os_features[i] && *p->os_features[i])
      out[n++] = p->os_features[i];
  qsort(out, n, sizeof *out, cmp_str);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (k == 0 || strcmp(out[k - 1], out[i]))
      out[k++] = out[i];
  return k;
}

static bool same_platform(const ocidig_platform *a, const ocidig_platform *b)
{
  const char **fa, **fb;
  size_t na, nb;
  bool same;
  if (strcmp(a->os ? a->os : "", b->os ? b->os : "") ||
      strcmp(a->architecture ? a->architecture : "", b->architecture ? b->architecture : "") ||
      strcmp(a->variant ? a->variant : "", b->variant ? b->variant : "") ||
      strcmp(a->os_version ? a->os_version : "", b->os_version ? b->os_version : ""))
    return false;
  fa = calloc(a->n_os_features + 1, sizeof *fa);
  fb = calloc(b->n_os_features + 1, sizeof *fb);
  if (!fa || !fb)
    abort();
  na = feature_set(a, fa);
  nb = feature_set(b, fb);
  same = na == nb;
  for (size_t i = 0; same && i < na; i++)
    same = !strcmp(fa[i], fb[i]);
  free(fa);
  free(fb);
  return same;
}

/* Characters FormatAll writes as they are and Parse takes back in an option. */
static bool option_safe(const char *s)
{
  for (; s && *s; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
          c == '-' || c == '%' || c == '+' || c == '(' || c == ')' || c == '/'))
      return false;
  }
  return true;
}

static bool round_trip_applies(const ocidig_platform *p)
{
  const char *av[2] = {p->architecture ? p->architecture : "", p->variant ? p->variant : ""};
  for (int i = 0; i < 2; i++)
    if (!strcmp(av[i], ".") || !strcmp(av[i], ".."))
      return false;
  if (!option_safe(p->os_version))
    return false;
  for (size_t i = 0; i < p->n_os_features; i++)
    if (!option_safe(p->os_features[i]))
      return false;
  return true;
}

/* format(p) must parse back to p. */
static void check_round_trip(const ocidig_platform *p, const char *what)
{
  char *f = ocidig_platform_format(p);
  ocidig_platform q;
  ocidig_error err;
  (void)what;
  if (!f)
    return; /* out of memory */
  if (round_trip_applies(p)) {
    if (ocidig_platform_parse(f, &host, &q, &err) != OCIDIG_OK)
      __builtin_trap(); /* the formatted platform does not parse */
    if (!same_platform(p, &q))
      __builtin_trap(); /* it parses to another platform */
    ocidig_platform_clear(&q);
  }
  free(f);
}

static void exercise_matchers(const ocidig_platform *p, const ocidig_platform *n)
{
  static const ocidig_matcher_kind kinds[] = {OCIDIG_MATCHER_ONLY, OCIDIG_MATCHER_ONLY_STRICT, OCIDIG_MATCHER_ORDERED,
                                              OCIDIG_MATCHER_ANY, OCIDIG_MATCHER_NEW_MATCHER, OCIDIG_MATCHER_ONLY_OS,
                                              OCIDIG_MATCHER_WINDOWS_DEFAULT};
  const ocidig_platform *cands[3] = {p, n, &host};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    ocidig_matcher *m = NULL;
    ocidig_error err;
    size_t order[3];
    const ocidig_platform *acc;
    if (ocidig_matcher_new(kinds[k], p, 1, &host, &m, &err) != OCIDIG_OK)
      continue;
    (void)ocidig_matcher_match(m, p);
    (void)ocidig_matcher_match(m, n);
    (void)ocidig_matcher_less(m, p, &host);
    (void)ocidig_matcher_accepts(m, &acc);
    if (ocidig_matcher_sort(m, cands, 3, order, &err) == OCIDIG_OK) {
      /* a permutation */
      if (order[0] + order[1] + order[2] != 3 || order[0] == order[1] || order[1] == order[2] ||
          order[0] == order[2])
        __builtin_trap();
    }
    ocidig_matcher_free(m);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *spec;
  ocidig_platform p, n, n2;
  ocidig_error err;

  if (size > 4096)
    return 0;
  spec = malloc(size + 1);
  if (!spec)
    return 0;
  memcpy(spec, data, size);
  spec[size] = '\0'; /* a NUL inside ends the specifier, as a C string does */

  err.code = OCIDIG_OK;
  err.message[0] = '\0';
  if (ocidig_platform_parse(spec, &host, &p, &err) != OCIDIG_OK) {
    if (err.code == OCIDIG_OK || !err.message[0])
      __builtin_trap();
    free(spec);
    return 0;
  }
  check_round_trip(&p, "parsed");
  if (ocidig_platform_normalize(&p, &host, &n, &err) == OCIDIG_OK) {
    check_round_trip(&n, "normalized");
    if (ocidig_platform_normalize(&n, &host, &n2, &err) == OCIDIG_OK) {
      if (!ocidig_platform_equal(&n, &n2))
        __builtin_trap(); /* normalize is not idempotent */
      ocidig_platform_clear(&n2);
    }
    exercise_matchers(&p, &n);
    ocidig_platform_clear(&n);
  }
  {
    ocidig_platform c;
    if (ocidig_platform_copy(&c, &p, &err) == OCIDIG_OK) {
      if (!ocidig_platform_equal(&c, &p))
        __builtin_trap();
      ocidig_platform_clear(&c);
    }
  }
  ocidig_platform_clear(&p);
  free(spec);
  return 0;
}
