/* check_resolve.c: every resolve vector (testdata/vectors-resolve.json, described in
 * doc/resolution.md §10), run through the library on a layout directory built from the
 * case's blobs, compared on outcome, selected digest, error code and rows. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *vectors;

static const char *jstr(json_object *o, const char *key)
{
  json_object *v;
  if (!json_object_object_get_ex(o, key, &v) || !v)
    return NULL;
  return json_object_get_string(v);
}

static char *jdup(json_object *o, const char *key)
{
  const char *s = jstr(o, key);
  return s ? strdup(s) : NULL;
}

static void platform_from_json(json_object *o, ocidig_platform *p)
{
  json_object *f;
  memset(p, 0, sizeof *p);
  p->os = jdup(o, "os");
  p->architecture = jdup(o, "architecture");
  p->variant = jdup(o, "variant");
  p->os_version = jdup(o, "os.version");
  if (json_object_object_get_ex(o, "os.features", &f) && f) {
    p->n_os_features = json_object_array_length(f);
    p->os_features = calloc(p->n_os_features + 1, sizeof *p->os_features);
    for (size_t i = 0; i < p->n_os_features; i++)
      p->os_features[i] = strdup(json_object_get_string(json_object_array_get_idx(f, i)));
  }
}

/* Writes the layout of a resolve vector (doc/resolution.md §10). */
static char *build_layout(json_object *input)
{
  char *dir = tu_mkdtemp();
  json_object *blobs, *root, *index, *arr;
  const char *text;
  tu_write(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
  ck_assert(json_object_object_get_ex(input, "blobs", &blobs));
  json_object_object_foreach(blobs, digest, blob)
  {
    char path[256];
    json_object *data;
    ck_assert(json_object_object_get_ex(blob, "data", &data));
    ck_assert(strncmp(digest, "sha256:", 7) == 0);
    snprintf(path, sizeof path, "blobs/sha256/%s", digest + 7);
    tu_write(dir, path, json_object_get_string(data), (size_t)json_object_get_string_len(data));
  }
  ck_assert(json_object_object_get_ex(input, "root", &root));
  index = json_object_new_object();
  arr = json_object_new_array();
  json_object_object_add(index, "schemaVersion", json_object_new_int(2));
  json_object_array_add(arr, json_object_get(root));
  json_object_object_add(index, "manifests", arr);
  text = json_object_to_json_string_ext(index, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  tu_write(dir, "index.json", text, strlen(text));
  json_object_put(index);
  return dir;
}

static const ocidig_platform host = {.os = "linux", .architecture = "amd64"};

/* The matcher the case asks for; *nil for the nil matcher. */
static ocidig_matcher *case_matcher(json_object *c, char **ref)
{
  json_object *args, *input, *m, *plats;
  ocidig_matcher *matcher = NULL;
  ocidig_error err;
  json_object_object_get_ex(c, "ocidig_args", &args);
  json_object_object_get_ex(c, "input", &input);
  if (args) {
    const char *spec = jstr(args, "platform");
    json_object *strict;
    ocidig_platform p = {0};
    const ocidig_platform *req = &host;
    *ref = jdup(args, "ref");
    if (spec) {
      ck_assert_msg(ocidig_platform_parse(spec, &host, &p, &err) == OCIDIG_OK, "%s: parse %s: %s", jstr(c, "id"), spec,
                    err.message);
      req = &p;
    }
    json_object_object_get_ex(args, "strict", &strict);
    ck_assert_msg(ocidig_matcher_new(json_object_get_boolean(strict) ? OCIDIG_MATCHER_ONLY_STRICT : OCIDIG_MATCHER_ONLY,
                                     req, 1, &host, &matcher, &err) == OCIDIG_OK,
                  "%s: %s", jstr(c, "id"), err.message);
    ocidig_platform_clear(&p);
    return matcher;
  }
  {
    json_object *root;
    json_object_object_get_ex(input, "root", &root);
    *ref = malloc(strlen(jstr(root, "digest")) + 2);
    sprintf(*ref, "@%s", jstr(root, "digest"));
  }
  json_object_object_get_ex(input, "matcher", &m);
  if (!m)
    return NULL;
  {
    const char *type = jstr(m, "type");
    ocidig_matcher_kind kind;
    size_t n;
    ocidig_platform *ps;
    ocidig_platform whost = host;
    json_object *h;
    if (!strcmp(type, "all"))
      kind = OCIDIG_MATCHER_ALL;
    else if (!strcmp(type, "any"))
      kind = OCIDIG_MATCHER_ANY;
    else if (!strcmp(type, "ordered"))
      kind = OCIDIG_MATCHER_ORDERED;
    else if (!strcmp(type, "windows_default"))
      kind = OCIDIG_MATCHER_WINDOWS_DEFAULT;
    else
      ck_abort_msg("%s: matcher type %s not handled", jstr(c, "id"), type);
    json_object_object_get_ex(m, "platforms", &plats);
    n = json_object_array_length(plats);
    ps = calloc(n + 1, sizeof *ps);
    for (size_t i = 0; i < n; i++)
      platform_from_json(json_object_array_get_idx(plats, i), &ps[i]);
    if (json_object_object_get_ex(input, "host", &h) && h) {
      whost.os = (char *)jstr(h, "os");
      whost.architecture = (char *)jstr(h, "architecture");
      whost.variant = (char *)jstr(h, "variant");
      whost.os_version = (char *)jstr(h, "os.version");
    }
    ck_assert_msg(ocidig_matcher_new(kind, ps, n, &whost, &matcher, &err) == OCIDIG_OK, "%s: %s", jstr(c, "id"),
                  err.message);
    for (size_t i = 0; i < n; i++)
      ocidig_platform_clear(&ps[i]);
    free(ps);
    return matcher;
  }
}

START_TEST(test_resolve_vector)
{
  json_object *c = json_object_array_get_idx(vectors, (size_t)_i);
  const char *id = jstr(c, "id");
  json_object *input, *want, *rows;
  char *dir, *ref = NULL;
  ocidig_matcher *matcher;
  ocidig_layout *layout;
  ocidig_resolution *r;
  ocidig_error err;
  const char *want_outcome, *want_selected, *want_code;
  size_t n;

  json_object_object_get_ex(c, "input", &input);
  json_object_object_get_ex(c, "ocidig", &want);
  dir = build_layout(input);
  matcher = case_matcher(c, &ref);
  ck_assert_msg(ocidig_layout_open(dir, NULL, &layout, &err) == OCIDIG_OK, "%s: open: %s", id, err.message);
  ocidig_resolve_options opts = {.matcher = matcher, .host = &host, .ref = ref};
  ocidig_resolve(layout, &opts, &r, &err);

  want_outcome = jstr(want, "outcome");
  want_selected = jstr(want, "selected");
  want_code = jstr(want, "error_code");
  ck_assert_msg(!strcmp(ocidig_outcome_name(r->outcome), want_outcome), "%s: outcome %s, want %s (%s)", id,
                ocidig_outcome_name(r->outcome), want_outcome,
                r->outcome == OCIDIG_OUTCOME_ERROR ? r->error.message : "");
  if (want_selected)
    ck_assert_msg(r->selected.digest_string && !strcmp(r->selected.digest_string, want_selected),
                  "%s: selected %s, want %s", id, r->selected.digest_string, want_selected);
  if (want_code)
    ck_assert_msg(!strcmp(ocidig_code_name(r->error.code), want_code), "%s: error code %s, want %s (%s)", id,
                  ocidig_code_name(r->error.code), want_code, r->error.message);
  json_object_object_get_ex(want, "verdicts", &rows);
  n = json_object_array_length(rows);
  for (size_t i = 0; i < n && i < r->n_rows; i++) {
    json_object *w = json_object_array_get_idx(rows, i);
    const char *wp = json_object_get_string(json_object_array_get_idx(w, 0));
    const char *wd = json_object_get_string(json_object_array_get_idx(w, 1));
    const char *wv = json_object_get_string(json_object_array_get_idx(w, 2));
    const ocidig_row *row = &r->rows[i];
    ck_assert_msg(!strcmp(row->parent, wp) && !strcmp(row->desc.digest_string ? row->desc.digest_string : "", wd) &&
                      !strcmp(ocidig_verdict_name(row->verdict), wv),
                  "%s: row %zu is [%s, %s, %s] (%s), want [%s, %s, %s]", id, i, row->parent, row->desc.digest_string,
                  ocidig_verdict_name(row->verdict), row->reason, wp, wd, wv);
  }
  ck_assert_msg(r->n_rows == n, "%s: %zu rows, want %zu", id, r->n_rows, n);

  ocidig_resolution_free(r);
  ocidig_layout_close(layout);
  ocidig_matcher_free(matcher);
  free(ref);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("resolve");
  TCase *tc = tcase_create("vectors");
  int n, rc;
  vectors = tu_load_json("vectors-resolve.json");
  n = (int)json_object_array_length(vectors);
  tcase_add_loop_test(tc, test_resolve_vector, 0, n);
  tcase_set_timeout(tc, 30);
  suite_add_tcase(s, tc);
  printf("resolve vectors: %d\n", n);
  rc = tu_run(s);
  json_object_put(vectors);
  return rc;
}
