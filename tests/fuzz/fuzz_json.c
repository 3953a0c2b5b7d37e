/* fuzz_json.c: bytes -> the strict JSON layer -> descriptors, indexes, manifests and
 * configs as resolve and verify decode them.
 *
 * It calls library-internal functions (src/lib/json.h, descriptor.h), so it is built
 * from the library's sources rather than linked with libocidig (which exports only
 * ocidig_*).  Properties checked beyond "no crash":
 *  - a document the strict scanner accepts is one json-c builds a tree for;
 *  - a platform object decoded, written back (oci_platform_to_json) and decoded again
 *    is the same platform;
 *  - a descriptor copied is equal to the original. */
#include "descriptor.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_strv(char **a, size_t na, char **b, size_t nb)
{
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (strcmp(a[i] ? a[i] : "", b[i] ? b[i] : ""))
      return false;
  return true;
}

static void platform_round_trip(const ocidig_platform *p, unsigned keys)
{
  json_object *j = oci_platform_to_json(p, keys);
  const char *text;
  oci_json_doc doc;
  ocidig_platform q;
  unsigned keys2;
  ocidig_error err;
  if (!j)
    return;
  text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  if (oci_json_parse((const uint8_t *)text, strlen(text), "round trip", &doc, &err) != OCIDIG_OK) {
    if (err.code != OCIDIG_ERR_NOMEM)
      __builtin_trap(); /* our own output must read back */
    json_object_put(j);
    return;
  }
  if (oci_platform_parse_json(doc.root, "round trip", &q, &keys2, &err) == OCIDIG_OK) {
    if (keys2 != keys || !ocidig_platform_equal(p, &q) ||
        !same_strv(p->os_features, p->n_os_features, q.os_features, q.n_os_features))
      __builtin_trap();
    ocidig_platform_clear(&q);
  } else if (err.code != OCIDIG_ERR_NOMEM) {
    __builtin_trap();
  }
  oci_json_doc_free(&doc);
  json_object_put(j);
}

static void descriptor(json_object *o, const char *where)
{
  ocidig_descriptor d, c;
  ocidig_error err;
  if (oci_descriptor_parse(o, where, &d, &err) != OCIDIG_OK) {
    if (err.code == OCIDIG_OK)
      __builtin_trap();
    return;
  }
  (void)ocidig_descriptor_annotation(&d, "org.opencontainers.image.ref.name");
  (void)ocidig_media_type_kind(d.media_type);
  (void)ocidig_media_type_short(d.media_type);
  if (d.has_platform) {
    char *f = ocidig_platform_format(&d.platform);
    free(f);
    platform_round_trip(&d.platform, d.platform_keys);
  }
  if (oci_descriptor_copy(&c, &d, &err) == OCIDIG_OK) {
    if (c.size != d.size || c.digest_code != d.digest_code || c.data_len != d.data_len ||
        !ocidig_platform_equal(&c.platform, &d.platform) || c.n_annotations != d.n_annotations ||
        (d.data_len && memcmp(c.data, d.data, d.data_len)))
      __builtin_trap();
    ocidig_descriptor_clear(&c);
  }
  ocidig_descriptor_clear(&d);
}

static void each(json_object *root, const char *key)
{
  json_object *a = oci_json_get(root, key);
  if (a && json_object_is_type(a, json_type_array)) {
    size_t n = json_object_array_length(a);
    for (size_t i = 0; i < n && i < 256; i++)
      descriptor(json_object_array_get_idx(a, i), key);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  oci_json_doc doc;
  ocidig_error err;
  ocidig_platform p;
  unsigned keys;

  if (oci_json_parse(data, size, "fuzz.json", &doc, &err) != OCIDIG_OK) {
    if (err.code == OCIDIG_OK)
      __builtin_trap();
    return 0;
  }
  if (!doc.root) {
    /* NULL is json-c's null: nothing else may leave the tree empty. */
    size_t a = 0, b = size;
    while (a < b && (data[a] == ' ' || data[a] == '\t' || data[a] == '\n' || data[a] == '\r'))
      a++;
    while (b > a && (data[b - 1] == ' ' || data[b - 1] == '\t' || data[b - 1] == '\n' || data[b - 1] == '\r'))
      b--;
    if (b - a != 4 || memcmp(data + a, "null", 4))
      __builtin_trap();
  }
  if (json_object_is_type(doc.root, json_type_object)) {
    /* As a descriptor, an index, a manifest and an image config. */
    descriptor(doc.root, "root");
    each(doc.root, "manifests");
    each(doc.root, "layers");
    descriptor(oci_json_get(doc.root, "config"), "config");
    if (oci_platform_parse_json(doc.root, "config", &p, &keys, &err) == OCIDIG_OK) {
      ocidig_platform n;
      static const ocidig_platform host = {.os = (char *)"linux", .architecture = (char *)"amd64"};
      platform_round_trip(&p, keys);
      if (ocidig_platform_normalize(&p, &host, &n, &err) == OCIDIG_OK)
        ocidig_platform_clear(&n);
      ocidig_platform_clear(&p);
    }
    {
      /* Every string member through the NUL-safe copy. */
      json_object_object_foreach(doc.root, k, v)
      {
        (void)k;
        if (v && json_object_is_type(v, json_type_string)) {
          char *s = oci_json_strdup(v);
          free(s);
        } else if (v && json_object_is_type(v, json_type_int)) {
          int64_t x;
          (void)oci_json_int64(v, &x);
        }
      }
    }
  }
  oci_json_doc_free(&doc);
  return 0;
}
