/* audit.c: ocidig audit: every source of a bundle verified (on worker threads, a source each
 * at a time) and listed, what each holds kept in a compact form, then the whole held
 * against a lock (lock_read.c): images missing, extra, retagged (drift), platforms and
 * blobs missing, documents and blobs corrupt.  One row per source x image x platform. */
#include "internal.h"
#include "audit_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a source holds, kept once its listing and report are freed. */
typedef struct a_plat {
  char *platform, *manifest;
  bool present, attestation;
  size_t n_errors;
  char *error;   /* the first error finding's message */
  char **absent; /* digests of the blobs it needs that the source lacks */
  size_t n_absent;
} a_plat;

typedef struct a_image {
  char *digest;
  bool attachment;        /* itself a signature or attestation (verify says) */
  size_t n_signatures, n_verified;
  char *sig_reason;       /* why the first signature that did not verify did not */
  char **predicates;      /* the predicate types of the attestations attached to it */
  size_t n_predicates;
  char **names;
  size_t n_names;
  a_plat *plats;
  size_t n_plats;
  size_t n_errors; /* of the image itself (not of a platform) */
  char *error;
} a_image;

typedef struct a_source {
  const char *name;
  ocidig_code code; /* OCIDIG_OK: read; else why not (error) */
  char *error;
  a_image *imgs;
  size_t n_imgs;
  size_t n_errors; /* findings of the layout as a whole */
  char *layout_error;
  uint64_t bytes_hashed;
  char **present; /* the blobs its images need that it holds */
  size_t n_present;
} a_source;

const char *ocidig_audit_status_name(ocidig_audit_status s)
{
  static const char *const names[] = {"ok",         "missing",    "extra",    "drift",     "corrupt",
                                      "incomplete", "unreadable", "unsigned", "unattested"};
  return (unsigned)s < sizeof names / sizeof *names ? names[s] : "unknown";
}

void ocidig_audit_options_init(ocidig_audit_options *o)
{
  if (o)
    memset(o, 0, sizeof *o);
}

static void source_clear(a_source *s)
{
  free(s->error);
  free(s->layout_error);
  for (size_t i = 0; i < s->n_imgs; i++) {
    a_image *m = &s->imgs[i];
    free(m->digest);
    free(m->error);
    free(m->sig_reason);
    oci_strv_free(m->predicates, m->n_predicates);
    oci_strv_free(m->names, m->n_names);
    for (size_t j = 0; j < m->n_plats; j++) {
      free(m->plats[j].platform);
      free(m->plats[j].manifest);
      free(m->plats[j].error);
      oci_strv_free(m->plats[j].absent, m->plats[j].n_absent);
    }
    free(m->plats);
  }
  free(s->imgs);
  oci_strv_free(s->present, s->n_present);
}

/* An error finding that says the source is corrupt: a blob absent (blob-missing) is not one
 * (whether it should be there is the lock's question, and another source may hold it). */
static bool corrupting(const ocidig_finding *f)
{
  return f->severity == OCIDIG_SEVERITY_ERROR && strcmp(f->code, "blob-missing") != 0;
}

/* The first such finding of (image, platform) in the report; NULL: none. */
static const char *first_error(const ocidig_verify_report *r, long image, long platform)
{
  for (size_t i = 0; i < r->n_findings; i++) {
    const ocidig_finding *f = &r->findings[i];
    if (corrupting(f) && f->image == image && f->platform == platform)
      return f->message;
  }
  return NULL;
}

static int img_digest_cmp(const void *a, const void *b)
{
  const a_image *x = *(const a_image *const *)a, *y = *(const a_image *const *)b;
  return strcmp(x->digest ? x->digest : "", y->digest ? y->digest : "");
}

/* The compact form of a source from its listing (with blobs) and its verify report. */
static bool source_keep(a_source *s, const ocidig_listing *l, const ocidig_verify_report *r)
{
  const char *e;
  s->bytes_hashed = r->summary.bytes_hashed;
  for (size_t i = 0; i < r->n_findings; i++)
    s->n_errors += corrupting(&r->findings[i]) && r->findings[i].image < 0;
  if ((e = first_error(r, -1, -1)) && !(s->layout_error = oci_strdup(e)))
    return false;
  if (!(s->imgs = calloc(l->n_images + 1, sizeof *s->imgs)))
    return false;
  for (size_t i = 0; i < l->n_images; i++) {
    const ocidig_list_image *li = &l->images[i];
    a_image *m = &s->imgs[s->n_imgs++];
    if ((li->digest && !(m->digest = oci_strdup(li->digest))) || !(m->plats = calloc(li->n_rows + 1, sizeof *m->plats)))
      return false;
    for (size_t j = 0; j < li->n_names; j++)
      if (!oci_strv_push(&m->names, &m->n_names, li->names[j]))
        return false;
    for (size_t j = 0; j < li->n_attached; j++)
      if (li->attached[j].kind == OCIDIG_ATTACHED_ATTESTATION)
        for (size_t q = 0; q < li->attached[j].n_predicate_types; q++)
          if (!oci_strv_push(&m->predicates, &m->n_predicates, li->attached[j].predicate_types[q]))
            return false;
    for (size_t j = 0; j < li->n_rows; j++) {
      const ocidig_list_row *row = &li->rows[j];
      a_plat *p = &m->plats[m->n_plats++];
      p->present = row->present;
      p->attestation = row->attestation_of != NULL;
      if ((row->platform && !(p->platform = oci_strdup(row->platform))) ||
          (row->manifest && !(p->manifest = oci_strdup(row->manifest))))
        return false;
      for (size_t k = 0; k < row->n_blob_list; k++)
        if (!oci_strv_push(row->blob_list[k].present ? &s->present : &p->absent,
                           row->blob_list[k].present ? &s->n_present : &p->n_absent, row->blob_list[k].digest))
          return false;
    }
    for (size_t j = 0; j < li->n_index_blobs; j++) /* an absent index: the image's own */
      if (li->index_blobs[j].present ? !oci_strv_push(&s->present, &s->n_present, li->index_blobs[j].digest)
                                     : m->n_plats && !oci_strv_push(&m->plats[0].absent, &m->plats[0].n_absent,
                                                                    li->index_blobs[j].digest))
        return false;
  }
  /* verify's findings (one pass), by image digest and manifest digest (verify has a row per
   * index.json entry; the listing one per digest) */
  {
    a_image **by = calloc(s->n_imgs + 1, sizeof *by);
    a_image **vm = calloc(r->n_images + 1, sizeof *vm);
    bool ok = by && vm;
    for (size_t i = 0; ok && i < s->n_imgs; i++)
      by[i] = &s->imgs[i];
    if (ok && s->n_imgs)
      qsort(by, s->n_imgs, sizeof *by, img_digest_cmp);
    for (size_t i = 0; ok && i < r->n_images; i++) {
      a_image key = {.digest = r->images[i].digest}, *kp = &key, **hit;
      hit = r->images[i].digest && s->n_imgs ? bsearch(&kp, by, s->n_imgs, sizeof *by, img_digest_cmp) : NULL;
      vm[i] = hit ? *hit : NULL;
      if (vm[i]) { /* verify has a row per index.json entry: an image named twice, counted once */
        vm[i]->attachment = vm[i]->attachment || r->images[i].attachment;
        if (r->images[i].n_signatures > vm[i]->n_signatures)
          vm[i]->n_signatures = r->images[i].n_signatures;
        if (r->images[i].n_verified > vm[i]->n_verified)
          vm[i]->n_verified = r->images[i].n_verified;
      }
    }
    /* why an image's signatures fail: the first of them that does not verify */
    for (size_t g = 0; ok && g < r->n_signatures; g++) {
      const ocidig_sig_check *c = &r->signatures[g];
      a_image key = {.digest = (char *)c->subject}, *kp = &key, **hit;
      if (c->verdict == OCIDIG_SIG_VERIFIED || !s->n_imgs)
        continue;
      hit = bsearch(&kp, by, s->n_imgs, sizeof *by, img_digest_cmp);
      if (hit && !(*hit)->sig_reason) {
        char buf[OCIDIG_ERROR_MESSAGE_MAX + 64];
        snprintf(buf, sizeof buf, "%s: %s", ocidig_sig_verdict_name(c->verdict), c->reason);
        ok = ((*hit)->sig_reason = oci_strdup(buf)) != NULL;
      }
    }
    for (size_t f = 0; ok && f < r->n_findings; f++) {
      const ocidig_finding *fd = &r->findings[f];
      a_image *m;
      a_plat *p = NULL;
      const char *man;
      if (!corrupting(fd) || fd->image < 0 || (size_t)fd->image >= r->n_images || !(m = vm[fd->image]))
        continue;
      if (fd->platform >= 0 && (size_t)fd->platform < r->images[fd->image].n_platforms &&
          (man = r->images[fd->image].platforms[fd->platform].manifest))
        for (size_t k = 0; k < m->n_plats && !p; k++) /* an image's platforms: few */
          if (m->plats[k].manifest && !strcmp(man, m->plats[k].manifest))
            p = &m->plats[k];
      if (p) {
        p->n_errors++;
        ok = p->error || (p->error = oci_strdup(fd->message));
      } else {
        m->n_errors++;
        ok = m->error || (m->error = oci_strdup(fd->message));
      }
    }
    free(by);
    free(vm);
    if (!ok)
      return false;
  }
  return true;
}

/* One source: opened, verified (its blobs hashed as it is read), listed with its blobs. */
static void source_scan(a_source *s, const ocidig_audit_options *o, unsigned threads)
{
  ocidig_open_options oo = {0};
  ocidig_layout *layout = NULL;
  ocidig_verify_report *r = NULL;
  ocidig_listing *l = NULL;
  ocidig_verify_options vo = {.host = o->host, .deep = o->deep, .threads = threads,
                              .trust = o->require_signature ? o->trust : NULL};
  ocidig_list_options lo = {.host = o->host, .blobs = true};
  ocidig_error err = {0};
  if (o->open)
    oo = *o->open;
  oo.flags |= OCIDIG_OPEN_HASH_BLOBS | (o->deep ? OCIDIG_OPEN_READ_LAYERS : 0);
  oo.progress = NULL;
  s->code = ocidig_layout_open(s->name, &oo, &layout, &err);
  if (s->code == OCIDIG_OK)
    s->code = ocidig_verify(layout, &vo, &r, &err);
  if (s->code == OCIDIG_OK)
    s->code = ocidig_list(layout, &lo, &l, &err);
  if (s->code == OCIDIG_OK && !source_keep(s, l, r))
    s->code = OCIDIG_ERR_NOMEM;
  if (s->code == OCIDIG_ERR_NOMEM && !err.message[0])
    oci_nomem(&err);
  if (s->code != OCIDIG_OK)
    s->error = oci_strdup(err.message);
  ocidig_verify_report_free(r);
  ocidig_listing_free(l);
  ocidig_layout_close(layout);
}

/* ------------------------------------------------------------------ workers */

typedef struct a_pool {
  pthread_mutex_t mu;
  size_t next, done, n;
  uint64_t bytes;
  a_source *src;
  const ocidig_audit_options *o;
  unsigned threads; /* hashing threads per source */
} a_pool;

static void *worker(void *arg)
{
  a_pool *p = arg;
  for (;;) {
    size_t i;
    pthread_mutex_lock(&p->mu);
    if (p->next >= p->n || (p->o->stop && *p->o->stop)) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    i = p->next++;
    pthread_mutex_unlock(&p->mu);
    source_scan(&p->src[i], p->o, p->threads);
    pthread_mutex_lock(&p->mu);
    p->done++;
    p->bytes += p->src[i].bytes_hashed;
    if (p->o->progress)
      p->o->progress(p->o->progress_ctx, p->done, p->n, p->bytes);
    pthread_mutex_unlock(&p->mu);
  }
}

/* ------------------------------------------------------------------ rows */

typedef struct a_rows {
  ocidig_audit *a;
  size_t cap;
  bool nomem;
} a_rows;

static ocidig_audit_row *add_row(a_rows *w, const char *source, const char *image, const char *digest,
                                 const char *platform, const char *manifest, ocidig_audit_status st, const char *fmt,
                                 ...) OCI_PRINTF(8, 9);
static ocidig_audit_row *add_row(a_rows *w, const char *source, const char *image, const char *digest,
                                 const char *platform, const char *manifest, ocidig_audit_status st, const char *fmt,
                                 ...)
{
  ocidig_audit_row *r;
  if (w->nomem || !oci_grow((void **)&w->a->rows, &w->cap, w->a->n_rows + 1, sizeof *r)) {
    w->nomem = true;
    return NULL;
  }
  r = &w->a->rows[w->a->n_rows];
  memset(r, 0, sizeof *r);
  r->source = source;
  r->status = st;
  if ((image && !(r->image = oci_strdup(image))) || (digest && !(r->digest = oci_strdup(digest))) ||
      (platform && !(r->platform = oci_strdup(platform))) || (manifest && !(r->manifest = oci_strdup(manifest)))) {
    free(r->image);
    free(r->digest);
    free(r->platform);
    w->nomem = true;
    return NULL;
  }
  if (fmt) {
    va_list ap;
    char buf[1024];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!(r->detail = oci_strdup(buf))) {
      free(r->image);
      free(r->digest);
      free(r->platform);
      free(r->manifest);
      w->nomem = true;
      return NULL;
    }
  }
  w->a->n_rows++;
  w->a->counts[st]++;
  return r;
}

/* A lock image that has one of these names under another digest and that no source holds
 * by its digest (the image was retagged); NULL: none (a tag the lock gives an image that
 * is here too names another image: an extra one, not a drift). */
static const oci_lock_image *lock_find_name(const ocidig_lock *k, const unsigned char *seen, const char *const *names,
                                            size_t n, const char **which)
{
  const oci_lock_image *any = NULL;
  for (size_t i = 0; k && i < k->n_images; i++)
    for (size_t j = 0; j < k->images[i].n_names; j++)
      for (size_t q = 0; q < n; q++)
        if (!strcmp(k->images[i].names[j], names[q])) {
          if (seen[i] != 1 && !any) {
            *which = names[q];
            any = &k->images[i];
          }
        }
  return any;
}

static size_t lock_name_index(const oci_lock_image *li, const char *name)
{
  for (size_t j = 0; j < li->n_names; j++)
    if (!strcmp(li->names[j], name))
      return j;
  return SIZE_MAX;
}

static bool lock_blob_present(const oci_lock_image *m, const char *digest)
{
  for (size_t i = 0; i < m->n_blobs; i++)
    if (!strcmp(m->blobs[i].digest, digest))
      return m->blobs[i].present;
  return false;
}

static const char *image_label(const char *const *names, size_t n, const char *digest)
{
  return n ? names[0] : digest ? digest : "-";
}

/* --require-platform: does the image hold a manifest (not an attestation) whose platform
 * the matcher accepts?  The platform as the listing formatted it, parsed back. */
static bool image_offers(const a_image *m, const ocidig_matcher *mt, const ocidig_platform *host)
{
  for (size_t i = 0; i < m->n_plats; i++) {
    const a_plat *p = &m->plats[i];
    ocidig_platform pl = {0};
    ocidig_error e;
    bool ok;
    if (!p->present || p->attestation || !p->platform || ocidig_platform_parse(p->platform, host, &pl, &e) != OCIDIG_OK)
      continue;
    ok = ocidig_matcher_match(mt, &pl);
    ocidig_platform_clear(&pl);
    if (ok)
      return true;
  }
  return false;
}

/* --require-attestation: a predicate type as a URI, or cosign's --type names. */
static bool predicate_is(const char *have, const char *want)
{
  static const struct {
    const char *name, *prefix;
  } names[] = {
    {"slsaprovenance", "https://slsa.dev/provenance/"}, {"slsaprovenance02", "https://slsa.dev/provenance/v0.2"},
    {"slsaprovenance1", "https://slsa.dev/provenance/v1"}, {"spdx", "https://spdx.dev/Document"},
    {"spdxjson", "https://spdx.dev/Document"}, {"cyclonedx", "https://cyclonedx.org/bom"},
    {"vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"}, {"openvex", "https://openvex.dev/ns"},
  };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (!strcmp(want, names[i].name))
      return !strncmp(have, names[i].prefix, strlen(names[i].prefix));
  return !strcmp(have, want);
}

static bool has_predicate(const a_image *m, const char *want)
{
  for (size_t i = 0; i < m->n_predicates; i++)
    if (predicate_is(m->predicates[i], want))
      return true;
  return false;
}

static int pstr_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Does any source hold the blob?  held: every source's present blobs, sorted. */
static bool bundle_holds(const char *const *held, size_t n, const char *digest)
{
  return n && bsearch(&digest, held, n, sizeof *held, pstr_cmp) != NULL;
}

/* seen: for each image of the lock, whether a source holds it (2: an image of its name
 * does, under another digest).  A blob a source lacks is
 * missing only when the lock has it and no source of the bundle holds it: a bundle is its
 * images, however they are spread over the sources. */
static void compare(a_rows *w, a_source *src, size_t n, const ocidig_lock *k, unsigned char *seen,
                    const ocidig_audit_options *o)
{
  const char **held;
  size_t n_held = 0, *name_at = NULL; /* name_at[i]: where image i's names start in named */
  unsigned char *named = NULL;        /* a name of the lock that a source gives its image */
  for (size_t i = 0; i < n; i++)
    n_held += src[i].n_present;
  if (!(held = calloc(n_held + 1, sizeof *held)) || (k && !(name_at = calloc(k->n_images + 1, sizeof *name_at)))) {
    free(held);
    w->nomem = true;
    return;
  }
  for (size_t i = 0; k && i < k->n_images; i++)
    name_at[i + 1] = name_at[i] + k->images[i].n_names;
  if (k && !(named = calloc(name_at[k->n_images] + 1, 1))) {
    free(held);
    free(name_at);
    w->nomem = true;
    return;
  }
  n_held = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < src[i].n_present; j++)
      held[n_held++] = src[i].present[j];
  if (n_held)
    qsort(held, n_held, sizeof *held, pstr_cmp);
  for (size_t i = 0; k && i < n; i++) /* first every image the bundle holds by its digest */
    for (size_t j = 0; j < src[i].n_imgs; j++) {
      const oci_lock_image *li = oci_lock_find(k, src[i].imgs[j].digest);
      if (li)
        seen[li - k->images] = 1;
    }
  for (size_t i = 0; i < n; i++) {
    a_source *s = &src[i];
    if (s->code != OCIDIG_OK) {
      add_row(w, s->name, NULL, NULL, NULL, NULL, OCIDIG_AUDIT_UNREADABLE, "%s (%s)", oci_str(s->error),
              ocidig_code_name(s->code));
      continue;
    }
    if (s->n_errors)
      add_row(w, s->name, NULL, NULL, NULL, NULL, OCIDIG_AUDIT_CORRUPT, "%zu error%s in the layout: %s", s->n_errors,
              s->n_errors == 1 ? "" : "s", oci_str(s->layout_error));
    for (size_t j = 0; j < s->n_imgs; j++) {
      a_image *m = &s->imgs[j];
      const char *label = image_label((const char *const *)m->names, m->n_names, m->digest);
      const oci_lock_image *li = oci_lock_find(k, m->digest);
      if (k && !li) {
        const char *name = NULL;
        const oci_lock_image *other = lock_find_name(k, seen, (const char *const *)m->names, m->n_names, &name);
        if (other && !seen[other - k->images])
          seen[other - k->images] = 2;
        if (other)
          add_row(w, s->name, label, m->digest, NULL, NULL, OCIDIG_AUDIT_DRIFT, "%s is %s here, %s in the lock", name,
                  oci_str(m->digest), oci_str(other->digest));
        else
          add_row(w, s->name, label, m->digest, NULL, NULL, OCIDIG_AUDIT_EXTRA, "not in the lock");
        /* and checked as any image is: only what is wrong with it gets a row */
      }
      if (li) {
        size_t at = name_at[li - k->images];
        seen[li - k->images] = 1;
        /* Names are in index.json (manifest.json), which no digest covers: a name changed in
         * transit is drift too.  Each name here must be one the lock gives this digest. */
        for (size_t q = 0; q < m->n_names; q++) {
          size_t x = lock_name_index(li, m->names[q]);
          if (x != SIZE_MAX)
            named[at + x] = 1;
          else
            add_row(w, s->name, label, m->digest, NULL, NULL, OCIDIG_AUDIT_DRIFT, "named %s here, not in the lock (%s%s)",
                    m->names[q], li->n_names ? "the lock names it " : "unnamed there",
                    li->n_names ? li->names[0] : "");
        }
      }
      if (m->n_errors)
        add_row(w, s->name, label, m->digest, NULL, NULL, OCIDIG_AUDIT_CORRUPT, "%s", oci_str(m->error));
      if (o->require_signature && !m->attachment && !m->n_verified)
        add_row(w, s->name, label, m->digest, NULL, NULL, OCIDIG_AUDIT_UNSIGNED, "%s",
                m->sig_reason ? m->sig_reason
                : m->n_signatures ? "no signature of it verifies (--require-signature)"
                                  : "no signature attached (--require-signature)");
      for (size_t q = 0; q < o->n_require_attestations && !m->attachment; q++)
        if (!has_predicate(m, o->require_attestations[q]))
          add_row(w, s->name, label, m->digest, NULL, NULL, OCIDIG_AUDIT_UNATTESTED,
                  "no %s attestation attached (--require-attestation)", o->require_attestations[q]);
      for (size_t q = 0; q < o->n_require_platforms && !m->attachment; q++)
        if (!image_offers(m, o->require_platforms[q], o->host))
          add_row(w, s->name, label, m->digest, o->require_platform_names[q], NULL, OCIDIG_AUDIT_MISSING,
                  "no manifest for %s here (--require-platform)", o->require_platform_names[q]);
      for (size_t q = 0; q < m->n_plats; q++) {
        a_plat *p = &m->plats[q];
        size_t expected = 0;
        const char *first = NULL;
        if (p->n_errors) {
          add_row(w, s->name, label, m->digest, p->platform, p->manifest, OCIDIG_AUDIT_CORRUPT, "%s",
                  oci_str(p->error));
          continue;
        }
        for (size_t b = 0; b < p->n_absent; b++)
          if (!bundle_holds(held, n_held, p->absent[b]) && (!li || lock_blob_present(li, p->absent[b]))) {
            expected++;
            first = first ? first : p->absent[b];
          }
        if (expected)
          add_row(w, s->name, label, m->digest, p->platform, p->manifest,
                  li ? OCIDIG_AUDIT_MISSING : OCIDIG_AUDIT_INCOMPLETE, "%zu blob%s not here%s: %s", expected,
                  expected == 1 ? "" : "s", li ? " (the lock has them)" : "", first);
        else if (!k || li)
          add_row(w, s->name, label, m->digest, p->platform, p->manifest, OCIDIG_AUDIT_OK, NULL);
      }
    }
  }
  /* What the lock expects that no source holds (an image whose digest a source holds has
   * the same platforms there: its rows above say what of it is missing). */
  for (size_t i = 0; k && i < k->n_images; i++) {
    const oci_lock_image *li = &k->images[i];
    if (!seen[i])
      add_row(w, NULL, image_label((const char *const *)li->names, li->n_names, li->digest), li->digest, NULL, NULL,
              OCIDIG_AUDIT_MISSING, "in the lock (from %s), in no source", oci_str(li->n_sources ? li->sources[0] : NULL));
    else if (seen[i] == 1) /* ... and each name the lock gives it, a source must give it */
      for (size_t j = 0; j < li->n_names; j++)
        if (!named[name_at[i] + j])
          add_row(w, NULL, image_label((const char *const *)li->names, li->n_names, li->digest), li->digest, NULL,
                  NULL, OCIDIG_AUDIT_DRIFT, "named %s in the lock, by no source here", li->names[j]);
  }
  free(held);
  free(name_at);
  free(named);
}

void ocidig_audit_free(ocidig_audit *a)
{
  if (!a)
    return;
  for (size_t i = 0; i < a->n_rows; i++) {
    free(a->rows[i].image);
    free(a->rows[i].digest);
    free(a->rows[i].platform);
    free(a->rows[i].manifest);
    free(a->rows[i].detail);
  }
  free(a->rows);
  oci_strv_free(a->sources, a->n_sources);
  free(a);
}

ocidig_code ocidig_audit_run(const char *const *sources, size_t n, const ocidig_audit_options *o, ocidig_audit **out,
                             ocidig_error *err)
{
  ocidig_audit_options none = {0};
  a_pool p = {0};
  a_rows w = {0};
  pthread_t *t = NULL;
  unsigned jobs, started = 0;
  long cpus;
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(sources || !n, "the sources", err);
  if (!o)
    o = &none;
  cpus = sysconf(_SC_NPROCESSORS_ONLN);
  jobs = o->jobs ? o->jobs : (unsigned)(cpus > 0 ? cpus : 1);
  if (jobs > n)
    jobs = n ? (unsigned)n : 1;
  if (!(w.a = calloc(1, sizeof *w.a)) || !(p.src = calloc(n + 1, sizeof *p.src)) ||
      !(t = calloc(jobs, sizeof *t))) {
    free(w.a);
    free(p.src);
    return oci_nomem(err);
  }
  for (size_t i = 0; i < n; i++) {
    p.src[i].name = sources[i];
    p.src[i].code = OCIDIG_ERR_USAGE; /* not scanned (stopped) */
    if (!oci_strv_push(&w.a->sources, &w.a->n_sources, sources[i]))
      goto nomem;
  }
  p.n = n;
  p.o = o;
  p.threads = jobs > 1 ? 1 : 0; /* with several sources at once, one hashing thread each */
  pthread_mutex_init(&p.mu, NULL);
  {
    /* OpenSSL initializes itself on first use, thread-safely; done here once, before the
     * workers, so that race detectors (helgrind) see no first use on two threads. */
    char hex[129];
    (void)oci_hash_hex(OCIDIG_DIGEST_SHA256, "", 0, hex);
  }
  for (unsigned i = 0; i + 1 < jobs; i++) /* the caller's thread is a worker too */
    if (pthread_create(&t[started], NULL, worker, &p) == 0)
      started++;
  worker(&p);
  for (unsigned i = 0; i < started; i++)
    pthread_join(t[i], NULL);
  pthread_mutex_destroy(&p.mu);
  w.a->stopped = p.done < n;
  w.a->bytes_hashed = p.bytes;
  {
    /* A source not scanned (stopped) is left out; stopped, nothing is held against the lock
     * (what the lock expects may be in a source not read). */
    const ocidig_lock *k = w.a->stopped ? NULL : o->expect;
    unsigned char *seen = calloc(k ? k->n_images + 1 : 1, sizeof *seen);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (!(p.src[i].code == OCIDIG_ERR_USAGE && !p.src[i].error))
        p.src[m++] = p.src[i];
    w.a->n_scanned = m;
    if (!seen)
      w.nomem = true;
    else
      compare(&w, p.src, m, k, seen, o);
    free(seen);
    for (size_t i = 0; i < m; i++)
      source_clear(&p.src[i]);
  }
  free(p.src);
  free(t);
  if (w.nomem) {
    ocidig_audit_free(w.a);
    return oci_nomem(err);
  }
  *out = w.a;
  return OCIDIG_OK;
nomem:
  free(p.src);
  free(t);
  ocidig_audit_free(w.a);
  return oci_nomem(err);
}
