/* reference.c: image references as Docker and containerd write them, for --ref. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* A reference in its full form: "alpine:3" -> "docker.io/library/alpine:3",
 * "user/x" -> "docker.io/user/x", "index.docker.io/..." -> "docker.io/...". */
char *oci_reference_full(const char *ref)
{
  const char *slash = strchr(ref, '/');
  size_t first = slash ? (size_t)(slash - ref) : 0;
  bool domain = slash && (memchr(ref, '.', first) || memchr(ref, ':', first) ||
                          (first == 9 && !strncmp(ref, "localhost", 9)));
  if (domain && first == 15 && !strncmp(ref, "index.docker.io", 15))
    return oci_sprintf("docker.io%s", slash);
  if (domain) {
    if (first == 9 && !strncmp(ref, "docker.io", 9) && !strchr(slash + 1, '/'))
      return oci_sprintf("docker.io/library/%s", slash + 1);
    return oci_strdup(ref);
  }
  if (!slash)
    return oci_sprintf("docker.io/library/%s", ref);
  return oci_sprintf("docker.io/%s", ref);
}

bool oci_reference_same(const char *a, const char *b)
{
  char *fa, *fb;
  bool same;
  if (!strcmp(a, b))
    return true;
  fa = oci_reference_full(a);
  fb = oci_reference_full(b);
  same = fa && fb && !strcmp(fa, fb);
  free(fa);
  free(fb);
  return same;
}

bool oci_reference_has_tag(const char *name, const char *tag)
{
  size_t n = strlen(name), t = strlen(tag);
  return n > t && name[n - t - 1] == ':' && !strcmp(name + n - t, tag);
}
