/* view.c: the OCI view (the layout as it is) and the dispatch every view goes through.
 * See view.h.  The docker save and containers/image dir: views are to be added here as
 * further kinds; until then a layout without index.json has no view (its commands take the
 * docker save paths of resolve.c, image.c and verify.c). */
#include "view.h"

#include "layout.h"

#include <stdlib.h>
#include <string.h>

struct oci_view {
  ocidig_layout *l;
  ocidig_layout_format format;
  char name[OCIDIG_DIGEST_STRING_MAX + 8]; /* the last name oci_view_blob_member gave */
};

static void view_free(void *p)
{
  free(p);
}

ocidig_code oci_view_get(ocidig_layout *l, oci_view **out, ocidig_error *err)
{
  ocidig_layout_format f;
  ocidig_code rc;
  oci_view *v;

  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(l, "the layout", err);
  if (l->upper[OCI_SLOT_VIEW]) {
    *out = l->upper[OCI_SLOT_VIEW];
    return OCIDIG_OK;
  }
  if ((rc = oci_layout_check_root(l, &f, NULL, NULL, err)) != OCIDIG_OK)
    return rc;
  if (!(v = calloc(1, sizeof *v)))
    return oci_nomem(err);
  v->l = l;
  v->format = f;
  l->upper[OCI_SLOT_VIEW] = v;
  l->upper_free[OCI_SLOT_VIEW] = view_free;
  *out = v;
  return OCIDIG_OK;
}

ocidig_layout *oci_view_layout(const oci_view *v)
{
  return v ? v->l : NULL;
}

ocidig_layout_format oci_view_format(const oci_view *v)
{
  return v ? v->format : OCIDIG_FORMAT_NONE;
}

const char *oci_view_root_name(const oci_view *v)
{
  (void)v;
  return "index.json";
}

bool oci_view_root_synthesized(const oci_view *v)
{
  (void)v;
  return false;
}

ocidig_code oci_view_root_stream(oci_view *v, ocidig_sink sink, void *ctx, ocidig_error *err)
{
  OCI_REQUIRE(v, "the view", err);
  return ocidig_layout_stream_file(v->l, "index.json", sink, ctx, err);
}

const char *oci_view_blob_member(const oci_view *v, const ocidig_digest *d, const uint8_t **synth,
                                 size_t *synth_len)
{
  if (synth)
    *synth = NULL;
  if (synth_len)
    *synth_len = 0;
  if (!v || !d)
    return NULL;
  /* Valid until the next call on this view (the OCI name is made, not stored). */
  ocidig_digest_blob_path(d, ((oci_view *)v)->name);
  return v->name;
}

bool oci_view_blob_synthesized(const oci_view *v, const ocidig_digest *d)
{
  (void)v;
  (void)d;
  return false;
}

ocidig_code oci_view_blob_stat(oci_view *v, const ocidig_digest *d, ocidig_entry *out, ocidig_error *err)
{
  char path[OCIDIG_DIGEST_STRING_MAX + 8];
  OCI_REQUIRE(v, "the view", err);
  OCI_REQUIRE(d, "the digest", err);
  ocidig_digest_blob_path(d, path);
  return ocidig_layout_stat(v->l, path, out, err);
}

ocidig_code oci_view_blob_read(oci_view *v, const ocidig_digest *d, int64_t size, size_t max, uint8_t **data,
                               size_t *len, ocidig_error *err)
{
  OCI_REQUIRE(v, "the view", err);
  return ocidig_layout_read_blob(v->l, d, size, max, data, len, err);
}

ocidig_code oci_view_blob_stream(oci_view *v, const ocidig_digest *d, ocidig_sink sink, void *ctx,
                                 ocidig_error *err)
{
  char path[OCIDIG_DIGEST_STRING_MAX + 8];
  OCI_REQUIRE(v, "the view", err);
  OCI_REQUIRE(d, "the digest", err);
  ocidig_digest_blob_path(d, path);
  return ocidig_layout_stream_file(v->l, path, sink, ctx, err);
}
