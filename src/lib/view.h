/* view.h: every format ocidig reads, seen as an OCI image layout (read-only).
 *
 * A view answers the two questions every command asks of a bundle: what the root index
 * is, and where the bytes of a blob are.  The OCI view is the layout as it is.  A docker
 * save without index.json (manifest.json), and containers/image's dir: transport
 * (manifest.json an object, blobs named by hex, a version file), are presented as
 * synthesized documents over their files; a synthesized document is marked so, so that
 * output keeps saying "image ID, no registry manifest" where that is the truth.  Above
 * this layer nothing depends on the format except wording.
 *
 * Layering: view.c sits on layout.c (the member table over a source) and under graph.c;
 * it calls down only.  The view is made on first use and kept with the layout (freed by
 * ocidig_layout_close through the slot it registers).  Not thread-safe: one thread per
 * layout, as for the layout itself. */
#ifndef OCIDIG_VIEW_H
#define OCIDIG_VIEW_H

#include "internal.h"

typedef struct oci_view oci_view;

/* The layout's view, made on first use.  Errors: the root's, in the one order every
 * command uses (missing-index-json when there is neither index.json nor manifest.json, a
 * read error of the root, ...). */
ocidig_code oci_view_get(ocidig_layout *l, oci_view **out, ocidig_error *err);
ocidig_layout *oci_view_layout(const oci_view *v);
ocidig_layout_format oci_view_format(const oci_view *v);

/* The root index document.  Its name for messages: "index.json", or the file a synthesized
 * index was made from ("manifest.json"). */
const char *oci_view_root_name(const oci_view *v);
bool oci_view_root_synthesized(const oci_view *v);
/* Streams the root index's bytes to sink (a synthesized index: from memory). */
ocidig_code oci_view_root_stream(oci_view *v, ocidig_sink sink, void *ctx, ocidig_error *err);

/* Where the blob `d` lives: the member that holds it (blobs/<alg>/<hex> in an OCI layout;
 * "<hex>.json", "<id>/layer.tar", "<hex>" in the other formats), or NULL when the view
 * synthesized it (then *synth and *synth_len, when given, hold its bytes, owned by the
 * view).  A name is returned whether or not the member is present. */
const char *oci_view_blob_member(const oci_view *v, const ocidig_digest *d, const uint8_t **synth,
                                 size_t *synth_len);
bool oci_view_blob_synthesized(const oci_view *v, const ocidig_digest *d);
/* Looks a blob up without reading it.  Absent: blob-missing. */
ocidig_code oci_view_blob_stat(oci_view *v, const ocidig_digest *d, ocidig_entry *out, ocidig_error *err);
/* Reads a blob whole and checks it: present, size, digest, in that order
 * (doc/resolution.md §4).  At most max bytes (else json-too-large).  Caller frees *data. */
ocidig_code oci_view_blob_read(oci_view *v, const ocidig_digest *d, int64_t size, size_t max, uint8_t **data,
                               size_t *len, ocidig_error *err);
/* Streams a blob's bytes to sink, unchecked (the caller hashes what it needs). */
ocidig_code oci_view_blob_stream(oci_view *v, const ocidig_digest *d, ocidig_sink sink, void *ctx,
                                 ocidig_error *err);

#endif
