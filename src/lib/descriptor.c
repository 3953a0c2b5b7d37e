/* descriptor.c: OCI descriptors and platform objects from JSON. */
#include "descriptor.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static ocidig_code type_error(ocidig_error *err, const char *where, const char *key, const char *want,
                              json_object *got)
{
  return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"%s\" must be %s, not %s", where, key, want,
                  oci_json_type_name(got));
}

ocidig_code oci_json_string_field(json_object *obj, const char *key, const char *where, char **out,
                                  ocidig_error *err)
{
  json_object *v = oci_json_get(obj, key);
  *out = NULL;
  if (!v)
    return OCIDIG_OK;
  if (!json_object_is_type(v, json_type_string))
    return type_error(err, where, key, "a string", v);
  *out = oci_json_strdup(v);
  return *out ? OCIDIG_OK : oci_nomem(err);
}

static ocidig_code string_array(json_object *obj, const char *key, const char *where, char ***out, size_t *n,
                                ocidig_error *err)
{
  json_object *v = oci_json_get(obj, key);
  size_t len;
  *out = NULL;
  *n = 0;
  if (!v)
    return OCIDIG_OK;
  if (!json_object_is_type(v, json_type_array))
    return type_error(err, where, key, "an array of strings", v);
  len = json_object_array_length(v);
  for (size_t i = 0; i < len; i++) {
    json_object *e = json_object_array_get_idx(v, i);
    char *s;
    if (e && !json_object_is_type(e, json_type_string))
      return type_error(err, where, key, "an array of strings", e);
    s = e ? oci_json_strdup(e) : oci_strdup("");
    if (!s || !oci_strv_push(out, n, s)) {
      free(s);
      return oci_nomem(err);
    }
    free(s);
  }
  return OCIDIG_OK;
}

ocidig_code oci_platform_parse_json(json_object *obj, const char *where, ocidig_platform *out, unsigned *keys,
                                    ocidig_error *err)
{
  static const struct {
    const char *key;
    unsigned bit;
    size_t off;
  } fields[] = {
    {"os", OCIDIG_PLATFORM_KEY_OS, offsetof(ocidig_platform, os)},
    {"architecture", OCIDIG_PLATFORM_KEY_ARCHITECTURE, offsetof(ocidig_platform, architecture)},
    {"variant", OCIDIG_PLATFORM_KEY_VARIANT, offsetof(ocidig_platform, variant)},
    {"os.version", OCIDIG_PLATFORM_KEY_OS_VERSION, offsetof(ocidig_platform, os_version)},
  };
  ocidig_code rc;
  memset(out, 0, sizeof *out);
  if (keys)
    *keys = 0;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    char **slot = (char **)((char *)out + fields[i].off);
    if ((rc = oci_json_string_field(obj, fields[i].key, where, slot, err)) != OCIDIG_OK)
      goto fail;
    if (keys && oci_json_has(obj, fields[i].key))
      *keys |= fields[i].bit;
  }
  if ((rc = string_array(obj, "os.features", where, &out->os_features, &out->n_os_features, err)) != OCIDIG_OK)
    goto fail;
  if (keys && oci_json_has(obj, "os.features"))
    *keys |= OCIDIG_PLATFORM_KEY_OS_FEATURES;
  return OCIDIG_OK;
fail:
  ocidig_platform_clear(out);
  return rc;
}

json_object *oci_platform_to_json(const ocidig_platform *p, unsigned keys)
{
  json_object *o = json_object_new_object();
  if (!o)
    return NULL;
  if (keys & OCIDIG_PLATFORM_KEY_ARCHITECTURE)
    json_object_object_add(o, "architecture", json_object_new_string(oci_str(p->architecture)));
  if (keys & OCIDIG_PLATFORM_KEY_OS)
    json_object_object_add(o, "os", json_object_new_string(oci_str(p->os)));
  if (keys & OCIDIG_PLATFORM_KEY_OS_VERSION)
    json_object_object_add(o, "os.version", json_object_new_string(oci_str(p->os_version)));
  if (keys & OCIDIG_PLATFORM_KEY_OS_FEATURES) {
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < p->n_os_features; i++)
      json_object_array_add(a, json_object_new_string(p->os_features[i]));
    json_object_object_add(o, "os.features", a);
  }
  if (keys & OCIDIG_PLATFORM_KEY_VARIANT)
    json_object_object_add(o, "variant", json_object_new_string(oci_str(p->variant)));
  return o;
}

/* Go's []byte: standard base64 with padding. */
static bool base64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen)
{
  int len;
  size_t pad = 0;
  uint8_t *buf;
  *out = NULL;
  *outlen = 0;
  if (n % 4)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=' && i >= n - 2) {
      pad++;
      continue;
    }
    if (!ok || pad)
      return false;
  }
  buf = malloc(n / 4 * 3 + 1);
  if (!buf)
    return false;
  len = n ? EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n) : 0;
  if (len < 0 || (size_t)len < pad) {
    free(buf);
    return false;
  }
  *out = buf;
  *outlen = (size_t)len - pad;
  return true;
}

ocidig_code oci_descriptor_parse(json_object *obj, const char *where, ocidig_descriptor *d, ocidig_error *err)
{
  json_object *v;
  ocidig_code rc;

  memset(d, 0, sizeof *d);
  d->digest_code = OCIDIG_ERR_INVALID_DIGEST;
  if (!obj || !json_object_is_type(obj, json_type_object))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: a descriptor must be an object, not %s", where,
                    oci_json_type_name(obj));
  if ((rc = oci_json_string_field(obj, "mediaType", where, &d->media_type, err)) != OCIDIG_OK)
    goto fail;
  if ((rc = oci_json_string_field(obj, "digest", where, &d->digest_string, err)) != OCIDIG_OK)
    goto fail;
  if ((rc = oci_json_string_field(obj, "artifactType", where, &d->artifact_type, err)) != OCIDIG_OK)
    goto fail;
  if ((v = oci_json_get(obj, "size")) != NULL) {
    if (!oci_json_int64(v, &d->size)) {
      rc = oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"size\" must be an integer literal within int64, not %s %s",
                    where, oci_json_type_name(v), json_object_to_json_string(v));
      goto fail;
    }
    if (d->size < 0) {
      rc = oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"size\" is negative (%lld)", where, (long long)d->size);
      goto fail;
    }
  }
  {
    ocidig_error derr;
    const char *ds = oci_str(d->digest_string);
    d->digest_code = ocidig_digest_parse(ds, strlen(ds), &d->digest, &derr);
  }
  if ((v = oci_json_get(obj, "platform")) != NULL) {
    if (!json_object_is_type(v, json_type_object)) {
      rc = type_error(err, where, "platform", "an object", v);
      goto fail;
    }
    if ((rc = oci_platform_parse_json(v, where, &d->platform, &d->platform_keys, err)) != OCIDIG_OK)
      goto fail;
    d->has_platform = true;
  }
  if ((v = oci_json_get(obj, "annotations")) != NULL) {
    if (!json_object_is_type(v, json_type_object)) {
      rc = type_error(err, where, "annotations", "an object of strings", v);
      goto fail;
    }
    json_object_object_foreach(v, key, val)
    {
      ocidig_annotation *a;
      if (val && !json_object_is_type(val, json_type_string)) {
        rc = oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: annotation \"%s\" must be a string, not %s", where, key,
                      oci_json_type_name(val));
        goto fail;
      }
      a = realloc(d->annotations, (d->n_annotations + 1) * sizeof *a);
      if (!a) {
        rc = oci_nomem(err);
        goto fail;
      }
      d->annotations = a;
      a = &d->annotations[d->n_annotations];
      a->key = oci_strdup(key);
      a->value = val ? oci_json_strdup(val) : oci_strdup("");
      d->n_annotations++;
      if (!a->key || !a->value) {
        rc = oci_nomem(err);
        goto fail;
      }
    }
  }
  if ((rc = string_array(obj, "urls", where, &d->urls, &d->n_urls, err)) != OCIDIG_OK)
    goto fail;
  if ((v = oci_json_get(obj, "data")) != NULL) {
    if (!json_object_is_type(v, json_type_string)) {
      rc = type_error(err, where, "data", "a base64 string", v);
      goto fail;
    }
    d->has_data = true;
    if (!base64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v), &d->data, &d->data_len)) {
      rc = oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"data\" is not valid base64", where);
      goto fail;
    }
  }
  return OCIDIG_OK;
fail:
  ocidig_descriptor_clear(d);
  return rc;
}

void ocidig_descriptor_clear(ocidig_descriptor *d)
{
  if (!d)
    return;
  free(d->media_type);
  free(d->digest_string);
  free(d->artifact_type);
  ocidig_platform_clear(&d->platform);
  for (size_t i = 0; i < d->n_annotations; i++) {
    free(d->annotations[i].key);
    free(d->annotations[i].value);
  }
  free(d->annotations);
  free(d->data);
  oci_strv_free(d->urls, d->n_urls);
  memset(d, 0, sizeof *d);
}

ocidig_code oci_descriptor_copy(ocidig_descriptor *dst, const ocidig_descriptor *src, ocidig_error *err)
{
  memset(dst, 0, sizeof *dst);
  dst->media_type = oci_strdup(src->media_type);
  dst->digest_string = oci_strdup(src->digest_string);
  dst->artifact_type = oci_strdup(src->artifact_type);
  dst->digest = src->digest;
  dst->digest_code = src->digest_code;
  dst->size = src->size;
  dst->has_platform = src->has_platform;
  dst->platform_keys = src->platform_keys;
  dst->has_data = src->has_data;
  dst->data_invalid = src->data_invalid;
  if ((src->media_type && !dst->media_type) || (src->digest_string && !dst->digest_string) ||
      (src->artifact_type && !dst->artifact_type))
    goto nomem;
  if (ocidig_platform_copy(&dst->platform, &src->platform, err) != OCIDIG_OK)
    goto nomem;
  if (src->n_annotations) {
    dst->annotations = calloc(src->n_annotations, sizeof *dst->annotations);
    if (!dst->annotations)
      goto nomem;
    for (size_t i = 0; i < src->n_annotations; i++) {
      dst->annotations[i].key = oci_strdup(src->annotations[i].key);
      dst->annotations[i].value = oci_strdup(src->annotations[i].value);
      dst->n_annotations++;
      if (!dst->annotations[i].key || !dst->annotations[i].value)
        goto nomem;
    }
  }
  for (size_t i = 0; i < src->n_urls; i++)
    if (!oci_strv_push(&dst->urls, &dst->n_urls, src->urls[i]))
      goto nomem;
  if (src->data) {
    dst->data = malloc(src->data_len ? src->data_len : 1);
    if (!dst->data)
      goto nomem;
    memcpy(dst->data, src->data, src->data_len);
    dst->data_len = src->data_len;
  }
  return OCIDIG_OK;
nomem:
  ocidig_descriptor_clear(dst);
  return oci_nomem(err);
}

const char *ocidig_descriptor_annotation(const ocidig_descriptor *d, const char *key)
{
  if (!d || !key)
    return NULL;
  for (size_t i = 0; i < d->n_annotations; i++)
    if (!strcmp(d->annotations[i].key, key))
      return d->annotations[i].value;
  return NULL;
}
