/* json.c: strict RFC 8259 check, duplicate keys and depth; then json-c builds the tree. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

/* What json-c's tree of a text holds, counted from the text and from the tree.  json-c
 * before 0.17 drops what it cannot allocate without saying so (a member whose key it could
 * not copy, an element it could not append, a value it could not make becomes null, a
 * string loses the piece it could not append): a tree that does not match the text is
 * out of memory, not a document with fields missing (tree_matches). */
typedef struct json_census {
  size_t members, elements, nulls, bytes; /* bytes: of keys and strings, decoded */
} json_census;

typedef struct key_span {
  const char *s; /* raw text between the quotes, or a decoded copy */
  size_t n;
  bool owned;
  size_t ord;         /* its place in the object: json-c keeps the last value of a key */
  json_census member; /* what the member (its key and value) adds to the tree */
} key_span;

typedef struct scanner {
  const uint8_t *p, *end, *start;
  unsigned depth;
  key_span *keys;
  size_t n_keys, cap_keys;
  oci_json_doc *doc;
  const char *what;
  ocidig_error *err;
  bool nomem;
  /* What json-c will allocate for the tree, estimated as the text is scanned: about
   * 800 bytes an object, 160 an array, 112 another value.  4 MiB of "[{},{},...]" would
   * take 1 GiB, so the text size alone bounds nothing. */
  size_t n_objects, n_arrays, n_values, memory;
  bool too_big;
  json_census census;  /* of the tree json-c will build from the text */
  bool census_off;     /* a key holds U+0000 (json-c cuts it there): no census */
  size_t str_len;      /* the last string scanned: its length once decoded */
  bool str_nul;        /* and whether it holds U+0000 */
  /* A piece of a larger text (oci_json_stream): offsets in messages are counted in the
   * whole text.  base: where the piece starts; gaps: (position in the piece, bytes left out
   * before it) pairs, ascending, for the elements a stream took out of the piece. */
  size_t base;
  const size_t *gaps;
  size_t n_gaps;
} scanner;

/* The position in the whole text of offset off of the piece scanned. */
static size_t text_offset(const size_t *gaps, size_t n_gaps, size_t base, size_t off)
{
  size_t add = 0;
  for (size_t i = 0; i < n_gaps; i++)
    if (gaps[2 * i] <= off)
      add = gaps[2 * i + 1];
  return base + off + add;
}

static ocidig_code scan_fail(scanner *sc, const char *why)
{
  if (sc->nomem)
    return oci_nomem(sc->err);
  return oci_fail(sc->err, OCIDIG_ERR_INVALID_JSON, "%s: invalid JSON at byte %zu: %s", sc->what,
                  text_offset(sc->gaps, sc->n_gaps, sc->base, (size_t)(sc->p - sc->start)), why);
}

/* Adds a value's estimated cost; false once past OCIDIG_MAX_JSON_MEMORY. */
static bool account(scanner *sc, size_t cost)
{
  sc->memory += cost;
  if (sc->memory > OCIDIG_MAX_JSON_MEMORY) {
    sc->too_big = true;
    return false;
  }
  return true;
}

static ocidig_code scan_too_big(scanner *sc)
{
  return oci_fail(sc->err, OCIDIG_ERR_JSON_TOO_LARGE,
                  "%s: would take more than %u MiB of memory once parsed (%zu objects, %zu arrays and %zu other "
                  "values in the first %zu bytes)",
                  sc->what, OCIDIG_MAX_JSON_MEMORY >> 20, sc->n_objects, sc->n_arrays, sc->n_values,
                  text_offset(sc->gaps, sc->n_gaps, sc->base, (size_t)(sc->p - sc->start)));
}

static void skip_ws(scanner *sc)
{
  while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
    sc->p++;
}

static int hexval(uint8_t c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static bool read_u4(const uint8_t *p, unsigned *out)
{
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(p[i]);
    if (h < 0)
      return false;
    v = v * 16 + (unsigned)h;
  }
  *out = v;
  return true;
}

static void put_utf8(oci_buf *b, unsigned cp)
{
  char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xc0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xe0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    u[2] = (char)(0x80 | (cp & 0x3f));
    n = 3;
  } else {
    u[0] = (char)(0xf0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    u[3] = (char)(0x80 | (cp & 0x3f));
    n = 4;
  }
  oci_buf_add(b, u, n);
}

/* Decodes the escapes of a string body already known to be well-formed. */
static char *decode_escapes(const uint8_t *s, size_t n, size_t *outlen)
{
  oci_buf b = {0};
  char *r;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\\') {
      oci_buf_add(&b, (const char *)&s[i], 1);
      continue;
    }
    i++;
    switch (s[i]) {
    case 'b': oci_buf_add(&b, "\b", 1); break;
    case 'f': oci_buf_add(&b, "\f", 1); break;
    case 'n': oci_buf_add(&b, "\n", 1); break;
    case 'r': oci_buf_add(&b, "\r", 1); break;
    case 't': oci_buf_add(&b, "\t", 1); break;
    case 'u': {
      unsigned cp = 0, lo;
      read_u4(s + i + 1, &cp);
      i += 4;
      if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < n && s[i + 1] == '\\' && s[i + 2] == 'u' &&
          read_u4(s + i + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i += 6;
      } else if (cp >= 0xd800 && cp < 0xe000) {
        cp = 0xfffd; /* a lone surrogate, as Go decodes it */
      }
      put_utf8(&b, cp);
      break;
    }
    default: oci_buf_add(&b, (const char *)&s[i], 1); break;
    }
  }
  *outlen = b.len;
  r = oci_buf_take(&b);
  return r;
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629 §4: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0. */
size_t oci_utf8_len(const uint8_t *p, const uint8_t *end)
{
  size_t n = (size_t)(end - p);
  uint8_t c = p[0];
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    uint8_t lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return n >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    uint8_t lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return n >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
  }
  return 0; /* 0x80-0xc1 (a continuation byte, an overlong lead), 0xf5-0xff */
}

/* Scans a string starting at the opening quote; on success p is past the closing quote.
 * The text must be UTF-8 (RFC 8259 §8.1), and a \u escape of a surrogate must be half of a
 * pair (§8.2 leaves unpaired ones to the parser; they stand for no character and json-c
 * would turn them into invalid UTF-8): both are invalid-json (doc/resolution.md §5.8). */
static ocidig_code scan_string(scanner *sc, const uint8_t **body, size_t *body_len, bool *escaped)
{
  const uint8_t *p = sc->p + 1;
  size_t out = 0;
  *escaped = false;
  sc->str_nul = false;
  while (p < sc->end && *p != '"') {
    if (*p < 0x20) {
      sc->p = p;
      return scan_fail(sc, "control character in a string");
    }
    if (*p == '\\') {
      *escaped = true;
      if (p + 1 >= sc->end)
        break;
      switch (p[1]) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        p += 2;
        out++;
        continue;
      case 'u': {
        unsigned cp, lo;
        if (p + 6 > sc->end || !read_u4(p + 2, &cp)) {
          sc->p = p;
          return scan_fail(sc, "bad \\u escape");
        }
        if (cp >= 0xdc00 && cp < 0xe000) {
          sc->p = p;
          return scan_fail(sc, "a \\u escape of a low surrogate without a high one before it");
        }
        if (cp >= 0xd800 && cp < 0xdc00) {
          if (p + 12 > sc->end || p[6] != '\\' || p[7] != 'u' || !read_u4(p + 8, &lo) || lo < 0xdc00 ||
              lo >= 0xe000) {
            sc->p = p;
            return scan_fail(sc, "a \\u escape of a high surrogate without a low one after it");
          }
          p += 6;
          out++; /* 4 bytes in all */
        }
        p += 6;
        out += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
        sc->str_nul = sc->str_nul || cp == 0;
        continue;
      }
      default:
        sc->p = p;
        return scan_fail(sc, "bad escape in a string");
      }
    }
    if (*p >= 0x80) {
      size_t n = oci_utf8_len(p, sc->end);
      if (!n) {
        sc->p = p;
        return scan_fail(sc, "invalid UTF-8 in a string");
      }
      p += n;
      out += n;
      continue;
    }
    p++;
    out++;
  }
  if (p >= sc->end) {
    sc->p = p;
    return scan_fail(sc, "unterminated string");
  }
  sc->str_len = out;
  *body = sc->p + 1;
  *body_len = (size_t)(p - (sc->p + 1));
  sc->p = p + 1;
  if (!account(sc, *body_len)) /* keys and strings are copied */
    return scan_too_big(sc);
  return OCIDIG_OK;
}

static ocidig_code scan_number(scanner *sc)
{
  const uint8_t *p = sc->p;
  if (p < sc->end && *p == '-')
    p++;
  if (p >= sc->end)
    goto bad;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (p < sc->end && *p >= '0' && *p <= '9')
      p++;
  else
    goto bad;
  if (p < sc->end && *p == '.') {
    p++;
    if (p >= sc->end || !(*p >= '0' && *p <= '9'))
      goto bad;
    while (p < sc->end && *p >= '0' && *p <= '9')
      p++;
  }
  if (p < sc->end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < sc->end && (*p == '+' || *p == '-'))
      p++;
    if (p >= sc->end || !(*p >= '0' && *p <= '9'))
      goto bad;
    while (p < sc->end && *p >= '0' && *p <= '9')
      p++;
  }
  sc->p = p;
  return OCIDIG_OK;
bad:
  sc->p = p;
  return scan_fail(sc, "malformed number");
}

static int key_cmp(const void *a, const void *b)
{
  const key_span *x = a, *y = b;
  if (x->n != y->n)
    return x->n < y->n ? -1 : 1;
  return memcmp(x->s, y->s, x->n);
}

/* By key, then by place in the object. */
static int key_ord_cmp(const void *a, const void *b)
{
  const key_span *x = a, *y = b;
  int c = key_cmp(a, b);
  return c ? c : x->ord < y->ord ? -1 : x->ord > y->ord;
}

static void census_add(json_census *to, const json_census *c)
{
  to->members += c->members;
  to->elements += c->elements;
  to->nulls += c->nulls;
  to->bytes += c->bytes;
}

static void census_sub(json_census *to, const json_census *c)
{
  to->members -= c->members;
  to->elements -= c->elements;
  to->nulls -= c->nulls;
  to->bytes -= c->bytes;
}

static void note_duplicate(scanner *sc, const key_span *k)
{
  oci_json_doc *doc = sc->doc;
  char *name;
  if (doc->n_dup_keys >= 8)
    return;
  for (size_t i = 0; i < doc->n_dup_keys; i++)
    if (strlen(doc->dup_keys[i]) == k->n && !memcmp(doc->dup_keys[i], k->s, k->n))
      return;
  name = oci_strndup(k->s, k->n);
  if (!name || !oci_strv_push(&doc->dup_keys, &doc->n_dup_keys, name))
    sc->nomem = true;
  free(name);
}

/* Checks the keys of the object that began at keys[first].  A key that occurs again
 * replaces the member before it in json-c's tree: the census loses that member. */
static void check_duplicates(scanner *sc, size_t first)
{
  size_t n = sc->n_keys - first;
  key_span *k = sc->keys + first;
  if (n < 2)
    return;
  qsort(k, n, sizeof *k, key_ord_cmp);
  for (size_t i = 1; i < n; i++)
    if (!key_cmp(&k[i - 1], &k[i])) {
      note_duplicate(sc, &k[i]);
      census_sub(&sc->census, &k[i - 1].member);
    }
}

static void pop_keys(scanner *sc, size_t first)
{
  for (size_t i = first; i < sc->n_keys; i++)
    if (sc->keys[i].owned)
      free((void *)sc->keys[i].s);
  sc->n_keys = first;
}

static ocidig_code scan_value(scanner *sc);

static ocidig_code scan_object(scanner *sc)
{
  size_t first = sc->n_keys;
  json_census before;
  ocidig_code rc;
  sc->p++; /* { */
  skip_ws(sc);
  if (sc->p < sc->end && *sc->p == '}') {
    sc->p++;
    return OCIDIG_OK;
  }
  for (;;) {
    const uint8_t *body;
    size_t blen;
    bool esc;
    key_span k;
    skip_ws(sc);
    if (sc->p >= sc->end || *sc->p != '"')
      return scan_fail(sc, "expected a string key");
    if ((rc = scan_string(sc, &body, &blen, &esc)) != OCIDIG_OK)
      return rc;
    k.s = (const char *)body;
    k.n = blen;
    k.owned = false;
    k.ord = sc->n_keys - first;
    k.member = (json_census){.members = 1, .bytes = sc->str_len};
    sc->census_off = sc->census_off || sc->str_nul;
    if (esc) {
      k.s = decode_escapes(body, blen, &k.n);
      k.owned = true;
      if (!k.s) {
        sc->nomem = true;
        return scan_fail(sc, "out of memory");
      }
    }
    if (!oci_grow((void **)&sc->keys, &sc->cap_keys, sc->n_keys + 1, sizeof *sc->keys)) {
      if (k.owned)
        free((void *)k.s);
      sc->nomem = true;
      return scan_fail(sc, "out of memory");
    }
    sc->keys[sc->n_keys++] = k;
    skip_ws(sc);
    if (sc->p >= sc->end || *sc->p != ':')
      return scan_fail(sc, "expected ':' after a key");
    sc->p++;
    before = sc->census;
    if ((rc = scan_value(sc)) != OCIDIG_OK)
      return rc;
    { /* the member: its key and what its value added (nested objects' keys are popped) */
      key_span *mine = &sc->keys[first + k.ord];
      json_census value = sc->census;
      census_sub(&value, &before);
      census_add(&mine->member, &value);
      sc->census.members++;
      sc->census.bytes += k.member.bytes; /* the key's own */
    }
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == ',') {
      sc->p++;
      continue;
    }
    if (sc->p < sc->end && *sc->p == '}') {
      sc->p++;
      break;
    }
    return scan_fail(sc, "expected ',' or '}' in an object");
  }
  check_duplicates(sc, first);
  pop_keys(sc, first);
  return sc->nomem ? scan_fail(sc, "out of memory") : OCIDIG_OK;
}

static ocidig_code scan_array(scanner *sc)
{
  ocidig_code rc;
  sc->p++; /* [ */
  skip_ws(sc);
  if (sc->p < sc->end && *sc->p == ']') {
    sc->p++;
    return OCIDIG_OK;
  }
  for (;;) {
    if ((rc = scan_value(sc)) != OCIDIG_OK)
      return rc;
    sc->census.elements++;
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == ',') {
      sc->p++;
      continue;
    }
    if (sc->p < sc->end && *sc->p == ']') {
      sc->p++;
      return OCIDIG_OK;
    }
    return scan_fail(sc, "expected ',' or ']' in an array");
  }
}

static ocidig_code scan_literal(scanner *sc, const char *word)
{
  size_t n = strlen(word);
  if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n))
    return scan_fail(sc, "unexpected character");
  sc->p += n;
  return OCIDIG_OK;
}

static ocidig_code scan_value(scanner *sc)
{
  ocidig_code rc;
  skip_ws(sc);
  if (sc->p >= sc->end)
    return scan_fail(sc, "unexpected end of input");
  if (*sc->p == '{')
    sc->n_objects++;
  else if (*sc->p == '[')
    sc->n_arrays++;
  else
    sc->n_values++;
  /* 16 more for the slot in the parent array or object. */
  if (!account(sc, (*sc->p == '{' ? 800 : *sc->p == '[' ? 160 : 112) + 16))
    return scan_too_big(sc);
  switch (*sc->p) {
  case '{':
  case '[':
    if (++sc->depth > OCIDIG_MAX_JSON_DEPTH)
      return scan_fail(sc, "nested deeper than " OCI_STR(OCIDIG_MAX_JSON_DEPTH) " levels");
    rc = *sc->p == '{' ? scan_object(sc) : scan_array(sc);
    sc->depth--;
    return rc;
  case '"': {
    const uint8_t *b;
    size_t n;
    bool e;
    rc = scan_string(sc, &b, &n, &e);
    sc->census.bytes += sc->str_len;
    return rc;
  }
  case 't':
    return scan_literal(sc, "true");
  case 'f':
    return scan_literal(sc, "false");
  case 'n':
    sc->census.nulls++;
    return scan_literal(sc, "null");
  default:
    if (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9'))
      return scan_number(sc);
    if (sc->p == sc->start && sc->end - sc->p >= 3 && sc->p[0] == 0xef && sc->p[1] == 0xbb && sc->p[2] == 0xbf)
      return scan_fail(sc, "UTF-8 byte-order mark");
    return scan_fail(sc, "unexpected character");
  }
}

/* Counts what the tree holds (see json_census). */
static void tree_census(json_object *v, json_census *c)
{
  switch (json_object_get_type(v)) {
  case json_type_null:
    c->nulls++;
    break;
  case json_type_string:
    c->bytes += (size_t)json_object_get_string_len(v);
    break;
  case json_type_object: {
    json_object_object_foreach(v, key, val) {
      c->members++;
      c->bytes += strlen(key);
      tree_census(val, c);
    }
    break;
  }
  case json_type_array:
    for (size_t i = 0, n = json_object_array_length(v); i < n; i++) {
      c->elements++;
      tree_census(json_object_array_get_idx(v, i), c);
    }
    break;
  default:
    break;
  }
}

/* Does the tree hold all the text does (json-c before 0.17 drops what it cannot allocate)? */
static bool tree_matches(const scanner *sc, json_object *root)
{
  json_census c = {0};
  if (sc->census_off)
    return true;
  tree_census(root, &c);
  return c.members == sc->census.members && c.elements == sc->census.elements && c.nulls == sc->census.nulls &&
         c.bytes == sc->census.bytes;
}

/* The text is the literal null (whitespace around it allowed). */
static bool is_null_text(const uint8_t *p, size_t n)
{
  while (n && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++, n--;
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' || p[n - 1] == '\r'))
    n--;
  return n == 4 && !memcmp(p, "null", 4);
}

/* oci_json_parse for the whole text or a piece of one (see scanner): depth levels enclose
 * the piece. */
static ocidig_code parse_piece(const uint8_t *data, size_t len, const char *what, size_t base, unsigned depth,
                               const size_t *gaps, size_t n_gaps, oci_json_doc *doc, ocidig_error *err)
{
  scanner sc = {.p = data, .end = data + len, .start = data, .doc = doc, .what = what, .err = err,
                .depth = depth, .base = base, .gaps = gaps, .n_gaps = n_gaps};
  struct json_tokener *tok;
  ocidig_code rc;

  memset(doc, 0, sizeof *doc);
  if (len > OCIDIG_MAX_JSON_SIZE)
    return oci_fail(err, OCIDIG_ERR_JSON_TOO_LARGE, "%s: %zu bytes, more than the %u-byte limit for a JSON document",
                    what, len, OCIDIG_MAX_JSON_SIZE);
  rc = scan_value(&sc);
  if (rc == OCIDIG_OK) {
    skip_ws(&sc);
    if (sc.p != sc.end)
      rc = scan_fail(&sc, "trailing data after the JSON value");
  }
  pop_keys(&sc, 0);
  free(sc.keys);
  if (rc != OCIDIG_OK) {
    oci_json_doc_free(doc);
    return rc;
  }

  tok = json_tokener_new_ex(OCIDIG_MAX_JSON_DEPTH + 1 - (int)depth);
  if (!tok) {
    oci_json_doc_free(doc);
    return oci_nomem(err);
  }
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  doc->root = json_tokener_parse_ex(tok, (const char *)data, (int)len);
  /* A bare top-level number only ends at the terminator: give it one. */
  if (!doc->root && json_tokener_get_error(tok) == json_tokener_continue)
    doc->root = json_tokener_parse_ex(tok, "", 1);
  /* An element that is null (json-c's null is a NULL tree): valid inside a document. */
  if (!doc->root && depth > 0 && json_tokener_get_error(tok) == json_tokener_success &&
      is_null_text(data, len)) {
    json_tokener_free(tok);
    return OCIDIG_OK;
  }
  if (!doc->root || json_tokener_get_error(tok) != json_tokener_success) {
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t off = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    oci_json_doc_free(doc);
    /* An allocation failed inside json-c: json-c 0.17 says so (json_tokener_error_memory);
     * before, it returns no tree and no error, which otherwise only the text null gives.
     * Out of memory, not an invalid document. */
#if defined(JSON_C_VERSION_NUM) && JSON_C_VERSION_NUM >= 0x001100
    if (e == json_tokener_error_memory)
      return oci_nomem(err);
#endif
    if (e == json_tokener_success && !is_null_text(data, len))
      return oci_nomem(err);
    if (e == json_tokener_success) /* the text null: valid JSON, but no document */
      return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s is null, not a JSON object", what);
    if (e == json_tokener_continue)
      return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: invalid JSON: unexpected end of input", what);
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: invalid JSON at byte %zu: %s", what,
                    text_offset(gaps, n_gaps, base, off), json_tokener_error_desc(e));
  }
  json_tokener_free(tok);
  if (!tree_matches(&sc, doc->root)) {
    oci_json_doc_free(doc);
    return oci_nomem(err);
  }
  return OCIDIG_OK;
}

ocidig_code oci_json_parse(const uint8_t *data, size_t len, const char *what, oci_json_doc *doc,
                           ocidig_error *err)
{
  return parse_piece(data, len, what, 0, 0, NULL, 0, doc, err);
}

void oci_json_doc_free(oci_json_doc *doc)
{
  json_object_put(doc->root);
  oci_strv_free(doc->dup_keys, doc->n_dup_keys);
  memset(doc, 0, sizeof *doc);
}

json_object *oci_json_get(json_object *obj, const char *key)
{
  json_object *v = NULL;
  if (!obj || !json_object_is_type(obj, json_type_object))
    return NULL;
  if (!json_object_object_get_ex(obj, key, &v))
    return NULL;
  return v;
}

bool oci_json_add(json_object *obj, const char *key, json_object *val)
{
  if (!obj || !val || json_object_object_add(obj, key, val)) {
    json_object_put(val);
    return false;
  }
  return true;
}

bool oci_json_push(json_object *arr, json_object *val)
{
  if (!arr || !val || json_object_array_add(arr, val)) {
    json_object_put(val);
    return false;
  }
  return true;
}

bool oci_json_is_strings(json_object *a)
{
  if (!a || !json_object_is_type(a, json_type_array))
    return false;
  for (size_t i = 0; i < json_object_array_length(a); i++) {
    json_object *x = json_object_array_get_idx(a, i);
    if (!x || !json_object_is_type(x, json_type_string))
      return false;
  }
  return true;
}

bool oci_json_has(json_object *obj, const char *key)
{
  return obj && json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, NULL);
}

char *oci_json_strdup(json_object *str)
{
  const char *s = json_object_get_string(str);
  size_t n = (size_t)json_object_get_string_len(str);
  oci_buf b = {0};
  if (strlen(s) == n)
    return oci_strndup(s, n);
  for (size_t i = 0; i < n; i++) {
    if (s[i])
      oci_buf_add(&b, &s[i], 1);
    else
      oci_buf_puts(&b, "\\u0000");
  }
  return oci_buf_take(&b);
}

bool oci_json_int64(json_object *v, int64_t *out)
{
  int64_t x;
  if (!v || !json_object_is_type(v, json_type_int))
    return false;
  x = json_object_get_int64(v);
  /* json-c clamps a literal beyond int64 to INT64_MAX (or keeps it as uint64). */
  if (x == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX)
    return false;
  *out = x;
  return true;
}

const char *oci_json_type_name(json_object *v)
{
  return v ? json_type_to_name(json_object_get_type(v)) : "absent";
}

/* ------------------------------------------------------------ streaming */

/* The splitter follows the text byte by byte: strings (with their escapes) and the nesting
 * depth outside the array it splits, and the grammar between that array's elements.  Each
 * element is cut out and checked on its own (parse_piece, the same scanner); the rest, the
 * "frame" with the array emptied, is checked as one document at the end.  A text is valid
 * exactly when its frame and each element are, so the verdicts are those of oci_json_parse
 * (the first error may be another one of the same document). */
enum { A_NONE = 0, A_START, A_ELEM, A_AFTER, A_COMMA };

struct oci_json_stream {
  const char *what;
  const char *key;
  oci_json_element_fn fn;
  void *ctx;
  size_t off; /* bytes fed so far */
  oci_buf frame;
  size_t *gaps; /* pairs: position of the ']' in the frame, bytes left out before it */
  size_t n_gaps, cap_gaps, removed;
  /* outside the array */
  int mode; /* 0: before the top value; 1: inside the top object; 2: anything else, or after it */
  unsigned depth;
  bool in_str, esc, expect_key, in_key, key_done, want_value, key_target;
  char keybuf[64];
  size_t keylen;
  bool key_long;
  /* inside the array */
  int astate;
  size_t array_open; /* offset of its '[' */
  oci_buf elem;
  size_t elem_start;
  unsigned edepth;
  bool estr, eesc, escalar;
  size_t n_elems;
  /* outcome */
  bool failed; /* err holds the first error of the text */
  ocidig_error err;
  bool deferred; /* the callback refused an element: def holds why */
  ocidig_error def;
  char **dup_keys;
  size_t n_dup_keys;
};

oci_json_stream *oci_json_stream_new(const char *what, const char *key, oci_json_element_fn fn, void *ctx)
{
  oci_json_stream *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->what = what;
  s->key = key;
  s->fn = fn;
  s->ctx = ctx;
  return s;
}

void oci_json_stream_free(oci_json_stream *s)
{
  if (!s)
    return;
  oci_buf_free(&s->frame);
  oci_buf_free(&s->elem);
  free(s->gaps);
  oci_strv_free(s->dup_keys, s->n_dup_keys);
  free(s);
}

static void stream_fail(oci_json_stream *s, ocidig_code code, size_t at, const char *why)
{
  if (s->failed)
    return;
  s->failed = true;
  if (code == OCIDIG_ERR_INVALID_JSON)
    oci_fail(&s->err, code, "%s: invalid JSON at byte %zu: %s", s->what, at, why);
  else if (code == OCIDIG_ERR_NOMEM)
    oci_nomem(&s->err);
  else
    oci_fail(&s->err, code, "%s: %s", s->what, why);
}

static void merge_dup_keys(oci_json_stream *s, const oci_json_doc *doc)
{
  for (size_t i = 0; i < doc->n_dup_keys && s->n_dup_keys < 8; i++) {
    bool seen = false;
    for (size_t j = 0; j < s->n_dup_keys && !seen; j++)
      seen = !strcmp(s->dup_keys[j], doc->dup_keys[i]);
    if (!seen && !oci_strv_push(&s->dup_keys, &s->n_dup_keys, doc->dup_keys[i]))
      stream_fail(s, OCIDIG_ERR_NOMEM, 0, NULL);
  }
}

/* An element is complete: check it, hand it over. */
static void stream_element(oci_json_stream *s)
{
  oci_json_doc doc;
  ocidig_error e;
  ocidig_code rc;
  size_t i = s->n_elems++;
  /* an element sits at depth 2 under a key of the top object, at depth 1 in a top array */
  rc = parse_piece((const uint8_t *)s->elem.s, s->elem.len, s->what, s->elem_start, s->key ? 2 : 1, NULL, 0, &doc,
                   &e);
  s->elem.len = 0;
  s->astate = A_AFTER;
  if (rc != OCIDIG_OK) {
    s->failed = true;
    s->err = e;
    return;
  }
  merge_dup_keys(s, &doc);
  if (!s->deferred && s->fn && (rc = s->fn(s->ctx, i, doc.root, &e)) != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM) {
      s->failed = true;
      s->err = e;
    } else {
      s->deferred = true;
      s->def = e;
    }
  }
  oci_json_doc_free(&doc);
}

/* Is the key just read (raw, between the quotes) the one to split? */
static bool key_is(const oci_json_stream *s)
{
  char dec[64];
  size_t n = 0;
  if (s->key_long || !s->key)
    return false;
  for (size_t i = 0; i < s->keylen; i++) {
    unsigned cp;
    if (s->keybuf[i] != '\\') {
      dec[n++] = s->keybuf[i];
      continue;
    }
    /* Escapes in a key: only \uXXXX of ASCII and \/ can spell a plain key. */
    if (i + 1 < s->keylen && s->keybuf[i + 1] == '/') {
      dec[n++] = '/';
      i++;
      continue;
    }
    if (i + 5 >= s->keylen)
      return false;
    if (s->keybuf[i + 1] != 'u' || !read_u4((const uint8_t *)s->keybuf + i + 2, &cp) || cp == 0 || cp >= 0x80)
      return false;
    dec[n++] = (char)cp;
    i += 5;
  }
  return n == strlen(s->key) && !memcmp(dec, s->key, n);
}

static bool frame_put(oci_json_stream *s, uint8_t c)
{
  if (s->frame.len >= OCIDIG_MAX_JSON_SIZE) {
    char why[160];
    snprintf(why, sizeof why, "more than %u bytes besides the elements of %s%s%s (the limit for a JSON document)",
             OCIDIG_MAX_JSON_SIZE, s->key ? "\"" : "", s->key ? s->key : "the top array", s->key ? "\"" : "");
    stream_fail(s, OCIDIG_ERR_JSON_TOO_LARGE, 0, why);
    return false;
  }
  oci_buf_add(&s->frame, (const char *)&c, 1);
  if (s->frame.failed) {
    stream_fail(s, OCIDIG_ERR_NOMEM, 0, NULL);
    return false;
  }
  return true;
}

static bool is_ws(uint8_t c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void leave_array(oci_json_stream *s)
{
  s->removed += s->off - s->array_open - 1;
  if (!oci_grow((void **)&s->gaps, &s->cap_gaps, 2 * (s->n_gaps + 1), sizeof *s->gaps)) {
    stream_fail(s, OCIDIG_ERR_NOMEM, 0, NULL);
    return;
  }
  s->gaps[2 * s->n_gaps] = s->frame.len;
  s->gaps[2 * s->n_gaps + 1] = s->removed;
  s->n_gaps++;
  s->astate = A_NONE;
  frame_put(s, ']');
}

/* One byte inside the array being split. */
static void array_byte(oci_json_stream *s, uint8_t c)
{
  switch (s->astate) {
  case A_START:
  case A_COMMA:
    if (is_ws(c))
      return;
    if (c == ']') {
      if (s->astate == A_START)
        leave_array(s);
      else
        stream_fail(s, OCIDIG_ERR_INVALID_JSON, s->off, "unexpected character");
      return;
    }
    s->astate = A_ELEM;
    s->elem_start = s->off;
    s->elem.len = 0;
    s->estr = c == '"';
    s->eesc = false;
    s->escalar = c != '{' && c != '[' && c != '"';
    s->edepth = (c == '{' || c == '[') ? 1 : 0;
    oci_buf_add(&s->elem, (const char *)&c, 1);
    return;
  case A_ELEM:
    if (s->escalar && (is_ws(c) || c == ',' || c == ']')) {
      stream_element(s);
      if (!s->failed)
        array_byte(s, c);
      return;
    }
    if (s->elem.len >= OCIDIG_MAX_JSON_SIZE) {
      char why[160];
      snprintf(why, sizeof why, "an element of %s%s%s at byte %zu is more than %u bytes long", s->key ? "\"" : "",
               s->key ? s->key : "the top array", s->key ? "\"" : "", s->elem_start, OCIDIG_MAX_JSON_SIZE);
      stream_fail(s, OCIDIG_ERR_JSON_TOO_LARGE, 0, why);
      return;
    }
    oci_buf_add(&s->elem, (const char *)&c, 1);
    if (s->elem.failed) {
      stream_fail(s, OCIDIG_ERR_NOMEM, 0, NULL);
      return;
    }
    if (s->escalar)
      return;
    if (s->estr) {
      if (s->eesc)
        s->eesc = false;
      else if (c == '\\')
        s->eesc = true;
      else if (c == '"') {
        s->estr = false;
        if (s->edepth == 0)
          stream_element(s);
      }
      return;
    }
    if (c == '"')
      s->estr = true;
    else if (c == '{' || c == '[')
      s->edepth++;
    else if ((c == '}' || c == ']') && --s->edepth == 0)
      stream_element(s);
    return;
  case A_AFTER:
    if (is_ws(c))
      return;
    if (c == ',')
      s->astate = A_COMMA;
    else if (c == ']')
      leave_array(s);
    else
      stream_fail(s, OCIDIG_ERR_INVALID_JSON, s->off, "expected ',' or ']' in an array");
    return;
  }
}

/* One byte outside the array. */
static void frame_byte(oci_json_stream *s, uint8_t c)
{
  if (s->mode == 0) {
    if (is_ws(c)) {
      frame_put(s, c);
      return;
    }
    s->mode = 2;
    if (c == '[' && !s->key) {
      /* key NULL: the top value is the array to split */
      if (!frame_put(s, c))
        return;
      s->astate = A_START;
      s->array_open = s->off;
      return;
    }
    if (c == '{') {
      s->mode = 1;
      s->depth = 1;
      s->expect_key = true;
    }
    frame_put(s, c);
    return;
  }
  if (s->mode == 2) {
    frame_put(s, c);
    return;
  }
  if (s->in_str) {
    if (s->esc) {
      s->esc = false;
    } else if (c == '\\') {
      s->esc = true;
    } else if (c == '"') {
      s->in_str = false;
      if (s->in_key) {
        s->in_key = false;
        s->key_done = true;
        s->key_target = key_is(s);
      }
      frame_put(s, c);
      return;
    }
    if (s->in_key) {
      if (s->keylen < sizeof s->keybuf)
        s->keybuf[s->keylen++] = (char)c;
      else
        s->key_long = true;
    }
    frame_put(s, c);
    return;
  }
  if (is_ws(c)) {
    frame_put(s, c);
    return;
  }
  if (s->depth == 1) {
    if (c == '"' && s->expect_key) {
      s->expect_key = false;
      s->in_key = true;
      s->keylen = 0;
      s->key_long = false;
    } else if (c == ':' && s->key_done) {
      s->key_done = false;
      s->want_value = true;
      frame_put(s, c);
      return;
    } else if (c == ',') {
      s->expect_key = true;
      s->want_value = false;
    } else if (s->want_value) {
      s->want_value = false;
      if (c == '[' && s->key_target) {
        /* The array to split: elements go their own way from here. */
        if (!frame_put(s, c))
          return;
        s->astate = A_START;
        s->array_open = s->off;
        if (s->fn && s->n_elems) {
          /* A later occurrence of the key replaces the earlier one (as in Go). */
          ocidig_error e;
          s->fn(s->ctx, SIZE_MAX, NULL, &e);
        }
        s->deferred = false;
        s->n_elems = 0;
        return;
      }
    }
  }
  if (c == '"')
    s->in_str = true;
  else if (c == '{' || c == '[')
    s->depth++;
  else if ((c == '}' || c == ']') && s->depth > 0 && --s->depth == 0)
    s->mode = 2;
  frame_put(s, c);
}

void oci_json_stream_feed(oci_json_stream *s, const void *buf, size_t len)
{
  const uint8_t *p = buf;
  for (size_t i = 0; i < len && !s->failed; i++, s->off++) {
    if (s->astate != A_NONE)
      array_byte(s, p[i]);
    else
      frame_byte(s, p[i]);
  }
}

ocidig_code oci_json_stream_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  (void)err;
  oci_json_stream_feed(ctx, buf, len);
  return OCIDIG_OK;
}

ocidig_code oci_json_stream_finish(oci_json_stream *s, oci_json_doc *doc, ocidig_error *err)
{
  ocidig_code rc;
  memset(doc, 0, sizeof *doc);
  if (!s->failed && s->astate == A_ELEM) {
    /* The text ends inside an element: its own error says how. */
    stream_element(s);
  }
  if (!s->failed && s->astate != A_NONE) {
    /* The text ends inside the array: the frame's error is at its end. */
    s->removed += s->off - s->array_open - 1;
    if (oci_grow((void **)&s->gaps, &s->cap_gaps, 2 * (s->n_gaps + 1), sizeof *s->gaps)) {
      s->gaps[2 * s->n_gaps] = s->frame.len;
      s->gaps[2 * s->n_gaps + 1] = s->removed;
      s->n_gaps++;
    }
  }
  if (s->failed) {
    if (err)
      *err = s->err;
    return s->err.code;
  }
  rc = parse_piece((const uint8_t *)(s->frame.s ? s->frame.s : ""), s->frame.len, s->what, 0, 0, s->gaps, s->n_gaps,
                   doc, err);
  if (rc != OCIDIG_OK)
    return rc;
  {
    /* The elements' duplicate keys first (their objects closed first), then the frame's. */
    merge_dup_keys(s, doc);
    oci_strv_free(doc->dup_keys, doc->n_dup_keys);
    doc->dup_keys = s->dup_keys;
    doc->n_dup_keys = s->n_dup_keys;
    s->dup_keys = NULL;
    s->n_dup_keys = 0;
    if (s->failed) {
      oci_json_doc_free(doc);
      if (err)
        *err = s->err;
      return s->err.code;
    }
  }
  return OCIDIG_OK;
}

bool oci_json_stream_split(const oci_json_stream *s, size_t *n)
{
  if (n)
    *n = s->n_elems;
  return s->gaps != NULL || s->astate != A_NONE;
}

const ocidig_error *oci_json_stream_refused(const oci_json_stream *s)
{
  return s->deferred ? &s->def : NULL;
}
