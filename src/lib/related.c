/* related.c: what refers to a manifest: buildx attestation manifests listed beside it
 * (vnd.docker.reference.type "attestation-manifest"), and OCI 1.1 referrers (manifests whose
 * subject it is), wherever index.json reaches them. */
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

static ocidig_code add_related(ocidig_related **v, size_t *n, ocidig_related_kind kind, const ocidig_descriptor *d,
                               const char *found_in, const oci_gnode *node, ocidig_error *err)
{
  ocidig_related *r;
  for (size_t i = 0; i < *n; i++)
    if (oci_streq((*v)[i].desc.digest_string, d->digest_string))
      return OCIDIG_OK;
  r = realloc(*v, (*n + 1) * sizeof *r);
  if (!r)
    return oci_nomem(err);
  *v = r;
  r = &r[*n];
  memset(r, 0, sizeof *r);
  (*n)++;
  r->kind = kind;
  r->present = node && node->present;
  if (oci_descriptor_copy(&r->desc, d, err) != OCIDIG_OK || !(r->found_in = oci_strdup(found_in)))
    return oci_nomem(err);
  if (kind == OCIDIG_RELATED_REFERRER) {
    const char *at = node && node->artifact_type ? node->artifact_type
                     : d->artifact_type          ? d->artifact_type
                     : node && node->has_config  ? node->config.media_type
                                                 : NULL;
    if (at && !(r->artifact_type = oci_strdup(at)))
      return oci_nomem(err);
  }
  if (node)
    for (size_t i = 0; i < node->n_layers; i++) {
      const char *p = ocidig_descriptor_annotation(&node->layers[i], ANN_PREDICATE);
      if (p && !oci_strv_add_unique(&r->predicate_types, &r->n_predicate_types, p))
        return oci_nomem(err);
    }
  return OCIDIG_OK;
}

static bool attests(const ocidig_descriptor *d, const char *digest)
{
  const char *type = ocidig_descriptor_annotation(d, ANN_REF_TYPE);
  const char *target = ocidig_descriptor_annotation(d, ANN_REF_DIGEST);
  return type && !strcmp(type, "attestation-manifest") && target && !strcmp(target, digest);
}

ocidig_code oci_related_find(oci_igraph *g, const char *digest, ocidig_related **out, size_t *n, ocidig_error *err)
{
  ocidig_code rc = OCIDIG_OK;
  *out = NULL;
  *n = 0;
  /* buildx attestation manifests, listed beside the image in an index (or index.json). */
  for (size_t i = 0; i < g->n_roots && rc == OCIDIG_OK; i++)
    if (attests(&g->roots[i], digest))
      rc = add_related(out, n, OCIDIG_RELATED_ATTESTATION, &g->roots[i], "index.json",
                       oci_igraph_node(g, g->roots[i].digest_string), err);
  for (size_t k = 0; k < g->n_nodes && rc == OCIDIG_OK; k++) {
    const oci_gnode *idx = &g->nodes[k];
    for (size_t i = 0; i < idx->n_kids && rc == OCIDIG_OK; i++)
      if (attests(&idx->kids[i], digest))
        rc = add_related(out, n, OCIDIG_RELATED_ATTESTATION, &idx->kids[i], idx->digest,
                         oci_igraph_node(g, idx->kids[i].digest_string), err);
  }
  /* OCI 1.1 referrers: manifests whose subject is this one, wherever index.json reaches them
   * (listed in index.json, or in a referrers index tagged <alg>-<hex>). */
  for (size_t k = 0; k < g->n_nodes && rc == OCIDIG_OK; k++) {
    const oci_gnode *m = &g->nodes[k];
    if (m->subject && !strcmp(m->subject, digest))
      rc = add_related(out, n, OCIDIG_RELATED_REFERRER, &m->desc, m->parent, m, err);
  }
  if (rc != OCIDIG_OK) {
    ocidig_related_free(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return rc;
}

ocidig_code ocidig_find_related(ocidig_layout *l, const char *digest, ocidig_related **out, size_t *n,
                                ocidig_error *err)
{
  oci_igraph g;
  ocidig_code rc;
  OCI_REQUIRE(out, "out", err);
  OCI_REQUIRE(n, "n", err);
  *out = NULL;
  *n = 0;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(digest, "the digest", err);
  if ((rc = oci_igraph_build(l, &g, err)) != OCIDIG_OK)
    return rc;
  rc = oci_related_find(&g, digest, out, n, err);
  oci_igraph_free(&g);
  return rc;
}
