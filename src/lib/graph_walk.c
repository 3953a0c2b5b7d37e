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
