/* descriptor_rules.c: the rules of documents and descriptors as findings.  The graph checks
 * each document's shape where it reads it (shape.c: schemaVersion, mediaType against the
 * descriptor, kind, each descriptor's fields, digest, size, inline data, the empty
 * descriptor, platform objects) and keeps the problems on its node; here they become
 * findings, and a node's descriptors become verify's (vdesc).  Ref names are checked here. */
#include "verify.h"

#include "graph.h"
#include "strtab.h"

/* ---------------------------------------------------------- descriptors */

void oci_vdesc_clear(vdesc *d)
{
  free(d->where);
  if (d->borrowed) {
    memset(d, 0, sizeof *d);
    return;
  }
  free(d->media_type);
  free(d->digest);
  ocidig_platform_clear(&d->platform);
  free(d->ref_name);
  free(d->containerd_name);
  free(d->ref_type);
  free(d->ref_digest);
  memset(d, 0, sizeof *d);
}

/* The finding of each shape code (shape.h). */
static oci_vcode shape_vcode(uint32_t code)
{
  switch ((oci_shape_code)code) {
  case OCI_SHAPE_INVALID_JSON:
    return VF_INVALID_JSON;
  case OCI_SHAPE_SCHEMA_VERSION:
    return VF_SCHEMA_VERSION;
  case OCI_SHAPE_MEDIA_TYPE_MISMATCH:
    return VF_MEDIA_TYPE_MISMATCH;
  case OCI_SHAPE_KIND_MISMATCH:
    return VF_KIND_MISMATCH;
  case OCI_SHAPE_FIELD_MISSING:
    return VF_FIELD_MISSING;
  case OCI_SHAPE_FIELD_TYPE:
    return VF_FIELD_TYPE;
  case OCI_SHAPE_INVALID_DIGEST:
    return VF_INVALID_DIGEST;
  case OCI_SHAPE_UNSUPPORTED_DIGEST_ALGORITHM:
    return VF_UNSUPPORTED_DIGEST_ALGORITHM;
  case OCI_SHAPE_SIZE_NEGATIVE:
    return VF_SIZE_NEGATIVE;
  case OCI_SHAPE_DATA_MISMATCH:
    return VF_DATA_MISMATCH;
  case OCI_SHAPE_EMPTY_DESCRIPTOR_INVALID:
    return VF_EMPTY_DESCRIPTOR_INVALID;
  case OCI_SHAPE_LIMIT_EXCEEDED:
    return VF_LIMIT_EXCEEDED;
  case OCI_SHAPE_MEDIA_TYPE_INVALID:
    return VF_MEDIA_TYPE_INVALID;
  case OCI_SHAPE_URL_INVALID:
    return VF_URL_INVALID;
  case OCI_SHAPE_LAYERS_EMPTY:
    return VF_LAYERS_EMPTY;
  case OCI_SHAPE_ENV_INVALID:
    return VF_CONFIG_ENV_INVALID;
  case OCI_SHAPE_N_CODES:
    break;
  }
  return VF_FIELD_TYPE;
}

/* The document's own problems first (a limit, a kind), then its descriptors'; those the
 * graph only counted are counted here too (past the findings kept, each is one more). */
void oci_vshapes_report(vstate *v, vctx c, const oci_gnode *n, const char *digest, const char *path)
{
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < n->n_shapes; i++)
      if ((n->shapes[i].slot >= OCI_SHAPE_SUBJECT) == (pass == 0))
        oci_finding_add(v, c, shape_vcode(n->shapes[i].code), digest, path, "%s", oci_str(n->shapes[i].message));
  for (uint32_t k = 0; n->shapes_more && k < OCI_SHAPE_N_CODES; k++)
    for (uint32_t i = 0; i < n->shapes_more[k]; i++)
      oci_finding_add(v, c, shape_vcode(k), digest, path, "%s: another problem of this kind, not described (%u of %u)",
                      n->name, i + 1, n->shapes_more[k]);
}

bool oci_vshapes_any(const oci_gnode *n, uint32_t slot)
{
  for (size_t i = 0; i < n->n_shapes; i++)
    if (n->shapes[i].slot == slot)
      return true;
  return false;
}

void oci_vdup_keys(vstate *v, vctx c, const char *what, const char *const *keys, size_t n, const char *digest,
                   const char *path)
{
  oci_buf b = {0};
  if (!n)
    return;
  for (size_t i = 0; i < n; i++) {
    oci_buf_puts(&b, i ? ", \"" : "\"");
    oci_buf_quote(&b, keys[i], strlen(keys[i]) > 80 ? 80 : strlen(keys[i]));
    oci_buf_puts(&b, "\"");
  }
  oci_finding_add(v, c, VF_JSON_DUPLICATE_KEY, digest, path,
                  "%s: key%s %s appear%s more than once in one object; containerd takes the last one, other parsers "
                  "may not (expected unique keys)",
                  what, n > 1 ? "s" : "", b.s ? b.s : "?", n > 1 ? "" : "s");
  oci_buf_free(&b);
}

/* A layer's media type (OCI's or Docker's): only a layer is non-distributable. */
static bool layer_type(const char *mt)
{
  return mt && (!strncmp(mt, "application/vnd.oci.image.layer.", 32) ||
                !strncmp(mt, "application/vnd.docker.image.rootfs.", 36));
}

/* Does the descriptor name a URL it can be fetched from? */
static bool any_url(const oci_gdesc *g)
{
  for (size_t i = 0; i < oci_gdesc_more_of(g)->n_urls; i++)
    if (oci_uri_absolute(g->more->urls[i]))
      return true;
  return false;
}

/* verify's descriptor over the graph's: its strings are the graph's (borrowed, kept with the
 * layout), only `where` is its own; a digest only when valid (written as parsed). */
void oci_vdesc_from(vstate *v, const oci_gdesc *g, const char *where, bool index_child, vdesc *out)
{
  memset(out, 0, sizeof *out);
  out->borrowed = true;
  if (!(out->where = oci_strdup(where)))
    v->nomem = true;
  out->media_type = (char *)g->media_type;
  if (oci_gdesc_digest(g, &out->d)) {
    out->digest = (char *)g->digest;
    out->digest_ok = true;
  }
  if (g->size >= 0) {
    out->size = g->size;
    out->size_ok = true;
  }
  if (index_child && g->platform) {
    out->has_platform = true;
    out->platform = *g->platform;
  }
  out->ref_name = (char *)oci_gdesc_annotation(g, ANN_REF_NAME);
  out->containerd_name = (char *)oci_gdesc_annotation(g, ANN_CONTAINERD_NAME);
  out->ref_type = (char *)oci_gdesc_annotation(g, ANN_REF_TYPE);
  out->ref_digest = (char *)oci_gdesc_annotation(g, ANN_REF_DIGEST);
  out->foreign = layer_type(out->media_type) && (strstr(out->media_type, "nondistributable") ||
                                                  strstr(out->media_type, "foreign.diff") || any_url(g));
}

void oci_vkid(vstate *v, const oci_gdesc *kids, size_t i, const char *what, vdesc *out)
{
  char where[OCIDIG_DIGEST_STRING_MAX + 64];
  snprintf(where, sizeof where, "%s manifests[%zu]", what, i);
  oci_vdesc_from(v, &kids[i], where, true, out);
}

/* ------------------------------------------------------------ ref names */

static bool alnum(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* ref ::= component ("/" component)*; component ::= alphanum (separator alphanum)*;
 * alphanum ::= [A-Za-z0-9]+; separator ::= [-._:@+] | "--" */
static bool ref_name_valid(const char *s)
{
  const char *p = s;
  for (;;) {
    if (!alnum(*p))
      return false;
    while (alnum(*p))
      p++;
    if (*p == '\0')
      return true;
    if (*p == '/') {
      p++;
      continue;
    }
    if (p[0] == '-' && p[1] == '-')
      p += 2;
    else if (strchr("-._:@+", *p))
      p++;
    else
      return false;
  }
}

const char *oci_vdesc_image_name(const vdesc *d)
{
  if (d->ref_name && *d->ref_name)
    return d->ref_name;
  if (d->containerd_name && *d->containerd_name)
    return d->containerd_name;
  return NULL;
}

char *oci_vdesc_platform_text(const vdesc *d)
{
  if (!d->has_platform)
    return NULL;
  if (!d->platform.os && !d->platform.architecture && !d->platform.variant)
    return oci_strdup("{}");
  return ocidig_platform_format(&d->platform);
}

typedef struct names_ctx {
  const oci_gdesc *kids;
} names_ctx;

static const char *ref_name_key(const void *ctx, size_t i)
{
  return oci_gdesc_annotation(&((const names_ctx *)ctx)->kids[i], ANN_REF_NAME);
}

/* Each ref name against the grammar; in index.json, each against the first earlier entry
 * of the same name (found by the string table: N entries cost N lookups, not N^2/2).  The
 * entries are verify's descriptors one at a time (the graph's hold them all). */
void oci_vref_names_check(vstate *v, const oci_gdesc *kids, size_t n, const char *what)
{
  bool top = !strcmp(what, "index.json");
  names_ctx nc = {kids};
  oci_strtab first = {0};
  for (size_t i = 0; i < n; i++) {
    vdesc a, b;
    size_t j;
    if (!oci_gdesc_annotation(&kids[i], ANN_REF_NAME))
      continue;
    oci_vkid(v, kids, i, what, &a);
    if (!ref_name_valid(a.ref_name)) {
      char *q = oci_quote(a.ref_name, strlen(a.ref_name), 120);
      oci_finding_add(v, LAYOUT_CTX, VF_REF_NAME_INVALID, a.digest, top ? "index.json" : NULL,
                      "%s: ref name %s does not match the OCI grammar (components of [A-Za-z0-9] joined by one of "
                      "-._:@+ or \"--\", separated by \"/\")",
                      a.where ? a.where : "?", q ? q : "?");
      free(q);
    }
    if (!top) {
      oci_vdesc_clear(&a);
      continue;
    }
    if ((j = oci_strtab_find(&first, a.ref_name, ref_name_key, &nc)) == OCI_STRTAB_NONE) {
      if (!oci_strtab_put(&first, i, ref_name_key, &nc, false))
        v->nomem = true;
      oci_vdesc_clear(&a);
      continue;
    }
    oci_vkid(v, kids, j, what, &b);
    {
      char *pa = oci_vdesc_platform_text(&a), *pb = oci_vdesc_platform_text(&b);
      bool same_platform = oci_streq(pa, pb);
      free(pa);
      free(pb);
      if (oci_streq(a.digest, b.digest) && same_platform) {
        char *q = oci_quote(a.ref_name, strlen(a.ref_name), 120);
        oci_finding_add(v, LAYOUT_CTX, VF_REF_NAME_REPEATED, a.digest, "index.json",
                        "index.json manifests[%zu] and manifests[%zu] both name %s for the same digest", j, i,
                        q ? q : "?");
        free(q);
      } else if (same_platform) {
        char *q = oci_quote(a.ref_name, strlen(a.ref_name), 120);
        oci_finding_add(
            v, LAYOUT_CTX, VF_REF_NAME_DUPLICATE, a.digest, "index.json",
            "index.json manifests[%zu] and manifests[%zu] both name %s but point at different manifests (%s, %s); "
            "a ref name must identify one",
            j, i, q ? q : "?", b.digest ? b.digest : "(invalid digest)", a.digest ? a.digest : "(invalid digest)");
        free(q);
      }
    }
    oci_vdesc_clear(&a);
    oci_vdesc_clear(&b);
  }
  oci_strtab_free(&first);
}
