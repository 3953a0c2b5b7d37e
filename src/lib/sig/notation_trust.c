/* notation_trust.c: Notation's trust policy (trustpolicy.json / trustpolicy.oci.json,
 * version "1.0") read and checked as Notation checks it, the named stores it uses read from
 * the trust store directory (x509/{ca,signingAuthority,tsa}/NAME/ *.pem|crt|cer: PEM or
 * DER, one or more certificates a file; no symbolic links; subdirectories ignored), the
 * policy that applies to a repository, and trustedIdentities ("x509.subject: C=.., ST=..,
 * O=..", Notation's DN syntax) matched against a certificate's subject. */
#include "notation_int.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NTN_FILE_MAX (4u * 1024 * 1024) /* a policy or a certificate file */

const char *ntn_level_name(ntn_level l)
{
  static const char *const n[] = {"strict", "permissive", "audit", "skip"};
  return (unsigned)l < 4 ? n[l] : "unknown";
}

/* The whole file (at most NTN_FILE_MAX bytes). */
static ocidig_code slurp(const char *path, uint8_t **out, size_t *n, ocidig_error *err)
{
  *out = NULL;
  *n = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return oci_fail(err, errno == ENOENT ? OCIDIG_ERR_NOT_FOUND : errno == ENOMEM ? OCIDIG_ERR_NOMEM : OCIDIG_ERR_IO,
                    "%s: %s", path, strerror(errno));
  uint8_t *buf = malloc(NTN_FILE_MAX + 1);
  if (!buf) {
    fclose(f);
    return oci_fail(err, OCIDIG_ERR_NOMEM, "%s: out of memory", path);
  }
  size_t got = fread(buf, 1, NTN_FILE_MAX + 1, f);
  bool rerr = ferror(f) != 0;
  fclose(f);
  if (rerr || got > NTN_FILE_MAX) {
    free(buf);
    return oci_fail(err, rerr ? OCIDIG_ERR_IO : OCIDIG_ERR_LIMIT, "%s: %s", path,
                    rerr ? "read error" : "larger than the 4 MiB a trust policy or certificate file may take");
  }
  *out = buf;
  *n = got;
  return OCIDIG_OK;
}

void ocidig_notation_trust_free(ocidig_notation_trust *t)
{
  if (!t)
    return;
  for (size_t i = 0; i < t->n_policies; i++) {
    ntn_policy *p = &t->policies[i];
    free(p->name);
    for (size_t j = 0; j < p->n_scopes; j++)
      free(p->scopes[j]);
    free(p->scopes);
    free(p->stores);
    for (size_t j = 0; j < p->n_identities; j++)
      free(p->identities[j]);
    free(p->identities);
  }
  free(t->policies);
  for (size_t i = 0; i < t->n_stores; i++) {
    free(t->stores[i].name);
    sk_X509_pop_free(t->stores[i].certs, X509_free);
  }
  free(t->stores);
  free(t);
}

/* ---------------------------------------------------------------- identities */

/* One attribute of an identity: its NID and its value, unescaped. */
typedef struct ntn_attr {
  int nid;
  char value[256];
} ntn_attr;

static int hexval(char c)
{
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "C=US, ST=WA, O=x\, y" to attributes: ',' (or ';', '+') between attributes unless
 * escaped; '\' escapes the next character or two hex digits; spaces around a type or
 * value dropped unless escaped.  False when it does not parse. */
static bool parse_dn(const char *s, ntn_attr *attrs, size_t cap, size_t *n)
{
  *n = 0;
  while (*s) {
    while (*s == ' ')
      s++;
    const char *eq = strchr(s, '=');
    if (!eq || *n == cap)
      return false;
    char type[64];
    size_t tl = (size_t)(eq - s);
    while (tl && s[tl - 1] == ' ')
      tl--;
    if (tl == 0 || tl >= sizeof type)
      return false;
    memcpy(type, s, tl);
    type[tl] = '\0';
    ntn_attr *a = &attrs[*n];
    a->nid = OBJ_txt2nid(type);
    if (a->nid == NID_undef)
      return false;
    s = eq + 1;
    while (*s == ' ')
      s++;
    size_t vl = 0, keep = 0; /* keep: the length up to the last escaped or non-space character */
    for (; *s && *s != ',' && *s != ';' && *s != '+'; s++) {
      char c = *s;
      if (c == '\\') {
        int h1 = hexval(s[1]), h2 = h1 >= 0 ? hexval(s[2]) : -1;
        if (h1 >= 0 && h2 >= 0) {
          c = (char)(h1 * 16 + h2);
          s += 2;
        } else if (s[1]) {
          c = *++s;
        } else
          return false;
        if (vl + 1 >= sizeof a->value)
          return false;
        a->value[vl++] = c;
        keep = vl;
        continue;
      }
      if (vl + 1 >= sizeof a->value)
        return false;
      a->value[vl++] = c;
      if (c != ' ')
        keep = vl;
    }
    a->value[keep] = '\0';
    (*n)++;
    if (*s)
      s++;
  }
  return *n > 0;
}

#define NTN_DN_MAX 32

bool ntn_identity_match(const char *identity, const X509_NAME *subject, bool *bad, ocidig_sig_result *r)
{
  *bad = false;
  static const char prefix[] = "x509.subject:";
  if (strncmp(identity, prefix, sizeof prefix - 1) != 0) {
    *bad = true;
    return false;
  }
  ntn_attr want[NTN_DN_MAX];
  size_t n;
  if (!parse_dn(identity + sizeof prefix - 1, want, NTN_DN_MAX, &n)) {
    *bad = true;
    return false;
  }
  bool c = false, st = false, o = false;
  for (size_t i = 0; i < n; i++) {
    c |= want[i].nid == NID_countryName;
    st |= want[i].nid == NID_stateOrProvinceName;
    o |= want[i].nid == NID_organizationName;
  }
  if (!c || !st || !o) { /* Notation: every identity has C, ST and O */
    *bad = true;
    return false;
  }
  if (!subject)
    return false;
  for (size_t i = 0; i < n; i++) {
    bool found = false;
    for (int j = -1; !found && (j = X509_NAME_get_index_by_NID(subject, want[i].nid, j)) >= 0;) {
      ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, j));
      unsigned char *u = NULL;
      ERR_clear_error();
      int len = ASN1_STRING_to_UTF8(&u, v);
      if (len < 0 && r && sig_ossl_nomem(r))
        return false;
      found = len >= 0 && (size_t)len == strlen(want[i].value) && memcmp(u, want[i].value, (size_t)len) == 0;
      OPENSSL_free(u);
    }
    if (!found)
      return false;
  }
  return true;
}

/* ---------------------------------------------------------------- stores */

static bool cert_name(const char *name)
{
  size_t n = strlen(name);
  return n > 4 && (!strcmp(name + n - 4, ".pem") || !strcmp(name + n - 4, ".crt") || !strcmp(name + n - 4, ".cer"));
}

static int by_name(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The certificates of one file (PEM, or DER one after another), pushed on certs. */
static ocidig_code read_certs(const char *path, STACK_OF(X509) *certs, ocidig_error *err)
{
  uint8_t *buf;
  size_t n;
  ocidig_code rc = slurp(path, &buf, &n, err);
  if (rc)
    return rc;
  int before = sk_X509_num(certs);
  bool trailing = false;
  ocidig_sig_result r = {.verdict = OCIDIG_SIG_VERIFIED};
  X509 *x;
  ERR_clear_error();
  if (n >= 10 && memcmp(buf, "-----BEGIN", 10) == 0) {
    BIO *bio = BIO_new_mem_buf(buf, (int)n);
    if (!bio)
      sig_nomem(&r);
    while (bio && !sig_is_nomem(&r) && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
      if (!sig_x509_settle(&x, &r) || !sk_X509_push(certs, x)) {
        X509_free(x);
        sig_nomem(&r);
      }
    BIO_free(bio);
  } else {
    const unsigned char *q = buf, *end = buf + n;
    while (q < end && !sig_is_nomem(&r) && (x = d2i_X509(NULL, &q, end - q)))
      if (!sig_x509_settle(&x, &r) || !sk_X509_push(certs, x)) {
        X509_free(x);
        sig_nomem(&r);
      }
    trailing = q != end;
  }
  free(buf);
  sig_ossl_nomem(&r); /* the end of the text, or out of memory reading it */
  if (sig_is_nomem(&r))
    return oci_fail(err, OCIDIG_ERR_NOMEM, "trust store: %s: out of memory", path);
  if (sk_X509_num(certs) == before || trailing)
    return oci_fail(err, OCIDIG_ERR_USAGE, "trust store: %s holds no X.509 certificate (PEM or DER)", path);
  return OCIDIG_OK;
}

static ocidig_code load_store(const char *dir, ntn_store *s, ocidig_error *err)
{
  const char *colon = strchr(s->name, ':');
  char *path = oci_sprintf("%s/x509/%.*s/%s", dir, (int)(colon - s->name), s->name, colon + 1);
  if (!path)
    return oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
  struct stat st;
  ocidig_code rc = OCIDIG_OK;
  char **names = NULL;
  size_t n = 0, cap = 0;
  DIR *d = NULL;
  if (lstat(path, &st) != 0) {
    rc = oci_fail(err, errno == ENOENT ? OCIDIG_ERR_USAGE : OCIDIG_ERR_IO, "trust store: the named store %s (%s): %s",
                  s->name, path, strerror(errno));
    goto out;
  }
  if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
    rc = oci_fail(err, OCIDIG_ERR_USAGE, "trust store: the named store %s (%s) is %s", s->name, path,
                  S_ISLNK(st.st_mode) ? "a symbolic link (Notation refuses them)" : "not a directory");
    goto out;
  }
  if (!(d = opendir(path))) {
    rc = oci_fail(err, OCIDIG_ERR_IO, "trust store: %s: %s", path, strerror(errno));
    goto out;
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!cert_name(de->d_name))
      continue;
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 8;
      char **nn = realloc(names, nc * sizeof *nn);
      if (!nn) {
        rc = oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
        goto out;
      }
      names = nn;
      cap = nc;
    }
    if (!(names[n] = oci_strdup(de->d_name))) {
      rc = oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
      goto out;
    }
    n++;
  }
  if (n)
    qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n && !rc; i++) {
    char *file = oci_sprintf("%s/%s", path, names[i]);
    if (!file) {
      rc = oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
      break;
    }
    if (lstat(file, &st) != 0)
      rc = oci_fail(err, OCIDIG_ERR_IO, "trust store: %s: %s", file, strerror(errno));
    else if (S_ISLNK(st.st_mode))
      rc = oci_fail(err, OCIDIG_ERR_USAGE, "trust store: %s is a symbolic link (Notation refuses them)", file);
    else if (S_ISREG(st.st_mode))
      rc = read_certs(file, s->certs, err);
    /* a subdirectory is ignored, as Notation ignores it */
    free(file);
  }
out:
  if (d)
    closedir(d);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  free(path);
  return rc;
}

/* ---------------------------------------------------------------- the policy */

static ocidig_code bad(ocidig_error *err, const char *file, const char *policy, const char *what)
{
  return oci_fail(err, OCIDIG_ERR_USAGE, "trust policy %s: %s%s%s%s", file, policy ? "policy \"" : "",
                  policy ? policy : "", policy ? "\": " : "", what);
}

static bool strings(json_object *a, size_t *n)
{
  if (!a || !json_object_is_type(a, json_type_array) || !oci_json_is_strings(a))
    return false;
  *n = json_object_array_length(a);
  return true;
}

static ocidig_code store_index(ocidig_notation_trust *t, const char *name, size_t *out, ocidig_error *err)
{
  for (size_t i = 0; i < t->n_stores; i++)
    if (!strcmp(t->stores[i].name, name)) {
      *out = i;
      return OCIDIG_OK;
    }
  ntn_store *ns = realloc(t->stores, (t->n_stores + 1) * sizeof *ns);
  if (!ns)
    return oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
  t->stores = ns;
  ntn_store *s = &t->stores[t->n_stores];
  s->name = oci_strdup(name);
  s->certs = sk_X509_new_null();
  if (!s->name || !s->certs) {
    free(s->name);
    sk_X509_free(s->certs);
    return oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
  }
  *out = t->n_stores++;
  return OCIDIG_OK;
}

static ocidig_code read_level(json_object *sv, ntn_policy *p, const char *file, ocidig_error *err)
{
  json_object *lv = oci_json_get(sv, "level");
  const char *l = lv && json_object_is_type(lv, json_type_string) ? json_object_get_string(lv) : "";
  if (!strcmp(l, "strict"))
    p->level = NTN_STRICT;
  else if (!strcmp(l, "permissive"))
    p->level = NTN_PERMISSIVE;
  else if (!strcmp(l, "audit"))
    p->level = NTN_AUDIT;
  else if (!strcmp(l, "skip"))
    p->level = NTN_SKIP;
  else
    return bad(err, file, p->name, "signatureVerification.level is not strict, permissive, audit or skip");
  p->authenticity = p->level <= NTN_PERMISSIVE;
  p->authentic_timestamp = p->expiry = p->level == NTN_STRICT;
  json_object *ov = oci_json_get(sv, "override");
  if (!ov)
    return OCIDIG_OK;
  if (!json_object_is_type(ov, json_type_object) || p->level == NTN_SKIP)
    return bad(err, file, p->name, "signatureVerification.override is an object, and level skip takes none");
  json_object_object_foreach(ov, key, val)
  {
    const char *v = json_object_is_type(val, json_type_string) ? json_object_get_string(val) : "";
    bool enforce = !strcmp(v, "enforce"), log = !strcmp(v, "log");
    if (!strcmp(key, "revocation")) {
      if (!enforce && !log && strcmp(v, "skip"))
        return bad(err, file, p->name, "override.revocation is not enforce, log or skip");
      continue; /* offline: revocation is never checked (ocidig.h) */
    }
    bool *slot = !strcmp(key, "authenticity")         ? &p->authenticity
                 : !strcmp(key, "authenticTimestamp") ? &p->authentic_timestamp
                 : !strcmp(key, "expiry")             ? &p->expiry
                                                      : NULL;
    if (!slot)
      return bad(err, file, p->name, "override names a validation other than authenticity, authenticTimestamp, expiry, revocation");
    if (!enforce && !log)
      return bad(err, file, p->name, "an override's value is not enforce or log");
    *slot = enforce;
  }
  return OCIDIG_OK;
}

static ocidig_code read_policy(ocidig_notation_trust *t, json_object *o, ntn_policy *p, const char *file,
                               ocidig_error *err)
{
  json_object *name = oci_json_get(o, "name");
  if (!name || !json_object_is_type(name, json_type_string) || !*json_object_get_string(name))
    return bad(err, file, NULL, "a policy without a name");
  if (!(p->name = oci_json_strdup(name)))
    return oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
  json_object *scopes = oci_json_get(o, "registryScopes");
  size_t ns = 0;
  if (!scopes)
    return bad(err, file, p->name, "no registryScopes (a blob trust policy, not one for OCI artifacts?)");
  if (!strings(scopes, &ns) || ns == 0)
    return bad(err, file, p->name, "registryScopes is not a non-empty array of strings");
  if (!(p->scopes = calloc(ns, sizeof *p->scopes)))
    return oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < ns; i++) {
    const char *s = json_object_get_string(json_object_array_get_idx(scopes, i));
    if (!strcmp(s, "*")) {
      if (ns != 1)
        return bad(err, file, p->name, "the global scope \"*\" is the only scope of its policy");
      p->global = true;
    } else if (!*s || strchr(s, '*'))
      return bad(err, file, p->name, "a registry scope is \"*\" or a repository without '*'");
    if (!(p->scopes[p->n_scopes++] = oci_strdup(s)))
      return oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
  }
  json_object *sv = oci_json_get(o, "signatureVerification");
  if (!sv || !json_object_is_type(sv, json_type_object))
    return bad(err, file, p->name, "no signatureVerification object");
  ocidig_code rc = read_level(sv, p, file, err);
  if (rc)
    return rc;
  json_object *stores = oci_json_get(o, "trustStores"), *ids = oci_json_get(o, "trustedIdentities");
  size_t nst = 0, nid = 0;
  if ((stores && !strings(stores, &nst)) || (ids && !strings(ids, &nid)))
    return bad(err, file, p->name, "trustStores and trustedIdentities are arrays of strings");
  if (p->level == NTN_SKIP) {
    if (nst || nid)
      return bad(err, file, p->name, "level skip takes no trustStores and no trustedIdentities");
    return OCIDIG_OK;
  }
  if (!nst || !nid)
    return bad(err, file, p->name, "trustStores and trustedIdentities are required (non-empty) unless level is skip");
  if (!(p->stores = calloc(nst, sizeof *p->stores)) || !(p->identities = calloc(nid, sizeof *p->identities)))
    return oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < nst; i++) {
    const char *s = json_object_get_string(json_object_array_get_idx(stores, i));
    const char *colon = strchr(s, ':');
    size_t tl = colon ? (size_t)(colon - s) : 0;
    bool type_ok = colon && ((tl == 2 && !strncmp(s, "ca", 2)) || (tl == 16 && !strncmp(s, "signingAuthority", 16)) ||
                             (tl == 3 && !strncmp(s, "tsa", 3)));
    if (!type_ok || !colon[1] || strchr(colon + 1, '/') || !strcmp(colon + 1, ".") || !strcmp(colon + 1, ".."))
      return bad(err, file, p->name, "a trust store is not ca:NAME, signingAuthority:NAME or tsa:NAME");
    rc = store_index(t, s, &p->stores[p->n_stores++], err);
    if (rc)
      return rc;
  }
  for (size_t i = 0; i < nid; i++) {
    const char *s = json_object_get_string(json_object_array_get_idx(ids, i));
    bool bad_id = false;
    if (!strcmp(s, "*")) {
      if (nid != 1)
        return bad(err, file, p->name, "the trusted identity \"*\" is the only one of its policy");
      p->any_identity = true;
    } else {
      ntn_identity_match(s, NULL, &bad_id, NULL);
      if (bad_id)
        return bad(err, file, p->name,
                   "a trusted identity is not \"*\" or \"x509.subject: \" and a DN with C, ST and O");
    }
    if (!(p->identities[p->n_identities++] = oci_strdup(s)))
      return oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
  }
  return OCIDIG_OK;
}

static ocidig_code check_scopes(const ocidig_notation_trust *t, const char *file, ocidig_error *err)
{
  size_t globals = 0;
  for (size_t i = 0; i < t->n_policies; i++) {
    const ntn_policy *p = &t->policies[i];
    globals += p->global;
    for (size_t j = 0; j < i; j++)
      if (!strcmp(t->policies[j].name, p->name))
        return bad(err, file, p->name, "two policies have this name");
    for (size_t k = 0; !p->global && k < p->n_scopes; k++)
      for (size_t j = 0; j <= i; j++)
        for (size_t m = 0; m < t->policies[j].n_scopes && (j < i || m < k); m++)
          if (!strcmp(t->policies[j].scopes[m], p->scopes[k]))
            return bad(err, file, p->name, "a registry scope is in more than one policy");
  }
  if (globals > 1)
    return bad(err, file, NULL, "more than one policy has the global scope \"*\"");
  return OCIDIG_OK;
}

ocidig_code ocidig_notation_trust_load(const char *policy_path, const char *store_dir, ocidig_notation_trust **out,
                                       ocidig_error *err)
{
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(policy_path, "policy_path", err);
  uint8_t *text;
  size_t n;
  ocidig_code rc = slurp(policy_path, &text, &n, err);
  if (rc)
    return rc;
  rc = ocidig_notation_trust_parse(text, n, policy_path, store_dir, out, err);
  free(text);
  return rc;
}

static ocidig_code trust_parse(const uint8_t *policy, size_t len, const char *policy_name, const char *store_dir,
                               ocidig_notation_trust **out, ocidig_error *err);

ocidig_code ocidig_notation_trust_parse(const uint8_t *policy, size_t len, const char *policy_name,
                                        const char *store_dir, ocidig_notation_trust **out, ocidig_error *err)
{
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(policy, "policy", err);
  OCI_REQUIRE(store_dir, "store_dir", err);
  ocidig_error e1, e2;
  ocidig_code rc = trust_parse(policy, len, policy_name, store_dir, out, &e1);
  if (rc != OCIDIG_OK && rc != OCIDIG_ERR_NOMEM) {
    /* OpenSSL 3 reads a certificate it ran out of memory for as no certificate, without a
     * word: a refusal is confirmed by a second reading, which says the same unless memory
     * ran out on one of them */
    ocidig_notation_trust *again = NULL;
    ocidig_code rc2 = trust_parse(policy, len, policy_name, store_dir, &again, &e2);
    ocidig_notation_trust_free(again);
    if (rc2 != rc || strcmp(e1.message, e2.message))
      rc = oci_nomem(&e1);
  }
  if (rc != OCIDIG_OK && err)
    *err = e1;
  return rc;
}

static ocidig_code trust_parse(const uint8_t *policy, size_t len, const char *policy_name, const char *store_dir,
                               ocidig_notation_trust **out, ocidig_error *err)
{
  *out = NULL;
  const char *policy_path = policy_name ? policy_name : "trustpolicy.json";
  ocidig_code rc;
  oci_json_doc doc = {0};
  ocidig_notation_trust *t = calloc(1, sizeof *t);
  if (!t)
    return oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
  rc = oci_json_parse(policy, len, policy_path, &doc, err);
  if (rc)
    goto out;
  json_object *root = doc.root, *version = oci_json_get(root, "version"), *list = oci_json_get(root, "trustPolicies");
  if (doc.n_dup_keys) {
    rc = bad(err, policy_path, NULL, "a key occurs twice in one object");
    goto out;
  }
  if (!json_object_is_type(root, json_type_object) || !version || !json_object_is_type(version, json_type_string) ||
      strcmp(json_object_get_string(version), "1.0")) {
    rc = bad(err, policy_path, NULL, "not a trust policy of version \"1.0\"");
    goto out;
  }
  if (!list || !json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0) {
    rc = bad(err, policy_path, NULL, "trustPolicies is not a non-empty array");
    goto out;
  }
  size_t np = json_object_array_length(list);
  if (!(t->policies = calloc(np, sizeof *t->policies))) {
    rc = oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < np && !rc; i++) {
    json_object *o = json_object_array_get_idx(list, i);
    t->n_policies++;
    rc = json_object_is_type(o, json_type_object) ? read_policy(t, o, &t->policies[i], policy_path, err)
                                                   : bad(err, policy_path, NULL, "a policy is not an object");
  }
  if (!rc)
    rc = check_scopes(t, policy_path, err);
  for (size_t i = 0; i < t->n_stores && !rc; i++)
    rc = load_store(store_dir, &t->stores[i], err);
out:
  oci_json_doc_free(&doc);
  if (rc) {
    ocidig_notation_trust_free(t);
    return rc;
  }
  *out = t;
  return OCIDIG_OK;
}

const ntn_policy *ntn_policy_for(const ocidig_notation_trust *t, const char *repository)
{
  const ntn_policy *global = NULL;
  for (size_t i = 0; i < t->n_policies; i++) {
    const ntn_policy *p = &t->policies[i];
    if (p->global)
      global = p;
    else
      for (size_t j = 0; repository && j < p->n_scopes; j++)
        if (!strcmp(p->scopes[j], repository))
          return p;
  }
  return global;
}
