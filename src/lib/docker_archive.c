/* docker_archive.c: a docker save said as a docker save says it, above the graph.
 *
 * The documents come from the docker view (view/docker.c synthesizes an OCI index and
 * manifests from manifest.json, read by docker_manifest.c); here is the wording resolve
 * gives them (oci_docker_ref, oci_docker_present: one row per image, shown by its image ID,
 * no registry manifest) and the hybrid's comparison of manifest.json with what index.json
 * reaches (oci_docker_hybrid_warnings over names.c's ocidig_docker_archive_compare). */
#include "descriptor.h"
#include "docker_manifest.h"
#include "layout.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>

#define ANN_REPO_TAGS "io.ocidig.repo-tags"

/* ------------------------------------------------------------ resolve's wording */

bool ocidig_resolution_is_docker_archive(const ocidig_resolution *r)
{
  return r && r->root_format == OCIDIG_FORMAT_DOCKER_ARCHIVE;
}

/* The descriptor a docker save image is shown with: its config, by the digest its file name
 * claims (the image ID; the view's name for it), not by what bytes that do not match say. */
static ocidig_code image_descriptor(oci_view *v, const ocidig_docker_archive *a, const ocidig_docker_image *im,
                                    ocidig_descriptor *d, ocidig_error *err)
{
  const char *ds = oci_view_docker_config_of(v, (size_t)(im - a->images));
  memset(d, 0, sizeof *d);
  d->media_type = oci_strdup(OCIDIG_MT_DOCKER_CONFIG);
  d->digest_string = oci_strdup(ds);
  d->size = im->config_size > 0 ? im->config_size : 0;
  d->digest_code = OCIDIG_ERR_INVALID_DIGEST;
  if (ds)
    d->digest_code = ocidig_digest_parse(ds, strlen(ds), &d->digest, NULL);
  if (!d->media_type || (ds && !d->digest_string))
    goto nomem;
  if (im->n_repo_tags) {
    oci_buf b = {0};
    for (size_t i = 0; i < im->n_repo_tags; i++)
      oci_buf_printf(&b, "%s%s", i ? "," : "", im->repo_tags[i]);
    d->annotations = calloc(1, sizeof *d->annotations);
    if (!d->annotations || !(d->annotations[0].value = oci_buf_take(&b))) {
      oci_buf_free(&b);
      goto nomem;
    }
    d->n_annotations = 1;
    if (!(d->annotations[0].key = oci_strdup(ANN_REPO_TAGS)))
      goto nomem;
  }
  return OCIDIG_OK;
nomem:
  ocidig_descriptor_clear(d);
  return oci_nomem(err);
}

/* The image ID, or why there is none (its config could not be read: absent, outside the
 * archive, unreadable). */
static const char *image_id_text(const ocidig_docker_image *im)
{
  return im->image_id ? im->image_id : "unknown";
}

/* false: out of memory. */
static bool rwarn(ocidig_resolution *r, bool first, const char *fmt, ...) OCI_PRINTF(3, 4);
static bool rwarn(ocidig_resolution *r, bool first, const char *fmt, ...)
{
  char buf[OCIDIG_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  for (size_t i = 0; i < r->n_warnings; i++)
    if (!strcmp(r->warnings[i], buf))
      return true;
  if (!oci_strv_push(&r->warnings, &r->n_warnings, buf))
    return false;
  if (first) { /* to the front */
    char *w = r->warnings[r->n_warnings - 1];
    memmove(r->warnings + 1, r->warnings, (r->n_warnings - 1) * sizeof *r->warnings);
    r->warnings[0] = w;
  }
  return true;
}

static char *format_platform(const ocidig_docker_image *im)
{
  if (!im->has_platform)
    return oci_strdup("(unknown)");
  return ocidig_platform_format(&im->platform);
}

char *oci_docker_ref(oci_view *v, const char *ref)
{
  const ocidig_docker_archive *a;
  /* oci_view_root_synthesized first: an OCI view's format (hybrid or not) is not asked for,
   * which could read an archive on standard input past what the walk needs. */
  if (!ref || ref[0] != '@' || !oci_view_root_synthesized(v) || oci_view_format(v) != OCIDIG_FORMAT_DOCKER_ARCHIVE ||
      oci_view_docker_archive(v, &a, NULL) != OCIDIG_OK || !a)
    return NULL;
  for (size_t i = 0; i < a->n_images; i++) {
    const ocidig_docker_image *im = &a->images[i];
    const char *m;
    if ((ocidig_digest_matches(im->image_id, ref + 1) || ocidig_digest_matches(im->config_digest, ref + 1)) &&
        (m = oci_view_docker_manifest_of(v, i)))
      return oci_sprintf("@%s", m);
  }
  return NULL;
}

/* The image a row's descriptor names (a synthesized manifest), or NULL. */
static const ocidig_docker_image *row_image(oci_view *v, const ocidig_docker_archive *a, const ocidig_descriptor *d)
{
  size_t i;
  if (d->digest_code != OCIDIG_OK || (i = oci_view_docker_image_of(v, &d->digest)) == (size_t)-1 || i >= a->n_images)
    return NULL;
  return &a->images[i];
}

/* The row's reason said of the image, or NULL to keep the walk's (*nomem: or out of memory). */
static char *row_reason(const ocidig_docker_image *im, const ocidig_row *row, const ocidig_resolve_options *opts,
                        const char *request, bool *nomem)
{
  char *f = NULL, *out = NULL;
  switch (row->verdict) {
  case OCIDIG_VERDICT_SELECTED:
    if (opts && opts->ref)
      out = oci_sprintf("image %s (image ID %s): the image --ref names (a root is not platform-checked)",
                        oci_docker_image_label(im), image_id_text(im));
    else if (!opts || !opts->matcher)
      out = oci_sprintf("image %s (image ID %s): the first image of manifest.json (no platform filter)",
                        oci_docker_image_label(im), image_id_text(im));
    else if ((f = format_platform(im)))
      out = oci_sprintf("image %s (image ID %s): its config says %s, which matches %s", oci_docker_image_label(im),
                        image_id_text(im), f, request);
    break;
  case OCIDIG_VERDICT_CONFIG_PLATFORM_MISMATCH:
    if ((f = format_platform(im)))
      out = oci_sprintf("image %s (image ID %s): its config says %s, which does not match %s",
                        oci_docker_image_label(im), image_id_text(im), f, request);
    break;
  case OCIDIG_VERDICT_BLOB_MISSING:
    if (im->config_code != OCIDIG_ERR_BLOB_MISSING)
      return NULL;
    out = oci_sprintf("image %s: its config %s is not in the archive", oci_docker_image_label(im),
                      im->config_path);
    break;
  case OCIDIG_VERDICT_NOT_REACHED:
    if (!row->reason || strncmp(row->reason, "ranked after", 12))
      return NULL;
    out = oci_strdup("ranked after the selected image");
    break;
  default:
    return NULL;
  }
  free(f);
  if (!out)
    *nomem = true;
  return out;
}

bool oci_docker_present(oci_view *v, const ocidig_resolve_options *opts, ocidig_resolution *r)
{
  const ocidig_docker_archive *a;
  ocidig_layout *l = oci_view_layout(v);
  const char *request = r->request && *r->request ? r->request : "(any platform)";
  size_t k = 0;
  bool *shown, ok = true, nomem = false;
  ocidig_error e;

  if (!oci_view_root_synthesized(v) || oci_view_format(v) != OCIDIG_FORMAT_DOCKER_ARCHIVE ||
      oci_view_docker_archive(v, &a, NULL) != OCIDIG_OK || !a)
    return true;
  for (size_t i = 0; i < a->n_warnings; i++)
    ok = rwarn(r, false, "%s", a->warnings[i]) && ok;
  /* A warning naming an image's synthesized manifest names the image (no registry manifest). */
  for (size_t i = 0; i < r->n_warnings; i++)
    for (size_t j = 0; j < a->n_images; j++) {
      const char *m = oci_view_docker_manifest_of(v, j), *at;
      char *w;
      if (!m || !(at = strstr(r->warnings[i], m)) || at - r->warnings[i] < 9 || strncmp(at - 9, "manifest ", 9))
        continue;
      w = oci_sprintf("%.*simage %s (image ID %s)%s", (int)(at - 9 - r->warnings[i]), r->warnings[i],
                      oci_docker_image_label(&a->images[j]), image_id_text(&a->images[j]), at + strlen(m));
      if (w) {
        free(r->warnings[i]);
        r->warnings[i] = w;
      }
      nomem = nomem || !w;
      break;
    }
  /* Several images: said of manifest.json's images, not of the index's names. */
  for (size_t i = 0; i < r->n_warnings; i++)
    if (!strncmp(r->warnings[i], "manifest.json names several images", 34)) {
      free(r->warnings[i]);
      memmove(r->warnings + i, r->warnings + i + 1, (r->n_warnings - i - 1) * sizeof *r->warnings);
      r->n_warnings--;
      break;
    }
  if (a->n_images > 1 && !(opts && opts->ref)) {
    oci_buf b = {0};
    for (size_t i = 0; i < a->n_images; i++)
      oci_buf_printf(&b, "%s%s", i ? ", " : "", oci_docker_image_label(&a->images[i]));
    ok = b.s && !b.failed && ok;
    ok = rwarn(r, false,
               "manifest.json holds %zu images (%s); the first whose config matches is taken; pick one with --ref",
               a->n_images, b.s ? b.s : "") &&
         ok;
    oci_buf_free(&b);
  }
  ok = rwarn(r, true,
        "%s is a docker save archive (manifest.json, no index.json): it carries no registry manifest, so no "
        "manifest digest exists; the digest shown for an image is its image ID (the digest of its config)",
        ocidig_layout_is_archive(l) && !strcmp(l->path, "-") ? "standard input" : l->path) && ok;
  /* The rows: one per image (the synthesized index has one entry per RepoTag), shown by the
   * image's config; the first row of an image stands for it. */
  if (!(shown = calloc(a->n_images ? a->n_images : 1, 1)))
    return false;
  for (size_t i = 0; i < r->n_rows; i++) {
    ocidig_row *row = &r->rows[i];
    const ocidig_docker_image *im = row->depth == 1 ? row_image(v, a, &row->desc) : NULL;
    ocidig_descriptor d;
    char *reason;
    if (im && shown[im - a->images]) {
      free(row->parent);
      free(row->reason);
      ocidig_descriptor_clear(&row->desc);
      continue;
    }
    if (im && image_descriptor(v, a, im, &d, &e) != OCIDIG_OK) {
      nomem = true; /* its only failure */
    } else if (im) {
      shown[im - a->images] = true;
      if ((reason = row_reason(im, row, opts, request, &nomem))) {
        free(row->reason);
        row->reason = reason;
      }
      ocidig_descriptor_clear(&row->desc);
      row->desc = d;
    }
    if (row->depth == 1 && row->parent && strcmp(row->parent, "manifest.json")) {
      char *p = oci_strdup("manifest.json");
      if (p) {
        free(row->parent);
        row->parent = p;
      }
      nomem = nomem || !p;
    }
    r->rows[k++] = *row;
  }
  free(shown);
  r->n_rows = k;
  /* The selected image: its config is what it is known by (no registry manifest). */
  if (r->outcome == OCIDIG_OUTCOME_SELECTED && r->selected.digest_code == OCIDIG_OK) {
    const ocidig_docker_image *im = row_image(v, a, &r->selected);
    ocidig_descriptor s, c;
    if (im && image_descriptor(v, a, im, &s, &e) != OCIDIG_OK) {
      nomem = true;
    } else if (im) {
      if (image_descriptor(v, a, im, &c, &e) == OCIDIG_OK) {
        ocidig_descriptor_clear(&r->config);
        r->config = c;
      } else {
        nomem = true;
      }
      ocidig_descriptor_clear(&r->selected);
      r->selected = s;
      free(r->manifest_media_type);
      r->manifest_media_type = NULL;
    }
  }
  /* --ref naming no image, or several: the names are manifest.json's RepoTags */
  if (opts && opts->ref &&
      (r->error.code == OCIDIG_ERR_REF_NOT_FOUND || r->error.code == OCIDIG_ERR_REF_AMBIGUOUS)) {
    size_t pick;
    ocidig_code pc = ocidig_docker_archive_pick(a, opts->ref, &pick, &e);
    if (pc == r->error.code)
      r->error = e;
    else if (pc == OCIDIG_ERR_NOMEM)
      nomem = true;
  }
  return ok && !nomem;
}

void oci_docker_hybrid_warnings(ocidig_layout *l, ocidig_resolution *r)
{
  ocidig_docker_archive *a = NULL;
  oci_view *v;
  bool has = false;
  /* Only when manifest.json costs nothing more to find: already met in an archive (tools
   * write it between index.json and oci-layout), or a file of a directory. */
  if (l->is_archive)
    has = oci_member_find(l, "manifest.json") != NULL;
  else {
    ocidig_entry st;
    ocidig_error e;
    ocidig_code rc = ocidig_layout_stat(l, "manifest.json", &st, &e);
    if (rc != OCIDIG_OK && rc != OCIDIG_ERR_BLOB_MISSING)
      return;
    has = rc == OCIDIG_OK;
  }
  if (!has || oci_view_get(l, &v, NULL) != OCIDIG_OK || oci_view_format(v) != OCIDIG_FORMAT_HYBRID)
    return;
  if (ocidig_docker_archive_read(l, &a, NULL) != OCIDIG_OK) {
    rwarn(r, false, "the archive also holds a manifest.json (docker save), which could not be read; index.json is used");
    return;
  }
  if (ocidig_docker_archive_compare(l, a, NULL) == OCIDIG_OK)
    for (size_t i = 0; i < a->n_warnings; i++)
      rwarn(r, false, "%s", a->warnings[i]);
  ocidig_docker_archive_free(a);
}

ocidig_code oci_docker_hybrid_notes(oci_view *v, char ***out, size_t *n, ocidig_error *err)
{
  const ocidig_docker_archive *a = NULL;
  ocidig_docker_archive tmp;
  ocidig_error e;
  ocidig_code rc;
  OCI_REQUIRE(out, "out", err);
  OCI_REQUIRE(n, "n", err);
  *out = NULL;
  *n = 0;
  OCI_REQUIRE(v, "the view", err);
  if (oci_view_format(v) != OCIDIG_FORMAT_HYBRID)
    return OCIDIG_OK;
  if ((rc = oci_view_docker_archive(v, &a, &e)) == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK)
    return oci_strv_push(out, n, "manifest.json (docker save) could not be read; index.json is used")
             ? OCIDIG_OK
             : oci_nomem(err);
  if (!a)
    return OCIDIG_OK;
  /* The view's copy stays as read: the comparison adds its warnings to a shallow copy. */
  tmp = *a;
  tmp.warnings = NULL;
  tmp.n_warnings = 0;
  for (size_t i = 0; i < a->n_warnings; i++)
    if (!oci_strv_push(&tmp.warnings, &tmp.n_warnings, a->warnings[i])) {
      oci_strv_free(tmp.warnings, tmp.n_warnings);
      return oci_nomem(err);
    }
  if ((rc = ocidig_docker_archive_compare(oci_view_layout(v), &tmp, &e)) == OCIDIG_ERR_NOMEM) {
    oci_strv_free(tmp.warnings, tmp.n_warnings);
    return oci_nomem(err);
  }
  *out = tmp.warnings;
  *n = tmp.n_warnings;
  return OCIDIG_OK;
}
