/* shape.c: the shape rules of documents and descriptors (see shape.h). */
#include "shape.h"

#include "descriptor.h"
#include "view.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MT_EMPTY "application/vnd.oci.empty.v1+json"
#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

void oci_shapes_add(oci_shapes *s, uint32_t slot, oci_shape_code code, const char *fmt, ...)
{
  va_list ap;
  char buf[OCIDIG_ERROR_MESSAGE_MAX];
  char *m;
  if (slot < OCI_SHAPE_SUBJECT ? s->n_children >= OCI_SHAPES_KEPT : s->n - s->n_children >= OCI_SHAPES_DOC_KEPT) {
    s->more[code]++;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (!(m = oci_strdup(buf)) || !oci_grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v)) {
    free(m);
    s->nomem = true;
    return;
  }
  s->v[s->n++] = (oci_shape){slot, (uint32_t)code, m};
  s->n_children += slot < OCI_SHAPE_SUBJECT;
}

void oci_shapes_drop_children(oci_shapes *s)
{
  size_t k = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (s->v[i].slot < OCI_SHAPE_SUBJECT)
      free(s->v[i].message);
    else
      s->v[k++] = s->v[i];
  }
  s->n = k;
  s->n_children = 0;
  memset(s->more, 0, sizeof s->more);
}

bool oci_shapes_has(const oci_shapes *s, uint32_t slot)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i].slot == slot)
      return true;
  return false;
}

bool oci_shape_code_usable(uint32_t code)
{
  return code == OCI_SHAPE_MEDIA_TYPE_INVALID || code == OCI_SHAPE_URL_INVALID || code == OCI_SHAPE_LAYERS_EMPTY ||
         code == OCI_SHAPE_ENV_INVALID;
}

void oci_shapes_free(oci_shapes *s)
{
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i].message);
  free(s->v);
  memset(s, 0, sizeof *s);
}

static bool is_type(json_object *v, json_type t)
{
  return v && json_object_is_type(v, t);
}

static bool is_string_map(json_object *o)
{
  if (!is_type(o, json_type_object))
    return false;
  json_object_object_foreach(o, k, val)
  {
    (void)k;
    if (!is_type(val, json_type_string))
      return false;
  }
  return true;
}

/* A short text of a JSON value for messages: its JSON serialization (escaped by json-c),
 * at most 60 bytes. */
static void json_text(json_object *v, char *buf, size_t n)
{
  const char *s =
      v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "null";
  snprintf(buf, n, strlen(s) > 60 ? "%.60s..." : "%s", s ? s : "?");
}

/* Standard base64 with padding (RFC 4648 section 4): what the image spec's "data" is (Go's
 * []byte in JSON).  The text must be of the standard alphabet, its length a multiple of 4,
 * '=' only as its last one or two characters, no whitespace nor line breaks.  OpenSSL decodes;
 * EVP_DecodeBlock alone would also take leading and trailing whitespace, a trailing '-' and
 * '=' in the middle, so the text is checked first.  EVP_DecodeBlock counts the pad characters
 * as bytes: the length is trimmed by their number.  false when invalid or out of memory
 * (*nomem). */
static bool base64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen, bool *nomem)
{
  static const char alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t chunk = (size_t)1 << 20; /* a multiple of 4 that fits an int */
  size_t pad = 0, k = 0;
  uint8_t *buf;
  *out = NULL;
  *outlen = 0;
  if (n % 4)
    return false;
  while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
    pad++;
  for (size_t i = 0; i < n - pad; i++)
    if (!memchr(alphabet, s[i], sizeof alphabet))
      return false;
  if (!(buf = malloc(n / 4 * 3 + 1))) {
    *nomem = true;
    return false;
  }
  for (size_t off = 0; off < n; off += chunk) {
    size_t len = n - off < chunk ? n - off : chunk;
    int got = EVP_DecodeBlock(buf + k, (const unsigned char *)s + off, (int)len);
    if (got < 0) {
      free(buf);
      return false;
    }
    k += (size_t)got;
  }
  *out = buf;
  *outlen = k - pad;
  return true;
}

/* A media type (mediaType, artifactType) of the grammar the spec requires (RFC 6838 section
 * 4.2); whether it is a known one is another matter (unknown ones are fine). */
static void check_media_type(oci_shapes *s, uint32_t slot, json_object *x, const char *key, const char *where)
{
  char *q;
  if (!is_type(x, json_type_string) || oci_media_type_valid(json_object_get_string(x)))
    return;
  q = oci_quote(json_object_get_string(x), (size_t)json_object_get_string_len(x), 140);
  oci_shapes_add(s, slot, OCI_SHAPE_MEDIA_TYPE_INVALID,
                 "%s: \"%s\" %s is not a media type (RFC 6838: type \"/\" subtype, each a letter or digit then at "
                 "most 126 of letters, digits and !#$&-^_.+)",
                 where, key, q ? q : "?");
  free(q);
}

/* An optional field: absent or null is fine; else it must be of type t. */
static void check_optional(oci_shapes *s, uint32_t slot, json_object *obj, const char *key, json_type t,
                           const char *want, const char *where)
{
  json_object *x = oci_json_get(obj, key);
  if (x && !json_object_is_type(x, t))
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: \"%s\" must be %s, not %s", where, key, want,
                   oci_json_type_name(x));
}

static void check_platform_object(oci_shapes *s, uint32_t slot, json_object *p, const char *where,
                                  ocidig_descriptor *out)
{
  bool ok = true;
  static const char *const required[] = {"architecture", "os"};
  if (!is_type(p, json_type_object)) {
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: \"platform\" must be an object, not %s", where,
                   oci_json_type_name(p));
    return;
  }
  for (int i = 0; i < 2; i++) {
    json_object *x = oci_json_get(p, required[i]);
    if (!oci_json_has(p, required[i])) {
      oci_shapes_add(s, slot, OCI_SHAPE_FIELD_MISSING, "%s: the platform has no \"%s\" (required, a string)", where,
                     required[i]);
      ok = false;
    } else if (!is_type(x, json_type_string)) {
      oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: platform \"%s\" must be a string, not %s", where,
                     required[i], oci_json_type_name(x));
      ok = false;
    }
  }
  if (oci_json_get(p, "variant") && !is_type(oci_json_get(p, "variant"), json_type_string)) {
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: platform \"variant\" must be a string, not %s", where,
                   oci_json_type_name(oci_json_get(p, "variant")));
    ok = false;
  }
  if (oci_json_get(p, "os.version") && !is_type(oci_json_get(p, "os.version"), json_type_string)) {
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: platform \"os.version\" must be a string, not %s", where,
                   oci_json_type_name(oci_json_get(p, "os.version")));
    ok = false;
  }
  if (oci_json_get(p, "os.features") && !oci_json_is_strings(oci_json_get(p, "os.features"))) {
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: platform \"os.features\" must be an array of strings", where);
    ok = false;
  }
  if (ok && out) {
    ocidig_error e;
    ocidig_code rc = oci_platform_parse_json(p, where, &out->platform, &out->platform_keys, &e);
    if (rc == OCIDIG_OK)
      out->has_platform = true;
    else if (rc == OCIDIG_ERR_NOMEM)
      s->nomem = true;
  }
}

/* The string annotations of a descriptor (the others are reported, not kept). */
static void keep_annotations(oci_shapes *s, json_object *ann, ocidig_descriptor *out)
{
  size_t k = 0;
  if (!is_type(ann, json_type_object))
    return;
  json_object_object_foreach(ann, key0, val0)
  {
    (void)key0;
    k += is_type(val0, json_type_string);
  }
  if (!k)
    return;
  if (!(out->annotations = calloc(k, sizeof *out->annotations))) {
    s->nomem = true;
    return;
  }
  json_object_object_foreach(ann, key, val)
  {
    ocidig_annotation *a;
    if (!is_type(val, json_type_string))
      continue;
    a = &out->annotations[out->n_annotations++];
    a->key = oci_strdup(key);
    a->value = oci_json_strdup(val);
    if (!a->key || !a->value)
      s->nomem = true;
  }
}

bool oci_shape_descriptor(oci_shapes *s, uint32_t slot, json_object *obj, const char *where, bool index_child,
                          ocidig_descriptor *out)
{
  size_t before = s->n;
  json_object *x;
  char t[80], ds[OCIDIG_DIGEST_STRING_MAX] = "";
  bool size_ok = false;
  memset(out, 0, sizeof *out);
  out->size = -1;
  out->digest_code = OCIDIG_ERR_INVALID_DIGEST;
  if (!is_type(obj, json_type_object)) {
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: a descriptor must be an object, not %s", where,
                   oci_json_type_name(obj));
    return true;
  }
  /* mediaType */
  x = oci_json_get(obj, "mediaType");
  if (!oci_json_has(obj, "mediaType"))
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_MISSING, "%s: no \"mediaType\" (a descriptor requires a string)", where);
  else if (!is_type(x, json_type_string))
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: \"mediaType\" must be a string, not %s", where,
                   oci_json_type_name(x));
  else if (!(out->media_type = oci_json_strdup(x)))
    s->nomem = true;
  check_media_type(s, slot, x, "mediaType", where);
  /* digest */
  x = oci_json_get(obj, "digest");
  if (!oci_json_has(obj, "digest")) {
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_MISSING, "%s: no \"digest\" (a descriptor requires one)", where);
  } else if (!is_type(x, json_type_string)) {
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: \"digest\" must be a string, not %s", where,
                   oci_json_type_name(x));
  } else {
    ocidig_error e;
    if (!(out->digest_string = oci_json_strdup(x)))
      s->nomem = true;
    out->digest_code =
        ocidig_digest_parse(json_object_get_string(x), (size_t)json_object_get_string_len(x), &out->digest, &e);
    if (out->digest_code == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM) {
      /* of the digest grammar, but not a registered algorithm: the spec asks that it pass
       * validation; its content cannot be verified (verify: a warning) */
      const char *ss = json_object_get_string(x);
      char *q = oci_quote(ss, (size_t)json_object_get_string_len(x), 140);
      oci_shapes_add(s, slot, OCI_SHAPE_UNSUPPORTED_DIGEST_ALGORITHM,
                     "%s: digest %s cannot be verified: algorithm \"%.*s\" not supported (ocidig verifies sha256 "
                     "and sha512)",
                     where, q ? q : "?", (int)(strchr(ss, ':') ? strchr(ss, ':') - ss : 0), ss);
      free(q);
    }
    else if (out->digest_code != OCIDIG_OK)
      oci_shapes_add(s, slot, OCI_SHAPE_INVALID_DIGEST, "%s: %s", where, e.message);
    else
      ocidig_digest_format(&out->digest, ds);
  }
  /* size */
  x = oci_json_get(obj, "size");
  if (!oci_json_has(obj, "size")) {
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_MISSING, "%s: no \"size\" (a descriptor requires an integer)", where);
  } else if (!oci_json_int64(x, &out->size)) {
    json_text(x, t, sizeof t);
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: \"size\" must be an integer literal within int64, not %s %s",
                   where, oci_json_type_name(x), t);
    out->size = -1;
  } else if (out->size < 0) {
    oci_shapes_add(s, slot, OCI_SHAPE_SIZE_NEGATIVE, "%s: \"size\" is %lld; a size is 0 or more", where,
                   (long long)out->size);
    out->size = -1;
  } else {
    size_ok = true;
  }
  /* the optional fields */
  check_optional(s, slot, obj, "artifactType", json_type_string, "a string", where);
  x = oci_json_get(obj, "artifactType");
  if (is_type(x, json_type_string) && !(out->artifact_type = oci_json_strdup(x)))
    s->nomem = true;
  check_media_type(s, slot, x, "artifactType", where);
  x = oci_json_get(obj, "urls");
  if (x && !oci_json_is_strings(x)) {
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: \"urls\" must be an array of strings", where);
  } else if (x && json_object_array_length(x) > 0) {
    size_t n = json_object_array_length(x);
    for (size_t i = 0; i < n; i++) {
      json_object *u = json_object_array_get_idx(x, i);
      if (!oci_uri_absolute(json_object_get_string(u))) {
        char *q = oci_quote(json_object_get_string(u), (size_t)json_object_get_string_len(u), 140);
        oci_shapes_add(s, slot, OCI_SHAPE_URL_INVALID,
                       "%s: urls[%zu] %s is not an absolute URI (RFC 3986: scheme \":\" ..., e.g. https://...)",
                       where, i, q ? q : "?");
        free(q);
      }
    }
    if (!(out->urls = calloc(n, sizeof *out->urls))) {
      s->nomem = true;
    } else {
      for (size_t i = 0; i < n; i++)
        if (!(out->urls[out->n_urls++] = oci_json_strdup(json_object_array_get_idx(x, i))))
          s->nomem = true;
    }
  }
  x = oci_json_get(obj, "annotations");
  if (x && !is_string_map(x))
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: \"annotations\" must be an object of strings", where);
  keep_annotations(s, x, out);
  x = oci_json_get(obj, "data");
  if (x && !is_type(x, json_type_string)) {
    oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: \"data\" must be a base64 string, not %s", where,
                   oci_json_type_name(x));
  } else if (x) {
    uint8_t *data;
    size_t len;
    if (!base64_decode(json_object_get_string(x), (size_t)json_object_get_string_len(x), &data, &len, &s->nomem)) {
      oci_shapes_add(s, slot, OCI_SHAPE_FIELD_TYPE, "%s: \"data\" is not valid standard base64", where);
    } else {
      if (size_ok && (int64_t)len != out->size) {
        oci_shapes_add(s, slot, OCI_SHAPE_DATA_MISMATCH, "%s: inline data is %zu bytes; the descriptor's size is %lld",
                       where, len, (long long)out->size);
      } else if (out->digest_code == OCIDIG_OK) {
        char hex[129];
        if (!oci_hash_hex(out->digest.alg, data, len, hex))
          s->nomem = true; /* out of memory, not a mismatch */
        else if (strcmp(hex, out->digest.hex))
          oci_shapes_add(s, slot, OCI_SHAPE_DATA_MISMATCH, "%s: inline data hashes to %s:%s; expected %s", where,
                         ocidig_digest_alg_name(out->digest.alg), hex, ds);
      }
      free(data);
    }
  }
  if (index_child && (x = oci_json_get(obj, "platform")) != NULL)
    check_platform_object(s, slot, x, where, out);
  /* the empty descriptor */
  if (out->media_type && !strcmp(out->media_type, MT_EMPTY) &&
      ((out->digest_code == OCIDIG_OK && strcmp(ds, EMPTY_DIGEST)) || (size_ok && out->size != 2))) {
    oci_shapes_add(s, slot, OCI_SHAPE_EMPTY_DESCRIPTOR_INVALID,
                   "%s: an empty descriptor (%s) must have digest %s and size 2 (the bytes \"{}\"), not %s and %lld",
                   where, MT_EMPTY, EMPTY_DIGEST, out->digest_code == OCIDIG_OK ? ds : "an invalid digest",
                   (long long)out->size);
  }
  return s->n > before;
}

bool oci_shape_document(oci_shapes *s, json_object *root, ocidig_kind want, const char *desc_mt, const char *what)
{
  const uint32_t D = OCI_SHAPE_DOC;
  json_object *x;
  const char *body_mt = NULL;
  ocidig_kind body = OCIDIG_KIND_OTHER;
  int64_t sv;
  char t[80];
  bool kind_ok = true;
  if (!is_type(root, json_type_object)) {
    oci_shapes_add(s, D, OCI_SHAPE_INVALID_JSON, "%s is %s, not a JSON object", what, oci_json_type_name(root));
    return false;
  }
  x = oci_json_get(root, "schemaVersion");
  if (!oci_json_has(root, "schemaVersion")) {
    oci_shapes_add(s, D, OCI_SHAPE_SCHEMA_VERSION, "%s has no schemaVersion; expected 2", what);
  } else if (!oci_json_int64(x, &sv) || sv != 2) {
    json_text(x, t, sizeof t);
    oci_shapes_add(s, D, OCI_SHAPE_SCHEMA_VERSION, "%s: schemaVersion is %s; expected 2", what, t);
  }
  x = oci_json_get(root, "mediaType");
  if (x && !is_type(x, json_type_string))
    oci_shapes_add(s, D, OCI_SHAPE_FIELD_TYPE, "%s: \"mediaType\" must be a string, not %s", what,
                   oci_json_type_name(x));
  else if (x)
    body_mt = json_object_get_string(x);
  if (body_mt)
    body = ocidig_media_type_kind(body_mt);
  if (oci_json_has(root, "fsLayers")) {
    oci_shapes_add(s, D, OCI_SHAPE_KIND_MISMATCH,
                   "%s is a Docker schema 1 manifest (fsLayers), which is not supported; expected %s", what,
                   want == OCIDIG_KIND_INDEX ? "an image index" : "an image manifest");
    kind_ok = false;
  } else if (want == OCIDIG_KIND_MANIFEST && (oci_json_has(root, "manifests") || body == OCIDIG_KIND_INDEX)) {
    oci_shapes_add(s, D, OCI_SHAPE_KIND_MISMATCH,
                   "%s: the body is an index, but its descriptor says %s; its content is not checked further", what,
                   oci_str(desc_mt));
    kind_ok = false;
  } else if (want == OCIDIG_KIND_INDEX &&
             (oci_json_has(root, "config") || oci_json_has(root, "layers") || body == OCIDIG_KIND_MANIFEST)) {
    oci_shapes_add(s, D, OCI_SHAPE_KIND_MISMATCH,
                   "%s: the body is a manifest, but %s; its content is not checked further", what,
                   desc_mt ? "its descriptor says an index" : "index.json must be an image index");
    kind_ok = false;
  } else if (body_mt && desc_mt && strcmp(body_mt, desc_mt)) {
    char *q = oci_quote(body_mt, strlen(body_mt), 100);
    oci_shapes_add(s, D, OCI_SHAPE_MEDIA_TYPE_MISMATCH,
                   "%s: the body's mediaType is %s, but the descriptor that points at it says %s", what, q ? q : "?",
                   desc_mt);
    free(q);
  } else if (body_mt && !desc_mt && strcmp(body_mt, OCIDIG_MT_OCI_INDEX)) {
    char *q = oci_quote(body_mt, strlen(body_mt), 100);
    oci_shapes_add(s, D, OCI_SHAPE_MEDIA_TYPE_MISMATCH, "%s: mediaType is %s; expected %s", what, q ? q : "?",
                   OCIDIG_MT_OCI_INDEX);
    free(q);
  }
  check_media_type(s, D, oci_json_get(root, "mediaType"), "mediaType", what);
  check_optional(s, D, root, "artifactType", json_type_string, "a string", what);
  check_media_type(s, D, oci_json_get(root, "artifactType"), "artifactType", what);
  x = oci_json_get(root, "annotations");
  if (x && !is_string_map(x))
    oci_shapes_add(s, D, OCI_SHAPE_FIELD_TYPE, "%s: \"annotations\" must be an object of strings", what);
  if (kind_ok && want == OCIDIG_KIND_INDEX) {
    x = oci_json_get(root, "manifests");
    if (!oci_json_has(root, "manifests"))
      oci_shapes_add(s, D, OCI_SHAPE_FIELD_MISSING, "%s has no \"manifests\" (an image index requires an array)",
                     what);
    else if (!is_type(x, json_type_array))
      oci_shapes_add(s, D, OCI_SHAPE_FIELD_TYPE, "%s: \"manifests\" must be an array, not %s", what,
                     oci_json_type_name(x));
    if ((x = oci_json_get(root, "subject")) != NULL) {
      /* an index's subject is a descriptor too (image-index.md, OCI 1.1) */
      ocidig_descriptor sd;
      char where[256];
      snprintf(where, sizeof where, "%.200s subject", what);
      oci_shape_descriptor(s, OCI_SHAPE_SUBJECT, x, where, false, &sd);
      ocidig_descriptor_clear(&sd);
    }
  }
  return kind_ok;
}

void oci_shape_manifest_read(oci_shapes *s, json_object *root, const char *name, oci_shape_manifest *out)
{
  json_object *x;
  char where[256];
  memset(out, 0, sizeof *out);
  out->first_layer_problem = SIZE_MAX;
  x = oci_json_get(root, "config");
  if (!oci_json_has(root, "config")) {
    oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_MISSING, "%s has no \"config\" (an image manifest requires one)",
                   name);
  } else {
    snprintf(where, sizeof where, "%.200s config", name);
    oci_shape_descriptor(s, OCI_SHAPE_CONFIG, x, where, false, &out->config);
    out->has_config = is_type(x, json_type_object);
  }
  x = oci_json_get(root, "layers");
  if (!oci_json_has(root, "layers")) {
    oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_MISSING,
                   "%s has no \"layers\" (an image manifest requires an array)", name);
  } else if (!is_type(x, json_type_array)) {
    oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_TYPE, "%s: \"layers\" must be an array, not %s", name,
                   oci_json_type_name(x));
  } else {
    size_t k = json_object_array_length(x);
    out->has_layers = true;
    if (!k)
      oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_LAYERS_EMPTY,
                     "%s: \"layers\" is empty; for portability an image manifest SHOULD list at least one layer "
                     "(an artifact without layers lists the empty descriptor)",
                     name);
    if (k && !(out->layers = calloc(k, sizeof *out->layers))) {
      s->nomem = true;
      return;
    }
    for (size_t i = 0; i < k; i++) {
      size_t before = s->n;
      snprintf(where, sizeof where, "%.150s layers[%zu]", name, i);
      oci_shape_descriptor(s, (uint32_t)i, json_object_array_get_idx(x, i), where, false, &out->layers[i]);
      out->n_layers++;
      /* the first problem that makes the layer unusable (not a rule no reader depends on) */
      for (size_t j = before; j < s->n && out->first_layer_problem == SIZE_MAX; j++)
        if (!oci_shape_code_usable(s->v[j].code))
          out->first_layer_problem = j;
    }
  }
  if ((x = oci_json_get(root, "subject")) != NULL) {
    snprintf(where, sizeof where, "%.200s subject", name);
    oci_shape_descriptor(s, OCI_SHAPE_SUBJECT, x, where, false, &out->subject);
    out->has_subject = is_type(x, json_type_object);
  }
}

void oci_shape_manifest_clear(oci_shape_manifest *m)
{
  ocidig_descriptor_clear(&m->config);
  ocidig_descriptor_clear(&m->subject);
  for (size_t i = 0; i < m->n_layers; i++)
    ocidig_descriptor_clear(&m->layers[i]);
  free(m->layers);
  memset(m, 0, sizeof *m);
}

ocidig_code oci_shape_check_kind(json_object *root, ocidig_kind want, const char *what, const char *media_type,
                                 ocidig_error *err)
{
  json_object *mt;
  ocidig_kind body = OCIDIG_KIND_OTHER;
  if (!json_object_is_type(root, json_type_object))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: the document is %s, not an object", what,
                    oci_json_type_name(root));
  mt = oci_json_get(root, "mediaType");
  if (mt && !json_object_is_type(mt, json_type_string))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"mediaType\" must be a string, not %s", what,
                    oci_json_type_name(mt));
  if (mt)
    body = ocidig_media_type_kind(json_object_get_string(mt));
  if (oci_json_has(root, "fsLayers"))
    return oci_fail(err, OCIDIG_ERR_KIND_MISMATCH, "%s: a Docker schema 1 manifest (fsLayers) behind %s", what,
                    media_type);
  if (want == OCIDIG_KIND_MANIFEST && (oci_json_has(root, "manifests") || body == OCIDIG_KIND_INDEX))
    return oci_fail(err, OCIDIG_ERR_KIND_MISMATCH, "%s: expected a manifest (%s) but the body is an index", what,
                    media_type);
  if (want == OCIDIG_KIND_INDEX &&
      (oci_json_has(root, "config") || oci_json_has(root, "layers") || body == OCIDIG_KIND_MANIFEST))
    return oci_fail(err, OCIDIG_ERR_KIND_MISMATCH, "%s: expected an index (%s) but the body is a manifest", what,
                    media_type);
  return OCIDIG_OK;
}

bool oci_shape_check_digest_string(ocidig_code digest_code, const char *digest, const char *role, ocidig_error *e)
{
  ocidig_digest tmp;
  const char *ds = oci_str(digest);
  if (digest_code == OCIDIG_OK)
    return true;
  ocidig_digest_parse(ds, strlen(ds), &tmp, e);
  oci_error_prefix(e, "%s", role);
  return false;
}

static ocidig_code raw_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  oci_buf *b = ctx;
  if (b->len + len > OCIDIG_MAX_JSON_SIZE)
    return oci_fail(err, OCIDIG_ERR_JSON_TOO_LARGE, "too large");
  oci_buf_add(b, buf, len);
  return b->failed ? oci_nomem(err) : OCIDIG_OK;
}

ocidig_code oci_shape_read_tampered(struct oci_view *v, const ocidig_digest *dg, const char *name, oci_json_doc *doc)
{
  oci_buf b = {0};
  ocidig_error e;
  ocidig_code rc;
  if ((rc = oci_view_blob_stream(v, dg, raw_sink, &b, &e)) == OCIDIG_OK)
    rc = oci_json_parse((const uint8_t *)(b.s ? b.s : ""), b.len, name, doc, &e);
  oci_buf_free(&b);
  return rc;
}

/* ------------------------------------------------------------------ configs */

/* An optional field of a config: absent or null is fine (Go writes null for an empty
 * list or map); else of type t. */
static bool config_field(oci_shapes *s, json_object *obj, const char *key, json_type t, const char *want,
                         const char *what, const char *prefix)
{
  json_object *x = oci_json_get(obj, key);
  if (!x || is_type(x, t))
    return x != NULL;
  oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_TYPE, "%s: \"%s%s\" must be %s, not %s", what, prefix, key, want,
                 oci_json_type_name(x));
  return false;
}

static void config_strings(oci_shapes *s, json_object *obj, const char *key, const char *what, const char *prefix)
{
  json_object *x = oci_json_get(obj, key);
  if (x && !oci_json_is_strings(x))
    oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_TYPE, "%s: \"%s%s\" must be an array of strings", what, prefix,
                   key);
}

/* An object whose values are objects (ExposedPorts, Volumes: sets written as {"key": {}}). */
static void config_set(oci_shapes *s, json_object *obj, const char *key, const char *what)
{
  json_object *x = oci_json_get(obj, key);
  if (!config_field(s, obj, key, json_type_object, "an object (a set: {\"key\": {}})", what, "config."))
    return;
  json_object_object_foreach(x, k, v)
  {
    if (!is_type(v, json_type_object)) {
      char *q = oci_quote(k, strlen(k), 80);
      oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_TYPE, "%s: \"config.%s\" %s must map to an object, not %s",
                     what, key, q ? q : "?", oci_json_type_name(v));
      free(q);
      return;
    }
  }
}

void oci_shape_config(oci_shapes *s, json_object *root, const char *what)
{
  static const char *const strings[] = {"User", "WorkingDir", "StopSignal"};
  static const char *const lists[] = {"Entrypoint", "Cmd"};
  json_object *c, *x;
  config_field(s, root, "created", json_type_string, "a string (an RFC 3339 date-time)", what, "");
  config_field(s, root, "author", json_type_string, "a string", what, "");
  if (config_field(s, root, "config", json_type_object, "an object", what, "")) {
    c = oci_json_get(root, "config");
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
      config_field(s, c, strings[i], json_type_string, "a string", what, "config.");
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
      config_strings(s, c, lists[i], what, "config.");
    config_set(s, c, "ExposedPorts", what);
    config_set(s, c, "Volumes", what);
    if ((x = oci_json_get(c, "Labels")) != NULL && !is_string_map(x))
      oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_TYPE, "%s: \"config.Labels\" must be an object of strings",
                     what);
    x = oci_json_get(c, "Env");
    if (x && !oci_json_is_strings(x)) {
      oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_TYPE, "%s: \"config.Env\" must be an array of strings", what);
    } else if (x) {
      for (size_t i = 0; i < json_object_array_length(x); i++) {
        const char *e = json_object_get_string(json_object_array_get_idx(x, i));
        if (!strchr(e, '=')) {
          char *q = oci_quote(e, strlen(e), 80);
          oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_ENV_INVALID,
                         "%s: config.Env[%zu] %s has no '='; entries are VARNAME=VARVALUE", what, i, q ? q : "?");
          free(q);
          break;
        }
      }
    }
  }
  x = oci_json_get(root, "rootfs");
  if (!oci_json_has(root, "rootfs")) {
    oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_MISSING,
                   "%s has no \"rootfs\" (an image config requires {\"type\": \"layers\", \"diff_ids\": [...]})", what);
  } else if (!is_type(x, json_type_object)) {
    oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_TYPE, "%s: \"rootfs\" must be an object, not %s", what,
                   oci_json_type_name(x));
  } else {
    json_object *t = oci_json_get(x, "type"), *d = oci_json_get(x, "diff_ids");
    if (!is_type(t, json_type_string))
      oci_shapes_add(s, OCI_SHAPE_DOC, t ? OCI_SHAPE_FIELD_TYPE : OCI_SHAPE_FIELD_MISSING,
                     "%s: \"rootfs.type\" must be a string (\"layers\"), not %s", what, oci_json_type_name(t));
    if (!oci_json_is_strings(d))
      oci_shapes_add(s, OCI_SHAPE_DOC, d ? OCI_SHAPE_FIELD_TYPE : OCI_SHAPE_FIELD_MISSING,
                     "%s: \"rootfs.diff_ids\" must be an array of strings (digests)", what);
  }
  x = oci_json_get(root, "history");
  if (config_field(s, root, "history", json_type_array, "an array of objects", what, "")) {
    for (size_t i = 0; i < json_object_array_length(x); i++) {
      json_object *h = json_object_array_get_idx(x, i);
      static const char *const hs[] = {"created", "author", "created_by", "comment"};
      char pre[40];
      snprintf(pre, sizeof pre, "history[%zu].", i);
      if (!is_type(h, json_type_object)) {
        oci_shapes_add(s, OCI_SHAPE_DOC, OCI_SHAPE_FIELD_TYPE, "%s: \"history[%zu]\" must be an object, not %s", what,
                       i, oci_json_type_name(h));
        break;
      }
      for (size_t k = 0; k < sizeof hs / sizeof *hs; k++)
        config_field(s, h, hs[k], json_type_string, "a string", what, pre);
      config_field(s, h, "empty_layer", json_type_boolean, "a boolean", what, pre);
    }
  }
}
