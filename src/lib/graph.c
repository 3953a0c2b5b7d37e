/* graph.c: the documents of a bundle, read once each (see graph.h).
 *
 * Reads through view.h only.  Strings and compact descriptors live in an arena freed with
 * the layout; the nodes are found by the library's string table (strtab.h), keyed by how they were asked for
 * (kind, inline data or blob, size, digest, media type: each part can change the answer or
 * its message). */
#include "graph.h"

#include "descriptor.h"
#include "layout.h"
#include "strtab.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ arena */

#define ARENA_CHUNK (64u * 1024)

typedef struct chunk {
  struct chunk *next;
  size_t used, cap;
  max_align_t data[];
} chunk;

struct oci_graph {
  ocidig_layout *l;
  oci_view *v;
  chunk *chunks;
  /* Scratch (oci_graph_scratch_begin): the manifests and configs read meanwhile live in
   * these chunks, found by digest in stab (not by_digest), freed at oci_graph_scratch_end. */
  chunk *scratch;
  bool in_scratch;
  bool announced; /* oci_graph_announce_walk done (oci_graph_announced) */
  struct gnode **snodes;
  size_t n_snodes, cap_snodes;
  oci_strtab stab;
  /* Every node read, found by its digest (the first node of each digest; the others of that
   * digest, read as another kind, size or media type, follow it: gnode.next). */
  struct gnode **nodes;
  size_t n_nodes, cap_nodes;
  oci_strtab by_digest;
  /* Every digest string met, once: descriptors and nodes share it (a manifest's digest is
   * its index entry's; the config and layer digests shared by images are one string). */
  const char **digests;
  size_t n_digests, cap_digests;
  oci_strtab digest_tab;
  oci_gnode *root;
  /* Interned: the few distinct media types, annotation keys and platforms of a layout,
   * shared by every descriptor that has them (an index of 100,000 images has a handful). */
  const char *media_types[32];
  size_t n_media_types;
  const char *keys_seen[64];
  size_t n_keys_seen;
  const ocidig_platform *platforms[32];
  unsigned platform_keys[32];
  size_t n_platforms;
  /* arrays of children, malloc'd (not copied into the arena) */
  void **arrays;
  size_t n_arrays, cap_arrays;
};

/* What the arena holds needs this alignment (pointers, sizes, int64), not max_align_t's 16. */
typedef union arena_align {
  void *p;
  int64_t i;
  double d;
  size_t z;
} arena_align;
#define ARENA_ALIGN _Alignof(arena_align)

/* n bytes aligned for the graph's structs (align) or not (strings). */
static void *arena_get(oci_graph *g, size_t n, bool align)
{
  chunk **head = g->in_scratch ? &g->scratch : &g->chunks;
  chunk *c = *head;
  void *p;
  if (align && c)
    c->used = (c->used + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
  if (!n)
    n = 1;
  if (!c || c->used > c->cap || c->cap - c->used < n) {
    size_t cap = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;
    chunk *nc = malloc(sizeof *nc + cap);
    if (!nc)
      return NULL;
    nc->used = 0;
    nc->cap = cap;
    if (c && cap != ARENA_CHUNK) {
      /* A large block: behind the current chunk, which stays open. */
      nc->next = c->next;
      c->next = nc;
      nc->used = cap;
      return (char *)nc->data;
    }
    nc->next = c;
    *head = c = nc;
  }
  p = (char *)c->data + c->used;
  c->used += n;
  return p;
}

static void *arena_alloc(oci_graph *g, size_t n)
{
  return arena_get(g, n, true);
}

static const char *arena_strndup(oci_graph *g, const char *s, size_t n, bool *nomem)
{
  char *p;
  if (!s)
    return NULL;
  if (!(p = arena_get(g, n + 1, false))) {
    *nomem = true;
    return NULL;
  }
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static const char *arena_strdup(oci_graph *g, const char *s, bool *nomem)
{
  return s ? arena_strndup(g, s, strlen(s), nomem) : NULL;
}

static const char *digest_at(const void *ctx, size_t i)
{
  return ((const oci_graph *)ctx)->digests[i];
}

/* A digest string (as written, whatever it holds), stored once per graph. */
static const char *intern_digest(oci_graph *g, const char *s, bool *nomem)
{
  size_t i;
  const char *p;
  if (!s)
    return NULL;
  if ((i = oci_strtab_find(&g->digest_tab, s, digest_at, g)) != OCI_STRTAB_NONE)
    return g->digests[i];
  if (g->in_scratch)
    return arena_strdup(g, s, nomem); /* dies with the scratch: not interned */
  if (!(p = arena_strdup(g, s, nomem)))
    return NULL;
  if (!oci_grow((void **)&g->digests, &g->cap_digests, g->n_digests + 1, sizeof *g->digests)) {
    *nomem = true;
    return p;
  }
  g->digests[g->n_digests] = p;
  if (!oci_strtab_put(&g->digest_tab, g->n_digests, digest_at, g, false))
    *nomem = true;
  else
    g->n_digests++;
  return p;
}

static const char *intern_media_type(oci_graph *g, const char *s, bool *nomem)
{
  if (!s)
    return NULL;
  bool keep = g->n_media_types < sizeof g->media_types / sizeof g->media_types[0], scratch = g->in_scratch;
  for (size_t i = 0; i < g->n_media_types; i++)
    if (!strcmp(g->media_types[i], s))
      return g->media_types[i];
  g->in_scratch = scratch && !keep; /* what the table keeps lives as long as the graph */
  s = arena_strdup(g, s, nomem);
  g->in_scratch = scratch;
  if (s && keep)
    g->media_types[g->n_media_types++] = s;
  return s;
}

static const char *intern_key(oci_graph *g, const char *s, bool *nomem)
{
  bool keep = g->n_keys_seen < sizeof g->keys_seen / sizeof g->keys_seen[0], scratch = g->in_scratch;
  for (size_t i = 0; i < g->n_keys_seen; i++)
    if (!strcmp(g->keys_seen[i], s))
      return g->keys_seen[i];
  g->in_scratch = scratch && !keep;
  s = arena_strdup(g, s, nomem);
  g->in_scratch = scratch;
  if (s && keep)
    g->keys_seen[g->n_keys_seen++] = s;
  return s;
}

static const char *const *arena_strv(oci_graph *g, char **v, size_t n, bool *nomem)
{
  const char **out;
  if (!n)
    return NULL;
  if (!(out = arena_alloc(g, n * sizeof *out))) {
    *nomem = true;
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    out[i] = arena_strdup(g, v[i], nomem);
  return out;
}

static const ocidig_annotation *arena_annotations(oci_graph *g, const ocidig_annotation *a, size_t n, bool *nomem)
{
  ocidig_annotation *out;
  if (!n)
    return NULL;
  if (!(out = arena_alloc(g, n * sizeof *out))) {
    *nomem = true;
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    out[i].key = (char *)intern_key(g, a[i].key, nomem);
    out[i].value = (char *)arena_strdup(g, a[i].value, nomem);
  }
  return out;
}

static const ocidig_platform *arena_platform(oci_graph *g, const ocidig_platform *p, bool *nomem)
{
  ocidig_platform *out = arena_alloc(g, sizeof *out);
  if (!out) {
    *nomem = true;
    return NULL;
  }
  out->os = (char *)arena_strdup(g, p->os, nomem);
  out->architecture = (char *)arena_strdup(g, p->architecture, nomem);
  out->variant = (char *)arena_strdup(g, p->variant, nomem);
  out->os_version = (char *)arena_strdup(g, p->os_version, nomem);
  out->os_features = (char **)arena_strv(g, p->os_features, p->n_os_features, nomem);
  out->n_os_features = p->n_os_features;
  return out;
}

static bool same_field(const char *a, const char *b)
{
  return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool platform_same(const ocidig_platform *a, const ocidig_platform *b)
{
  if (!same_field(a->os, b->os) || !same_field(a->architecture, b->architecture) ||
      !same_field(a->variant, b->variant) || !same_field(a->os_version, b->os_version) ||
      a->n_os_features != b->n_os_features)
    return false;
  for (size_t i = 0; i < a->n_os_features; i++)
    if (strcmp(a->os_features[i], b->os_features[i]))
      return false;
  return true;
}

/* A descriptor's platform, shared with the descriptors before it that have the same one
 * (the same fields, present or absent alike, and the same keys). */
static const ocidig_platform *intern_platform(oci_graph *g, const ocidig_platform *p, unsigned keys, bool *nomem)
{
  const ocidig_platform *out;
  bool keep = g->n_platforms < sizeof g->platforms / sizeof g->platforms[0], scratch = g->in_scratch;
  for (size_t i = 0; i < g->n_platforms; i++)
    if (g->platform_keys[i] == keys && platform_same(g->platforms[i], p))
      return g->platforms[i];
  g->in_scratch = scratch && !keep;
  out = arena_platform(g, p, nomem);
  g->in_scratch = scratch;
  if (out && keep) {
    g->platform_keys[g->n_platforms] = keys;
    g->platforms[g->n_platforms++] = out;
  }
  return out;
}

/* A compact copy of a decoded descriptor.  share: its digest is likely to recur (a config
 * or a layer, which images share): stored once.  An index's entries are each their own. */
static bool gdesc_from(oci_graph *g, const ocidig_descriptor *d, bool share, oci_gdesc *out)
{
  bool nomem = false;
  memset(out, 0, sizeof *out);
  out->media_type = intern_media_type(g, d->media_type, &nomem);
  out->digest = share ? intern_digest(g, d->digest_string, &nomem) : arena_strdup(g, d->digest_string, &nomem);
  out->size = d->size;
  out->digest_code = (int16_t)d->digest_code;
  if (d->has_platform) {
    out->platform = intern_platform(g, &d->platform, d->platform_keys, &nomem);
    out->platform_keys = (uint8_t)d->platform_keys;
  }
  out->annotations = arena_annotations(g, d->annotations, d->n_annotations, &nomem);
  out->n_annotations = (uint32_t)d->n_annotations;
  if (d->artifact_type || d->n_urls || d->has_data) {
    oci_gdesc_more *x = arena_alloc(g, sizeof *x);
    if (!x)
      return false;
    memset(x, 0, sizeof *x);
    x->artifact_type = arena_strdup(g, d->artifact_type, &nomem);
    x->urls = arena_strv(g, d->urls, d->n_urls, &nomem);
    x->n_urls = (uint32_t)d->n_urls;
    if (d->has_data) {
      uint8_t *p = arena_alloc(g, d->data_len);
      if (p && d->data_len)
        memcpy(p, d->data, d->data_len);
      nomem = nomem || !p;
      x->data = p;
      x->data_len = d->data_len;
      x->has_data = true;
    }
    out->more = x;
  }
  return !nomem;
}

/* ------------------------------------------------------------------ nodes */

static void chunks_free(chunk *c)
{
  while (c) {
    chunk *next = c->next;
    free(c);
    c = next;
  }
}

static void graph_free(void *p)
{
  oci_graph *g = p;
  if (!g)
    return;
  oci_strtab_free(&g->by_digest);
  oci_strtab_free(&g->digest_tab);
  free(g->nodes);
  free(g->digests);
  for (size_t i = 0; i < g->n_arrays; i++)
    free(g->arrays[i]);
  free(g->arrays);
  oci_graph_scratch_end(g);
  free(g->snodes);
  chunks_free(g->chunks);
  free(g);
}

void oci_graph_scratch_begin(oci_graph *g)
{
  if (g)
    g->in_scratch = true;
}

void oci_graph_scratch_end(oci_graph *g)
{
  if (!g)
    return;
  g->in_scratch = false;
  chunks_free(g->scratch);
  g->scratch = NULL;
  g->n_snodes = 0;
  oci_strtab_free(&g->stab);
}

ocidig_code oci_graph_get(ocidig_layout *l, oci_graph **out, ocidig_error *err)
{
  oci_graph *g;
  oci_view *v;
  ocidig_code rc;
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(l, "the layout", err);
  if (l->upper[OCI_SLOT_GRAPH]) {
    *out = l->upper[OCI_SLOT_GRAPH];
    return OCIDIG_OK;
  }
  if ((rc = oci_view_get(l, &v, err)) != OCIDIG_OK)
    return rc;
  if (!(g = calloc(1, sizeof *g)))
    return oci_nomem(err);
  g->l = l;
  g->v = v;
  l->upper[OCI_SLOT_GRAPH] = g;
  l->upper_free[OCI_SLOT_GRAPH] = graph_free;
  *out = g;
  return OCIDIG_OK;
}

/* A node and what it was asked for as (the lookup's key). */
typedef struct gnode {
  oci_gnode pub;          /* first: what callers see */
  struct gnode *next;     /* the next node of the same digest */
  const char *media_type; /* the descriptor's, for an index or a manifest */
  int64_t size;
  ocidig_kind kind;
  bool inline_data;       /* read from the descriptor's inline data */
} gnode;

static gnode *node_new(oci_graph *g, const char *name, const char *digest, ocidig_kind kind)
{
  bool nomem = false;
  gnode *n = arena_alloc(g, sizeof *n);
  if (!n)
    return NULL;
  size_t ln = strlen(name), ld = digest ? strlen(digest) : 0;
  memset(n, 0, sizeof *n);
  n->pub.name = arena_strdup(g, name, &nomem);
  /* "manifest sha256:...": the digest is the name's end, not a second copy */
  if (!ld)
    n->pub.digest = "";
  else if (n->pub.name && ld <= ln && !strcmp(n->pub.name + ln - ld, digest))
    n->pub.digest = n->pub.name + ln - ld;
  else
    n->pub.digest = arena_strdup(g, digest, &nomem);
  n->pub.kind = kind;
  n->kind = kind;
  return nomem ? NULL : n;
}

/* Records the node's error; false when out of memory. */
static bool node_fail(oci_graph *g, oci_gnode *n, const ocidig_error *e)
{
  bool nomem = false;
  n->code = e->code;
  n->message = arena_strdup(g, e->message, &nomem);
  return !nomem;
}

static bool node_dup_keys(oci_graph *g, oci_gnode *n, const oci_json_doc *doc)
{
  bool nomem = false;
  n->dup_keys = arena_strv(g, doc->dup_keys, doc->n_dup_keys, &nomem);
  n->n_dup_keys = doc->n_dup_keys;
  return !nomem;
}

static const char *digest_text(const oci_gdesc *d)
{
  return d->digest && *d->digest ? d->digest : "(no digest)";
}

/* ------------------------------------------------------------ index nodes */

typedef struct index_read {
  oci_graph *g;
  oci_gnode *n;
  const char *what;
  const char *shape_mt; /* the descriptor's media type for the shape rules (NULL: the root) */
  oci_gdesc *kids;      /* as they decode (resolve's children), up to the first refused */
  size_t n_kids, cap_kids;
  oci_gdesc *lkids; /* leniently (verify), once one differs from kids */
  size_t n_lkids, cap_lkids;
  bool differ;
  bool refused; /* an element did not decode: rerr says why */
  ocidig_error rerr;
  bool over; /* more elements than the limit: counted, not kept */
  bool content_only; /* the bytes failed their checks: the shape and lenient children only */
  oci_shapes shapes;
  oci_json_stream *js;
  /* the blob's checks (not for the root) */
  oci_hasher *h;
  uint64_t len;
} index_read;

static bool push_gdesc(oci_graph *g, oci_gdesc **v, size_t *n, size_t *cap, const ocidig_descriptor *d)
{
  if (!oci_grow((void **)v, cap, *n + 1, sizeof **v) || !gdesc_from(g, d, false, &(*v)[*n]))
    return false;
  (*n)++;
  return true;
}

static ocidig_code index_element(void *ctx, size_t i, json_object *elem, ocidig_error *err)
{
  index_read *ir = ctx;
  ocidig_descriptor d, ld;
  ocidig_error pe;
  char where[256];
  ocidig_code rc = OCIDIG_ERR_INVALID_JSON;
  bool bad, ok;
  if (i == SIZE_MAX) {
    ir->n_kids = ir->n_lkids = 0;
    ir->over = ir->differ = ir->refused = false;
    oci_shapes_drop_children(&ir->shapes);
    return OCIDIG_OK;
  }
  if (i >= OCIDIG_MAX_INDEX_DESCRIPTORS) {
    ir->over = true;
    return OCIDIG_OK;
  }
  snprintf(where, sizeof where, "%.200s manifests[%zu]", ir->what, i);
  bad = oci_shape_descriptor(&ir->shapes, (uint32_t)i, elem, where, true, &ld);
  if (!ir->refused && (rc = oci_descriptor_parse(elem, where, &d, &pe)) != OCIDIG_OK && rc != OCIDIG_ERR_NOMEM) {
    ir->refused = true; /* the node's error (resolve); the rest is read leniently (verify) */
    ir->rerr = pe;
  }
  ok = rc != OCIDIG_ERR_NOMEM && !ir->shapes.nomem;
  if (ok && (bad || rc != OCIDIG_OK) && !ir->differ) {
    /* from here on the lenient children are kept apart: the decoded ones so far */
    ir->differ = true;
    ok = !ir->n_kids || oci_grow((void **)&ir->lkids, &ir->cap_lkids, ir->n_kids, sizeof *ir->lkids);
    if (ok && ir->n_kids)
      memcpy(ir->lkids, ir->kids, ir->n_kids * sizeof *ir->kids);
    ir->n_lkids = ir->n_kids;
  }
  if (ok && rc == OCIDIG_OK)
    ok = push_gdesc(ir->g, &ir->kids, &ir->n_kids, &ir->cap_kids, &d);
  if (ok && ir->differ && rc == OCIDIG_OK && !bad) {
    if ((ok = oci_grow((void **)&ir->lkids, &ir->cap_lkids, ir->n_lkids + 1, sizeof *ir->lkids)))
      ir->lkids[ir->n_lkids++] = ir->kids[ir->n_kids - 1];
  } else if (ok && ir->differ) {
    ok = push_gdesc(ir->g, &ir->lkids, &ir->n_lkids, &ir->cap_lkids, &ld);
  }
  if (rc == OCIDIG_OK)
    ocidig_descriptor_clear(&d);
  ocidig_descriptor_clear(&ld);
  return ok ? OCIDIG_OK : oci_nomem(err);
}

static ocidig_code index_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  index_read *ir = ctx;
  (void)err;
  if (ir->h)
    oci_hasher_update(ir->h, buf, len);
  ir->len += len;
  oci_json_stream_feed(ir->js, buf, len);
  return OCIDIG_OK;
}

/* An array of descriptors becomes the graph's (trimmed, freed with the graph). */
static oci_gdesc *keep_array(oci_graph *g, oci_gdesc **v, size_t n)
{
  oci_gdesc *a = realloc(*v, (n ? n : 1) * sizeof *a);
  if (a)
    *v = a;
  if (!oci_grow((void **)&g->arrays, &g->cap_arrays, g->n_arrays + 1, sizeof *g->arrays))
    return NULL;
  g->arrays[g->n_arrays++] = a = *v;
  *v = NULL;
  return a;
}

/* The shape problems found, copied to the node. */
static bool keep_shapes(oci_graph *g, oci_gnode *n, const oci_shapes *s)
{
  oci_gshape *out;
  bool nomem = false;
  for (size_t i = 0; i < OCI_SHAPE_N_CODES; i++) {
    if (s->more[i] && !n->shapes_more) {
      uint32_t *m = arena_alloc(g, OCI_SHAPE_N_CODES * sizeof *m);
      if (!m)
        return false;
      memset(m, 0, OCI_SHAPE_N_CODES * sizeof *m);
      n->shapes_more = m;
    }
    if (s->more[i])
      ((uint32_t *)n->shapes_more)[i] = s->more[i] > UINT32_MAX ? UINT32_MAX : (uint32_t)s->more[i];
  }
  if (!s->n)
    return true;
  if (!(out = arena_alloc(g, s->n * sizeof *out)))
    return false;
  for (size_t i = 0; i < s->n; i++) {
    out[i].slot = s->v[i].slot;
    out[i].code = s->v[i].code;
    out[i].message = arena_strdup(g, s->v[i].message, &nomem);
  }
  n->shapes = out;
  n->n_shapes = s->n;
  return !nomem;
}

/* After the bytes: JSON, kind, "manifests" (§5.5); the shape rules (verify). */
static ocidig_code index_finish(index_read *ir, const char *media_type, ocidig_error *e)
{
  oci_graph *g = ir->g;
  oci_gnode *n = ir->n;
  oci_json_doc doc;
  json_object *arr;
  size_t count = 0;
  ocidig_code rc;
  bool kind_ok;

  if ((rc = oci_json_stream_finish(ir->js, &doc, e)) != OCIDIG_OK)
    return rc;
  n->parsed = true;
  if (!node_dup_keys(g, n, &doc)) {
    oci_json_doc_free(&doc);
    return oci_nomem(e);
  }
  kind_ok = oci_shape_document(&ir->shapes, doc.root, OCIDIG_KIND_INDEX, ir->shape_mt, ir->what);
  rc = oci_shape_check_kind(doc.root, OCIDIG_KIND_INDEX, ir->what, media_type, e);
  arr = oci_json_get(doc.root, "manifests");
  oci_json_stream_split(ir->js, &count);
  if (kind_ok && count > OCIDIG_MAX_INDEX_DESCRIPTORS)
    oci_shapes_add(&ir->shapes, OCI_SHAPE_DOC, OCI_SHAPE_LIMIT_EXCEEDED,
                   "%s has %zu descriptors, more than the limit of %d; only the first %d are checked", ir->what, count,
                   OCIDIG_MAX_INDEX_DESCRIPTORS, OCIDIG_MAX_INDEX_DESCRIPTORS);
  if (rc == OCIDIG_OK && !oci_json_has(doc.root, "manifests")) {
    n->no_manifests = true;
    ir->n_kids = 0;
  } else if (rc == OCIDIG_OK && !arr) {
    ir->n_kids = 0; /* null */
  } else if (rc == OCIDIG_OK && !json_object_is_type(arr, json_type_array)) {
    rc = oci_fail(e, OCIDIG_ERR_INVALID_JSON, "%s: \"manifests\" must be an array, not %s", ir->what,
                  oci_json_type_name(arr));
  } else if (rc == OCIDIG_OK) {
    if (count > OCIDIG_MAX_INDEX_DESCRIPTORS)
      rc = oci_fail(e, OCIDIG_ERR_LIMIT, "%s: %zu descriptors, more than the limit of %d", ir->what, count,
                    OCIDIG_MAX_INDEX_DESCRIPTORS);
    else if (ir->refused) {
      *e = ir->rerr;
      rc = e->code;
    }
  }
  kind_ok = kind_ok && arr && json_object_is_type(arr, json_type_array);
  oci_json_doc_free(&doc);
  if (ir->shapes.nomem || !keep_shapes(g, n, &ir->shapes))
    return oci_nomem(e);
  if (kind_ok) {
    /* every child, leniently (verify) */
    n->walkable = true;
    if (ir->differ) {
      if (ir->n_lkids && !(n->lenient_children = keep_array(g, &ir->lkids, ir->n_lkids)))
        return oci_nomem(e);
      n->n_lenient_children = ir->n_lkids;
    } else if (ir->n_kids) {
      if (!(n->lenient_children = keep_array(g, &ir->kids, ir->n_kids)))
        return oci_nomem(e);
      n->n_lenient_children = ir->n_kids;
      if (rc == OCIDIG_OK && !ir->content_only) {
        n->children = n->lenient_children;
        n->n_children = ir->n_kids;
      }
      return rc;
    }
  }
  if (rc != OCIDIG_OK || ir->content_only)
    return rc;
  if (ir->n_kids) {
    if (!(n->children = keep_array(g, &ir->kids, ir->n_kids)))
      return oci_nomem(e);
    n->n_children = ir->n_kids;
  }
  return OCIDIG_OK;
}

static void index_read_free(index_read *ir)
{
  oci_json_stream_free(ir->js);
  oci_hasher_free(ir->h);
  free(ir->kids);
  free(ir->lkids);
  oci_shapes_free(&ir->shapes);
}

static bool kid_digest(void *ctx, size_t i, ocidig_digest *d)
{
  const oci_gdesc *kids = ctx;
  return !oci_gdesc_more_of(&kids[i])->has_data && oci_gdesc_digest(&kids[i], d);
}

void oci_graph_expect(oci_graph *g, bool more, size_t n, bool (*at)(void *ctx, size_t i, ocidig_digest *d), void *ctx)
{
  if (!g)
    return;
  if (more)
    oci_view_expect_more(g->v, n, at, ctx);
  else
    oci_view_expect(g->v, n, at, ctx);
}

bool oci_graph_rereads(const oci_graph *g)
{
  return g && oci_view_rereads(g->v);
}

void oci_graph_expect_again_here(oci_graph *g)
{
  if (g)
    oci_view_expect_again_here(g->v);
}

bool oci_graph_announced(oci_graph *g)
{
  bool was = g && g->announced;
  if (g)
    g->announced = true;
  return was;
}

ocidig_code oci_graph_root(oci_graph *g, const oci_gnode **out, ocidig_error *err)
{
  index_read ir = {.g = g};
  ocidig_error e = {0};
  ocidig_code rc;
  bool scratch, nomem;
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(g, "the graph", err);
  if (g->root) {
    *out = g->root;
    return OCIDIG_OK;
  }
  scratch = g->in_scratch;
  g->in_scratch = false; /* the root is kept, whenever it is first asked for */
  ir.what = oci_view_root_name(g->v);
  gnode *rn = node_new(g, ir.what, "", OCIDIG_KIND_INDEX);
  ir.n = rn ? &rn->pub : NULL;
  if (!ir.n ||
      !(ir.js = oci_json_stream_new(ir.what, "manifests", index_element, &ir))) {
    index_read_free(&ir);
    g->in_scratch = scratch;
    return oci_nomem(err);
  }
  rc = oci_view_root_stream(g->v, index_sink, &ir, &e);
  if (rc == OCIDIG_OK)
    rc = index_finish(&ir, OCIDIG_MT_OCI_INDEX, &e);
  index_read_free(&ir);
  nomem = rc == OCIDIG_ERR_NOMEM || (rc != OCIDIG_OK && !node_fail(g, ir.n, &e));
  g->in_scratch = scratch;
  if (nomem)
    return oci_nomem(err);
  g->root = ir.n;
  *out = ir.n;
  /* Every walk reads the root's children next, in their order: the layout keeps that in
   * mind when it must read an archive again (view.h oci_view_expect). */
  if (ir.n->n_lenient_children)
    oci_view_expect(g->v, ir.n->n_lenient_children, kid_digest, (void *)ir.n->lenient_children);
  else if (ir.n->n_children)
    oci_view_expect(g->v, ir.n->n_children, kid_digest, (void *)ir.n->children);
  return OCIDIG_OK;
}

/* An index blob: §4 with the bytes streamed (steps 3 to 6), then §5.5.  Bytes that fail
 * their size or digest are the node's error; their content is still read for its shape
 * (verify reports what is inside a tampered index, a cycle for one), never as children. */
static ocidig_code read_index(oci_graph *g, const oci_gdesc *d, oci_gnode *n, ocidig_error *e)
{
  index_read ir = {.g = g, .n = n, .what = n->name, .shape_mt = d->media_type};
  char dstr[OCIDIG_DIGEST_STRING_MAX], hex[129];
  bool inline_ok;
  const char *member;
  ocidig_digest dg;
  ocidig_entry st;
  ocidig_error e2 = {0};
  ocidig_code rc;
  bool bad = false;

  if (!oci_shape_check_digest_string(d->digest_code, d->digest, "index", e))
    return e->code;
  oci_gdesc_digest(d, &dg);
  ocidig_digest_format(&dg, dstr);
  if ((rc = oci_gdesc_inline_check(d, &inline_ok, e)) != OCIDIG_OK)
    return rc;
  if (!(ir.js = oci_json_stream_new(ir.what, "manifests", index_element, &ir)))
    return oci_nomem(e);
  if (inline_ok) {
    index_sink(&ir, d->more->data, d->more->data_len, e);
    rc = index_finish(&ir, oci_str(d->media_type), e);
    index_read_free(&ir);
    return rc;
  }
  member = oci_view_blob_member(g->v, &dg, NULL, NULL);
  if ((rc = oci_view_blob_stat(g->v, &dg, &st, e)) != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_BLOB_MISSING)
      oci_fail(e, rc, "blob %s is missing (no %s in the layout)", dstr, oci_str(member));
    goto out;
  }
  member = oci_view_blob_member(g->v, &dg, NULL, NULL);
  if (st.size != d->size) {
    rc = oci_fail(e, OCIDIG_ERR_SIZE_MISMATCH, "blob %s: %s is %lld bytes, the descriptor says %lld", dstr,
                  oci_str(member), (long long)st.size, (long long)d->size);
    if (st.size > (int64_t)OCIDIG_MAX_JSON_SIZE)
      goto out;
    bad = true;
  }
  if (!(ir.h = oci_hasher_new(dg.alg))) {
    rc = oci_nomem(e);
    goto out;
  }
  {
    ocidig_code src = oci_view_blob_stream(g->v, &dg, index_sink, &ir, bad ? &e2 : e);
    if (src == OCIDIG_ERR_NOMEM)
      rc = oci_nomem(e);
    if (src != OCIDIG_OK) {
      rc = bad && src != OCIDIG_ERR_NOMEM ? rc : src;
      goto out;
    }
  }
  member = oci_view_blob_member(g->v, &dg, NULL, NULL);
  if (!bad && (int64_t)ir.len != d->size) {
    rc = oci_fail(e, OCIDIG_ERR_SIZE_MISMATCH, "blob %s: read %llu bytes, the descriptor says %lld", dstr,
                  (unsigned long long)ir.len, (long long)d->size);
    bad = true;
  }
  oci_hasher_final_hex(ir.h, hex);
  if (!bad && strcmp(hex, dg.hex)) {
    rc = oci_fail(e, OCIDIG_ERR_DIGEST_MISMATCH, "blob %s: the bytes of %s hash to %s:%s", dstr, oci_str(member),
                  ocidig_digest_alg_name(dg.alg), hex);
    bad = true;
  }
  if (bad) {
    ir.content_only = true;
    if (index_finish(&ir, oci_str(d->media_type), &e2) == OCIDIG_ERR_NOMEM)
      rc = oci_nomem(e);
    goto out;
  }
  rc = index_finish(&ir, oci_str(d->media_type), e);
out:
  index_read_free(&ir);
  return rc;
}

/* --------------------------------------------------- manifests and configs */

/* A whole document behind d (a manifest or a config): §4 steps 1 to 6. */
static ocidig_code read_whole(oci_graph *g, const oci_gdesc *d, const char *role, const char *name,
                              oci_json_doc *doc, ocidig_error *e)
{
  uint8_t *data = NULL;
  size_t len = 0;
  ocidig_digest dg;
  ocidig_code rc;
  bool inline_ok;
  if (!oci_shape_check_digest_string(d->digest_code, d->digest, role, e))
    return e->code;
  oci_gdesc_digest(d, &dg);
  if ((rc = oci_gdesc_inline_check(d, &inline_ok, e)) != OCIDIG_OK)
    return rc;
  if (inline_ok) {
    rc = oci_json_parse(d->more->data, d->more->data_len, name, doc, e);
  } else {
    if ((rc = oci_view_blob_read(g->v, &dg, d->size, OCIDIG_MAX_JSON_SIZE, &data, &len, e)) != OCIDIG_OK)
      return rc;
    rc = oci_json_parse(data, len, name, doc, e);
    free(data);
  }
  return rc;
}

static bool parse_gdesc(oci_graph *g, json_object *obj, const char *where, const oci_gdesc **out, ocidig_error *e)
{
  ocidig_descriptor d;
  oci_gdesc *gd;
  ocidig_code rc;
  *out = NULL;
  if ((rc = oci_descriptor_parse(obj, where, &d, e)) != OCIDIG_OK)
    return rc != OCIDIG_ERR_NOMEM; /* not a descriptor: e says why */
  gd = arena_alloc(g, sizeof *gd);
  if (!gd || !gdesc_from(g, &d, true, gd)) {
    ocidig_descriptor_clear(&d);
    return false;
  }
  ocidig_descriptor_clear(&d);
  *out = gd;
  return true;
}

/* What a manifest says, past its kind: config (checked), the rest as far as it decodes. */
static bool manifest_fields(oci_graph *g, oci_gnode *n, json_object *root)
{
  json_object *mt = oci_json_get(root, "mediaType");
  json_object *c = oci_json_get(root, "config");
  json_object *layers = oci_json_get(root, "layers");
  json_object *v;
  ocidig_error e = {0};
  bool nomem = false;

  if (mt && json_object_is_type(mt, json_type_string)) {
    char *s = oci_json_strdup(mt);
    nomem = !s;
    n->body_media_type = intern_media_type(g, s, &nomem);
    free(s);
  }
  if (!c) {
    oci_fail(&e, OCIDIG_ERR_INVALID_DIGEST, "%s has no config descriptor", n->name);
  } else if (!parse_gdesc(g, c, n->name, &n->config, &e)) {
    return false;
  }
  if (!n->config) {
    n->config_code = e.code;
    n->config_message = arena_strdup(g, e.message, &nomem);
  }
  if (layers && json_object_is_type(layers, json_type_array)) {
    size_t k = json_object_array_length(layers);
    oci_gdesc *ls = arena_alloc(g, (k ? k : 1) * sizeof *ls);
    if (!ls)
      return false;
    for (size_t i = 0; i < k; i++) {
      ocidig_descriptor d;
      char where[256];
      snprintf(where, sizeof where, "%.150s layers[%zu]", n->name, i);
      if (oci_descriptor_parse(json_object_array_get_idx(layers, i), where, &d, &e) != OCIDIG_OK) {
        if (e.code == OCIDIG_ERR_NOMEM)
          return false;
        if (!n->layers_code) {
          n->layers_code = e.code;
          n->layers_message = arena_strdup(g, e.message, &nomem);
        }
        continue;
      }
      nomem = nomem || !gdesc_from(g, &d, true, &ls[n->n_layers]);
      ocidig_descriptor_clear(&d);
      n->n_layers++;
    }
    n->layers = ls;
  } else if (layers) {
    n->layers_code = OCIDIG_ERR_INVALID_JSON;
    snprintf(e.message, sizeof e.message, "%.150s: \"layers\" must be an array, not %s", n->name,
             oci_json_type_name(layers));
    n->layers_message = arena_strdup(g, e.message, &nomem);
  }
  if ((v = oci_json_get(root, "subject")) != NULL && !parse_gdesc(g, v, "subject", &n->subject, NULL))
    return false;
  if ((v = oci_json_get(root, "artifactType")) != NULL && json_object_is_type(v, json_type_string)) {
    char *s = oci_json_strdup(v);
    n->artifact_type = arena_strdup(g, s, &nomem);
    nomem = nomem || !s;
    free(s);
  }
  if ((v = oci_json_get(root, "annotations")) != NULL && json_object_is_type(v, json_type_object)) {
    size_t k = (size_t)json_object_object_length(v);
    ocidig_annotation *a = arena_alloc(g, (k ? k : 1) * sizeof *a);
    if (!a)
      return false;
    json_object_object_foreach(v, key, val)
    {
      char *s;
      if (!val || !json_object_is_type(val, json_type_string))
        continue;
      s = oci_json_strdup(val);
      a[n->n_annotations].key = (char *)arena_strdup(g, key, &nomem);
      a[n->n_annotations].value = (char *)arena_strdup(g, s, &nomem);
      nomem = nomem || !s;
      free(s);
      n->n_annotations++;
    }
    n->annotations = a;
  }
  return !nomem;
}

/* A lenient descriptor into the arena (NULL when out of memory: *nomem). */
static const oci_gdesc *lenient_gdesc(oci_graph *g, const ocidig_descriptor *d, bool *nomem)
{
  oci_gdesc *gd = arena_alloc(g, sizeof *gd);
  if (!gd || !gdesc_from(g, d, true, gd)) {
    *nomem = true;
    return NULL;
  }
  return gd;
}

/* The shape rules of a manifest's content and the content read leniently (verify): the
 * node's own config and layers when they decoded without a problem.  The first layer with a
 * problem that decodes all the same is the row's error for ls (layers_code), as one that
 * does not decode is. */
static bool manifest_shapes(oci_graph *g, oci_gnode *n, json_object *root, oci_shapes *s)
{
  oci_shape_manifest m;
  bool nomem = false;
  oci_shape_manifest_read(s, root, n->name, &m);
  if (m.has_config)
    n->lenient_config = n->config && !oci_shapes_has(s, OCI_SHAPE_CONFIG) ? n->config
                                                                          : lenient_gdesc(g, &m.config, &nomem);
  if (m.has_layers && m.first_layer_problem == SIZE_MAX && n->n_layers == m.n_layers) {
    n->lenient_layers = n->layers;
  } else if (m.has_layers && m.n_layers) {
    oci_gdesc *ls = arena_alloc(g, m.n_layers * sizeof *ls);
    for (size_t i = 0; ls && i < m.n_layers && !nomem; i++)
      nomem = !gdesc_from(g, &m.layers[i], true, &ls[i]);
    nomem = nomem || !ls;
    n->lenient_layers = ls;
  }
  n->n_lenient_layers = m.n_layers;
  if (m.first_layer_problem != SIZE_MAX && n->layers_code == OCIDIG_OK) {
    const oci_shape *p = &s->v[m.first_layer_problem];
    n->layers_code = p->code == OCI_SHAPE_INVALID_DIGEST                   ? OCIDIG_ERR_INVALID_DIGEST
                     : p->code == OCI_SHAPE_UNSUPPORTED_DIGEST_ALGORITHM ? OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM
                                                                          : OCIDIG_ERR_INVALID_JSON;
    n->layers_message = arena_strdup(g, p->message, &nomem);
  }
  if (m.has_subject)
    n->lenient_subject = lenient_gdesc(g, &m.subject, &nomem);
  oci_shape_manifest_clear(&m);
  return !nomem && !s->nomem;
}

static ocidig_code read_manifest(oci_graph *g, const oci_gdesc *d, oci_gnode *n, ocidig_error *e)
{
  oci_json_doc doc;
  oci_shapes shapes = {0};
  ocidig_code rc, r2 = OCIDIG_OK;
  bool tampered = false, kind_ok;
  if ((rc = read_whole(g, d, "manifest", n->name, &doc, e)) != OCIDIG_OK) {
    ocidig_digest dg;
    oci_gdesc_digest(d, &dg);
    if ((rc != OCIDIG_ERR_SIZE_MISMATCH && rc != OCIDIG_ERR_DIGEST_MISMATCH) || oci_gdesc_inline_ok(d) ||
        (r2 = oci_shape_read_tampered(g->v, &dg, n->name, &doc)) != OCIDIG_OK)
      return r2 == OCIDIG_ERR_NOMEM ? oci_nomem(e) : rc;
    tampered = true;
  }
  n->parsed = true;
  if (!node_dup_keys(g, n, &doc)) {
    rc = oci_nomem(e);
  } else {
    kind_ok = oci_shape_document(&shapes, doc.root, OCIDIG_KIND_MANIFEST, d->media_type, n->name);
    /* the layers first: what decodes (ls's sizes) and the first that does not */
    rc = tampered ? rc : oci_shape_check_kind(doc.root, OCIDIG_KIND_MANIFEST, n->name, oci_str(d->media_type), e);
    if (!tampered && rc == OCIDIG_OK && !manifest_fields(g, n, doc.root))
      rc = oci_nomem(e);
    if (rc != OCIDIG_ERR_NOMEM && kind_ok && !manifest_shapes(g, n, doc.root, &shapes))
      rc = oci_nomem(e);
    if (rc != OCIDIG_ERR_NOMEM && (shapes.nomem || !keep_shapes(g, n, &shapes)))
      rc = oci_nomem(e);
  }
  oci_shapes_free(&shapes);
  oci_json_doc_free(&doc);
  return rc;
}

static ocidig_code read_config(oci_graph *g, const oci_gdesc *d, oci_gnode *n, ocidig_error *e)
{
  oci_json_doc doc;
  ocidig_platform p = {0};
  ocidig_code rc;
  bool nomem = false;
  if ((rc = read_whole(g, d, "config", n->name, &doc, e)) != OCIDIG_OK)
    return rc;
  if (!node_dup_keys(g, n, &doc)) {
    rc = oci_nomem(e);
  } else if (!json_object_is_type(doc.root, json_type_object)) {
    rc = oci_fail(e, OCIDIG_ERR_INVALID_JSON, "config %s is %s, not an object", digest_text(d),
                  oci_json_type_name(doc.root));
  } else {
    char where[OCIDIG_DIGEST_STRING_MAX + 16];
    oci_shapes shapes = {0};
    snprintf(where, sizeof where, "config %.140s", digest_text(d));
    if ((rc = oci_platform_parse_json(doc.root, where, &p, NULL, e)) == OCIDIG_OK) {
      n->platform = arena_platform(g, &p, &nomem);
      if (nomem)
        rc = oci_nomem(e);
    }
    ocidig_platform_clear(&p);
    /* the config's other fields (verify reports them; the platform's are the node's error) */
    oci_shape_config(&shapes, doc.root, where);
    if (rc != OCIDIG_ERR_NOMEM && (shapes.nomem || !keep_shapes(g, n, &shapes)))
      rc = oci_nomem(e);
    oci_shapes_free(&shapes);
  }
  oci_json_doc_free(&doc);
  return rc;
}

static const char *node_key(const void *ctx, size_t i)
{
  return ((const oci_graph *)ctx)->nodes[i]->pub.digest;
}

static const char *snode_key(const void *ctx, size_t i)
{
  return ((const oci_graph *)ctx)->snodes[i]->pub.digest;
}

/* Was n read as d asks now?  Each part can change the answer or its message: the kind,
 * inline data or the blob, the size, the media type (not for a config). */
static bool node_is(const gnode *n, const oci_gdesc *d, ocidig_kind kind, bool inline_data)
{
  return n->kind == kind && n->inline_data == inline_data && n->size == d->size &&
         (kind == OCIDIG_KIND_OTHER || oci_streq(n->media_type, d->media_type));
}

/* The node for d read as kind (INDEX, MANIFEST, or OTHER: a config), made on first use. */
static ocidig_code node_get(oci_graph *g, const oci_gdesc *d, ocidig_kind kind, const oci_gnode **out,
                            ocidig_error *err)
{
  char *name;
  size_t found;
  gnode *n, *first = NULL, *sfirst = NULL;
  ocidig_error e = {0};
  ocidig_code rc;
  bool nomem = false, inline_data, scratch, kept;
  const char *role = kind == OCIDIG_KIND_INDEX ? "index" : kind == OCIDIG_KIND_MANIFEST ? "manifest" : "config";

  *out = NULL;
  if ((rc = oci_gdesc_inline_check(d, &inline_data, err)) != OCIDIG_OK)
    return rc;
  if ((found = oci_strtab_find(&g->by_digest, oci_str(d->digest), node_key, g)) != OCI_STRTAB_NONE) {
    for (first = n = g->nodes[found]; n; n = n->next)
      if (node_is(n, d, kind, inline_data)) {
        *out = &n->pub;
        return OCIDIG_OK;
      }
  }
  /* read in this scratch already (ls's walk, then its resolution of the image) */
  if (g->in_scratch && (found = oci_strtab_find(&g->stab, oci_str(d->digest), snode_key, g)) != OCI_STRTAB_NONE) {
    for (sfirst = n = g->snodes[found]; n; n = n->next)
      if (node_is(n, d, kind, inline_data)) {
        *out = &n->pub;
        return OCIDIG_OK;
      }
  }
  /* An index is always kept (its children are few arrays, walked again and again); a
   * manifest or config read in scratch lives until oci_graph_scratch_end. */
  scratch = g->in_scratch;
  if (kind == OCIDIG_KIND_INDEX)
    g->in_scratch = false;
  name = oci_sprintf("%s %s", role, digest_text(d));
  n = name ? node_new(g, name, oci_str(d->digest), kind) : NULL;
  free(name);
  if (!n) {
    g->in_scratch = scratch;
    return oci_nomem(err);
  }
  n->media_type = kind == OCIDIG_KIND_OTHER ? NULL : intern_media_type(g, d->media_type, &nomem);
  n->size = d->size;
  n->inline_data = inline_data;
  if (!nomem) {
    rc = kind == OCIDIG_KIND_INDEX ? read_index(g, d, &n->pub, &e)
         : kind == OCIDIG_KIND_MANIFEST ? read_manifest(g, d, &n->pub, &e)
                                        : read_config(g, d, &n->pub, &e);
    nomem = rc == OCIDIG_ERR_NOMEM || (rc != OCIDIG_OK && !node_fail(g, &n->pub, &e));
  }
  kept = !g->in_scratch;
  g->in_scratch = scratch;
  if (nomem)
    return oci_nomem(err);
  if (!kept) { /* found by stab until the scratch ends: freed with it */
    while (sfirst && sfirst->next)
      sfirst = sfirst->next;
    if (sfirst)
      sfirst->next = n;
    else if (!oci_grow((void **)&g->snodes, &g->cap_snodes, g->n_snodes + 1, sizeof *g->snodes) ||
             (g->snodes[g->n_snodes] = n, !oci_strtab_put(&g->stab, g->n_snodes++, snode_key, g, false)))
      return oci_nomem(err);
    *out = &n->pub;
    return OCIDIG_OK;
  }
  if (first) {
    /* behind the others of its digest */
    while (first->next)
      first = first->next;
    first->next = n;
  } else {
    if (!oci_grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes))
      return oci_nomem(err);
    g->nodes[g->n_nodes] = n;
    if (!oci_strtab_put(&g->by_digest, g->n_nodes, node_key, g, false))
      return oci_nomem(err);
    g->n_nodes++;
  }
  *out = &n->pub;
  return OCIDIG_OK;
}

ocidig_code oci_graph_open(oci_graph *g, const oci_gdesc *d, const oci_gnode **out, ocidig_error *err)
{
  ocidig_kind k;
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(g, "the graph", err);
  OCI_REQUIRE(d, "the descriptor", err);
  k = ocidig_media_type_kind(d->media_type);
  if (k == OCIDIG_KIND_OTHER)
    return oci_fail(err, OCIDIG_ERR_USAGE, "oci_graph_open: media type %s is neither an index nor a manifest",
                    oci_str(d->media_type));
  return node_get(g, d, k, out, err);
}

ocidig_code oci_graph_config(oci_graph *g, const oci_gdesc *cfg, const oci_gnode **out, ocidig_error *err)
{
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(g, "the graph", err);
  OCI_REQUIRE(cfg, "the config descriptor", err);
  return node_get(g, cfg, OCIDIG_KIND_OTHER, out, err);
}
