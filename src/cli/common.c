/* common.c: what the commands share besides output (output.c): host detection, --platform
 * and --max-bytes, and the text forms of sizes and digests. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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


/* A growing string (cli_attached_summary's); false when out of memory. */
typedef struct sbuf {
  char *p;
  size_t n, cap;
  bool nomem;
} sbuf;

static void sb_add(sbuf *b, const char *s)
{
  size_t l = strlen(s);
  if (b->nomem)
    return;
  if (b->n + l + 1 > b->cap) {
    size_t cap = (b->n + l + 1) * 2;
    char *np = realloc(b->p, cap);
    if (!np) {
      b->nomem = true;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, l + 1);
  b->n += l;
}

/* "N scheme" for each scheme of the kind, ", "-joined. */
static void counts(sbuf *b, const ocidig_attached *v, size_t n, ocidig_attached_kind kind)
{
  bool first = true;
  for (int s = OCIDIG_SCHEME_COSIGN; s <= OCIDIG_SCHEME_SIMPLE_SIGNING; s++) {
    size_t c = 0;
    char num[32];
    for (size_t i = 0; i < n; i++)
      c += v[i].kind == kind && (int)v[i].scheme == s &&
           (kind != OCIDIG_ATTACHED_ATTESTATION || !v[i].n_predicate_types);
    if (!c)
      continue;
    snprintf(num, sizeof num, "%s%zu ", first ? "" : ", ", c);
    sb_add(b, num);
    sb_add(b, ocidig_attached_scheme_name((ocidig_attached_scheme)s));
    first = false;
  }
}

char *cli_attached_summary(const ocidig_attached *v, size_t n)
{
  static const char *const label[] = {"signatures", "attestations", "sboms", "other referrers"};
  sbuf b = {0};
  bool any = false;
  if (!n)
    return NULL;
  for (int k = OCIDIG_ATTACHED_SIGNATURE; k <= OCIDIG_ATTACHED_OTHER; k++) {
    size_t c = 0;
    bool first = true;
    for (size_t i = 0; i < n; i++)
      c += (int)v[i].kind == k;
    if (!c)
      continue;
    sb_add(&b, any ? "; " : "");
    sb_add(&b, label[k]);
    sb_add(&b, ": ");
    any = true;
    if (k == OCIDIG_ATTACHED_ATTESTATION) {
      /* by predicate type (each once), then those without one by scheme */
      for (size_t i = 0; i < n; i++)
        for (size_t p = 0; v[i].kind == OCIDIG_ATTACHED_ATTESTATION && p < v[i].n_predicate_types; p++) {
          bool seen = false;
          for (size_t j = 0; j <= i && !seen; j++)
            for (size_t q = 0; v[j].kind == OCIDIG_ATTACHED_ATTESTATION && q < v[j].n_predicate_types && !seen; q++)
              seen = (j < i || q < p) && !strcmp(v[j].predicate_types[q], v[i].predicate_types[p]);
          if (!seen) {
            sb_add(&b, first ? "" : ", ");
            sb_add(&b, cli_text(v[i].predicate_types[p]));
            first = false;
          }
        }
      size_t rest = 0;
      for (size_t i = 0; i < n; i++)
        rest += v[i].kind == OCIDIG_ATTACHED_ATTESTATION && !v[i].n_predicate_types;
      if (rest && !first)
        sb_add(&b, ", ");
      if (rest)
        counts(&b, v, n, OCIDIG_ATTACHED_ATTESTATION);
    } else {
      counts(&b, v, n, (ocidig_attached_kind)k);
    }
  }
  if (b.nomem) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

/* A file of trust material read whole (at most 16 MiB). */
#define MAX_INPUT (16u * 1024 * 1024)

/* A whole small file; exit status 0 or 3 after saying what failed. */
int cli_slurp(const char *path, const char *what, uint8_t **out, size_t *len)
{
  FILE *f = fopen(path, "rb");
  *out = NULL;
  *len = 0;
  if (!f) {
    cli_error("%s %s: %s", what, path, strerror(errno));
    return EXIT_UNREADABLE;
  }
  size_t cap = 0, n = 0;
  uint8_t *p = NULL;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 65536;
      uint8_t *q = cap <= MAX_INPUT + 1 ? realloc(p, cap) : NULL;
      if (!q) {
        free(p);
        fclose(f);
        cli_error("%s %s: larger than 16 MiB", what, path);
        return EXIT_UNREADABLE;
      }
      p = q;
    }
    size_t got = fread(p + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad || n > MAX_INPUT) {
    free(p);
    cli_error("%s %s: %s", what, path, bad ? "read error" : "larger than 16 MiB");
    return EXIT_UNREADABLE;
  }
  *out = p;
  *len = n;
  return 0;
}


/* ------------------------------------------------------------- trust material */

bool cli_trust_option(cli_trust *t, int opt, const char *arg)
{
  switch (opt - CLI_OPT_TRUST) {
  case 0: t->key_path = arg; return true;
  case 1: t->root_path = arg; return true;
  case 2: t->opts.identity = arg; return true;
  case 3: t->opts.identity_regexp = arg; return true;
  case 4: t->opts.issuer = arg; return true;
  case 5: t->opts.issuer_regexp = arg; return true;
  case 6: t->policy_path = arg; return true;
  case 7: t->store_path = arg; return true;
  case 8: t->ca_roots_path = arg; return true;
  case 9: t->ca_inter_path = arg; return true;
  default: return false;
  }
}

int cli_trust_load(cli_trust *t, const char *command)
{
  ocidig_trust_options *o = &t->opts;
  ocidig_error e;
  int status;
  if ((o->identity && o->identity_regexp) || (o->issuer && o->issuer_regexp))
    return cli_usage(command, "give a certificate identity (or issuer) exactly or as a regexp, not both");
  if (!t->root_path && !t->ca_roots_path && (o->identity || o->identity_regexp || o->issuer || o->issuer_regexp))
    return cli_usage(command, "a certificate identity or issuer needs --trusted-root or --ca-roots");
  if (t->ca_inter_path && !t->ca_roots_path)
    return cli_usage(command, "--ca-intermediates needs --ca-roots");
  if (t->ca_roots_path && t->key_path)
    return cli_usage(command, "give --key or --ca-roots, not both (a key verifies every cosign signature)");
  /* a private PKI's certificate has no OIDC issuer: with --ca-roots the identity alone */
  if (t->ca_roots_path && !(o->identity || o->identity_regexp))
    return cli_usage(command, "--ca-roots needs --certificate-identity[-regexp]");
  if (t->root_path && !t->key_path && !t->ca_roots_path &&
      (!(o->identity || o->identity_regexp) || !(o->issuer || o->issuer_regexp)))
    return cli_usage(command,
                     "--trusted-root needs --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]");
  if (!t->policy_path != !t->store_path)
    return cli_usage(command, "--trust-policy and --trust-store go together");
  if ((t->key_path && (status = cli_slurp(t->key_path, "key", &t->key, &o->key_pem_len)) != 0) ||
      (t->root_path && (status = cli_slurp(t->root_path, "trusted root", &t->root, &o->trusted_root_len)) != 0) ||
      (t->ca_roots_path && (status = cli_slurp(t->ca_roots_path, "CA roots", &t->ca_roots, &o->ca_roots_len)) != 0) ||
      (t->ca_inter_path &&
       (status = cli_slurp(t->ca_inter_path, "CA intermediates", &t->ca_inter, &o->ca_intermediates_len)) != 0))
    return status;
  /* read once here, named: not a verdict of every signature */
  const char *pem_paths[2] = {t->ca_roots_path, t->ca_inter_path};
  const uint8_t *pems[2] = {t->ca_roots, t->ca_inter};
  const size_t pem_lens[2] = {o->ca_roots_len, o->ca_intermediates_len};
  for (int i = 0; i < 2; i++) {
    if (!pem_paths[i] || ocidig_sig_pem_certs_check(pems[i], pem_lens[i], NULL, &e) == OCIDIG_OK)
      continue;
    if (e.code != OCIDIG_ERR_USAGE) {
      cli_error("%s (%s)", cli_text(e.message), ocidig_code_name(e.code));
      return ocidig_code_exit_status(e.code);
    }
    return cli_usage(command, "%s %s: %s", i ? "--ca-intermediates" : "--ca-roots", pem_paths[i], e.message);
  }
  if (t->policy_path && ocidig_notation_trust_load(t->policy_path, t->store_path, &t->notation, &e) != OCIDIG_OK) {
    cli_error("%s (%s)", cli_text(e.message), ocidig_code_name(e.code));
    return e.code == OCIDIG_ERR_USAGE ? EXIT_USAGE : ocidig_code_exit_status(e.code);
  }
  o->key_pem = t->key;
  o->trusted_root = t->root;
  o->ca_roots = t->ca_roots;
  o->ca_intermediates = t->ca_inter;
  o->notation = t->notation;
  return 0;
}

void cli_trust_free(cli_trust *t)
{
  free(t->key);
  free(t->root);
  free(t->ca_roots);
  free(t->ca_inter);
  ocidig_notation_trust_free(t->notation);
  t->key = t->root = t->ca_roots = t->ca_inter = NULL;
  t->notation = NULL;
}
