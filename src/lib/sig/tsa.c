/* tsa.c: RFC 3161 timestamps (timestampVerificationData.rfc3161Timestamps), verified with
 * OpenSSL's TS API: the response's token signs a message imprint of the bundle's signature
 * bytes; its signer chains to a timestamp authority of the trusted root whose window holds
 * the time stamped, the chain checked at that time.  Each verified token adds its time. */
#include "sig_int.h"

#include <openssl/err.h>
#include <openssl/ts.h>
#include <openssl/x509_vfy.h>

#include <inttypes.h>

/* Does the token verify with authority a at time t?  Out of memory marks r. */
static bool token_by(const sig_authority *a, TS_RESP *resp, int64_t t, const sig_buf *data, ocidig_sig_result *r)
{
  X509_STORE *store = X509_STORE_new();
  STACK_OF(X509) *untrusted = X509_chain_up_ref(a->chain);
  BIO *bio = data->n <= INT32_MAX ? BIO_new_mem_buf(data->p, (int)data->n) : NULL;
  TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
  bool ok = store && untrusted && bio && ctx;
  for (int i = 0; ok && i < sk_X509_num(a->chain); i++)
    ok = X509_STORE_add_cert(store, sk_X509_value(a->chain, i)) == 1;
  if (!ok) /* made and filled from what is in memory: only memory can be missing */
    sig_nomem(r);
  if (ok) {
    X509_VERIFY_PARAM *p = X509_STORE_get0_param(store);
    X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_USE_CHECK_TIME);
    X509_VERIFY_PARAM_set_time(p, (time_t)t);
    /* the context owns what it is given from here on */
    TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
    TS_VERIFY_CTX_set_store(ctx, store);
    TS_VERIFY_CTX_set_certs(ctx, untrusted);
    TS_VERIFY_CTX_set_data(ctx, bio);
    store = NULL;
    untrusted = NULL;
    bio = NULL;
    ERR_clear_error();
    ok = TS_RESP_verify_response(ctx, resp) == 1;
    if (!ok)
      sig_ossl_nomem(r);
  }
  TS_VERIFY_CTX_free(ctx);
  BIO_free(bio);
  sk_X509_pop_free(untrusted, X509_free);
  X509_STORE_free(store);
  return ok;
}

bool sig_tsa_check(sig_run *s)
{
  for (size_t i = 0; i < s->b.n_tsa; i++) {
    const sig_buf *der = &s->b.tsa[i];
    const unsigned char *q = der->p;
    ERR_clear_error();
    TS_RESP *resp = der->n <= INT32_MAX ? d2i_TS_RESP(NULL, &q, (long)der->n) : NULL;
    TS_TST_INFO *ti = resp ? TS_RESP_get_tst_info(resp) : NULL;
    int64_t t = 0;
    if (!resp && sig_ossl_nomem(s->res))
      return false;
    if (!ti || q != der->p + der->n || !sig_asn1_time(TS_TST_INFO_get_time(ti), &t)) {
      TS_RESP_free(resp);
      return sig_fail(s->res, OCIDIG_SIG_TIMESTAMP_INVALID, "timestamp %zu is not an RFC 3161 timestamp response", i);
    }
    bool any = false, ok = false;
    for (size_t k = 0; !ok && !sig_is_nomem(s->res) && k < s->trust.n_tsas; k++) {
      if (!sig_range_has(&s->trust.tsas[k].valid, t))
        continue;
      any = true;
      ok = token_by(&s->trust.tsas[k], resp, t, &s->b.signature, s->res);
    }
    ERR_clear_error();
    TS_RESP_free(resp);
    if (sig_is_nomem(s->res))
      return false;
    if (!any)
      return sig_fail(s->res, OCIDIG_SIG_TIMESTAMP_INVALID,
                      "timestamp %zu (%" PRId64 "): no timestamp authority of the trusted root is valid at that time", i, t);
    if (!ok)
      return sig_fail(s->res, OCIDIG_SIG_TIMESTAMP_INVALID,
                      "timestamp %zu does not verify: not over this signature, or not by a timestamp authority of the "
                      "trusted root valid at its time",
                      i);
    if (t > s->now + 300)
      return sig_fail(s->res, OCIDIG_SIG_TIMESTAMP_INVALID, "timestamp %zu is in the future", i);
    if (s->n_times < sizeof s->times / sizeof s->times[0])
      s->times[s->n_times++] = t;
  }
  return true;
}
