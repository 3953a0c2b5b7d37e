/* platform.c: platform specifiers as containerd/platforms v1.0.0-rc.5 reads and writes them
 * (Parse, Normalize, FormatAll, DefaultSpec).  See doc/platforms.md §2, §3 and §6. */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

/* The two regular expressions of Parse, quoted verbatim in its error messages. */
#define PLAT_OS_RE "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.%-]*)((?:\\+[A-Za-z0-9_.%-]+)*)\\))?$"
#define PLAT_SPECIFIER_RE "^[A-Za-z0-9_.-]+$"

/* Quoted user text in messages is cut here so the message (1 KiB) keeps its tail. */
#define PLAT_QUOTE_LIMIT 200

/* Without a host the vectors' assumption applies; the CLI always passes one. */
static const ocidig_platform fallback_host = {.os = (char *)"linux", .architecture = (char *)"amd64"};

static const ocidig_platform *host_or_default(const ocidig_platform *host)
{
  return host ? host : &fallback_host;
}

/* ------------------------------------------------------------ basic helpers */

void ocidig_platform_clear(ocidig_platform *p)
{
  if (!p)
    return;
  free(p->os);
  free(p->architecture);
  free(p->variant);
  free(p->os_version);
  oci_strv_free(p->os_features, p->n_os_features);
  *p = (ocidig_platform){0};
}

ocidig_code ocidig_platform_copy(ocidig_platform *dst, const ocidig_platform *src, ocidig_error *err)
{
  ocidig_platform t = {0};
  bool ok = true;
  OCI_REQUIRE(dst, "dst", err);
  OCI_REQUIRE(src, "src", err);
  /* Empty strings are stored as "" (never NULL) so consumers need no NULL checks. */
  ok = ok && (t.os = oci_strdup(oci_str(src->os))) != NULL;
  ok = ok && (t.architecture = oci_strdup(oci_str(src->architecture))) != NULL;
  ok = ok && (t.variant = oci_strdup(oci_str(src->variant))) != NULL;
  ok = ok && (t.os_version = oci_strdup(oci_str(src->os_version))) != NULL;
  for (size_t i = 0; ok && i < src->n_os_features; i++)
    ok = oci_strv_push(&t.os_features, &t.n_os_features, src->os_features[i]);
  if (!ok) {
    ocidig_platform_clear(&t);
    return oci_nomem(err);
  }
  /* Built aside first, so copying a platform onto itself is safe. */
  if (dst == src)
    ocidig_platform_clear(dst);
  *dst = t;
  return OCIDIG_OK;
}

bool ocidig_platform_equal(const ocidig_platform *a, const ocidig_platform *b)
{
  if (!a || !b)
    return a == b;
  if (!oci_streq(a->os, b->os) || !oci_streq(a->architecture, b->architecture) ||
      !oci_streq(a->variant, b->variant) || !oci_streq(a->os_version, b->os_version) ||
      a->n_os_features != b->n_os_features)
    return false;
  /* Feature order counts: Parse keeps it, Normalize sorts it. */
  for (size_t i = 0; i < a->n_os_features; i++)
    if (!oci_streq(a->os_features[i], b->os_features[i]))
      return false;
  return true;
}

static bool is_word_char(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

static bool is_hex(unsigned char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_val(unsigned char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return c - 'A' + 10;
}

/* --------------------------------------------------------------- UTF-8 */

/* Decodes one rune like Go's utf8.DecodeRune: invalid input (bad lead byte, overlong,
 * surrogate, out of range, truncated) yields U+FFFD with width 1. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *r)
{
  unsigned char c = s[0];
  uint32_t v, min;
  size_t w;
  if (c < 0x80) {
    *r = c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf) {
    w = 2;
    v = c & 0x1f;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    w = 3;
    v = c & 0x0f;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    w = 4;
    v = c & 0x07;
    min = 0x10000;
  } else {
    *r = 0xfffd;
    return 1;
  }
  if (n < w) {
    *r = 0xfffd;
    return 1;
  }
  for (size_t i = 1; i < w; i++) {
    if ((s[i] & 0xc0) != 0x80) {
      *r = 0xfffd;
      return 1;
    }
    v = (v << 6) | (s[i] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
    *r = 0xfffd;
    return 1;
  }
  *r = v;
  return w;
}

static size_t utf8_encode(uint32_t r, char *out)
{
  if (r < 0x80) {
    out[0] = (char)r;
    return 1;
  }
  if (r < 0x800) {
    out[0] = (char)(0xc0 | (r >> 6));
    out[1] = (char)(0x80 | (r & 0x3f));
    return 2;
  }
  if (r < 0x10000) {
    out[0] = (char)(0xe0 | (r >> 12));
    out[1] = (char)(0x80 | ((r >> 6) & 0x3f));
    out[2] = (char)(0x80 | (r & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (r >> 18));
  out[1] = (char)(0x80 | ((r >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((r >> 6) & 0x3f));
  out[3] = (char)(0x80 | (r & 0x3f));
  return 4;
}

/* Unicode simple lowercase mappings (UnicodeData.txt field 13, Unicode 14), above ASCII.
 * Each row maps lo, lo+step, ..., up to hi by adding delta.  Generated once from
 * Python's unicodedata; Go's unicode.ToLower uses the same data (Go's Unicode version
 * may add a handful of newer letters). */
static const struct lower_range {
  uint32_t lo, hi;
  uint8_t step;
  int32_t delta;
} lower_ranges[] = {
  {0x00C0, 0x00D6, 1, 32}, {0x00D8, 0x00DE, 1, 32}, {0x0100, 0x012E, 2, 1},
  {0x0130, 0x0130, 1, -199}, {0x0132, 0x0136, 2, 1}, {0x0139, 0x0147, 2, 1},
  {0x014A, 0x0176, 2, 1}, {0x0178, 0x0178, 1, -121}, {0x0179, 0x017D, 2, 1},
  {0x0181, 0x0181, 1, 210}, {0x0182, 0x0184, 2, 1}, {0x0186, 0x0186, 1, 206},
  {0x0187, 0x0187, 1, 1}, {0x0189, 0x018A, 1, 205}, {0x018B, 0x018B, 1, 1},
  {0x018E, 0x018E, 1, 79}, {0x018F, 0x018F, 1, 202}, {0x0190, 0x0190, 1, 203},
  {0x0191, 0x0191, 1, 1}, {0x0193, 0x0193, 1, 205}, {0x0194, 0x0194, 1, 207},
  {0x0196, 0x0196, 1, 211}, {0x0197, 0x0197, 1, 209}, {0x0198, 0x0198, 1, 1},
  {0x019C, 0x019C, 1, 211}, {0x019D, 0x019D, 1, 213}, {0x019F, 0x019F, 1, 214},
  {0x01A0, 0x01A4, 2, 1}, {0x01A6, 0x01A6, 1, 218}, {0x01A7, 0x01A7, 1, 1},
  {0x01A9, 0x01A9, 1, 218}, {0x01AC, 0x01AC, 1, 1}, {0x01AE, 0x01AE, 1, 218},
  {0x01AF, 0x01AF, 1, 1}, {0x01B1, 0x01B2, 1, 217}, {0x01B3, 0x01B5, 2, 1},
  {0x01B7, 0x01B7, 1, 219}, {0x01B8, 0x01B8, 1, 1}, {0x01BC, 0x01BC, 1, 1}, {0x01C4, 0x01C4, 1, 2},
  {0x01C5, 0x01C5, 1, 1}, {0x01C7, 0x01C7, 1, 2}, {0x01C8, 0x01C8, 1, 1}, {0x01CA, 0x01CA, 1, 2},
  {0x01CB, 0x01DB, 2, 1}, {0x01DE, 0x01EE, 2, 1}, {0x01F1, 0x01F1, 1, 2}, {0x01F2, 0x01F4, 2, 1},
  {0x01F6, 0x01F6, 1, -97}, {0x01F7, 0x01F7, 1, -56}, {0x01F8, 0x021E, 2, 1},
  {0x0220, 0x0220, 1, -130}, {0x0222, 0x0232, 2, 1}, {0x023A, 0x023A, 1, 10795},
  {0x023B, 0x023B, 1, 1}, {0x023D, 0x023D, 1, -163}, {0x023E, 0x023E, 1, 10792},
  {0x0241, 0x0241, 1, 1}, {0x0243, 0x0243, 1, -195}, {0x0244, 0x0244, 1, 69},
  {0x0245, 0x0245, 1, 71}, {0x0246, 0x024E, 2, 1}, {0x0370, 0x0372, 2, 1}, {0x0376, 0x0376, 1, 1},
  {0x037F, 0x037F, 1, 116}, {0x0386, 0x0386, 1, 38}, {0x0388, 0x038A, 1, 37},
  {0x038C, 0x038C, 1, 64}, {0x038E, 0x038F, 1, 63}, {0x0391, 0x03A1, 1, 32},
  {0x03A3, 0x03AB, 1, 32}, {0x03CF, 0x03CF, 1, 8}, {0x03D8, 0x03EE, 2, 1},
  {0x03F4, 0x03F4, 1, -60}, {0x03F7, 0x03F7, 1, 1}, {0x03F9, 0x03F9, 1, -7},
  {0x03FA, 0x03FA, 1, 1}, {0x03FD, 0x03FF, 1, -130}, {0x0400, 0x040F, 1, 80},
  {0x0410, 0x042F, 1, 32}, {0x0460, 0x0480, 2, 1}, {0x048A, 0x04BE, 2, 1}, {0x04C0, 0x04C0, 1, 15},
  {0x04C1, 0x04CD, 2, 1}, {0x04D0, 0x052E, 2, 1}, {0x0531, 0x0556, 1, 48},
  {0x10A0, 0x10C5, 1, 7264}, {0x10C7, 0x10C7, 1, 7264}, {0x10CD, 0x10CD, 1, 7264},
  {0x13A0, 0x13EF, 1, 38864}, {0x13F0, 0x13F5, 1, 8}, {0x1C90, 0x1CBA, 1, -3008},
  {0x1CBD, 0x1CBF, 1, -3008}, {0x1E00, 0x1E94, 2, 1}, {0x1E9E, 0x1E9E, 1, -7615},
  {0x1EA0, 0x1EFE, 2, 1}, {0x1F08, 0x1F0F, 1, -8}, {0x1F18, 0x1F1D, 1, -8},
  {0x1F28, 0x1F2F, 1, -8}, {0x1F38, 0x1F3F, 1, -8}, {0x1F48, 0x1F4D, 1, -8},
  {0x1F59, 0x1F5F, 2, -8}, {0x1F68, 0x1F6F, 1, -8}, {0x1F88, 0x1F8F, 1, -8},
  {0x1F98, 0x1F9F, 1, -8}, {0x1FA8, 0x1FAF, 1, -8}, {0x1FB8, 0x1FB9, 1, -8},
  {0x1FBA, 0x1FBB, 1, -74}, {0x1FBC, 0x1FBC, 1, -9}, {0x1FC8, 0x1FCB, 1, -86},
  {0x1FCC, 0x1FCC, 1, -9}, {0x1FD8, 0x1FD9, 1, -8}, {0x1FDA, 0x1FDB, 1, -100},
  {0x1FE8, 0x1FE9, 1, -8}, {0x1FEA, 0x1FEB, 1, -112}, {0x1FEC, 0x1FEC, 1, -7},
  {0x1FF8, 0x1FF9, 1, -128}, {0x1FFA, 0x1FFB, 1, -126}, {0x1FFC, 0x1FFC, 1, -9},
  {0x2126, 0x2126, 1, -7517}, {0x212A, 0x212A, 1, -8383}, {0x212B, 0x212B, 1, -8262},
  {0x2132, 0x2132, 1, 28}, {0x2160, 0x216F, 1, 16}, {0x2183, 0x2183, 1, 1},
  {0x24B6, 0x24CF, 1, 26}, {0x2C00, 0x2C2F, 1, 48}, {0x2C60, 0x2C60, 1, 1},
  {0x2C62, 0x2C62, 1, -10743}, {0x2C63, 0x2C63, 1, -3814}, {0x2C64, 0x2C64, 1, -10727},
  {0x2C67, 0x2C6B, 2, 1}, {0x2C6D, 0x2C6D, 1, -10780}, {0x2C6E, 0x2C6E, 1, -10749},
  {0x2C6F, 0x2C6F, 1, -10783}, {0x2C70, 0x2C70, 1, -10782}, {0x2C72, 0x2C72, 1, 1},
  {0x2C75, 0x2C75, 1, 1}, {0x2C7E, 0x2C7F, 1, -10815}, {0x2C80, 0x2CE2, 2, 1},
  {0x2CEB, 0x2CED, 2, 1}, {0x2CF2, 0x2CF2, 1, 1}, {0xA640, 0xA66C, 2, 1}, {0xA680, 0xA69A, 2, 1},
  {0xA722, 0xA72E, 2, 1}, {0xA732, 0xA76E, 2, 1}, {0xA779, 0xA77B, 2, 1},
  {0xA77D, 0xA77D, 1, -35332}, {0xA77E, 0xA786, 2, 1}, {0xA78B, 0xA78B, 1, 1},
  {0xA78D, 0xA78D, 1, -42280}, {0xA790, 0xA792, 2, 1}, {0xA796, 0xA7A8, 2, 1},
  {0xA7AA, 0xA7AA, 1, -42308}, {0xA7AB, 0xA7AB, 1, -42319}, {0xA7AC, 0xA7AC, 1, -42315},
  {0xA7AD, 0xA7AD, 1, -42305}, {0xA7AE, 0xA7AE, 1, -42308}, {0xA7B0, 0xA7B0, 1, -42258},
  {0xA7B1, 0xA7B1, 1, -42282}, {0xA7B2, 0xA7B2, 1, -42261}, {0xA7B3, 0xA7B3, 1, 928},
  {0xA7B4, 0xA7C2, 2, 1}, {0xA7C4, 0xA7C4, 1, -48}, {0xA7C5, 0xA7C5, 1, -42307},
  {0xA7C6, 0xA7C6, 1, -35384}, {0xA7C7, 0xA7C9, 2, 1}, {0xA7D0, 0xA7D0, 1, 1},
  {0xA7D6, 0xA7D8, 2, 1}, {0xA7F5, 0xA7F5, 1, 1}, {0xFF21, 0xFF3A, 1, 32},
  {0x10400, 0x10427, 1, 40}, {0x104B0, 0x104D3, 1, 40}, {0x10570, 0x1057A, 1, 39},
  {0x1057C, 0x1058A, 1, 39}, {0x1058C, 0x10592, 1, 39}, {0x10594, 0x10595, 1, 39},
  {0x10C80, 0x10CB2, 1, 64}, {0x118A0, 0x118BF, 1, 32}, {0x16E40, 0x16E5F, 1, 32},
  {0x1E900, 0x1E921, 1, 34}
};

static uint32_t rune_lower(uint32_t r)
{
  size_t lo = 0, hi = sizeof lower_ranges / sizeof lower_ranges[0];
  if (r < 0x80)
    return (r >= 'A' && r <= 'Z') ? r + 32 : r;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct lower_range *e = &lower_ranges[mid];
    if (r < e->lo)
      hi = mid;
    else if (r > e->hi)
      lo = mid + 1;
    else
      return (r - e->lo) % e->step == 0 ? (uint32_t)((int32_t)r + e->delta) : r;
  }
  return r;
}

/* Go's strings.ToLower: simple case mapping per rune; invalid UTF-8 bytes become U+FFFD. */
static char *go_to_lower(const char *s)
{
  size_t n = strlen(s), o = 0;
  char *out;
  if (n > (SIZE_MAX - 1) / 3)
    return NULL;
  /* Growth is at most 3x: an invalid byte turns into a 3-byte U+FFFD. */
  out = malloc(3 * n + 1);
  if (!out)
    return NULL;
  for (size_t i = 0; i < n;) {
    uint32_t r;
    i += utf8_decode((const unsigned char *)s + i, n - i, &r);
    o += utf8_encode(rune_lower(r), out + o);
  }
  out[o] = '\0';
  return out;
}

/* ---------------------------------------------------------- Go's %q quoting */

/* strconv.Quote, close enough for messages: ASCII escapes as Go writes them, invalid
 * UTF-8 as \x.., C1 controls as \u00XX, other runes verbatim.  Long text is cut. */
static void go_quote(oci_buf *b, const char *s)
{
  size_t n = strlen(s), lim = n > PLAT_QUOTE_LIMIT ? PLAT_QUOTE_LIMIT : n;
  oci_buf_add(b, "\"", 1);
  for (size_t i = 0; i < lim;) {
    unsigned char c = (unsigned char)s[i];
    uint32_t r;
    size_t w = utf8_decode((const unsigned char *)s + i, n - i, &r);
    if (r == 0xfffd && w == 1 && c >= 0x80) {
      oci_buf_printf(b, "\\x%02x", c);
    } else if (c < 0x80) {
      switch (c) {
      case '"': oci_buf_puts(b, "\\\""); break;
      case '\\': oci_buf_puts(b, "\\\\"); break;
      case '\a': oci_buf_puts(b, "\\a"); break;
      case '\b': oci_buf_puts(b, "\\b"); break;
      case '\f': oci_buf_puts(b, "\\f"); break;
      case '\n': oci_buf_puts(b, "\\n"); break;
      case '\r': oci_buf_puts(b, "\\r"); break;
      case '\t': oci_buf_puts(b, "\\t"); break;
      case '\v': oci_buf_puts(b, "\\v"); break;
      default:
        if (c < 0x20 || c == 0x7f)
          oci_buf_printf(b, "\\x%02x", c);
        else
          oci_buf_add(b, (const char *)&s[i], 1);
      }
    } else if (r < 0xa0 || r == 0xad) {
      oci_buf_printf(b, "\\u%04x", (unsigned)r);
    } else {
      oci_buf_add(b, s + i, w);
    }
    i += w;
  }
  oci_buf_add(b, "\"", 1);
  if (lim < n)
    oci_buf_puts(b, "...");
}

/* Fails with a message assembled in b (the caller's fragments around quoted parts). */
static ocidig_code fail_buf(ocidig_error *err, oci_buf *b)
{
  ocidig_code rc;
  if (b->failed)
    rc = oci_nomem(err);
  else
    rc = oci_fail(err, OCIDIG_ERR_INVALID_PLATFORM, "%s", b->s ? b->s : "invalid platform");
  oci_buf_free(b);
  return rc;
}

/* -------------------------------------------------------------- normalize */

static bool is_known_os(const char *os)
{
  static const char *const known[] = {"aix",    "android", "darwin",  "dragonfly", "freebsd", "hurd",
                                      "illumos", "ios",    "js",      "linux",     "nacl",    "netbsd",
                                      "openbsd", "plan9",  "solaris", "windows",   "zos"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(os, known[i]))
      return true;
  return false;
}

static bool is_known_arch(const char *arch)
{
  static const char *const known[] = {"386",      "amd64",      "amd64p32",  "arm",         "armbe",
                                      "arm64",    "arm64be",    "ppc64",     "ppc64le",     "loong64",
                                      "mips",     "mipsle",     "mips64",    "mips64le",    "mips64p32",
                                      "mips64p32le", "ppc",     "riscv",     "riscv64",     "s390",
                                      "s390x",    "sparc",      "sparc64",   "wasm"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(arch, known[i]))
      return true;
  return false;
}

/* normalizeOS: "" is the host's os; otherwise lowercased, and macos is darwin. */
static char *normalize_os(const char *os, const ocidig_platform *host)
{
  char *l;
  if (!os || !*os)
    return oci_strdup(oci_str(host_or_default(host)->os));
  l = go_to_lower(os);
  if (l && !strcmp(l, "macos")) {
    free(l);
    return oci_strdup("darwin");
  }
  return l;
}

static bool replace(char **s, const char *v)
{
  char *c = oci_strdup(v);
  if (!c)
    return false;
  free(*s);
  *s = c;
  return true;
}

/* normalizeArch (newest): both lowercased, then the alias table of
 * doc/platforms.md §3.  Writes malloc'd strings; false on ENOMEM. */
static bool normalize_arch(const char *arch_in, const char *variant_in, char **arch_out, char **variant_out)
{
  char *arch = go_to_lower(oci_str(arch_in));
  char *variant = go_to_lower(oci_str(variant_in));
  bool ok = arch && variant;
  if (ok) {
    if (!strcmp(arch, "i386")) {
      ok = replace(&arch, "386") && replace(&variant, "");
    } else if (!strcmp(arch, "x86_64") || !strcmp(arch, "x86-64") || !strcmp(arch, "amd64")) {
      ok = replace(&arch, "amd64") && (strcmp(variant, "v1") || replace(&variant, ""));
    } else if (!strcmp(arch, "aarch64") || !strcmp(arch, "arm64")) {
      ok = replace(&arch, "arm64");
      if (ok && (!strcmp(variant, "8") || !strcmp(variant, "v8") || !strcmp(variant, "v8.0")))
        ok = replace(&variant, "");
      else if (ok && (!strcmp(variant, "9") || !strcmp(variant, "9.0") || !strcmp(variant, "v9.0")))
        ok = replace(&variant, "v9");
    } else if (!strcmp(arch, "armhf")) {
      ok = replace(&arch, "arm") && replace(&variant, "v7");
    } else if (!strcmp(arch, "armel")) {
      ok = replace(&arch, "arm") && replace(&variant, "v6");
    } else if (!strcmp(arch, "arm")) {
      if (!strcmp(variant, "") || !strcmp(variant, "7"))
        ok = replace(&variant, "v7");
      else if (!strcmp(variant, "5") || !strcmp(variant, "6") || !strcmp(variant, "8")) {
        char v[3] = {'v', variant[0], '\0'};
        ok = replace(&variant, v);
      }
    }
  }
  if (!ok) {
    free(arch);
    free(variant);
    return false;
  }
  *arch_out = arch;
  *variant_out = variant;
  return true;
}

static int cmp_str(const void *a, const void *b)
{
  /* strcmp orders by unsigned bytes, as Go compares strings. */
  return strcmp(oci_str(*(char *const *)a), oci_str(*(char *const *)b));
}

ocidig_code ocidig_platform_normalize(const ocidig_platform *in, const ocidig_platform *host,
                                      ocidig_platform *out, ocidig_error *err)
{
  ocidig_platform t = {0};
  bool ok;
  OCI_REQUIRE(in, "in", err);
  OCI_REQUIRE(out, "out", err);
  ok = (t.os = normalize_os(in->os, host)) != NULL;
  ok = ok && normalize_arch(in->architecture, in->variant, &t.architecture, &t.variant);
  ok = ok && (t.os_version = oci_strdup(oci_str(in->os_version))) != NULL;
  if (ok && in->n_os_features > 0) {
    /* slices.Sort + slices.Compact: byte order, adjacent duplicates dropped. */
    t.os_features = calloc(in->n_os_features, sizeof *t.os_features);
    ok = t.os_features != NULL;
    for (size_t i = 0; ok && i < in->n_os_features; i++) {
      t.os_features[i] = oci_strdup(oci_str(in->os_features[i]));
      ok = t.os_features[i] != NULL;
      t.n_os_features = i + 1;
    }
    if (ok) {
      size_t w = 0;
      qsort(t.os_features, t.n_os_features, sizeof *t.os_features, cmp_str);
      for (size_t i = 0; i < t.n_os_features; i++) {
        if (w > 0 && !strcmp(t.os_features[w - 1], t.os_features[i]))
          free(t.os_features[i]);
        else
          t.os_features[w++] = t.os_features[i];
      }
      t.n_os_features = w;
    }
  }
  if (!ok) {
    ocidig_platform_clear(&t);
    return oci_nomem(err);
  }
  /* Normalizing in place is allowed; otherwise *out is simply overwritten. */
  if (out == in)
    ocidig_platform_clear(out);
  *out = t;
  return OCIDIG_OK;
}

/* ------------------------------------------------------------------ parse */

/* Go's url.PathUnescape, applied only when the text holds a '%' (decodeOSOption).
 * Returns OK, OCIDIG_ERR_INVALID_PLATFORM with the bad escape in b (as Go's
 * EscapeError prints it), or OCIDIG_ERR_NOMEM. */
static ocidig_code decode_option(const char *s, size_t n, char **out, oci_buf *why)
{
  char *d;
  size_t o = 0;
  if (!memchr(s, '%', n)) {
    *out = oci_strndup(s, n);
    return *out ? OCIDIG_OK : OCIDIG_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%')
      continue;
    if (i + 2 >= n || !is_hex((unsigned char)s[i + 1]) || !is_hex((unsigned char)s[i + 2])) {
      size_t len = n - i > 3 ? 3 : n - i;
      char *bad = oci_strndup(s + i, len);
      if (!bad)
        return OCIDIG_ERR_NOMEM;
      oci_buf_puts(why, "invalid URL escape ");
      go_quote(why, bad);
      free(bad);
      return OCIDIG_ERR_INVALID_PLATFORM;
    }
    /* A NUL cannot live in a C string; containerd would keep it, we refuse it. */
    if (s[i + 1] == '0' && s[i + 2] == '0') {
      oci_buf_puts(why, "escape \"%00\" (a NUL byte) is not supported");
      return OCIDIG_ERR_INVALID_PLATFORM;
    }
    i += 2;
  }
  d = malloc(n + 1);
  if (!d)
    return OCIDIG_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%') {
      d[o++] = (char)(hex_val((unsigned char)s[i + 1]) << 4 | hex_val((unsigned char)s[i + 2]));
      i += 2;
    } else {
      d[o++] = s[i];
    }
  }
  d[o] = '\0';
  *out = d;
  return OCIDIG_OK;
}

static bool is_option_char(unsigned char c)
{
  return is_word_char(c) || c == '.' || c == '%';
}

/* Matches part against PLAT_OS_RE by hand.  On success sets the three groups as
 * (start, length) pairs; group 3 includes its leading '+'. */
static bool match_os_re(const char *part, size_t n, size_t g[3][2])
{
  size_t i = 0;
  while (i < n && is_word_char((unsigned char)part[i]))
    i++;
  if (i == 0)
    return false;
  g[0][0] = 0;
  g[0][1] = i;
  g[1][0] = g[1][1] = g[2][0] = g[2][1] = 0;
  if (i == n)
    return true;
  if (part[i] != '(')
    return false;
  i++;
  g[1][0] = i;
  while (i < n && is_option_char((unsigned char)part[i]))
    i++;
  g[1][1] = i - g[1][0];
  g[2][0] = i;
  while (i < n && part[i] == '+') {
    size_t s = ++i;
    while (i < n && is_option_char((unsigned char)part[i]))
      i++;
    if (i == s)
      return false;
  }
  g[2][1] = i - g[2][0];
  return i + 1 == n && part[i] == ')';
}

static bool match_specifier_re(const char *part, size_t n)
{
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)part[i];
    if (!is_word_char(c) && c != '.')
      return false;
  }
  return true;
}

static bool is_go_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* An os option that did not decode: Go's message (what, then the option quoted, then
 * why), or out of memory. */
static ocidig_code option_failure(ocidig_code rc, const char *spec, const char *what, const char *opt, size_t n,
                                  oci_buf *why, ocidig_error *err)
{
  oci_buf b = {0};
  char *raw;
  if (rc != OCIDIG_ERR_INVALID_PLATFORM) {
    oci_buf_free(why);
    return oci_nomem(err);
  }
  raw = oci_strndup(opt, n);
  go_quote(&b, spec);
  oci_buf_puts(&b, what);
  go_quote(&b, raw ? raw : "");
  oci_buf_puts(&b, ": ");
  oci_buf_puts(&b, why->s ? why->s : "");
  free(raw);
  oci_buf_free(why);
  return fail_buf(err, &b);
}

/* The os options "(version+f1+f2)" of part 0: version and features decoded. */
static ocidig_code parse_os_options(const char *spec, const char *part, size_t g[3][2], ocidig_platform *p,
                                    ocidig_error *err)
{
  oci_buf b = {0}, why = {0};
  ocidig_code rc;
  rc = decode_option(part + g[1][0], g[1][1], &p->os_version, &why);
  if (rc != OCIDIG_OK)
    return option_failure(rc, spec, " has an invalid OS version ", part + g[1][0], g[1][1], &why, err);
  if (g[2][1] == 0)
    return OCIDIG_OK;
  /* parseOSFeatures: drop the leading '+', split on '+', trim, decode, skip empties. */
  for (size_t i = g[2][0] + 1, end = g[2][0] + g[2][1]; i <= end;) {
    size_t s = i, e;
    char *feature = NULL;
    while (i < end && part[i] != '+')
      i++;
    e = i++;
    while (s < e && is_go_space((unsigned char)part[s]))
      s++;
    while (e > s && is_go_space((unsigned char)part[e - 1]))
      e--;
    if (e == s) {
      go_quote(&b, spec);
      oci_buf_puts(&b, " has invalid OS features: empty os feature: invalid argument");
      return fail_buf(err, &b);
    }
    rc = decode_option(part + s, e - s, &feature, &why);
    if (rc != OCIDIG_OK)
      return option_failure(rc, spec, " has invalid OS features: invalid os feature ", part + s, e - s, &why, err);
    if (*feature && !oci_strv_push(&p->os_features, &p->n_os_features, feature)) {
      free(feature);
      return oci_nomem(err);
    }
    free(feature);
  }
  return OCIDIG_OK;
}

ocidig_code ocidig_platform_parse(const char *specifier, const ocidig_platform *host, ocidig_platform *out,
                                  ocidig_error *err)
{
  const ocidig_platform *h = host_or_default(host);
  const char *parts[4];
  size_t lens[4], n = 0;
  ocidig_platform p = {0};
  oci_buf b = {0};
  ocidig_code rc;
  OCI_REQUIRE(specifier, "the specifier", err);
  OCI_REQUIRE(out, "out", err);
  const char *s = oci_str(specifier);

  *out = (ocidig_platform){0};
  if (strchr(s, '*')) {
    go_quote(&b, s);
    oci_buf_puts(&b, ": wildcards not yet supported: invalid argument");
    return fail_buf(err, &b);
  }
  /* strings.SplitN(s, "/", 4): the 4th part keeps any further slashes. */
  for (const char *c = s;;) {
    const char *slash = n < 3 ? strchr(c, '/') : NULL;
    parts[n] = c;
    lens[n] = slash ? (size_t)(slash - c) : strlen(c);
    n++;
    if (!slash)
      break;
    c = slash + 1;
  }
  /* Parts are validated in order; the count is checked only after all passed. */
  for (size_t i = 0; i < n; i++) {
    char *part = oci_strndup(parts[i], lens[i]);
    if (!part) {
      rc = oci_nomem(err);
      goto fail;
    }
    if (i == 0) {
      size_t g[3][2];
      if (!match_os_re(part, lens[0], g)) {
        go_quote(&b, part);
        oci_buf_puts(&b, " is an invalid OS component of ");
        go_quote(&b, s);
        oci_buf_puts(&b, ": OSAndVersion specifier component must match ");
        go_quote(&b, PLAT_OS_RE);
        oci_buf_puts(&b, ": invalid argument");
        free(part);
        rc = fail_buf(err, &b);
        goto fail;
      }
      {
        char *os_name = oci_strndup(part, g[0][1]);
        p.os = os_name ? normalize_os(os_name, h) : NULL;
        free(os_name);
      }
      if (!p.os) {
        free(part);
        rc = oci_nomem(err);
        goto fail;
      }
      rc = parse_os_options(s, part, g, &p, err);
      free(part);
      if (rc != OCIDIG_OK)
        goto fail;
    } else {
      if (!match_specifier_re(part, lens[i])) {
        go_quote(&b, part);
        oci_buf_puts(&b, " is an invalid component of ");
        go_quote(&b, s);
        oci_buf_puts(&b, ": platform specifier component must match ");
        go_quote(&b, PLAT_SPECIFIER_RE);
        oci_buf_puts(&b, ": invalid argument");
        free(part);
        rc = fail_buf(err, &b);
        goto fail;
      }
      free(part);
    }
  }

  switch (n) {
  case 1:
    if (is_known_os(p.os)) {
      /* A lone os: the host's architecture; on a 32-bit ARM host its variant too,
       * except v7 (the default one). */
      if (!(p.architecture = oci_strdup(oci_str(h->architecture))))
        goto nomem;
      if (!strcmp(p.architecture, "arm") && strcmp(oci_str(h->variant), "v7"))
        p.variant = oci_strdup(oci_str(h->variant));
      else
        p.variant = oci_strdup("");
      if (!p.variant)
        goto nomem;
      break;
    }
    {
      /* Not an os: the whole raw part (parentheses included) as an architecture. */
      char *raw = oci_strndup(parts[0], lens[0]);
      bool ok = raw && normalize_arch(raw, "", &p.architecture, &p.variant);
      free(raw);
      if (!ok)
        goto nomem;
    }
    if (!strcmp(p.architecture, "arm") && !strcmp(p.variant, "v7") && !replace(&p.variant, ""))
      goto nomem;
    if (!is_known_arch(p.architecture)) {
      go_quote(&b, s);
      oci_buf_puts(&b, ": unknown operating system or architecture: invalid argument");
      rc = fail_buf(err, &b);
      goto fail;
    }
    if (!replace(&p.os, oci_str(h->os)))
      goto nomem;
    break;
  case 2:
  case 3: {
    char *arch = oci_strndup(parts[1], lens[1]);
    char *variant = n == 3 ? oci_strndup(parts[2], lens[2]) : oci_strdup("");
    bool ok = arch && variant && normalize_arch(arch, variant, &p.architecture, &p.variant);
    free(arch);
    free(variant);
    if (!ok)
      goto nomem;
    /* 2 parts: arm means v7, shown without a variant.  3 parts: the variant was
     * given, and arm64 keeps an explicit v8. */
    if (n == 2 && !strcmp(p.architecture, "arm") && !strcmp(p.variant, "v7") && !replace(&p.variant, ""))
      goto nomem;
    if (n == 3 && !strcmp(p.architecture, "arm64") && !strcmp(p.variant, "") && !replace(&p.variant, "v8"))
      goto nomem;
    break;
  }
  default:
    go_quote(&b, s);
    oci_buf_puts(&b, ": cannot parse platform specifier: invalid argument");
    rc = fail_buf(err, &b);
    goto fail;
  }
  if (!p.os_version && !(p.os_version = oci_strdup("")))
    goto nomem;
  *out = p;
  return OCIDIG_OK;

nomem:
  rc = oci_nomem(err);
fail:
  oci_buf_free(&b);
  ocidig_platform_clear(&p);
  return rc;
}

/* ----------------------------------------------------------------- format */

/* Go's path.Clean. */
static void path_clean(oci_buf *out, const char *path)
{
  size_t n = strlen(path), r = 0, w = 0, dotdot = 0;
  bool rooted = n > 0 && path[0] == '/';
  char *buf;
  if (n == 0) {
    oci_buf_puts(out, ".");
    return;
  }
  buf = malloc(n + 3);
  if (!buf) {
    out->failed = true;
    return;
  }
  if (rooted) {
    buf[w++] = '/';
    r = dotdot = 1;
  }
  while (r < n) {
    if (path[r] == '/') {
      r++;
    } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
      r++;
    } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
      r += 2;
      if (w > dotdot) {
        w--;
        while (w > dotdot && buf[w] != '/')
          w--;
      } else if (!rooted) {
        if (w > 0)
          buf[w++] = '/';
        buf[w++] = '.';
        buf[w++] = '.';
        dotdot = w;
      }
    } else {
      if ((rooted && w != 1) || (!rooted && w != 0))
        buf[w++] = '/';
      for (; r < n && path[r] != '/'; r++)
        buf[w++] = path[r];
    }
  }
  if (w == 0)
    oci_buf_puts(out, ".");
  else
    oci_buf_add(out, buf, w);
  free(buf);
}

/* Go's path.Join of three elements: empty ones are skipped, the result cleaned. */
static void path_join3(oci_buf *out, const char *a, const char *b, const char *c)
{
  const char *e[3] = {a, b, c};
  oci_buf j = {0};
  size_t i = 0;
  while (i < 3 && !*e[i])
    i++;
  if (i == 3)
    return;
  for (size_t k = i; k < 3; k++) {
    if (k > i)
      oci_buf_add(&j, "/", 1);
    oci_buf_puts(&j, e[k]);
  }
  if (j.failed)
    out->failed = true;
  else
    path_clean(out, j.s);
  oci_buf_free(&j);
}

/* encodeOSOption: only the characters that the specifier syntax gives a meaning. */
static void encode_option(oci_buf *b, const char *v)
{
  for (; *v; v++) {
    switch (*v) {
    case '%': oci_buf_puts(b, "%25"); break;
    case '+': oci_buf_puts(b, "%2B"); break;
    case '(': oci_buf_puts(b, "%28"); break;
    case ')': oci_buf_puts(b, "%29"); break;
    case '/': oci_buf_puts(b, "%2F"); break;
    default: oci_buf_add(b, v, 1);
    }
  }
}

char *ocidig_platform_format(const ocidig_platform *p)
{
  oci_buf out = {0}, head = {0};
  const char *os;
  if (!p)
    return NULL;
  os = oci_str(p->os);
  if (!*os)
    return oci_strdup("unknown");
  if (!*oci_str(p->os_version) && p->n_os_features == 0) {
    path_join3(&out, os, oci_str(p->architecture), oci_str(p->variant));
    return oci_buf_take(&out);
  }
  oci_buf_puts(&head, os);
  {
    oci_buf opts = {0}, feats = {0};
    char **sorted = NULL;
    encode_option(&opts, oci_str(p->os_version));
    if (p->n_os_features > 0) {
      sorted = malloc(p->n_os_features * sizeof *sorted);
      if (!sorted) {
        feats.failed = true;
      } else {
        const char *prev = NULL;
        memcpy(sorted, p->os_features, p->n_os_features * sizeof *sorted);
        qsort(sorted, p->n_os_features, sizeof *sorted, cmp_str);
        /* Sorted, empty and duplicate features skipped, like formatOSFeatures. */
        for (size_t i = 0; i < p->n_os_features; i++) {
          const char *f = oci_str(sorted[i]);
          if (!*f || (prev && !strcmp(prev, f)))
            continue;
          prev = f;
          if (feats.len > 0)
            oci_buf_add(&feats, "+", 1);
          encode_option(&feats, f);
        }
        free(sorted);
      }
    }
    if (opts.len > 0 || feats.len > 0) {
      oci_buf_add(&head, "(", 1);
      if (opts.len > 0)
        oci_buf_add(&head, opts.s, opts.len);
      if (feats.len > 0) {
        oci_buf_add(&head, "+", 1);
        oci_buf_add(&head, feats.s, feats.len);
      }
      oci_buf_add(&head, ")", 1);
    }
    if (opts.failed || feats.failed)
      head.failed = true;
    oci_buf_free(&opts);
    oci_buf_free(&feats);
  }
  if (head.failed) {
    oci_buf_free(&head);
    return NULL;
  }
  path_join3(&out, head.s, oci_str(p->architecture), oci_str(p->variant));
  oci_buf_free(&head);
  return oci_buf_take(&out);
}

/* ------------------------------------------------------------ host detection */

/* GOARCH of this build: containerd reports runtime.GOARCH, the architecture the
 * binary runs as (a 32-bit userland on a 64-bit kernel is arm, not arm64). */
static const char *build_goarch(void)
{
#if defined(__x86_64__) && defined(__ILP32__)
  return "amd64p32";
#elif defined(__x86_64__)
  return "amd64";
#elif defined(__i386__)
  return "386";
#elif defined(__aarch64__) && defined(__AARCH64EB__)
  return "arm64be";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__) && defined(__ARMEB__)
  return "armbe";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  return "ppc64le";
#elif defined(__powerpc64__)
  return "ppc64";
#elif defined(__powerpc__)
  return "ppc";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__s390__)
  return "s390";
#elif defined(__riscv) && defined(__riscv_xlen) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__loongarch64)
  return "loong64";
#elif defined(__mips64) && defined(__MIPSEL__)
  return "mips64le";
#elif defined(__mips64)
  return "mips64";
#elif defined(__mips__) && defined(__MIPSEL__)
  return "mipsle";
#elif defined(__mips__)
  return "mips";
#elif defined(__sparc__) && defined(__arch64__)
  return "sparc64";
#else
  return NULL;
#endif
}

/* uname's machine in GOARCH terms, for builds the table above does not know. */
static const char *machine_goarch(const char *m)
{
  static const struct {
    const char *machine, *goarch;
  } map[] = {
    {"x86_64", "amd64"},   {"amd64", "amd64"},     {"i386", "386"},         {"i486", "386"},
    {"i586", "386"},       {"i686", "386"},        {"aarch64", "arm64"},    {"arm64", "arm64"},
    {"aarch64_be", "arm64be"}, {"ppc64le", "ppc64le"}, {"ppc64", "ppc64"},  {"ppc", "ppc"},
    {"s390x", "s390x"},    {"s390", "s390"},       {"riscv64", "riscv64"},  {"loongarch64", "loong64"},
    {"mips64", "mips64"},  {"mips", "mips"},       {"sparc64", "sparc64"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(m, map[i].machine))
      return map[i].goarch;
  if (!strncmp(m, "armv", 4) || !strcmp(m, "arm"))
    return "arm";
  return m;
}

static void trim_span(const char **s, const char **e)
{
  while (*s < *e && is_go_space((unsigned char)**s))
    (*s)++;
  while (*e > *s && is_go_space((unsigned char)(*e)[-1]))
    (*e)--;
}

/* getCPUInfo: the value of the first /proc/cpuinfo line whose key equals pattern
 * case-insensitively (the text between the first and second ':'). */
static char *cpuinfo_value(const char *pattern)
{
  FILE *f = fopen("/proc/cpuinfo", "r");
  char *line = NULL, *found = NULL;
  size_t cap = 0;
  ssize_t len;
  if (!f)
    return NULL;
  while (!found && (len = getline(&line, &cap, f)) >= 0) {
    const char *colon = memchr(line, ':', (size_t)len), *ks = line, *ke, *vs, *ve;
    if (!colon)
      continue;
    ke = colon;
    trim_span(&ks, &ke);
    if ((size_t)(ke - ks) != strlen(pattern) || strncasecmp(ks, pattern, (size_t)(ke - ks)) != 0)
      continue;
    vs = colon + 1;
    ve = memchr(vs, ':', (size_t)(line + len - vs));
    if (!ve)
      ve = line + len;
    trim_span(&vs, &ve);
    found = oci_strndup(vs, (size_t)(ve - vs));
    if (!found)
      break;
  }
  free(line);
  fclose(f);
  return found;
}

/* getArmCPUVariant (cpuinfo.go): "CPU architecture" from /proc/cpuinfo, else uname's
 * machine; the Raspberry Pi ARMv6 quirk; then the v-name.  "" when nothing is known. */
static char *arm_cpu_variant(const char *goarch, const char *machine)
{
  static const struct {
    const char *raw, *variant;
  } map[] = {
    {"8", "v8"},     {"aarch64", "v8"}, {"7", "v7"},     {"7m", "v7"},    {"?(12)", "v7"},
    {"?(13)", "v7"}, {"?(14)", "v7"},   {"?(15)", "v7"}, {"?(16)", "v7"}, {"?(17)", "v7"},
    {"6", "v6"},     {"6tej", "v6"},    {"5", "v5"},     {"5t", "v5"},    {"5te", "v5"},
    {"5tej", "v5"},  {"4", "v4"},       {"4t", "v4"},    {"3", "v3"},
  };
  char *raw = cpuinfo_value("Cpu architecture"), *lower;
  const char *v = "unknown";
  if (!raw) {
    /* getCPUVariantFromArch, for emulated ARM without the cpuinfo field. */
    char *m = go_to_lower(machine);
    if (!m)
      return NULL;
    if (!strcmp(m, "aarch64"))
      raw = oci_strdup("8");
    else if (!strncmp(m, "armv", 4) && strlen(m) >= 5 && m[4] >= '3' && m[4] <= '8')
      raw = oci_strndup(m + 4, 1);
    else if (!strncmp(m, "armv", 4) && strlen(m) >= 5)
      raw = oci_strdup("unknown");
    free(m);
    if (!raw)
      return oci_strdup(""); /* containerd logs the error and leaves the variant empty */
  }
  if (!strcmp(goarch, "arm") && !strcmp(raw, "7")) {
    char *model = cpuinfo_value("model name");
    char *ml = model ? go_to_lower(model) : NULL;
    if (ml && !strncmp(ml, "armv6-compatible", 16)) {
      free(raw);
      raw = oci_strdup("6");
    }
    free(ml);
    free(model);
    if (!raw)
      return NULL;
  }
  lower = go_to_lower(raw);
  free(raw);
  if (!lower)
    return NULL;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(lower, map[i].raw))
      v = map[i].variant;
  free(lower);
  return oci_strdup(v);
}

ocidig_code ocidig_platform_detect_host(ocidig_platform *out, ocidig_error *err)
{
  ocidig_platform p = {0};
  struct utsname u;
  const char *arch = build_goarch();
  bool have_uname;
  OCI_REQUIRE(out, "out", err);
  have_uname = uname(&u) == 0;
  *out = (ocidig_platform){0};
  if (!arch && !have_uname)
    return oci_fail(err, OCIDIG_ERR_IO, "cannot detect the host platform: uname: %s", strerror(errno));
  if (!arch)
    arch = machine_goarch(u.machine);
#if defined(__linux__)
  p.os = oci_strdup("linux");
#else
  p.os = have_uname ? go_to_lower(u.sysname) : oci_strdup("unknown");
#endif
  p.architecture = oci_strdup(arch);
  p.os_version = oci_strdup("");
  /* cpuVariant() is set only on ARM (doc/platforms.md §6). */
  if (p.architecture && (!strcmp(arch, "arm") || !strcmp(arch, "arm64")))
    p.variant = arm_cpu_variant(arch, have_uname ? u.machine : "");
  else
    p.variant = oci_strdup("");
  if (!p.os || !p.architecture || !p.variant || !p.os_version) {
    ocidig_platform_clear(&p);
    return oci_nomem(err);
  }
  *out = p;
  return OCIDIG_OK;
}
