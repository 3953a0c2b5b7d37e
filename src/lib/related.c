/* related.c: what refers to a manifest: buildx attestation manifests listed beside it
 * (vnd.docker.reference.type "attestation-manifest"), and OCI 1.1 referrers (manifests whose
 * subject it is), wherever index.json reaches them: a visitor of the graph's walk. */
#include "image.h"

void ocidig_related_free(ocidig_related *v, size_t n)
{
  if (!v)
    return;
  for (size_t i = 0; i < n; i++) {
    ocidig_descriptor_clear(&v[i].desc);
    free(v[i].found_in);
    free(v[i].artifact_type);
    oci_strv_free(v[i].predicate_types, v[i].n_predicate_types);
  }
  free(v);
}

typedef struct rlist {
  ocidig_related *v;
  size_t n;
} rlist;

/* Adds d (once per digest); node: the document behind it when it was read (NULL: not a
 * manifest or an index), for its presence, artifact type and predicate types. */
static ocidig_code add_related(oci_view *v, rlist *l, ocidig_related_kind kind, const oci_gdesc *d,
                               const char *found_in, const oci_gnode *node, ocidig_error *err)
{
  ocidig_related *r;
  for (size_t i = 0; i < l->n; i++)
    if (oci_streq(l->v[i].desc.digest_string, d->digest))
      return OCIDIG_OK;
  r = realloc(l->v, (l->n + 1) * sizeof *r);
  if (!r)
    return oci_nomem(err);
  l->v = r;
  r = &r[l->n];
  memset(r, 0, sizeof *r);
  l->n++;
  r->kind = kind;
  if (node) {
    r->present = node->code != OCIDIG_ERR_BLOB_MISSING;
  } else {
    bool nomem = false;
    r->present = oci_gdesc_present(v, d, NULL, &nomem);
    if (nomem)
      return oci_nomem(err);
  }
  if (oci_gdesc_expand(d, &r->desc, err) != OCIDIG_OK || !(r->found_in = oci_strdup(found_in)))
    return oci_nomem(err);
  if (node && node->code != OCIDIG_OK)
    node = NULL; /* nothing more is known of it */
  if (kind == OCIDIG_RELATED_REFERRER) {
    const char *at = node && node->artifact_type ? node->artifact_type
                     : oci_gdesc_more_of(d)->artifact_type ? d->more->artifact_type
                     : node && node->config      ? node->config->media_type
                                                 : NULL;
    if (at && !(r->artifact_type = oci_strdup(at)))
      return oci_nomem(err);
  }
  if (node)
    for (size_t i = 0; i < node->n_layers; i++) {
      const char *p = oci_gdesc_annotation(&node->layers[i], ANN_PREDICATE);
      if (p && !oci_strv_add_unique(&r->predicate_types, &r->n_predicate_types, p))
        return oci_nomem(err);
    }
  return OCIDIG_OK;
}

static bool attests(const oci_gdesc *d, const char *digest)
{
  const char *type = oci_gdesc_annotation(d, ANN_REF_TYPE);
  const char *target = oci_gdesc_annotation(d, ANN_REF_DIGEST);
  return type && !strcmp(type, "attestation-manifest") && target && !strcmp(target, digest);
}

typedef struct rwalk {
  oci_graph *g;
  oci_view *v;
  const oci_gnode *root;
  const char *digest;
  rlist att, ref;
  ocidig_code rc;
  ocidig_error *err;
} rwalk;

/* The document behind d when it is one the graph reads (an index or a manifest). */
static ocidig_code open_doc(oci_graph *g, const oci_gdesc *d, const oci_gnode **n, ocidig_error *err)
{
  *n = NULL;
  if (ocidig_media_type_kind(d->media_type) == OCIDIG_KIND_OTHER)
    return OCIDIG_OK;
  return oci_graph_open(g, d, n, err);
}

static bool visit_child(void *ctx, const oci_gnode *parent, const oci_gdesc *d, unsigned depth)
{
  rwalk *w = ctx;
  const char *where = *parent->digest ? parent->digest : parent->name;
  const oci_gnode *n;
  (void)depth;
  if (parent == w->root) /* done first, in the order of index.json */
    return true;
  if (attests(d, w->digest) && ((w->rc = open_doc(w->g, d, &n, w->err)) != OCIDIG_OK ||
                                (w->rc = add_related(w->v, &w->att, OCIDIG_RELATED_ATTESTATION, d, where, n,
                                                     w->err)) != OCIDIG_OK))
    return false;
  return true;
}

/* OCI 1.1 referrers: manifests whose subject is this one, wherever index.json reaches them
 * (listed in index.json, or in a referrers index tagged <alg>-<hex>); found in the first
 * index met that lists them. */
static bool visit_referrer(rwalk *w, const oci_gnode *parent, const oci_gdesc *d)
{
  const char *where = *parent->digest ? parent->digest : parent->name;
  const oci_gnode *n;
  if (ocidig_media_type_kind(d->media_type) != OCIDIG_KIND_MANIFEST)
    return true;
  if ((w->rc = oci_graph_open(w->g, d, &n, w->err)) != OCIDIG_OK)
    return false;
  if (n->code == OCIDIG_OK && n->subject && oci_streq(n->subject->digest, w->digest) &&
      (w->rc = add_related(w->v, &w->ref, OCIDIG_RELATED_REFERRER, d, where, n, w->err)) != OCIDIG_OK)
    return false;
  return true;
}

static bool visit_child_all(void *ctx, const oci_gnode *parent, const oci_gdesc *d, unsigned depth)
{
  rwalk *w = ctx;
  return visit_child(ctx, parent, d, depth) && visit_referrer(w, parent, d);
}

ocidig_code ocidig_find_related(ocidig_layout *l, const char *digest, ocidig_related **out, size_t *n,
                                ocidig_error *err)
{
  static const oci_graph_visitor visitor = {.child = visit_child_all};
  rwalk w = {.digest = digest, .err = err};
  oci_graph *g;
  ocidig_code rc;
  OCI_REQUIRE(out, "out", err);
  OCI_REQUIRE(n, "n", err);
  *out = NULL;
  *n = 0;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(digest, "the digest", err);
  if ((rc = oci_graph_get(l, &g, err)) != OCIDIG_OK || (rc = oci_view_get(l, &w.v, err)) != OCIDIG_OK ||
      (rc = oci_graph_root(g, &w.root, err)) != OCIDIG_OK)
    return rc;
  w.g = g;
  if (w.root->code != OCIDIG_OK)
    return oci_fail(err, w.root->code, "%s", w.root->message);
  /* buildx attestation manifests, listed beside the image in an index (index.json first). */
  for (size_t i = 0; i < w.root->n_children && rc == OCIDIG_OK; i++) {
    const oci_gdesc *d = &w.root->children[i];
    const oci_gnode *node;
    if (attests(d, digest) && (rc = open_doc(g, d, &node, err)) == OCIDIG_OK)
      rc = add_related(w.v, &w.att, OCIDIG_RELATED_ATTESTATION, d, w.root->name, node, err);
  }
  if (rc == OCIDIG_OK && (rc = oci_graph_walk(g, &visitor, &w, err)) == OCIDIG_OK)
    rc = w.rc;
  /* attestations first, then referrers */
  for (size_t i = 0; i < w.ref.n && rc == OCIDIG_OK; i++) {
    ocidig_related *v = realloc(w.att.v, (w.att.n + 1) * sizeof *v);
    if (!v) {
      rc = oci_nomem(err);
      break;
    }
    w.att.v = v;
    v[w.att.n++] = w.ref.v[i];
    memset(&w.ref.v[i], 0, sizeof w.ref.v[i]);
  }
  ocidig_related_free(w.ref.v, w.ref.n);
  if (rc != OCIDIG_OK) {
    ocidig_related_free(w.att.v, w.att.n);
    return rc;
  }
  *out = w.att.v;
  *n = w.att.n;
  return OCIDIG_OK;
}
