/* root.c: the start every command shares, above the layout: which format the root holds
 * (index.json, manifest.json) and oci-layout's check.  It reads the layout only through its
 * functions (layout.h, ocidig.h) and calls nothing above it: the view (view.c) builds on it. */
#include "layout.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

/* oci-layout (doc/resolution.md §2.1): one check for every command, so that one condition gets one
 * code, one exit status and one message. */
/* doc: when given and oci-layout is valid, its parsed document (the caller frees it), for
 * the duplicate keys verify reports: the file is read once. */
static ocidig_code check_oci_layout(ocidig_layout *l, bool *absent, oci_json_doc *out, ocidig_error *err)
{
  static const char expected[] = "expected {\"imageLayoutVersion\": \"1.0.0\"}";
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  json_object *v;
  ocidig_error e;
  ocidig_code rc;

  if (absent)
    *absent = false;
  if (!l)
    return oci_fail(err, OCIDIG_ERR_USAGE, "no layout given");
  rc = ocidig_layout_read_file(l, "oci-layout", 64 * 1024, &data, &len, &e);
  if (rc == OCIDIG_ERR_BLOB_MISSING) {
    if (absent)
      *absent = true;
    return OCIDIG_OK;
  }
  if (rc == OCIDIG_ERR_JSON_TOO_LARGE)
    return oci_fail(err, OCIDIG_ERR_BAD_OCI_LAYOUT, "oci-layout: larger than 64 KiB; %s", expected);
  if (rc != OCIDIG_OK) {
    /* an unreadable oci-layout: the layout cannot be read as one (exit 3), whatever the command.
     * The message is passed as it is: it names oci-layout when it is about that file, and
     * otherwise (an archive cut or corrupt in another member read on the way) it is not. */
    return oci_fail(err, rc, "%s", e.message);
  }
  rc = oci_json_parse(data, len, "oci-layout", &doc, &e);
  free(data);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_fail(err, rc, "%s", e.message);
  if (rc != OCIDIG_OK)
    return oci_fail(err, OCIDIG_ERR_BAD_OCI_LAYOUT, "%s; %s", e.message, expected);
  v = oci_json_get(doc.root, "imageLayoutVersion");
  if (!json_object_is_type(doc.root, json_type_object)) {
    rc = oci_fail(err, OCIDIG_ERR_BAD_OCI_LAYOUT, "oci-layout is %s, not an object; %s",
                  oci_json_type_name(doc.root), expected);
  } else if (!v || !json_object_is_type(v, json_type_string)) {
    rc = oci_fail(err, OCIDIG_ERR_BAD_OCI_LAYOUT, "oci-layout: imageLayoutVersion is %s; expected the string \"1.0.0\"",
                  v ? oci_json_type_name(v) : "absent");
  } else if (strcmp(json_object_get_string(v), "1.0.0") || json_object_get_string_len(v) != 5) {
    char *q = oci_quote(json_object_get_string(v), (size_t)json_object_get_string_len(v), 80);
    rc = oci_fail(err, OCIDIG_ERR_BAD_OCI_LAYOUT, "oci-layout: imageLayoutVersion is %s; expected \"1.0.0\"",
                  q ? q : "?");
    free(q);
  }
  if (rc == OCIDIG_OK && out)
    *out = doc;
  else
    oci_json_doc_free(&doc);
  return rc;
}

ocidig_code ocidig_layout_check_oci_layout(ocidig_layout *l, bool *absent, ocidig_error *err)
{
  return check_oci_layout(l, absent, NULL, err);
}

/* The start every command shares, in one order (RESOLUTION.md §7.5: a missing index.json is
 * the root failure): which of index.json and manifest.json the root holds first, then, for
 * an OCI layout (index.json there), oci-layout.  A docker save archive (manifest.json, no
 * index.json) has no oci-layout to check.  absent and doc as check_oci_layout (optional). */
ocidig_code oci_layout_check_root(ocidig_layout *l, ocidig_layout_format *format, bool *absent, oci_json_doc *doc,
                                  ocidig_error *err)
{
  ocidig_code rc;
  if (absent)
    *absent = false;
  if (doc)
    memset(doc, 0, sizeof *doc);
  if ((rc = ocidig_layout_format_detect(l, format, err)) != OCIDIG_OK)
    return rc;
  if (*format == OCIDIG_FORMAT_NONE)
    return oci_fail(err, OCIDIG_ERR_MISSING_INDEX_JSON,
                    "%s: neither index.json (an OCI layout) nor manifest.json (a docker save archive)", oci_layout_path(l));
  if (*format == OCIDIG_FORMAT_DOCKER_ARCHIVE || *format == OCIDIG_FORMAT_CIMAGE_DIR)
    return OCIDIG_OK;
  return check_oci_layout(l, absent, doc, err);
}
