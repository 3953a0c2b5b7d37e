/* graph.h: the one reader of a bundle's documents (indexes, manifests, configs).
 *
 * Usage (resolve.c, list, inspect, cat, verify):
 *
 *   oci_graph *g;
 *   const oci_gnode *root, *n;
 *   if (oci_graph_get(layout, &g, &err) != OCIDIG_OK) ...      // once per layout, kept with it
 *   oci_graph_root(g, &root);                                  // index.json (or the view's root)
 *   if (root->code != OCIDIG_OK) ... root->message ...
 *   for (size_t i = 0; i < root->n_children; i++) {
 *     const oci_gdesc *d = &root->children[i];
 *     oci_graph_open(g, d, &n);                                // index or manifest, by d->media_type
 *     if (n->code == OCIDIG_ERR_BLOB_MISSING) ... absent ...
 *     else if (n->code != OCIDIG_OK) ... n->message: the one error for it, naming the digest ...
 *     else if (n->kind == OCIDIG_KIND_MANIFEST && n->config) oci_graph_config(g, n->config, &cfg);
 *   }
 *   // or, for everything under the root: oci_graph_walk(g, &visitor, ctx)
 *   // a descriptor for output: oci_gdesc_expand(d, &public_descriptor, &err)
 *
 * Every document is read once per layout, through view.h only, and checked once in the
 * order of doc/resolution.md §4 (digest string, inline data, present, size, digest, strict
 * JSON, kind against the descriptor's mediaType): a node holds one code and one message
 * for its condition, whatever asks.  Indexes (index.json included) are read as they stream
 * (json.h's oci_json_stream): memory is what is kept, the compact descriptors below, not
 * the document's size.  Nodes and descriptors live until the layout is closed (those read
 * in scratch: until its end, below); they are read-only to callers.  Not thread-safe (one thread per layout).
 *
 * For ls and verify (image.c, verify.c), which call oci_entries_load/oci_resolve_entry
 * today: those stay in resolve.c, now over the graph, until their callers move; the
 * replacement is ocidig_resolve itself per image (it reads nothing twice now: the graph
 * keeps index.json decoded), or oci_graph_root + oci_graph_open + oci_graph_config for
 * the walks of their own. */
#ifndef OCIDIG_GRAPH_H
#define OCIDIG_GRAPH_H

#include "internal.h"
#include "shape.h"

typedef struct oci_graph oci_graph;

/* What few descriptors carry (an artifactType, urls, inline data): apart, so that an index
 * of 100,000 descriptors does not hold room for them in each. */
typedef struct oci_gdesc_more {
  const char *artifact_type;
  const char *const *urls;
  const uint8_t *data; /* decoded inline data (has_data) */
  size_t data_len;
  uint32_t n_urls;
  bool has_data;
} oci_gdesc_more;

/* A descriptor as a document wrote it, compact (strings in the graph's arena; 56 bytes). */
typedef struct oci_gdesc {
  const char *media_type;          /* NULL: absent */
  const char *digest;              /* as written; NULL: absent */
  int64_t size;
  const ocidig_platform *platform; /* as written; NULL: none (absent or null) */
  const ocidig_annotation *annotations;
  const oci_gdesc_more *more; /* NULL: none of those (oci_gdesc_more_of: never NULL) */
  uint32_t n_annotations;
  int16_t digest_code;    /* an ocidig_code: OCIDIG_OK when digest is a valid, supported digest */
  uint8_t platform_keys;  /* OCIDIG_PLATFORM_KEY_* of the raw platform object */
} oci_gdesc;

/* d's rarer fields (all empty when it has none). */
const oci_gdesc_more *oci_gdesc_more_of(const oci_gdesc *d);

const char *oci_gdesc_annotation(const oci_gdesc *d, const char *key);
/* The parsed digest; false when digest_code is not OCIDIG_OK. */
bool oci_gdesc_digest(const oci_gdesc *d, ocidig_digest *out);
/* Does d carry inline data that checks out (its length is size, it hashes to digest)?
 * Then it is the document and the blob is not read (doc/resolution.md §5.10).
 * oci_gdesc_inline_check: *ok, or OCIDIG_ERR_NOMEM when hashing could not allocate;
 * oci_gdesc_inline_ok: false then too (for what only warns). */
ocidig_code oci_gdesc_inline_check(const oci_gdesc *d, bool *ok, ocidig_error *err);
bool oci_gdesc_inline_ok(const oci_gdesc *d);
/* A public descriptor (malloc'd copies; ocidig_descriptor_clear frees them). */
ocidig_code oci_gdesc_expand(const oci_gdesc *d, ocidig_descriptor *out, ocidig_error *err);

/* A shape problem of a document (shape.h), recorded on its node: which part (slot:
 * OCI_SHAPE_DOC, OCI_SHAPE_CONFIG, OCI_SHAPE_SUBJECT, or a child's or layer's position),
 * what (oci_shape_code) and the message (in the graph's strings). */
typedef struct oci_gshape {
  uint32_t slot;
  uint32_t code;
  const char *message;
} oci_gshape;

/* A document read through a descriptor (or the root). */
typedef struct oci_gnode {
  const char *name;   /* for messages: "index.json", "index sha256:...", "manifest sha256:...", "config ..." */
  const char *digest; /* as written, "" for the root */
  ocidig_kind kind;   /* INDEX, MANIFEST, or OTHER for a config */
  ocidig_code code;   /* OCIDIG_OK, or why it cannot be used (OCIDIG_ERR_BLOB_MISSING: absent) */
  const char *message; /* code != OCIDIG_OK: the error's message */
  bool inline_ignored; /* the descriptor's inline data did not check out: the blob was read */
  const char *const *dup_keys; /* keys that occur twice in one object (at most 8) */
  size_t n_dup_keys;
  /* index */
  const oci_gdesc *children;
  size_t n_children;
  bool no_manifests; /* no "manifests" key: read as an empty index */
  /* manifest (best effort beyond what the code covers: see config_code) */
  const char *body_media_type; /* the body's "mediaType" when a string */
  const oci_gdesc *config;     /* NULL: absent, null or undecodable (config_code says which) */
  ocidig_code config_code;     /* OCIDIG_OK, INVALID_DIGEST (no config), INVALID_JSON (not a descriptor) */
  const char *config_message;
  const oci_gdesc *layers; /* the layers that decode */
  size_t n_layers;
  ocidig_code layers_code;     /* OCIDIG_OK, or why the first layer that does not decode does not (ls) */
  const char *layers_message;
  const oci_gdesc *subject;
  const char *artifact_type;
  const ocidig_annotation *annotations;
  size_t n_annotations;
  /* config (kind OTHER): the five platform fields, when code is OCIDIG_OK */
  const ocidig_platform *platform;
  /* The shape of an index or manifest (verify), whatever the code says of it:
   * parsed: the bytes were read and are JSON (else code says why, and nothing below is set);
   * shapes: every shape problem found (shape.h), in document order;
   * the lenient_* fields: the content as far as it decodes, when the document is of its kind
   * (a descriptor that does not decode is read leniently: size -1 when unusable, platform
   * only when valid, digest_code); the same arrays as children and layers when all decode. */
  bool parsed;
  bool walkable; /* an index of its kind whose "manifests" is an array (lenient_children, maybe none) */
  const oci_gshape *shapes;
  size_t n_shapes;
  const uint32_t *shapes_more; /* NULL, or by code the descriptors' problems past those kept */
  const oci_gdesc *lenient_children;
  size_t n_lenient_children;
  const oci_gdesc *lenient_config; /* NULL: absent or not an object */
  const oci_gdesc *lenient_layers;
  size_t n_lenient_layers;
  const oci_gdesc *lenient_subject;
} oci_gnode;

/* The layout's graph, made on first use and kept with the layout (OCI_SLOT_GRAPH).
 * Errors: those of oci_view_get (the root's), out of memory. */
ocidig_code oci_graph_get(ocidig_layout *l, oci_graph **out, ocidig_error *err);
/* The root index (never NULL unless out of memory: then OCIDIG_ERR_NOMEM). */
ocidig_code oci_graph_root(oci_graph *g, const oci_gnode **out, ocidig_error *err);
/* The document behind d, read as an index or a manifest according to d->media_type
 * (doc/resolution.md §1); an other media type is not read (OCIDIG_ERR_USAGE).  The node's
 * code tells the outcome; the return value is only for out of memory. */
ocidig_code oci_graph_open(oci_graph *g, const oci_gdesc *d, const oci_gnode **out, ocidig_error *err);
/* The config behind cfg (a manifest's node->config; when that is NULL, node->config_code
 * and config_message say why), read once (§5.9): §4 steps 1 to 6, a JSON object, the five
 * platform fields type-checked (node->platform). */
ocidig_code oci_graph_config(oci_graph *g, const oci_gdesc *cfg, const oci_gnode **out, ocidig_error *err);

/* Scratch: between oci_graph_scratch_begin and oci_graph_scratch_end, a manifest or config
 * that the graph does not hold already is read as ever (the same checks, the same node) but
 * not kept: its node, and every string and descriptor of it, is freed at
 * oci_graph_scratch_end.  For a question that needs each manifest once and keeps nothing of
 * it past the scope (ls, one image at a time): memory is one image's documents, not every
 * manifest of the layout.  Indexes and the root are kept whatever the mode; so is a node
 * read before the scratch began (it is returned as it is).  A node may be read twice (once
 * in each of two scopes); the answer is the same.  Not nested. */
void oci_graph_scratch_begin(oci_graph *g);
void oci_graph_scratch_end(oci_graph *g);

/* The documents the caller will read next, in that order, told to the layout (view.h
 * oci_view_expect; `more`: appended to those told before, else instead of them):
 * digest_at(ctx, i, &d), false to leave the i-th out.  Reads nothing. */
void oci_graph_expect(oci_graph *g, bool more, size_t n, bool (*digest_at)(void *ctx, size_t i, ocidig_digest *d),
                      void *ctx);
/* Whether a read may cost a pass over an archive read again from its start (view.h). */
bool oci_graph_rereads(const oci_graph *g);
/* A walk made again starts with the document expected next (view.h). */
void oci_graph_expect_again_here(oci_graph *g);
/* Whether the walk was announced already (oci_graph_announce_walk); from now on it is. */
bool oci_graph_announced(oci_graph *g);
/* Before a walk of every image (ls, verify: pre-order, each index's children in document
 * order, each manifest then its config): when reads may cost passes over an archive read
 * again (oci_graph_rereads), reads the indexes a level at a time (each level announced
 * before it is read) and every manifest once ahead, in the walk's order, in a scratch of
 * its own, to announce the walk's documents in the order the walk will ask for them: the
 * passes then keep the next documents whatever their level, a pass for every few
 * megabytes, not one for each image.  Indexes stay in the graph (as a walk keeps them);
 * nothing else is kept.  Once a graph: a walk made again asks for the same documents in the
 * same order (the layout goes back to the first of the walk).  Otherwise does nothing.  Out of memory: OCIDIG_ERR_NOMEM; errors
 * of documents are their nodes' (the walk meets them). */
ocidig_code oci_graph_announce_walk(oci_graph *g, ocidig_error *err);

/* A walk of everything under the root, pre-order, each index's children in document
 * order, each index opened once (a second path to it: index() is called with again set,
 * its children are not visited again).  Nesting past OCIDIG_MAX_INDEX_NESTING and cycles
 * are reported to error() and not entered.  Any callback may be NULL; a callback that
 * returns false stops the walk. */
typedef struct oci_graph_visitor {
  /* a child descriptor of parent (depth 1 under the root) */
  bool (*child)(void *ctx, const oci_gnode *parent, const oci_gdesc *d, unsigned depth);
  /* the index or manifest behind a child (node->code may be an error) */
  bool (*index)(void *ctx, const oci_gnode *node, const oci_gdesc *d, unsigned depth, bool again);
  bool (*manifest)(void *ctx, const oci_gnode *node, const oci_gdesc *d, unsigned depth);
  /* nesting too deep or a cycle at d */
  bool (*error)(void *ctx, const oci_gdesc *d, ocidig_code code, const char *message);
} oci_graph_visitor;
ocidig_code oci_graph_walk(oci_graph *g, const oci_graph_visitor *v, void *ctx, ocidig_error *err);

#endif
