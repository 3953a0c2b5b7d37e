/* strtab.c: the library's one string hash table (see strtab.h). */
#include "strtab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t oci_str_hash(const char *s)
{
  uint64_t h = 1469598103934665603u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return (size_t)h;
}

/* The slot that holds `key`, or the empty slot where it would go.  cap > 0. */
static size_t *slot_of(const oci_strtab *t, const char *key, oci_strtab_key fn, const void *ctx)
{
  size_t mask = t->cap - 1, h;
  for (h = oci_str_hash(key) & mask; t->slots[h]; h = (h + 1) & mask)
    if (!strcmp(fn(ctx, t->slots[h] - 1), key))
      break;
  return &t->slots[h];
}

size_t oci_strtab_find(const oci_strtab *t, const char *key, oci_strtab_key fn, const void *ctx)
{
  size_t *s;
  if (!t->cap || !key)
    return OCI_STRTAB_NONE;
  s = slot_of(t, key, fn, ctx);
  return *s ? *s - 1 : OCI_STRTAB_NONE;
}

static bool grow(oci_strtab *t, oci_strtab_key fn, const void *ctx)
{
  size_t cap = t->cap ? t->cap * 2 : 64, mask = cap - 1;
  size_t *slots;
  if (t->cap > SIZE_MAX / 2 / sizeof *slots || !(slots = calloc(cap, sizeof *slots)))
    return false;
  for (size_t i = 0; i < t->cap; i++) {
    size_t h;
    if (!t->slots[i])
      continue;
    for (h = oci_str_hash(fn(ctx, t->slots[i] - 1)) & mask; slots[h]; h = (h + 1) & mask)
      ;
    slots[h] = t->slots[i];
  }
  free(t->slots);
  t->slots = slots;
  t->cap = cap;
  return true;
}

bool oci_strtab_put(oci_strtab *t, size_t i, oci_strtab_key fn, const void *ctx, bool replace)
{
  const char *key = fn(ctx, i);
  size_t *s;
  if (!key || i == SIZE_MAX)
    return false;
  if ((t->n + 1) * 2 > t->cap && !grow(t, fn, ctx))
    return false;
  s = slot_of(t, key, fn, ctx);
  if (*s) {
    if (replace)
      *s = i + 1;
    return true;
  }
  *s = i + 1;
  t->n++;
  return true;
}

void oci_strtab_free(oci_strtab *t)
{
  free(t->slots);
  memset(t, 0, sizeof *t);
}
