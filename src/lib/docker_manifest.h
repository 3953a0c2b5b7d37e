/* docker_manifest.h: docker_manifest.c's internal functions (format detection and the
 * manifest.json reader are public: ocidig_layout_format_detect, ocidig_docker_archive_*).
 * It sits on layout.c, below root.c and the view. */
#ifndef OCIDIG_DOCKER_MANIFEST_H
#define OCIDIG_DOCKER_MANIFEST_H

#include "internal.h"

/* How messages name a manifest.json image: its first RepoTag, else its image ID, else its
 * Config path. */
const char *oci_docker_image_label(const ocidig_docker_image *im);

/* Is `folder` ("" the root) an image of containers/image's dir: transport, a version file
 * saying "Directory Transport Version: 1.x" beside a manifest.json whose first character is
 * '{'?  Errors: out of memory only. */
ocidig_code oci_cimage_folder_is_image(ocidig_layout *l, const char *folder, bool *yes, ocidig_error *err);
/* Appends to *folders the image folders among ents (a version file's folder that
 * oci_cimage_folder_is_image says yes to), in listing order, until *n_folders reaches max.
 * Errors: out of memory only. */
ocidig_code oci_cimage_folders(ocidig_layout *l, const ocidig_entry *ents, size_t n, size_t max, char ***folders,
                               size_t *n_folders, ocidig_error *err);

#endif
