/* image.h: what the files answering questions about images share (not installed).
 *
 *  - config.c: image configs, layer compression, annotations read from JSON;
 *  - image.c: the image a resolution selected (inspect), its JSON;
 *  - list.c: the listing of `ocidig ls`;
 *  - related.c: the attestations and referrers of a manifest;
 *  - names.c: what names an image (index.json annotations; in a hybrid archive the RepoTags
 *    of the manifest.json entries that describe its manifest), manifest.json against the
 *    graph;
 *  - copy.c: a blob copied out with its digest checked (cat).
 * All of them read documents through graph.h (the one walk) and find blobs through view.h. */
#ifndef OCIDIG_IMAGE_H
#define OCIDIG_IMAGE_H

#include "descriptor.h"
#include "graph.h"
#include "strtab.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>

#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define ANN_REF_TYPE "vnd.docker.reference.type"
#define ANN_REF_DIGEST "vnd.docker.reference.digest"
#define ANN_PREDICATE "in-toto.io/predicate-type"

/* ------------------------------------------------------------ names.c */

/* Appends a copy of s unless it is empty or already there; false: out of memory. */
bool oci_strv_add_unique(char ***v, size_t *n, const char *s);
/* A string array the caller owns, with a table over it: adding a string unless it is there
 * costs the same however many there are (an image of a docker save can have tens of
 * thousands of names: pairwise checks took minutes).  Strings added to the array by others
 * between two adds are indexed on the next add. */
typedef struct oci_strset {
  char ***v;
  size_t *n;
  size_t indexed;
  oci_strtab tab;
} oci_strset;
void oci_strset_init(oci_strset *s, char ***v, size_t *n);
/* Appends a copy of str unless it is empty or already there; false: out of memory. */
bool oci_strset_add(oci_strset *s, const char *str);
void oci_strset_free(oci_strset *s);
/* The names an index.json entry gives: io.containerd.image.name, then the ref name unless
 * it is only the tag of the former. */
bool oci_entry_names_add(const oci_gdesc *d, oci_strset *names);
/* A name as index.json may write it: "docker.io/library/x:t" and "x:t" are the same. */
bool oci_names_match(const char *a, const char *b);
/* Adds each of tags to *names unless one there names the same (oci_names_match). */
ocidig_code oci_names_merge(char ***names, size_t *n_names, char *const *tags, size_t n_tags, ocidig_error *err);

/* Appends a formatted warning unless it is already there. */
static inline void oci_warning_push(char ***v, size_t *n, const char *fmt, ...) OCI_PRINTF(3, 4);
static inline void oci_warning_push(char ***v, size_t *n, const char *fmt, ...)
{
  char buf[OCIDIG_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  oci_strv_add_unique(v, n, buf);
}

/* Is the blob d names in the layout (*size, when given: its size, -1 when absent)?  Out
 * of memory: false, and *nomem set. */
static inline bool oci_gdesc_present(oci_view *v, const oci_gdesc *d, int64_t *size, bool *nomem)
{
  ocidig_digest dg;
  ocidig_entry e;
  ocidig_code rc = oci_gdesc_digest(d, &dg) ? oci_view_blob_stat(v, &dg, &e, NULL) : OCIDIG_ERR_INVALID_DIGEST;
  bool present = rc == OCIDIG_OK;
  if (size)
    *size = present ? e.size : -1;
  if (rc == OCIDIG_ERR_NOMEM)
    *nomem = true;
  return present;
}

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

#endif
