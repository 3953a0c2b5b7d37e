/* api.c: the public API's small conveniences (include/ocidig.h): the options' _init
 * functions and the accessors to the arrays of results, which do not depend on the size
 * of an element (see "Options structs" at the top of ocidig.h). */
#include "internal.h"

#include "layout.h"
#include "verify/deep_int.h"

#include <string.h>

/* Here, not in layout.c: the layout (layer 2) is given verify --deep's tap (layer 5) as a
 * table of functions, never calls up to it. */
ocidig_code ocidig_layout_open(const char *path, const ocidig_open_options *opts, ocidig_layout **out,
                               ocidig_error *err)
{
  ocidig_open_options o;
  oci_layout_tap tap;
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(path, "the path", err);
  if (!opts || !(opts->flags & OCIDIG_OPEN_READ_LAYERS))
    return oci_layout_open(path, opts, NULL, out, err);
  o = *opts;
  o.flags |= OCIDIG_OPEN_HASH_BLOBS;
  if (!oci_deep_tap_init(&tap, !strcmp(path, "-")))
    return oci_nomem(err);
  return oci_layout_open(path, &o, &tap, out, err);
}

void ocidig_open_options_init(ocidig_open_options *opts)
{
  if (opts)
    memset(opts, 0, sizeof *opts);
}

void ocidig_resolve_options_init(ocidig_resolve_options *opts)
{
  if (opts)
    memset(opts, 0, sizeof *opts);
}

void ocidig_list_options_init(ocidig_list_options *opts)
{
  if (opts)
    memset(opts, 0, sizeof *opts);
}

void ocidig_verify_options_init(ocidig_verify_options *opts)
{
  if (opts)
    memset(opts, 0, sizeof *opts);
}

const ocidig_row *ocidig_resolution_row(const ocidig_resolution *r, size_t i)
{
  return r && i < r->n_rows ? &r->rows[i] : NULL;
}

const ocidig_finding *ocidig_verify_report_finding(const ocidig_verify_report *r, size_t i)
{
  return r && i < r->n_findings ? &r->findings[i] : NULL;
}

const ocidig_verify_image *ocidig_verify_report_image(const ocidig_verify_report *r, size_t i)
{
  return r && i < r->n_images ? &r->images[i] : NULL;
}

const ocidig_verify_platform *ocidig_verify_image_platform(const ocidig_verify_image *im, size_t i)
{
  return im && i < im->n_platforms ? &im->platforms[i] : NULL;
}

const ocidig_verify_layer *ocidig_verify_report_layer(const ocidig_verify_report *r, size_t i)
{
  return r && i < r->n_layers ? &r->layers[i] : NULL;
}

const ocidig_list_image *ocidig_listing_image(const ocidig_listing *l, size_t i)
{
  return l && l->images && i < l->n_images ? &l->images[i] : NULL;
}

const ocidig_list_row *ocidig_list_image_row(const ocidig_list_image *img, size_t i)
{
  return img && i < img->n_rows ? &img->rows[i] : NULL;
}

/* The names of the pattern (ocidig.h, "names"): the same functions. */
ocidig_code ocidig_layout_resolve(ocidig_layout *layout, const ocidig_resolve_options *opts, ocidig_resolution **out,
                                  ocidig_error *err)
{
  return ocidig_resolve(layout, opts, out, err);
}

ocidig_code ocidig_layout_verify(ocidig_layout *layout, const ocidig_verify_options *opts, ocidig_verify_report **out,
                                 ocidig_error *err)
{
  return ocidig_verify(layout, opts, out, err);
}

ocidig_code ocidig_layout_list(ocidig_layout *layout, const ocidig_list_options *opts, ocidig_listing **out,
                               ocidig_error *err)
{
  return ocidig_list(layout, opts, out, err);
}

ocidig_code ocidig_layout_find_related(ocidig_layout *layout, const char *digest, ocidig_related **out, size_t *n,
                                       ocidig_error *err)
{
  return ocidig_find_related(layout, digest, out, n, err);
}

ocidig_code ocidig_layout_copy_verified(ocidig_layout *layout, const char *relpath, const ocidig_digest *digest,
                                        int64_t size, size_t small_cap, ocidig_sink sink, void *ctx,
                                        uint64_t *written, ocidig_error *err)
{
  return ocidig_copy_verified(layout, relpath, digest, size, small_cap, sink, ctx, written, err);
}

int ocidig_verify_report_exit_status(const ocidig_verify_report *r, bool fail_on_warning)
{
  return ocidig_verify_exit_status(r, fail_on_warning);
}

const char *ocidig_media_type_compression(const char *media_type)
{
  return ocidig_layer_compression(media_type);
}

char *ocidig_json_make_utf8(const char *text)
{
  return ocidig_json_utf8(text);
}
