/* findings.c: the one table of `ocidig verify`'s finding codes.
 *
 * Every finding has a code of this table (oci_finding_add takes an oci_vcode), and the
 * severity of a code never changes.  One name per condition: a finding for a condition the
 * library and the other commands also report has the same code as their error.code
 * (invalid-json, invalid-digest, unsupported-digest-algorithm, missing-index-json,
 * bad-oci-layout, json-too-large, limit-exceeded).  Some findings name which rule of a
 * document's shape is broken where resolve says invalid-json for all of them: field-type,
 * field-missing, schema-version, size-negative, docker-manifest-invalid.  In a docker save
 * archive the common codes keep their meaning: blob-missing for a config or layer file that
 * manifest.json names and that is absent, digest-mismatch for one whose bytes do not hash to
 * the digest its name carries, invalid-json, field-missing, field-type and invalid-digest for
 * a config, link-escapes for a Config or Layers path that is a link leaving the archive.
 *
 * The README's table of codes is printed from this one (tests/check_findings.c checks that
 * it is; `make readme-findings` rewrites it): `readme` is what it adds in parentheses, `rule`
 * the rule of the OCI image spec a code checks (the file and property or section, MUST or
 * SHOULD), printed in a second table. */
#include "verify.h"

#define E OCIDIG_SEVERITY_ERROR
#define W OCIDIG_SEVERITY_WARNING
#define I OCIDIG_SEVERITY_INFO

static const oci_vcode_info table[] = {
    [VF_OCI_LAYOUT_MISSING] = {"oci-layout-missing", E, false, "no oci-layout file", NULL,
                               "image-layout.md, oci-layout file: REQUIRED (MUST)"},
    [VF_BAD_OCI_LAYOUT] = {"bad-oci-layout", E, false,
                           "oci-layout is not a JSON object whose imageLayoutVersion is \"1.0.0\" (the verification "
                           "stops: exit 3, as for resolve)",
                           "exit 3, as for every command: `oci-layout` is not JSON, not an object, or names a version "
                           "other than 1.0.0; an unreadable one is `io-error`, exit 3",
                           "image-layout.md, oci-layout file: a JSON object with imageLayoutVersion (MUST)"},
    [VF_MISSING_INDEX_JSON] = {"missing-index-json", E, false,
                               "neither index.json nor manifest.json (the verification stops: exit 3)",
                               "exit 3; neither `index.json` nor `manifest.json`",
                               "image-layout.md, index.json file: REQUIRED (MUST)"},
    [VF_INVALID_JSON] = {"invalid-json", E, false,
                         "a document (index.json, index, manifest, config) is not valid JSON (RFC 8259, UTF-8, no BOM) "
                         "or not an object",
                         NULL},
    [VF_JSON_TOO_LARGE] = {"json-too-large", E, false, "a document larger than OCIDIG_MAX_JSON_SIZE", NULL},
    [VF_SCHEMA_VERSION] = {"schema-version", E, false, "schemaVersion absent or not 2", NULL,
                           "manifest.md, image-index.md: schemaVersion MUST be 2 (MUST)"},
    [VF_MEDIA_TYPE_MISMATCH] = {"media-type-mismatch", E, false, "the body's mediaType differs from its descriptor's",
                                NULL,
                                "manifest.md, image-index.md: mediaType, when used, MUST be the document's "
                                "own type (MUST)"},
    [VF_KIND_MISMATCH] = {"kind-mismatch", E, false,
                          "an index body behind a manifest descriptor or the reverse (containerd's validateMediaType), "
                          "or a schema 1 body",
                          NULL},
    [VF_FIELD_MISSING] = {"field-missing", E, false,
                          "a required field is absent (manifests, config, layers, mediaType, digest, size, platform "
                          "os/architecture)",
                          NULL,
                          "descriptor.md (mediaType, digest, size), manifest.md (config, layers), "
                          "image-index.md (manifests; platform architecture, os), config.md (architecture, "
                          "os, rootfs): REQUIRED (MUST)"},
    [VF_FIELD_TYPE] = {"field-type", E, false, "a field has the wrong JSON type (or data is not base64)", NULL,
                       "the property types of descriptor.md, manifest.md, image-index.md and config.md; "
                       "descriptor.md, data: base64 (MUST)"},
    [VF_INVALID_DIGEST] = {"invalid-digest", E, false,
                           "a digest that breaks the grammar or its algorithm's encoding (lowercase hex of the right "
                           "length)",
                           NULL,
                           "descriptor.md, Digests: the grammar; sha256 and sha512 as lowercase hex of "
                           "their length (MUST)"},
    [VF_UNSUPPORTED_DIGEST_ALGORITHM] = {"unsupported-digest-algorithm", W, false,
                                         "a digest of the grammar whose algorithm is not sha256 or sha512: it "
                                         "cannot be verified (the blob is not checked; resolve still stops there)",
                                         "cannot be verified: algorithm not supported; resolve stops there, exit 4",
                                         "descriptor.md, Digests: an unrecognized algorithm that fits the "
                                         "grammar SHOULD pass validation (SHOULD)"},
    [VF_SIZE_NEGATIVE] = {"size-negative", E, false, "a negative size", NULL,
                          "descriptor.md, size: the size in bytes, int64 (MUST)"},
    [VF_BLOB_MISSING] = {"blob-missing", E, false, "a referenced blob is absent (and not excused)", NULL},
    [VF_BLOB_UNREADABLE] = {"blob-unreadable", E, false, "a blob that is present but could not be read",
                            "a blob there but not readable, e.g. no permission: never counted absent"},
    [VF_LISTING_UNREADABLE] = {"listing-unreadable", E, false,
                               "a folder of a directory layout that could not be listed, or an entry of it that could "
                               "not be examined (permissions): unreferenced blobs are then not counted",
                               "a folder that cannot be listed; unreferenced blobs are then not counted"},
    [VF_SIZE_MISMATCH] = {"size-mismatch", E, false, "the blob's length differs from the descriptor's size", NULL,
                          "descriptor.md, size: content of another length SHOULD NOT be trusted (SHOULD)"},
    [VF_DIGEST_MISMATCH] = {"digest-mismatch", E, false, "the blob's bytes do not hash to its digest", NULL,
                            "descriptor.md, Verification: retrieved content SHOULD be verified against the "
                            "digest (SHOULD)"},
    [VF_DATA_MISMATCH] = {"data-mismatch", E, false, "inline data does not match the descriptor's size or digest",
                          NULL, "descriptor.md, Embedded Content: data is the content the descriptor names (MUST)"},
    [VF_EMPTY_DESCRIPTOR_INVALID] = {"empty-descriptor-invalid", E, false,
                                     "an application/vnd.oci.empty.v1+json descriptor that is not sha256:44136f... "
                                     "with size 2",
                                     NULL,
                                     "manifest.md, Guidance for an Empty Descriptor: digest "
                                     "sha256:44136f..., size 2 (MUST)"},
    [VF_INDEX_CYCLE] = {"index-cycle", E, false, "an index that contains itself", NULL},
    [VF_NESTING_TOO_DEEP] = {"nesting-too-deep", E, false, "indexes nested deeper than OCIDIG_MAX_INDEX_NESTING", NULL},
    [VF_LIMIT_EXCEEDED] = {"limit-exceeded", E, false, "an index with more than OCIDIG_MAX_INDEX_DESCRIPTORS children",
                           NULL},
    [VF_LINK_ESCAPES] = {"link-escapes", E, false,
                         "a symlink (directory) or a symlink/hard-link member (archive) that is absolute or leaves "
                         "the layout",
                         NULL},
    [VF_SPECIAL_MEMBER] = {"special-member", E, false, "a device, FIFO or socket", NULL},
    [VF_PATH_UNSAFE] = {"path-unsafe", E, false, "an archive member with an absolute or \"..\" name", NULL},
    [VF_MEMBER_REPLACED] = {"member-replaced", E, false,
                            "an archive member is a regular file and then a directory, link or device of the same "
                            "name (tar extracts the latter): ambiguous, the verification stops (corrupt-archive, "
                            "exit 3)",
                            "exit 3: an archive member that is a regular file and then a directory or link of the "
                            "same name; the verification stops with `corrupt-archive`, as `resolve` refuses it"},
    [VF_REF_NAME_DUPLICATE] = {"ref-name-duplicate", E, false,
                               "two entries of index.json share a ref name but not the digest (nor distinct "
                               "platforms)",
                               NULL},
    [VF_PLATFORM_NOT_FOUND] = {"platform-not-found", E, false, "--platform: an image has no manifest for it", NULL},
    [VF_DOCKER_MANIFEST_INVALID] = {"docker-manifest-invalid", E, true,
                                    "manifest.json is not an array of {\"Config\": file, \"RepoTags\": null or "
                                    "[names], \"Layers\": [files]}, or names a path that is absolute or climbs out",
                                    "`manifest.json` is not an array of `{Config, RepoTags, Layers}`"},
    [VF_DIFF_ID_MISMATCH] = {"diff-id-mismatch", E, false,
                             "a layer's uncompressed bytes do not hash to its config's rootfs.diff_ids entry (a docker "
                             "save: always; elsewhere with --deep), or a docker save's manifest.json lists another "
                             "number of layers than the config has diff_ids (docker load refuses both)",
                             "a layer does not decode to its config's `diff_id` (`--deep`; a docker save's layer "
                             "files always), or a docker save's `Layers` and `rootfs.diff_ids` differ in number",
                             "config.md, rootfs.diff_ids: the DiffIDs of the layers, in order (MUST)"},
    [VF_MEDIA_TYPE_INVALID] = {"media-type-invalid", E, false,
                               "a mediaType or artifactType that is not a media type name of RFC 6838 (type/subtype, "
                               "each a letter or digit then at most 126 of letters, digits and !#$&-^_.+); a "
                               "well-formed unknown one is fine",
                               NULL,
                               "descriptor.md, mediaType and artifactType: values MUST comply with RFC "
                               "6838, section 4.2 (MUST)"},
    [VF_URL_INVALID] = {"url-invalid", E, false, "a descriptor's urls entry that is not an absolute URI (RFC 3986)",
                        NULL, "descriptor.md, urls: each entry MUST conform to RFC 3986 (MUST)"},
    [VF_JSON_DUPLICATE_KEY] = {"json-duplicate-key", W, false,
                               "a key appears twice in one object (parsers may disagree)", NULL},
    [VF_LINK_MEMBER] = {"link-member", W, false,
                        "an archive link member at a blob, index.json or oci-layout path: not read (importers ignore "
                        "links)",
                        NULL},
    [VF_DUPLICATE_MEMBER] = {"duplicate-member", W, false, "an archive holds a name twice (the last copy counts)",
                             NULL},
    [VF_BLOB_NAME_INVALID] = {"blob-name-invalid", W, false, "a file under blobs/ whose name is not a digest", NULL},
    [VF_REF_NAME_INVALID] = {"ref-name-invalid", W, false, "org.opencontainers.image.ref.name breaks the OCI grammar",
                             NULL, "annotations.md, org.opencontainers.image.ref.name: the grammar (SHOULD)"},
    [VF_REF_NAME_REPEATED] = {"ref-name-repeated", W, false, "the same ref name and digest listed twice", NULL},
    [VF_ATTESTATION_SUBJECT_MISSING] = {"attestation-subject-missing", W, false,
                                        "an attestation manifest whose vnd.docker.reference.digest names nothing in "
                                        "the layout",
                                        NULL},
    [VF_CONFIG_PLATFORM_MISMATCH] = {"config-platform-mismatch", W, false,
                                     "the config's os/architecture differ from the descriptor's", NULL},
    [VF_BLOB_UNREFERENCED] = {"blob-unreferenced", W, false,
                              "a blob nothing reachable from index.json references, or in a docker save archive a file "
                              "that neither manifest.json nor a legacy layer directory in use refers to (only checked "
                              "when the whole layout is in scope)",
                              NULL},
    [VF_IMAGE_INCOMPLETE] = {"image-incomplete", W, false, "a platform of an image lacks blobs (a sparse export)",
                             NULL},
    [VF_PLATFORM_MISMATCH] = {"platform-mismatch", W, false,
                              "--platform: an image that is a single manifest for another platform (resolve still "
                              "selects it)",
                              NULL},
    [VF_REPOSITORIES_MISMATCH] = {"repositories-mismatch", W, true,
                                  "repositories is not {repository: {tag: layer ID}}, names a tag no image has among "
                                  "its RepoTags or a layer that is not that image's top layer, or lacks a RepoTag",
                                  "`repositories` disagrees with the RepoTags or the top layers"},
    [VF_DOCKER_MANIFEST_DISAGREES] = {"docker-manifest-disagrees", W, true,
                                      "hybrid: manifest.json names an image, layers, RepoTags or files that index.json "
                                      "does not reach or that are absent",
                                      "hybrid: `manifest.json` disagrees with `index.json`"},
    [VF_LAYERS_EMPTY] = {"layers-empty", W, false,
                         "an image manifest whose layers array is empty (for portability it should list one)", NULL,
                         "manifest.md, layers: for portability, layers SHOULD have at least one entry "
                         "(SHOULD)"},
    [VF_CONFIG_ENV_INVALID] = {"config-env-invalid", W, false,
                               "an image config's Env entry that is not VARNAME=VARVALUE", NULL,
                               "config.md, config.Env: entries are in the format of VARNAME=VARVALUE "
                               "(SHOULD: the schema's pattern; the text has no keyword)"},
    [VF_LAYER_COUNT_MISMATCH] = {"layer-count-mismatch", E, false,
                                 "--deep: a manifest has another number of layers than its config has "
                                 "rootfs.diff_ids",
                                 NULL, "config.md, rootfs.diff_ids: one DiffID per layer, in order (MUST)"},
    [VF_LAYER_TRUNCATED] = {"layer-truncated", E, false,
                            "--deep: a layer's compressed stream (gzip, zstd) ends before its end", NULL,
                            "layer.md, gzip and zstd media types: the changeset, compressed (MUST)"},
    [VF_LAYER_CORRUPT] = {"layer-corrupt", E, false,
                          "--deep: a layer's bytes do not decode as its media type says (not gzip or zstd, bad data, "
                          "a checksum that does not match)",
                          NULL, "layer.md, gzip and zstd media types: the changeset, compressed (MUST)"},
    [VF_LAYER_TRAILING_DATA] = {"layer-trailing-data", E, false,
                                "--deep: bytes after a layer's last gzip member or zstd frame that begin no other "
                                "(containerd's unpack refuses them)",
                                NULL},
    [VF_LAYER_TAR_INVALID] = {"layer-tar-invalid", E, false,
                              "--deep: a layer's tar stream is cut short or damaged before its end-of-archive marker",
                              NULL, "layer.md, Distributable Format: a layer is a tar archive (MUST)"},
    [VF_LAYER_PATH_UNSAFE] = {"layer-path-unsafe", E, false,
                              "--deep: a layer entry (or hard link target) with an absolute name or a \"..\" "
                              "component",
                              NULL},
    [VF_LAYER_PATH_THROUGH_SYMLINK] = {"layer-path-through-symlink", W, false,
                                       "--deep: a layer entry whose name passes through a symbolic link set by an "
                                       "earlier entry or layer",
                                       NULL},
    [VF_LAYER_HARDLINK_MISSING] = {"layer-hardlink-missing", E, false,
                                   "--deep: a hard link whose target is neither an earlier entry of its layer nor in "
                                   "a layer below",
                                   NULL},
    [VF_LAYER_TAR_NO_END] = {"layer-tar-no-end-marker", I, false,
                             "--deep: a layer's tar ends after a whole entry without its end-of-archive marker, or is "
                             "empty (umoci 0.4 writes such layers; Go's, libarchive's and GNU tar's readers accept "
                             "them)",
                             NULL, "layer.md, Distributable Format: a layer is a tar archive (MUST)"},
    [VF_LAYER_WHITEOUT_MALFORMED] = {"layer-whiteout-malformed", W, false,
                                     "--deep: a whiteout or opaque marker with content or not a regular file, a "
                                     "\".wh.\" naming nothing, an opaque marker that is not in a directory",
                                     NULL, "layer.md, Whiteouts: a whiteout is an empty file (SHOULD)"},
    [VF_LAYER_SPECIAL_FILE] = {"layer-special-file", W, false, "--deep: a device node or a FIFO in a layer", NULL},
    [VF_LAYER_SETUID] = {"layer-setuid", W, false, "--deep: a setuid file in a layer", NULL},
    [VF_LAYER_SETGID] = {"layer-setgid", W, false, "--deep: a setgid file in a layer", NULL},
    [VF_FOREIGN_LAYER_ABSENT] = {"foreign-layer-absent", I, false,
                                 "a non-distributable layer (a layer media type that says so, or a layer with an "
                                 "absolute URL) absent: expected",
                                 NULL},
    [VF_UNKNOWN_MEDIA_TYPE] = {"unknown-media-type", I, false,
                               "an index child that is neither index nor manifest: its blob is checked, its content "
                               "is not",
                               NULL},
    [VF_LAYER_WORLD_WRITABLE] = {"layer-world-writable", I, false,
                                 "--deep: a world-writable file, or directory without the sticky bit, in a layer",
                                 NULL},
    [VF_LAYER_NOT_READ] = {"layer-not-read", I, false,
                           "--deep: a layer whose media type is no tar ocidig reads (in-toto JSON, encrypted, another "
                           "compression), or a zstd layer whose window is over 128 MiB: its contents are not checked",
                           NULL},
};

/* A code added to the enum and not here fails the build (the table is one short) or
 * tests/check_findings.c (a hole in the middle has no name). */
_Static_assert(sizeof table / sizeof *table == VF_N_CODES, "findings.c: one entry per oci_vcode");

const oci_vcode_info *oci_vcode_get(oci_vcode c)
{
  return (unsigned)c < VF_N_CODES ? &table[c] : &table[VF_BLOB_UNREADABLE];
}

/* The one mapping from the library's error codes (a graph node's, a read's) to findings: the
 * same name where the condition is the same; what could not be read is blob-unreadable (what
 * resolve calls io-error, truncated-archive, ...). */
oci_vcode oci_vcode_of(ocidig_code rc)
{
  switch (rc) {
  case OCIDIG_ERR_BAD_OCI_LAYOUT:
    return VF_BAD_OCI_LAYOUT;
  case OCIDIG_ERR_MISSING_INDEX_JSON:
    return VF_MISSING_INDEX_JSON;
  case OCIDIG_ERR_LIMIT:
    return VF_LIMIT_EXCEEDED;
  case OCIDIG_ERR_BLOB_MISSING:
    return VF_BLOB_MISSING;
  case OCIDIG_ERR_INVALID_DIGEST:
    return VF_INVALID_DIGEST;
  case OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM:
    return VF_UNSUPPORTED_DIGEST_ALGORITHM;
  case OCIDIG_ERR_SIZE_MISMATCH:
    return VF_SIZE_MISMATCH;
  case OCIDIG_ERR_DIGEST_MISMATCH:
    return VF_DIGEST_MISMATCH;
  case OCIDIG_ERR_INVALID_JSON:
    return VF_INVALID_JSON;
  case OCIDIG_ERR_KIND_MISMATCH:
    return VF_KIND_MISMATCH;
  case OCIDIG_ERR_NESTING_TOO_DEEP:
    return VF_NESTING_TOO_DEEP;
  case OCIDIG_ERR_INDEX_CYCLE:
    return VF_INDEX_CYCLE;
  case OCIDIG_ERR_JSON_TOO_LARGE:
    return VF_JSON_TOO_LARGE;
  default:
    return VF_BLOB_UNREADABLE;
  }
}

const oci_vcode_info *oci_vcode_table(size_t *n)
{
  *n = VF_N_CODES;
  return table;
}
