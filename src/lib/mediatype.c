/* mediatype.c: the four media types the walk understands, compared as exact strings. */
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
