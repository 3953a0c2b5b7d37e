/* image.h: what the files answering questions about images share (not installed).
 *
 *  - config.c: image configs, layer compression, annotations read from JSON;
 *  - image.c: the image a resolution selected (inspect), its JSON; the graph of what
 *    index.json reaches (until graph.c is the one walk) and small helpers;
 *  - list.c: the listing of `ocidig ls`;
 *  - related.c: the attestations and referrers of a manifest;
 *  - copy.c: a blob copied out with its digest checked (cat). */
#ifndef OCIDIG_IMAGE_H
#define OCIDIG_IMAGE_H

#include "descriptor.h"
#include "layout.h"
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define ANN_REF_TYPE "vnd.docker.reference.type"
#define ANN_REF_DIGEST "vnd.docker.reference.digest"
#define ANN_PREDICATE "in-toto.io/predicate-type"

/* ------------------------------------------------------------ helpers (image.c) */

/* Appends a copy of s unless it is empty or already there; false: out of memory. */
bool oci_strv_add_unique(char ***v, size_t *n, const char *s);
/* Appends a formatted warning unless it is already there. */
void oci_warning_push(char ***v, size_t *n, const char *fmt, ...) OCI_PRINTF(3, 4);
void oci_descriptors_free(ocidig_descriptor *v, size_t n);
/* Is the blob d names in the layout (*size: its size, -1 when not)? */
bool oci_blob_present(ocidig_layout *l, const ocidig_descriptor *d, int64_t *size);
/* The names an index.json entry gives: io.containerd.image.name, then the ref name unless
 * it is only the tag of the former. */
bool oci_entry_names_add(const ocidig_descriptor *d, char ***names, size_t *n);
/* A name as index.json may write it: "docker.io/library/x:t" and "x:t" are the same. */
bool oci_names_match(const char *a, const char *b);

/* ------------------------------------------------------------ config.c */

void oci_annotations_free(ocidig_annotation *v, size_t n);
/* obj[key], an object of strings, as annotations (sorted by key when `sort`); absent: none. */
ocidig_code oci_annotations_parse(json_object *obj, const char *key, const char *where, ocidig_annotation **out,
                                  size_t *n, bool sort, ocidig_error *err);

/* ------------------------------------------------------------ JSON output */

static inline json_object *oci_jstr(const char *s)
{
  return s ? json_object_new_string(s) : NULL;
}

static inline json_object *oci_jstrv(char **v, size_t n)
{
  json_object *a = json_object_new_array();
  for (size_t i = 0; i < n; i++)
    json_object_array_add(a, json_object_new_string(v[i]));
  return a;
}

/* The text of root (released), valid UTF-8; NULL when out of memory. */
static inline char *oci_jtext(json_object *root, bool pretty)
{
  char *out = oci_json_text_utf8(oci_strdup(json_object_to_json_string_ext(
    root, (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN) |
            JSON_C_TO_STRING_NOSLASHESCAPE)));
  json_object_put(root);
  return out;
}

/* ------------------------------------------------------------ the graph (image.c)
 * Everything index.json reaches, indexes and manifests each read once (never a layer).
 * The second walk of the index graph beside resolve.c's: graph.c replaces it. */

/* One index or manifest that index.json reaches. */
typedef struct oci_gnode {
  char *digest;
  ocidig_descriptor desc; /* the first descriptor met for it */
  char *parent;           /* where: "index.json" or an index's digest */
  ocidig_kind kind;       /* by the descriptor's media type */
  bool present;
  ocidig_code code;       /* reading failed (other than absent) */
  char *error;
  ocidig_descriptor *kids; /* an index's children */
  size_t n_kids;
  char *body_media_type;  /* a manifest's */
  char *artifact_type;
  char *subject;
  bool has_config;
  ocidig_descriptor config;
  ocidig_descriptor *layers;
  size_t n_layers;
  ocidig_annotation *annotations;
  size_t n_annotations;
  int cfg_state;          /* 0 not read, 1 read, 2 could not be read */
  ocidig_platform cfg_platform;
  ocidig_code cfg_code;   /* why it could not be read */
  char *cfg_error;
} oci_gnode;

typedef struct oci_igraph {
  ocidig_layout *layout;
  ocidig_descriptor *roots;
  size_t n_roots;
  oci_gnode *nodes;
  size_t n_nodes, cap_nodes;
  oci_strtab by_digest;
  char **warnings;
  size_t n_warnings;
} oci_igraph;

/* Reads index.json and everything it reaches.  No index.json: OCIDIG_ERR_BLOB_MISSING. */
ocidig_code oci_igraph_build(ocidig_layout *l, oci_igraph *g, ocidig_error *err);
void oci_igraph_free(oci_igraph *g);
oci_gnode *oci_igraph_node(const oci_igraph *g, const char *digest);
/* A manifest's config, read once and checked (present, size, digest, a JSON object, its
 * platform fields): OCIDIG_OK and n->cfg_platform, or the code, n->cfg_error saying why. */
ocidig_code oci_igraph_config(oci_igraph *g, oci_gnode *n);
/* Does the manifest.json entry im describe the manifest n: the same config AND the same
 * layers (ctr export writes an entry per image, images of one config told apart by their
 * layers)?  Its RepoTags then name the image n belongs to. */
bool oci_docker_image_describes(const oci_gnode *n, const ocidig_docker_image *im);
/* A hybrid archive: appends to a->warnings where manifest.json disagrees with the graph. */
ocidig_code oci_igraph_compare_docker(oci_igraph *g, ocidig_docker_archive *a);

/* ------------------------------------------------------------ related.c */

/* The attestations and referrers of the manifest `digest` among what g reaches. */
ocidig_code oci_related_find(oci_igraph *g, const char *digest, ocidig_related **out, size_t *n, ocidig_error *err);

#endif
