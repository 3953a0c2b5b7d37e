/* attached.c: the signatures and attestations attached to images (attached.h): cosign's
 * tag scheme and `cosign save`'s kind annotations, OCI 1.1 referrers (Sigstore bundles,
 * Notation, others) and buildx attestation manifests, found over the graph. */
#include "attached.h"
#include "image.h"

#include <ctype.h>

static const char *const kind_names[] = {"signature", "attestation", "sbom", "other"};
static const char *const scheme_names[] = {"cosign", "sigstore-bundle", "notation", "buildx", "referrer",
                                           "simple-signing"};

const char *ocidig_attached_kind_name(ocidig_attached_kind k)
{
  return (unsigned)k < sizeof kind_names / sizeof *kind_names ? kind_names[k] : "unknown";
}

const char *ocidig_attached_scheme_name(ocidig_attached_scheme s)
{
  return (unsigned)s < sizeof scheme_names / sizeof *scheme_names ? scheme_names[s] : "unknown";
}

static void attached_clear(ocidig_attached *a)
{
  free(a->subject);
  free(a->manifest);
  free(a->media_type);
  free(a->artifact_type);
  free(a->found_as);
  oci_strv_free(a->predicate_types, a->n_predicate_types);
  memset(a, 0, sizeof *a);
}

void ocidig_attached_free(ocidig_attached *v, size_t n)
{
  if (!v)
    return;
  for (size_t i = 0; i < n; i++)
    attached_clear(&v[i]);
  free(v);
}

struct oci_attached_table {
  ocidig_attached *v;
  const oci_gdesc **d; /* NULL: a dir: signature file (file) */
  size_t *file;        /* the view's oci_view_cimage_signatures index, or (size_t)-1 */
  size_t n, cap;
  char **holders; /* indexes that only hold attachments (the referrers tag schema's) */
  size_t n_holders;
  const ocidig_attached **by_subject; /* the entries sorted by subject, then position */
  oci_strtab by_manifest;              /* manifest digest -> its first entry */
};

static const char *manifest_key(const void *ctx, size_t i)
{
  return ((const oci_attached_table *)ctx)->v[i].manifest;
}



bool oci_attached_table_holds(const oci_attached_table *t, const char *digest)
{
  for (size_t i = 0; t && digest && i < t->n; i++)
    if (!strcmp(t->v[i].manifest, digest))
      return true;
  for (size_t i = 0; t && digest && i < t->n_holders; i++)
    if (!strcmp(t->holders[i], digest))
      return true;
  return false;
}

size_t oci_attached_table_count(const oci_attached_table *t)
{
  return t ? t->n : 0;
}

const ocidig_attached *oci_attached_table_at(const oci_attached_table *t, size_t i, const oci_gdesc **d)
{
  if (!t || i >= t->n)
    return NULL;
  if (d)
    *d = t->d[i];
  return &t->v[i];
}

size_t oci_attached_table_file(const oci_attached_table *t, size_t i)
{
  return t && i < t->n ? t->file[i] : (size_t)-1;
}

void oci_attached_table_free(oci_attached_table *t)
{
  if (!t)
    return;
  ocidig_attached_free(t->v, t->n);
  free(t->d);
  free(t->file);
  free(t->by_subject);
  oci_strtab_free(&t->by_manifest);
  oci_strv_free(t->holders, t->n_holders);
  free(t);
}

typedef struct builder {
  oci_attached_table *t;
  oci_graph *g;
  oci_view *v;
  const oci_gnode *root;
  bool full;
  ocidig_error *err;
  ocidig_code rc;
} builder;

/* sha256-<64 hex>[suffix]: the subject "sha256:<hex>" in out (72 bytes); the suffix. */
static bool tag_subject(const char *ref, char out[72], const char **suffix)
{
  if (!ref || strncmp(ref, "sha256-", 7))
    return false;
  for (size_t i = 0; i < 64; i++)
    if (!isxdigit((unsigned char)ref[7 + i]) || isupper((unsigned char)ref[7 + i]))
      return false;
  snprintf(out, 72, "sha256:%.64s", ref + 7);
  *suffix = ref + 71;
  return true;
}

/* The document behind d when the graph reads it (an index or a manifest; NULL otherwise or
 * when it does not read). */
static ocidig_code open_ok(builder *b, const oci_gdesc *d, const oci_gnode **n)
{
  ocidig_code rc;
  *n = NULL;
  if (ocidig_media_type_kind(d->media_type) == OCIDIG_KIND_OTHER)
    return OCIDIG_OK;
  if ((rc = oci_graph_open(b->g, d, n, b->err)) != OCIDIG_OK)
    return rc;
  return OCIDIG_OK;
}

static bool pred_add(ocidig_attached *a, const char *p)
{
  return !p || !*p || oci_strv_add_unique(&a->predicate_types, &a->n_predicate_types, p);
}

/* A new entry of the table (zeroed, its manifest set and indexed); NULL when out of memory. */
static ocidig_attached *entry_new(oci_attached_table *t, const oci_gdesc *d, size_t file, const char *manifest)
{
  ocidig_attached *a;
  if (t->n == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 8;
    const oci_gdesc **dv;
    size_t *fv;
    a = realloc(t->v, cap * sizeof *a);
    if (!a)
      return NULL;
    t->v = a;
    if (!(dv = realloc(t->d, cap * sizeof *dv)))
      return NULL;
    t->d = dv;
    if (!(fv = realloc(t->file, cap * sizeof *fv)))
      return NULL;
    t->file = fv;
    t->cap = cap;
  }
  t->d[t->n] = d;
  t->file[t->n] = file;
  a = &t->v[t->n++];
  memset(a, 0, sizeof *a);
  if (!(a->manifest = oci_strdup(manifest)) || !oci_strtab_put(&t->by_manifest, t->n - 1, manifest_key, t, false))
    return NULL;
  return a;
}

/* Adds what d (read as n, maybe NULL) is, attached to subject; once per (manifest, subject). */
static ocidig_code add(builder *b, ocidig_attached_kind kind, ocidig_attached_scheme scheme, const char *subject,
                       const oci_gdesc *d, const oci_gnode *n, const char *found_as)
{
  oci_attached_table *t = b->t;
  ocidig_attached *a;
  if (!d->digest || !subject)
    return OCIDIG_OK;
  /* once per (manifest, subject): a manifest's entries are found from its first (one
   * signature manifest attached to several images is rare; 100,000 signed images are not) */
  size_t first = oci_strtab_find(&t->by_manifest, d->digest, manifest_key, t);
  for (size_t i = first == OCI_STRTAB_NONE ? t->n : first; i < t->n; i++)
    if (!strcmp(t->v[i].manifest, d->digest) && !strcmp(t->v[i].subject, subject))
      return OCIDIG_OK;
  if (!(a = entry_new(t, d, (size_t)-1, d->digest)))
    return oci_nomem(b->err);
  a->kind = kind;
  a->scheme = scheme;
  const char *at = n && n->code == OCIDIG_OK && n->artifact_type ? n->artifact_type : oci_gdesc_more_of(d)->artifact_type;
  if (!(a->subject = oci_strdup(subject)) ||
      !(a->found_as = oci_strdup(found_as)) || (d->media_type && !(a->media_type = oci_strdup(d->media_type))) ||
      (at && !(a->artifact_type = oci_strdup(at))))
    return oci_nomem(b->err);
  if (n) {
    a->present = n->code == OCIDIG_OK;
  } else {
    bool nomem = false;
    a->present = oci_gdesc_present(b->v, d, NULL, &nomem);
    if (nomem)
      return oci_nomem(b->err);
  }
  if (n && n->code == OCIDIG_OK) {
    for (size_t i = 0; i < n->n_annotations; i++)
      if (!strcmp(n->annotations[i].key, "dev.sigstore.bundle.predicateType") && !pred_add(a, n->annotations[i].value))
        return oci_nomem(b->err);
    if (kind == OCIDIG_ATTACHED_ATTESTATION)
      for (size_t i = 0; i < n->n_layers; i++)
        if (!pred_add(a, oci_gdesc_annotation(&n->layers[i], ANN_PREDICATE)) ||
            !pred_add(a, oci_gdesc_annotation(&n->layers[i], "predicateType")))
          return oci_nomem(b->err);
  }
  return OCIDIG_OK;
}

/* A referrer d (read as n) of subject: classified by its artifact type. */
static ocidig_code add_referrer(builder *b, const char *subject, const oci_gdesc *d, const oci_gnode *n)
{
  const char *at = n && n->code == OCIDIG_OK && n->artifact_type ? n->artifact_type : oci_gdesc_more_of(d)->artifact_type;
  if (!at && n && n->code == OCIDIG_OK && n->config)
    at = n->config->media_type; /* OCI 1.1: the config's media type stands for it */
  if (at && !strncmp(at, AT_SIGSTORE_BUNDLE, strlen(AT_SIGSTORE_BUNDLE))) {
    const char *content = NULL;
    if (n && n->code == OCIDIG_OK)
      for (size_t i = 0; i < n->n_annotations; i++)
        if (!strcmp(n->annotations[i].key, "dev.sigstore.bundle.content"))
          content = n->annotations[i].value;
    return add(b, content && !strcmp(content, "dsse-envelope") ? OCIDIG_ATTACHED_ATTESTATION : OCIDIG_ATTACHED_SIGNATURE,
               OCIDIG_SCHEME_SIGSTORE_BUNDLE, subject, d, n, "referrer");
  }
  if (at && !strcmp(at, AT_NOTATION))
    return add(b, OCIDIG_ATTACHED_SIGNATURE, OCIDIG_SCHEME_NOTATION, subject, d, n, "referrer");
  return add(b, OCIDIG_ATTACHED_OTHER, OCIDIG_SCHEME_REFERRER, subject, d, n, "referrer");
}

static bool is_attestation_manifest(const oci_gdesc *d)
{
  const char *type = oci_gdesc_annotation(d, ANN_REF_TYPE);
  return type && !strcmp(type, "attestation-manifest") && oci_gdesc_annotation(d, ANN_REF_DIGEST);
}

/* d listed in an index other than the root's tag scheme: a buildx attestation manifest, or
 * a manifest with a subject. */
static ocidig_code visit(builder *b, const oci_gdesc *d, bool open_any)
{
  const oci_gnode *n;
  ocidig_code rc;
  if (is_attestation_manifest(d)) {
    if ((rc = open_ok(b, d, &n)) != OCIDIG_OK)
      return rc;
    return add(b, OCIDIG_ATTACHED_ATTESTATION, OCIDIG_SCHEME_BUILDX, oci_gdesc_annotation(d, ANN_REF_DIGEST), d, n,
               "attestation-manifest");
  }
  if (ocidig_media_type_kind(d->media_type) != OCIDIG_KIND_MANIFEST ||
      (!open_any && !oci_gdesc_more_of(d)->artifact_type))
    return OCIDIG_OK;
  if ((rc = open_ok(b, d, &n)) != OCIDIG_OK)
    return rc;
  if (n && n->code == OCIDIG_OK && n->subject && n->subject->digest)
    return add_referrer(b, n->subject->digest, d, n);
  return OCIDIG_OK;
}

/* index.json's entries: the tag scheme, cosign save's kinds, referrers listed there. */
static ocidig_code root_entries(builder *b)
{
  const oci_gnode *root = b->root;
  ocidig_code rc = OCIDIG_OK;
  for (size_t i = 0; i < root->n_children && rc == OCIDIG_OK; i++) {
    const oci_gdesc *d = &root->children[i];
    const char *ref = oci_gdesc_annotation(d, ANN_REF_NAME);
    const char *kind = oci_gdesc_annotation(d, ANN_COSIGN_KIND);
    const char *suffix;
    char subject[72], found[128];
    const oci_gnode *n;
    if (tag_subject(ref, subject, &suffix)) {
      ocidig_attached_kind k = !strcmp(suffix, ".sig")    ? OCIDIG_ATTACHED_SIGNATURE
                               : !strcmp(suffix, ".att")  ? OCIDIG_ATTACHED_ATTESTATION
                               : !strcmp(suffix, ".sbom") ? OCIDIG_ATTACHED_SBOM
                                                          : OCIDIG_ATTACHED_OTHER;
      snprintf(found, sizeof found, "tag %.100s", ref);
      if ((rc = open_ok(b, d, &n)) != OCIDIG_OK)
        break;
      if (k != OCIDIG_ATTACHED_OTHER) {
        rc = add(b, k, OCIDIG_SCHEME_COSIGN, subject, d, n, found);
      } else if (!*suffix && n && n->code == OCIDIG_OK && n->kind == OCIDIG_KIND_INDEX) {
        /* the referrers tag schema: an index of the referrers of sha256:<hex> */
        if (d->digest && !oci_strv_add_unique(&b->t->holders, &b->t->n_holders, d->digest)) {
          rc = oci_nomem(b->err);
          break;
        }
        for (size_t j = 0; j < n->n_children && rc == OCIDIG_OK; j++) {
          const oci_gdesc *c = &n->children[j];
          const oci_gnode *cn;
          if (ocidig_media_type_kind(c->media_type) != OCIDIG_KIND_MANIFEST)
            continue;
          if ((rc = open_ok(b, c, &cn)) == OCIDIG_OK)
            rc = add_referrer(b, cn && cn->code == OCIDIG_OK && cn->subject && cn->subject->digest ? cn->subject->digest
                                                                                                 : subject,
                              c, cn);
        }
      }
      continue;
    }
    if (kind && (!strcmp(kind, COSIGN_KIND_SIGS) || !strcmp(kind, COSIGN_KIND_ATTS))) {
      /* cosign save: attached to the entries marked .../image */
      bool sigs = !strcmp(kind, COSIGN_KIND_SIGS);
      snprintf(found, sizeof found, "kind %s", kind);
      if ((rc = open_ok(b, d, &n)) != OCIDIG_OK)
        break;
      for (size_t j = 0; j < root->n_children && rc == OCIDIG_OK; j++) {
        const char *k2 = oci_gdesc_annotation(&root->children[j], ANN_COSIGN_KIND);
        if (k2 && !strcmp(k2, COSIGN_KIND_IMAGE))
          rc = add(b, sigs ? OCIDIG_ATTACHED_SIGNATURE : OCIDIG_ATTACHED_ATTESTATION, OCIDIG_SCHEME_COSIGN,
                   root->children[j].digest, d, n, found);
      }
      continue;
    }
    rc = visit(b, d, b->full);
  }
  return rc;
}

/* containers/image dir: signature files (the view's): each a signature of the manifest it
 * names, found as "dir <path>". */
static ocidig_code dir_signatures(builder *b)
{
  const oci_dirsig *s;
  size_t n;
  ocidig_code rc;
  if ((rc = oci_view_cimage_signatures(b->v, &s, &n, b->err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < n; i++) {
    ocidig_attached *a;
    char found[OCIDIG_MAX_PATH_LENGTH + 8];
    snprintf(found, sizeof found, "dir %s", s[i].member);
    if (!(a = entry_new(b->t, NULL, i, s[i].member)))
      return oci_nomem(b->err);
    a->kind = OCIDIG_ATTACHED_SIGNATURE;
    /* one that could not be read or is of a format not known: reported by cosign's verifier */
    a->scheme = s[i].format == OCI_DIRSIG_SIMPLE_SIGNING ? OCIDIG_SCHEME_SIMPLE_SIGNING : OCIDIG_SCHEME_COSIGN;
    a->present = true;
    if (!(a->subject = oci_strdup(s[i].subject)) || !(a->found_as = oci_strdup(found)))
      return oci_nomem(b->err);
  }
  return OCIDIG_OK;
}

static bool walk_child(void *ctx, const oci_gnode *parent, const oci_gdesc *d, unsigned depth)
{
  builder *b = ctx;
  (void)depth;
  if (parent == b->root)
    return true; /* done first, in index.json's order */
  /* an index tagged by the referrers tag schema is read by root_entries */
  return (b->rc = visit(b, d, true)) == OCIDIG_OK;
}

static int by_subject_cmp(const void *a, const void *b)
{
  const ocidig_attached *x = *(const ocidig_attached *const *)a, *y = *(const ocidig_attached *const *)b;
  int c = strcmp(x->subject, y->subject);
  return c ? c : x < y ? -1 : x > y;
}

ocidig_code oci_attached_table_build(ocidig_layout *l, bool full, oci_attached_table **out, ocidig_error *err)
{
  builder b = {.full = full, .err = err};
  ocidig_code rc;
  *out = NULL;
  if ((rc = oci_graph_get(l, &b.g, err)) != OCIDIG_OK || (rc = oci_view_get(l, &b.v, err)) != OCIDIG_OK ||
      (rc = oci_graph_root(b.g, &b.root, err)) != OCIDIG_OK)
    return rc;
  if (!(b.t = calloc(1, sizeof *b.t)))
    return oci_nomem(err);
  if (b.root->code == OCIDIG_OK) {
    rc = root_entries(&b);
    if (rc == OCIDIG_OK && full) {
      static const oci_graph_visitor visitor = {.child = walk_child};
      if ((rc = oci_graph_walk(b.g, &visitor, &b, err)) == OCIDIG_OK)
        rc = b.rc;
    }
    if (rc == OCIDIG_OK)
      rc = dir_signatures(&b);
  }
  /* by subject: an image's lookup costs log n (100,000 signed images) */
  if (rc == OCIDIG_OK && b.t->n) {
    if (!(b.t->by_subject = malloc(b.t->n * sizeof *b.t->by_subject)))
      rc = oci_nomem(err);
    for (size_t i = 0; rc == OCIDIG_OK && i < b.t->n; i++)
      b.t->by_subject[i] = &b.t->v[i];
    if (rc == OCIDIG_OK)
      qsort(b.t->by_subject, b.t->n, sizeof *b.t->by_subject, by_subject_cmp);
  }
  if (rc != OCIDIG_OK) {
    oci_attached_table_free(b.t);
    return rc;
  }
  *out = b.t;
  return OCIDIG_OK;
}

static bool copy_into(ocidig_attached *dst, const ocidig_attached *src)
{
  memset(dst, 0, sizeof *dst);
  dst->kind = src->kind;
  dst->scheme = src->scheme;
  dst->present = src->present;
  if (!(dst->subject = oci_strdup(src->subject)) || !(dst->manifest = oci_strdup(src->manifest)) ||
      (src->media_type && !(dst->media_type = oci_strdup(src->media_type))) ||
      (src->artifact_type && !(dst->artifact_type = oci_strdup(src->artifact_type))) ||
      !(dst->found_as = oci_strdup(src->found_as)))
    return false;
  for (size_t i = 0; i < src->n_predicate_types; i++)
    if (!oci_strv_add_unique(&dst->predicate_types, &dst->n_predicate_types, src->predicate_types[i]))
      return false;
  return true;
}

/* The first of t->by_subject whose subject is digest, or t->n. */
static size_t first_of(const oci_attached_table *t, const char *digest)
{
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(t->by_subject[mid]->subject, digest) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int pos_cmp(const void *a, const void *b)
{
  const ocidig_attached *x = *(const ocidig_attached *const *)a, *y = *(const ocidig_attached *const *)b;
  return x < y ? -1 : x > y;
}

ocidig_code oci_attached_table_get(const oci_attached_table *t, const char *digest, const char *const *kids,
                                   size_t n_kids, ocidig_attached **out, size_t *n, ocidig_error *err)
{
  const ocidig_attached **hit = NULL;
  size_t m = 0, cap = 0;
  ocidig_code rc = OCIDIG_OK;
  *out = NULL;
  *n = 0;
  if (!t || !t->n || !digest)
    return OCIDIG_OK;
  for (size_t k = 0; k <= n_kids && rc == OCIDIG_OK; k++) {
    const char *want = k ? kids[k - 1] : digest;
    bool again = false;
    if (!want)
      continue;
    for (size_t j = 0; j < k && !again; j++) /* a digest asked twice (an index listing a manifest twice) */
      again = !strcmp(j ? kids[j - 1] : digest, want);
    for (size_t i = again ? t->n : first_of(t, want); i < t->n && !strcmp(t->by_subject[i]->subject, want); i++) {
      if (m == cap) {
        const ocidig_attached **nh = realloc(hit, (cap = cap ? 2 * cap : 8) * sizeof *nh);
        if (!nh) {
          rc = oci_nomem(err);
          break;
        }
        hit = nh;
      }
      hit[m++] = t->by_subject[i];
    }
  }
  if (rc == OCIDIG_OK && m) {
    ocidig_attached *v;
    qsort(hit, m, sizeof *hit, pos_cmp); /* in the order found */
    if (!(v = calloc(m, sizeof *v)))
      rc = oci_nomem(err);
    for (size_t i = 0; rc == OCIDIG_OK && i < m; i++)
      if (!copy_into(&v[i], hit[i])) {
        ocidig_attached_free(v, i + 1);
        v = NULL;
        rc = oci_nomem(err);
      }
    if (rc == OCIDIG_OK) {
      *out = v;
      *n = m;
    }
  }
  free(hit);
  return rc;
}

/* The manifests the index `digest` lists (wherever index.json lists it), as the graph holds
 * them; none when it is a manifest or not found. */
static ocidig_code kids_of(oci_graph *g, const char *digest, const char ***kids, size_t *n, ocidig_error *err)
{
  const oci_gnode *root, *node = NULL;
  ocidig_code rc;
  *kids = NULL;
  *n = 0;
  if ((rc = oci_graph_root(g, &root, err)) != OCIDIG_OK || root->code != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < root->n_children && !node; i++) {
    const oci_gdesc *d = &root->children[i];
    if (d->digest && !strcmp(d->digest, digest) && ocidig_media_type_kind(d->media_type) == OCIDIG_KIND_INDEX &&
        (rc = oci_graph_open(g, d, &node, err)) != OCIDIG_OK)
      return rc;
  }
  if (!node || node->code != OCIDIG_OK || !node->n_children)
    return OCIDIG_OK;
  if (!(*kids = calloc(node->n_children, sizeof **kids)))
    return oci_nomem(err);
  for (size_t i = 0; i < node->n_children; i++)
    (*kids)[(*n)++] = node->children[i].digest;
  return OCIDIG_OK;
}

ocidig_code ocidig_layout_find_attached(ocidig_layout *l, const char *digest, ocidig_attached **out, size_t *n,
                                        ocidig_error *err)
{
  oci_attached_table *t = NULL;
  oci_graph *g;
  const char **kids = NULL;
  size_t n_kids = 0;
  ocidig_code rc;
  OCI_REQUIRE(out, "out", err);
  OCI_REQUIRE(n, "n", err);
  *out = NULL;
  *n = 0;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(digest, "the digest", err);
  if ((rc = oci_attached_table_build(l, true, &t, err)) == OCIDIG_OK && (rc = oci_graph_get(l, &g, err)) == OCIDIG_OK &&
      (rc = kids_of(g, digest, &kids, &n_kids, err)) == OCIDIG_OK)
    rc = oci_attached_table_get(t, digest, kids, n_kids, out, n, err);
  free(kids);
  oci_attached_table_free(t);
  return rc;
}

bool ocidig_trust_options_any(const ocidig_trust_options *t)
{
  return t && (t->key_pem || t->trusted_root || t->ca_roots || t->notation);
}

json_object *oci_attached_json(const ocidig_attached *v, size_t n)
{
  json_object *a = json_object_new_array();
  for (size_t i = 0; a && i < n; i++) {
    json_object *o = json_object_new_object();
    if (!o)
      break;
    json_object_object_add(o, "kind", json_object_new_string(ocidig_attached_kind_name(v[i].kind)));
    json_object_object_add(o, "scheme", json_object_new_string(ocidig_attached_scheme_name(v[i].scheme)));
    json_object_object_add(o, "subject", oci_jstr(v[i].subject));
    json_object_object_add(o, "manifest", oci_jstr(v[i].manifest));
    json_object_object_add(o, "mediaType", oci_jstr(v[i].media_type));
    json_object_object_add(o, "artifactType", oci_jstr(v[i].artifact_type));
    json_object_object_add(o, "foundAs", oci_jstr(v[i].found_as));
    json_object_object_add(o, "predicateTypes", oci_jstrv(v[i].predicate_types, v[i].n_predicate_types));
    json_object_object_add(o, "present", json_object_new_boolean(v[i].present));
    json_object_array_add(a, o);
  }
  return a;
}
