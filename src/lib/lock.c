/* lock.c: a lock file (ocidig ls --lock): what a bundle of sources holds, image by image, for
 * a receiver to hold the bundle against.  The text depends on the images only, not on how
 * they were packed: images are merged by digest across sources and sorted, and so are their
 * platforms and blobs, so that two locks of the same images are the same text and a drift
 * is a short diff.  Built from listings made with ocidig_list_options.blobs (list.c). */
#include "internal.h"
#include "json.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* One image of the lock: the listing's images with its digest, from every source. */
typedef struct lock_entry {
  const char *digest; /* "" when the listing has none */
  const char *media_type;
  const ocidig_list_image **imgs;
  size_t *src; /* the source of each of imgs */
  size_t n;
  const char **names; /* sorted, each once */
  size_t n_names;
} lock_entry;

static int str_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *nz(const char *s)
{
  return s ? s : "";
}

/* Named images first, by their first name; then by digest. */
static int entry_cmp(const void *pa, const void *pb)
{
  const lock_entry *a = pa, *b = pb;
  int c;
  if (!a->n_names != !b->n_names)
    return a->n_names ? -1 : 1;
  if (a->n_names && (c = strcmp(a->names[0], b->names[0])) != 0)
    return c;
  return strcmp(a->digest, b->digest);
}

static int row_cmp(const void *pa, const void *pb)
{
  const ocidig_list_row *a = *(const ocidig_list_row *const *)pa, *b = *(const ocidig_list_row *const *)pb;
  int c;
  if ((c = strcmp(nz(a->platform), nz(b->platform))) || (c = strcmp(nz(a->manifest), nz(b->manifest))) ||
      (c = strcmp(nz(a->attestation_of), nz(b->attestation_of))))
    return c;
  return strcmp(nz(a->media_type), nz(b->media_type));
}

static int blob_cmp(const void *pa, const void *pb)
{
  const ocidig_list_blob *a = *(const ocidig_list_blob *const *)pa, *b = *(const ocidig_list_blob *const *)pb;
  int c = strcmp(a->digest, b->digest);
  if (c)
    return c;
  return a->size < b->size ? -1 : a->size > b->size;
}

static void entries_free(lock_entry *e, size_t n)
{
  for (size_t i = 0; e && i < n; i++) {
    free(e[i].imgs);
    free(e[i].src);
    free(e[i].names);
  }
  free(e);
}

/* The images of every listing, in source order, to be grouped by digest. */
typedef struct lock_item {
  const ocidig_list_image *img;
  size_t src, pos;
} lock_item;

/* By digest (an image without one apart, by its position), then the order given. */
static int item_cmp(const void *pa, const void *pb)
{
  const lock_item *a = pa, *b = pb;
  int c;
  if (!a->img->digest != !b->img->digest)
    return a->img->digest ? -1 : 1;
  if (a->img->digest && (c = strcmp(a->img->digest, b->img->digest)) != 0)
    return c;
  return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* The images of every listing grouped by digest (an image without a digest stays alone). */
static bool entries_make(const ocidig_lock_source *s, size_t n_src, lock_entry **out, size_t *n_out)
{
  lock_entry *e = NULL;
  size_t n = 0, total = 0, k = 0;
  lock_item *it;
  for (size_t i = 0; i < n_src; i++)
    total += s[i].listing->n_images;
  if (!(it = calloc(total ? total : 1, sizeof *it)) || !(e = calloc(total ? total : 1, sizeof *e)))
    goto nomem;
  for (size_t i = 0; i < n_src; i++)
    for (size_t j = 0; j < s[i].listing->n_images; j++, k++)
      it[k] = (lock_item){.img = &s[i].listing->images[j], .src = i, .pos = k};
  if (total)
    qsort(it, total, sizeof *it, item_cmp);
  for (size_t i = 0; i < total;) {
    size_t end = i + 1, names = 0, m = 0;
    lock_entry *x = &e[n++];
    while (it[i].img->digest && end < total && it[end].img->digest && !strcmp(it[i].img->digest, it[end].img->digest))
      end++;
    x->digest = nz(it[i].img->digest);
    x->media_type = it[i].img->media_type;
    for (size_t j = i; j < end; j++)
      names += it[j].img->n_names;
    if (!(x->imgs = calloc(end - i, sizeof *x->imgs)) || !(x->src = calloc(end - i, sizeof *x->src)) ||
        !(x->names = calloc(names ? names : 1, sizeof *x->names)))
      goto nomem;
    for (size_t j = i; j < end; j++) {
      x->imgs[x->n] = it[j].img;
      x->src[x->n++] = it[j].src;
      for (size_t q = 0; q < it[j].img->n_names; q++)
        x->names[x->n_names++] = it[j].img->names[q];
    }
    if (x->n_names)
      qsort(x->names, x->n_names, sizeof *x->names, str_cmp);
    for (size_t j = 0; j < x->n_names; j++)
      if (!m || strcmp(x->names[m - 1], x->names[j]))
        x->names[m++] = x->names[j];
    x->n_names = m;
    i = end;
  }
  if (n)
    qsort(e, n, sizeof *e, entry_cmp);
  free(it);
  *out = e;
  *n_out = n;
  return true;
nomem:
  free(it);
  entries_free(e, n);
  return false;
}

static void put_string(oci_json_writer *w, const char *key, const char *s)
{
  oci_json_writer_put(w, key, s ? json_object_new_string(s) : NULL);
}

static void put_strings(oci_json_writer *w, const char *key, const char *const *v, size_t n)
{
  oci_json_writer_open(w, key, '[');
  for (size_t i = 0; i < n; i++)
    put_string(w, NULL, v[i]);
  oci_json_writer_close(w);
}

/* The platforms of an entry: every row of each of its images, sorted, each once. */
static bool write_platforms(oci_json_writer *w, const lock_entry *x, size_t *count)
{
  const ocidig_list_row **v;
  size_t n = 0, total = 0;
  for (size_t i = 0; i < x->n; i++)
    total += x->imgs[i]->n_rows;
  if (!(v = calloc(total ? total : 1, sizeof *v)))
    return false;
  for (size_t i = 0; i < x->n; i++)
    for (size_t j = 0; j < x->imgs[i]->n_rows; j++)
      v[n++] = &x->imgs[i]->rows[j];
  if (n)
    qsort(v, n, sizeof *v, row_cmp);
  oci_json_writer_open(w, "platforms", '[');
  for (size_t i = 0; i < n; i++) {
    const ocidig_list_row *r = v[i];
    bool present = r->present;
    if (i && !row_cmp(&v[i - 1], &v[i]))
      continue;
    for (size_t j = i + 1; j < n && !row_cmp(&v[i], &v[j]); j++)
      present = present || v[j]->present;
    oci_json_writer_open(w, NULL, '{');
    put_string(w, "platform", r->platform);
    put_string(w, r->is_index ? "index" : "manifest", r->manifest);
    put_string(w, "mediaType", r->media_type);
    if (r->attestation_of)
      put_string(w, "attestationOf", r->attestation_of);
    oci_json_writer_put(w, "present", json_object_new_boolean(present));
    oci_json_writer_close(w);
    (*count)++;
  }
  oci_json_writer_close(w);
  free(v);
  return true;
}

/* The blobs of an entry: its indexes' and every row's, sorted by digest, each once (present
 * in one source: present). */
static bool write_blobs(oci_json_writer *w, const lock_entry *x)
{
  const ocidig_list_blob **v;
  size_t n = 0, total = 0;
  for (size_t i = 0; i < x->n; i++) {
    const ocidig_list_image *img = x->imgs[i];
    total += img->n_index_blobs;
    for (size_t j = 0; j < img->n_rows; j++)
      total += img->rows[j].n_blob_list;
  }
  if (!(v = calloc(total ? total : 1, sizeof *v)))
    return false;
  for (size_t i = 0; i < x->n; i++) {
    const ocidig_list_image *img = x->imgs[i];
    for (size_t j = 0; j < img->n_index_blobs; j++)
      v[n++] = &img->index_blobs[j];
    for (size_t j = 0; j < img->n_rows; j++)
      for (size_t k = 0; k < img->rows[j].n_blob_list; k++)
        v[n++] = &img->rows[j].blob_list[k];
  }
  if (n)
    qsort(v, n, sizeof *v, blob_cmp);
  oci_json_writer_open(w, "blobs", '[');
  for (size_t i = 0; i < n; i++) {
    bool present = v[i]->present;
    if (i && !blob_cmp(&v[i - 1], &v[i]))
      continue;
    for (size_t j = i + 1; j < n && !blob_cmp(&v[i], &v[j]); j++)
      present = present || v[j]->present;
    oci_json_writer_open(w, NULL, '{');
    put_string(w, "digest", v[i]->digest);
    oci_json_writer_put(w, "size", json_object_new_int64(v[i]->size));
    put_string(w, "mediaType", v[i]->media_type);
    oci_json_writer_put(w, "present", json_object_new_boolean(present));
    oci_json_writer_close(w);
  }
  oci_json_writer_close(w);
  free(v);
  return true;
}

ocidig_code ocidig_lock_write_json(const ocidig_lock_source *sources, size_t n_sources, ocidig_sink sink,
                                   void *ctx, ocidig_error *err)
{
  oci_json_writer w;
  lock_entry *e = NULL;
  size_t n = 0, platforms = 0;
  OCI_REQUIRE(sources || !n_sources, "the sources", err);
  OCI_REQUIRE(sink, "the sink", err);
  for (size_t i = 0; i < n_sources; i++)
    OCI_REQUIRE(sources[i].name && sources[i].listing, "each source's name and listing", err);
  if (!entries_make(sources, n_sources, &e, &n))
    return oci_nomem(err);
  oci_json_writer_init_sink(&w, true, sink, ctx);
  oci_json_writer_open(&w, NULL, '{');
  oci_json_writer_put(&w, "lockVersion", json_object_new_int(1));
  oci_json_writer_open(&w, "sources", '[');
  for (size_t i = 0; i < n_sources; i++)
    put_string(&w, NULL, sources[i].name);
  oci_json_writer_close(&w);
  oci_json_writer_open(&w, "images", '[');
  for (size_t i = 0; i < n; i++) {
    const lock_entry *x = &e[i];
    const char **src = calloc(x->n, sizeof *src);
    size_t m = 0;
    if (!src)
      goto nomem;
    for (size_t j = 0; j < x->n; j++) { /* sources in the order given, each once */
      bool had = false;
      for (size_t k = 0; k < j; k++)
        had = had || x->src[k] == x->src[j];
      if (!had)
        src[m++] = sources[x->src[j]].name;
    }
    oci_json_writer_open(&w, NULL, '{');
    put_strings(&w, "names", x->names, x->n_names);
    put_string(&w, "digest", *x->digest ? x->digest : NULL);
    put_string(&w, "mediaType", x->media_type);
    put_strings(&w, "sources", src, m);
    free(src);
    if (!write_platforms(&w, x, &platforms) || !write_blobs(&w, x))
      goto nomem;
    oci_json_writer_close(&w);
  }
  oci_json_writer_close(&w);
  oci_json_writer_open(&w, "summary", '{');
  oci_json_writer_put(&w, "images", json_object_new_int64((int64_t)n));
  oci_json_writer_put(&w, "platforms", json_object_new_int64((int64_t)platforms));
  oci_json_writer_close(&w);
  oci_json_writer_close(&w);
  entries_free(e, n);
  return oci_json_writer_finish(&w, err);
nomem:
  entries_free(e, n);
  while (w.depth > 0)
    oci_json_writer_close(&w);
  (void)oci_json_writer_finish(&w, err);
  return oci_nomem(err);
}
