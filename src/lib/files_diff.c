/* files_diff.c: what differs between the merged trees of two images (ocidig diff's files
 * section): paths only in a (removed), only in b (added), and in both but not the same
 * (changed): type, mode, owner, size, link target, device numbers, content.  A path is
 * compared as written, no link followed (b's "usr/lib/x" is not a's when b's usr/lib is a
 * link).  Modification times are not compared: any two builds differ in them. */
#include "files_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fdiff {
  ocidig_files *a, *b;
  ocidig_diff_fn fn;
  void *ctx;
  size_t n;
  char ta[512], tb[512];
  char da[OCIDIG_DIGEST_STRING_MAX], db[OCIDIG_DIGEST_STRING_MAX];
} fdiff;

/* The entry at exactly `path` in t (no link followed on the way): found, or not. */
static bool find_exact(oci_tree *t, const char *path, oci_tree_item *it)
{
  return oci_tree_lookup(t, path, false, it) == OCI_TREE_FOUND && !strcmp(it->path, path);
}

/* The content's identity: the same layer blob and position hold the same bytes; else the
 * digests (loaded with digests) say. */
static bool same_content(fdiff *d, const oci_tree_item *x, const oci_tree_item *y, const char *dx, const char *dy)
{
  if (!x->has_data || !y->has_data)
    return x->has_data == y->has_data;
  if (x->data_ordinal == y->data_ordinal && x->data_layer < d->a->n_descs && y->data_layer < d->b->n_descs &&
      !strcmp(d->a->descs[x->data_layer].digest_string, d->b->descs[y->data_layer].digest_string))
    return true;
  return dx && dy && !strcmp(dx, dy);
}

static void describe(const oci_tree_item *it, const char *digest, char *buf, size_t n)
{
  int k = snprintf(buf, n, "%s %04" PRIo32 " %" PRId64 ":%" PRId64, ocidig_file_type_name(it->type), it->mode, it->uid,
                   it->gid);
  if (k < 0 || (size_t)k >= n)
    return;
  if (it->type == 'f' || it->type == 'h')
    k += snprintf(buf + k, n - (size_t)k, " %" PRId64 " bytes", it->size);
  if ((size_t)k < n && it->link)
    k += snprintf(buf + k, n - (size_t)k, " -> %s", it->link);
  if ((size_t)k < n && (it->type == 'c' || it->type == 'b'))
    k += snprintf(buf + k, n - (size_t)k, " %" PRIu32 ",%" PRIu32, it->devmajor, it->devminor);
  if ((size_t)k < n && digest)
    snprintf(buf + k, n - (size_t)k, " %s", digest);
}

static ocidig_code emit(fdiff *d, const char *path, ocidig_diff_change c, const char *a, const char *b,
                        ocidig_error *err)
{
  ocidig_diff_entry e = {.section = "files", .key = path, .change = c, .a = a, .b = b};
  d->n++;
  return d->fn ? d->fn(d->ctx, &e, err) : OCIDIG_OK;
}

/* An entry of a: removed, or changed (its twin in b looked up; a lookup in b leaves a's
 * item as it is). */
static ocidig_code in_a(void *ctx, const oci_tree_item *x, ocidig_error *err)
{
  fdiff *d = ctx;
  oci_tree_item y;
  const char *dx = oci_files_item_digest(d->a, x, d->da), *dy;
  describe(x, dx, d->ta, sizeof d->ta);
  if (!find_exact(d->b->tree, x->path, &y))
    return emit(d, x->path, OCIDIG_DIFF_REMOVED, d->ta, NULL, err);
  dy = oci_files_item_digest(d->b, &y, d->db);
  describe(&y, dy, d->tb, sizeof d->tb);
  if (x->type != y.type || x->mode != y.mode || x->uid != y.uid || x->gid != y.gid ||
      ((x->type == 'f' || x->type == 'h') && x->size != y.size) || !oci_streq(x->link, y.link) ||
      x->devmajor != y.devmajor || x->devminor != y.devminor || !same_content(d, x, &y, dx, dy))
    return emit(d, x->path, OCIDIG_DIFF_CHANGED, d->ta, d->tb, err);
  return OCIDIG_OK;
}

/* An entry of b: added when a has nothing at its path. */
static ocidig_code in_b(void *ctx, const oci_tree_item *y, ocidig_error *err)
{
  fdiff *d = ctx;
  oci_tree_item x;
  if (find_exact(d->a->tree, y->path, &x))
    return OCIDIG_OK;
  describe(y, oci_files_item_digest(d->b, y, d->db), d->tb, sizeof d->tb);
  return emit(d, y->path, OCIDIG_DIFF_ADDED, NULL, d->tb, err);
}

ocidig_code ocidig_files_diff(ocidig_files *a, ocidig_files *b, ocidig_diff_fn fn, void *ctx,
                              ocidig_diff_counts *counts, ocidig_error *err)
{
  fdiff *d;
  ocidig_code rc;
  OCI_REQUIRE(a, "a", err);
  OCI_REQUIRE(b, "b", err);
  if (a->one_layer || b->one_layer)
    return oci_fail(err, OCIDIG_ERR_USAGE, "ocidig_files_diff: the trees of whole images are compared, not one layer");
  if (!(d = calloc(1, sizeof *d)))
    return oci_nomem(err);
  d->a = a;
  d->b = b;
  d->fn = fn;
  d->ctx = ctx;
  rc = oci_tree_each(a->tree, NULL, in_a, d, NULL, err);
  if (rc == OCIDIG_OK)
    rc = oci_tree_each(b->tree, NULL, in_b, d, NULL, err);
  if (counts) {
    counts->differences = d->n;
    counts->layers_shared = 0;
  }
  free(d);
  return rc;
}
