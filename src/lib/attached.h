/* attached.h: the signatures and attestations attached to images (not installed).
 *
 * One model for every signature scheme.  attached.c finds what is attached (cosign's tag
 * scheme and `cosign save`'s kind annotations, OCI 1.1 referrers by subject, Sigstore
 * bundle and Notation referrers by artifactType, buildx attestation manifests) over the
 * graph (graph.h), as list.c and related.c read it; a scheme's verifier turns one
 * attachment into a verdict (ocidig_sig_check, include/ocidig.h).
 *
 * Usage:
 *   oci_attached_table *t;
 *   oci_attached_table_build(layout, true, &t, &err);        // once per question
 *   oci_attached_table_get(t, image_digest, kids, n_kids, &v, &n, &err); // per image
 *   ... v[i].kind, v[i].scheme, v[i].manifest ...
 *   ocidig_attached_free(v, n); oci_attached_table_free(t);
 *
 * A scheme plugs in its verifier (sig_schemes.c dispatches on ocidig_attached.scheme):
 *   ocidig_code oci_<scheme>_verify(oci_attached_ctx *c, const ocidig_attached *a,
 *                                   const oci_gdesc *d, oci_sig_checks *out, ocidig_error *err);
 * reading the documents it needs through the graph and the view (oci_view_blob_read: checked)
 * and the trust material from c->trust.  It sets out->verdict, reason, signer, issuer,
 * signed_at of each verdict it adds (oci_sig_checks_add); it returns OCIDIG_OK whenever a
 * verdict was reached (a bad signature is a verdict, not an error), an error only for out
 * of memory.  Without trust material for its scheme it leaves the verdict not-verified.
 * The table keeps each attachment's descriptor for it (oci_attached_table_desc). */
#ifndef OCIDIG_ATTACHED_H
#define OCIDIG_ATTACHED_H

#include "graph.h"
#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANN_COSIGN_KIND "kind"
#define COSIGN_KIND_IMAGE "dev.cosignproject.cosign/image"
#define COSIGN_KIND_SIGS "dev.cosignproject.cosign/sigs"
#define COSIGN_KIND_ATTS "dev.cosignproject.cosign/atts"
#define AT_SIGSTORE_BUNDLE "application/vnd.dev.sigstore.bundle"
#define AT_NOTATION "application/vnd.cncf.notary.signature"

typedef struct oci_attached_table oci_attached_table;

/* Finds everything attached to anything in the layout.  full: every document index.json
 * reaches is read (a referrer is known by its subject wherever it is listed); else (ls,
 * whose memory is one image at a time) index.json's entries are read only when their
 * descriptor says they are attached (an artifactType, cosign's names and kinds, buildx's
 * reference type), and the indexes index.json lists are looked into for buildx's
 * attestation manifests and referrers with an artifactType. */
ocidig_code oci_attached_table_build(ocidig_layout *l, bool full, oci_attached_table **out, ocidig_error *err);
/* Copies of what is attached to `digest` or to one of kids (the manifests an index lists),
 * in the order found. */
ocidig_code oci_attached_table_get(const oci_attached_table *t, const char *digest, const char *const *kids,
                                   size_t n_kids, ocidig_attached **out, size_t *n, ocidig_error *err);
void oci_attached_table_free(oci_attached_table *t);
/* The table's entries (in the order found) and the descriptor each was found by (in the
 * graph's memory: valid while the layout is open). */
size_t oci_attached_table_count(const oci_attached_table *t);
/* Is digest an attachment (or an index that only holds attachments: the referrers tag
 * schema's), not an image? */
bool oci_attached_table_holds(const oci_attached_table *t, const char *digest);
const ocidig_attached *oci_attached_table_at(const oci_attached_table *t, size_t i, const oci_gdesc **d);
/* A containers/image dir: signature file (its *d is NULL): its index in the view's
 * oci_view_cimage_signatures; (size_t)-1 for an entry found over the graph. */
size_t oci_attached_table_file(const oci_attached_table *t, size_t i);
/* The JSON array of what is attached (ls, inspect; schema in doc/signatures.md):
 * [{"kind", "scheme", "subject", "manifest", "mediaType", "artifactType", "foundAs",
 *   "predicateTypes": [...], "present"}]. */
struct json_object *oci_attached_json(const ocidig_attached *v, size_t n);

/* What a verifier reads: the layout's view and graph, the trust material. */
typedef struct oci_attached_ctx {
  ocidig_layout *l;
  oci_view *v;
  oci_graph *g;
  const ocidig_trust_options *trust;
  /* cosign's private PKI (trust->ca_roots, ca_intermediates) parsed once for the run, on
   * first use (sig/cosign.c); the run frees it (oci_pki_free) */
  struct oci_pki *pki;
} oci_attached_ctx;

/* The verdicts a question collects (one per signature: a cosign manifest holds one a layer). */
typedef struct oci_sig_checks {
  ocidig_sig_check *v;
  size_t n;
} oci_sig_checks;

/* A new verdict for a (zeroed, its kind, scheme, subject and manifest set, verdict
 * not-verified); NULL when out of memory. */
static inline ocidig_sig_check *oci_sig_checks_add(oci_sig_checks *c, const ocidig_attached *a)
{
  ocidig_sig_check *v = realloc(c->v, (c->n + 1) * sizeof *v);
  if (!v)
    return NULL;
  c->v = v;
  v = &v[c->n++];
  memset(v, 0, sizeof *v);
  v->kind = a->kind;
  v->scheme = a->scheme;
  snprintf(v->subject, sizeof v->subject, "%s", a->subject);
  snprintf(v->manifest, sizeof v->manifest, "%s", a->manifest);
  v->verdict = OCIDIG_SIG_NOT_VERIFIED;
  return v;
}

/* The verifiers, one per scheme (sig/cosign.c, ...): every signature of the attachment a
 * (its descriptor d, as the index listing it says) gets a verdict appended to out.
 * OCIDIG_OK whenever verdicts were reached; an error only for out of memory. */
ocidig_code oci_cosign_verify(oci_attached_ctx *c, const ocidig_attached *a, const oci_gdesc *d, oci_sig_checks *out,
                              ocidig_error *err);
/* A containers/image dir: signature file (oci_attached_table_file's index): a sigstore one
 * verified as a cosign signature (sig/cosign_dir.c); a simple-signing (GPG) one unsupported. */
ocidig_code oci_cosign_dir_verify(oci_attached_ctx *c, const ocidig_attached *a, size_t file, oci_sig_checks *out,
                                  ocidig_error *err);

/* One cosign signature, wherever it was found: its payload (the simple-signing JSON), its
 * media type and annotations (dev.cosignproject.cosign/signature, dev.sigstore.cosign/...),
 * as a tag-scheme layer or a dir: sigstore signature carries them. */
typedef struct oci_cosign_sig {
  const char *what; /* for messages: "layer sha256:...", "signature-1" */
  const char *media_type;
  const ocidig_annotation *annotations;
  size_t n_annotations;
  const uint8_t *payload;
  size_t len;
} oci_cosign_sig;
/* Verifies sig for the manifest subject with the trust material (key or trusted root given):
 * the verdict, reason, signer, issuer and signing time into chk.  Errors: out of memory only
 * (never a verdict). */
ocidig_code oci_cosign_check(oci_attached_ctx *c, const oci_cosign_sig *sig, const char *subject,
                             ocidig_sig_check *chk, ocidig_error *err);
/* Frees c->pki (NULL: nothing). */
void oci_pki_free(struct oci_pki *pki);
/* Is there trust material for a cosign signature (a key, a trusted root, CA roots)?  Else
 * chk is not-verified, with the reason. */
bool oci_cosign_trust_given(const ocidig_trust_options *t, ocidig_sig_check *chk);
ocidig_code oci_sigstore_ref_verify(oci_attached_ctx *c, const ocidig_attached *a, const oci_gdesc *d,
                                    oci_sig_checks *out, ocidig_error *err);

#endif
