/* json_write.c: JSON out: the streaming writer for large reports and the pass that makes any
 * JSON text valid UTF-8 (see json.h).  Apart from json.c, which reads. */
#include "json.h"

#include <stdlib.h>
#include <string.h>
/* --- Streaming writer ---------------------------------------------------------------- */

static size_t utf8_fixed_len(const char *s, size_t *bad);

/* What json-c writes between a container's members and around its brackets (json-c's
 * json_object_object_to_json_string and _array_to_json_string), so that a report written
 * piecewise reads exactly as the same tree written by json-c at once. */
static void writer_indent(oci_json_writer *w, int level)
{
  if (w->flags & JSON_C_TO_STRING_PRETTY)
    for (int i = 0; i < level; i++)
      oci_buf_add(&w->out, "  ", 2);
}

static void writer_member(oci_json_writer *w, const char *key)
{
  if (w->depth > 0) {
    if (w->had[w->depth - 1])
      oci_buf_add(&w->out, ",", 1);
    w->had[w->depth - 1] = true;
    if (w->flags & JSON_C_TO_STRING_PRETTY)
      oci_buf_add(&w->out, "\n", 1);
    else if (w->flags & JSON_C_TO_STRING_SPACED)
      oci_buf_add(&w->out, " ", 1);
    writer_indent(w, w->depth);
  }
  if (key) {
    /* Keys are the report's own constants: no escaping needed. */
    oci_buf_add(&w->out, "\"", 1);
    oci_buf_puts(&w->out, key);
    oci_buf_puts(&w->out, w->flags & JSON_C_TO_STRING_SPACED ? "\": " : "\":");
  }
}

void oci_json_writer_init(oci_json_writer *w, bool pretty)
{
  memset(w, 0, sizeof *w);
  w->flags = (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN) |
             JSON_C_TO_STRING_NOSLASHESCAPE;
}

void oci_json_writer_init_sink(oci_json_writer *w, bool pretty, ocidig_sink sink, void *ctx)
{
  oci_json_writer_init(w, pretty);
  w->sink = sink;
  w->sink_ctx = ctx;
}

/* Hands what is buffered to the sink (all, or once there is a piece's worth).  Called only
 * between values: a piece never ends inside a string, nor inside a UTF-8 sequence. */
static void writer_flush(oci_json_writer *w, bool all)
{
  char *fixed = NULL;
  const char *text;
  size_t bad;
  if (!w->sink || w->out.failed || !w->out.len || (!all && w->out.len < OCI_JSON_WRITER_FLUSH))
    return;
  text = w->out.s;
  utf8_fixed_len(text, &bad);
  if (bad && !(text = fixed = ocidig_json_utf8(text))) {
    w->out.failed = true;
    return;
  }
  if (w->sink_rc == OCIDIG_OK)
    w->sink_rc = w->sink(w->sink_ctx, text, strlen(text), &w->sink_err);
  if (w->sink_rc != OCIDIG_OK)
    w->sink_err.code = w->sink_rc;
  free(fixed);
  w->out.len = 0;
  w->out.s[0] = '\0';
}

ocidig_code oci_json_writer_finish(oci_json_writer *w, ocidig_error *err)
{
  ocidig_code rc;
  if (w->depth != 0)
    w->out.failed = true;
  writer_flush(w, true);
  if (w->sink_rc != OCIDIG_OK) {
    if (err)
      *err = w->sink_err;
    rc = w->sink_rc;
  } else if (w->out.failed) {
    rc = w->depth ? oci_fail(err, OCIDIG_ERR_USAGE, "a JSON container was left open") : oci_nomem(err);
  } else {
    rc = OCIDIG_OK;
  }
  oci_buf_free(&w->out);
  return rc;
}

void oci_json_writer_open(oci_json_writer *w, const char *key, char bracket)
{
  if (w->depth >= OCI_JSON_WRITER_DEPTH) {
    w->out.failed = true; /* a programming error: the report nests deeper than it may */
    return;
  }
  writer_member(w, key);
  oci_buf_add(&w->out, bracket == '[' ? "[" : "{", 1);
  w->close[w->depth] = bracket == '[' ? ']' : '}';
  w->had[w->depth] = false;
  w->depth++;
}

void oci_json_writer_close(oci_json_writer *w)
{
  if (w->depth == 0) {
    w->out.failed = true;
    return;
  }
  w->depth--;
  /* json-c 0.16 breaks the line before the closing bracket even of an empty container. */
  if (w->flags & JSON_C_TO_STRING_PRETTY) {
    oci_buf_add(&w->out, "\n", 1);
    writer_indent(w, w->depth);
  }
  if ((w->flags & JSON_C_TO_STRING_SPACED) && !(w->flags & JSON_C_TO_STRING_PRETTY))
    oci_buf_add(&w->out, " ", 1);
  oci_buf_add(&w->out, &w->close[w->depth], 1);
  writer_flush(w, false);
}

/* A value's text at the current depth: json-c wrote it at level 0, so every line after the
 * first moves to this depth.  A raw newline only ever comes from pretty-printing: strings
 * have theirs escaped. */
static void writer_text(oci_json_writer *w, const char *s, size_t n)
{
  if (!(w->flags & JSON_C_TO_STRING_PRETTY)) {
    oci_buf_add(&w->out, s, n);
  } else {
    const char *p = s, *end = s + n, *nl;
    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
      oci_buf_add(&w->out, p, (size_t)(nl - p) + 1);
      writer_indent(w, w->depth);
      p = nl + 1;
    }
    oci_buf_add(&w->out, p, (size_t)(end - p));
  }
  writer_flush(w, false);
}

void oci_json_writer_put(oci_json_writer *w, const char *key, json_object *v)
{
  const char *s;
  size_t n;
  writer_member(w, key);
  if (!v) {
    oci_buf_puts(&w->out, "null");
    writer_flush(w, false);
    return;
  }
  s = json_object_to_json_string_length(v, w->flags, &n);
  if (!s)
    w->out.failed = true;
  else
    writer_text(w, s, n);
  json_object_put(v);
}

void oci_json_writer_put_text(oci_json_writer *w, const char *key, const char *text)
{
  writer_member(w, key);
  if (!text)
    w->out.failed = true;
  else
    writer_text(w, text, strlen(text));
}

void oci_json_writer_put_members(oci_json_writer *w, const ocidig_json_member *m, size_t n)
{
  for (size_t i = 0; m && i < n; i++) {
    /* The caller's keys: written as json-c writes a string. */
    json_object *k = json_object_new_string(m[i].key ? m[i].key : "");
    const char *ks = k ? json_object_to_json_string_ext(k, w->flags) : NULL;
    writer_member(w, NULL);
    if (!ks || !m[i].value) {
      w->out.failed = true;
    } else {
      oci_buf_puts(&w->out, ks);
      oci_buf_puts(&w->out, w->flags & JSON_C_TO_STRING_SPACED ? ": " : ":");
      writer_text(w, m[i].value, strlen(m[i].value));
    }
    json_object_put(k);
  }
}

char *oci_json_writer_take(oci_json_writer *w)
{
  if (w->depth != 0)
    w->out.failed = true;
  return oci_json_text_utf8(oci_buf_take(&w->out));
}

/* --- Valid UTF-8 out ------------------------------------------------------------------ */

/* json-c writes a string's bytes >= 0x80 as they are, so a member name or a path that is not
 * UTF-8 would make a report that is not UTF-8 (RFC 8259 §8.1) either.  Such bytes only ever
 * occur inside strings: each one not part of a well-formed sequence becomes the visible text
 * \xNN (written \\xNN in the JSON text), as the text output shows bytes it cannot print. */
static size_t utf8_fixed_len(const char *s, size_t *bad)
{
  const uint8_t *p = (const uint8_t *)s, *end = p + strlen(s);
  size_t n = 0;
  *bad = 0;
  while (p < end) {
    size_t k = oci_utf8_len(p, end);
    if (!k) {
      (*bad)++;
      n += 5;
      p++;
    } else {
      n += k;
      p += k;
    }
  }
  return n;
}

char *ocidig_json_utf8(const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const uint8_t *p, *end;
  size_t bad, n;
  char *out, *o;
  if (!text)
    return NULL;
  n = utf8_fixed_len(text, &bad);
  if (!(out = malloc(n + 1)))
    return NULL;
  if (!bad) {
    memcpy(out, text, n + 1);
    return out;
  }
  o = out;
  p = (const uint8_t *)text;
  end = p + strlen(text);
  while (p < end) {
    size_t k = oci_utf8_len(p, end);
    if (!k) {
      *o++ = '\\';
      *o++ = '\\';
      *o++ = 'x';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 15];
      p++;
    } else {
      memcpy(o, p, k);
      o += k;
      p += k;
    }
  }
  *o = '\0';
  return out;
}

char *oci_json_text_utf8(char *text)
{
  size_t bad;
  char *fixed;
  if (!text)
    return NULL;
  utf8_fixed_len(text, &bad);
  if (!bad)
    return text;
  fixed = ocidig_json_utf8(text);
  free(text);
  return fixed;
}


/* --- Building ------------------------------------------------------------------------ */

bool oci_json_text(json_object *o, uint8_t **text, size_t *len)
{
  const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
  size_t n = 0, again = 0;
  const char *s = o ? json_object_to_json_string_length(o, flags, &n) : NULL;
  *text = NULL;
  *len = 0;
  if (s && (*text = malloc(n ? n : 1)) != NULL) {
    memcpy(*text, s, n);
    s = json_object_to_json_string_length(o, flags, &again);
    if (!s || again != n || memcmp(s, *text, n)) {
      free(*text);
      *text = NULL;
    }
  }
  json_object_put(o);
  if (!*text)
    return false;
  *len = n;
  return true;
}
