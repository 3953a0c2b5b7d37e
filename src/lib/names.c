/* names.c: what names an image.  In index.json, an entry's annotations
 * (io.containerd.image.name, org.opencontainers.image.ref.name); in a hybrid archive (a
 * docker manifest.json beside index.json: Docker 25+, ctr export), the RepoTags of each
 * manifest.json entry name the image whose manifest the entry describes: the same config
 * AND the same layers (ctr keeps one entry per image, and images may share a config; the
 * view answers that: oci_view_repo_tags_for).  ocidig_docker_archive_compare checks
 * manifest.json against what index.json reaches. */
#include "image.h"

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

static const char *strset_key(const void *ctx, size_t i)
{
  const oci_strset *s = ctx;
  return (*s->v)[i];
}

void oci_strset_init(oci_strset *s, char ***v, size_t *n)
{
  *s = (oci_strset){v, n, 0, {0}};
}

bool oci_strset_add(oci_strset *s, const char *str)
{
  if (!str || !*str)
    return true;
  for (; s->indexed < *s->n; s->indexed++)
    if (!oci_strtab_put(&s->tab, s->indexed, strset_key, s, false))
      return false;
  if (oci_strtab_find(&s->tab, str, strset_key, s) != OCI_STRTAB_NONE)
    return true;
  if (!oci_strv_push(s->v, s->n, str))
    return false;
  return true; /* indexed on the next add */
}

void oci_strset_free(oci_strset *s)
{
  oci_strtab_free(&s->tab);
}

bool oci_entry_names_add(const oci_gdesc *d, oci_strset *names)
{
  const char *c = oci_gdesc_annotation(d, ANN_CONTAINERD_NAME);
  const char *r = oci_gdesc_annotation(d, ANN_REF_NAME);
  if (c && *c && !oci_strset_add(names, c))
    return false;
  if (r && *r) {
    size_t cl = c ? strlen(c) : 0, rl = strlen(r);
    bool tag_of_c = c && cl > rl && c[cl - rl - 1] == ':' && !strcmp(c + cl - rl, r);
    if (!tag_of_c && !oci_strset_add(names, r))
      return false;
  }
  return true;
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

ocidig_code oci_names_merge(char ***names, size_t *n_names, char *const *tags, size_t n_tags, ocidig_error *err)
{
  for (size_t t = 0; t < n_tags; t++) {
    bool dup = false;
    for (size_t j = 0; j < *n_names && !dup; j++)
      dup = oci_names_match((*names)[j], tags[t]);
    if (!dup && !oci_strv_push(names, n_names, tags[t]))
      return oci_nomem(err);
  }
  return OCIDIG_OK;
}

/* Do the layer digests of a manifest equal the files manifest.json lists? */
static bool same_layers(const oci_gnode *n, const ocidig_docker_image *im)
{
  if (n->n_layers != im->n_layers)
    return false;
  for (size_t i = 0; i < im->n_layers; i++)
    if (!im->layers[i].digest || !oci_streq(im->layers[i].digest, n->layers[i].digest))
      return false;
  return true;
}

static const char *entry_config(const ocidig_docker_image *im)
{
  return im->config_digest ? im->config_digest : im->image_id;
}

static bool uses_config(const oci_gnode *n, const char *cfg)
{
  return n && n->kind == OCIDIG_KIND_MANIFEST && n->code == OCIDIG_OK && n->config && cfg &&
         oci_streq(n->config->digest, cfg);
}

/* ------------------------------------------------------------ manifest.json against the graph */

typedef struct manifests {
  const oci_gnode **v;
  size_t n, cap;
  bool nomem;
} manifests;

static bool collect_manifest(void *ctx, const oci_gnode *node, const oci_gdesc *d, unsigned depth)
{
  manifests *m = ctx;
  (void)d;
  (void)depth;
  if (node->code != OCIDIG_OK)
    return true;
  if (!oci_grow((void **)&m->v, &m->cap, m->n + 1, sizeof *m->v)) {
    m->nomem = true;
    return false;
  }
  m->v[m->n++] = node;
  return true;
}

ocidig_code ocidig_docker_archive_compare(ocidig_layout *l, ocidig_docker_archive *a, ocidig_error *err)
{
  static const oci_graph_visitor visitor = {.manifest = collect_manifest};
  manifests m = {0};
  oci_graph *g;
  const oci_gnode *root;
  ocidig_code rc;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(a, "the archive", err);
  if ((rc = oci_graph_get(l, &g, err)) != OCIDIG_OK || (rc = oci_graph_root(g, &root, err)) != OCIDIG_OK)
    return rc;
  if (root->code != OCIDIG_OK)
    return oci_fail(err, root->code, "%s", root->message);
  if ((rc = oci_graph_walk(g, &visitor, &m, err)) != OCIDIG_OK || m.nomem) {
    free(m.v);
    return rc != OCIDIG_OK ? rc : oci_nomem(err);
  }
  for (size_t i = 0; i < a->n_images; i++) {
    ocidig_docker_image *im = &a->images[i];
    const char *label = im->n_repo_tags ? im->repo_tags[0] : oci_str(im->image_id);
    const char *cfg = entry_config(im);
    const oci_gnode *match = NULL, *layers_match = NULL;
    if (im->config_code == OCIDIG_ERR_BLOB_MISSING)
      oci_warning_push(&a->warnings, &a->n_warnings, "manifest.json: image %s: its config %s is not in the archive",
                       label, im->config_path);
    for (size_t k = 0; k < im->n_layers; k++)
      if (!im->layers[k].file)
        oci_warning_push(&a->warnings, &a->n_warnings, "manifest.json: image %s: layer %s is not in the archive",
                         label, im->layers[k].path);
    if (!cfg)
      continue;
    for (size_t k = 0; k < m.n && !layers_match; k++) {
      if (!uses_config(m.v[k], cfg))
        continue;
      if (!match)
        match = m.v[k];
      if (same_layers(m.v[k], im))
        layers_match = m.v[k];
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
      for (size_t r = 0; r < root->n_children && !named; r++) {
        const char *names[2] = {oci_gdesc_annotation(&root->children[r], ANN_CONTAINERD_NAME),
                                oci_gdesc_annotation(&root->children[r], ANN_REF_NAME)};
        for (int j = 0; j < 2 && !named; j++)
          named = names[j] && oci_names_match(names[j], im->repo_tags[t]);
      }
      if (!named)
        oci_warning_push(&a->warnings, &a->n_warnings,
                         "manifest.json disagrees with index.json: RepoTag %s is not a name index.json gives",
                         im->repo_tags[t]);
    }
  }
  free(m.v);
  return OCIDIG_OK;
}
