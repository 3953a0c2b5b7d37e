/* graph_walk.c: the walk of everything under the root (graph.h: oci_graph_walk), over the
 * graph's public functions only (oci_graph_root, oci_graph_open): depth, cycles, indexes
 * walked once. */
#include "graph.h"
#include "strtab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *digest_text(const oci_gdesc *d)
{
  return d->digest && *d->digest ? d->digest : "(no digest)";
}

/* ------------------------------------------------------------------- walk */

typedef struct walker {
  oci_graph *g;
  const oci_graph_visitor *v;
  void *ctx;
  const char *stack[OCIDIG_MAX_INDEX_NESTING + 2];
  size_t depth;
  oci_strtab seen; /* indexes walked: positions in seen_keys */
  const char **seen_keys;
  size_t n_seen, cap_seen;
  ocidig_error *err;
} walker;

static const char *seen_key(const void *ctx, size_t i)
{
  return ((const walker *)ctx)->seen_keys[i];
}

/* false: stop (a visitor asked, or out of memory: then *rc). */
static bool walk_children(walker *w, const oci_gnode *parent, unsigned level, ocidig_code *rc)
{
  for (size_t i = 0; i < parent->n_children; i++) {
    const oci_gdesc *d = &parent->children[i];
    ocidig_kind k = ocidig_media_type_kind(d->media_type);
    const oci_gnode *n;
    if (w->v->child && !w->v->child(w->ctx, parent, d, level + 1))
      return false;
    if (k == OCIDIG_KIND_OTHER)
      continue;
    if (k == OCIDIG_KIND_INDEX) {
      bool cycle = false;
      char msg[OCIDIG_ERROR_MESSAGE_MAX];
      if (level + 1 > OCIDIG_MAX_INDEX_NESTING) {
        snprintf(msg, sizeof msg, "index %s is nested %u levels deep, more than the limit of %d", digest_text(d),
                 level + 1, OCIDIG_MAX_INDEX_NESTING);
        if (w->v->error && !w->v->error(w->ctx, d, OCIDIG_ERR_NESTING_TOO_DEEP, msg))
          return false;
        continue;
      }
      for (size_t j = 0; j < w->depth && !cycle; j++)
        cycle = !strcmp(w->stack[j], oci_str(d->digest));
      if (cycle) {
        snprintf(msg, sizeof msg, "index %s contains itself (a cycle)", digest_text(d));
        if (w->v->error && !w->v->error(w->ctx, d, OCIDIG_ERR_INDEX_CYCLE, msg))
          return false;
        continue;
      }
    }
    if ((*rc = oci_graph_open(w->g, d, &n, w->err)) != OCIDIG_OK)
      return false;
    if (k == OCIDIG_KIND_MANIFEST) {
      if (w->v->manifest && !w->v->manifest(w->ctx, n, d, level + 1))
        return false;
      continue;
    }
    {
      /* An index is known by its digest (as resolve's "walked already"). */
      bool again = w->n_seen && oci_strtab_find(&w->seen, n->digest, seen_key, w) != OCI_STRTAB_NONE;
      if (w->v->index && !w->v->index(w->ctx, n, d, level + 1, again))
        return false;
      if (again || n->code != OCIDIG_OK)
        continue;
      if (!oci_grow((void **)&w->seen_keys, &w->cap_seen, w->n_seen + 1, sizeof *w->seen_keys) ||
          (w->seen_keys[w->n_seen] = n->digest, !oci_strtab_put(&w->seen, w->n_seen, seen_key, w, false))) {
        *rc = oci_nomem(w->err);
        return false;
      }
      w->n_seen++;
      w->stack[w->depth++] = oci_str(d->digest);
      if (!walk_children(w, n, level + 1, rc)) {
        w->depth--;
        return false;
      }
      w->depth--;
    }
  }
  return true;
}

ocidig_code oci_graph_walk(oci_graph *g, const oci_graph_visitor *v, void *ctx, ocidig_error *err)
{
  walker w = {.g = g, .v = v, .ctx = ctx, .err = err};
  const oci_gnode *root;
  ocidig_code rc = OCIDIG_OK;
  OCI_REQUIRE(g, "the graph", err);
  OCI_REQUIRE(v, "the visitor", err);
  if ((rc = oci_graph_root(g, &root, err)) != OCIDIG_OK)
    return rc;
  if (root->code != OCIDIG_OK)
    return OCIDIG_OK; /* the visitor reads root->code from oci_graph_root */
  walk_children(&w, root, 0, &rc);
  oci_strtab_free(&w.seen);
  free(w.seen_keys);
  return rc;
}

/* ------------------------------------------- the walk announced (archives) */

typedef struct announcer {
  oci_graph *g;
  const oci_gdesc **q; /* descriptors to announce, in order */
  size_t n_q, cap_q;
  oci_strtab seen; /* indexes gone into: positions in seen_keys */
  const char **seen_keys;
  size_t n_seen, cap_seen;
  ocidig_error *err;
} announcer;

static const char *ann_key(const void *ctx, size_t i)
{
  return ((const announcer *)ctx)->seen_keys[i];
}

static bool ann_digest(void *ctx, size_t i, ocidig_digest *d)
{
  const oci_gdesc *const *q = ctx;
  return !oci_gdesc_more_of(q[i])->has_data && oci_gdesc_digest(q[i], d);
}

/* The children a walk goes through: every child when some were set aside (verify). */
static const oci_gdesc *kids_of(const oci_gnode *n, size_t *count)
{
  *count = n->n_lenient_children ? n->n_lenient_children : n->n_children;
  return n->n_lenient_children ? n->lenient_children : n->children;
}

static bool ann_push(announcer *a, const oci_gdesc *d)
{
  if (!oci_grow((void **)&a->q, &a->cap_q, a->n_q + 1, sizeof *a->q))
    return false;
  a->q[a->n_q++] = d;
  return true;
}

/* First time n (an index read well) is gone into?  false, *nomem: out of memory. */
static bool ann_first(announcer *a, const oci_gnode *n, bool *nomem)
{
  if (n->code != OCIDIG_OK || (a->n_seen && oci_strtab_find(&a->seen, n->digest, ann_key, a) != OCI_STRTAB_NONE))
    return false;
  if (!oci_grow((void **)&a->seen_keys, &a->cap_seen, a->n_seen + 1, sizeof *a->seen_keys) ||
      (a->seen_keys[a->n_seen] = n->digest, !oci_strtab_put(&a->seen, a->n_seen, ann_key, a, false))) {
    *nomem = true;
    return false;
  }
  a->n_seen++;
  return true;
}

static void ann_reset_seen(announcer *a)
{
  oci_strtab_free(&a->seen);
  memset(&a->seen, 0, sizeof a->seen);
  a->n_seen = 0;
}

/* The indexes, a level at a time: each level announced, then read (the graph keeps them). */
static ocidig_code ann_indexes(announcer *a, const oci_gnode *root)
{
  const oci_gnode **level = NULL, **next = NULL;
  size_t n_level = 1, cap_level = 0, n_next, cap_next = 0;
  ocidig_code rc = OCIDIG_OK;
  bool nomem = false;
  if (!oci_grow((void **)&level, &cap_level, 1, sizeof *level))
    return oci_nomem(a->err);
  level[0] = root;
  for (unsigned depth = 1; n_level && depth <= OCIDIG_MAX_INDEX_NESTING && rc == OCIDIG_OK; depth++) {
    a->n_q = 0;
    for (size_t i = 0; i < n_level && !nomem; i++) {
      size_t nk;
      const oci_gdesc *kids = kids_of(level[i], &nk);
      for (size_t k = 0; k < nk && !nomem; k++)
        if (ocidig_media_type_kind(kids[k].media_type) == OCIDIG_KIND_INDEX)
          nomem = !ann_push(a, &kids[k]);
    }
    if (nomem)
      break;
    oci_graph_expect(a->g, depth > 1, a->n_q, ann_digest, a->q);
    n_next = 0;
    for (size_t i = 0; i < a->n_q && rc == OCIDIG_OK && !nomem; i++) {
      const oci_gnode *n;
      if ((rc = oci_graph_open(a->g, a->q[i], &n, a->err)) == OCIDIG_OK && ann_first(a, n, &nomem)) {
        if (!oci_grow((void **)&next, &cap_next, n_next + 1, sizeof *next))
          nomem = true;
        else
          next[n_next++] = n;
      }
    }
    {
      const oci_gnode **t = level;
      size_t c = cap_level;
      level = next;
      cap_level = cap_next;
      next = t;
      cap_next = c;
      n_level = n_next;
    }
  }
  free(level);
  free(next);
  return nomem ? oci_nomem(a->err) : rc;
}

/* The manifests in the walk's order (pre-order, each index gone into once). */
static bool ann_manifests(announcer *a, const oci_gnode *n, unsigned depth, bool *nomem)
{
  size_t nk;
  const oci_gdesc *kids = kids_of(n, &nk);
  for (size_t k = 0; k < nk && !*nomem; k++) {
    ocidig_kind kind = ocidig_media_type_kind(kids[k].media_type);
    const oci_gnode *c;
    ocidig_error e = {0};
    if (kind == OCIDIG_KIND_MANIFEST)
      *nomem = !ann_push(a, &kids[k]);
    else if (kind == OCIDIG_KIND_INDEX && depth < OCIDIG_MAX_INDEX_NESTING) {
      /* read already (ann_indexes): found in the graph; in the list too (a walk looks its
       * blob up where it meets it) */
      if (!ann_push(a, &kids[k]) || oci_graph_open(a->g, &kids[k], &c, &e) != OCIDIG_OK)
        *nomem = true;
      else if (ann_first(a, c, nomem))
        ann_manifests(a, c, depth + 1, nomem);
    }
  }
  return !*nomem;
}

ocidig_code oci_graph_announce_walk(oci_graph *g, ocidig_error *err)
{
  announcer a = {.g = g, .err = err};
  const oci_gnode *root;
  ocidig_code rc;
  bool nomem = false;
  const oci_gdesc **mans = NULL;
  size_t n_man = 0, cap_man = 0;
  OCI_REQUIRE(g, "the graph", err);
  if (!oci_graph_rereads(g) || oci_graph_announced(g))
    return OCIDIG_OK;
  if ((rc = oci_graph_root(g, &root, err)) != OCIDIG_OK || root->code != OCIDIG_OK)
    goto out;
  if ((rc = ann_indexes(&a, root)) != OCIDIG_OK)
    goto out;
  ann_reset_seen(&a);
  a.n_q = 0;
  if (!ann_manifests(&a, root, 0, &nomem)) {
    rc = oci_nomem(err);
    goto out;
  }
  /* The manifests, read ahead for their configs, announced first; then the walk's
   * documents in its order: each index where the walk meets it, each manifest with its
   * config. */
  for (size_t i = 0; i < a.n_q; i++)
    if (ocidig_media_type_kind(a.q[i]->media_type) == OCIDIG_KIND_MANIFEST &&
        !oci_grow((void **)&mans, &cap_man, n_man + 1, sizeof *mans)) {
      rc = oci_nomem(err);
      goto out;
    } else if (ocidig_media_type_kind(a.q[i]->media_type) == OCIDIG_KIND_MANIFEST) {
      mans[n_man++] = a.q[i];
    }
  oci_graph_expect(g, true, n_man, ann_digest, mans);
  oci_graph_expect_again_here(g);
  for (size_t i = 0; i < a.n_q && rc == OCIDIG_OK; i++) {
    const oci_gnode *m;
    const oci_gdesc *pair[2] = {a.q[i], NULL};
    if (ocidig_media_type_kind(a.q[i]->media_type) != OCIDIG_KIND_MANIFEST) {
      oci_graph_expect(g, true, 1, ann_digest, (void *)pair);
      continue;
    }
    oci_graph_scratch_begin(g);
    if ((rc = oci_graph_open(g, a.q[i], &m, err)) == OCIDIG_OK) {
      pair[1] = m->code == OCIDIG_OK ? m->config : NULL;
      oci_graph_expect(g, true, pair[1] ? 2 : 1, ann_digest, (void *)pair);
    }
    oci_graph_scratch_end(g);
  }
out:
  oci_strtab_free(&a.seen);
  free(a.seen_keys);
  free(a.q);
  free(mans);
  return rc;
}
