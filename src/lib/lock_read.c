/* lock_read.c: a lock file (doc/lock.md, written by lock.c) read back for ocidig audit
 * --expect: its images, their platforms and blobs, in plain arrays (audit.c compares). */
#include "internal.h"
#include "audit_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static const char *get_str(json_object *o, const char *key)
{
  json_object *v;
  if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static bool get_bool(json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
         json_object_get_boolean(v);
}

static json_object *get_array(json_object *o, const char *key)
{
  json_object *v;
  if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
    return NULL;
  return v;
}

static int key_cmp(const void *a, const void *b)
{
  return strcmp(((const oci_lock_key *)a)->digest, ((const oci_lock_key *)b)->digest);
}

const oci_lock_image *oci_lock_find(const ocidig_lock *k, const char *digest)
{
  oci_lock_key key = {digest, 0};
  const oci_lock_key *hit;
  if (!k || !digest || !k->n_by_digest)
    return NULL;
  hit = bsearch(&key, k->by_digest, k->n_by_digest, sizeof key, key_cmp);
  return hit ? &k->images[hit->index] : NULL;
}

void ocidig_lock_free(ocidig_lock *k)
{
  if (!k)
    return;
  for (size_t i = 0; i < k->n_images; i++) {
    oci_lock_image *m = &k->images[i];
    free(m->digest);
    oci_strv_free(m->names, m->n_names);
    oci_strv_free(m->sources, m->n_sources);
    for (size_t j = 0; j < m->n_platforms; j++) {
      free(m->platforms[j].platform);
      free(m->platforms[j].manifest);
    }
    free(m->platforms);
    for (size_t j = 0; j < m->n_blobs; j++)
      free(m->blobs[j].digest);
    free(m->blobs);
  }
  free(k->images);
  free(k->by_digest);
  free(k->name);
  free(k);
}

/* The strings of a; false: out of memory. */
static bool read_strings(json_object *a, char ***v, size_t *n)
{
  for (size_t i = 0; a && i < json_object_array_length(a); i++) {
    json_object *s = json_object_array_get_idx(a, i);
    if (json_object_is_type(s, json_type_string) && !oci_strv_push(v, n, json_object_get_string(s)))
      return false;
  }
  return true;
}

static ocidig_code read_image(json_object *o, oci_lock_image *m, const char *name, size_t i, ocidig_error *err)
{
  json_object *pl = get_array(o, "platforms"), *bl = get_array(o, "blobs"), *dv;
  const char *digest = get_str(o, "digest");
  if (!json_object_is_type(o, json_type_object) || !pl || !bl)
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: image %zu of the lock has no platforms or blobs", name, i);
  if (json_object_object_get_ex(o, "digest", &dv) && dv && !digest)
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: image %zu of the lock: its digest is not a string", name, i);
  if ((digest && !(m->digest = oci_strdup(digest))) || !read_strings(get_array(o, "names"), &m->names, &m->n_names) ||
      !read_strings(get_array(o, "sources"), &m->sources, &m->n_sources))
    return oci_nomem(err);
  if (!(m->platforms = calloc(json_object_array_length(pl) + 1, sizeof *m->platforms)) ||
      !(m->blobs = calloc(json_object_array_length(bl) + 1, sizeof *m->blobs)))
    return oci_nomem(err);
  for (size_t j = 0; j < json_object_array_length(pl); j++) {
    json_object *p = json_object_array_get_idx(pl, j);
    oci_lock_platform *x = &m->platforms[m->n_platforms];
    const char *man = get_str(p, "manifest"), *plat = get_str(p, "platform");
    if (!json_object_is_type(p, json_type_object))
      continue;
    if (!man)
      man = get_str(p, "index");
    if ((plat && !(x->platform = oci_strdup(plat))) || (man && !(x->manifest = oci_strdup(man))))
      return oci_nomem(err);
    x->present = get_bool(p, "present");
    x->attestation = get_str(p, "attestationOf") != NULL;
    m->n_platforms++;
  }
  for (size_t j = 0; j < json_object_array_length(bl); j++) {
    json_object *b = json_object_array_get_idx(bl, j), *sz;
    const char *d = get_str(b, "digest");
    oci_lock_blob *x = &m->blobs[m->n_blobs];
    if (!d)
      continue;
    if (!(x->digest = oci_strdup(d)))
      return oci_nomem(err);
    x->size = json_object_object_get_ex(b, "size", &sz) ? json_object_get_int64(sz) : -1;
    x->present = get_bool(b, "present");
    m->n_blobs++;
  }
  return OCIDIG_OK;
}

ocidig_code ocidig_lock_read(const char *text, size_t len, const char *name, ocidig_lock **out, ocidig_error *err)
{
  json_tokener *tok;
  json_object *root, *imgs, *ver;
  ocidig_lock *k;
  ocidig_code rc = OCIDIG_OK;
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(text, "the text", err);
  if (!name)
    name = "the lock";
  if (!(tok = json_tokener_new()))
    return oci_nomem(err);
  root = json_tokener_parse_ex(tok, text, (int)(len > INT32_MAX ? INT32_MAX : len));
  if (root && json_tokener_get_error(tok) == json_tokener_success) { /* nothing but space after it */
    for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
      if (!strchr(" \t\r\n", text[i])) {
        json_object_put(root);
        root = NULL;
        break;
      }
  }
  if (!root || json_tokener_get_error(tok) != json_tokener_success || len > INT32_MAX) {
    json_tokener_free(tok);
    json_object_put(root);
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: not a lock file (not JSON, or cut short)", name);
  }
  json_tokener_free(tok);
  if (!json_object_is_type(root, json_type_object) || !json_object_object_get_ex(root, "lockVersion", &ver) ||
      !json_object_is_type(ver, json_type_int) || json_object_get_int64(ver) != 1 ||
      !(imgs = get_array(root, "images"))) {
    json_object_put(root);
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: not a lock file of version 1 (ocidig ls --lock writes one)",
                    name);
  }
  if (!(k = calloc(1, sizeof *k)) || !(k->name = oci_strdup(name)) ||
      !(k->images = calloc(json_object_array_length(imgs) + 1, sizeof *k->images))) {
    if (k)
      free(k->name);
    free(k);
    json_object_put(root);
    return oci_nomem(err);
  }
  for (size_t i = 0; i < json_object_array_length(imgs) && rc == OCIDIG_OK; i++) {
    rc = read_image(json_object_array_get_idx(imgs, i), &k->images[i], name, i, err);
    k->n_images++;
  }
  json_object_put(root);
  if (rc == OCIDIG_OK && !(k->by_digest = calloc(k->n_images + 1, sizeof *k->by_digest)))
    rc = oci_nomem(err);
  for (size_t i = 0; rc == OCIDIG_OK && i < k->n_images; i++)
    if (k->images[i].digest)
      k->by_digest[k->n_by_digest++] = (oci_lock_key){k->images[i].digest, i};
  if (rc == OCIDIG_OK && k->n_by_digest)
    qsort(k->by_digest, k->n_by_digest, sizeof *k->by_digest, key_cmp);
  if (rc != OCIDIG_OK) {
    ocidig_lock_free(k);
    return rc;
  }
  *out = k;
  return OCIDIG_OK;
}
