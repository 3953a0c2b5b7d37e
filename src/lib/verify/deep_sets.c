/* deep_sets.c: verify --deep's sets of path hashes (64-bit, open addressing, removals as
 * tombstones), their sorted forms, and the string lists of a layer's record. */
#include "deep_int.h"

#include <stdlib.h>

/* Open addressing; 0 empty, HSET_DEAD a removed entry (skipped by lookups, not reused). */
bool hset_has(const hset *s, uint64_t h)
{
  if (!s->cap)
    return false;
  for (size_t i = (size_t)h & (s->cap - 1); s->t[i]; i = (i + 1) & (s->cap - 1))
    if (s->t[i] == h)
      return true;
  return false;
}

/* false: out of memory.  *added: it was not there. */
bool hset_add(hset *s, uint64_t h, bool *added)
{
  if (added)
    *added = false;
  if ((s->n + 1) * 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    uint64_t *t = calloc(cap, sizeof *t);
    if (!t)
      return false;
    size_t live = 0;
    for (size_t i = 0; i < s->cap; i++)
      if (s->t[i] > HSET_DEAD) {
        size_t k = (size_t)s->t[i] & (cap - 1);
        live++;
        while (t[k])
          k = (k + 1) & (cap - 1);
        t[k] = s->t[i];
      }
    free(s->t);
    s->t = t;
    s->cap = cap;
    s->n = live;
  }
  for (size_t i = (size_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
    if (s->t[i] == h)
      return true;
    if (!s->t[i]) {
      s->t[i] = h;
      s->n++;
      if (added)
        *added = true;
      return true;
    }
  }
}

/* Removes h (a tombstone: the probe sequences through it stay whole). */
void hset_del(hset *s, uint64_t h)
{
  if (!s->cap)
    return;
  for (size_t i = (size_t)h & (s->cap - 1); s->t[i]; i = (i + 1) & (s->cap - 1))
    if (s->t[i] == h) {
      s->t[i] = HSET_DEAD;
      return;
    }
}

void hset_free(hset *s)
{
  free(s->t);
  memset(s, 0, sizeof *s);
}

int u64_cmp(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

bool strv_add(strv *s, const char *a, size_t n)
{
  char *c;
  if (!oci_grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v) || !(c = oci_strndup(a, n)))
    return false;
  s->v[s->n++] = c;
  return true;
}

void strv_clear(strv *s)
{
  oci_strv_free(s->v, s->n);
  memset(s, 0, sizeof *s);
}


/* A set's hashes as a sorted array (*out malloc'd, NULL when empty).  false: out of memory. */
bool sorted_of(const hset *set, uint64_t **out, size_t *n)
{
  *out = NULL;
  *n = 0;
  if (!set->n)
    return true;
  if (!(*out = malloc(set->n * sizeof **out)))
    return false;
  for (size_t i = 0; i < set->cap && *n < set->n; i++)
    if (set->t[i] > HSET_DEAD)
      (*out)[(*n)++] = set->t[i];
  qsort(*out, *n, sizeof **out, u64_cmp);
  return true;
}

