/* deep_entries.c: verify --deep's record of one layer as the reader hands its entries over
 * (on the reader's worker thread): the hazards of the layer on its own (names that leave the
 * root, names through a symbolic link of the same layer, device nodes and FIFOs, setuid and
 * setgid files, world-writable files and directories without the sticky bit, malformed
 * whiteouts) as messages, and what the layers above need as compact sets; then, when the
 * read has ended, the record made compact (deep.c reads it on the caller's thread). */
#include "deep_int.h"

#include <stdlib.h>


static void note(dlayer *L, oci_vcode code, const char *fmt, ...) OCI_PRINTF(3, 4);
static void note(dlayer *L, oci_vcode code, const char *fmt, ...)
{
  va_list ap;
  char msg[1024];
  if (L->per_code[code]++ >= PER_CODE)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!oci_grow((void **)&L->finds, &L->cap_finds, L->n_finds + 1, sizeof *L->finds) ||
      !(L->finds[L->n_finds].msg = oci_strdup(msg))) {
    L->nomem = true;
    return;
  }
  L->finds[L->n_finds++].code = code;
}


static size_t parent_len(const char *path)
{
  const char *s = strrchr(path, '/');
  return s ? (size_t)(s - path) : 0;
}

/* Does a proper ancestor of path appear in set?  *at: its length. */
static bool ancestor_in(const hset *set, const char *path, size_t *at)
{
  uint64_t h = PFNV0;
  const char *from = path;
  if (!set->n)
    return false;
  for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
    h = pfnv(h, from, (size_t)(p - from));
    from = p;
    if (hset_has(set, pmix(h))) {
      *at = (size_t)(p - path);
      return true;
    }
  }
  return false;
}

ocidig_code oci_deep_on_entry(void *ctx, oci_layer_reader *r, const oci_layer_entry *e, ocidig_error *err)
{
  dlayer *L = ctx;
  const char *base;
  char *q = NULL;
  uint64_t h;
  size_t at, plen;
  bool added;
  (void)r;
  (void)err;
  if (L->nomem)
    return oci_nomem(err);
  if (e->bad_name) {
    q = qn(e->raw_name);
    note(L, VF_LAYER_PATH_UNSAFE, "entry %s %s", q ? q : "?",
         e->raw_name[0] == '/' ? "is an absolute name" : "has a \"..\" component");
    free(q);
    return OCIDIG_OK;
  }
  base = strrchr(e->path, '/');
  base = base ? base + 1 : e->path;
  plen = parent_len(e->path);
  if (ancestor_in(&L->links, e->path, &at)) {
    char *ql = oci_quote(e->path, at, 200);
    q = qn(e->path);
    note(L, VF_LAYER_PATH_THROUGH_SYMLINK, "entry %s passes through %s, a symbolic link set earlier in this layer",
         q ? q : "?", ql ? ql : "?");
    free(q);
    free(ql);
  }
  if (plen && !hset_has(&L->parent_set, phash(e->path, plen))) {
    if (!hset_add(&L->parent_set, phash(e->path, plen), NULL) || !strv_add(&L->parents, e->path, plen))
      L->nomem = true;
  }
  if (!strncmp(base, ".wh.", 4)) {
    bool opaque = !strcmp(base, ".wh..wh..opq");
    q = qn(e->path);
    if (!opaque && !strncmp(base, ".wh..wh.", 8)) {
      free(q);
      return OCIDIG_OK; /* aufs's own metadata: no whiteout (containerd ignores it) */
    }
    if (e->type != 'f')
      note(L, VF_LAYER_WHITEOUT_MALFORMED, "%s %s is not a regular file", opaque ? "opaque marker" : "whiteout",
           q ? q : "?");
    else if (e->size > 0)
      note(L, VF_LAYER_WHITEOUT_MALFORMED, "%s %s has content (%lld bytes): a whiteout is an empty file",
           opaque ? "opaque marker" : "whiteout", q ? q : "?", (long long)e->size);
    if (!opaque && !base[4])
      note(L, VF_LAYER_WHITEOUT_MALFORMED, "whiteout %s names nothing", q ? q : "?");
    if (opaque && plen && (hset_has(&L->nondirs, phash(e->path, plen)) || hset_has(&L->links, phash(e->path, plen)))) {
      char *qd = oci_quote(e->path, plen, 200);
      note(L, VF_LAYER_WHITEOUT_MALFORMED, "opaque marker %s is not in a directory: this layer made %s a %s",
           q ? q : "?", qd ? qd : "?", hset_has(&L->links, phash(e->path, plen)) ? "symbolic link" : "non-directory");
      free(qd);
    }
    free(q);
    if (opaque && !strv_add(&L->opaques, e->path, plen))
      L->nomem = true;
    else if (!opaque && base[4] && !strv_add(&L->whiteouts, e->path, strlen(e->path)))
      L->nomem = true;
    return OCIDIG_OK;
  }
  h = phash(e->path, strlen(e->path));
  if (e->type == 'l') {
    if (!hset_add(&L->links, h, &added) || (added && !strv_add(&L->symlinks, e->path, strlen(e->path))))
      L->nomem = true;
  } else if (hset_has(&L->links, h)) {
    /* a symbolic link replaced by this entry: no longer one (its string is dropped when the
     * layer ends: links_compact) */
    hset_del(&L->links, h);
    L->link_dead++;
  }
  if (e->type != 'd' && !hset_add(&L->nondirs, h, NULL))
    L->nomem = true;
  switch (e->type) {
  case 'h':
    if (e->bad_link) {
      char *qp = qn(e->path);
      q = qn(e->link);
      note(L, VF_LAYER_PATH_UNSAFE, "hard link %s points at %s, %s", qp ? qp : "?", q ? q : "?",
           e->link[0] == '/' ? "an absolute name" : "a name with a \"..\" component");
      free(qp);
      free(q);
    } else if (!hset_has(&L->seen, phash(e->link, strlen(e->link)))) {
      if (!strv_add(&L->hardlinks, e->path, strlen(e->path)) || !strv_add(&L->hardlinks, e->link, strlen(e->link)))
        L->nomem = true;
    }
    break;
  case 'c':
  case 'b':
    q = qn(e->path);
    note(L, VF_LAYER_SPECIAL_FILE, "%s is a %s device node (%u, %u)", q ? q : "?",
         e->type == 'c' ? "character" : "block", e->devmajor, e->devminor);
    free(q);
    break;
  case 'p':
    q = qn(e->path);
    note(L, VF_LAYER_SPECIAL_FILE, "%s is a FIFO", q ? q : "?");
    free(q);
    break;
  default:
    break;
  }
  if (e->type == 'f' && (e->mode & 06000)) {
    q = qn(e->path);
    if (e->mode & 04000)
      note(L, VF_LAYER_SETUID, "%s is setuid (mode %04o, owner %lld)", q ? q : "?", (unsigned)e->mode,
           (long long)e->uid);
    if (e->mode & 02000)
      note(L, VF_LAYER_SETGID, "%s is setgid (mode %04o, group %lld)", q ? q : "?", (unsigned)e->mode,
           (long long)e->gid);
    free(q);
  }
  if ((e->type == 'f' || e->type == 'd') && (e->mode & 0002) && !(e->mode & 01000)) {
    q = qn(e->path[0] ? e->path : "/");
    note(L, VF_LAYER_WORLD_WRITABLE, "%s %s is world-writable (mode %04o)%s", e->type == 'd' ? "directory" : "file",
         q ? q : "?", (unsigned)e->mode, e->type == 'd' ? " without the sticky bit" : "");
    free(q);
  }
  if (!hset_add(&L->seen, h, NULL))
    L->nomem = true;
  return L->nomem ? oci_nomem(err) : OCIDIG_OK;
}

static bool links_compact(dlayer *L)
{
  hset kept = {0};
  size_t w = 0;
  bool ok = true;
  if (!L->link_dead)
    return true;
  for (size_t i = 0; i < L->symlinks.n; i++) {
    uint64_t h = phash(L->symlinks.v[i], strlen(L->symlinks.v[i]));
    bool added = false;
    if (ok && hset_has(&L->links, h) && !(ok = hset_add(&kept, h, &added)))
      added = false;
    if (added)
      L->symlinks.v[w++] = L->symlinks.v[i];
    else
      free(L->symlinks.v[i]);
  }
  L->symlinks.n = w;
  hset_free(&kept);
  return ok;
}

/* What the layer's whiteouts remove ("dir/.wh.name": dir/name) and its opaque directories,
 * as sorted hashes.  false: out of memory. */
static bool removal_hashes(dlayer *L)
{
  if ((L->whiteouts.n && !(L->wh = malloc(L->whiteouts.n * sizeof *L->wh))) ||
      (L->opaques.n && !(L->opq = malloc(L->opaques.n * sizeof *L->opq))))
    return false;
  for (size_t k = 0; k < L->whiteouts.n; k++) {
    const char *wp = L->whiteouts.v[k], *base = strrchr(wp, '/');
    size_t dl = base ? (size_t)(base - wp) + 1 : 0;
    const char *name = (base ? base + 1 : wp) + 4;
    L->wh[L->n_wh++] = pmix(pfnv(pfnv(PFNV0, wp, dl), name, strlen(name)));
  }
  for (size_t k = 0; k < L->opaques.n; k++)
    L->opq[L->n_opq++] = phash(L->opaques.v[k], strlen(L->opaques.v[k]));
  if (L->n_wh)
    qsort(L->wh, L->n_wh, sizeof *L->wh, u64_cmp);
  if (L->n_opq)
    qsort(L->opq, L->n_opq, sizeof *L->opq, u64_cmp);
  return true;
}

void oci_deep_read_end(dlayer *L, bool ok)
{
  if (!links_compact(L))
    L->nomem = true;
  hset_free(&L->links);
  hset_free(&L->parent_set);
  if (ok && !L->nomem && !sorted_of(&L->nondirs, &L->nondirs_sorted, &L->n_nondirs))
    L->nomem = true;
  hset_free(&L->nondirs);
  /* the paths, sorted, for the layers above (8 bytes an entry) */
  if (ok && !L->nomem && !L->res.limited && (!sorted_of(&L->seen, &L->paths, &L->n_paths) || !removal_hashes(L)))
    L->nomem = true;
  hset_free(&L->seen);
}

void oci_deep_record_clear(dlayer *L)
{
  free(L->paths);
  free(L->nondirs_sorted);
  free(L->wh);
  free(L->opq);
  L->paths = L->nondirs_sorted = L->wh = L->opq = NULL;
  L->n_paths = L->n_nondirs = L->n_wh = L->n_opq = 0;
  strv_clear(&L->symlinks);
  strv_clear(&L->whiteouts);
  strv_clear(&L->opaques);
  strv_clear(&L->parents);
  strv_clear(&L->hardlinks);
  for (size_t k = 0; k < L->n_finds; k++)
    free(L->finds[k].msg);
  free(L->finds);
  L->finds = NULL;
  L->n_finds = L->cap_finds = 0;
  hset_free(&L->seen);
  hset_free(&L->links);
  hset_free(&L->nondirs);
  hset_free(&L->parent_set);
}
