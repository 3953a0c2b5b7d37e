/* platform.c: STUB, being written. */
#include "internal.h"
void ocidig_platform_clear(ocidig_platform *p) { (void)p; }
ocidig_code ocidig_platform_parse(const char *s, const ocidig_platform *h, ocidig_platform *o, ocidig_error *e)
{ (void)s; (void)h; (void)o; return oci_fail(e, OCIDIG_ERR_INVALID_PLATFORM, "not implemented"); }
ocidig_code ocidig_platform_detect_host(ocidig_platform *o, ocidig_error *e)
{ (void)o; return oci_fail(e, OCIDIG_ERR_INVALID_PLATFORM, "not implemented"); }
ocidig_code ocidig_matcher_new(ocidig_matcher_kind k, const ocidig_platform *p, size_t n, const ocidig_platform *h, ocidig_matcher **o, ocidig_error *e)
{ (void)k; (void)p; (void)n; (void)h; (void)o; return oci_fail(e, OCIDIG_ERR_INVALID_PLATFORM, "not implemented"); }
