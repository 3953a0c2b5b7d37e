/* scope.c: the scope of a verification: --ref and --platform keep the entries of index.json and the
 * manifests that ocidig_resolve picks for each image (the walk descends into those only). */
#include "verify.h"

#include "graph.h"

/* ----------------------------------------------------------------- scope */

static bool ends_with_tag(const char *name, const char *tag)
{
  size_t n = strlen(name), t = strlen(tag);
  return n > t && name[n - t - 1] == ':' && !strcmp(name + n - t, tag);
}

static void scope_mark(vstate *v, const char *digest_string)
{
  ocidig_digest d;
  size_t bi;
  if (!digest_string || ocidig_digest_parse(digest_string, strlen(digest_string), &d, NULL) != OCIDIG_OK)
    return;
  if ((bi = oci_vblob_get(v, &d)) != NONE)
    v->blobs[bi].scope = true;
}

/* Marks what resolve picks for one image under --platform. */
static void scope_from_resolution(vstate *v, long image, const ocidig_resolution *res, const char *name)
{
  bool selected_manifest = false, missing_taken = false, any = false;
  for (size_t i = 0; i < res->n_rows; i++) {
    const ocidig_row *row = &res->rows[i];
    switch (row->verdict) {
    case OCIDIG_VERDICT_SELECTED:
      scope_mark(v, row->desc.digest_string);
      if (ocidig_media_type_kind(row->desc.media_type) == OCIDIG_KIND_MANIFEST)
        selected_manifest = true;
      any = true;
      break;
    case OCIDIG_VERDICT_ERROR:
      scope_mark(v, row->desc.digest_string);
      any = true;
      break;
    case OCIDIG_VERDICT_BLOB_MISSING:
      /* The preferred candidate is absent: the request names it. */
      if (!selected_manifest && !missing_taken) {
        scope_mark(v, row->desc.digest_string);
        missing_taken = true;
        any = true;
      }
      break;
    default:
      break;
    }
  }
  if (res->outcome == OCIDIG_OUTCOME_NO_MATCH && !any) {
    oci_buf b = {0};
    for (size_t i = 0; i < res->n_rows; i++) {
      const ocidig_row *row = &res->rows[i];
      char *f;
      if (!row->desc.has_platform || ocidig_media_type_kind(row->desc.media_type) != OCIDIG_KIND_MANIFEST)
        continue;
      if ((f = ocidig_platform_format(&row->desc.platform)) != NULL) {
        oci_buf_printf(&b, "%s%s", b.len ? ", " : "", f);
        free(f);
      }
    }
    oci_finding_add(v, (vctx){image, -1}, VF_PLATFORM_NOT_FOUND, NULL, NULL,
                    "image %s has no manifest for %s (platforms there: %s)", name, res->request ? res->request : "?",
                    b.len ? b.s : "none listed");
    oci_buf_free(&b);
  }
  if (res->outcome == OCIDIG_OUTCOME_SELECTED && res->selected_has_platform && v->o->matcher &&
      !oci_verify_match(v, v->o->matcher, &res->selected_platform)) {
    char *f = ocidig_platform_format(&res->selected_platform);
    oci_finding_add(v, (vctx){image, -1}, VF_PLATFORM_MISMATCH, res->selected.digest_string, NULL,
                    "image %s is a single manifest for %s, not %s; it is verified because resolve selects it", name,
                    f ? f : "?", res->request ? res->request : "?");
    free(f);
  }
}

/* What resolve picks for ref (index.json is the graph's, read once for every ref).  With
 * entries (the positions of index.json's entries by digest, loaded once): "@DIGEST" finds its
 * entry without a pass over all of them, so that N entries cost N, not N^2. */
static ocidig_code resolve_for(vstate *v, const ocidig_matcher *m, const char *ref, const oci_entries *entries,
                               ocidig_resolution **res)
{
  ocidig_resolve_options ro = {.matcher = m, .host = v->host, .ref = ref};
  ocidig_error e;
  ocidig_code rc = entries ? oci_resolve_entry(v->l, &ro, entries, res, &e) : ocidig_resolve(v->l, &ro, res, &e);
  if (!*res) {
    v->nomem = true;
    return OCIDIG_ERR_NOMEM;
  }
  return rc;
}

/* Which entries of index.json are images here (--ref), and what --platform selects.  The
 * entries are the graph's (kids), each made verify's descriptor when it is looked at. */
ocidig_code oci_verify_scope(vstate *v, const oci_gdesc *kids, size_t n, const char *what, bool *is_image)
{
  const char *ref = v->o->ref;
  ocidig_resolution *res = NULL;
  oci_entries *entries;
  ocidig_code rc;
  if (!ref) {
    for (size_t i = 0; i < n; i++)
      is_image[i] = true;
  } else {
    const char *picked;
    size_t hit = NONE;
    rc = resolve_for(v, v->o->matcher, ref, NULL, &res);
    if (rc == OCIDIG_ERR_REF_NOT_FOUND || rc == OCIDIG_ERR_REF_AMBIGUOUS || rc == OCIDIG_ERR_NOMEM) {
      if (res)
        v->r->error = res->error;
      ocidig_resolution_free(res);
      return rc;
    }
    picked = res->n_rows ? res->rows[0].desc.digest_string : NULL;
    for (int pass = 0; pass < 3 && hit == NONE && picked; pass++)
      for (size_t i = 0; i < n && hit == NONE; i++) {
        vdesc d;
        oci_vkid(v, kids, i, what, &d);
        /* the digest as written: one of an unregistered algorithm is picked too (not verified) */
        if (oci_streq(kids[i].digest, picked) &&
            (pass == 2 || ref[0] == '@' ||
             (pass == 0 && (oci_streq(d.ref_name, ref) || oci_streq(d.containerd_name, ref))) ||
             (pass == 1 && ((d.ref_name && ends_with_tag(d.ref_name, ref)) ||
                            (d.containerd_name && ends_with_tag(d.containerd_name, ref))))))
          hit = i;
        oci_vdesc_clear(&d);
      }
    if (hit != NONE) {
      is_image[hit] = true;
      if (v->o->matcher) {
        vdesc d;
        oci_vkid(v, kids, hit, what, &d);
        scope_from_resolution(v, 0, res, oci_vdesc_image_name(&d) ? oci_vdesc_image_name(&d) : d.digest);
        oci_vdesc_clear(&d);
      }
    }
    ocidig_resolution_free(res);
    return OCIDIG_OK;
  }
  if (!v->o->matcher)
    return OCIDIG_OK;
  if (!(entries = oci_entries_load(v->l))) {
    v->nomem = true;
    return OCIDIG_ERR_NOMEM;
  }
  /* Every entry is an image, as ls shows it: one whose descriptor names another platform is
   * verified when resolve --ref selects it (doc/resolution.md 5.3: the root row is never
   * platform-checked; a warning says that its platform is not the one asked for). */
  for (size_t i = 0, k = 0; i < n; i++) {
    char at[OCIDIG_DIGEST_STRING_MAX + 2];
    size_t bi;
    vdesc d;
    if (!is_image[i])
      continue;
    oci_vkid(v, kids, i, what, &d);
    if (!d.digest_ok) {
      oci_vdesc_clear(&d);
      k++;
      continue;
    }
    /* An entry with the digest of an earlier one resolves to the same: its scope is marked
     * and its findings are reported once, with the first (the walk lists its platforms once
     * too).  Resolving it again for each of N entries cost N walks of it. */
    if ((bi = oci_vblob_get(v, &d.d)) != NONE) {
      if (v->blobs[bi].entry_scoped) {
        oci_vdesc_clear(&d);
        k++;
        continue;
      }
      v->blobs[bi].entry_scoped = true;
    }
    snprintf(at, sizeof at, "@%s", d.digest);
    rc = resolve_for(v, v->o->matcher, at, entries, &res);
    if (rc == OCIDIG_ERR_NOMEM) {
      ocidig_resolution_free(res);
      oci_entries_free(entries);
      oci_vdesc_clear(&d);
      return rc;
    }
    scope_from_resolution(v, (long)k, res, oci_vdesc_image_name(&d) ? oci_vdesc_image_name(&d) : d.digest);
    ocidig_resolution_free(res);
    oci_vdesc_clear(&d);
    k++;
  }
  oci_entries_free(entries);
  return OCIDIG_OK;
}
