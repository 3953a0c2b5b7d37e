/* common.c: what the commands share besides output (output.c): host detection, --platform
 * and --max-bytes, and the text forms of sizes and digests. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static ocidig_platform host_platform;
static bool host_done;

const ocidig_platform *cli_host(void)
{
  if (!host_done) {
    ocidig_error err;
    host_done = true;
    if (ocidig_platform_detect_host(&host_platform, &err) != OCIDIG_OK) {
      host_platform.os = "linux";
      host_platform.architecture = "amd64";
    }
  }
  return &host_platform;
}

int cli_matcher(const char *spec, bool strict, ocidig_matcher **out)
{
  ocidig_platform p = {0};
  ocidig_error err;
  ocidig_code rc;
  const ocidig_platform *req = cli_host();
  if (spec) {
    if (ocidig_platform_parse(spec, cli_host(), &p, &err) != OCIDIG_OK) {
      cli_error("invalid --platform: %s", err.message);
      return EXIT_USAGE;
    }
    req = &p;
  }
  rc = ocidig_matcher_new(strict ? OCIDIG_MATCHER_ONLY_STRICT : OCIDIG_MATCHER_ONLY, req, 1, cli_host(), out,
                          &err);
  ocidig_platform_clear(&p);
  if (rc != OCIDIG_OK)
    return cli_fail(&err);
  return 0;
}

void cli_human_size(int64_t n, char *buf, size_t len)
{
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = (double)n;
  int u = 0;
  if (n >= INT64_MAX) { /* a sum of sizes saturates there (oci_size_add) */
    snprintf(buf, len, "8 EiB or more");
    return;
  }
  if (n < 0) { /* never a total: sizes are checked where they are read */
    n = 0;
    v = 0;
  }
  while (v >= 1024 && u < 6) {
    v /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(buf, len, "%lld B", (long long)n);
  else
    snprintf(buf, len, "%.1f %s", v, units[u]);
}

int cli_max_bytes(const char *command, const char *arg, uint64_t *out)
{
  uint64_t n = 0, mult = 1;
  const char *p = arg;
  if (!*p)
    return cli_usage(command, "--max-bytes needs a number of bytes");
  for (; *p >= '0' && *p <= '9'; p++) {
    if (n > (UINT64_MAX - 9) / 10)
      return cli_usage(command, "--max-bytes %s is too large", arg);
    n = n * 10 + (uint64_t)(*p - '0');
  }
  if (p != arg && *p && !p[1]) {
    switch (*p) {
    case 'k': case 'K': mult = 1ull << 10; p++; break;
    case 'm': case 'M': mult = 1ull << 20; p++; break;
    case 'g': case 'G': mult = 1ull << 30; p++; break;
    case 't': case 'T': mult = 1ull << 40; p++; break;
    default: break;
    }
  }
  if (p == arg || *p)
    return cli_usage(command, "--max-bytes takes a number of bytes, with K, M, G or T for KiB .. TiB, not '%s'",
                     arg);
  if (n > UINT64_MAX / mult)
    return cli_usage(command, "--max-bytes %s is too large", arg);
  *out = n * mult;
  return 0;
}

void cli_short_digest(const char *d, int alg_max, char *buf, size_t n)
{
  const char *colon = d ? strchr(d, ':') : NULL;
  int alg = colon ? (int)(colon - d) : 0;
  if (!d || !*d)
    snprintf(buf, n, "(no digest)");
  else if (colon && strlen(colon + 1) > 12)
    snprintf(buf, n, "%.*s:%.12s", alg_max > 0 && alg > alg_max ? alg_max : alg, d, colon + 1);
  else
    snprintf(buf, n, "%.40s", d);
}

