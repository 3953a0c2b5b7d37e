/* error.c: error codes, their stable names and exit statuses. */
#include "internal.h"

#include <string.h>

static const char *const code_names[OCIDIG_CODE_COUNT_] = {
  [OCIDIG_OK] = "ok",
  [OCIDIG_ERR_NOMEM] = "out-of-memory",
  [OCIDIG_ERR_USAGE] = "usage",
  [OCIDIG_ERR_INVALID_PLATFORM] = "invalid-platform",
  [OCIDIG_ERR_REF_NOT_FOUND] = "ref-not-found",
  [OCIDIG_ERR_REF_AMBIGUOUS] = "ref-ambiguous",
  [OCIDIG_ERR_NOT_FOUND] = "not-found",
  [OCIDIG_ERR_IO] = "io-error",
  [OCIDIG_ERR_NOT_A_LAYOUT] = "not-a-layout",
  [OCIDIG_ERR_BAD_OCI_LAYOUT] = "bad-oci-layout",
  [OCIDIG_ERR_MISSING_INDEX_JSON] = "missing-index-json",
  [OCIDIG_ERR_TRUNCATED_ARCHIVE] = "truncated-archive",
  [OCIDIG_ERR_CORRUPT_ARCHIVE] = "corrupt-archive",
  [OCIDIG_ERR_LIMIT] = "limit-exceeded",
  [OCIDIG_ERR_NOT_REREADABLE] = "not-rereadable",
  [OCIDIG_ERR_BLOB_MISSING] = "blob-missing",
  [OCIDIG_ERR_INVALID_DIGEST] = "invalid-digest",
  [OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM] = "unsupported-digest-algorithm",
  [OCIDIG_ERR_SIZE_MISMATCH] = "size-mismatch",
  [OCIDIG_ERR_DIGEST_MISMATCH] = "digest-mismatch",
  [OCIDIG_ERR_INVALID_JSON] = "invalid-json",
  [OCIDIG_ERR_KIND_MISMATCH] = "kind-mismatch",
  [OCIDIG_ERR_NESTING_TOO_DEEP] = "nesting-too-deep",
  [OCIDIG_ERR_INDEX_CYCLE] = "index-cycle",
  [OCIDIG_ERR_JSON_TOO_LARGE] = "json-too-large",
  [OCIDIG_ERR_OUTPUT] = "output-error",
};

const char *ocidig_code_name(ocidig_code code)
{
  if ((unsigned)code >= OCIDIG_CODE_COUNT_ || !code_names[code])
    return "unknown-error";
  return code_names[code];
}

int ocidig_code_exit_status(ocidig_code code)
{
  switch (code) {
  case OCIDIG_OK:
    return 0;
  case OCIDIG_ERR_USAGE:
  case OCIDIG_ERR_INVALID_PLATFORM:
  case OCIDIG_ERR_REF_NOT_FOUND:
  case OCIDIG_ERR_REF_AMBIGUOUS:
    return 2;
  case OCIDIG_ERR_NOT_FOUND:
  case OCIDIG_ERR_IO:
  case OCIDIG_ERR_NOT_A_LAYOUT:
  case OCIDIG_ERR_BAD_OCI_LAYOUT:
  case OCIDIG_ERR_MISSING_INDEX_JSON:
  case OCIDIG_ERR_TRUNCATED_ARCHIVE:
  case OCIDIG_ERR_CORRUPT_ARCHIVE:
  case OCIDIG_ERR_NOT_REREADABLE:
  case OCIDIG_ERR_NOMEM:
    return 3;
  case OCIDIG_ERR_OUTPUT:
    return 5;
  default:
    return 4;
  }
}

const char *ocidig_version(void)
{
  return PACKAGE_VERSION;
}

ocidig_code oci_fail(ocidig_error *err, ocidig_code code, const char *fmt, ...)
{
  if (err) {
    va_list ap;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

ocidig_code oci_nomem(ocidig_error *err)
{
  return oci_fail(err, OCIDIG_ERR_NOMEM, "out of memory");
}

void oci_error_prefix(ocidig_error *err, const char *fmt, ...)
{
  char prefix[OCIDIG_ERROR_MESSAGE_MAX];
  size_t plen, mlen;
  va_list ap;
  if (!err)
    return;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix - 2, fmt, ap);
  va_end(ap);
  strcat(prefix, ": ");
  plen = strlen(prefix);
  mlen = strlen(err->message);
  if (plen + mlen >= sizeof err->message)
    mlen = sizeof err->message - plen - 1;
  memmove(err->message + plen, err->message, mlen);
  memcpy(err->message, prefix, plen);
  err->message[plen + mlen] = '\0';
}
