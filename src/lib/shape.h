/* shape.h: the shape rules of a document and of its descriptors (schemaVersion, mediaType
 * against the descriptor, kind, fields present and of their types, digests, sizes, inline
 * data, the empty descriptor, platform objects), checked where the graph reads a document
 * (graph.c), recorded compactly on its node (graph.h's oci_gshape) and reported by verify
 * (verify/descriptor_rules.c) as findings of the same names.
 *
 * The rules never stop at the first problem: every problem of a document is recorded, and a
 * descriptor that does not decode is still read as far as it can be (lenient), so that verify
 * checks what it points at.  No state; messages are malloc'd until oci_shapes_free. */
#ifndef OCIDIG_SHAPE_H
#define OCIDIG_SHAPE_H

#include "json.h"

/* What a shape problem is (verify's finding of the same name). */
typedef enum oci_shape_code {
  OCI_SHAPE_INVALID_JSON, /* the document is not an object */
  OCI_SHAPE_SCHEMA_VERSION,
  OCI_SHAPE_MEDIA_TYPE_MISMATCH,
  OCI_SHAPE_KIND_MISMATCH,
  OCI_SHAPE_FIELD_MISSING,
  OCI_SHAPE_FIELD_TYPE,
  OCI_SHAPE_INVALID_DIGEST,
  OCI_SHAPE_UNSUPPORTED_DIGEST_ALGORITHM,
  OCI_SHAPE_SIZE_NEGATIVE,
  OCI_SHAPE_DATA_MISMATCH,
  OCI_SHAPE_EMPTY_DESCRIPTOR_INVALID,
  OCI_SHAPE_LIMIT_EXCEEDED,
  /* rules of the image spec that leave the descriptor or document usable (they are not a
   * layer's decoding problem, see oci_shape_code_usable) */
  OCI_SHAPE_MEDIA_TYPE_INVALID, /* mediaType or artifactType not of RFC 6838's grammar */
  OCI_SHAPE_URL_INVALID,        /* a urls entry that is not an absolute URI */
  OCI_SHAPE_LAYERS_EMPTY,       /* a manifest's layers: [] (a SHOULD) */
  OCI_SHAPE_ENV_INVALID,        /* a config's Env entry without '=' (a SHOULD) */
  OCI_SHAPE_N_CODES
} oci_shape_code;

/* The problems of a document's descriptors kept with their messages; past these, only
 * counted by code.  The document's own problems (its fields: a config's history can hold
 * thousands of bad entries) likewise past OCI_SHAPES_DOC_KEPT: what a node keeps is bounded
 * whatever the document, in every command (the graph reads configs for all of them). */
#define OCI_SHAPES_KEPT 5000
#define OCI_SHAPES_DOC_KEPT 100

/* Where in a document a problem is: the document itself, its config or subject, or a
 * child descriptor (an index's manifests[i], a manifest's layers[i]) by position. */
#define OCI_SHAPE_DOC UINT32_MAX
#define OCI_SHAPE_CONFIG (UINT32_MAX - 1)
#define OCI_SHAPE_SUBJECT (UINT32_MAX - 2)

typedef struct oci_shape {
  uint32_t slot;
  uint32_t code; /* oci_shape_code */
  char *message;
} oci_shape;

typedef struct oci_shapes {
  oci_shape *v;
  size_t n, cap;
  size_t n_children;                 /* of v, those of descriptors (slot < OCI_SHAPE_SUBJECT) */
  size_t more[OCI_SHAPE_N_CODES];    /* problems past OCI_SHAPES_KEPT / OCI_SHAPES_DOC_KEPT, by code */
  bool nomem;                        /* a problem could not be recorded */
} oci_shapes;

void oci_shapes_add(oci_shapes *s, uint32_t slot, oci_shape_code code, const char *fmt, ...) OCI_PRINTF(4, 5);
/* Forgets the problems of the slots below OCI_SHAPE_SUBJECT (an index's array met again). */
void oci_shapes_drop_children(oci_shapes *s);
bool oci_shapes_has(const oci_shapes *s, uint32_t slot);
/* Does a problem of this code leave what it is found in as usable as without it (a rule of
 * the spec that no reader depends on: a media type's grammar, a URL's, a SHOULD)? */
bool oci_shape_code_usable(uint32_t code);
void oci_shapes_free(oci_shapes *s);

/* The rules of one descriptor (`where` names it in messages, e.g. "index.json manifests[3]");
 * index_child: an index's child (its "platform" is checked).  *out: the descriptor as far as
 * it is usable (ocidig_descriptor_clear frees it): mediaType, digest (digest_code), size
 * (-1: not usable), platform (only when valid), the string annotations, urls (when valid).
 * Returns whether any problem was recorded. */
bool oci_shape_descriptor(oci_shapes *s, uint32_t slot, json_object *obj, const char *where, bool index_child,
                          ocidig_descriptor *out);
/* The header of a document read as want (INDEX or MANIFEST) through a descriptor of media
 * type desc_mt (NULL: index.json): schemaVersion, mediaType, kind, artifactType, annotations;
 * for an index, "manifests" present and an array.  false when the document is not an object
 * or not of that kind: its content is not to be checked further. */
bool oci_shape_document(oci_shapes *s, json_object *root, ocidig_kind want, const char *desc_mt, const char *what);

/* The content of a manifest of its kind, leniently: its config and subject (has_*: an
 * object), every element of "layers" (has_layers: an array); each problem recorded (the
 * config's at OCI_SHAPE_CONFIG, a layer's at its position, the subject's at
 * OCI_SHAPE_SUBJECT, "config" or "layers" absent or of another type at OCI_SHAPE_DOC).
 * first_layer_problem: the position in s->v of the first layer's problem that is not
 * oci_shape_code_usable, or SIZE_MAX. */
typedef struct oci_shape_manifest {
  ocidig_descriptor config, subject, *layers;
  size_t n_layers;
  bool has_config, has_subject, has_layers;
  size_t first_layer_problem;
} oci_shape_manifest;
void oci_shape_manifest_read(oci_shapes *s, json_object *root, const char *name, oci_shape_manifest *out);
void oci_shape_manifest_clear(oci_shape_manifest *m);

/* The fields of an image config besides its platform (which oci_platform_parse_json reads):
 * created, author, config (User, ExposedPorts, Env, Entrypoint, Cmd, Volumes, WorkingDir,
 * Labels, StopSignal), rootfs and history, each of its type (null taken as absent for the
 * optional ones), every problem recorded at OCI_SHAPE_DOC; an Env entry without '=' is
 * OCI_SHAPE_ENV_INVALID.  root: the config's object. */
void oci_shape_config(oci_shapes *s, json_object *root, const char *what);

/* The checks of the contract that are rules of a document too (doc/resolution.md §4, §5):
 * kind (containerd's validateMediaType: key presence counts, whatever the value); the
 * descriptor's digest string (step 1; role: "index", "manifest", "config"; false: *e says
 * why). */
ocidig_code oci_shape_check_kind(json_object *root, ocidig_kind want, const char *what, const char *media_type,
                                 ocidig_error *err);
bool oci_shape_check_digest_string(ocidig_code digest_code, const char *digest, const char *role, ocidig_error *e);

/* A document whose bytes fail their size or digest, read whole (at most a document's
 * size) for its shape only: verify reports what is inside a tampered manifest.  OK: *doc. */
struct oci_view;
ocidig_code oci_shape_read_tampered(struct oci_view *v, const ocidig_digest *dg, const char *name, oci_json_doc *doc);

#endif
