/* descriptor_rules.c: the rules of one JSON object: a descriptor (types, digest, size, urls,
 * annotations, inline data, the empty descriptor, a platform object), the header of a document
 * (schemaVersion, mediaType against the descriptor, kind), and ref names. */
#include "verify.h"

#include <openssl/evp.h>

/* ---------------------------------------------------------- descriptors */

void oci_vdesc_clear(vdesc *d)
{
  free(d->where);
  free(d->media_type);
  free(d->digest);
  ocidig_platform_clear(&d->platform);
  free(d->ref_name);
  free(d->containerd_name);
  free(d->ref_type);
  free(d->ref_digest);
  memset(d, 0, sizeof *d);
}

/* A short text of a JSON value for messages: its JSON serialization (escaped by json-c),
 * at most 60 bytes. */
static char *json_text(json_object *v)
{
  const char *s =
      v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "null";
  size_t n = strlen(s);
  return n > 60 ? oci_sprintf("%.60s...", s) : oci_strdup(s);
}

/* Standard base64 with padding (RFC 4648 section 4): what the image spec's "data" is (Go's
 * []byte in JSON).  The text must be of the standard alphabet, its length a multiple of 4,
 * '=' only as its last one or two characters, no whitespace nor line breaks.  OpenSSL decodes;
 * EVP_DecodeBlock alone would also take leading and trailing whitespace, a trailing '-' and
 * '=' in the middle, so the text is checked first.  EVP_DecodeBlock counts the pad characters
 * as bytes: the length is trimmed by their number.  false when invalid or out of memory. */
static bool base64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen)
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
  if (!(buf = malloc(n / 4 * 3 + 1)))
    return false;
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

bool oci_vjson_is_strings(json_object *a)
{
  if (!oci_vjson_is(a, json_type_array))
    return false;
  for (size_t i = 0; i < json_object_array_length(a); i++)
    if (!oci_vjson_is(json_object_array_get_idx(a, i), json_type_string))
      return false;
  return true;
}

static bool is_string_map(json_object *o)
{
  if (!oci_vjson_is(o, json_type_object))
    return false;
  json_object_object_foreach(o, k, val)
  {
    (void)k;
    if (!oci_vjson_is(val, json_type_string))
      return false;
  }
  return true;
}

/* An optional field: absent or null is fine; else it must be of type t. */
static void check_optional(vstate *v, vctx c, json_object *obj, const char *key, json_type t, const char *want,
                           const char *where, const char *digest, const char *path)
{
  json_object *x = oci_json_get(obj, key);
  if (x && !json_object_is_type(x, t))
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: \"%s\" must be %s, not %s", where, key, want,
                    oci_json_type_name(x));
}

static char *annotation(json_object *ann, const char *key)
{
  json_object *x = oci_json_get(ann, key);
  return oci_vjson_is(x, json_type_string) ? oci_json_strdup(x) : NULL;
}

static void check_platform_object(vstate *v, vctx c, json_object *p, const char *where, const char *digest,
                                  const char *path, vdesc *out)
{
  bool ok = true;
  static const char *const required[] = {"architecture", "os"};
  if (!oci_vjson_is(p, json_type_object)) {
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: \"platform\" must be an object, not %s", where,
                    oci_json_type_name(p));
    return;
  }
  for (int i = 0; i < 2; i++) {
    json_object *x = oci_json_get(p, required[i]);
    if (!oci_json_has(p, required[i])) {
      oci_finding_add(v, c, VF_FIELD_MISSING, digest, path, "%s: the platform has no \"%s\" (required, a string)",
                      where, required[i]);
      ok = false;
    } else if (!oci_vjson_is(x, json_type_string)) {
      oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: platform \"%s\" must be a string, not %s", where,
                      required[i], oci_json_type_name(x));
      ok = false;
    }
  }
  if (oci_json_get(p, "variant") && !oci_vjson_is(oci_json_get(p, "variant"), json_type_string)) {
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: platform \"variant\" must be a string, not %s", where,
                    oci_json_type_name(oci_json_get(p, "variant")));
    ok = false;
  }
  if (oci_json_get(p, "os.version") && !oci_vjson_is(oci_json_get(p, "os.version"), json_type_string)) {
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: platform \"os.version\" must be a string, not %s", where,
                    oci_json_type_name(oci_json_get(p, "os.version")));
    ok = false;
  }
  if (oci_json_get(p, "os.features") && !oci_vjson_is_strings(oci_json_get(p, "os.features"))) {
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: platform \"os.features\" must be an array of strings",
                    where);
    ok = false;
  }
  if (ok) {
    ocidig_error e;
    if (oci_platform_parse_json(p, where, &out->platform, NULL, &e) == OCIDIG_OK)
      out->has_platform = true;
  }
}

/* Reads and checks one descriptor.  `digest`/`path` name the document holding it. */
void oci_vdesc_check(vstate *v, vctx c, json_object *obj, const char *where, const char *digest, const char *path,
                     bool index_child, vdesc *out)
{
  json_object *x;
  memset(out, 0, sizeof *out);
  out->where = oci_strdup(where);
  if (!out->where)
    v->nomem = true;
  if (!oci_vjson_is(obj, json_type_object)) {
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: a descriptor must be an object, not %s", where,
                    oci_json_type_name(obj));
    return;
  }
  /* mediaType */
  x = oci_json_get(obj, "mediaType");
  if (!oci_json_has(obj, "mediaType"))
    oci_finding_add(v, c, VF_FIELD_MISSING, digest, path, "%s: no \"mediaType\" (a descriptor requires a string)",
                    where);
  else if (!oci_vjson_is(x, json_type_string))
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: \"mediaType\" must be a string, not %s", where,
                    oci_json_type_name(x));
  else
    out->media_type = oci_json_strdup(x);
  /* digest */
  x = oci_json_get(obj, "digest");
  if (!oci_json_has(obj, "digest")) {
    oci_finding_add(v, c, VF_FIELD_MISSING, digest, path, "%s: no \"digest\" (a descriptor requires one)", where);
  } else if (!oci_vjson_is(x, json_type_string)) {
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: \"digest\" must be a string, not %s", where,
                    oci_json_type_name(x));
  } else {
    ocidig_error e;
    ocidig_code rc = ocidig_digest_parse(json_object_get_string(x), (size_t)json_object_get_string_len(x), &out->d, &e);
    if (rc == OCIDIG_OK) {
      char buf[OCIDIG_DIGEST_STRING_MAX];
      ocidig_digest_format(&out->d, buf);
      out->digest = oci_strdup(buf);
      out->digest_ok = out->digest != NULL;
      v->nomem = v->nomem || !out->digest;
    } else if (rc == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM) {
      oci_finding_add(v, c, VF_UNSUPPORTED_DIGEST_ALGORITHM, digest, path, "%s: %s", where, e.message);
    } else {
      oci_finding_add(v, c, VF_INVALID_DIGEST, digest, path, "%s: %s", where, e.message);
    }
  }
  /* size */
  x = oci_json_get(obj, "size");
  if (!oci_json_has(obj, "size")) {
    oci_finding_add(v, c, VF_FIELD_MISSING, digest, path, "%s: no \"size\" (a descriptor requires an integer)", where);
  } else if (!oci_json_int64(x, &out->size)) {
    char *t = json_text(x);
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path,
                    "%s: \"size\" must be an integer literal within int64, not %s %s", where, oci_json_type_name(x),
                    t ? t : "");
    free(t);
  } else if (out->size < 0) {
    oci_finding_add(v, c, VF_SIZE_NEGATIVE, digest, path, "%s: \"size\" is %lld; a size is 0 or more", where,
                    (long long)out->size);
  } else {
    out->size_ok = true;
  }
  /* the optional fields */
  check_optional(v, c, obj, "artifactType", json_type_string, "a string", where, digest, path);
  x = oci_json_get(obj, "urls");
  if (x && !oci_vjson_is_strings(x))
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: \"urls\" must be an array of strings", where);
  else if (x && json_object_array_length(x) > 0)
    out->foreign = true;
  x = oci_json_get(obj, "annotations");
  if (x && !is_string_map(x))
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: \"annotations\" must be an object of strings", where);
  if (oci_vjson_is(x, json_type_object)) {
    out->ref_name = annotation(x, ANN_REF_NAME);
    out->containerd_name = annotation(x, ANN_CONTAINERD_NAME);
    out->ref_type = annotation(x, ANN_REF_TYPE);
    out->ref_digest = annotation(x, ANN_REF_DIGEST);
  }
  x = oci_json_get(obj, "data");
  if (x && !oci_vjson_is(x, json_type_string)) {
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: \"data\" must be a base64 string, not %s", where,
                    oci_json_type_name(x));
  } else if (x) {
    uint8_t *data;
    size_t len;
    if (!base64_decode(json_object_get_string(x), (size_t)json_object_get_string_len(x), &data, &len)) {
      oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: \"data\" is not valid standard base64", where);
    } else {
      if (out->size_ok && (int64_t)len != out->size) {
        oci_finding_add(v, c, VF_DATA_MISMATCH, digest, path,
                        "%s: inline data is %zu bytes; the descriptor's size is %lld", where, len,
                        (long long)out->size);
      } else if (out->digest_ok) {
        char hex[129];
        if (!oci_hash_hex(out->d.alg, data, len, hex))
          v->nomem = true;
        else if (strcmp(hex, out->d.hex))
          oci_finding_add(v, c, VF_DATA_MISMATCH, digest, path, "%s: inline data hashes to %s:%s; expected %s", where,
                          ocidig_digest_alg_name(out->d.alg), hex, out->digest);
      }
      free(data);
    }
  }
  if (index_child && (x = oci_json_get(obj, "platform")) != NULL)
    check_platform_object(v, c, x, where, digest, path, out);
  /* the empty descriptor */
  if (out->media_type && !strcmp(out->media_type, MT_EMPTY) &&
      ((out->digest_ok && strcmp(out->digest, EMPTY_DIGEST)) || (out->size_ok && out->size != 2)))
    oci_finding_add(v, c, VF_EMPTY_DESCRIPTOR_INVALID, digest, path,
                    "%s: an empty descriptor (%s) must have digest %s and size 2 (the bytes \"{}\"), not %s and %lld",
                    where, MT_EMPTY, EMPTY_DIGEST, out->digest ? out->digest : "an invalid digest",
                    (long long)out->size);
  if (out->media_type && (strstr(out->media_type, "nondistributable") || strstr(out->media_type, "foreign.diff")))
    out->foreign = true;
  if (!out->media_type && oci_vjson_is(oci_json_get(obj, "mediaType"), json_type_string))
    v->nomem = true;
}

/* ------------------------------------------------------------ ref names */

static bool alnum(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* ref ::= component ("/" component)*; component ::= alphanum (separator alphanum)*;
 * alphanum ::= [A-Za-z0-9]+; separator ::= [-._:@+] | "--" */
static bool ref_name_valid(const char *s)
{
  const char *p = s;
  for (;;) {
    if (!alnum(*p))
      return false;
    while (alnum(*p))
      p++;
    if (*p == '\0')
      return true;
    if (*p == '/') {
      p++;
      continue;
    }
    if (p[0] == '-' && p[1] == '-')
      p += 2;
    else if (strchr("-._:@+", *p))
      p++;
    else
      return false;
  }
}

const char *oci_vdesc_image_name(const vdesc *d)
{
  if (d->ref_name && *d->ref_name)
    return d->ref_name;
  if (d->containerd_name && *d->containerd_name)
    return d->containerd_name;
  return NULL;
}

char *oci_vdesc_platform_text(const vdesc *d)
{
  if (!d->has_platform)
    return NULL;
  if (!d->platform.os && !d->platform.architecture && !d->platform.variant)
    return oci_strdup("{}");
  return ocidig_platform_format(&d->platform);
}

void oci_vref_names_check(vstate *v, const vdesc *kids, size_t n, const char *what)
{
  bool top = !strcmp(what, "index.json");
  for (size_t i = 0; i < n; i++) {
    const vdesc *a = &kids[i];
    if (!a->ref_name)
      continue;
    if (!ref_name_valid(a->ref_name)) {
      char *q = oci_quote(a->ref_name, strlen(a->ref_name), 120);
      oci_finding_add(v, LAYOUT_CTX, VF_REF_NAME_INVALID, a->digest, top ? "index.json" : NULL,
                      "%s: ref name %s does not match the OCI grammar (components of [A-Za-z0-9] joined by one of "
                      "-._:@+ or \"--\", separated by \"/\")",
                      a->where, q ? q : "?");
      free(q);
    }
    if (!top)
      continue;
    for (size_t j = 0; j < i; j++) {
      const vdesc *b = &kids[j];
      char *pa, *pb;
      bool same_platform;
      if (!b->ref_name || strcmp(a->ref_name, b->ref_name))
        continue;
      pa = oci_vdesc_platform_text(a);
      pb = oci_vdesc_platform_text(b);
      same_platform = oci_streq(pa, pb);
      free(pa);
      free(pb);
      if (oci_streq(a->digest, b->digest) && same_platform) {
        char *q = oci_quote(a->ref_name, strlen(a->ref_name), 120);
        oci_finding_add(v, LAYOUT_CTX, VF_REF_NAME_REPEATED, a->digest, "index.json",
                        "index.json manifests[%zu] and manifests[%zu] both name %s for the same digest", j, i,
                        q ? q : "?");
        free(q);
      } else if (same_platform) {
        char *q = oci_quote(a->ref_name, strlen(a->ref_name), 120);
        oci_finding_add(
            v, LAYOUT_CTX, VF_REF_NAME_DUPLICATE, a->digest, "index.json",
            "index.json manifests[%zu] and manifests[%zu] both name %s but point at different manifests (%s, %s); "
            "a ref name must identify one",
            j, i, q ? q : "?", b->digest ? b->digest : "(invalid digest)", a->digest ? a->digest : "(invalid digest)");
        free(q);
      }
      break;
    }
  }
}

/* schemaVersion, mediaType against the descriptor, kind, annotations.  false when the
 * document is not an object or not of the kind its descriptor says (not checked further). */
bool oci_vdoc_check(vstate *v, vctx c, json_object *root, ocidig_kind want, const char *desc_mt, const char *what,
                    const char *digest, const char *path)
{
  json_object *x;
  const char *body_mt = NULL;
  ocidig_kind body = OCIDIG_KIND_OTHER;
  int64_t sv;
  bool kind_ok = true;
  if (!oci_vjson_is(root, json_type_object)) {
    oci_finding_add(v, c, VF_INVALID_JSON, digest, path, "%s is %s, not a JSON object", what, oci_json_type_name(root));
    return false;
  }
  x = oci_json_get(root, "schemaVersion");
  if (!oci_json_has(root, "schemaVersion")) {
    oci_finding_add(v, c, VF_SCHEMA_VERSION, digest, path, "%s has no schemaVersion; expected 2", what);
  } else if (!oci_json_int64(x, &sv) || sv != 2) {
    char *t = json_text(x);
    oci_finding_add(v, c, VF_SCHEMA_VERSION, digest, path, "%s: schemaVersion is %s; expected 2", what, t ? t : "?");
    free(t);
  }
  x = oci_json_get(root, "mediaType");
  if (x && !oci_vjson_is(x, json_type_string))
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: \"mediaType\" must be a string, not %s", what,
                    oci_json_type_name(x));
  else if (x)
    body_mt = json_object_get_string(x);
  if (body_mt)
    body = ocidig_media_type_kind(body_mt);
  if (oci_json_has(root, "fsLayers")) {
    oci_finding_add(v, c, VF_KIND_MISMATCH, digest, path,
                    "%s is a Docker schema 1 manifest (fsLayers), which is not supported; expected %s", what,
                    want == OCIDIG_KIND_INDEX ? "an image index" : "an image manifest");
    kind_ok = false;
  } else if (want == OCIDIG_KIND_MANIFEST && (oci_json_has(root, "manifests") || body == OCIDIG_KIND_INDEX)) {
    oci_finding_add(v, c, VF_KIND_MISMATCH, digest, path,
                    "%s: the body is an index, but its descriptor says %s; its content is not checked further", what,
                    oci_str(desc_mt));
    kind_ok = false;
  } else if (want == OCIDIG_KIND_INDEX &&
             (oci_json_has(root, "config") || oci_json_has(root, "layers") || body == OCIDIG_KIND_MANIFEST)) {
    oci_finding_add(v, c, VF_KIND_MISMATCH, digest, path,
                    "%s: the body is a manifest, but %s; its content is not checked further", what,
                    desc_mt ? "its descriptor says an index" : "index.json must be an image index");
    kind_ok = false;
  } else if (body_mt && desc_mt && strcmp(body_mt, desc_mt)) {
    char *q = oci_quote(body_mt, strlen(body_mt), 100);
    oci_finding_add(v, c, VF_MEDIA_TYPE_MISMATCH, digest, path,
                    "%s: the body's mediaType is %s, but the descriptor that points at it says %s", what, q ? q : "?",
                    desc_mt);
    free(q);
  } else if (body_mt && !desc_mt && strcmp(body_mt, OCIDIG_MT_OCI_INDEX)) {
    char *q = oci_quote(body_mt, strlen(body_mt), 100);
    oci_finding_add(v, c, VF_MEDIA_TYPE_MISMATCH, digest, path, "%s: mediaType is %s; expected %s", what, q ? q : "?",
                    OCIDIG_MT_OCI_INDEX);
    free(q);
  }
  check_optional(v, c, root, "artifactType", json_type_string, "a string", what, digest, path);
  x = oci_json_get(root, "annotations");
  if (x && !is_string_map(x))
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, path, "%s: \"annotations\" must be an object of strings", what);
  return kind_ok;
}
