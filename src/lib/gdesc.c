/* gdesc.c: what a compact descriptor of the graph (graph.h: oci_gdesc) answers by itself,
 * with no graph at hand: an annotation, its digest parsed, its inline data checked, and a
 * full ocidig_descriptor copied out of it for a caller that keeps one. */
#include "graph.h"

#include "descriptor.h"

#include <stdlib.h>
#include <string.h>


const char *oci_gdesc_annotation(const oci_gdesc *d, const char *key)
{
  if (!d || !key)
    return NULL;
  for (uint32_t i = 0; i < d->n_annotations; i++)
    if (!strcmp(d->annotations[i].key, key))
      return d->annotations[i].value;
  return NULL;
}

bool oci_gdesc_digest(const oci_gdesc *d, ocidig_digest *out)
{
  if (!d || d->digest_code != OCIDIG_OK || !d->digest)
    return false;
  return ocidig_digest_parse(d->digest, strlen(d->digest), out, NULL) == OCIDIG_OK;
}

static char *dup_or_fail(const char *s, bool *nomem)
{
  char *r;
  if (!s)
    return NULL;
  if (!(r = oci_strdup(s)))
    *nomem = true;
  return r;
}

ocidig_code oci_gdesc_expand(const oci_gdesc *d, ocidig_descriptor *out, ocidig_error *err)
{
  bool nomem = false;
  OCI_REQUIRE(out, "out", err);
  memset(out, 0, sizeof *out);
  OCI_REQUIRE(d, "the descriptor", err);
  out->media_type = dup_or_fail(d->media_type, &nomem);
  out->digest_string = dup_or_fail(d->digest, &nomem);
  out->digest_code = d->digest_code;
  if (d->digest_code == OCIDIG_OK)
    oci_gdesc_digest(d, &out->digest);
  out->size = d->size;
  if (d->platform) {
    const ocidig_platform *p = d->platform;
    out->has_platform = true;
    out->platform_keys = d->platform_keys;
    out->platform.os = dup_or_fail(p->os, &nomem);
    out->platform.architecture = dup_or_fail(p->architecture, &nomem);
    out->platform.variant = dup_or_fail(p->variant, &nomem);
    out->platform.os_version = dup_or_fail(p->os_version, &nomem);
    for (size_t i = 0; i < p->n_os_features && !nomem; i++)
      nomem = !oci_strv_push(&out->platform.os_features, &out->platform.n_os_features, p->os_features[i]);
  }
  out->artifact_type = dup_or_fail(oci_gdesc_more_of(d)->artifact_type, &nomem);
  if (d->n_annotations && !nomem) {
    out->annotations = calloc(d->n_annotations, sizeof *out->annotations);
    nomem = !out->annotations;
    for (uint32_t i = 0; i < d->n_annotations && !nomem; i++) {
      out->annotations[i].key = dup_or_fail(d->annotations[i].key, &nomem);
      out->annotations[i].value = dup_or_fail(d->annotations[i].value, &nomem);
      out->n_annotations = i + 1;
    }
  }
  for (uint32_t i = 0; i < oci_gdesc_more_of(d)->n_urls && !nomem; i++)
    nomem = !oci_strv_push(&out->urls, &out->n_urls, d->more->urls[i]);
  if (oci_gdesc_more_of(d)->has_data && !nomem) {
    const oci_gdesc_more *x = d->more;
    out->has_data = true;
    out->data = malloc(x->data_len ? x->data_len : 1);
    nomem = !out->data;
    if (out->data && x->data_len)
      memcpy(out->data, x->data, x->data_len);
    out->data_len = x->data_len;
  }
  if (nomem) {
    ocidig_descriptor_clear(out);
    return oci_nomem(err);
  }
  return OCIDIG_OK;
}

const oci_gdesc_more *oci_gdesc_more_of(const oci_gdesc *d)
{
  static const oci_gdesc_more none; /* read-only: no state */
  return d->more ? d->more : &none;
}

/* Does d's inline data check out (length and digest)? */
ocidig_code oci_gdesc_inline_check(const oci_gdesc *d, bool *ok, ocidig_error *err)
{
  ocidig_digest dg;
  char hex[129];
  *ok = false;
  if (!d || !oci_gdesc_more_of(d)->has_data || (int64_t)d->more->data_len != d->size || !oci_gdesc_digest(d, &dg))
    return OCIDIG_OK;
  if (!oci_hash_hex(dg.alg, d->more->data, d->more->data_len, hex))
    return oci_nomem(err);
  *ok = !strcmp(hex, dg.hex);
  return OCIDIG_OK;
}

bool oci_gdesc_inline_ok(const oci_gdesc *d)
{
  bool ok;
  return oci_gdesc_inline_check(d, &ok, NULL) == OCIDIG_OK && ok;
}
