/* source.c: what the sources share: member names and link targets (pure string functions,
 * used by the layers above too), and the warning event's formatter. */
#include "source.h"

#include <stdlib.h>
#include <string.h>

#ifdef OCIDIG_LAYOUT_H
#error "a source knows nothing of the layout above it (source.h)"
#endif

void oci_source_warn(oci_source *s, const char *fmt, ...)
{
  va_list ap;
  char *msg;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !(msg = malloc((size_t)n + 1)))
    return;
  va_start(ap, fmt);
  vsnprintf(msg, (size_t)n + 1, fmt, ap);
  va_end(ap);
  s->ev->warn(s->ctx, msg);
  free(msg);
}

char *oci_member_name_clean(const char *name, bool *unsafe)
{
  const char *p = name;
  char *out;
  size_t len = 0;
  *unsafe = false;
  if (!name || !*name || strlen(name) > OCIDIG_MAX_PATH_LENGTH || *name == '/') {
    *unsafe = true;
    return NULL;
  }
  /* Never longer than the name: one allocation of its size (a table of 100,000 members
   * keeps every one). */
  if (!(out = malloc(strlen(name) + 1)))
    return NULL;
  while (*p) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      *unsafe = true;
      free(out);
      return NULL;
    }
    if (n && !(n == 1 && p[0] == '.')) {
      if (len)
        out[len++] = '/';
      memcpy(out + len, p, n);
      len += n;
    }
    p += n;
    if (*p == '/')
      p++;
  }
  out[len] = '\0'; /* "" for "./" */
  return out;
}

/* Does a link at `path` pointing at `target` stay inside the root? */
bool oci_link_escapes(const char *path, const char *target, bool hardlink)
{
  int depth = 0;
  const char *p;
  if (!target || !*target || *target == '/')
    return true;
  if (!hardlink)
    for (p = path; (p = strchr(p, '/')); p++)
      depth++;
  for (p = target; *p;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (--depth < 0)
        return true;
    } else if (n && !(n == 1 && p[0] == '.')) {
      depth++;
    }
    p += n;
    if (*p == '/')
      p++;
  }
  return false;
}

/* The path a link at link_path pointing at target leads to (link_path "": target itself),
 * normalized; NULL when it is absolute or empty or climbs out of the root (*nomem: or when
 * out of memory). */
char *oci_link_join(const char *link_path, const char *target, bool *nomem)
{
  bool ignored;
  const char *slash = strrchr(link_path, '/');
  size_t dlen = slash ? (size_t)(slash - link_path) : 0, n = 0, len = 0;
  char *joined, *p, *out;
  char **comp;
  if (!nomem)
    nomem = &ignored;
  *nomem = false;
  if (!target || !*target || *target == '/')
    return NULL;
  if (!(joined = oci_sprintf("%.*s/%s", (int)dlen, link_path, target))) {
    *nomem = true;
    return NULL;
  }
  comp = calloc(strlen(joined) / 2 + 2, sizeof *comp);
  out = malloc(strlen(joined) + 1);
  if (!comp || !out) {
    *nomem = true;
    goto fail;
  }
  for (p = joined; p;) {
    char *next = strchr(p, '/');
    if (next)
      *next++ = '\0';
    if (!strcmp(p, "..")) {
      if (n == 0)
        goto fail;
      n--;
    } else if (*p && strcmp(p, ".")) {
      comp[n++] = p;
    }
    p = next;
  }
  for (size_t i = 0; i < n; i++) {
    size_t k = strlen(comp[i]);
    if (i)
      out[len++] = '/';
    memcpy(out + len, comp[i], k);
    len += k;
  }
  out[len] = '\0';
  free(joined);
  free(comp);
  if (!len) {
    free(out);
    return NULL;
  }
  return out;
fail:
  free(joined);
  free(comp);
  free(out);
  return NULL;
}
