/* pool.c: verify's string storage.  The strings a verification keeps for each blob and row (a
 * digest, a media type, a platform) are copied into chunks of 64 KiB, not one allocation each
 * (a malloc'd 72-byte digest costs 80 and a pointer); those that repeat across rows (media
 * types, platforms) are stored once.  Freed together with the verification's state. */
#include "verify.h"

#define POOL_CHUNK (64u * 1024)

static const char *interned_key(const void *ctx, size_t i)
{
  return ((const vpool *)ctx)->interned[i];
}

const char *oci_vpool_keep(vstate *v, const char *s)
{
  vpool *p = &v->pool;
  size_t n;
  char *out;
  if (!s)
    return NULL;
  n = strlen(s) + 1;
  if (n > POOL_CHUNK / 4) {
    /* a long string has a chunk of its own, before the current one (which stays open) */
    if (!oci_grow((void **)&p->chunks, &p->cap_chunks, p->n_chunks + 1, sizeof *p->chunks) || !(out = malloc(n))) {
      v->nomem = true;
      return NULL;
    }
    memcpy(out, s, n);
    if (p->n_chunks) {
      p->chunks[p->n_chunks] = p->chunks[p->n_chunks - 1];
      p->chunks[p->n_chunks - 1] = out;
    } else {
      p->chunks[0] = out;
      p->used = p->size = 0; /* no open chunk: the next string opens one */
    }
    p->n_chunks++;
    return out;
  }
  if (!p->n_chunks || p->size - p->used < n) {
    char *c;
    if (!oci_grow((void **)&p->chunks, &p->cap_chunks, p->n_chunks + 1, sizeof *p->chunks) ||
        !(c = malloc(POOL_CHUNK))) {
      v->nomem = true;
      return NULL;
    }
    p->chunks[p->n_chunks++] = c;
    p->used = 0;
    p->size = POOL_CHUNK;
  }
  out = p->chunks[p->n_chunks - 1] + p->used;
  memcpy(out, s, n);
  p->used += n;
  return out;
}

const char *oci_vpool_intern(vstate *v, const char *s)
{
  vpool *p = &v->pool;
  size_t i;
  const char *kept;
  if (!s)
    return NULL;
  if ((i = oci_strtab_find(&p->tab, s, interned_key, p)) != OCI_STRTAB_NONE)
    return p->interned[i];
  if (!(kept = oci_vpool_keep(v, s)))
    return NULL;
  if (!oci_grow((void **)&p->interned, &p->cap_interned, p->n_interned + 1, sizeof *p->interned)) {
    v->nomem = true;
    return NULL;
  }
  p->interned[p->n_interned] = kept;
  if (!oci_strtab_put(&p->tab, p->n_interned, interned_key, p, false)) {
    v->nomem = true;
    return NULL;
  }
  p->n_interned++;
  return kept;
}

uint32_t oci_vpool_intern_id(vstate *v, const char *s)
{
  vpool *p = &v->pool;
  size_t i;
  if (!s)
    return VNONE32;
  if ((i = oci_strtab_find(&p->tab, s, interned_key, p)) != OCI_STRTAB_NONE)
    return (uint32_t)i;
  if (p->n_interned >= VNONE32 - 1 || !oci_vpool_intern(v, s)) {
    v->nomem = true;
    return VNONE32;
  }
  return (uint32_t)(p->n_interned - 1);
}

const char *oci_vpool_str(const vstate *v, uint32_t id)
{
  return id == VNONE32 || id >= v->pool.n_interned ? NULL : v->pool.interned[id];
}

void oci_vpool_free(vpool *p)
{
  for (size_t i = 0; i < p->n_chunks; i++)
    free(p->chunks[i]);
  free(p->chunks);
  free(p->interned);
  oci_strtab_free(&p->tab);
  memset(p, 0, sizeof *p);
}
