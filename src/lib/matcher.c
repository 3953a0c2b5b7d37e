/* matcher.c: containerd/platforms v1.0.0-rc.5 MatchComparers (Only, OnlyStrict, Ordered,
 * Any, All, NewMatcher, OnlyOS, the Windows-host Default()), doc/platforms.md §4, §5 and §7.
 *
 * Every matcher is a list of NewMatcher entries (normalized platform + the Windows
 * os.version rule when the entry's raw os is "windows").  Less is computed from a small
 * per-candidate key (rank in that list, rank with features removed, raw feature count,
 * ...) that reproduces the Go comparators exactly, and the sort is Go's sort.Stable
 * algorithm, so even the non-matching tail comes out in containerd's order. */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Only(amd64/vN) and Only(arm/vN) expand to N entries; containerd would try to allocate
 * any N.  Real variants stay below 10, so this only refuses absurd requests (as an
 * invalid platform: the request is the user's input). */
#define MAX_NUMBERED_FALLBACKS 1024

#define NO_RANK SIZE_MAX

/* A Windows os.version reduced to what the compat rule reads: major.minor.build. */
typedef struct winver {
  unsigned major, minor, build;
} winver;

typedef struct mentry {
  bool windows; /* raw os == "windows": version rule and win32k stripping */
  winver q;     /* the entry's os.version, parsed */
} mentry;

struct ocidig_matcher {
  ocidig_matcher_kind kind;
  ocidig_platform host;    /* fills an empty candidate os */
  ocidig_platform request; /* normalized for Only/OnlyStrict, else platforms[0] as given */
  ocidig_platform *plats;  /* normalized NewMatcher platforms, most preferred first */
  mentry *entries;         /* parallel to plats */
  size_t n, cap;
  size_t n_accepts;        /* how many of plats ocidig_matcher_accepts exposes */
  bool windows_less;       /* NewMatcher on a Windows host is a windowsMatchComparer */
};

/* A candidate prepared once for all the entries it is compared with. */
typedef struct cand {
  ocidig_platform n;       /* Normalize(candidate) */
  ocidig_platform nw;      /* Normalize(candidate minus one "win32k" feature), if has_w */
  bool has_w;
  const char *raw_os_version;
  size_t n_raw_features;
} cand;

/* The sort key: everything the Less functions look at. */
typedef struct mkey {
  size_t rank;  /* first matching entry, NO_RANK for none */
  size_t srank; /* the same with the candidate's features removed */
  size_t nfeat; /* raw feature count, duplicates included */
  bool os_match; /* OnlyOS */
  const char *os_version;
} mkey;

/* ------------------------------------------------------ Windows os.version */

/* strconv.ParseUint(s, 10, bits): ASCII digits only, no sign, within max. */
static bool parse_uint(const char *s, size_t n, unsigned long max, unsigned *out)
{
  unsigned long v = 0;
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (unsigned long)(s[i] - '0');
    if (v > max)
      return false;
  }
  *out = (unsigned)v;
  return true;
}

/* getWindowsOSVersion: fewer than two dots or a bad field gives 0.0.0. */
static winver winver_parse(const char *s)
{
  winver v = {0, 0, 0}, zero = {0, 0, 0};
  const char *d1, *d2, *d3;
  size_t dots = 0;
  for (const char *c = s; *c; c++)
    dots += *c == '.';
  if (dots < 2)
    return zero;
  d1 = strchr(s, '.');
  d2 = strchr(d1 + 1, '.');
  d3 = strchr(d2 + 1, '.');
  if (!d3)
    d3 = d2 + strlen(d2);
  if (!parse_uint(s, (size_t)(d1 - s), 255, &v.major) ||
      !parse_uint(d1 + 1, (size_t)(d2 - d1 - 1), 255, &v.minor) ||
      !parse_uint(d2 + 1, (size_t)(d3 - d2 - 1), 65535, &v.build))
    return zero;
  return v;
}

static bool winver_empty(winver v)
{
  return v.major == 0 && v.minor == 0 && v.build == 0;
}

/* checkWindowsHostAndContainerCompat with rc.5's LTSC floor: before WS2022 (20348) the
 * build must be equal; from 20348 on, any build from 20348 up to the host's own. */
static bool winver_compat(winver host, winver ctr)
{
  if (host.major != ctr.major || host.minor != ctr.minor)
    return false;
  if (host.build < 20348)
    return host.build == ctr.build;
  return ctr.build >= 20348 && ctr.build <= host.build;
}

static bool winver_match(winver q, const char *candidate)
{
  if (winver_empty(q) || !*candidate)
    return true;
  return winver_compat(q, winver_parse(candidate));
}

/* ---------------------------------------------------------------- helpers */

/* strconv.Atoi: optional sign, decimal digits, within int64. */
static bool go_atoi(const char *s, long long *out)
{
  bool neg = false;
  unsigned long long v = 0;
  if (*s == '+' || *s == '-')
    neg = *s++ == '-';
  if (!*s)
    return false;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return false;
    if (v > (unsigned long long)INT64_MAX / 10)
      return false;
    v = v * 10 + (unsigned long long)(*s - '0');
    if (v > (unsigned long long)INT64_MAX + (neg ? 1u : 0u))
      return false;
  }
  *out = neg ? (long long)(0 - v) : (long long)v;
  return true;
}

/* strings.TrimPrefix(variant, "v") then Atoi, as platformVector does. */
static bool variant_number(const char *variant, long long *k)
{
  const char *v = oci_str(variant);
  return go_atoi(v[0] == 'v' ? v + 1 : v, k);
}

/* The candidate's (sorted, deduped) features are a subset of the entry's. */
static bool features_subset(char *const *have, size_t n_have, char *const *want, size_t n_want)
{
  size_t j = 0;
  for (size_t i = 0; i < n_have; i++) {
    while (j < n_want && strcmp(want[j], have[i]) < 0)
      j++;
    if (j == n_want || strcmp(want[j], have[i]) != 0)
      return false;
    j++;
  }
  return true;
}

/* --------------------------------------------------------------- building */

/* Appends a NewMatcher(p) entry; p is normalized here (so arm64/v8 and amd64/v1 lose
 * their variant), windows says whether p's raw os is "windows". */
static ocidig_code push_entry(ocidig_matcher *m, const ocidig_platform *p, bool windows, ocidig_error *err)
{
  ocidig_code rc;
  if (m->n == m->cap) {
    /* Two parallel arrays, grown to the same capacity. */
    void *plats = m->plats, *entries = m->entries;
    size_t pcap = m->cap, ecap = m->cap;
    bool ok = oci_grow(&plats, &pcap, m->n + 1, sizeof *m->plats);
    m->plats = plats;
    ok = ok && oci_grow(&entries, &ecap, m->n + 1, sizeof *m->entries);
    m->entries = entries;
    if (!ok)
      return oci_nomem(err);
    m->cap = pcap < ecap ? pcap : ecap;
  }
  rc = ocidig_platform_normalize(p, &m->host, &m->plats[m->n], err);
  if (rc != OCIDIG_OK)
    return rc;
  m->entries[m->n].windows = windows;
  m->entries[m->n].q = winver_parse(oci_str(m->plats[m->n].os_version));
  m->n++;
  return OCIDIG_OK;
}

/* An entry derived from the normalized request: same os, os.version and features. */
static ocidig_code push_derived(ocidig_matcher *m, const ocidig_platform *base, const char *arch,
                                const char *variant, ocidig_error *err)
{
  ocidig_platform p = *base;
  p.architecture = (char *)arch;
  p.variant = (char *)variant;
  return push_entry(m, &p, !strcmp(oci_str(base->os), "windows"), err);
}

static ocidig_code push_numbered(ocidig_matcher *m, const ocidig_platform *base, const char *arch, long long hi,
                                 long long lo, ocidig_error *err)
{
  char v[32];
  if (hi - lo >= MAX_NUMBERED_FALLBACKS)
    return oci_fail(err, OCIDIG_ERR_INVALID_PLATFORM,
                    "variant \"%.64s\" of %s would expand to %lld fallback platforms (at most %d are supported)",
                    oci_str(base->variant), arch, hi - lo + 1, MAX_NUMBERED_FALLBACKS);
  for (long long k = hi; k >= lo; k--) {
    ocidig_code rc;
    snprintf(v, sizeof v, "v%lld", k);
    rc = push_derived(m, base, arch, v, err);
    if (rc != OCIDIG_OK)
      return rc;
  }
  return OCIDIG_OK;
}

/* platformVector for 32-bit arm: vN, vN-1, ..., v5 when N > 5, else just the request. */
static ocidig_code push_arm_vector(ocidig_matcher *m, const ocidig_platform *base, ocidig_error *err)
{
  long long k;
  ocidig_code rc = push_derived(m, base, "arm", oci_str(base->variant), err);
  if (rc == OCIDIG_OK && variant_number(base->variant, &k) && k > 5)
    rc = push_numbered(m, base, "arm", k - 1, 5, err);
  return rc;
}

/* The rc.5 arm64 table (doc/platforms.md §4.2): which arm64 variants an arm64 request
 * accepts.  A variant outside the table accepts nothing, not even 32-bit arm. */
static ocidig_code push_arm64_vector(ocidig_matcher *m, const ocidig_platform *n, ocidig_error *err)
{
  const char *w = *oci_str(n->variant) ? n->variant : "v8";
  int major, minor;
  char v[8];
  ocidig_code rc = OCIDIG_OK;
  ocidig_platform arm = *n;
  if (!strcmp(w, "v8") || !strcmp(w, "v9")) {
    major = w[1] - '0';
    minor = 0;
  } else if (strlen(w) == 4 && w[0] == 'v' && (w[1] == '8' || w[1] == '9') && w[2] == '.' && w[3] >= '1' &&
             w[3] <= (w[1] == '8' ? '9' : '7')) {
    major = w[1] - '0';
    minor = w[3] - '0';
  } else {
    return OCIDIG_OK;
  }
  if (major == 9) {
    /* v9.N, ..., v9.1, v9, then v8.(N+5) down: v9.0 branched off v8.5. */
    for (int k = minor; rc == OCIDIG_OK && k >= 0; k--) {
      if (k > 0)
        snprintf(v, sizeof v, "v9.%d", k);
      else
        snprintf(v, sizeof v, "v9");
      rc = push_derived(m, n, "arm64", v, err);
    }
    minor = minor + 5 > 9 ? 9 : minor + 5;
  }
  for (int k = minor; rc == OCIDIG_OK && k >= 0; k--) {
    if (k > 0)
      snprintf(v, sizeof v, "v8.%d", k);
    else
      snprintf(v, sizeof v, "v8");
    rc = push_derived(m, n, "arm64", v, err);
  }
  if (rc != OCIDIG_OK)
    return rc;
  arm.variant = (char *)"v8";
  return push_arm_vector(m, &arm, err);
}

/* platformVector(N) for Only. */
static ocidig_code push_platform_vector(ocidig_matcher *m, const ocidig_platform *n, ocidig_error *err)
{
  const char *arch = oci_str(n->architecture);
  long long k;
  ocidig_code rc;
  if (!strcmp(arch, "amd64")) {
    rc = push_derived(m, n, "amd64", oci_str(n->variant), err);
    if (rc == OCIDIG_OK && variant_number(n->variant, &k) && k > 1)
      rc = push_numbered(m, n, "amd64", k - 1, 1, err);
    if (rc == OCIDIG_OK)
      rc = push_derived(m, n, "386", "", err);
    return rc;
  }
  if (!strcmp(arch, "arm"))
    return push_arm_vector(m, n, err);
  if (!strcmp(arch, "arm64"))
    return push_arm64_vector(m, n, err);
  return push_derived(m, n, arch, oci_str(n->variant), err);
}

void ocidig_matcher_free(ocidig_matcher *m)
{
  if (!m)
    return;
  for (size_t i = 0; i < m->n; i++)
    ocidig_platform_clear(&m->plats[i]);
  free(m->plats);
  free(m->entries);
  ocidig_platform_clear(&m->request);
  ocidig_platform_clear(&m->host);
  free(m);
}

static const char *kind_name(ocidig_matcher_kind kind)
{
  switch (kind) {
  case OCIDIG_MATCHER_ONLY: return "Only";
  case OCIDIG_MATCHER_ONLY_STRICT: return "OnlyStrict";
  case OCIDIG_MATCHER_ORDERED: return "Ordered";
  case OCIDIG_MATCHER_ANY: return "Any";
  case OCIDIG_MATCHER_ALL: return "All";
  case OCIDIG_MATCHER_NEW_MATCHER: return "NewMatcher";
  case OCIDIG_MATCHER_ONLY_OS: return "OnlyOS";
  case OCIDIG_MATCHER_WINDOWS_DEFAULT: return "the Windows Default()";
  }
  return "an unknown matcher";
}

ocidig_code ocidig_matcher_new(ocidig_matcher_kind kind, const ocidig_platform *platforms, size_t n_platforms,
                               const ocidig_platform *host, ocidig_matcher **out, ocidig_error *err)
{
  static const ocidig_platform fallback_host = {.os = (char *)"linux", .architecture = (char *)"amd64"};
  ocidig_matcher *m;
  ocidig_code rc = OCIDIG_OK;
  const ocidig_platform *first = n_platforms > 0 && platforms ? &platforms[0] : NULL;

  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  if ((unsigned)kind > OCIDIG_MATCHER_WINDOWS_DEFAULT)
    return oci_fail(err, OCIDIG_ERR_USAGE, "unknown matcher kind %d", (int)kind);
  if (n_platforms > 0 && !platforms)
    return oci_fail(err, OCIDIG_ERR_USAGE, "%s: no platform array", kind_name(kind));
  /* Without a host, the vectors' assumption (linux/amd64); the CLI always passes one. */
  if (!host)
    host = &fallback_host;
  if (kind == OCIDIG_MATCHER_WINDOWS_DEFAULT && !first)
    first = host; /* Default() is built from the host's DefaultSpec() */
  if (!first && kind != OCIDIG_MATCHER_ALL && kind != OCIDIG_MATCHER_ORDERED && kind != OCIDIG_MATCHER_ANY)
    return oci_fail(err, OCIDIG_ERR_USAGE, "%s needs a platform", kind_name(kind));

  m = calloc(1, sizeof *m);
  if (!m)
    return oci_nomem(err);
  m->kind = kind;
  rc = ocidig_platform_copy(&m->host, host, err);
  if (rc != OCIDIG_OK)
    goto fail;

  switch (kind) {
  case OCIDIG_MATCHER_ONLY:
  case OCIDIG_MATCHER_ONLY_STRICT:
    /* Only/OnlyStrict normalize first, so "Windows" gets the Windows rules too. */
    rc = ocidig_platform_normalize(first, &m->host, &m->request, err);
    if (rc != OCIDIG_OK)
      goto fail;
    if (kind == OCIDIG_MATCHER_ONLY)
      rc = push_platform_vector(m, &m->request, err);
    else
      rc = push_entry(m, &m->request, !strcmp(oci_str(m->request.os), "windows"), err);
    m->n_accepts = m->n;
    break;
  case OCIDIG_MATCHER_ORDERED:
  case OCIDIG_MATCHER_ANY:
    /* NewMatcher(Ri) per entry: the Windows rules follow the raw os. */
    for (size_t i = 0; rc == OCIDIG_OK && i < n_platforms; i++)
      rc = push_entry(m, &platforms[i], !strcmp(oci_str(platforms[i].os), "windows"), err);
    m->n_accepts = m->n;
    break;
  case OCIDIG_MATCHER_ALL:
    break;
  case OCIDIG_MATCHER_NEW_MATCHER:
  case OCIDIG_MATCHER_WINDOWS_DEFAULT:
    rc = push_entry(m, first, !strcmp(oci_str(first->os), "windows"), err);
    m->n_accepts = m->n;
    /* On a Windows host NewMatcher(windows...) is itself a windowsMatchComparer. */
    m->windows_less = kind == OCIDIG_MATCHER_WINDOWS_DEFAULT ||
                      (!strcmp(oci_str(host->os), "windows") && !strcmp(oci_str(first->os), "windows"));
    break;
  case OCIDIG_MATCHER_ONLY_OS: {
    /* OnlyOS(R) = os rule on Normalize(R), arch order by NewMatcher(Normalize(R)). */
    ocidig_platform n = {0};
    rc = ocidig_platform_normalize(first, &m->host, &n, err);
    if (rc == OCIDIG_OK)
      rc = push_entry(m, &n, !strcmp(oci_str(n.os), "windows"), err);
    ocidig_platform_clear(&n);
    m->n_accepts = 0; /* any architecture of the os: no list to show */
    break;
  }
  }
  if (rc != OCIDIG_OK)
    goto fail;
  if (kind != OCIDIG_MATCHER_ONLY && kind != OCIDIG_MATCHER_ONLY_STRICT && first) {
    rc = ocidig_platform_copy(&m->request, first, err);
    if (rc != OCIDIG_OK)
      goto fail;
  }
  *out = m;
  return OCIDIG_OK;

fail:
  ocidig_matcher_free(m);
  return rc;
}

/* --------------------------------------------------------------- matching */

static void cand_free(cand *c)
{
  ocidig_platform_clear(&c->n);
  ocidig_platform_clear(&c->nw);
}

static bool cand_prepare(const ocidig_matcher *m, const ocidig_platform *raw, cand *c)
{
  *c = (cand){0};
  c->raw_os_version = oci_str(raw->os_version);
  c->n_raw_features = raw->n_os_features;
  if (ocidig_platform_normalize(raw, &m->host, &c->n, NULL) != OCIDIG_OK)
    return false;
  /* A Windows NewMatcher drops one "win32k" from the candidate before normalizing. */
  for (size_t i = 0; i < raw->n_os_features; i++) {
    if (!strcmp(oci_str(raw->os_features[i]), "win32k")) {
      ocidig_platform shallow = *raw;
      char **rest = malloc(raw->n_os_features * sizeof *rest);
      bool ok;
      if (!rest) {
        cand_free(c);
        return false;
      }
      memcpy(rest, raw->os_features, i * sizeof *rest);
      memcpy(rest + i, raw->os_features + i + 1, (raw->n_os_features - i - 1) * sizeof *rest);
      shallow.os_features = rest;
      shallow.n_os_features = raw->n_os_features - 1;
      ok = ocidig_platform_normalize(&shallow, &m->host, &c->nw, NULL) == OCIDIG_OK;
      free(rest);
      if (!ok) {
        cand_free(c);
        return false;
      }
      c->has_w = true;
      break;
    }
  }
  return true;
}

/* NewMatcher(entry i).Match(candidate); strip drops the candidate's features (the
 * second look Less takes at two non-matching candidates). */
static bool entry_match(const ocidig_matcher *m, size_t i, const cand *c, bool strip)
{
  const ocidig_platform *p = &m->plats[i];
  const mentry *e = &m->entries[i];
  const ocidig_platform *f;
  if (!oci_streq(p->os, c->n.os) || !oci_streq(p->architecture, c->n.architecture) ||
      !oci_streq(p->variant, c->n.variant))
    return false;
  if (e->windows && !winver_match(e->q, c->raw_os_version))
    return false;
  if (strip)
    return true;
  f = e->windows && c->has_w ? &c->nw : &c->n;
  return features_subset(f->os_features, f->n_os_features, p->os_features, p->n_os_features);
}

static size_t first_match(const ocidig_matcher *m, const cand *c, bool strip)
{
  for (size_t i = 0; i < m->n; i++)
    if (entry_match(m, i, c, strip))
      return i;
  return NO_RANK;
}

/* OnlyOS's own rule: same normalized os, the Windows version rule on the normalized os,
 * features a subset (no win32k stripping here). */
static bool only_os_match(const ocidig_matcher *m, const cand *c)
{
  const ocidig_platform *p = &m->plats[0];
  if (!oci_streq(p->os, c->n.os))
    return false;
  if (m->entries[0].windows && !winver_match(m->entries[0].q, c->raw_os_version))
    return false;
  return features_subset(c->n.os_features, c->n.n_os_features, p->os_features, p->n_os_features);
}

static bool key_of(const ocidig_matcher *m, const ocidig_platform *raw, mkey *k)
{
  cand c;
  *k = (mkey){NO_RANK, NO_RANK, raw->n_os_features, false, oci_str(raw->os_version)};
  if (m->kind == OCIDIG_MATCHER_ALL)
    return true;
  if (!cand_prepare(m, raw, &c))
    return false;
  k->rank = first_match(m, &c, false);
  k->srank = raw->n_os_features > 0 ? first_match(m, &c, true) : k->rank;
  if (m->kind == OCIDIG_MATCHER_ONLY_OS)
    k->os_match = only_os_match(m, &c);
  cand_free(&c);
  return true;
}

static bool key_matches(const ocidig_matcher *m, const mkey *k)
{
  switch (m->kind) {
  case OCIDIG_MATCHER_ALL: return true;
  case OCIDIG_MATCHER_ONLY_OS: return k->os_match;
  default: return k->rank != NO_RANK;
  }
}

ocidig_code ocidig_matcher_test(const ocidig_matcher *m, const ocidig_platform *candidate, bool *matches,
                                ocidig_error *err)
{
  mkey k;
  OCI_REQUIRE(matches, "matches", err);
  *matches = false;
  OCI_REQUIRE(m, "the matcher", err);
  OCI_REQUIRE(candidate, "the candidate", err);
  if (!key_of(m, candidate, &k)) /* its only failure */
    return oci_nomem(err);
  *matches = key_matches(m, &k);
  return OCIDIG_OK;
}

bool ocidig_matcher_match(const ocidig_matcher *m, const ocidig_platform *candidate)
{
  bool matches;
  /* Out of memory reads as "no match" here: Match has no error channel in containerd
   * either (ocidig_matcher_test has one). */
  return m && candidate && ocidig_matcher_test(m, candidate, &matches, NULL) == OCIDIG_OK && matches;
}

/* orderedPlatformComparer.Less (rc.5): the first entry that matches either decides;
 * a tie on it prefers more raw features; two non-matching candidates with features
 * are compared again without them. */
static bool ordered_less(const mkey *a, const mkey *b)
{
  if (a->rank != NO_RANK || b->rank != NO_RANK) {
    if (a->rank != b->rank)
      return a->rank < b->rank;
    return a->nfeat > b->nfeat;
  }
  if (a->nfeat > 0 || b->nfeat > 0)
    return a->srank < b->srank;
  return false;
}

/* anyPlatformComparer.Less (rc.5): matches first; among matches more raw features;
 * among non-matches, those that match without features first. */
static bool any_less(const mkey *a, const mkey *b)
{
  bool am = a->rank != NO_RANK, bm = b->rank != NO_RANK;
  if (am && bm)
    return a->nfeat > b->nfeat;
  if (!am && !bm && (a->nfeat > 0 || b->nfeat > 0))
    return a->srank != NO_RANK && b->srank == NO_RANK;
  return am && !bm;
}

/* windowsMatchComparer.Less: matches first; among matches the greater os.version string. */
static bool windows_less(const mkey *a, const mkey *b)
{
  bool am = a->rank != NO_RANK, bm = b->rank != NO_RANK;
  if (am && bm)
    return strcmp(a->os_version, b->os_version) > 0;
  return am && !bm;
}

static bool key_less(const ocidig_matcher *m, const mkey *a, const mkey *b)
{
  switch (m->kind) {
  case OCIDIG_MATCHER_ONLY:
  case OCIDIG_MATCHER_ONLY_STRICT:
  case OCIDIG_MATCHER_ORDERED:
    return ordered_less(a, b);
  case OCIDIG_MATCHER_ANY:
    return any_less(a, b);
  case OCIDIG_MATCHER_ALL:
    return false;
  case OCIDIG_MATCHER_NEW_MATCHER:
  case OCIDIG_MATCHER_WINDOWS_DEFAULT:
    return m->windows_less && windows_less(a, b);
  case OCIDIG_MATCHER_ONLY_OS:
    /* os matches first; among them the arch order of NewMatcher(Normalize(R)). */
    if (a->os_match != b->os_match)
      return a->os_match;
    return a->os_match && ordered_less(a, b);
  }
  return false;
}

bool ocidig_matcher_less(const ocidig_matcher *m, const ocidig_platform *a, const ocidig_platform *b)
{
  mkey ka, kb;
  if (!m || !a || !b)
    return false;
  if (!key_of(m, a, &ka) || !key_of(m, b, &kb))
    return false;
  return key_less(m, &ka, &kb);
}

/* ------------------------------------------------------------------ sort */

/* Go's sort.Stable (insertion sort on blocks of 20, then SymMerge), step for step: the
 * comparators are not strict weak orders on non-matching candidates, so only the same
 * algorithm gives containerd's order in every case. */
typedef struct sorter {
  const ocidig_matcher *m;
  const mkey *keys;
  size_t *idx;
} sorter;

static bool s_less(const sorter *s, size_t i, size_t j)
{
  return key_less(s->m, &s->keys[s->idx[i]], &s->keys[s->idx[j]]);
}

static void s_swap(sorter *s, size_t i, size_t j)
{
  size_t t = s->idx[i];
  s->idx[i] = s->idx[j];
  s->idx[j] = t;
}

static void insertion_sort(sorter *s, size_t a, size_t b)
{
  for (size_t i = a + 1; i < b; i++)
    for (size_t j = i; j > a && s_less(s, j, j - 1); j--)
      s_swap(s, j, j - 1);
}

static void swap_range(sorter *s, size_t a, size_t b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    s_swap(s, a + i, b + i);
}

static void rotate(sorter *s, size_t a, size_t m, size_t b)
{
  size_t i = m - a, j = b - m;
  while (i != j) {
    if (i > j) {
      swap_range(s, m - i, m, j);
      i -= j;
    } else {
      swap_range(s, m - i, m + j - i, i);
      j -= i;
    }
  }
  swap_range(s, m - i, m, i);
}

static void sym_merge(sorter *s, size_t a, size_t m, size_t b)
{
  size_t mid, n, start, r, p, end;
  if (m - a == 1) {
    size_t i = m, j = b;
    while (i < j) {
      size_t h = i + (j - i) / 2;
      if (s_less(s, h, a))
        i = h + 1;
      else
        j = h;
    }
    for (size_t k = a; k + 1 < i; k++)
      s_swap(s, k, k + 1);
    return;
  }
  if (b - m == 1) {
    size_t i = a, j = m;
    while (i < j) {
      size_t h = i + (j - i) / 2;
      if (!s_less(s, m, h))
        i = h + 1;
      else
        j = h;
    }
    for (size_t k = m; k > i; k--)
      s_swap(s, k, k - 1);
    return;
  }
  mid = a + (b - a) / 2;
  n = mid + m;
  if (m > mid) {
    start = n - b;
    r = mid;
  } else {
    start = a;
    r = m;
  }
  p = n - 1;
  while (start < r) {
    size_t c = start + (r - start) / 2;
    if (!s_less(s, p - c, c))
      start = c + 1;
    else
      r = c;
  }
  end = n - start;
  if (start < m && m < end)
    rotate(s, start, m, end);
  if (a < start && start < mid)
    sym_merge(s, a, start, mid);
  if (mid < end && end < b)
    sym_merge(s, mid, end, b);
}

static void go_stable(sorter *s, size_t n)
{
  size_t block = 20, a = 0, b = block;
  while (b <= n) {
    insertion_sort(s, a, b);
    a = b;
    b += block;
  }
  insertion_sort(s, a, n);
  while (block < n) {
    a = 0;
    b = 2 * block;
    while (b <= n) {
      sym_merge(s, a, a + block, b);
      a = b;
      b += 2 * block;
    }
    if (a + block < n)
      sym_merge(s, a, a + block, n);
    block *= 2;
  }
}

ocidig_code ocidig_matcher_sort(const ocidig_matcher *m, const ocidig_platform *const *candidates, size_t n,
                                size_t *order, ocidig_error *err)
{
  mkey *keys;
  sorter s;
  OCI_REQUIRE(m, "the matcher", err);
  if (n == 0)
    return OCIDIG_OK;
  OCI_REQUIRE(candidates, "candidates", err);
  OCI_REQUIRE(order, "order", err);
  /* Keys are computed once: Less would otherwise normalize both sides at every step. */
  keys = calloc(n, sizeof *keys);
  if (!keys)
    return oci_nomem(err);
  for (size_t i = 0; i < n; i++) {
    if (!key_of(m, candidates[i], &keys[i])) {
      free(keys);
      return oci_nomem(err);
    }
    order[i] = i;
  }
  s = (sorter){m, keys, order};
  go_stable(&s, n);
  free(keys);
  return OCIDIG_OK;
}

size_t ocidig_matcher_accepts(const ocidig_matcher *m, const ocidig_platform **out)
{
  if (!m) {
    if (out)
      *out = NULL;
    return 0;
  }
  if (out)
    *out = m->n_accepts ? m->plats : NULL;
  return m->n_accepts;
}

const ocidig_platform *ocidig_matcher_request(const ocidig_matcher *m)
{
  return m ? &m->request : NULL;
}
