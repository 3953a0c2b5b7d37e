/* diff.c: what differs between two images (ocidig diff): their configs (platform, user,
 * working dir, entrypoint, cmd, stop signal, env, labels, exposed ports, volumes, history)
 * and their layers (by digest: shared, only in one).  Plain data in, differences out in a
 * fixed order; no layout is read here (files: files_diff.c).
 *
 * What is compared is what a build decides, not when it ran: a config's `created` and the
 * history's timestamps differ between any two builds and are not differences; history
 * steps are compared by what made them (created_by, comment, empty_layer). */
#include "internal.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dstate {
  ocidig_diff_fn fn;
  void *ctx;
  size_t n;
  ocidig_code rc;
  ocidig_error *err;
} dstate;

static bool emit(dstate *s, const char *section, const char *key, ocidig_diff_change change, const char *a,
                 const char *b)
{
  ocidig_diff_entry e = {.section = section, .key = key, .change = change, .a = a, .b = b};
  if (s->rc != OCIDIG_OK)
    return false;
  s->n++;
  if (s->fn && (s->rc = s->fn(s->ctx, &e, s->err)) != OCIDIG_OK)
    return false;
  return true;
}

/* a and b as one value each (NULL: absent). */
static void scalar(dstate *s, const char *section, const char *key, const char *a, const char *b)
{
  if (!a && !b)
    return;
  if (!a)
    emit(s, section, key, OCIDIG_DIFF_ADDED, NULL, b);
  else if (!b)
    emit(s, section, key, OCIDIG_DIFF_REMOVED, a, NULL);
  else if (strcmp(a, b))
    emit(s, section, key, OCIDIG_DIFF_CHANGED, a, b);
}

/* An argv as a JSON array of strings (what docker shows), or NULL when absent. */
static char *argv_text(char **v, size_t n, bool has, bool *nomem)
{
  json_object *a;
  char *t;
  if (!has)
    return NULL;
  if (!(a = json_object_new_array_ext((int)n))) {
    *nomem = true;
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    json_object_array_add(a, json_object_new_string(v[i] ? v[i] : ""));
  t = oci_strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(a);
  if (!t)
    *nomem = true;
  return t;
}

static void argv_diff(dstate *s, const char *key, char **av, size_t an, bool ahas, char **bv, size_t bn, bool bhas)
{
  bool nomem = false;
  char *a = argv_text(av, an, ahas, &nomem), *b = argv_text(bv, bn, bhas, &nomem);
  if (nomem)
    s->rc = oci_nomem(s->err);
  else
    scalar(s, "config", key, a, b);
  free(a);
  free(b);
}

/* A key/value pair of a map as the config writes it. */
typedef struct kv {
  const char *key;
  size_t key_len;
  const char *value; /* NULL: a set's member (no value) */
  size_t pos;        /* as written: of equal keys the last one stays */
} kv;

static int kv_cmp(const void *x, const void *y)
{
  const kv *a = x, *b = y;
  size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
  int c = memcmp(a->key, b->key, n);
  return c ? c : (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

static int kv_pos_cmp(const void *x, const void *y)
{
  const kv *a = x, *b = y;
  int c = kv_cmp(a, b);
  return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/* Sorted by key; of equal keys the last one written stays (a later Env entry overrides an
 * earlier one, as the runtime applies them). */
static size_t kv_sort(kv *v, size_t n)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    v[i].pos = i;
  if (n > 1)
    qsort(v, n, sizeof *v, kv_pos_cmp);
  for (size_t i = 0; i < n; i++) {
    if (k && !kv_cmp(&v[k - 1], &v[i]))
      v[k - 1] = v[i];
    else
      v[k++] = v[i];
  }
  return k;
}

static void map_diff(dstate *s, const char *section, kv *a, size_t an, kv *b, size_t bn)
{
  size_t i = 0, j = 0;
  an = kv_sort(a, an);
  bn = kv_sort(b, bn);
  while ((i < an || j < bn) && s->rc == OCIDIG_OK) {
    int c = i == an ? 1 : j == bn ? -1 : kv_cmp(&a[i], &b[j]);
    char *key = oci_strndup(c <= 0 ? a[i].key : b[j].key, c <= 0 ? a[i].key_len : b[j].key_len);
    if (!key) {
      s->rc = oci_nomem(s->err);
      break;
    }
    if (c < 0) {
      emit(s, section, key, OCIDIG_DIFF_REMOVED, a[i].value, NULL);
      i++;
    } else if (c > 0) {
      emit(s, section, key, OCIDIG_DIFF_ADDED, NULL, b[j].value);
      j++;
    } else {
      if (a[i].value && b[j].value && strcmp(a[i].value, b[j].value))
        emit(s, section, key, OCIDIG_DIFF_CHANGED, a[i].value, b[j].value);
      i++;
      j++;
    }
    free(key);
  }
}

/* "NAME=value" entries as a map by NAME (an entry without "=" is its own name, value ""). */
static kv *env_kv(char **env, size_t n)
{
  kv *v = calloc(n ? n : 1, sizeof *v);
  for (size_t i = 0; v && i < n; i++) {
    const char *eq = strchr(env[i], '=');
    v[i].key = env[i];
    v[i].key_len = eq ? (size_t)(eq - env[i]) : strlen(env[i]);
    v[i].value = eq ? eq + 1 : "";
  }
  return v;
}

static kv *labels_kv(const ocidig_annotation *l, size_t n)
{
  kv *v = calloc(n ? n : 1, sizeof *v);
  for (size_t i = 0; v && i < n; i++) {
    v[i].key = l[i].key;
    v[i].key_len = strlen(l[i].key);
    v[i].value = l[i].value;
  }
  return v;
}

static kv *set_kv(char **m, size_t n)
{
  kv *v = calloc(n ? n : 1, sizeof *v);
  for (size_t i = 0; v && i < n; i++) {
    v[i].key = m[i];
    v[i].key_len = strlen(m[i]);
    v[i].value = NULL;
  }
  return v;
}

static void kv_diff(dstate *s, const char *section, kv *a, size_t an, kv *b, size_t bn)
{
  if (!a || !b)
    s->rc = oci_nomem(s->err);
  else
    map_diff(s, section, a, an, b, bn);
  free(a);
  free(b);
}

static char *history_text(const ocidig_history *h)
{
  return oci_sprintf("%s%s%s%s%s", h->created_by ? h->created_by : "", h->comment && *h->comment ? " (" : "",
                     h->comment && *h->comment ? h->comment : "", h->comment && *h->comment ? ")" : "",
                     h->empty_layer ? " [empty layer]" : "");
}

/* Steps by position: the common prefix is the same build; from the first step that differs,
 * each position is changed, and the longer history's extra steps are added or removed. */
static void history_diff(dstate *s, const ocidig_image_config *a, const ocidig_image_config *b)
{
  size_t n = a->n_history > b->n_history ? a->n_history : b->n_history;
  for (size_t i = 0; i < n && s->rc == OCIDIG_OK; i++) {
    char key[32];
    char *ta = i < a->n_history ? history_text(&a->history[i]) : NULL;
    char *tb = i < b->n_history ? history_text(&b->history[i]) : NULL;
    if ((i < a->n_history && !ta) || (i < b->n_history && !tb)) {
      s->rc = oci_nomem(s->err);
    } else {
      snprintf(key, sizeof key, "step %zu", i + 1);
      scalar(s, "history", key, ta, tb);
    }
    free(ta);
    free(tb);
  }
}

/* "gzip, 1068 bytes, diff_id sha256:..." (with_digest: "sha256:... (gzip, ...)"). */
static char *layer_text(const ocidig_image_layer *l, bool with_digest)
{
  const char *comp = l->compression ? l->compression : (l->desc.media_type ? l->desc.media_type : "?");
  const char *di = l->diff_id ? l->diff_id : "none";
  if (with_digest)
    return oci_sprintf("%s (%s, %lld bytes, diff_id %s)", oci_str(l->desc.digest_string), comp, (long long)l->desc.size,
                       di);
  return oci_sprintf("%s, %lld bytes, diff_id %s", comp, (long long)l->desc.size, di);
}

/* Two layers are the same content when their diff_ids (the uncompressed tar's digest) are
 * equal, else when their digests are: a layer compressed again (gzip to zstd) is shared. */
static const char *layer_id(const ocidig_image_layer *l)
{
  return l->diff_id ? l->diff_id : l->desc.digest_string ? l->desc.digest_string : "";
}

/* The position in img of the first layer not taken yet with this digest (by_digest) or
 * this identity, or -1. */
static long pair_of(const ocidig_image *img, const ocidig_image_layer *l, const bool *taken, bool by_digest)
{
  for (size_t i = 0; i < img->n_layers; i++)
    if (!taken[i] && (by_digest ? l->desc.digest_string && oci_streq(img->layers[i].desc.digest_string, l->desc.digest_string)
                                : !strcmp(layer_id(&img->layers[i]), layer_id(l))))
      return (long)i;
  return -1;
}

/* Layers paired by blob (digest), then by content (diff_id), in order: a's unpaired removed, b's
 * unpaired added, a pair whose blobs differ (compressed otherwise) changed; pairs counted. */
static void layers_diff(dstate *s, const ocidig_image *a, const ocidig_image *b, size_t *shared)
{
  bool *ta = calloc(a->n_layers + 1, 1), *tb = calloc(b->n_layers + 1, 1);
  long *pa = calloc(a->n_layers + 1, sizeof *pa);
  *shared = 0;
  if (!ta || !tb || !pa) {
    s->rc = oci_nomem(s->err);
    goto out;
  }
  /* the same blob first (a wrong diff_id does not unpair it), then the same content */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < a->n_layers; i++) {
      long j;
      if (ta[i] || (j = pair_of(b, &a->layers[i], tb, pass == 0)) < 0)
        continue;
      pa[i] = j;
      tb[j] = true;
      ta[i] = true;
      ++*shared;
    }
  for (size_t i = 0; i < a->n_layers && s->rc == OCIDIG_OK; i++) {
    const ocidig_image_layer *l = &a->layers[i];
    char *t = layer_text(l, false), *u = NULL;
    if (!t) {
      s->rc = oci_nomem(s->err);
    } else if (!ta[i]) {
      emit(s, "layers", oci_str(l->desc.digest_string), OCIDIG_DIFF_REMOVED, t, NULL);
    } else if (!oci_streq(l->desc.digest_string, b->layers[pa[i]].desc.digest_string) ||
               !oci_streq(l->diff_id, b->layers[pa[i]].diff_id)) {
      /* the same blob under another diff_id, or the same content compressed otherwise */
      char *v = layer_text(l, true);
      if (!v || !(u = layer_text(&b->layers[pa[i]], true)))
        s->rc = oci_nomem(s->err);
      else
        emit(s, "layers", oci_streq(l->desc.digest_string, b->layers[pa[i]].desc.digest_string) ? oci_str(l->desc.digest_string) : layer_id(l),
             OCIDIG_DIFF_CHANGED, v, u);
      free(v);
    }
    free(t);
    free(u);
  }
  for (size_t i = 0; i < b->n_layers && s->rc == OCIDIG_OK; i++) {
    const ocidig_image_layer *l = &b->layers[i];
    char *t;
    if (tb[i])
      continue;
    if (!(t = layer_text(l, false)))
      s->rc = oci_nomem(s->err);
    else
      emit(s, "layers", oci_str(l->desc.digest_string), OCIDIG_DIFF_ADDED, NULL, t);
    free(t);
  }
out:
  free(ta);
  free(tb);
  free(pa);
}

const char *ocidig_diff_change_name(ocidig_diff_change c)
{
  switch (c) {
  case OCIDIG_DIFF_ADDED:
    return "added";
  case OCIDIG_DIFF_REMOVED:
    return "removed";
  case OCIDIG_DIFF_CHANGED:
    return "changed";
  }
  return "?";
}

ocidig_code ocidig_image_diff(const ocidig_image *a, const ocidig_image *b, ocidig_diff_fn fn, void *ctx,
                              ocidig_diff_counts *counts, ocidig_error *err)
{
  dstate s = {.fn = fn, .ctx = ctx, .err = err};
  const ocidig_image_config *ca, *cb;
  size_t shared = 0;
  OCI_REQUIRE(a, "image a", err);
  OCI_REQUIRE(b, "image b", err);
  ca = &a->cfg;
  cb = &b->cfg;
  {
    char *pa = a->has_platform ? ocidig_platform_format(&a->platform) : NULL;
    char *pb = b->has_platform ? ocidig_platform_format(&b->platform) : NULL;
    if ((a->has_platform && !pa) || (b->has_platform && !pb))
      s.rc = oci_nomem(err);
    else
      scalar(&s, "config", "platform", pa, pb);
    free(pa);
    free(pb);
  }
  if (a->config_read && b->config_read) {
    scalar(&s, "config", "user", ca->user && *ca->user ? ca->user : NULL, cb->user && *cb->user ? cb->user : NULL);
    scalar(&s, "config", "working_dir", ca->working_dir && *ca->working_dir ? ca->working_dir : NULL,
           cb->working_dir && *cb->working_dir ? cb->working_dir : NULL);
    argv_diff(&s, "entrypoint", ca->entrypoint, ca->n_entrypoint, ca->has_entrypoint, cb->entrypoint,
              cb->n_entrypoint, cb->has_entrypoint);
    argv_diff(&s, "cmd", ca->cmd, ca->n_cmd, ca->has_cmd, cb->cmd, cb->n_cmd, cb->has_cmd);
    scalar(&s, "config", "stop_signal", ca->stop_signal, cb->stop_signal);
    scalar(&s, "config", "author", ca->author, cb->author);
    if (s.rc == OCIDIG_OK)
      kv_diff(&s, "env", env_kv(ca->env, ca->n_env), ca->n_env, env_kv(cb->env, cb->n_env), cb->n_env);
    if (s.rc == OCIDIG_OK)
      kv_diff(&s, "labels", labels_kv(ca->labels, ca->n_labels), ca->n_labels, labels_kv(cb->labels, cb->n_labels),
              cb->n_labels);
    if (s.rc == OCIDIG_OK)
      kv_diff(&s, "ports", set_kv(ca->exposed_ports, ca->n_exposed_ports), ca->n_exposed_ports,
              set_kv(cb->exposed_ports, cb->n_exposed_ports), cb->n_exposed_ports);
    if (s.rc == OCIDIG_OK)
      kv_diff(&s, "volumes", set_kv(ca->volumes, ca->n_volumes), ca->n_volumes, set_kv(cb->volumes, cb->n_volumes),
              cb->n_volumes);
    if (s.rc == OCIDIG_OK)
      history_diff(&s, ca, cb);
  }
  if (s.rc == OCIDIG_OK)
    layers_diff(&s, a, b, &shared);
  if (counts) {
    counts->differences = s.n;
    counts->layers_shared = shared;
  }
  return s.rc;
}
