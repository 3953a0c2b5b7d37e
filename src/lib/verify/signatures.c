/* signatures.c: the signatures attached to the images in verify's scope (attached.h),
 * each with its verdict, and the policy: with trust material, every image in scope that is
 * not itself an attachment carries at least one signature that verifies.
 *
 * oci_verify_signatures_check runs before the walk (the documents it reads stay in the
 * graph, which the walk reads in scratch and then releases): it finds what is attached
 * (every document index.json reaches when trust material is given, else what the
 * descriptors of index.json say is attached, as ls does) and verifies each signature with
 * its scheme's verifier.  oci_verify_signatures_conclude keeps, once the report's images
 * are made, the verdicts of the images in scope. */
#include "attached.h"
#include "verify.h"

#define NOTATION_MAX_ENVELOPE (4u << 20)

static void verdict(ocidig_sig_check *c, ocidig_sig_verdict v, const char *msg)
{
  c->verdict = v;
  snprintf(c->reason, sizeof c->reason, "%s", msg);
}

/* The repository an image's index.json entry names (io.containerd.image.name, else a ref
 * name that is a full reference), without its tag or digest; "" when none. */
static void repository_of(const oci_gdesc *d, char *out, size_t n)
{
  const char *name = d ? oci_gdesc_annotation(d, "io.containerd.image.name") : NULL;
  *out = 0;
  if (!name)
    return;
  snprintf(out, n, "%s", name);
  char *at = strchr(out, '@'), *slash = strrchr(out, '/'), *colon;
  if (at)
    *at = 0;
  if ((colon = strrchr(slash ? slash : out, ':')) != NULL)
    *colon = 0;
}

/* A Notation signature: its one layer (the envelope) verified by ocidig_notation_verify for
 * the manifest it is attached to, as index.json describes that manifest. */
static ocidig_code notation_one(oci_attached_ctx *c, const ocidig_attached *a, const oci_gdesc *d,
                                ocidig_sig_check *chk, ocidig_error *err)
{
  const oci_gnode *root, *n;
  const oci_gdesc *target = NULL;
  ocidig_notation_target nt = {0};
  ocidig_notation_result res;
  ocidig_digest dg;
  ocidig_error e;
  uint8_t *env = NULL;
  size_t len = 0;
  char repo[512];
  ocidig_code rc;
  if (!c->trust->notation) {
    verdict(chk, OCIDIG_SIG_NOT_VERIFIED, "no trust policy and store (--trust-policy, --trust-store) given");
    return OCIDIG_OK;
  }
  if ((rc = oci_graph_open(c->g, d, &n, err)) != OCIDIG_OK)
    return rc;
  if (n->code != OCIDIG_OK || n->n_layers != 1 || !oci_gdesc_digest(&n->layers[0], &dg)) {
    verdict(chk, OCIDIG_SIG_MALFORMED,
            n->code != OCIDIG_OK ? n->message : "a Notation signature manifest holds one layer: its envelope");
    return OCIDIG_OK;
  }
  snprintf(chk->layer, sizeof chk->layer, "%s", n->layers[0].digest);
  /* the signed manifest as index.json lists it, else as the signature's subject says */
  if ((rc = oci_graph_root(c->g, &root, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; root->code == OCIDIG_OK && i < root->n_children && !target; i++)
    if (root->children[i].digest && !strcmp(root->children[i].digest, a->subject))
      target = &root->children[i];
  if (!target)
    target = n->subject;
  if (!target) {
    verdict(chk, OCIDIG_SIG_MALFORMED, "the signature manifest has no subject");
    return OCIDIG_OK;
  }
  repository_of(target, repo, sizeof repo);
  nt.media_type = target->media_type;
  nt.digest = a->subject;
  nt.size = target->size;
  nt.repository = *repo ? repo : NULL;
  rc = oci_view_blob_read(c->v, &dg, n->layers[0].size, NOTATION_MAX_ENVELOPE, &env, &len, &e);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    verdict(chk, OCIDIG_SIG_MALFORMED, e.message);
    return OCIDIG_OK;
  }
  rc = ocidig_notation_verify(c->trust->notation, n->layers[0].media_type, env, len, &nt, c->trust->now, &res, &e);
  free(env);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    verdict(chk, OCIDIG_SIG_MALFORMED, e.message);
    return OCIDIG_OK;
  }
  /* level skip: nothing checked, not verified; a failure the level only logs (permissive,
   * audit) is said in the reason of a verified signature */
  if (res.skipped)
    verdict(chk, OCIDIG_SIG_NOT_VERIFIED, res.sig.reason);
  else if (res.sig.verdict == OCIDIG_SIG_VERIFIED && *res.logged) {
    chk->verdict = OCIDIG_SIG_VERIFIED;
    snprintf(chk->reason, sizeof chk->reason, "trust policy \"%.100s\", level %s, logged: %.800s", res.policy,
             res.level, res.logged);
  } else
    verdict(chk, res.sig.verdict, res.sig.reason);
  if (chk->verdict == OCIDIG_SIG_NOT_VERIFIED)
    return OCIDIG_OK;
  snprintf(chk->signer, sizeof chk->signer, "%s", res.sig.signer);
  snprintf(chk->issuer, sizeof chk->issuer, "%s", res.sig.issuer);
  /* a verified signing time: notary.x509.signingAuthority's authentic signing time; the
   * time notary.x509's signer states is not one (no timestamp is used) */
  chk->signed_at = res.sig.verdict == OCIDIG_SIG_VERIFIED && res.authentic_time ? res.sig.signed_at : 0;
  return OCIDIG_OK;
}

/* The scheme's verifier (one line a scheme). */
static ocidig_code verify_one(oci_attached_ctx *c, const ocidig_attached *a, const oci_gdesc *d, oci_sig_checks *out,
                              ocidig_error *err)
{
  ocidig_sig_check *chk;
  (void)chk;
  switch (a->scheme) {
  case OCIDIG_SCHEME_COSIGN:
    return a->kind == OCIDIG_ATTACHED_SIGNATURE ? oci_cosign_verify(c, a, d, out, err) : OCIDIG_OK;
  case OCIDIG_SCHEME_SIGSTORE_BUNDLE: return oci_sigstore_ref_verify(c, a, d, out, err);
  case OCIDIG_SCHEME_NOTATION:
    if (!(chk = oci_sig_checks_add(out, a)))
      return oci_nomem(err);
    return notation_one(c, a, d, chk, err);
  default: return OCIDIG_OK; /* not a signature */
  }
}

ocidig_code oci_verify_signatures_check(vstate *v, oci_attached_table **table, oci_sig_checks *checks)
{
  static const ocidig_trust_options none;
  const ocidig_trust_options *trust = v->o->trust ? v->o->trust : &none;
  oci_attached_ctx c = {.l = v->l, .trust = trust};
  ocidig_error e;
  ocidig_code rc;
  *table = NULL;
  memset(checks, 0, sizeof *checks);
  if ((rc = oci_attached_table_build(v->l, ocidig_trust_options_any(trust), table, &e)) != OCIDIG_OK ||
      (rc = oci_graph_get(v->l, &c.g, &e)) != OCIDIG_OK || (rc = oci_view_get(v->l, &c.v, &e)) != OCIDIG_OK)
    return rc == OCIDIG_ERR_NOMEM ? rc : OCIDIG_OK; /* the walk says what is wrong with the root */
  for (size_t i = 0; rc == OCIDIG_OK && i < oci_attached_table_count(*table); i++) {
    const oci_gdesc *d;
    const ocidig_attached *a = oci_attached_table_at(*table, i, &d);
    size_t file = oci_attached_table_file(*table, i);
    rc = file != (size_t)-1 ? oci_cosign_dir_verify(&c, a, file, checks, &e) : verify_one(&c, a, d, checks, &e);
  }
  oci_pki_free(c.pki);
  return rc;
}

static bool mine(const ocidig_verify_image *im, const ocidig_sig_check *c)
{
  if (im->digest && !strcmp(im->digest, c->subject))
    return true;
  for (size_t k = 0; k < im->n_platforms; k++)
    if (im->platforms[k].manifest && !strcmp(im->platforms[k].manifest, c->subject))
      return true;
  return false;
}

bool oci_verify_signatures_conclude(vstate *v, const oci_attached_table *t, const oci_sig_checks *checks)
{
  ocidig_verify_report *r = v->r;
  r->trust_given = v->o->trust && ocidig_trust_options_any(v->o->trust);
  for (size_t i = 0; i < r->n_images; i++) {
    ocidig_verify_image *im = &r->images[i];
    im->attachment = oci_attached_table_holds(t, im->digest);
    for (size_t k = 0; k < checks->n; k++) {
      const ocidig_sig_check *c = &checks->v[k];
      if (!mine(im, c))
        continue;
      ocidig_sig_check *nv = realloc(r->signatures, (r->n_signatures + 1) * sizeof *nv);
      if (!nv)
        return false;
      r->signatures = nv;
      nv[r->n_signatures++] = *c;
      im->n_signatures++;
      im->n_verified += c->verdict == OCIDIG_SIG_VERIFIED;
    }
    if (r->trust_given && !im->attachment && !im->n_verified)
      r->images_unsigned++;
  }
  return true;
}

/* A string, or null when empty (out of memory: false). */
static bool add_text_or_null(json_object *o, const char *key, const char *v)
{
  return *v ? oci_json_add(o, key, json_object_new_string(v)) : json_object_object_add(o, key, NULL) == 0;
}

json_object *oci_verify_signatures_json(const ocidig_verify_report *r)
{
  json_object *a = json_object_new_array();
  size_t k = 0;
  bool ok = a != NULL;
  for (size_t i = 0; ok && i < r->n_images; i++)
    for (size_t j = 0; ok && j < r->images[i].n_signatures && k < r->n_signatures; j++, k++) {
      const ocidig_sig_check *c = &r->signatures[k];
      json_object *o = json_object_new_object();
      ok = o && oci_json_add(o, "image", json_object_new_int64((int64_t)i)) &&
           oci_json_add(o, "kind", json_object_new_string(ocidig_attached_kind_name(c->kind))) &&
           oci_json_add(o, "scheme", json_object_new_string(ocidig_attached_scheme_name(c->scheme))) &&
           oci_json_add(o, "subject", json_object_new_string(c->subject)) &&
           oci_json_add(o, "manifest", json_object_new_string(c->manifest)) &&
           add_text_or_null(o, "layer", c->layer) &&
           oci_json_add(o, "verdict", json_object_new_string(ocidig_sig_verdict_name(c->verdict))) &&
           oci_json_add(o, "verified", json_object_new_boolean(c->verdict == OCIDIG_SIG_VERIFIED)) &&
           oci_json_add(o, "reason", json_object_new_string(c->reason)) && add_text_or_null(o, "signer", c->signer) &&
           add_text_or_null(o, "issuer", c->issuer) &&
           (c->signed_at ? oci_json_add(o, "signedAt", json_object_new_int64(c->signed_at))
                         : json_object_object_add(o, "signedAt", NULL) == 0);
      if (!ok)
        json_object_put(o);
      else
        ok = oci_json_push(a, o);
    }
  if (!ok) { /* out of memory: no list rather than a short one */
    json_object_put(a);
    return NULL;
  }
  return a;
}
