/* api.c: the public API's small conveniences (include/ocidig.h): the options' _init
 * functions and the accessors to the arrays of results, which do not depend on the size
 * of an element (see "Options structs" at the top of ocidig.h). */
#include "internal.h"

#include <string.h>

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

const ocidig_list_image *ocidig_listing_image(const ocidig_listing *l, size_t i)
{
  return l && i < l->n_images ? &l->images[i] : NULL;
}

const ocidig_list_row *ocidig_list_image_row(const ocidig_list_image *img, size_t i)
{
  return img && i < img->n_rows ? &img->rows[i] : NULL;
}
