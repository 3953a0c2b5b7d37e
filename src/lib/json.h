/* json.h: strict JSON for OCI documents.
 *
 * json-c builds the tree; before it does, a small scanner holds the text to RFC 8259
 * (json-c accepts single quotes, NaN and other extensions even in strict mode), bounds
 * the nesting depth and finds duplicate keys, which json-c folds silently (the last one
 * wins, as in Go).  A verifier reports them because two parsers can read such a document
 * differently. */
#ifndef OCIDIG_JSON_H
#define OCIDIG_JSON_H

#include "internal.h"

#include <json-c/json.h>

/* A hard limit that belongs with the others in ocidig.h's limits section (defined here
 * until it is there): the memory json-c may take for one document's tree, estimated from
 * the text before json-c sees it.  Past it: OCIDIG_ERR_JSON_TOO_LARGE. */
#ifndef OCIDIG_MAX_JSON_MEMORY
#define OCIDIG_MAX_JSON_MEMORY (16u * 1024 * 1024)
#endif

typedef struct oci_json_doc {
  json_object *root;
  char **dup_keys; /* names of keys that occur twice in one object (the first 8) */
  size_t n_dup_keys;
} oci_json_doc;

/* Parses data; `what` names the document in messages ("index.json", "blob sha256:...").
 * Errors: OCIDIG_ERR_INVALID_JSON. */
ocidig_code oci_json_parse(const uint8_t *data, size_t len, const char *what, oci_json_doc *doc,
                           ocidig_error *err);
void oci_json_doc_free(oci_json_doc *doc);

/* Field access; keys are case-sensitive.  NULL when absent. */
json_object *oci_json_get(json_object *obj, const char *key);
bool oci_json_has(json_object *obj, const char *key);
/* Is a an array whose elements are all strings? */
bool oci_json_is_strings(json_object *a);
/* A copy of a JSON string; an embedded NUL is kept visible as the text "\u0000" so that
 * no comparison can be fooled by truncation. */
char *oci_json_strdup(json_object *str);
/* An integer literal within int64; false for doubles, other types and overflow. */
bool oci_json_int64(json_object *v, int64_t *out);
/* Building a tree: adds val under key (to an array: appends it).  False when val is NULL
 * (the allocation that made it failed) or the add fails; val is then released.  json-c
 * itself adds a NULL as null, which would read back as a null field, not out of memory. */
bool oci_json_add(json_object *obj, const char *key, json_object *val);
bool oci_json_push(json_object *arr, json_object *val);
const char *oci_json_type_name(json_object *v);

/* A document read as it streams by, for indexes of any length: the elements of the array
 * under `key` in the top-level object ("manifests"), or (key NULL) of the top-level array
 * (a docker save's manifest.json), are cut out one by one, each checked
 * as oci_json_parse checks a document (RFC 8259, UTF-8, duplicate keys, depth, its own 4 MiB
 * and memory bounds) and handed to fn as a json-c tree freed when fn returns; the rest of
 * the text (the frame, with that array emptied) is checked and parsed at the end, within the
 * limits of a document.  Memory: the frame, one element, and what fn keeps.  Offsets in
 * messages are those of the whole text.
 *
 * fn(ctx, i, elem, err): element i (0, 1, ...).  i == SIZE_MAX (elem NULL): the key occurs
 * again, its earlier elements are to be forgotten.  An error from fn (other than
 * OCIDIG_ERR_NOMEM, which stops the stream) is kept (oci_json_stream_refused) and fn is not
 * called again; the text is still checked to its end.
 *
 * feed never fails: the first error is kept and the rest ignored, so that the caller can go
 * on hashing the bytes.  finish returns that error, or the frame's, else the frame's tree
 * (its dup_keys: the elements' then the frame's, at most 8 names). */
typedef ocidig_code (*oci_json_element_fn)(void *ctx, size_t i, json_object *elem, ocidig_error *err);
typedef struct oci_json_stream oci_json_stream;
oci_json_stream *oci_json_stream_new(const char *what, const char *key, oci_json_element_fn fn, void *ctx);
void oci_json_stream_feed(oci_json_stream *s, const void *buf, size_t len);
/* feed as a sink of ocidig_layout_stream_file: ctx is the stream; never fails. */
ocidig_code oci_json_stream_sink(void *ctx, const void *buf, size_t len, ocidig_error *err);
ocidig_code oci_json_stream_finish(oci_json_stream *s, oci_json_doc *doc, ocidig_error *err);
/* The error fn returned for an element, or NULL. */
const ocidig_error *oci_json_stream_refused(const oci_json_stream *s);
/* True when the array was split (*n: its elements, of the last occurrence of the key). */
bool oci_json_stream_split(const oci_json_stream *s, size_t *n);
void oci_json_stream_free(oci_json_stream *s);

/* A writer for reports too large to build as one json-c tree (a verify report of a
 * 10,000-platform layout took 55 MiB that way): containers are written as they open
 * and close, and each member is a small json-c tree, serialized and freed at once.  The
 * text is the same as json-c's for the whole tree, pretty (2 spaces) or plain. */
#define OCI_JSON_WRITER_DEPTH 16
typedef struct oci_json_writer {
  oci_buf out;
  int flags; /* JSON_C_TO_STRING_* */
  int depth;
  bool had[OCI_JSON_WRITER_DEPTH]; /* the container open at each depth has a member */
  char close[OCI_JSON_WRITER_DEPTH];
  /* With a sink (oci_json_writer_init_sink), the text goes to it as it is made, in pieces
   * of about OCI_JSON_WRITER_FLUSH bytes that end between two values (made valid UTF-8
   * piece by piece), so that a report of 100,000 rows never exists whole in memory. */
  ocidig_sink sink;
  void *sink_ctx;
  ocidig_code sink_rc; /* the sink's first error: nothing more is written */
  ocidig_error sink_err;
} oci_json_writer;
#define OCI_JSON_WRITER_FLUSH (64u * 1024)
void oci_json_writer_init(oci_json_writer *w, bool pretty);
void oci_json_writer_init_sink(oci_json_writer *w, bool pretty, ocidig_sink sink, void *ctx);
/* key: the member's name inside an object; NULL inside an array or at the top. */
void oci_json_writer_open(oci_json_writer *w, const char *key, char bracket /* '{' or '[' */);
void oci_json_writer_close(oci_json_writer *w);
/* Writes v (NULL: null) and releases it. */
void oci_json_writer_put(oci_json_writer *w, const char *key, json_object *v);
/* Writes a value given as JSON text (a number, a quoted string, true, ...) as it is. */
void oci_json_writer_put_text(oci_json_writer *w, const char *key, const char *text);
/* The caller's members (ocidig_json_options' head and tail), keys escaped, values as given. */
void oci_json_writer_put_members(oci_json_writer *w, const ocidig_json_member *m, size_t n);
/* The text (caller frees), or NULL if an allocation failed or a container is open. */
char *oci_json_writer_take(oci_json_writer *w);
/* With a sink: writes the rest.  OCIDIG_OK, the sink's first error (its message in *err),
 * or out of memory; a container left open is a usage error.  Frees the writer's buffer. */
ocidig_code oci_json_writer_finish(oci_json_writer *w, ocidig_error *err);

/* o as compact text (no slash escaped; malloc'd, *len bytes), o released (json_write.c);
 * false for a NULL o or out of memory.  json-c before 0.17 leaves out a piece it cannot
 * append and says nothing, so the text is made twice: two texts that differ ran out. */
bool oci_json_text(json_object *o, uint8_t **text, size_t *len);

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 (json.c; json_write.c uses it too). */
size_t oci_utf8_len(const uint8_t *p, const uint8_t *end);

/* A JSON text made valid UTF-8 (see ocidig_json_utf8); takes text, returns it or its
 * replacement (NULL when an allocation failed). */
char *oci_json_text_utf8(char *text);

#endif
