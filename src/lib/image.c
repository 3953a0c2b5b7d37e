/* image.c: the image a resolution selected, for `ocidig inspect` (ocidig_image_load,
 * ocidig_image_to_json): its manifest, config, layers, names, attestations and referrers,
 * the documents read through the graph (graph.h), the blobs found through the view; and
 * cat's lookups (ocidig_layout_find_digest, ocidig_layout_find_blob) over the view.  A
 * docker save differs only in wording: its image manifest is the view's (no registry
 * manifest), the image is known by its config. */
#include "attached.h"
#include "image.h"
#include "layout.h"

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
  ocidig_attached_free(img->attached, img->n_attached);
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

/* The index.json entry the resolution started from: the row at depth 1 with verdict selected. */
static const char *root_digest(const ocidig_resolution *r)
{
  for (size_t i = 0; i < r->n_rows; i++)
    if (r->rows[i].depth == 1 && r->rows[i].verdict == OCIDIG_VERDICT_SELECTED)
      return r->rows[i].desc.digest_string;
  return r->selected.digest_string;
}

/* A compact descriptor borrowing a public one's strings (to ask the graph for its document). */
static void gdesc_borrow(const ocidig_descriptor *d, oci_gdesc *out, oci_gdesc_more *more)
{
  memset(out, 0, sizeof *out);
  memset(more, 0, sizeof *more);
  out->media_type = d->media_type;
  out->digest = d->digest_string;
  out->size = d->size;
  out->digest_code = (int16_t)d->digest_code;
  if (d->has_data) {
    more->data = d->data;
    more->data_len = d->data_len;
    more->has_data = true;
    out->more = more;
  }
}

static ocidig_code copy_annotations(const oci_gnode *m, ocidig_image *img, ocidig_error *err)
{
  if (!m->n_annotations)
    return OCIDIG_OK;
  if (!(img->annotations = calloc(m->n_annotations, sizeof *img->annotations)))
    return oci_nomem(err);
  for (size_t i = 0; i < m->n_annotations; i++) {
    ocidig_annotation *a = &img->annotations[i];
    img->n_annotations = i + 1;
    if (!(a->key = oci_strdup(m->annotations[i].key)) || !(a->value = oci_strdup(oci_str(m->annotations[i].value))))
      return oci_nomem(err);
  }
  return OCIDIG_OK;
}

/* A docker save view: the synthesized manifest of the image resolve selected (resolve shows
 * it by its config, the image ID): the root's entry whose manifest has that config. */
static ocidig_code docker_manifest(oci_graph *g, oci_view *v, const oci_gnode *root, const ocidig_resolution *r,
                                   const oci_gdesc **out, ocidig_error *err)
{
  *out = NULL;
  for (size_t i = 0; i < root->n_children && !*out; i++) {
    const oci_gdesc *d = &root->children[i];
    const oci_gnode *n;
    ocidig_digest dg;
    ocidig_code rc;
    if (!oci_gdesc_digest(d, &dg) || oci_view_docker_image_of(v, &dg) == (size_t)-1)
      continue;
    if ((rc = oci_graph_open(g, d, &n, err)) != OCIDIG_OK)
      return rc;
    if (n->code == OCIDIG_OK && n->config && oci_streq(n->config->digest, r->config.digest_string))
      *out = d;
  }
  if (!*out)
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s: no image with the image ID %s", oci_view_root_name(v),
                    oci_str(r->config.digest_string));
  return OCIDIG_OK;
}

/* The RepoTags a hybrid's manifest.json gives the manifest m (its config and layers). */
static ocidig_code hybrid_names(oci_view *v, const oci_gnode *m, ocidig_image *img, ocidig_error *err)
{
  ocidig_digest cfg, *layers;
  char **tags = NULL;
  size_t n_tags = 0, nl = 0;
  ocidig_code rc;
  if (m->code != OCIDIG_OK || !m->config || !oci_gdesc_digest(m->config, &cfg))
    return OCIDIG_OK;
  if (!(layers = calloc(m->n_layers + 1, sizeof *layers)))
    return oci_nomem(err);
  for (size_t i = 0; i < m->n_layers; i++)
    if (oci_gdesc_digest(&m->layers[i], &layers[nl]))
      nl++;
  rc = nl == m->n_layers ? oci_view_repo_tags_for(v, &cfg, layers, nl, &tags, &n_tags, err) : OCIDIG_OK;
  free(layers);
  if (rc != OCIDIG_OK)
    return rc == OCIDIG_ERR_NOMEM ? rc : OCIDIG_OK; /* an unreadable manifest.json: warned by the notes */
  rc = oci_names_merge(&img->names, &img->n_names, tags, n_tags, err);
  oci_strv_free(tags, n_tags);
  return rc;
}

static ocidig_code load_oci(ocidig_layout *l, const ocidig_resolution *r, ocidig_image *img, ocidig_error *err)
{
  oci_graph *g;
  oci_view *v;
  const oci_gnode *m, *root;
  const oci_gdesc *synth = NULL;
  oci_gdesc gd;
  oci_gdesc_more gm;
  ocidig_code rc;
  const char *root_entry = root_digest(r);

  if ((rc = oci_graph_get(l, &g, err)) != OCIDIG_OK || (rc = oci_view_get(l, &v, err)) != OCIDIG_OK ||
      (rc = oci_graph_root(g, &root, err)) != OCIDIG_OK)
    return rc;
  /* A docker save: no registry manifest; the image is known by its config (the image ID). */
  if (oci_view_root_synthesized(v) && oci_view_format(v) == OCIDIG_FORMAT_DOCKER_ARCHIVE) {
    if ((rc = docker_manifest(g, v, root, r, &synth, err)) != OCIDIG_OK)
      return rc;
    root_entry = synth->digest;
  }
  img->registry_manifest = !synth;
  if ((!synth && oci_descriptor_copy(&img->manifest, &r->selected, err) != OCIDIG_OK) ||
      oci_descriptor_copy(&img->config, &r->config, err) != OCIDIG_OK ||
      (r->config.digest_string && !(img->image_id = oci_strdup(r->config.digest_string))))
    return oci_nomem(err);

  /* The manifest, from the graph, for what the resolution does not keep (its body's media
   * type, annotations, subject). */
  if (!synth && r->selected.digest_code != OCIDIG_OK)
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "manifest %s: not a valid digest",
                    oci_str(r->selected.digest_string));
  if (!synth)
    gdesc_borrow(&r->selected, &gd, &gm);
  if ((rc = oci_graph_open(g, synth ? synth : &gd, &m, err)) != OCIDIG_OK)
    return rc;
  if (m->code != OCIDIG_OK)
    return oci_fail(err, m->code, "%s", m->message);
  if ((!synth && m->body_media_type && !(img->manifest_media_type = oci_strdup(m->body_media_type))) ||
      (m->subject && m->subject->digest && !(img->subject = oci_strdup(m->subject->digest))))
    return oci_nomem(err);
  if ((rc = copy_annotations(m, img, err)) != OCIDIG_OK)
    return rc;

  /* The config: checked by the graph, then read whole for what inspect shows of it (the
   * graph keeps only its platform). */
  if (!r->config.digest_string) {
    oci_warning_push(&img->warnings, &img->n_warnings, "manifest %s has no config descriptor",
                     oci_str(r->selected.digest_string));
  } else if (r->config.digest_code != OCIDIG_OK) {
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "config %s: not a valid digest", r->config.digest_string);
  } else {
    const oci_gnode *cn;
    gdesc_borrow(&r->config, &gd, &gm);
    if ((rc = oci_graph_config(g, &gd, &cn, err)) != OCIDIG_OK)
      return rc;
    if (cn->code == OCIDIG_ERR_BLOB_MISSING) {
      oci_warning_push(&img->warnings, &img->n_warnings, "config %s is not in the layout: nothing of it is shown",
                       r->config.digest_string);
    } else if (cn->code != OCIDIG_OK) {
      return oci_fail(err, cn->code, "%s", cn->message);
    } else {
      uint8_t *data;
      size_t len;
      char what[OCIDIG_DIGEST_STRING_MAX + 16];
      if ((rc = oci_view_blob_read(v, &r->config.digest, r->config.size, OCIDIG_MAX_JSON_SIZE, &data, &len, err)) !=
          OCIDIG_OK)
        return rc;
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
    ocidig_entry e;
    img->n_layers = i + 1;
    if (oci_descriptor_copy(&ly->desc, &r->layers[i], err) != OCIDIG_OK)
      return oci_nomem(err);
    ly->compression = ocidig_layer_compression(ly->desc.media_type);
    if (img->config_read && i < img->cfg.n_diff_ids && !(ly->diff_id = oci_strdup(img->cfg.diff_ids[i])))
      return oci_nomem(err);
    ly->present = ly->desc.digest_code == OCIDIG_OK && oci_view_blob_stat(v, &ly->desc.digest, &e, NULL) == OCIDIG_OK;
    if (ly->present) {
      const char *member = oci_view_blob_member(v, &ly->desc.digest, NULL, NULL);
      if (member && !(ly->file = oci_strdup(member)))
        return oci_nomem(err);
    } else if (ly->desc.digest_code != OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM) {
      img->n_missing++; /* one of an unregistered algorithm cannot be verified: not missing */
    }
    img->layers_size = oci_size_add(img->layers_size, ly->desc.size);
  }
  if (img->config_read && img->cfg.n_diff_ids != r->n_layers && !synth) /* a docker save's: the view's warning */
    oci_warning_push(&img->warnings, &img->n_warnings, "the manifest lists %zu layers, its config %zu diff_ids",
                     r->n_layers, img->cfg.n_diff_ids);

  /* Names: the index.json entry's; attestations and referrers: from everything it reaches. */
  {
    oci_strset names;
    bool ok = true;
    oci_strset_init(&names, &img->names, &img->n_names);
    for (size_t i = 0; i < root->n_children && ok; i++)
      if (root_entry && oci_streq(root->children[i].digest, root_entry))
        ok = oci_entry_names_add(&root->children[i], &names);
    oci_strset_free(&names);
    if (!ok)
      return oci_nomem(err);
  }
  if (!synth && img->manifest.digest_string &&
      (rc = ocidig_find_related(l, img->manifest.digest_string, &img->related, &img->n_related, err)) != OCIDIG_OK)
    return rc;
  if (!synth && img->manifest.digest_string) {
    /* signatures and attestations of the manifest, or of the index.json entry it is in */
    oci_attached_table *t = NULL;
    const char *kids[1] = {root_entry};
    if ((rc = oci_attached_table_build(l, true, &t, err)) == OCIDIG_OK)
      rc = oci_attached_table_get(t, img->manifest.digest_string, kids, root_entry ? 1 : 0, &img->attached,
                                  &img->n_attached, err);
    oci_attached_table_free(t);
    if (rc != OCIDIG_OK)
      return rc;
  }
  /* A hybrid archive: the RepoTags of the manifest.json entries that describe this manifest
   * (the view's), and where manifest.json disagrees with index.json. */
  if (img->format == OCIDIG_FORMAT_HYBRID) {
    char **w = NULL;
    size_t n_w = 0;
    if ((rc = hybrid_names(v, m, img, err)) != OCIDIG_OK || (rc = oci_docker_hybrid_notes(v, &w, &n_w, err)) != OCIDIG_OK)
      return rc;
    for (size_t i = 0; i < n_w; i++)
      oci_warning_push(&img->warnings, &img->n_warnings, "%s", w[i]);
    oci_strv_free(w, n_w);
  }
  return OCIDIG_OK;
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
  {
    oci_view *v;
    if ((rc = oci_view_get(l, &v, err)) != OCIDIG_OK) {
      ocidig_image_free(img);
      return rc;
    }
    img->format = oci_view_format(v);
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
  rc = load_oci(l, r, img, err);
  if (rc != OCIDIG_OK) {
    ocidig_image_free(img);
    return rc;
  }
  *out = img;
  return OCIDIG_OK;
}

/* ------------------------------------------------------------ cat's lookups */

/* Adds d to the candidates when `want` names it (once). */
static bool note_candidate(char ***v, size_t *n, const char *d, const char *want)
{
  if (!d || !ocidig_digest_matches(d, want))
    return true;
  for (size_t i = 0; i < *n; i++)
    if (!strcmp((*v)[i], d))
      return true;
  return oci_strv_push(v, n, d);
}

ocidig_code ocidig_layout_find_digest(ocidig_layout *l, const char *prefix, char *out, ocidig_error *err)
{
  ocidig_digest d;
  const ocidig_entry *ents;
  size_t n_ents, n = 0;
  char **cand = NULL;
  bool ok = true, cimage;
  oci_view *v;
  ocidig_code rc;

  if (!l || !prefix || !out)
    return oci_fail(err, OCIDIG_ERR_USAGE, "no layout or no digest given");
  if (ocidig_digest_parse(prefix, strlen(prefix), &d, NULL) == OCIDIG_OK) {
    ocidig_digest_format(&d, out);
    return OCIDIG_OK;
  }
  if (strchr(prefix, ':') && (!ocidig_digest_is_prefix(prefix) || (strncmp(prefix, "sha256:", 7) &&
                                                                   strncmp(prefix, "sha512:", 7))))
    return ocidig_digest_parse(prefix, strlen(prefix), &d, err); /* its own message: grammar, algorithm */
  if (!strncmp(prefix, "sha256:", 7) && strlen(prefix + 7) > 64)
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "%s is not a digest, nor a prefix of one: sha256 takes %d to 64 "
                                                    "hex digits",
                    prefix, OCIDIG_MIN_DIGEST_PREFIX);
  if (!ocidig_digest_is_prefix(prefix))
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST,
                    "%s is not a digest, nor a prefix of one (\"alg:HEX\" or \"HEX\" with at least %d lowercase hex "
                    "digits)",
                    prefix, OCIDIG_MIN_DIGEST_PREFIX);
  /* the blobs present */
  cimage = oci_view_get(l, &v, NULL) == OCIDIG_OK && oci_view_format(v) == OCIDIG_FORMAT_CIMAGE_DIR;
  if ((rc = ocidig_layout_scan_all(l, err)) != OCIDIG_OK || (rc = ocidig_layout_entries(l, &ents, &n_ents, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < n_ents && ok; i++) {
    ocidig_digest_alg alg;
    const char *hex;
    char s[OCIDIG_DIGEST_STRING_MAX];
    if (ents[i].type == OCIDIG_ENTRY_DIRECTORY)
      continue;
    if (!(hex = oci_blob_path_hex(ents[i].path, &alg))) {
      /* a dir: layout names its blobs by their hex (sha256), in each image's folder */
      const char *slash = strrchr(ents[i].path, '/'), *base = slash ? slash + 1 : ents[i].path;
      if (!cimage || strlen(base) != 64 || !ocidig_digest_is_prefix(base))
        continue;
      hex = base;
      alg = OCIDIG_DIGEST_SHA256;
    }
    snprintf(s, sizeof s, "%s:%s", ocidig_digest_alg_name(alg), hex);
    ok = note_candidate(&cand, &n, s, prefix);
  }
  /* the view: the root index's descriptors (not the documents a view synthesized: no file
   * holds them), and a docker save's image IDs, layer digests and diff_ids (manifest.json as
   * the view read it) */
  if (ok && oci_view_get(l, &v, NULL) == OCIDIG_OK) {
    oci_graph *g;
    const oci_gnode *root;
    const ocidig_docker_archive *a = NULL;
    if (oci_graph_get(l, &g, NULL) == OCIDIG_OK && oci_graph_root(g, &root, NULL) == OCIDIG_OK &&
        root->code == OCIDIG_OK)
      for (size_t i = 0; i < root->n_children && ok; i++) {
        ocidig_digest dg;
        const oci_gdesc *c = &root->children[i];
        if (!oci_gdesc_digest(c, &dg) || !oci_view_blob_synthesized(v, &dg))
          ok = note_candidate(&cand, &n, c->digest, prefix);
      }
    if (ok && oci_view_docker_archive(v, &a, NULL) == OCIDIG_OK && a)
      for (size_t i = 0; i < a->n_images && ok; i++) {
        const ocidig_docker_image *im = &a->images[i];
        ok = note_candidate(&cand, &n, im->image_id, prefix) && note_candidate(&cand, &n, im->config_digest, prefix);
        for (size_t k = 0; k < im->n_layers && ok; k++)
          ok = note_candidate(&cand, &n, im->layers[k].digest, prefix) &&
               note_candidate(&cand, &n, im->layers[k].diff_id, prefix);
      }
  }
  if (!ok) {
    oci_strv_free(cand, n);
    return oci_nomem(err);
  }
  if (n == 1) {
    snprintf(out, OCIDIG_DIGEST_STRING_MAX, "%s", cand[0]);
    rc = OCIDIG_OK;
  } else if (n == 0) {
    rc = oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "no blob or descriptor of %s has a digest that begins with %s",
                  ocidig_layout_is_archive(l) && !strcmp(oci_layout_path(l), "-") ? "standard input" : oci_layout_path(l), prefix);
  } else {
    oci_buf b = {0};
    for (size_t i = 0; i < n && i < 10; i++)
      oci_buf_printf(&b, "%s%s", i ? ", " : "", cand[i]);
    rc = oci_fail(err, OCIDIG_ERR_REF_AMBIGUOUS, "%s is ambiguous: %zu digests begin with it: %s%s; give more digits",
                  prefix, n, b.s ? b.s : "", n > 10 ? ", ..." : "");
    oci_buf_free(&b);
  }
  oci_strv_free(cand, n);
  return rc;
}

ocidig_code ocidig_layout_find_blob(ocidig_layout *l, const ocidig_digest *digest, char *out, size_t out_size,
                                    ocidig_error *err)
{
  char ds[OCIDIG_DIGEST_STRING_MAX];
  const char *member;
  oci_view *v;
  ocidig_code rc;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(digest, "the digest", err);
  OCI_REQUIRE(out && out_size, "out", err);
  *out = 0;
  ocidig_digest_format(digest, ds);
  if ((rc = oci_view_get(l, &v, NULL)) != OCIDIG_OK) {
    /* No root to read (a bare blobs/ folder, an oci-layout of another version): the blob
     * is where an OCI layout keeps it, found there or not. */
    if (rc == OCIDIG_ERR_NOMEM)
      return oci_nomem(err);
    if (out_size < OCIDIG_DIGEST_STRING_MAX + 8)
      return oci_fail(err, OCIDIG_ERR_LIMIT, "%s: the name of the file that holds it is too long", ds);
    ocidig_digest_blob_path(digest, out);
    return OCIDIG_OK;
  }
  if (!(member = oci_view_blob_member(v, digest, NULL, NULL)))
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING,
                    "%s is a document made from %s (no file of the %s holds it: the format has no registry manifest)",
                    ds, oci_view_root_name(v), ocidig_layout_is_archive(l) ? "archive" : "directory");
  if (strlen(member) >= out_size)
    return oci_fail(err, OCIDIG_ERR_LIMIT, "%s: the name of the file that holds it is too long", ds);
  memcpy(out, member, strlen(member) + 1);
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
  json_object_object_add(root, "attached", oci_attached_json(img->attached, img->n_attached));
  json_object_object_add(root, "warnings", oci_jstrv(img->warnings, img->n_warnings));
  return oci_jtext(root, pretty);
}
