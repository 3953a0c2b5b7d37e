/* check_platform.c: runs every parse/normalize/match/order vector
 * (testdata/vectors-platform.json, doc/resolution.md §10) through the C API, one assertion
 * per case, and adds unit tests for formatting, error messages, lowercasing and the matchers. */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The vectors, split by kind.  Set once in main before any test runs; read-only after. */
enum { K_PARSE, K_NORMALIZE, K_MATCH, K_ORDER, K_COUNT };
static const char *const kind_names[K_COUNT] = {"parse", "normalize", "match", "order"};
static json_object *all_vectors;
static json_object **cases[K_COUNT];
static int n_cases[K_COUNT];

/* ---------------------------------------------------------------- helpers */

static json_object *get(json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!o || !json_object_object_get_ex(o, key, &v))
    return NULL;
  return v;
}

static const char *get_str(json_object *o, const char *key)
{
  json_object *v = get(o, key);
  return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* A platform whose strings point into the JSON document; only the feature array is
 * allocated (free it with view_free). */
static ocidig_platform view_platform(json_object *o)
{
  ocidig_platform p = {0};
  json_object *f = get(o, "os.features");
  p.os = (char *)get_str(o, "os");
  p.architecture = (char *)get_str(o, "architecture");
  p.variant = (char *)get_str(o, "variant");
  p.os_version = (char *)get_str(o, "os.version");
  if (f && json_object_is_type(f, json_type_array) && json_object_array_length(f) > 0) {
    p.n_os_features = json_object_array_length(f);
    p.os_features = calloc(p.n_os_features, sizeof *p.os_features);
    ck_assert(p.os_features != NULL);
    for (size_t i = 0; i < p.n_os_features; i++)
      p.os_features[i] = (char *)json_object_get_string(json_object_array_get_idx(f, i));
  }
  return p;
}

static void view_free(ocidig_platform *p)
{
  free(p->os_features);
  *p = (ocidig_platform){0};
}

/* "os=linux architecture=arm variant=v7 os.version= os.features=[a,b]" for messages. */
static char *describe(const ocidig_platform *p)
{
  char feats[512] = "";
  char *s;
  for (size_t i = 0; i < p->n_os_features; i++) {
    if (i)
      strncat(feats, ",", sizeof feats - strlen(feats) - 1);
    strncat(feats, p->os_features[i] ? p->os_features[i] : "", sizeof feats - strlen(feats) - 1);
  }
  ck_assert(asprintf(&s, "os=%s architecture=%s variant=%s os.version=%s os.features=[%s]", p->os ? p->os : "",
                     p->architecture ? p->architecture : "", p->variant ? p->variant : "",
                     p->os_version ? p->os_version : "", feats) > 0);
  return s;
}

static bool matcher_kind(const char *type, ocidig_matcher_kind *kind)
{
  static const struct {
    const char *name;
    ocidig_matcher_kind kind;
  } map[] = {
    {"only", OCIDIG_MATCHER_ONLY},         {"default", OCIDIG_MATCHER_ONLY},
    {"only_strict", OCIDIG_MATCHER_ONLY_STRICT}, {"ordered", OCIDIG_MATCHER_ORDERED},
    {"any", OCIDIG_MATCHER_ANY},           {"all", OCIDIG_MATCHER_ALL},
    {"new_matcher", OCIDIG_MATCHER_NEW_MATCHER}, {"only_os", OCIDIG_MATCHER_ONLY_OS},
    {"windows_default", OCIDIG_MATCHER_WINDOWS_DEFAULT},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(type, map[i].name)) {
      *kind = map[i].kind;
      return true;
    }
  return false;
}

/* Builds the matcher of a vector.  via_specifier: from Parse(matcher.specifier) instead
 * of the platform objects (the path the containerd oracle took). */
static ocidig_matcher *build_matcher(const char *id, json_object *mj, const ocidig_platform *host, bool via_specifier)
{
  const char *type = get_str(mj, "type");
  json_object *pj = get(mj, "platforms");
  size_t n = pj ? json_object_array_length(pj) : 0;
  ocidig_platform *plats = calloc(n + 1, sizeof *plats);
  ocidig_platform parsed = {0};
  ocidig_matcher_kind kind;
  ocidig_matcher *m = NULL;
  ocidig_error err = {0};
  ocidig_code rc;
  ck_assert(plats != NULL);
  ck_assert_msg(matcher_kind(type, &kind), "%s: unknown matcher type '%s'", id, type);
  for (size_t i = 0; i < n; i++)
    plats[i] = view_platform(json_object_array_get_idx(pj, i));
  if (!strcmp(type, "default")) {
    rc = ocidig_matcher_new(kind, host, 1, host, &m, &err);
  } else if (via_specifier) {
    rc = ocidig_platform_parse(get_str(mj, "specifier"), host, &parsed, &err);
    ck_assert_msg(rc == OCIDIG_OK, "%s: Parse(%s) failed: %s", id, get_str(mj, "specifier"), err.message);
    rc = ocidig_matcher_new(kind, &parsed, 1, host, &m, &err);
  } else {
    rc = ocidig_matcher_new(kind, plats, n, host, &m, &err);
  }
  ck_assert_msg(rc == OCIDIG_OK, "%s: building the %s matcher failed: %s", id, type, err.message);
  for (size_t i = 0; i < n; i++)
    view_free(&plats[i]);
  free(plats);
  ocidig_platform_clear(&parsed);
  return m;
}

/* ---------------------------------------------------------------- vectors */

START_TEST(test_vector_parse)
{
  json_object *c = cases[K_PARSE][_i], *in = get(c, "input"), *ex = get(c, "expect");
  const char *id = get_str(c, "id"), *spec = get_str(in, "specifier");
  ocidig_platform host = view_platform(get(in, "host")), got = {0};
  ocidig_error err = {0};
  ocidig_code rc = ocidig_platform_parse(spec, &host, &got, &err);
  if (get(ex, "platform")) {
    ocidig_platform want = view_platform(get(ex, "platform"));
    char *g = describe(&got), *w = describe(&want);
    ck_assert_msg(rc == OCIDIG_OK && ocidig_platform_equal(&got, &want), "%s: Parse(\"%s\"): got %s%s, want %s", id,
                  spec, rc == OCIDIG_OK ? "" : "error: ", rc == OCIDIG_OK ? g : err.message, w);
    free(g);
    free(w);
    view_free(&want);
  } else {
    const char *want = get_str(get(ex, "error"), "message");
    ck_assert_msg(rc == OCIDIG_ERR_INVALID_PLATFORM && !strcmp(err.message, want),
                  "%s: Parse(\"%s\"): got code %s message '%s', want invalid-platform '%s'", id, spec,
                  ocidig_code_name(rc), rc == OCIDIG_OK ? "" : err.message, want);
  }
  ocidig_platform_clear(&got);
  view_free(&host);
}
END_TEST

START_TEST(test_vector_normalize)
{
  json_object *c = cases[K_NORMALIZE][_i], *in = get(c, "input"), *ex = get(c, "expect");
  const char *id = get_str(c, "id");
  ocidig_platform host = view_platform(get(in, "host")), raw = view_platform(get(in, "platform"));
  ocidig_platform want = view_platform(get(ex, "platform")), got = {0};
  ocidig_error err = {0};
  ocidig_code rc = ocidig_platform_normalize(&raw, &host, &got, &err);
  char *g = describe(&got), *w = describe(&want), *r = describe(&raw);
  ck_assert_msg(rc == OCIDIG_OK && ocidig_platform_equal(&got, &want), "%s: Normalize(%s): got %s, want %s", id, r,
                rc == OCIDIG_OK ? g : err.message, w);
  free(g);
  free(w);
  free(r);
  ocidig_platform_clear(&got);
  view_free(&host);
  view_free(&raw);
  view_free(&want);
}
END_TEST

START_TEST(test_vector_match)
{
  json_object *c = cases[K_MATCH][_i], *in = get(c, "input"), *ex = get(c, "expect");
  json_object *mj = get(in, "matcher");
  const char *id = get_str(c, "id");
  ocidig_platform host = view_platform(get(in, "host")), cand = view_platform(get(in, "candidate"));
  bool want = json_object_get_boolean(get(ex, "match"));
  ocidig_matcher *m = build_matcher(id, mj, &host, false), *ms = NULL;
  bool got = ocidig_matcher_match(m, &cand), got_spec = want;
  char *cd = describe(&cand);
  /* Where the vector carries a specifier, Only(Parse(specifier)) must agree too. */
  if (get(mj, "specifier")) {
    ms = build_matcher(id, mj, &host, true);
    got_spec = ocidig_matcher_match(ms, &cand);
  }
  ck_assert_msg(got == want && got_spec == want, "%s: %s Match(%s): got %s (via specifier: %s), want %s", id,
                get_str(c, "want_platform"), cd, got ? "true" : "false", got_spec ? "true" : "false",
                want ? "true" : "false");
  free(cd);
  ocidig_matcher_free(m);
  ocidig_matcher_free(ms);
  view_free(&host);
  view_free(&cand);
}
END_TEST

/* "[a, b, c]" of a size_t array or a bool array. */
static void list_str(char *buf, size_t cap, const size_t *idx, const bool *flags, size_t n)
{
  size_t len = 0;
  buf[0] = '\0';
  len += (size_t)snprintf(buf + len, cap - len, "[");
  for (size_t i = 0; i < n && len < cap; i++) {
    if (idx)
      len += (size_t)snprintf(buf + len, cap - len, "%s%zu", i ? ", " : "", idx[i]);
    else
      len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", flags[i] ? "true" : "false");
  }
  if (len < cap)
    snprintf(buf + len, cap - len, "]");
}

static bool order_case(const char *id, json_object *mj, const ocidig_platform *host, json_object *cj,
                       json_object *ex, bool via_specifier, char *why, size_t whylen)
{
  size_t n = json_object_array_length(cj);
  ocidig_platform *cands = calloc(n + 1, sizeof *cands);
  const ocidig_platform **ptrs = calloc(n + 1, sizeof *ptrs);
  size_t *order = calloc(n + 1, sizeof *order), *want_order = calloc(n + 1, sizeof *want_order);
  bool *matches = calloc(n + 1, sizeof *matches), *want_matches = calloc(n + 1, sizeof *want_matches);
  ocidig_matcher *m = build_matcher(id, mj, host, via_specifier);
  ocidig_error err = {0};
  bool ok = true;
  char a[256], b[256], c[256], d[256];
  ck_assert(cands && ptrs && order && want_order && matches && want_matches);
  for (size_t i = 0; i < n; i++) {
    cands[i] = view_platform(json_object_array_get_idx(cj, i));
    ptrs[i] = &cands[i];
    matches[i] = ocidig_matcher_match(m, &cands[i]);
    want_matches[i] = json_object_get_boolean(json_object_array_get_idx(get(ex, "matches"), i));
    want_order[i] = (size_t)json_object_get_int(json_object_array_get_idx(get(ex, "order"), i));
    ok = ok && matches[i] == want_matches[i];
  }
  ok = ocidig_matcher_sort(m, ptrs, n, order, &err) == OCIDIG_OK && ok;
  for (size_t i = 0; i < n; i++)
    ok = ok && order[i] == want_order[i];
  list_str(a, sizeof a, order, NULL, n);
  list_str(b, sizeof b, want_order, NULL, n);
  list_str(c, sizeof c, NULL, matches, n);
  list_str(d, sizeof d, NULL, want_matches, n);
  snprintf(why, whylen, "%sorder %s (want %s), matches %s (want %s)", via_specifier ? "via specifier: " : "", a,
           b, c, d);
  for (size_t i = 0; i < n; i++)
    view_free(&cands[i]);
  free(cands);
  free(ptrs);
  free(order);
  free(want_order);
  free(matches);
  free(want_matches);
  ocidig_matcher_free(m);
  return ok;
}

START_TEST(test_vector_order)
{
  json_object *c = cases[K_ORDER][_i], *in = get(c, "input"), *ex = get(c, "expect");
  json_object *mj = get(in, "matcher");
  const char *id = get_str(c, "id");
  ocidig_platform host = view_platform(get(in, "host"));
  char why[1200], why_spec[1200] = "";
  bool ok = order_case(id, mj, &host, get(in, "candidates"), ex, false, why, sizeof why);
  if (get(mj, "specifier"))
    ok = order_case(id, mj, &host, get(in, "candidates"), ex, true, why_spec, sizeof why_spec) && ok;
  ck_assert_msg(ok, "%s: %s: %s %s", id, get_str(c, "want_platform"), why, why_spec);
  view_free(&host);
}
END_TEST

/* ---------------------------------------------------------------- units */

static const ocidig_platform linux_amd64 = {.os = (char *)"linux", .architecture = (char *)"amd64"};

static char *parse_format(const char *spec)
{
  ocidig_platform p = {0};
  ocidig_error err = {0};
  char *s;
  ck_assert_msg(ocidig_platform_parse(spec, &linux_amd64, &p, &err) == OCIDIG_OK, "Parse(%s): %s", spec,
                err.message);
  s = ocidig_platform_format(&p);
  ck_assert(s != NULL);
  ocidig_platform_clear(&p);
  return s;
}

START_TEST(test_format_round_trip)
{
  /* format(parse(x)) parses back to the same platform. */
  static const char *const specs[] = {
    "linux", "linux/arm64", "linux/arm64/v8", "linux/arm/v7", "armel", "armhf", "i386", "Aarch64",
    "windows(10.0.17763+win32k)/amd64", "windows(10.0.17763%2Bbuild.42)/amd64", "windows(50%25done)",
    "linux(1.0%28x%29+a%2Fb+c)/amd64", "darwin/arm64/v8.2", "linux/amd64/v3.1", "freebsd/riscv64",
    "linux(+unsorted+erofs)", "linux(7.2+b+a+b)/amd64/v2", "windows()", "unknown/unknown",
  };
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    ocidig_platform p = {0}, q = {0}, np = {0}, nq = {0};
    ocidig_error err = {0};
    char *s;
    ck_assert(ocidig_platform_parse(specs[i], &linux_amd64, &p, &err) == OCIDIG_OK);
    s = ocidig_platform_format(&p);
    ck_assert(s != NULL);
    ck_assert_msg(ocidig_platform_parse(s, &linux_amd64, &q, &err) == OCIDIG_OK, "%s -> %s: %s", specs[i], s,
                  err.message);
    /* FormatAll sorts and dedups features, so compare normalized forms; when the
     * features were already in order the parsed forms are equal as they are. */
    ck_assert(ocidig_platform_normalize(&p, &linux_amd64, &np, &err) == OCIDIG_OK);
    ck_assert(ocidig_platform_normalize(&q, &linux_amd64, &nq, &err) == OCIDIG_OK);
    ck_assert_msg(ocidig_platform_equal(&np, &nq), "%s -> %s does not parse back to the same platform", specs[i], s);
    if (p.n_os_features == np.n_os_features)
      ck_assert_msg(ocidig_platform_equal(&p, &q) || strstr(specs[i], "unsorted"), "%s -> %s", specs[i], s);
    free(s);
    ocidig_platform_clear(&p);
    ocidig_platform_clear(&q);
    ocidig_platform_clear(&np);
    ocidig_platform_clear(&nq);
  }
}
END_TEST

START_TEST(test_format_cases)
{
  static const struct {
    const char *spec, *want;
  } cases_[] = {
    {"linux/arm64/V8", "linux/arm64/v8"},
    {"windows(10.0.17763%2Bbuild.42)/amd64", "windows(10.0.17763%2Bbuild.42)/amd64"},
    {"linux(+unsorted+erofs)", "linux(+erofs+unsorted)/amd64"},
    {"linux(+b+a+b)/arm", "linux(+a+b)/arm"},
    {"windows(a%2Fb%28c%29%25)", "windows(a%2Fb%28c%29%25)/amd64"},
    {"macOS", "darwin/amd64"},
    {"windows()", "windows/amd64"},
  };
  ocidig_platform empty_os = {.architecture = (char *)"amd64"};
  char *f2 = NULL, *blank_features[] = {(char *)"", (char *)""};
  ocidig_platform odd = {.os = (char *)"linux", .architecture = (char *)"a/../b", .os_features = blank_features,
                         .n_os_features = 2};
  for (size_t i = 0; i < sizeof cases_ / sizeof cases_[0]; i++) {
    char *s = parse_format(cases_[i].spec);
    ck_assert_msg(!strcmp(s, cases_[i].want), "format(parse(%s)) = %s, want %s", cases_[i].spec, s, cases_[i].want);
    free(s);
  }
  f2 = ocidig_platform_format(&empty_os);
  ck_assert_str_eq(f2, "unknown");
  free(f2);
  /* path.Join cleans the path; empty features are dropped (no "()" either). */
  f2 = ocidig_platform_format(&odd);
  ck_assert_str_eq(f2, "linux/b");
  free(f2);
}
END_TEST

START_TEST(test_error_messages_quote_bad_part)
{
  static const struct {
    const char *spec, *quoted;
  } cases_[] = {
    {"linux/&arm", "\"&arm\" is an invalid component of \"linux/&arm\""},
    {"foo", "\"foo\": unknown operating system or architecture"},
    {"linux(%zz)/amd64", "has an invalid OS version \"%zz\": invalid URL escape \"%zz\""},
    {"linux(+ok+%4)/amd64", "invalid os feature \"%4\": invalid URL escape \"%4\""},
    {"linux/arm/v7/x", "\"linux/arm/v7/x\": cannot parse platform specifier"},
    {"linux\tx/arm", "\"linux\\tx\" is an invalid OS component of \"linux\\tx/arm\""},
    {"linux/arm*", "\"linux/arm*\": wildcards not yet supported"},
    {"linux(%00)", "escape \"%00\" (a NUL byte) is not supported"},
    {"linux/\xff", "\"\\xff\" is an invalid component"},
  };
  for (size_t i = 0; i < sizeof cases_ / sizeof cases_[0]; i++) {
    ocidig_platform p = {0};
    ocidig_error err = {0};
    ocidig_code rc = ocidig_platform_parse(cases_[i].spec, &linux_amd64, &p, &err);
    ck_assert_msg(rc == OCIDIG_ERR_INVALID_PLATFORM && err.code == rc, "%s: code %s", cases_[i].spec,
                  ocidig_code_name(rc));
    ck_assert_msg(strstr(err.message, cases_[i].quoted) != NULL, "%s: message '%s' lacks '%s'", cases_[i].spec,
                  err.message, cases_[i].quoted);
    ck_assert(p.os == NULL);
  }
}
END_TEST

START_TEST(test_unicode_lowercase)
{
  static const struct {
    const char *os, *want;
  } cases_[] = {
    {"L\xc4\xb0NUX", "linux"},            /* U+0130 lowercases to plain i, as in Go */
    {"\xc3\x89""COLE", "\xc3\xa9""cole"}, /* Latin-1 */
    {"\xc5\x81\xc5\xbd", "\xc5\x82\xc5\xbe"}, /* Latin Extended-A: Ł Ž */
    {"\xc5\xb8", "\xc3\xbf"},             /* Ÿ -> ÿ */
    {"\xe2\x84\xaa", "k"},                /* Kelvin sign */
    {"\xce\xa3\xd0\x96", "\xcf\x83\xd0\xb6"}, /* Greek sigma, Cyrillic zhe */
    {"a\xff", "a\xef\xbf\xbd"},           /* invalid UTF-8 becomes U+FFFD */
    {"MacOS", "darwin"},
  };
  for (size_t i = 0; i < sizeof cases_ / sizeof cases_[0]; i++) {
    ocidig_platform in = {.os = (char *)cases_[i].os, .architecture = (char *)"X86_64"}, out = {0};
    ck_assert(ocidig_platform_normalize(&in, &linux_amd64, &out, NULL) == OCIDIG_OK);
    ck_assert_msg(!strcmp(out.os, cases_[i].want), "lower(%s) = %s, want %s", cases_[i].os, out.os, cases_[i].want);
    ck_assert_str_eq(out.architecture, "amd64");
    ocidig_platform_clear(&out);
  }
}
END_TEST

/* The formatted accepts() list of Only/OnlyStrict(Parse(spec)), comma-separated. */
static char *accepts_of(const char *spec, ocidig_matcher_kind kind)
{
  ocidig_platform p = {0};
  ocidig_matcher *m = NULL;
  ocidig_error err = {0};
  const ocidig_platform *acc;
  size_t n, len = 0;
  char *out = calloc(1, 4096);
  ck_assert(out != NULL);
  ck_assert(ocidig_platform_parse(spec, &linux_amd64, &p, &err) == OCIDIG_OK);
  ck_assert(ocidig_matcher_new(kind, &p, 1, &linux_amd64, &m, &err) == OCIDIG_OK);
  n = ocidig_matcher_accepts(m, &acc);
  for (size_t i = 0; i < n; i++) {
    char *f = ocidig_platform_format(&acc[i]);
    len += (size_t)snprintf(out + len, 4096 - len, "%s%s", i ? "," : "", f);
    free(f);
  }
  ocidig_matcher_free(m);
  ocidig_platform_clear(&p);
  return out;
}

START_TEST(test_accepts)
{
  static const struct {
    const char *spec;
    ocidig_matcher_kind kind;
    const char *want;
  } cases_[] = {
    {"linux/arm64", OCIDIG_MATCHER_ONLY, "linux/arm64,linux/arm/v8,linux/arm/v7,linux/arm/v6,linux/arm/v5"},
    {"linux/arm64/v8", OCIDIG_MATCHER_ONLY, "linux/arm64,linux/arm/v8,linux/arm/v7,linux/arm/v6,linux/arm/v5"},
    {"linux/amd64/v3", OCIDIG_MATCHER_ONLY, "linux/amd64/v3,linux/amd64/v2,linux/amd64,linux/386"},
    {"linux/amd64/v0", OCIDIG_MATCHER_ONLY, "linux/amd64/v0,linux/386"},
    {"armhf", OCIDIG_MATCHER_ONLY, "linux/arm/v7,linux/arm/v6,linux/arm/v5"},
    {"linux/arm/v6", OCIDIG_MATCHER_ONLY, "linux/arm/v6,linux/arm/v5"},
    {"linux/arm64/v9.2", OCIDIG_MATCHER_ONLY,
     "linux/arm64/v9.2,linux/arm64/v9.1,linux/arm64/v9,linux/arm64/v8.7,linux/arm64/v8.6,linux/arm64/v8.5,"
     "linux/arm64/v8.4,linux/arm64/v8.3,linux/arm64/v8.2,linux/arm64/v8.1,linux/arm64,"
     "linux/arm/v8,linux/arm/v7,linux/arm/v6,linux/arm/v5"},
    {"linux/arm64/v8.2", OCIDIG_MATCHER_ONLY,
     "linux/arm64/v8.2,linux/arm64/v8.1,linux/arm64,linux/arm/v8,linux/arm/v7,linux/arm/v6,linux/arm/v5"},
    {"linux/arm64/v7", OCIDIG_MATCHER_ONLY, ""},
    {"linux/arm64/v8.10", OCIDIG_MATCHER_ONLY, ""},
    {"windows(10.0.20348)/amd64", OCIDIG_MATCHER_ONLY, "windows(10.0.20348)/amd64,windows(10.0.20348)/386"},
    {"linux/arm64", OCIDIG_MATCHER_ONLY_STRICT, "linux/arm64"},
    {"arm", OCIDIG_MATCHER_ONLY_STRICT, "linux/arm/v7"},
    {"linux/s390x", OCIDIG_MATCHER_ONLY, "linux/s390x"},
  };
  for (size_t i = 0; i < sizeof cases_ / sizeof cases_[0]; i++) {
    char *got = accepts_of(cases_[i].spec, cases_[i].kind);
    ck_assert_msg(!strcmp(got, cases_[i].want), "accepts(%s) = [%s], want [%s]", cases_[i].spec, got, cases_[i].want);
    free(got);
  }
}
END_TEST

START_TEST(test_request_and_limits)
{
  ocidig_platform req = {.os = (char *)"Linux", .architecture = (char *)"aarch64", .variant = (char *)"8"};
  ocidig_platform win_host = {.os = (char *)"windows", .architecture = (char *)"amd64",
                              .os_version = (char *)"10.0.20348"};
  ocidig_platform big = {.os = (char *)"linux", .architecture = (char *)"amd64", .variant = (char *)"v5000"};
  ocidig_platform c1 = {.os = (char *)"windows", .architecture = (char *)"amd64", .os_version = (char *)"10.0.20348.1"};
  ocidig_platform c2 = {.os = (char *)"windows", .architecture = (char *)"amd64", .os_version = (char *)"10.0.17763.1"};
  ocidig_matcher *m = NULL;
  ocidig_error err = {0};
  const ocidig_platform *acc;
  ck_assert(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &req, 1, &linux_amd64, &m, &err) == OCIDIG_OK);
  ck_assert_str_eq(ocidig_matcher_request(m)->os, "linux");
  ck_assert_str_eq(ocidig_matcher_request(m)->architecture, "arm64");
  ck_assert_str_eq(ocidig_matcher_request(m)->variant, "");
  ocidig_matcher_free(m);
  /* Ordered keeps the request as given. */
  ck_assert(ocidig_matcher_new(OCIDIG_MATCHER_ORDERED, &req, 1, &linux_amd64, &m, &err) == OCIDIG_OK);
  ck_assert_str_eq(ocidig_matcher_request(m)->os, "Linux");
  ocidig_matcher_free(m);
  /* The Windows Default() falls back to the host's DefaultSpec. */
  ck_assert(ocidig_matcher_new(OCIDIG_MATCHER_WINDOWS_DEFAULT, NULL, 0, &win_host, &m, &err) == OCIDIG_OK);
  ck_assert_uint_eq(ocidig_matcher_accepts(m, &acc), 1);
  ck_assert_str_eq(acc[0].os_version, "10.0.20348");
  ck_assert(ocidig_matcher_match(m, &c1));
  ck_assert(!ocidig_matcher_match(m, &c2));
  ck_assert(ocidig_matcher_less(m, &c1, &c2));
  ocidig_matcher_free(m);
  /* All accepts everything and lists nothing. */
  ck_assert(ocidig_matcher_new(OCIDIG_MATCHER_ALL, NULL, 0, &linux_amd64, &m, &err) == OCIDIG_OK);
  ck_assert_uint_eq(ocidig_matcher_accepts(m, &acc), 0);
  ck_assert(ocidig_matcher_match(m, &c2));
  ck_assert(!ocidig_matcher_less(m, &c1, &c2));
  ocidig_matcher_free(m);
  /* Only needs a platform; absurd numbered variants are refused, not expanded. */
  ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, NULL, 0, &linux_amd64, &m, &err), OCIDIG_ERR_USAGE);
  ck_assert(m == NULL);
  ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &big, 1, &linux_amd64, &m, &err),
                   OCIDIG_ERR_INVALID_PLATFORM);
  ck_assert(strstr(err.message, "v5000") != NULL);
}
END_TEST

START_TEST(test_sort_is_stable_beyond_one_block)
{
  /* 45 candidates cycle through 5 kinds: Go's algorithm merges blocks of 20 here. */
  static const char *const archs[] = {"386", "arm64", "amd64", "amd64", "riscv64"};
  static const char *const variants[] = {"", "", "v2", "", ""};
  ocidig_platform req = {.os = (char *)"linux", .architecture = (char *)"amd64", .variant = (char *)"v2"};
  ocidig_platform c[45];
  const ocidig_platform *ptrs[45];
  size_t order[45], last_rank = 0, last_index = 0;
  ocidig_matcher *m = NULL;
  ocidig_error err = {0};
  ck_assert(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &req, 1, &linux_amd64, &m, &err) == OCIDIG_OK);
  for (size_t i = 0; i < 45; i++) {
    c[i] = (ocidig_platform){.os = (char *)"linux", .architecture = (char *)archs[i % 5],
                             .variant = (char *)variants[i % 5]};
    ptrs[i] = &c[i];
  }
  ck_assert(ocidig_matcher_sort(m, ptrs, 45, order, &err) == OCIDIG_OK);
  /* Expected ranks: amd64/v2 (0), amd64 (1), 386 (2), then non-matches in input order. */
  for (size_t i = 0; i < 45; i++) {
    size_t k = order[i] % 5;
    size_t rank = k == 2 ? 0 : k == 3 ? 1 : k == 0 ? 2 : 3;
    ck_assert_msg(rank > last_rank || (rank == last_rank && (i == 0 || order[i] > last_index)),
                  "position %zu: candidate %zu out of order", i, order[i]);
    last_rank = rank;
    last_index = order[i];
  }
  ocidig_matcher_free(m);
}
END_TEST

START_TEST(test_detect_host)
{
  ocidig_platform h = {0};
  ocidig_error err = {0};
  ck_assert_msg(ocidig_platform_detect_host(&h, &err) == OCIDIG_OK, "%s", err.message);
#ifdef __linux__
  ck_assert_str_eq(h.os, "linux");
#endif
  ck_assert(h.architecture && *h.architecture);
  ck_assert(h.variant != NULL);
#if defined(__x86_64__)
  ck_assert_str_eq(h.architecture, "amd64");
  ck_assert_str_eq(h.variant, "");
#endif
  ocidig_platform_clear(&h);
}
END_TEST

START_TEST(test_copy_equal_clear)
{
  char *feats[] = {(char *)"b", (char *)"a"};
  ocidig_platform p = {.os = (char *)"linux", .architecture = (char *)"arm", .os_features = feats, .n_os_features = 2};
  ocidig_platform q = {0}, r = {0};
  ck_assert(ocidig_platform_copy(&q, &p, NULL) == OCIDIG_OK);
  ck_assert(ocidig_platform_equal(&p, &q));
  ck_assert_str_eq(q.variant, ""); /* NULL in, "" out */
  ck_assert(ocidig_platform_copy(&q, &q, NULL) == OCIDIG_OK);
  ck_assert(ocidig_platform_equal(&p, &q));
  ck_assert(ocidig_platform_normalize(&q, &linux_amd64, &r, NULL) == OCIDIG_OK);
  ck_assert(!ocidig_platform_equal(&q, &r)); /* features sorted, arm means v7 */
  ck_assert_str_eq(r.variant, "v7");
  ck_assert_str_eq(r.os_features[0], "a");
  ck_assert(ocidig_platform_normalize(&q, &linux_amd64, &q, NULL) == OCIDIG_OK); /* in place */
  ck_assert(ocidig_platform_equal(&q, &r));
  ocidig_platform_clear(&q);
  ocidig_platform_clear(&r);
  ck_assert(q.os == NULL && q.n_os_features == 0);
  ocidig_platform_clear(NULL);
}
END_TEST

/* ------------------------------------------------------------------ main */

static void load_vectors(void)
{
  char path[4096];
  size_t n;
  snprintf(path, sizeof path, "%s/vectors-platform.json", TESTDATA);
  all_vectors = json_object_from_file(path);
  if (!all_vectors || !json_object_is_type(all_vectors, json_type_array)) {
    fprintf(stderr, "cannot load %s\n", path);
    exit(EXIT_FAILURE);
  }
  n = json_object_array_length(all_vectors);
  for (int k = 0; k < K_COUNT; k++) {
    cases[k] = calloc(n + 1, sizeof *cases[k]);
    if (!cases[k])
      exit(EXIT_FAILURE);
  }
  for (size_t i = 0; i < n; i++) {
    json_object *c = json_object_array_get_idx(all_vectors, i);
    const char *kind = get_str(c, "kind");
    int k;
    for (k = 0; k < K_COUNT && strcmp(kind, kind_names[k]); k++)
      ;
    if (k == K_COUNT) {
      fprintf(stderr, "%s: unexpected kind '%s'\n", get_str(c, "id"), kind);
      exit(EXIT_FAILURE);
    }
    cases[k][n_cases[k]++] = c;
  }
}

int main(void)
{
  const TTest *vector_tests[K_COUNT] = {test_vector_parse, test_vector_normalize, test_vector_match,
                                        test_vector_order};
  Suite *s = suite_create("platform");
  TCase *unit = tcase_create("unit");
  SRunner *sr;
  int failed, passed[K_COUNT] = {0}, n_results;
  TestResult **results;

  load_vectors();
  for (int k = 0; k < K_COUNT; k++) {
    TCase *tc = tcase_create(kind_names[k]);
    tcase_add_loop_test(tc, vector_tests[k], 0, n_cases[k]);
    suite_add_tcase(s, tc);
  }
  tcase_add_test(unit, test_format_round_trip);
  tcase_add_test(unit, test_format_cases);
  tcase_add_test(unit, test_error_messages_quote_bad_part);
  tcase_add_test(unit, test_unicode_lowercase);
  tcase_add_test(unit, test_accepts);
  tcase_add_test(unit, test_request_and_limits);
  tcase_add_test(unit, test_sort_is_stable_beyond_one_block);
  tcase_add_test(unit, test_detect_host);
  tcase_add_test(unit, test_copy_equal_clear);
  suite_add_tcase(s, unit);

  sr = srunner_create(s);
  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  n_results = srunner_ntests_run(sr);
  results = srunner_results(sr);
  for (int i = 0; i < n_results; i++)
    for (int k = 0; k < K_COUNT; k++)
      if (!strcmp(tr_tcname(results[i]), kind_names[k]) && tr_rtype(results[i]) == CK_PASS)
        passed[k]++;
  printf("platform vectors passed:");
  for (int k = 0; k < K_COUNT; k++)
    printf(" %s %d/%d%s", kind_names[k], passed[k], n_cases[k], k + 1 < K_COUNT ? "," : "\n");
  free(results);
  srunner_free(sr);
  for (int k = 0; k < K_COUNT; k++)
    free(cases[k]);
  json_object_put(all_vectors);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
