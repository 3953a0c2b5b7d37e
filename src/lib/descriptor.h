/* descriptor.h: decoding descriptors and platforms from JSON, typed as containerd's Go
 * structs decode them (null is the zero value; any other type mismatch is an error). */
#ifndef OCIDIG_DESCRIPTOR_H
#define OCIDIG_DESCRIPTOR_H

#include "json.h"

/* `where` names the object in messages, e.g. "index.json manifests[3]". */
ocidig_code oci_descriptor_parse(json_object *obj, const char *where, ocidig_descriptor *out, ocidig_error *err);
ocidig_code oci_descriptor_copy(ocidig_descriptor *dst, const ocidig_descriptor *src, ocidig_error *err);
/* The five platform fields of an object (a descriptor's "platform" or an image config). */
ocidig_code oci_platform_parse_json(json_object *obj, const char *where, ocidig_platform *out, unsigned *keys,
                                    ocidig_error *err);
/* A JSON string field: absent or null gives NULL; another type is an error. */
ocidig_code oci_json_string_field(json_object *obj, const char *key, const char *where, char **out,
                                  ocidig_error *err);
/* {"os":..., ...} with only the keys present (raw) */
json_object *oci_platform_to_json(const ocidig_platform *p, unsigned keys);

#endif
