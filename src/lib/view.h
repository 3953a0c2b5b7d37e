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
/* The blobs the layer above will read next, in that order (digest_at(ctx, i, &d): false to
 * leave the i-th out): passed to the layout as members (oci_layout_expect), which keeps the
 * next of them when it must read an archive again from its start.  Reads nothing. */
void oci_view_expect(oci_view *v, size_t n, bool (*digest_at)(void *ctx, size_t i, ocidig_digest *d), void *ctx);
/* The same, appended to what is expected (oci_layout_expect_more). */
void oci_view_expect_more(oci_view *v, size_t n, bool (*digest_at)(void *ctx, size_t i, ocidig_digest *d),
                          void *ctx);
/* Whether a read may cost a pass over an archive read again (oci_layout_rereads): worth
 * announcing more than the next level. */
bool oci_view_rereads(const oci_view *v);
/* A walk made again starts with what is expected next (oci_layout_expect_again_here). */
void oci_view_expect_again_here(oci_view *v);
/* Looks a blob up without reading it.  Absent: blob-missing. */
ocidig_code oci_view_blob_stat(oci_view *v, const ocidig_digest *d, ocidig_entry *out, ocidig_error *err);
/* Reads a blob whole and checks it: present, size, digest, in that order
 * (doc/resolution.md §4).  At most max bytes (else json-too-large).  Caller frees *data. */
ocidig_code oci_view_blob_read(oci_view *v, const ocidig_digest *d, int64_t size, size_t max, uint8_t **data,
                               size_t *len, ocidig_error *err);
/* Streams a blob's bytes to sink, unchecked (the caller hashes what it needs). */
ocidig_code oci_view_blob_stream(oci_view *v, const ocidig_digest *d, ocidig_sink sink, void *ctx,
                                 ocidig_error *err);

/* ---- what the formats other than OCI add (format-specific rules and wording read these) */

/* A docker save (no index.json): the synthesized index has one entry per RepoTag of each
 * manifest.json entry (io.containerd.image.name: the RepoTag as manifest.json writes it;
 * an untagged image: one entry without a name), every entry of one image naming the same
 * synthesized manifest (application/vnd.docker.distribution.manifest.v2+json; config: the
 * Config file, its digest the one its name carries, else its bytes' (the image ID); layers:
 * application/vnd.docker.image.rootfs.diff.tar, the digest their name carries
 * (blobs/<alg>/<hex>, <hex>.tar), else the config's diff_id (a legacy uncompressed
 * <id>/layer.tar)).  The manifest.json entry a synthesized manifest was made from: its
 * position, or (size_t)-1 (not a docker save view, or not one of its manifests). */
size_t oci_view_docker_image_of(const oci_view *v, const ocidig_digest *manifest);

/* The synthesized manifest of manifest.json entry i ("alg:hex", owned by the view), or NULL. */
const char *oci_view_docker_manifest_of(const oci_view *v, size_t i);
/* The config digest image i's synthesized manifest names (the digest its file name carries,
 * else the image ID, else a stand-in made from its path): what every command calls it. */
const char *oci_view_docker_config_of(const oci_view *v, size_t i);

/* docker_archive.c: resolve's wording over a docker save view.  oci_docker_ref: a --ref
 * "@<image ID>" (or a prefix of it) as the synthesized manifest's "@<digest>" (malloc'd),
 * or NULL (any other ref, or another format: use the ref as given).  oci_docker_present:
 * a resolution made over the synthesized documents said as a docker save says it: one row
 * per image (parent "manifest.json"), each image and the selection shown by its config
 * (the image ID; no registry manifest, so no manifest media type), the warning that says
 * so, the archive's own warnings, and --ref errors naming manifest.json's RepoTags.  No-op
 * for other formats.  false: out of memory (part of it could not be said). */
char *oci_docker_ref(oci_view *v, const char *ref);
bool oci_docker_present(oci_view *v, const ocidig_resolve_options *opts, ocidig_resolution *r);
/* A hybrid (manifest.json beside index.json; other formats: none): what manifest.json says
 * of itself and where it disagrees with what index.json reaches (ls and inspect show them),
 * or that it could not be read.  *w malloc'd (oci_strv_free).  Errors: out of memory. */
ocidig_code oci_docker_hybrid_notes(oci_view *v, char ***w, size_t *n, ocidig_error *err);

/* manifest.json as read (a docker save, or the manifest.json of a hybrid, read on first
 * call): *out NULL (and OCIDIG_OK) when the layout has none or its format is not docker's.
 * Owned by the view.  An unreadable manifest.json of a hybrid: its error. */
ocidig_code oci_view_docker_archive(oci_view *v, const ocidig_docker_archive **out, ocidig_error *err);

/* The RepoTags of manifest.json that belong to an image whose manifest references config
 * `config` and exactly the layers `layers` (in order): those of every manifest.json entry
 * whose Config and Layers (by digest) equal them.  A hybrid's manifest.json (ctr export
 * keeps a RepoTag for a config that another platform's manifest also uses) attaches no
 * tag to any other image.  *tags: malloc'd (oci_strv_free), no duplicates; none: NULL, 0. */
ocidig_code oci_view_repo_tags_for(oci_view *v, const ocidig_digest *config, const ocidig_digest *layers,
                                   size_t n_layers, char ***tags, size_t *n_tags, ocidig_error *err);

/* containers/image dir: (skopeo copy ... dir:DIR, podman save --format docker-dir): the
 * manifest.json of an image folder is a real blob (its digest: its bytes'), named in a
 * synthesized index (one entry, or, for several image folders side by side as skopeo sync
 * --dest dir writes them, one entry per folder, org.opencontainers.image.ref.name the
 * folder's path); other blobs are the files named by their hex (<hex>, and <hex>.manifest.json
 * for the per-platform manifests of a list).  The number of image folders (0 for other
 * formats) and the path of one ("" for a single image at the root). */
size_t oci_view_cimage_images(const oci_view *v);
const char *oci_view_cimage_folder(const oci_view *v, size_t i);

/* The signatures containers/image's dir: transport stores beside an image (copying a signed
 * image to dir:, skopeo copy --sign-by...): "signature-N" in an image folder signs the
 * folder's manifest.json, "<hex>.signature-N" the per-platform manifest sha256:<hex>; N
 * counts from 1 ("%d": no leading zero).  A signature file is a sigstore signature when it
 * starts with "\0sigstore-json\n" (then JSON: mimeType, payload, annotations), a simple-signing
 * one when it starts with "\0simple-signing\n" or with any byte other than 0 (an OpenPGP
 * message), as containers/image tells them apart.  The list is the view's (made on the first
 * call: each file of at most OCI_DIRSIG_MAX bytes read once for its first line, none of its
 * bytes kept; a larger one is not read), sorted by image folder, signed manifest and N. */
#define OCI_DIRSIG_MAX (4u << 20)
typedef enum oci_dirsig_format {
  OCI_DIRSIG_SIGSTORE = 0,
  OCI_DIRSIG_SIMPLE_SIGNING,
  OCI_DIRSIG_BAD, /* not read or not a signature: code and message say why (OCIDIG_ERR_LIMIT: over
                   * OCI_DIRSIG_MAX; OCIDIG_ERR_KIND_MISMATCH: a format containers/image does not
                   * know; OCIDIG_ERR_INVALID_JSON: no newline after the 0 byte, or a format's name
                   * that is not printable ASCII; else the read's error) */
} oci_dirsig_format;
typedef struct oci_dirsig {
  char *member;  /* its path in the layout */
  char *subject; /* "sha256:<hex>": the manifest it signs */
  unsigned long n;
  size_t folder; /* the image folder it is in (oci_view_cimage_folder) */
  int64_t size;
  oci_dirsig_format format;
  ocidig_code code;
  char *message;
} oci_dirsig;
/* Is path's last name one of a signature file (signature-N, <hex>.signature-N)? */
bool oci_view_cimage_sig_name(const char *path);
/* The signature files of a dir: view (none for other formats, read nothing then).  Errors:
 * out of memory only (an unreadable file is an entry of format OCI_DIRSIG_BAD). */
ocidig_code oci_view_cimage_signatures(oci_view *v, const oci_dirsig **out, size_t *n, ocidig_error *err);
/* The bytes of signature i after its format's first line (a sigstore signature: its JSON; a
 * simple-signing one: the OpenPGP message), read again (at most OCI_DIRSIG_MAX bytes: no more
 * is allocated).  Caller frees *data.  Errors: the entry's own (OCI_DIRSIG_BAD), the read's,
 * OCIDIG_ERR_SIZE_MISMATCH when the file is not what the listing read. */
ocidig_code oci_view_cimage_signature_read(oci_view *v, size_t i, uint8_t **data, size_t *len, ocidig_error *err);

#endif
