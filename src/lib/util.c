/* util.c: strings, growable arrays and hashing shared by the library. */
#include "internal.h"

#include <stdint.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>

char *oci_strdup(const char *s)
{
  return s ? strdup(s) : NULL;
}

char *oci_strndup(const char *s, size_t n)
{
  char *p = malloc(n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *oci_sprintf(const char *fmt, ...)
{
  va_list ap;
  char *p;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  p = malloc((size_t)n + 1);
  if (!p)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

const char *oci_str(const char *s)
{
  return s ? s : "";
}

bool oci_streq(const char *a, const char *b)
{
  return strcmp(oci_str(a), oci_str(b)) == 0;
}

bool oci_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
  size_t ncap;
  void *p;
  if (need <= *cap)
    return true;
  ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2)
      return false;
    ncap *= 2;
  }
  if (ncap > SIZE_MAX / elem)
    return false;
  p = realloc(*arr, ncap * elem);
  if (!p)
    return false;
  *arr = p;
  *cap = ncap;
  return true;
}

#define STRPOOL_CHUNK (64u * 1024)

struct oci_strpool_chunk {
  struct oci_strpool_chunk *next;
  size_t used, cap;
  char data[];
};

char *oci_strpool_dup(oci_strpool *p, const char *s)
{
  struct oci_strpool_chunk *c = p->chunks;
  size_t n;
  char *out;
  if (!s)
    return NULL;
  n = strlen(s) + 1;
  if (!c || c->cap - c->used < n) {
    size_t cap = n > STRPOOL_CHUNK / 4 ? n : STRPOOL_CHUNK;
    struct oci_strpool_chunk *nc = malloc(sizeof *nc + cap);
    if (!nc)
      return NULL;
    nc->used = 0;
    nc->cap = cap;
    if (c && cap != STRPOOL_CHUNK) {
      nc->next = c->next; /* a long string: behind the chunk being filled, which stays open */
      c->next = nc;
    } else {
      nc->next = c;
      p->chunks = c = nc;
    }
    c = nc;
  }
  out = c->data + c->used;
  memcpy(out, s, n);
  c->used += n;
  return out;
}

void oci_heap_trim(void)
{
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

void oci_strpool_free(oci_strpool *p)
{
  struct oci_strpool_chunk *c = p->chunks;
  while (c) {
    struct oci_strpool_chunk *next = c->next;
    free(c);
    c = next;
  }
  p->chunks = NULL;
}

bool oci_strv_push(char ***v, size_t *n, const char *s)
{
  char **nv = realloc(*v, (*n + 1) * sizeof **v);
  char *c;
  if (!nv)
    return false;
  *v = nv;
  c = oci_strdup(s ? s : "");
  if (!c)
    return false;
  nv[(*n)++] = c;
  return true;
}

void oci_strv_free(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void oci_buf_add(oci_buf *b, const char *s, size_t n)
{
  if (b->failed)
    return;
  if (!oci_grow((void **)&b->s, &b->cap, b->len + n + 1, 1)) {
    b->failed = true;
    return;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void oci_buf_puts(oci_buf *b, const char *s)
{
  oci_buf_add(b, s, strlen(s));
}

void oci_buf_printf(oci_buf *b, const char *fmt, ...)
{
  char small[256];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = true;
    return;
  }
  if ((size_t)n < sizeof small) {
    oci_buf_add(b, small, (size_t)n);
    return;
  }
  if (b->failed || !oci_grow((void **)&b->s, &b->cap, b->len + (size_t)n + 1, 1)) {
    b->failed = true;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void oci_buf_quote(oci_buf *b, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\\' || c == '"')
      oci_buf_printf(b, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      oci_buf_printf(b, "\\x%02x", c);
    else
      oci_buf_add(b, (const char *)&s[i], 1);
  }
}

char *oci_buf_take(oci_buf *b)
{
  char *s;
  if (b->failed) {
    free(b->s);
    *b = (oci_buf){0};
    return NULL;
  }
  s = b->s ? b->s : strdup("");
  *b = (oci_buf){0};
  return s;
}

void oci_buf_free(oci_buf *b)
{
  free(b->s);
  *b = (oci_buf){0};
}

char *oci_quote(const char *s, size_t n, size_t limit)
{
  oci_buf b = {0};
  oci_buf_puts(&b, "\"");
  oci_buf_quote(&b, s, n < limit ? n : limit);
  oci_buf_puts(&b, n > limit ? "\"..." : "\"");
  return oci_buf_take(&b);
}

char *oci_escape(const char *s, size_t limit)
{
  oci_buf b = {0};
  size_t n = strlen(s);
  oci_buf_quote(&b, s, n < limit ? n : limit);
  if (n > limit)
    oci_buf_puts(&b, "...");
  return oci_buf_take(&b);
}

