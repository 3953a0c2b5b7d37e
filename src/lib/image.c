/* image.c: the image a resolution selected, for `ocidig inspect` (ocidig_image_load,
 * ocidig_image_to_json): its manifest, config, layers, names, attestations and referrers.
 * Also, until graph.c is the one walk, the graph of everything index.json reaches (indexes
 * and manifests, read once each; never a layer) that ls, inspect and related.c read, with
 * the comparison of a hybrid archive's manifest.json against it; and the small helpers the
 * files of image.h share. */
#include "image.h"

/* ------------------------------------------------------------ small helpers */

static bool strv_has(char **v, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (!strcmp(v[i], s))
      return true;
  return false;
}

bool oci_strv_add_unique(char ***v, size_t *n, const char *s)
{
  if (!s || !*s || strv_has(*v, *n, s))
    return true;
  return oci_strv_push(v, n, s);
}

void oci_warning_push(char ***v, size_t *n, const char *fmt, ...)
{
  char buf[OCIDIG_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  oci_strv_add_unique(v, n, buf);
}

void oci_descriptors_free(ocidig_descriptor *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    ocidig_descriptor_clear(&v[i]);
  free(v);
}


/* ------------------------------------------------------------ the graph */

static void gnode_free(oci_gnode *n)
{
  free(n->digest);
  ocidig_descriptor_clear(&n->desc);
  free(n->parent);
  free(n->error);
  oci_descriptors_free(n->kids, n->n_kids);
  free(n->body_media_type);
  free(n->artifact_type);
  free(n->subject);
  ocidig_descriptor_clear(&n->config);
  oci_descriptors_free(n->layers, n->n_layers);
  oci_annotations_free(n->annotations, n->n_annotations);
  ocidig_platform_clear(&n->cfg_platform);
  free(n->cfg_error);
}

void oci_igraph_free(oci_igraph *g)
{
  oci_descriptors_free(g->roots, g->n_roots);
  for (size_t i = 0; i < g->n_nodes; i++)
    gnode_free(&g->nodes[i]);
  free(g->nodes);
  oci_strtab_free(&g->by_digest);
  oci_strv_free(g->warnings, g->n_warnings);
  memset(g, 0, sizeof *g);
}

static const char *node_key(const void *ctx, size_t i)
{
  return ((const oci_igraph *)ctx)->nodes[i].digest;
}

oci_gnode *oci_igraph_node(const oci_igraph *g, const char *digest)
{
  size_t i = oci_strtab_find(&g->by_digest, digest, node_key, g);
  return i == OCI_STRTAB_NONE ? NULL : &g->nodes[i];
}

/* The "manifests" of an index document, each decoded. */
static ocidig_code parse_manifests(json_object *root, const char *what, ocidig_descriptor **out, size_t *n,
                                   ocidig_error *err)
{
  json_object *arr = oci_json_get(root, "manifests");
  size_t len;
  *out = NULL;
  *n = 0;
  if (!arr)
    return OCIDIG_OK;
  if (!json_object_is_type(arr, json_type_array))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"manifests\" must be an array, not %s", what,
                    oci_json_type_name(arr));
  len = json_object_array_length(arr);
  if (len > OCIDIG_MAX_INDEX_DESCRIPTORS)
    return oci_fail(err, OCIDIG_ERR_LIMIT, "%s: %zu descriptors, more than the limit of %d", what, len,
                    OCIDIG_MAX_INDEX_DESCRIPTORS);
  *out = calloc(len ? len : 1, sizeof **out);
  if (!*out)
    return oci_nomem(err);
  for (size_t i = 0; i < len; i++) {
    char where[300];
    ocidig_code rc;
    snprintf(where, sizeof where, "%.200s manifests[%zu]", what, i);
    if ((rc = oci_descriptor_parse(json_object_array_get_idx(arr, i), where, &(*out)[i], err)) != OCIDIG_OK) {
      oci_descriptors_free(*out, *n);
      *out = NULL;
      *n = 0;
      return rc;
    }
    *n = i + 1;
  }
  return OCIDIG_OK;
}

/* What the graph keeps of a manifest document. */
static ocidig_code manifest_doc_parse(json_object *root, const char *what, oci_gnode *n, ocidig_error *err)
{
  json_object *c, *layers, *subject;
  ocidig_code rc;
  if ((rc = oci_json_string_field(root, "mediaType", what, &n->body_media_type, err)) != OCIDIG_OK ||
      (rc = oci_json_string_field(root, "artifactType", what, &n->artifact_type, err)) != OCIDIG_OK ||
      (rc = oci_annotations_parse(root, "annotations", what, &n->annotations, &n->n_annotations, false, err)) != OCIDIG_OK)
    return rc;
  if ((c = oci_json_get(root, "config")) != NULL) {
    char where[300];
    snprintf(where, sizeof where, "%.200s config", what);
    if ((rc = oci_descriptor_parse(c, where, &n->config, err)) != OCIDIG_OK)
      return rc;
    n->has_config = true;
  }
  if ((layers = oci_json_get(root, "layers")) != NULL) {
    size_t len;
    if (!json_object_is_type(layers, json_type_array))
      return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"layers\" must be an array, not %s", what,
                      oci_json_type_name(layers));
    len = json_object_array_length(layers);
    n->layers = calloc(len ? len : 1, sizeof *n->layers);
    if (!n->layers)
      return oci_nomem(err);
    for (size_t i = 0; i < len; i++) {
      char where[300];
      snprintf(where, sizeof where, "%.200s layers[%zu]", what, i);
      if ((rc = oci_descriptor_parse(json_object_array_get_idx(layers, i), where, &n->layers[i], err)) != OCIDIG_OK)
        return rc;
      n->n_layers = i + 1;
    }
  }
  if ((subject = oci_json_get(root, "subject")) != NULL) {
    ocidig_descriptor s;
    char where[300];
    snprintf(where, sizeof where, "%.200s subject", what);
    if ((rc = oci_descriptor_parse(subject, where, &s, err)) != OCIDIG_OK)
      return rc;
    n->subject = s.digest_string;
    s.digest_string = NULL;
    ocidig_descriptor_clear(&s);
  }
  return OCIDIG_OK;
}

static void node_error(oci_gnode *n, const ocidig_error *e)
{
  n->code = e->code;
  free(n->error);
  n->error = oci_strdup(e->message);
}

static ocidig_code igraph_visit(oci_igraph *g, const ocidig_descriptor *d, const char *parent, unsigned level,
                               ocidig_error *err);

/* Reads a node's document and, for an index, visits its children. */
static ocidig_code igraph_read(oci_igraph *g, size_t ni, unsigned level, ocidig_error *err)
{
  oci_gnode *n = &g->nodes[ni];
  uint8_t *data = NULL;
  size_t len = 0;
  oci_json_doc doc;
  ocidig_error e;
  ocidig_code rc;
  char what[OCIDIG_DIGEST_STRING_MAX + 16];
  bool is_index = n->kind == OCIDIG_KIND_INDEX;
  json_object *body_mt;

  snprintf(what, sizeof what, "%s %s", is_index ? "index" : "manifest", n->digest);
  if (is_index && level > OCIDIG_MAX_INDEX_NESTING) {
    oci_fail(&e, OCIDIG_ERR_NESTING_TOO_DEEP, "%s is nested %u levels deep, more than the limit of %d", what, level,
             OCIDIG_MAX_INDEX_NESTING);
    n->present = true;
    node_error(n, &e);
    return OCIDIG_OK;
  }
  rc = ocidig_layout_read_blob(g->layout, &n->desc.digest, n->desc.size, OCIDIG_MAX_JSON_SIZE, &data, &len, &e);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc == OCIDIG_ERR_BLOB_MISSING)
    return OCIDIG_OK;
  n->present = true;
  if (rc != OCIDIG_OK) {
    node_error(n, &e);
    return OCIDIG_OK;
  }
  rc = oci_json_parse(data, len, what, &doc, &e);
  free(data);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    node_error(n, &e);
    return OCIDIG_OK;
  }
  if (!json_object_is_type(doc.root, json_type_object))
    rc = oci_fail(&e, OCIDIG_ERR_INVALID_JSON, "%s is %s, not an object", what, oci_json_type_name(doc.root));
  else if ((body_mt = oci_json_get(doc.root, "mediaType")) && !json_object_is_type(body_mt, json_type_string))
    rc = oci_fail(&e, OCIDIG_ERR_INVALID_JSON, "%s: \"mediaType\" must be a string, not %s", what,
                  oci_json_type_name(body_mt));
  else if (oci_json_has(doc.root, "fsLayers"))
    rc = oci_fail(&e, OCIDIG_ERR_KIND_MISMATCH, "%s: a Docker schema 1 manifest (fsLayers) behind %s", what,
                  oci_str(n->desc.media_type));
  else if (is_index && (oci_json_has(doc.root, "config") || oci_json_has(doc.root, "layers") ||
                        (body_mt && ocidig_media_type_kind(json_object_get_string(body_mt)) == OCIDIG_KIND_MANIFEST)))
    rc = oci_fail(&e, OCIDIG_ERR_KIND_MISMATCH, "%s: expected an index (%s) but the body is a manifest", what,
                  oci_str(n->desc.media_type));
  else if (!is_index && (oci_json_has(doc.root, "manifests") ||
                         (body_mt && ocidig_media_type_kind(json_object_get_string(body_mt)) == OCIDIG_KIND_INDEX)))
    rc = oci_fail(&e, OCIDIG_ERR_KIND_MISMATCH, "%s: expected a manifest (%s) but the body is an index", what,
                  oci_str(n->desc.media_type));
  else if (is_index)
    rc = parse_manifests(doc.root, what, &n->kids, &n->n_kids, &e);
  else
    rc = manifest_doc_parse(doc.root, what, n, &e);
  oci_json_doc_free(&doc);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    node_error(n, &e);
    return OCIDIG_OK;
  }
  if (is_index) {
    /* The children array does not move while g->nodes grows. */
    const ocidig_descriptor *kids = n->kids;
    size_t n_kids = n->n_kids;
    const char *self = n->digest;
    for (size_t i = 0; i < n_kids; i++)
      if ((rc = igraph_visit(g, &kids[i], self, level + 1, err)) != OCIDIG_OK)
        return rc;
  }
  return OCIDIG_OK;
}

static ocidig_code igraph_visit(oci_igraph *g, const ocidig_descriptor *d, const char *parent, unsigned level,
                               ocidig_error *err)
{
  oci_gnode *n;
  size_t ni;
  if (d->digest_code != OCIDIG_OK) {
    oci_warning_push(&g->warnings, &g->n_warnings, "a descriptor in %s has an invalid digest %s: skipped", parent,
                 d->digest_string ? d->digest_string : "(none)");
    return OCIDIG_OK;
  }
  if (oci_igraph_node(g, d->digest_string))
    return OCIDIG_OK;
  if (!oci_grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes))
    return oci_nomem(err);
  ni = g->n_nodes;
  n = &g->nodes[ni];
  memset(n, 0, sizeof *n);
  n->kind = ocidig_media_type_kind(d->media_type);
  if (!(n->digest = oci_strdup(d->digest_string)) || !(n->parent = oci_strdup(parent)) ||
      oci_descriptor_copy(&n->desc, d, err) != OCIDIG_OK) {
    gnode_free(n);
    return oci_nomem(err);
  }
  g->n_nodes++;
  if (!oci_strtab_put(&g->by_digest, ni, node_key, g, false))
    return oci_nomem(err);
  if (n->kind == OCIDIG_KIND_OTHER) {
    /* Not a type this tool reads; only its presence is known. */
    ocidig_entry e;
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    ocidig_digest_blob_path(&n->desc.digest, path);
    n->present = ocidig_layout_stat(g->layout, path, &e, NULL) == OCIDIG_OK;
    return OCIDIG_OK;
  }
  return igraph_read(g, ni, level, err);
}

ocidig_code oci_igraph_build(ocidig_layout *l, oci_igraph *g, ocidig_error *err)
{
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  ocidig_code rc;

  memset(g, 0, sizeof *g);
  g->layout = l;
  rc = ocidig_layout_read_file(l, "index.json", OCIDIG_MAX_JSON_SIZE, &data, &len, err);
  if (rc != OCIDIG_OK)
    return rc;
  rc = oci_json_parse(data, len, "index.json", &doc, err);
  free(data);
  if (rc != OCIDIG_OK)
    return rc;
  if (!json_object_is_type(doc.root, json_type_object))
    rc = oci_fail(err, OCIDIG_ERR_INVALID_JSON, "index.json is %s, not an object", oci_json_type_name(doc.root));
  else
    rc = parse_manifests(doc.root, "index.json", &g->roots, &g->n_roots, err);
  oci_json_doc_free(&doc);
  for (size_t i = 0; i < g->n_roots && rc == OCIDIG_OK; i++)
    rc = igraph_visit(g, &g->roots[i], "index.json", 1, err);
  if (rc != OCIDIG_OK)
    oci_igraph_free(g);
  return rc;
}

ocidig_code oci_igraph_config(oci_igraph *g, oci_gnode *n)
{
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  ocidig_error e;
  char what[OCIDIG_DIGEST_STRING_MAX + 16];
  if (n->cfg_state)
    return n->cfg_code;
  n->cfg_state = 2;
  snprintf(what, sizeof what, "config %s", oci_str(n->config.digest_string));
  if (!n->has_config)
    oci_fail(&e, OCIDIG_ERR_INVALID_DIGEST, "manifest %s has no config descriptor", n->digest);
  else if (n->config.digest_code != OCIDIG_OK)
    oci_fail(&e, n->config.digest_code, "%s: not a valid digest", what);
  else if (ocidig_layout_read_blob(g->layout, &n->config.digest, n->config.size, OCIDIG_MAX_JSON_SIZE, &data, &len,
                                   &e) == OCIDIG_OK) {
    ocidig_code rc = oci_json_parse(data, len, what, &doc, &e);
    free(data);
    if (rc == OCIDIG_OK) {
      if (!json_object_is_type(doc.root, json_type_object))
        oci_fail(&e, OCIDIG_ERR_INVALID_JSON, "%s is %s, not an object", what, oci_json_type_name(doc.root));
      else if (oci_platform_parse_json(doc.root, what, &n->cfg_platform, NULL, &e) == OCIDIG_OK)
        n->cfg_state = 1;
      oci_json_doc_free(&doc);
    }
  }
  if (n->cfg_state == 1)
    return n->cfg_code = OCIDIG_OK;
  n->cfg_code = e.code;
  n->cfg_error = oci_strdup(e.message);
  return n->cfg_code;
}

bool oci_blob_present(ocidig_layout *l, const ocidig_descriptor *d, int64_t *size)
{
  char path[OCIDIG_DIGEST_STRING_MAX + 8];
  ocidig_entry e;
  if (size)
    *size = -1;
  if (d->digest_code != OCIDIG_OK)
    return false;
  ocidig_digest_blob_path(&d->digest, path);
  if (ocidig_layout_stat(l, path, &e, NULL) != OCIDIG_OK)
    return false;
  if (size)
    *size = e.size;
  return true;
}

bool oci_entry_names_add(const ocidig_descriptor *d, char ***names, size_t *n)
{
  const char *c = ocidig_descriptor_annotation(d, ANN_CONTAINERD_NAME);
  const char *r = ocidig_descriptor_annotation(d, ANN_REF_NAME);
  if (c && *c && !oci_strv_add_unique(names, n, c))
    return false;
  if (r && *r) {
    size_t cl = c ? strlen(c) : 0, rl = strlen(r);
    bool tag_of_c = c && cl > rl && c[cl - rl - 1] == ':' && !strcmp(c + cl - rl, r);
    if (!tag_of_c && !oci_strv_add_unique(names, n, r))
      return false;
  }
  return true;
}

/* ------------------------------------------------------------ hybrid archives */

/* Do the layer digests of a manifest equal the files manifest.json lists? */
static bool same_layers(const oci_gnode *n, const ocidig_docker_image *im)
{
  if (n->n_layers != im->n_layers)
    return false;
  for (size_t i = 0; i < im->n_layers; i++)
    if (!im->layers[i].digest || !oci_streq(im->layers[i].digest, n->layers[i].digest_string))
      return false;
  return true;
}

bool oci_docker_image_describes(const oci_gnode *n, const ocidig_docker_image *im)
{
  const char *cfg = im->config_digest ? im->config_digest : im->image_id;
  return n && n->kind == OCIDIG_KIND_MANIFEST && n->has_config && cfg && oci_streq(n->config.digest_string, cfg) &&
         same_layers(n, im);
}

bool oci_names_match(const char *a, const char *b)
{
  static const char *const prefixes[] = {"docker.io/library/", "docker.io/", "index.docker.io/library/",
                                         "index.docker.io/"};
  const char *sa = a, *sb = b;
  if (!strcmp(a, b))
    return true;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    size_t k = strlen(prefixes[i]);
    if (sa == a && !strncmp(a, prefixes[i], k))
      sa = a + k;
    if (sb == b && !strncmp(b, prefixes[i], k))
      sb = b + k;
  }
  return !strcmp(sa, sb);
}

ocidig_code oci_igraph_compare_docker(oci_igraph *g, ocidig_docker_archive *a)
{
  for (size_t i = 0; i < a->n_images; i++) {
    ocidig_docker_image *im = &a->images[i];
    const char *label = im->n_repo_tags ? im->repo_tags[0] : oci_str(im->image_id);
    const char *cfg = im->config_digest ? im->config_digest : im->image_id;
    const oci_gnode *match = NULL, *layers_match = NULL;
    if (im->config_code == OCIDIG_ERR_BLOB_MISSING)
      oci_warning_push(&a->warnings, &a->n_warnings, "manifest.json: image %s: its config %s is not in the archive",
                   label, im->config_path);
    for (size_t k = 0; k < im->n_layers; k++)
      if (!im->layers[k].file)
        oci_warning_push(&a->warnings, &a->n_warnings, "manifest.json: image %s: layer %s is not in the archive", label,
                     im->layers[k].path);
    if (!cfg)
      continue;
    for (size_t k = 0; k < g->n_nodes && !layers_match; k++) {
      const oci_gnode *n = &g->nodes[k];
      if (n->kind != OCIDIG_KIND_MANIFEST || !n->has_config || !oci_streq(n->config.digest_string, cfg))
        continue;
      if (!match)
        match = n;
      if (same_layers(n, im))
        layers_match = n;
    }
    if (!match) {
      oci_warning_push(&a->warnings, &a->n_warnings,
                   "manifest.json disagrees with index.json: image %s (config %s) is not an image that index.json "
                   "reaches",
                   label, cfg);
      continue;
    }
    if (!layers_match)
      oci_warning_push(&a->warnings, &a->n_warnings,
                   "manifest.json disagrees with index.json: image %s lists other layers than manifest %s, which "
                   "has the same config",
                   label, match->digest);
    /* Its RepoTags should be names index.json gives an entry leading to this manifest. */
    for (size_t t = 0; t < im->n_repo_tags; t++) {
      bool named = false;
      for (size_t r = 0; r < g->n_roots && !named; r++) {
        const char *names[2] = {ocidig_descriptor_annotation(&g->roots[r], ANN_CONTAINERD_NAME),
                                ocidig_descriptor_annotation(&g->roots[r], ANN_REF_NAME)};
        for (int j = 0; j < 2 && !named; j++)
          named = names[j] && oci_names_match(names[j], im->repo_tags[t]);
      }
      if (!named)
        oci_warning_push(&a->warnings, &a->n_warnings,
                     "manifest.json disagrees with index.json: RepoTag %s is not a name index.json gives", im->repo_tags[t]);
    }
  }
  return OCIDIG_OK;
}

ocidig_code ocidig_docker_archive_compare(ocidig_layout *l, ocidig_docker_archive *a, ocidig_error *err)
{
  oci_igraph g;
  ocidig_code rc;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(a, "the archive", err);
  if ((rc = oci_igraph_build(l, &g, err)) != OCIDIG_OK)
    return rc;
  rc = oci_igraph_compare_docker(&g, a);
  oci_igraph_free(&g);
  return rc;
}

/* ------------------------------------------------------------ inspect */

void ocidig_image_free(ocidig_image *img)
{
  if (!img)
    return;
  oci_strv_free(img->names, img->n_names);
  ocidig_descriptor_clear(&img->manifest);
  free(img->manifest_media_type);
  oci_annotations_free(img->annotations, img->n_annotations);
  free(img->subject);
  free(img->image_id);
  ocidig_platform_clear(&img->platform);
  ocidig_descriptor_clear(&img->config);
  ocidig_image_config_clear(&img->cfg);
  for (size_t i = 0; i < img->n_layers; i++) {
    ocidig_descriptor_clear(&img->layers[i].desc);
    free(img->layers[i].diff_id);
    free(img->layers[i].file);
  }
  free(img->layers);
  ocidig_related_free(img->related, img->n_related);
  oci_strv_free(img->warnings, img->n_warnings);
  free(img);
}

/* Parses the config's bytes into img->cfg. */
static ocidig_code load_config_bytes(ocidig_image *img, uint8_t *data, size_t len, const char *what,
                                     ocidig_error *err)
{
  ocidig_code rc = ocidig_image_config_parse(data, len, what, &img->cfg, err);
  free(data);
  if (rc == OCIDIG_OK)
    img->config_read = true;
  return rc;
}

static ocidig_code layers_alloc(ocidig_image *img, size_t n, ocidig_error *err)
{
  img->layers = calloc(n ? n : 1, sizeof *img->layers);
  return img->layers ? OCIDIG_OK : oci_nomem(err);
}

static ocidig_code load_docker(ocidig_layout *l, const ocidig_resolution *r, ocidig_image *img, ocidig_error *err)
{
  ocidig_docker_archive *a = NULL;
  const ocidig_docker_image *im = NULL;
  ocidig_code rc;
  uint8_t *data;
  size_t len;

  img->registry_manifest = false;
  if ((rc = ocidig_docker_archive_read(l, &a, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < a->n_images && !im; i++)
    if (oci_streq(a->images[i].image_id, r->selected.digest_string))
      im = &a->images[i];
  if (!im) {
    ocidig_docker_archive_free(a);
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "manifest.json: no image with the image ID %s",
                    oci_str(r->selected.digest_string));
  }
  for (size_t i = 0; i < a->n_warnings; i++)
    oci_warning_push(&img->warnings, &img->n_warnings, "%s", a->warnings[i]);
  for (size_t i = 0; i < im->n_repo_tags; i++)
    if (!oci_strv_add_unique(&img->names, &img->n_names, im->repo_tags[i]))
      goto nomem;
  if (!(img->image_id = oci_strdup(im->image_id)) || oci_descriptor_copy(&img->config, &r->config, err) != OCIDIG_OK)
    goto nomem;
  if ((rc = layers_alloc(img, im->n_layers, err)) != OCIDIG_OK)
    goto out;
  for (size_t i = 0; i < im->n_layers && i < r->n_layers; i++) {
    ocidig_image_layer *ly = &img->layers[i];
    img->n_layers = i + 1;
    if (oci_descriptor_copy(&ly->desc, &r->layers[i], err) != OCIDIG_OK)
      goto nomem;
    ly->compression = "uncompressed";
    ly->present = im->layers[i].file != NULL;
    ly->diff_id = oci_strdup(im->layers[i].diff_id);
    ly->file = oci_strdup(im->layers[i].file);
    if (!ly->present)
      img->n_missing++;
    img->layers_size = oci_size_add(img->layers_size, ly->desc.size);
  }
  rc = ocidig_layout_read_file(l, im->config_file, OCIDIG_MAX_JSON_SIZE, &data, &len, err);
  if (rc == OCIDIG_OK) {
    char what[OCIDIG_MAX_PATH_LENGTH + 16];
    snprintf(what, sizeof what, "config %s", im->config_path);
    rc = load_config_bytes(img, data, len, what, err);
  }
  goto out;
nomem:
  rc = oci_nomem(err);
out:
  ocidig_docker_archive_free(a);
  return rc;
}

/* The index.json entry the resolution started from: the row at depth 1 with verdict selected. */
static const char *root_digest(const ocidig_resolution *r)
{
  for (size_t i = 0; i < r->n_rows; i++)
    if (r->rows[i].depth == 1 && r->rows[i].verdict == OCIDIG_VERDICT_SELECTED)
      return r->rows[i].desc.digest_string;
  return r->selected.digest_string;
}

static ocidig_code load_oci(ocidig_layout *l, const ocidig_resolution *r, ocidig_image *img, ocidig_error *err)
{
  oci_igraph g;
  ocidig_code rc;
  uint8_t *data = NULL;
  size_t len = 0;
  oci_json_doc doc;
  const char *root = root_digest(r);
  char what[OCIDIG_DIGEST_STRING_MAX + 16];

  img->registry_manifest = true;
  if (oci_descriptor_copy(&img->manifest, &r->selected, err) != OCIDIG_OK ||
      oci_descriptor_copy(&img->config, &r->config, err) != OCIDIG_OK ||
      (r->config.digest_string && !(img->image_id = oci_strdup(r->config.digest_string))))
    return oci_nomem(err);

  /* The manifest once more, for what the resolution does not keep (annotations, subject). */
  snprintf(what, sizeof what, "manifest %s", oci_str(r->selected.digest_string));
  if (r->selected.digest_code != OCIDIG_OK)
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "%s: not a valid digest", what);
  if (r->selected.has_data && (int64_t)r->selected.data_len == r->selected.size) {
    if ((data = malloc(r->selected.data_len + 1)) == NULL)
      return oci_nomem(err);
    memcpy(data, r->selected.data, r->selected.data_len);
    len = r->selected.data_len;
    {
      char hex[129];
      oci_hash_hex(r->selected.digest.alg, data, len, hex);
      if (strcmp(hex, r->selected.digest.hex)) {
        free(data);
        data = NULL;
      }
    }
  }
  if (!data && (rc = ocidig_layout_read_blob(l, &r->selected.digest, r->selected.size, OCIDIG_MAX_JSON_SIZE, &data,
                                             &len, err)) != OCIDIG_OK)
    return rc;
  rc = oci_json_parse(data, len, what, &doc, err);
  free(data);
  if (rc != OCIDIG_OK)
    return rc;
  if (json_object_is_type(doc.root, json_type_object)) {
    oci_gnode tmp;
    memset(&tmp, 0, sizeof tmp);
    rc = manifest_doc_parse(doc.root, what, &tmp, err);
    img->manifest_media_type = tmp.body_media_type;
    img->annotations = tmp.annotations;
    img->n_annotations = tmp.n_annotations;
    img->subject = tmp.subject;
    tmp.body_media_type = NULL;
    tmp.annotations = NULL;
    tmp.n_annotations = 0;
    tmp.subject = NULL;
    gnode_free(&tmp);
  }
  oci_json_doc_free(&doc);
  if (rc != OCIDIG_OK)
    return rc;

  /* The config. */
  if (!r->config.digest_string) {
    oci_warning_push(&img->warnings, &img->n_warnings, "manifest %s has no config descriptor",
                 oci_str(r->selected.digest_string));
  } else if (r->config.digest_code != OCIDIG_OK) {
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "config %s: not a valid digest", r->config.digest_string);
  } else {
    rc = ocidig_layout_read_blob(l, &r->config.digest, r->config.size, OCIDIG_MAX_JSON_SIZE, &data, &len, err);
    if (rc == OCIDIG_ERR_BLOB_MISSING) {
      oci_warning_push(&img->warnings, &img->n_warnings, "config %s is not in the layout: nothing of it is shown",
                   r->config.digest_string);
    } else if (rc != OCIDIG_OK) {
      return rc;
    } else {
      snprintf(what, sizeof what, "config %s", r->config.digest_string);
      if ((rc = load_config_bytes(img, data, len, what, err)) != OCIDIG_OK)
        return rc;
    }
  }

  /* The layers. */
  if ((rc = layers_alloc(img, r->n_layers, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < r->n_layers; i++) {
    ocidig_image_layer *ly = &img->layers[i];
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    img->n_layers = i + 1;
    if (oci_descriptor_copy(&ly->desc, &r->layers[i], err) != OCIDIG_OK)
      return oci_nomem(err);
    ly->compression = ocidig_layer_compression(ly->desc.media_type);
    if (img->config_read && i < img->cfg.n_diff_ids && !(ly->diff_id = oci_strdup(img->cfg.diff_ids[i])))
      return oci_nomem(err);
    ly->present = oci_blob_present(l, &ly->desc, NULL);
    if (ly->present) {
      ocidig_digest_blob_path(&ly->desc.digest, path);
      if (!(ly->file = oci_strdup(path)))
        return oci_nomem(err);
    } else {
      img->n_missing++;
    }
    img->layers_size = oci_size_add(img->layers_size, ly->desc.size);
  }
  if (img->config_read && img->cfg.n_diff_ids != r->n_layers)
    oci_warning_push(&img->warnings, &img->n_warnings, "the manifest lists %zu layers, its config %zu diff_ids",
                 r->n_layers, img->cfg.n_diff_ids);

  /* Names, attestations and referrers: from everything index.json reaches. */
  if ((rc = oci_igraph_build(l, &g, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < g.n_roots; i++)
    if (root && oci_streq(g.roots[i].digest_string, root) && !oci_entry_names_add(&g.roots[i], &img->names, &img->n_names))
      rc = oci_nomem(err);
  if (rc == OCIDIG_OK && img->manifest.digest_string)
    rc = oci_related_find(&g, img->manifest.digest_string, &img->related, &img->n_related, err);
  if (rc == OCIDIG_OK) {
    ocidig_docker_archive *a = NULL;
    bool has = false;
    ocidig_entry e;
    has = ocidig_layout_stat(l, "manifest.json", &e, NULL) == OCIDIG_OK;
    if (has && ocidig_docker_archive_read(l, &a, NULL) == OCIDIG_OK) {
      oci_igraph_compare_docker(&g, a);
      const oci_gnode *self = img->manifest.digest_string ? oci_igraph_node(&g, img->manifest.digest_string) : NULL;
      for (size_t i = 0; i < a->n_images; i++) {
        const ocidig_docker_image *im = &a->images[i];
        /* ctr export writes one entry per image, each with the config and layers of the
         * platform it kept: images that share a config are told apart by their layers. */
        if (oci_docker_image_describes(self, im))
          for (size_t t = 0; t < im->n_repo_tags; t++) {
            bool dup = false;
            for (size_t k = 0; k < img->n_names && !dup; k++)
              dup = oci_names_match(img->names[k], im->repo_tags[t]);
            if (!dup && !oci_strv_push(&img->names, &img->n_names, im->repo_tags[t]))
              rc = oci_nomem(err);
          }
      }
      for (size_t i = 0; i < a->n_warnings; i++)
        oci_warning_push(&img->warnings, &img->n_warnings, "%s", a->warnings[i]);
    } else if (has) {
      oci_warning_push(&img->warnings, &img->n_warnings, "manifest.json (docker save) could not be read; index.json is used");
    }
    ocidig_docker_archive_free(a);
  }
  for (size_t i = 0; i < g.n_warnings; i++)
    oci_warning_push(&img->warnings, &img->n_warnings, "%s", g.warnings[i]);
  oci_igraph_free(&g);
  return rc;
}

ocidig_code ocidig_image_load(ocidig_layout *l, const ocidig_resolution *r, ocidig_image **out, ocidig_error *err)
{
  ocidig_image *img;
  ocidig_code rc;
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(r, "the resolution", err);
  if (r->outcome != OCIDIG_OUTCOME_SELECTED)
    return oci_fail(err, OCIDIG_ERR_USAGE, "no manifest was selected");
  if (!(img = calloc(1, sizeof *img)))
    return oci_nomem(err);
  if ((rc = ocidig_layout_format_detect(l, &img->format, err)) != OCIDIG_OK) {
    ocidig_image_free(img);
    return rc;
  }
  if (r->selected_has_platform) {
    if (ocidig_platform_copy(&img->platform, &r->selected_platform, err) != OCIDIG_OK) {
      ocidig_image_free(img);
      return oci_nomem(err);
    }
    img->has_platform = true;
    img->platform_source = r->platform_source;
  }
  for (size_t i = 0; i < r->n_warnings; i++)
    oci_warning_push(&img->warnings, &img->n_warnings, "%s", r->warnings[i]);
  rc = ocidig_resolution_is_docker_archive(r) ? load_docker(l, r, img, err) : load_oci(l, r, img, err);
  if (rc != OCIDIG_OK) {
    ocidig_image_free(img);
    return rc;
  }
  *out = img;
  return OCIDIG_OK;
}

/* ------------------------------------------------------------ JSON */

static json_object *jmap(const ocidig_annotation *v, size_t n)
{
  json_object *o = json_object_new_object();
  for (size_t i = 0; i < n; i++)
    json_object_object_add(o, v[i].key, json_object_new_string(oci_str(v[i].value)));
  return o;
}

static json_object *jdesc(const ocidig_descriptor *d)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "digest", oci_jstr(d->digest_string));
  json_object_object_add(o, "mediaType", oci_jstr(d->media_type));
  json_object_object_add(o, "size", json_object_new_int64(d->size));
  return o;
}

static json_object *jplatform(const ocidig_platform *p)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "os", json_object_new_string(oci_str(p->os)));
  json_object_object_add(o, "architecture", json_object_new_string(oci_str(p->architecture)));
  json_object_object_add(o, "variant", json_object_new_string(oci_str(p->variant)));
  json_object_object_add(o, "os.version", json_object_new_string(oci_str(p->os_version)));
  json_object_object_add(o, "os.features", oci_jstrv(p->os_features, p->n_os_features));
  return o;
}

static json_object *jconfig(const ocidig_image *img)
{
  const ocidig_image_config *c = &img->cfg;
  json_object *o = jdesc(&img->config), *h;
  if (!img->config_read)
    return o;
  json_object_object_add(o, "created", oci_jstr(c->created));
  json_object_object_add(o, "author", oci_jstr(c->author));
  json_object_object_add(o, "entrypoint", c->has_entrypoint ? oci_jstrv(c->entrypoint, c->n_entrypoint) : NULL);
  json_object_object_add(o, "cmd", c->has_cmd ? oci_jstrv(c->cmd, c->n_cmd) : NULL);
  json_object_object_add(o, "env", oci_jstrv(c->env, c->n_env));
  json_object_object_add(o, "workingDir", oci_jstr(c->working_dir));
  json_object_object_add(o, "user", oci_jstr(c->user));
  json_object_object_add(o, "exposedPorts", oci_jstrv(c->exposed_ports, c->n_exposed_ports));
  json_object_object_add(o, "volumes", oci_jstrv(c->volumes, c->n_volumes));
  json_object_object_add(o, "stopSignal", oci_jstr(c->stop_signal));
  json_object_object_add(o, "labels", jmap(c->labels, c->n_labels));
  json_object_object_add(o, "diffIds", oci_jstrv(c->diff_ids, c->n_diff_ids));
  h = json_object_new_array();
  for (size_t i = 0; i < c->n_history; i++) {
    const ocidig_history *hi = &c->history[i];
    json_object *e = json_object_new_object();
    json_object_object_add(e, "created", oci_jstr(hi->created));
    json_object_object_add(e, "createdBy", oci_jstr(hi->created_by));
    json_object_object_add(e, "author", oci_jstr(hi->author));
    json_object_object_add(e, "comment", oci_jstr(hi->comment));
    json_object_object_add(e, "emptyLayer", json_object_new_boolean(hi->empty_layer));
    json_object_object_add(e, "layer", hi->layer >= 0 ? json_object_new_int64(hi->layer) : NULL);
    json_object_array_add(h, e);
  }
  json_object_object_add(o, "history", h);
  return o;
}

static json_object *jrelated(const ocidig_related *r)
{
  json_object *o = jdesc(&r->desc);
  json_object_object_add(o, "foundIn", oci_jstr(r->found_in));
  json_object_object_add(o, "present", json_object_new_boolean(r->present));
  if (r->kind == OCIDIG_RELATED_REFERRER)
    json_object_object_add(o, "artifactType", oci_jstr(r->artifact_type));
  else
    json_object_object_add(o, "predicateTypes", oci_jstrv(r->predicate_types, r->n_predicate_types));
  if (r->desc.n_annotations)
    json_object_object_add(o, "annotations", jmap(r->desc.annotations, r->desc.n_annotations));
  return o;
}

char *ocidig_image_to_json(const ocidig_image *img, bool pretty)
{
  if (!img)
    return NULL;
  json_object *root = json_object_new_object();
  json_object *layers = json_object_new_array(), *att = json_object_new_array(), *ref = json_object_new_array();

  json_object_object_add(root, "format", json_object_new_string(ocidig_layout_format_name(img->format)));
  json_object_object_add(root, "registryManifest", json_object_new_boolean(img->registry_manifest));
  json_object_object_add(root, "names", oci_jstrv(img->names, img->n_names));
  if (img->registry_manifest) {
    json_object *m = jdesc(&img->manifest);
    json_object_object_add(m, "bodyMediaType", oci_jstr(img->manifest_media_type));
    json_object_object_add(m, "annotations", jmap(img->annotations, img->n_annotations));
    json_object_object_add(m, "subject", oci_jstr(img->subject));
    json_object_object_add(root, "manifest", m);
  } else {
    json_object_object_add(root, "manifest", NULL);
  }
  json_object_object_add(root, "imageId", oci_jstr(img->image_id));
  json_object_object_add(root, "platform", img->has_platform ? jplatform(&img->platform) : NULL);
  json_object_object_add(root, "platformSource", oci_jstr(img->platform_source));
  json_object_object_add(root, "config", img->config.digest_string ? jconfig(img) : NULL);
  for (size_t i = 0; i < img->n_layers; i++) {
    const ocidig_image_layer *ly = &img->layers[i];
    json_object *o = jdesc(&ly->desc);
    json_object_object_add(o, "compression", oci_jstr(ly->compression));
    json_object_object_add(o, "diffId", oci_jstr(ly->diff_id));
    json_object_object_add(o, "present", json_object_new_boolean(ly->present));
    if (ly->desc.n_annotations)
      json_object_object_add(o, "annotations", jmap(ly->desc.annotations, ly->desc.n_annotations));
    json_object_array_add(layers, o);
  }
  json_object_object_add(root, "layers", layers);
  json_object_object_add(root, "layersSize", json_object_new_int64(img->layers_size));
  json_object_object_add(root, "layersMissing", json_object_new_int64((int64_t)img->n_missing));
  for (size_t i = 0; i < img->n_related; i++)
    json_object_array_add(img->related[i].kind == OCIDIG_RELATED_ATTESTATION ? att : ref, jrelated(&img->related[i]));
  json_object_object_add(root, "attestations", att);
  json_object_object_add(root, "referrers", ref);
  json_object_object_add(root, "warnings", oci_jstrv(img->warnings, img->n_warnings));
  return oci_jtext(root, pretty);
}
