/* resolve.c: the walk of doc/resolution.md §2-§5 from index.json to one manifest.
 *
 * containerd's images.Manifest tries only the first candidate of each index; this walk
 * goes on to the next one and gives every child of every index it opens one verdict.
 * Every document comes from the graph (graph.h): read and checked once per layout, whatever
 * route reaches it; this file reads none itself. */
#include "descriptor.h"
#include "graph.h"
#include "layout.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>

#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define ANN_REF_TYPE "vnd.docker.reference.type"
#define ANN_REF_DIGEST "vnd.docker.reference.digest"

typedef struct walk {
  ocidig_layout *layout;
  oci_graph *g;
  oci_view *v;      /* the view the graph reads (a docker save's, dir:'s or the layout itself) */
  const char *root; /* its root's name: "index.json", "manifest.json", ... */
  const ocidig_matcher *matcher;
  const ocidig_platform *host;
  ocidig_resolution *r;
  char *request_text;
  const char *stack[OCIDIG_MAX_INDEX_NESTING + 2]; /* digests of the open indexes */
  size_t depth;
  /* Indexes already walked without a match.  The answer inside an index depends only on
   * its digest and the matcher, so a second path to it is not walked again: without
   * this, an index graph where each level lists the next twice takes 2^depth steps. */
  char **no_match;
  size_t n_no_match;
  size_t dropped_warnings;
  bool nomem; /* something of the answer (a row, a reason, a warning) could not be kept */
} walk;

typedef enum step { STEP_SELECTED, STEP_SKIPPED, STEP_ERROR } step;

/* ---------------------------------------------------------------- helpers */

static void warn(walk *w, const char *fmt, ...) OCI_PRINTF(2, 3);
static void warn(walk *w, const char *fmt, ...)
{
  va_list ap;
  char buf[OCIDIG_ERROR_MESSAGE_MAX];
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* Bounded: a hostile layout can make a warning per descriptor. */
  if (w->r->n_warnings >= OCIDIG_MAX_WARNINGS) {
    w->dropped_warnings++;
    return;
  }
  for (size_t i = 0; i < w->r->n_warnings; i++)
    if (!strcmp(w->r->warnings[i], buf))
      return;
  if (!oci_strv_push(&w->r->warnings, &w->r->n_warnings, buf))
    w->nomem = true;
}

static char *format_raw_platform(const oci_gdesc *d)
{
  if (!d->platform)
    return oci_strdup("(no platform)");
  if (!d->platform->os && !d->platform->architecture && !d->platform->variant)
    return oci_strdup("{}");
  return ocidig_platform_format(d->platform);
}

static const char *digest_text(const oci_gdesc *d)
{
  return d->digest && *d->digest ? d->digest : "(no digest)";
}

/* s, a string the answer needs; NULL (out of memory) is noted. */
static char *need(walk *w, char *s)
{
  if (!s)
    w->nomem = true;
  return s;
}

/* Match, with out of memory noted (as no match). */
static bool matches(walk *w, const ocidig_platform *p)
{
  bool yes;
  ocidig_error e;
  if (ocidig_matcher_test(w->matcher, p, &yes, &e) != OCIDIG_OK)
    w->nomem = true;
  return yes;
}

/* Appends a row; returns its index, or (size_t)-1 when out of memory. */
static size_t add_row(walk *w, const char *parent, const oci_gdesc *d, ocidig_verdict v, unsigned depth,
                      const char *reason)
{
  ocidig_resolution *r = w->r;
  ocidig_row *rows;
  ocidig_row *row;
  if (r->n_rows >= OCIDIG_MAX_WALK_ROWS)
    return (size_t)-1;
  rows = realloc(r->rows, (r->n_rows + 1) * sizeof *rows);
  if (!rows)
    return (size_t)-1;
  r->rows = rows;
  row = &rows[r->n_rows];
  memset(row, 0, sizeof *row);
  row->parent = oci_strdup(parent);
  row->verdict = v;
  row->depth = depth;
  row->reason = oci_strdup(reason ? reason : "");
  if (oci_gdesc_expand(d, &row->desc, NULL) != OCIDIG_OK || !row->parent || !row->reason) {
    free(row->parent);
    free(row->reason);
    ocidig_descriptor_clear(&row->desc);
    return (size_t)-1;
  }
  return r->n_rows++;
}

static ocidig_code fail(walk *w, ocidig_code code, const char *fmt, ...) OCI_PRINTF(3, 4);

/* Why add_row gave no row: the row limit, or memory. */
static ocidig_code row_failed(walk *w)
{
  if (w->r->n_rows >= OCIDIG_MAX_WALK_ROWS)
    return fail(w, OCIDIG_ERR_LIMIT, "the walk met more than %d descriptors", OCIDIG_MAX_WALK_ROWS);
  return fail(w, OCIDIG_ERR_NOMEM, "out of memory");
}

static void set_row(walk *w, size_t i, ocidig_verdict v, const char *reason)
{
  ocidig_row *row;
  if (i == (size_t)-1)
    return;
  row = &w->r->rows[i];
  row->verdict = v;
  if (reason) {
    char *s = oci_strdup(reason);
    if (s) {
      free(row->reason);
      row->reason = s;
    }
    w->nomem = w->nomem || !s;
  }
}

static ocidig_code fail(walk *w, ocidig_code code, const char *fmt, ...)
{
  va_list ap;
  w->r->error.code = code;
  va_start(ap, fmt);
  vsnprintf(w->r->error.message, sizeof w->r->error.message, fmt, ap);
  va_end(ap);
  return code;
}

static ocidig_code fail_with(walk *w, const ocidig_error *e)
{
  w->r->error = *e;
  return e->code;
}

/* A buildx attestation manifest, named as such in reasons. */
static char *attestation_note(const oci_gdesc *d)
{
  const char *type = oci_gdesc_annotation(d, ANN_REF_TYPE);
  const char *target = oci_gdesc_annotation(d, ANN_REF_DIGEST);
  if (!type || strcmp(type, "attestation-manifest"))
    return NULL;
  return oci_sprintf("buildx attestation manifest for %s", target && *target ? target : "(no digest named)");
}

/* ------------------------------------------------------------ documents */

/* The node behind d (an index or a manifest), with the warnings its reading gives: inline
 * data that does not check out (§5.10), duplicate keys (§5.7).  NULL: out of memory (the
 * walk's error is set). */
static const oci_gnode *open_node(walk *w, const oci_gdesc *d, const char *role)
{
  const oci_gnode *n;
  ocidig_error e;
  bool inline_ok;
  if (oci_gdesc_inline_check(d, &inline_ok, &e) != OCIDIG_OK) {
    fail_with(w, &e);
    return NULL;
  }
  if (oci_gdesc_more_of(d)->has_data && !inline_ok)
    warn(w, "%s %s: inline data does not match the descriptor's size and digest; ignored, the blob is read", role,
         digest_text(d));
  if (oci_graph_open(w->g, d, &n, &e) != OCIDIG_OK) {
    fail_with(w, &e);
    return NULL;
  }
  for (size_t i = 0; i < n->n_dup_keys; i++)
    warn(w, "%s: key \"%s\" appears twice in one object; the last one is used", n->name, n->dup_keys[i]);
  return n;
}

/* The five platform fields of manifest m's config (newest containerd: ConfigPlatform), read
 * through the graph: *out, or an error in *err (*missing: the config blob is absent). */
static ocidig_code config_platform(walk *w, const oci_gnode *m, const ocidig_platform **out, bool *missing,
                                   ocidig_error *err)
{
  const oci_gnode *c;
  ocidig_code rc;
  bool inline_ok;
  *missing = false;
  *out = NULL;
  if (!m->config)
    return oci_fail(err, m->config_code, "%s", oci_str(m->config_message));
  if ((rc = oci_gdesc_inline_check(m->config, &inline_ok, err)) != OCIDIG_OK)
    return rc;
  if (oci_gdesc_more_of(m->config)->has_data && !inline_ok)
    warn(w, "config %s: inline data does not match the descriptor's size and digest; ignored, the blob is read",
         digest_text(m->config));
  if ((rc = oci_graph_config(w->g, m->config, &c, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < c->n_dup_keys; i++)
    warn(w, "%s: key \"%s\" appears twice in one object; the last one is used", c->name, c->dup_keys[i]);
  if (c->code != OCIDIG_OK) {
    *missing = c->code == OCIDIG_ERR_BLOB_MISSING;
    return oci_fail(err, c->code, "%s", oci_str(c->message));
  }
  *out = c->platform;
  return OCIDIG_OK;
}

/* Fills what the answer shows of the selected manifest (best effort: the walk has
 * already checked what it needed). */
static void describe_selected(walk *w, const oci_gnode *m)
{
  ocidig_resolution *r = w->r;
  r->manifest_read = true;
  if (m->body_media_type)
    r->manifest_media_type = need(w, oci_strdup(m->body_media_type));
  if (m->config && oci_gdesc_expand(m->config, &r->config, NULL) != OCIDIG_OK) { /* out of memory */
    memset(&r->config, 0, sizeof r->config);
    w->nomem = true;
  }
  if (m->layers) {
    r->layers = calloc(m->n_layers ? m->n_layers : 1, sizeof *r->layers);
    if (!r->layers) {
      w->nomem = true;
      return;
    }
    for (size_t i = 0; i < m->n_layers; i++) {
      if (oci_gdesc_expand(&m->layers[i], &r->layers[r->n_layers], NULL) != OCIDIG_OK) {
        w->nomem = true;
        continue;
      }
      r->layers_size = oci_size_add(r->layers_size, r->layers[r->n_layers].size);
      r->n_layers++;
    }
  }
}

static void select_manifest(walk *w, const oci_gdesc *d, const ocidig_platform *platform, const char *source,
                            const oci_gnode *m)
{
  ocidig_resolution *r = w->r;
  ocidig_error e;
  if (oci_gdesc_expand(d, &r->selected, &e) != OCIDIG_OK)
    w->nomem = true;
  r->platform_source = source;
  if (platform) {
    if (ocidig_platform_normalize(platform, w->host, &r->selected_platform, &e) == OCIDIG_OK)
      r->selected_has_platform = true;
    else
      w->nomem = true; /* its only failure */
  }
  for (size_t i = 1; i < w->depth; i++)
    if (!oci_strv_push(&r->path, &r->n_path, w->stack[i]))
      w->nomem = true;
  describe_selected(w, m);
}

/* ------------------------------------------------------------------ walk */

/* The children of an index, as the graph keeps them. */
typedef struct child_list {
  const oci_gdesc *v;
  size_t n;
} child_list;

typedef struct oci_entry_pos {
  const char *digest; /* kids.v[pos].digest, "" for none */
  size_t pos;
} oci_entry_pos;

/* index.json's entries sorted by digest, for resolving them one by one (oci_entries_load). */
struct oci_entries {
  oci_entry_pos *order;
  size_t n;
};

static step walk_index(walk *w, const oci_gdesc *kids, size_t n_kids, const char *parent, unsigned level,
                       bool *found);

static step try_manifest(walk *w, const oci_gdesc *d, size_t row, bool is_root, char **reason)
{
  const oci_gnode *m;
  ocidig_error e;
  ocidig_code rc;
  const char *what;
  step result = STEP_ERROR;

  if (!(m = open_node(w, d, "manifest")))
    return STEP_ERROR;
  what = m->name;
  if (m->code == OCIDIG_ERR_BLOB_MISSING) {
    *reason = oci_sprintf("blob %s is not in the layout", digest_text(d));
    return STEP_SKIPPED;
  }
  if (m->code != OCIDIG_OK) {
    fail(w, m->code, "%s", oci_str(m->message));
    return STEP_ERROR;
  }

  if (is_root || !w->matcher) {
    /* The root is never platform-checked (§5.3); the nil matcher takes the first manifest. */
    const ocidig_platform *p = d->platform;
    const char *source = d->platform ? "descriptor" : NULL;
    if (is_root && !d->platform) {
      /* Its platform comes from its config, read as for any platform-less candidate
       * (§5.9): a config that is there but fails its checks is the same error on every
       * route; only an absent one leaves the platform unknown (a warning). */
      const ocidig_platform *cp;
      bool missing;
      rc = config_platform(w, m, &cp, &missing, &e);
      if (rc == OCIDIG_OK) {
        p = cp;
        source = "config";
      } else if (missing) {
        warn(w, "the platform of root %s could not be read from its config: %s", what, e.message);
      } else {
        fail_with(w, &e);
        return STEP_ERROR;
      }
    }
    if (is_root && w->matcher) {
      if (!p)
        ;
      else if (!matches(w, p)) {
        char *f = need(w, ocidig_platform_format(p));
        warn(w, "the selected %s is for %s (from its %s), which does not match the request %s", what, f ? f : "?",
             source, w->request_text);
        free(f);
      }
    }
    select_manifest(w, d, p, source, m);
    *reason = oci_strdup(is_root ? "the manifest --ref names (a root is not platform-checked)"
                                 : "the first manifest in document order (no platform filter)");
    return STEP_SELECTED;
  }

  if (d->platform) {
    char *f = need(w, format_raw_platform(d));
    select_manifest(w, d, d->platform, "descriptor", m);
    *reason = oci_sprintf("platform %s matches %s", f ? f : "?", w->request_text);
    free(f);
    result = STEP_SELECTED;
  } else {
    const ocidig_platform *cp;
    bool missing;
    rc = config_platform(w, m, &cp, &missing, &e);
    if (rc == OCIDIG_OK) {
      char *f = need(w, ocidig_platform_format(cp));
      if (matches(w, cp)) {
        select_manifest(w, d, cp, "config", m);
        *reason = oci_sprintf("no platform on the descriptor; its config %s says %s, which matches %s",
                              digest_text(m->config), f ? f : "?", w->request_text);
        result = STEP_SELECTED;
      } else {
        set_row(w, row, OCIDIG_VERDICT_CONFIG_PLATFORM_MISMATCH, NULL);
        *reason = oci_sprintf("no platform on the descriptor; its config %s says %s, which does not match %s",
                              digest_text(m->config), f ? f : "?", w->request_text);
        result = STEP_SKIPPED;
      }
      free(f);
    } else if (missing) {
      set_row(w, row, OCIDIG_VERDICT_BLOB_MISSING, NULL);
      *reason = oci_sprintf("no platform on the descriptor, and its config %s is not in the layout",
                            digest_text(m->config));
      result = STEP_SKIPPED;
    } else {
      fail_with(w, &e);
      result = STEP_ERROR;
    }
  }
  return result;
}

static step try_index(walk *w, const oci_gdesc *d, unsigned level, char **reason)
{
  const oci_gnode *n;
  bool found = false;
  step result;

  if (level > OCIDIG_MAX_INDEX_NESTING) {
    fail(w, OCIDIG_ERR_NESTING_TOO_DEEP, "index %s is nested %u levels deep, more than the limit of %d",
         digest_text(d), level, OCIDIG_MAX_INDEX_NESTING);
    return STEP_ERROR;
  }
  for (size_t i = 1; i < w->depth; i++)
    if (!strcmp(w->stack[i], oci_str(d->digest))) {
      fail(w, OCIDIG_ERR_INDEX_CYCLE, "index %s contains itself (a cycle)", digest_text(d));
      return STEP_ERROR;
    }
  for (size_t i = 0; i < w->n_no_match; i++)
    if (!strcmp(w->no_match[i], oci_str(d->digest))) {
      *reason = oci_sprintf("walked already on another path: nothing inside matches %s", w->request_text);
      return STEP_SKIPPED;
    }
  if (!(n = open_node(w, d, "index")))
    return STEP_ERROR;
  if (n->code == OCIDIG_ERR_BLOB_MISSING) {
    *reason = oci_sprintf("blob %s is not in the layout", digest_text(d));
    return STEP_SKIPPED;
  }
  if (n->code != OCIDIG_OK) {
    fail(w, n->code, "%s", oci_str(n->message));
    return STEP_ERROR;
  }
  if (n->no_manifests)
    warn(w, "%s has no \"manifests\": read as an empty index", n->name);
  w->stack[w->depth++] = oci_str(d->digest);
  result = walk_index(w, n->children, n->n_children, oci_str(d->digest), level, &found);
  w->depth--;
  if (result == STEP_ERROR)
    return STEP_ERROR;
  if (found) {
    *reason = oci_sprintf("the selected manifest is inside");
    return STEP_SELECTED;
  }
  oci_strv_push(&w->no_match, &w->n_no_match, oci_str(d->digest));
  *reason = oci_sprintf("nothing inside matches %s", w->request_text);
  return STEP_SKIPPED;
}

/* Tries one candidate whose row is `row`. */
static step try_candidate(walk *w, const oci_gdesc *d, size_t row, unsigned level, bool is_root)
{
  char *reason = NULL;
  step s;
  switch (ocidig_media_type_kind(d->media_type)) {
  case OCIDIG_KIND_MANIFEST:
    set_row(w, row, OCIDIG_VERDICT_BLOB_MISSING, NULL); /* the verdict if the blob is absent */
    s = try_manifest(w, d, row, is_root, &reason);
    if (s == STEP_SELECTED)
      set_row(w, row, OCIDIG_VERDICT_SELECTED, reason);
    else if (s == STEP_SKIPPED)
      set_row(w, row, w->r->rows[row].verdict, reason);
    break;
  case OCIDIG_KIND_INDEX:
    s = try_index(w, d, level, &reason);
    if (s == STEP_SELECTED)
      set_row(w, row, OCIDIG_VERDICT_SELECTED, reason);
    else if (s == STEP_SKIPPED)
      set_row(w, row,
              reason && !strncmp(reason, "blob ", 5) ? OCIDIG_VERDICT_BLOB_MISSING : OCIDIG_VERDICT_NO_MATCH_IN_INDEX,
              reason);
    break;
  default: {
    char *att = attestation_note(d);
    reason = oci_sprintf("media type %s is neither an image index nor an image manifest%s%s",
                         d->media_type && *d->media_type ? d->media_type : "(none)", att ? "; " : "",
                         att ? att : "");
    free(att);
    set_row(w, row, OCIDIG_VERDICT_UNKNOWN_MEDIA_TYPE, reason);
    s = STEP_SKIPPED;
    break;
  }
  }
  if (s == STEP_ERROR)
    set_row(w, row, OCIDIG_VERDICT_ERROR, w->r->error.message);
  else if (!reason) /* every other step gives one */
    w->nomem = true;
  free(reason);
  return s;
}

static step walk_index(walk *w, const oci_gdesc *kids, size_t n_kids, const char *parent, unsigned level,
                       bool *found)
{
  size_t n = n_kids, n_cand = 0, n_with = 0;
  size_t *cand = calloc(n ? n : 1, sizeof *cand);
  const ocidig_platform **plats = calloc(n ? n : 1, sizeof *plats);
  size_t *order = calloc(n ? n : 1, sizeof *order);
  step result = STEP_SKIPPED;
  unsigned child_level = level + 1;
  size_t i, k;

  *found = false;
  if (!cand || !plats || !order) {
    fail(w, OCIDIG_ERR_NOMEM, "out of memory");
    result = STEP_ERROR;
    goto out;
  }
  /* 1. Filter; the removed children come first, in document order. */
  for (i = 0; i < n; i++) {
    const oci_gdesc *d = &kids[i];
    if (w->matcher && d->platform && !matches(w, d->platform)) {
      char *f = need(w, format_raw_platform(d));
      char *att = attestation_note(d);
      char *reason = att ? oci_sprintf("%s (platform %s)", att, f ? f : "?")
                         : oci_sprintf("platform %s does not match %s", f ? f : "?", w->request_text);
      size_t row = add_row(w, parent, d, OCIDIG_VERDICT_PLATFORM_MISMATCH, child_level, reason);
      free(f);
      free(att);
      free(reason);
      if (row == (size_t)-1) {
        row_failed(w);
        result = STEP_ERROR;
        goto out;
      }
      continue;
    }
    if (d->platform || !w->matcher)
      plats[n_with] = d->platform, order[n_with++] = i;
  }
  /* 2. Sort: platform-bearing candidates by the matcher's preference, then the rest in
   * document order.  The nil matcher keeps document order for all. */
  if (w->matcher && n_with > 1) {
    size_t *perm = calloc(n_with, sizeof *perm);
    size_t *orig = malloc(n_with * sizeof *orig);
    ocidig_error e;
    if (!perm || !orig || ocidig_matcher_sort(w->matcher, plats, n_with, perm, &e) != OCIDIG_OK) {
      free(perm);
      free(orig);
      fail(w, OCIDIG_ERR_NOMEM, "out of memory");
      result = STEP_ERROR;
      goto out;
    }
    memcpy(orig, order, n_with * sizeof *orig);
    for (k = 0; k < n_with; k++)
      order[k] = orig[perm[k]];
    free(perm);
    free(orig);
  }
  for (k = 0; k < n_with; k++)
    cand[n_cand++] = order[k];
  if (w->matcher)
    for (i = 0; i < n; i++)
      if (!kids[i].platform)
        cand[n_cand++] = i;

  /* 3. Walk the candidates in that order; stop at the first success. */
  for (k = 0; k < n_cand; k++) {
    const oci_gdesc *d = &kids[cand[k]];
    size_t row = add_row(w, parent, d, OCIDIG_VERDICT_NOT_REACHED, child_level, "");
    step s;
    if (row == (size_t)-1) {
      row_failed(w);
      result = STEP_ERROR;
      break;
    }
    s = try_candidate(w, d, row, child_level, false);
    if (s == STEP_SELECTED) {
      *found = true;
      result = STEP_SELECTED;
      k++;
      break;
    }
    if (s == STEP_ERROR) {
      result = STEP_ERROR;
      k++;
      break;
    }
  }
  /* 4. The candidates after it are not reached (rows past the limit are not kept). */
  for (; k < n_cand; k++)
    if (add_row(w, parent, &kids[cand[k]], OCIDIG_VERDICT_NOT_REACHED, child_level,
                result == STEP_ERROR ? "not tried: the walk stopped on an error"
                                     : "ranked after the selected manifest") == (size_t)-1 &&
        w->r->n_rows < OCIDIG_MAX_WALK_ROWS)
      w->nomem = true;
out:
  free(cand);
  free(plats);
  free(order);
  return result;
}

/* ------------------------------------------------------------------ root */

static const char *image_name(const oci_gdesc *d)
{
  const char *n = oci_gdesc_annotation(d, ANN_REF_NAME);
  if (!n || !*n)
    n = oci_gdesc_annotation(d, ANN_CONTAINERD_NAME);
  return n && *n ? n : NULL;
}

static void list_names(const child_list *kids, oci_buf *b)
{
  size_t shown = 0;
  for (size_t i = 0; i < kids->n; i++) {
    const char *names[2] = {oci_gdesc_annotation(&kids->v[i], ANN_REF_NAME),
                            oci_gdesc_annotation(&kids->v[i], ANN_CONTAINERD_NAME)};
    for (int j = 0; j < 2; j++) {
      if (!names[j] || !*names[j])
        continue;
      if (shown++ == 20) {
        oci_buf_puts(b, ", ...");
        return;
      }
      oci_buf_printf(b, "%s%s", shown > 1 ? ", " : "", names[j]);
    }
  }
  if (!shown)
    oci_buf_puts(b, "(none)");
}

/* Does entry d answer --ref in this pass?  Pass 0: exact names (or, for "@...", the digest
 * or a prefix of 12+ hex digits); 1: the same reference in Docker's short form ("alpine:3"
 * is "docker.io/library/alpine:3", as Docker 25 writes io.containerd.image.name); 2: a
 * full name ending in ":NAME". */
static bool ref_hit(const oci_gdesc *d, const char *ref, int pass)
{
  const char *a, *c;
  if (ref[0] == '@')
    return pass == 0 && ocidig_digest_matches(d->digest, ref + 1);
  a = oci_gdesc_annotation(d, ANN_REF_NAME);
  c = oci_gdesc_annotation(d, ANN_CONTAINERD_NAME);
  if (pass == 0)
    return (a && !strcmp(a, ref)) || (c && !strcmp(c, ref));
  if (pass == 1)
    return (a && oci_reference_same(a, ref)) || (c && oci_reference_same(c, ref));
  return (a && oci_reference_has_tag(a, ref)) || (c && oci_reference_has_tag(c, ref));
}

static int compare_strings(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* §5.4: picks the entries of index.json that a --ref names. */
static ocidig_code pick_ref(walk *w, const child_list *kids, const oci_entries *pre, const char *ref, size_t *pick)
{
  size_t first = 0;
  bool hit = false, several = false;
  int pass;
  oci_buf b = {0};
  ocidig_code rc;
  if (pre && pre->n == kids->n && ref[0] == '@') {
    /* The first entry with that digest, found in the sorted positions. */
    size_t lo = 0, hi = kids->n;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (strcmp(pre->order[mid].digest, ref + 1) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < kids->n && !strcmp(pre->order[lo].digest, ref + 1)) {
      *pick = pre->order[lo].pos;
      return OCIDIG_OK;
    }
  }
  /* The first pass with any hit decides; entries with the same digest count as one hit. */
  for (pass = 0; pass < 3 && !hit; pass++)
    for (size_t i = 0; i < kids->n && !several; i++) {
      if (!ref_hit(&kids->v[i], ref, pass))
        continue;
      if (!hit) {
        hit = true;
        first = i;
      } else if (!oci_streq(kids->v[first].digest, kids->v[i].digest)) {
        several = true;
      }
    }
  pass--;
  if (hit && !several) {
    *pick = first;
    return OCIDIG_OK;
  }
  if (!hit) {
    list_names(kids, &b);
    rc = fail(w, OCIDIG_ERR_REF_NOT_FOUND, "--ref %s names no entry of %s (names there: %s)", ref, w->root,
              b.s ? b.s : "");
  } else {
    /* The entries of the pass that decided, and how many different digests they have. */
    const char **digests = malloc(kids->n * sizeof *digests);
    size_t n = 0, distinct = 0;
    for (size_t i = 0; i < kids->n; i++)
      if (ref_hit(&kids->v[i], ref, pass)) {
        oci_buf_printf(&b, "%s%s (%s)", b.len ? ", " : "", image_name(&kids->v[i]), digest_text(&kids->v[i]));
        if (digests)
          digests[n++] = oci_str(kids->v[i].digest);
      }
    if (digests) {
      qsort(digests, n, sizeof *digests, compare_strings);
      for (size_t i = 0; i < n; i++)
        distinct += i == 0 || strcmp(digests[i - 1], digests[i]) != 0;
      free(digests);
      rc = fail(w, OCIDIG_ERR_REF_AMBIGUOUS, "--ref %s is ambiguous: it names %zu different manifests: %s", ref,
                distinct, b.s ? b.s : "");
    } else {
      rc = fail(w, OCIDIG_ERR_REF_AMBIGUOUS, "--ref %s is ambiguous: it names several different manifests: %s", ref,
                b.s ? b.s : "");
    }
  }
  oci_buf_free(&b);
  return rc;
}

static void note_several_images(walk *w, const child_list *kids)
{
  const char *first = NULL;
  bool several = false;
  oci_buf b = {0};
  for (size_t i = 0; i < kids->n; i++) {
    const char *n = image_name(&kids->v[i]);
    if (!n)
      continue;
    if (first && strcmp(first, n))
      several = true;
    if (!first)
      first = n;
  }
  if (!several)
    return;
  /* The warning holds OCIDIG_ERROR_MESSAGE_MAX bytes: names past that would be cut anyway
   * (an index of 100,000 images made a 6 MB list). */
  for (size_t i = 0; i < kids->n && b.len < OCIDIG_ERROR_MESSAGE_MAX; i++) {
    const char *n = image_name(&kids->v[i]);
    if (n)
      oci_buf_printf(&b, "%s%s", b.len ? ", " : "", n);
  }
  warn(w, "%s names several images (%s); resolved over all of them as containerd would; pick one with --ref", w->root,
       b.s ? b.s : "");
  oci_buf_free(&b);
}

/* oci-layout: absent is a warning (§2.1); unreadable or another version stops. */
static ocidig_code check_oci_layout(walk *w, ocidig_error *err)
{
  bool absent = false;
  ocidig_code rc;
  if (w->v && oci_view_root_synthesized(w->v))
    return OCIDIG_OK; /* not an OCI layout: no oci-layout file to have */
  rc = ocidig_layout_check_oci_layout(w->layout, &absent, err);
  if (rc == OCIDIG_OK && absent)
    warn(w, "the layout has no oci-layout file");
  return rc;
}

/* After the walk: bad digests on descriptors the walk never needed (§4). */
static void warn_unneeded_bad_digests(walk *w)
{
  for (size_t i = 0; i < w->r->n_rows; i++) {
    const ocidig_row *row = &w->r->rows[i];
    const char *ds;
    ocidig_digest tmp;
    ocidig_error e;
    if (row->desc.digest_code == OCIDIG_OK || row->verdict == OCIDIG_VERDICT_ERROR)
      continue;
    ds = oci_str(row->desc.digest_string);
    ocidig_digest_parse(ds, strlen(ds), &tmp, &e);
    warn(w, "a descriptor in %s: %s", row->parent, e.message);
  }
}

/* The start (§2.1): the graph's root (index.json read, checked and decoded once per
 * layout), oci-layout checked.  *missing: there is no index.json (a docker save archive, or
 * nothing: MISSING_INDEX_JSON from the view). */
static ocidig_code read_root(walk *w, child_list *kids, bool *missing, ocidig_error *e)
{
  const oci_gnode *root;
  ocidig_code rc;

  memset(kids, 0, sizeof *kids);
  if ((rc = oci_graph_get(w->layout, &w->g, e)) != OCIDIG_OK) {
    *missing = rc == OCIDIG_ERR_MISSING_INDEX_JSON;
    return rc;
  }
  if ((rc = oci_view_get(w->layout, &w->v, e)) != OCIDIG_OK || (rc = oci_graph_root(w->g, &root, e)) != OCIDIG_OK)
    return rc;
  w->root = oci_view_root_name(w->v);
  /* the report names the root as the view does (index.json, manifest.json, ...) */
  if (!(w->r->root = oci_strdup(w->root)))
    return oci_nomem(e);
  w->r->root_format = oci_view_root_synthesized(w->v) ? oci_view_format(w->v) : OCIDIG_FORMAT_OCI;
  if (root->code == OCIDIG_ERR_BLOB_MISSING) {
    *missing = true;
    return oci_fail(e, root->code, "%s", oci_str(root->message));
  }
  if (!oci_view_root_synthesized(w->v) && (rc = check_oci_layout(w, e)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < root->n_dup_keys; i++)
    warn(w, "%s: key \"%s\" appears twice in one object; the last one is used", root->name, root->dup_keys[i]);
  if (root->code != OCIDIG_OK)
    return oci_fail(e, root->code, "%s", oci_str(root->message));
  if (root->no_manifests)
    warn(w, "%s has no \"manifests\": read as an empty index", root->name);
  kids->v = root->children;
  kids->n = root->n_children;
  return OCIDIG_OK;
}

static ocidig_code run(walk *w, const ocidig_resolve_options *opts, const oci_entries *pre)
{
  ocidig_resolution *r = w->r;
  child_list kids;
  ocidig_error e;
  ocidig_code rc;
  bool found = false, missing = false;

  rc = read_root(w, &kids, &missing, &e);
  if (missing)
    return fail(w, OCIDIG_ERR_MISSING_INDEX_JSON, "%s: no index.json: not an OCI image layout",
                ocidig_layout_is_archive(w->layout) ? "the archive has" : "the directory has");
  if (rc != OCIDIG_OK)
    return fail_with(w, &e);

  w->stack[w->depth++] = w->root;
  if (opts->ref) {
    size_t pick = 0, row;
    step s;
    /* a docker save: "@<image ID>" names the image's synthesized manifest */
    char *dref = oci_docker_ref(w->v, opts->ref);
    rc = pick_ref(w, &kids, dref ? NULL : pre, dref ? dref : opts->ref, &pick);
    free(dref);
    if (rc != OCIDIG_OK)
      return rc;
    row = add_row(w, w->root, &kids.v[pick], OCIDIG_VERDICT_NOT_REACHED, 1, "");
    if (row == (size_t)-1)
      return row_failed(w);
    s = try_candidate(w, &kids.v[pick], row, 1, true);
    found = s == STEP_SELECTED;
    rc = s == STEP_ERROR ? r->error.code : OCIDIG_OK;
  } else {
    step s;
    note_several_images(w, &kids);
    s = walk_index(w, kids.v, kids.n, w->root, 0, &found);
    rc = s == STEP_ERROR ? r->error.code : OCIDIG_OK;
  }
  /* Every index on the path to an error gets the verdict error (§5.2). */
  if (rc != OCIDIG_OK)
    return rc;
  r->outcome = found ? OCIDIG_OUTCOME_SELECTED : OCIDIG_OUTCOME_NO_MATCH;
  /* A manifest.json beside index.json (docker save >= 25, ctr export): where they disagree.
   * Not for each entry of a batch (oci_entries): its callers read no warnings. */
  if (!pre)
    oci_docker_hybrid_warnings(w->layout, r);
  return OCIDIG_OK;
}

/* The walk's answer came from a copy of a member that the archive contradicts later:
 * nothing of it stands.  The rows it selected become errors, as on any failed walk. */
static void drop_answer(ocidig_resolution *r)
{
  ocidig_descriptor_clear(&r->selected);
  ocidig_platform_clear(&r->selected_platform);
  r->selected_has_platform = false;
  r->platform_source = NULL;
  oci_strv_free(r->path, r->n_path);
  r->path = NULL;
  r->n_path = 0;
  r->manifest_read = false;
  free(r->manifest_media_type);
  r->manifest_media_type = NULL;
  ocidig_descriptor_clear(&r->config);
  for (size_t i = 0; i < r->n_layers; i++)
    ocidig_descriptor_clear(&r->layers[i]);
  free(r->layers);
  r->layers = NULL;
  r->n_layers = 0;
  r->layers_size = 0;
  for (size_t i = 0; i < r->n_rows; i++) {
    ocidig_row *row = &r->rows[i];
    if (row->verdict != OCIDIG_VERDICT_SELECTED)
      continue;
    row->verdict = OCIDIG_VERDICT_ERROR;
    free(row->reason);
    row->reason = oci_strdup(r->error.message);
  }
}

/* ocidig_resolve, and oci_resolve_entry with index.json decoded already (pre); layout and out
 * are not NULL. */
static ocidig_code resolve(ocidig_layout *layout, const ocidig_resolve_options *opts, const oci_entries *pre,
                           ocidig_resolution **out, ocidig_error *err)
{
  static const ocidig_resolve_options defaults; /* NULL options: the nil matcher, no --ref */
  walk w = {.layout = layout};
  ocidig_resolution *r;
  const char *const *lw;
  size_t nlw;
  ocidig_code rc;

  *out = NULL;
  if (!opts)
    opts = &defaults;
  w.matcher = opts->matcher;
  w.host = opts->host;
  r = calloc(1, sizeof *r);
  *out = r;
  if (!r)
    return oci_nomem(err);
  w.r = r;
  if (opts->matcher) {
    r->request = ocidig_platform_format(ocidig_matcher_request(opts->matcher));
  } else {
    r->request = oci_strdup("");
  }
  w.request_text = r->request && *r->request ? r->request : "(any platform)";
  rc = run(&w, opts, pre);
  if (w.v && !oci_docker_present(w.v, opts, r)) /* a docker save: said by image ID (wording only) */
    w.nomem = true;
  /* A lazy walk answers as soon as it has what it needs, so a later copy of a member it
   * read (tar extracts the last copy) would go unseen.  Where the rest of the archive
   * costs only headers, read on: such an archive is then refused as ambiguous
   * (corrupt-archive), not answered from the first copy.  A compressed archive is not
   * inflated to its end for this (issue 8's early stop); verify reads everything. */
  if (rc == OCIDIG_OK && oci_layout_rest_is_cheap(layout)) {
    ocidig_error e = {0};
    if (ocidig_layout_scan_all(layout, &e) != OCIDIG_OK) {
      if (oci_layout_ambiguous(layout)) {
        rc = fail_with(&w, &e);
        drop_answer(r);
      } else {
        /* Damage past everything the answer used (a cut-off last member, say) does not
         * change it, as on a compressed archive where the walk stops early. */
        warn(&w, "after the members resolve used: %s", e.message);
      }
    }
  }
  if (rc != OCIDIG_OK) {
    r->outcome = OCIDIG_OUTCOME_ERROR;
    if (err)
      *err = r->error;
  }
  warn_unneeded_bad_digests(&w);
  oci_strv_free(w.no_match, w.n_no_match);
  nlw = ocidig_layout_warnings(layout, &lw);
  for (size_t i = 0; i < nlw; i++)
    warn(&w, "%s", lw[i]);
  if (w.dropped_warnings) {
    char buf[96];
    snprintf(buf, sizeof buf, "%zu more warnings not shown", w.dropped_warnings);
    if (!oci_strv_push(&r->warnings, &r->n_warnings, buf))
      w.nomem = true;
  }
  /* An answer with a part missing for want of memory is no answer, and a walk cut short
   * by it says nothing of the layout (rows of a match not tried, ...): no resolution, as
   * ocidig.h says. */
  if (rc == OCIDIG_OK && (w.nomem || !r->request))
    rc = oci_nomem(err);
  if (rc == OCIDIG_ERR_NOMEM) {
    ocidig_resolution_free(r);
    *out = NULL;
  }
  return rc;
}

ocidig_code ocidig_resolve(ocidig_layout *layout, const ocidig_resolve_options *opts, ocidig_resolution **out,
                           ocidig_error *err)
{
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(layout, "the layout", err);
  return resolve(layout, opts, NULL, out, err);
}

/* ------------------------------------------------- one entry at a time */

static int order_cmp(const void *a, const void *b)
{
  const oci_entry_pos *x = a, *y = b;
  int c = strcmp(x->digest, y->digest);
  return c ? c : x->pos < y->pos ? -1 : x->pos > y->pos;
}

oci_entries *oci_entries_load(ocidig_layout *layout)
{
  oci_entries *pre = calloc(1, sizeof *pre);
  oci_graph *g;
  const oci_gnode *root = NULL;
  ocidig_error e;
  if (!pre)
    return NULL;
  /* index.json is the graph's, read once; what cannot be read, each resolution reports. */
  if (oci_graph_get(layout, &g, &e) == OCIDIG_OK && oci_graph_root(g, &root, &e) != OCIDIG_OK) {
    free(pre);
    return NULL;
  }
  if (root && root->code == OCIDIG_OK)
    pre->n = root->n_children;
  if (!(pre->order = calloc(pre->n ? pre->n : 1, sizeof *pre->order))) {
    free(pre);
    return NULL;
  }
  for (size_t i = 0; i < pre->n; i++)
    pre->order[i] = (oci_entry_pos){oci_str(root->children[i].digest), i};
  if (pre->n > 1)
    qsort(pre->order, pre->n, sizeof *pre->order, order_cmp);
  return pre;
}

void oci_entries_free(oci_entries *pre)
{
  if (!pre)
    return;
  free(pre->order);
  free(pre);
}

ocidig_code oci_resolve_entry(ocidig_layout *layout, const ocidig_resolve_options *opts, const oci_entries *pre,
                              ocidig_resolution **out, ocidig_error *err)
{
  return resolve(layout, opts, pre, out, err);
}

void ocidig_resolution_free(ocidig_resolution *r)
{
  if (!r)
    return;
  free(r->request);
  ocidig_descriptor_clear(&r->selected);
  ocidig_platform_clear(&r->selected_platform);
  oci_strv_free(r->path, r->n_path);
  free(r->manifest_media_type);
  ocidig_descriptor_clear(&r->config);
  for (size_t i = 0; i < r->n_layers; i++)
    ocidig_descriptor_clear(&r->layers[i]);
  free(r->layers);
  for (size_t i = 0; i < r->n_rows; i++) {
    free(r->rows[i].parent);
    free(r->rows[i].reason);
    ocidig_descriptor_clear(&r->rows[i].desc);
  }
  free(r->rows);
  oci_strv_free(r->warnings, r->n_warnings);
  free(r->root);
  free(r);
}

const char *ocidig_verdict_name(ocidig_verdict v)
{
  static const char *const names[] = {"selected",           "platform-mismatch", "config-platform-mismatch",
                                      "no-match-in-index",  "unknown-media-type", "blob-missing",
                                      "not-reached",        "error"};
  return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "unknown";
}

const char *ocidig_outcome_name(ocidig_outcome o)
{
  static const char *const names[] = {"selected", "no-match", "error"};
  return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}
