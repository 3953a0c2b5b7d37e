/* mediatype.c: the four media types the walk understands, compared as exact strings, and the
 * grammar of a media type name (RFC 6838) and of a URI (RFC 3986) that the image spec asks of
 * descriptors. */
#include "internal.h"

#include <string.h>

ocidig_kind ocidig_media_type_kind(const char *mt)
{
  if (!mt)
    return OCIDIG_KIND_OTHER;
  if (!strcmp(mt, OCIDIG_MT_OCI_INDEX) || !strcmp(mt, OCIDIG_MT_DOCKER_LIST))
    return OCIDIG_KIND_INDEX;
  if (!strcmp(mt, OCIDIG_MT_OCI_MANIFEST) || !strcmp(mt, OCIDIG_MT_DOCKER_MANIFEST))
    return OCIDIG_KIND_MANIFEST;
  return OCIDIG_KIND_OTHER;
}

const char *ocidig_media_type_short(const char *mt)
{
  static const struct {
    const char *type, *name;
  } names[] = {
    {OCIDIG_MT_OCI_INDEX, "oci-index"},
    {OCIDIG_MT_OCI_MANIFEST, "oci-manifest"},
    {OCIDIG_MT_DOCKER_LIST, "docker-list"},
    {OCIDIG_MT_DOCKER_MANIFEST, "docker-manifest"},
  };
  if (!mt || !*mt)
    return "(no media type)";
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(mt, names[i].type))
      return names[i].name;
  return mt;
}

/* restricted-name-first / restricted-name-chars of RFC 6838 section 4.2 */
static bool rn_first(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool rn_char(char c)
{
  return rn_first(c) || (c && strchr("!#$&-^_.+", c));
}

/* A restricted-name at s, ending at `end` (a character that is not one of its own): its
 * length, 0 when it is not one. */
static size_t restricted_name(const char *s, char end)
{
  size_t n = 0;
  if (!rn_first(s[0]))
    return 0;
  while (rn_char(s[n]))
    n++;
  return s[n] == end && n <= 127 ? n : 0;
}

bool oci_media_type_valid(const char *mt)
{
  size_t t;
  if (!mt || !(t = restricted_name(mt, '/')))
    return false;
  return restricted_name(mt + t + 1, '\0') > 0;
}

static bool uri_char(char c)
{
  /* unreserved, gen-delims but '#', sub-delims (RFC 3986 section 2); '%' is checked apart */
  return rn_first(c) || (c && strchr("-._~:/?[]@!$&'()*+,;=", c));
}

static bool hex_digit(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool oci_uri_absolute(const char *s)
{
  size_t i = 0;
  /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
  if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return false;
  while (rn_first(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
    i++;
  if (s[i++] != ':')
    return false;
  bool fragment = false;
  for (; s[i]; i++) {
    if (s[i] == '%') {
      if (!hex_digit(s[i + 1]) || !hex_digit(s[i + 2]))
        return false;
      i += 2;
    } else if (s[i] == '#' && !fragment) {
      fragment = true; /* one '#', then fragment = *( pchar / "/" / "?" ) */
    } else if (!uri_char(s[i]) || (fragment && (s[i] == '[' || s[i] == ']'))) {
      return false;
    }
  }
  return true;
}
