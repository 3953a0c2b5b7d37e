/* check_graph.c: the graph (src/lib/graph.h) and the streaming JSON reader it uses for
 * indexes (json.h oci_json_stream).  The stream's verdicts are checked against the
 * whole-document parser (oci_json_parse); the graph against a layout written by buildah
 * (testdata/samples/buildah-multiarch; the expected digests and platforms were read from
 * its files with python3's json module). */
#include "testutil.h"

#include "graph.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

#define SAMPLE TESTDATA "/samples/buildah-multiarch"
#define INNER_INDEX "sha256:45e83bb5f1dd05c0fd4452f7b0d3fcf8ffa8a143631586d71c5ba7410f45eaf8"
#define ARM64_MANIFEST "sha256:7d5a4eaebd90d4e57a28613e6766cb3a10b5405a1a15a494157cc9f95a168038"
#define ARM64_CONFIG "sha256:f7ee0227951e3f4a69b5326b12b45ff3278c0b8d198ff6db2535dee3d5a36401"

/* ------------------------------------------------------------ the stream */

typedef struct collect {
  json_object *arr; /* copies of the elements handed over */
  int resets;
} collect;

static ocidig_code collect_element(void *ctx, size_t i, json_object *elem, ocidig_error *err)
{
  collect *c = ctx;
  (void)err;
  if (i == SIZE_MAX) {
    json_object_put(c->arr);
    c->arr = json_object_new_array();
    c->resets++;
    return OCIDIG_OK;
  }
  ck_assert_uint_eq(i, json_object_array_length(c->arr));
  json_object_array_add(c->arr, json_object_get(elem));
  return OCIDIG_OK;
}

/* Streams text in chunks of `chunk` bytes, splitting the array under key (NULL: the top
 * array); returns the code, fills doc/err/c. */
static ocidig_code stream_key(const char *key, const char *text, size_t len, size_t chunk, oci_json_doc *doc,
                              ocidig_error *err, collect *c)
{
  oci_json_stream *s;
  ocidig_code rc;
  c->arr = json_object_new_array();
  c->resets = 0;
  s = oci_json_stream_new("t.json", key, collect_element, c);
  ck_assert_ptr_nonnull(s);
  for (size_t off = 0; off < len; off += chunk)
    oci_json_stream_feed(s, text + off, len - off < chunk ? len - off : chunk);
  rc = oci_json_stream_finish(s, doc, err);
  oci_json_stream_free(s);
  return rc;
}

static ocidig_code stream(const char *text, size_t len, size_t chunk, oci_json_doc *doc, ocidig_error *err,
                          collect *c)
{
  return stream_key("manifests", text, len, chunk, doc, err, c);
}

/* Texts the stream must judge as oci_json_parse does: same code; and, where the text has
 * one fault only, the same message (the byte offset counted in the whole text). */
static const struct {
  const char *text;
  bool same_message;
} texts[] = {
  {"{\"schemaVersion\":2,\"manifests\":[{\"a\":1},{\"b\":[2,{\"c\":null}]}]}", true},
  {"{\"manifests\":[]}", true},
  {"{\"manifests\":[ ] , \"x\" : [1,2] }", true},
  {"  {\"manifests\":[1,\"two\",true,null,{}]}  ", true},
  {"{\"manifests\":[{'a':1}]}", true},
  {"{\"manifests\":[{\"a\":NaN}]}", true},
  {"{\"manifests\":[{\"a\":01}]}", true},
  {"{\"manifests\":[{\"a\":1,}]}", true},
  {"{\"manifests\":[[1,]]}", true},
  {"{\"manifests\":[{\"a\":\"\x01\"}]}", true},
  {"{\"manifests\":[{\"a\":\"\\x\"}]}", true},
  {"{\"manifests\":[{\"a\":\"\\u12\"}]}", true},
  {"{\"manifests\":[{\"a\" 1}]}", true},
  {"{\"manifests\":[{\"a\":1 \"b\":2}]}", true},
  {"{\"manifests\":[{\"a\":-}]}", true},
  {"{\"manifests\":[tru]}", true},
  {"{\"manifests\":[{\"a\":\"\xff\"}]}", true},
  {"{\"manifests\":[\"\\ud800\"]}", true},
  {"{\"manifests\":[{},]}", true},
  {"{\"manifests\":[{} {}]}", true},
  {"{\"manifests\":[{}}]}", true},
  {"{\"manifests\":[{}],\"x\":NaN}", true},
  {"{\"manifests\":[{},{}]} x", true},
  {"{\"manifests\":[{}]}{}", true},
  {"{\"manifests\":[{},{\"a\":\"b", false},
  {"{\"manifests\":[{}", false},
  {"{\"manifests\":[", false},
  {"\xef\xbb\xbf{\"manifests\":[]}", true},
  {"[{\"manifests\":[]}]", true},
  {"{\"manifests\":{}}", true},
  {"{\"manifests\":null,\"manifests\":[{}]}", true},
  {"{\"manifests\":[{\"a\":1}],\"manifests\":[{\"b\":2},{\"c\":3}]}", true},
  {"{\"manifests\":[{\"a\":1,\"a\":2}],\"x\":{\"y\":1,\"y\":2}}", true},
  {"{\"manifest\\u0073\":[{\"a\":1}]}", true},
  {"{\"annotations\":{\"manifests\":[1]},\"manifests\":[2]}", true},
  {"{\"manifests\":[\"]\",\"[\",\"\\\"]\"]}", true},
  {"", true},
  {"   ", true},
};

/* key NULL: the top array is split. */
static void check_text_key(const char *key, const char *text, size_t len, bool same_message)
{
  oci_json_doc whole, frame;
  ocidig_error ew = {0}, es = {0};
  ocidig_code rw, rs;
  collect c;
  size_t chunks[] = {1, 7, len ? len : 1};
  rw = oci_json_parse((const uint8_t *)text, len, "t.json", &whole, &ew);
  for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
    rs = stream_key(key, text, len, chunks[k], &frame, &es, &c);
    ck_assert_msg(rs == rw, "%s: stream %s, parse %s (%s / %s)", text, ocidig_code_name(rs), ocidig_code_name(rw),
                  es.message, ew.message);
    if (rw != OCIDIG_OK) {
      if (same_message)
        ck_assert_str_eq(es.message, ew.message);
    } else {
      /* The frame plus the elements are the document. */
      json_object *m = key ? oci_json_get(whole.root, key) : whole.root;
      json_object *fm = key ? oci_json_get(frame.root, key) : frame.root;
      ck_assert_uint_eq(frame.n_dup_keys, whole.n_dup_keys);
      for (size_t i = 0; i < whole.n_dup_keys; i++) {
        bool found = false;
        for (size_t j = 0; j < frame.n_dup_keys; j++)
          found = found || !strcmp(whole.dup_keys[i], frame.dup_keys[j]);
        ck_assert_msg(found, "%s: duplicate key %s not reported", text, whole.dup_keys[i]);
      }
      if (m && json_object_is_type(m, json_type_array) &&
          (!key || json_object_is_type(whole.root, json_type_object))) {
        ck_assert(json_object_is_type(fm, json_type_array));
        ck_assert_uint_eq(json_object_array_length(fm), 0);
        ck_assert_str_eq(json_object_to_json_string(c.arr), json_object_to_json_string(m));
      } else {
        ck_assert_uint_eq(json_object_array_length(c.arr), 0);
        ck_assert_str_eq(json_object_to_json_string(frame.root), json_object_to_json_string(whole.root));
      }
      oci_json_doc_free(&frame);
    }
    json_object_put(c.arr);
  }
  if (rw == OCIDIG_OK)
    oci_json_doc_free(&whole);
}

static void check_text(const char *text, size_t len, bool same_message)
{
  check_text_key("manifests", text, len, same_message);
}

START_TEST(test_stream_as_parse)
{
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    check_text(texts[i].text, strlen(texts[i].text), texts[i].same_message);
}
END_TEST

/* key NULL: the top array's elements (a docker save's manifest.json), judged as
 * oci_json_parse judges the whole text; a top value that is not an array is not split. */
static const struct {
  const char *text;
  bool same_message; /* false: a text cut short, whose first error the two find at its end in other words */
} top_texts[] = {
    {"[{\"Config\":\"a.json\",\"RepoTags\":null,\"Layers\":[\"x/layer.tar\"]},{\"b\":[2,{\"c\":null}]}]", true},
    {"[]", true}, {" [ ] ", true}, {"[1,\"two\",true,null,{}]", true}, {"[1,]", true}, {"[{} {}]", true},
    {"[{}] x", true}, {"[{}][]", true}, {"[{\"a\":1,\"a\":2}]", true}, {"[{\"a\":\"\xff\"}]", true},
    {"[\"]\",\"[\"]", true}, {"{\"manifests\":[1]}", true}, {"\"x\"", true}, {"", true},
    {"[", false}, {"[{}", false},
    {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", true},
    {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", true},
};

START_TEST(test_stream_top_array)
{
  for (size_t i = 0; i < sizeof top_texts / sizeof top_texts[0]; i++)
    check_text_key(NULL, top_texts[i].text, strlen(top_texts[i].text), top_texts[i].same_message);
}
END_TEST

/* Nesting is counted in the whole text: 64 levels work, 65 do not, inside an element too. */
START_TEST(test_stream_depth)
{
  for (int levels = 63; levels <= 66; levels++) {
    oci_buf b = {0};
    char *t;
    oci_buf_puts(&b, "{\"manifests\":[");
    for (int i = 2; i < levels; i++)
      oci_buf_puts(&b, "[");
    for (int i = 2; i < levels; i++)
      oci_buf_puts(&b, "]");
    oci_buf_puts(&b, "]}");
    t = oci_buf_take(&b);
    check_text(t, strlen(t), true);
    free(t);
  }
}
END_TEST

/* An element or a frame over the size of a document: json-too-large; many small elements
 * are not (the array's length is not bounded by the document limit). */
START_TEST(test_stream_sizes)
{
  size_t n = OCIDIG_MAX_JSON_SIZE + 16;
  char *t = malloc(n + 64);
  oci_json_doc doc;
  ocidig_error e;
  collect c;
  size_t len;
  ck_assert_ptr_nonnull(t);
  len = (size_t)sprintf(t, "{\"manifests\":[\"");
  memset(t + len, 'x', n);
  len += n;
  len += (size_t)sprintf(t + len, "\"]}");
  ck_assert_int_eq(stream(t, len, 65536, &doc, &e, &c), OCIDIG_ERR_JSON_TOO_LARGE);
  json_object_put(c.arr);
  len = (size_t)sprintf(t, "{\"manifests\":[],\"x\":\"");
  memset(t + len, 'x', n);
  len += n;
  len += (size_t)sprintf(t + len, "\"}");
  ck_assert_int_eq(stream(t, len, 65536, &doc, &e, &c), OCIDIG_ERR_JSON_TOO_LARGE);
  json_object_put(c.arr);
  free(t);
  /* 2 million elements, 8 MiB: each is its own document. */
  n = 2000000;
  t = malloc(n * 4 + 64);
  ck_assert_ptr_nonnull(t);
  len = (size_t)sprintf(t, "{\"manifests\":[");
  for (size_t i = 0; i < n; i++)
    len += (size_t)sprintf(t + len, i ? ",{}" : "{}");
  len += (size_t)sprintf(t + len, "]}");
  {
    oci_json_stream *s = oci_json_stream_new("t.json", "manifests", NULL, NULL);
    size_t count = 0;
    oci_json_stream_feed(s, t, len);
    ck_assert_int_eq(oci_json_stream_finish(s, &doc, &e), OCIDIG_OK);
    ck_assert(oci_json_stream_split(s, &count));
    ck_assert_uint_eq(count, n);
    oci_json_doc_free(&doc);
    oci_json_stream_free(s);
  }
  free(t);
}
END_TEST

/* ------------------------------------------------------------- the graph */

static char *copy_sample(void)
{
  char *dir = tu_mkdtemp();
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cp -R '%s/.' '%s/'", SAMPLE, dir);
  ck_assert_int_eq(system(cmd), 0);
  return dir;
}

static const oci_gdesc *child(const oci_gnode *n, const char *digest)
{
  for (size_t i = 0; i < n->n_children; i++)
    if (!strcmp(n->children[i].digest, digest))
      return &n->children[i];
  ck_abort_msg("%s not among the children of %s", digest, n->name);
  return NULL;
}

START_TEST(test_graph_sample)
{
  ocidig_layout *l;
  oci_graph *g, *g2;
  const oci_gnode *root, *inner, *inner2, *m, *cfg, *cfg2;
  const oci_gdesc *d;
  ocidig_descriptor pub;
  ocidig_error e;
  ck_assert_int_eq(ocidig_layout_open(SAMPLE, 0, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_get(l, &g, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_get(l, &g2, &e), OCIDIG_OK);
  ck_assert_ptr_eq(g, g2);
  ck_assert_int_eq(oci_graph_root(g, &root, &e), OCIDIG_OK);
  ck_assert_int_eq(root->code, OCIDIG_OK);
  ck_assert_str_eq(root->name, "index.json");
  ck_assert_uint_eq(root->n_children, 1);
  d = &root->children[0];
  ck_assert_str_eq(d->digest, INNER_INDEX);
  ck_assert_str_eq(oci_gdesc_annotation(d, "org.opencontainers.image.ref.name"), "latest");
  ck_assert_ptr_null(d->platform);
  ck_assert_int_eq(oci_graph_open(g, d, &inner, &e), OCIDIG_OK);
  ck_assert_int_eq(inner->code, OCIDIG_OK);
  ck_assert_int_eq(inner->kind, OCIDIG_KIND_INDEX);
  ck_assert_uint_eq(inner->n_children, 9);
  ck_assert_int_eq(oci_graph_open(g, d, &inner2, &e), OCIDIG_OK);
  ck_assert_ptr_eq(inner, inner2); /* read once */
  d = child(inner, ARM64_MANIFEST);
  ck_assert_str_eq(d->platform->architecture, "arm64");
  ck_assert_str_eq(d->platform->variant, "v8");
  ck_assert_int_eq(oci_graph_open(g, d, &m, &e), OCIDIG_OK);
  ck_assert_int_eq(m->code, OCIDIG_OK);
  ck_assert_int_eq(m->kind, OCIDIG_KIND_MANIFEST);
  ck_assert_str_eq(m->body_media_type, OCIDIG_MT_OCI_MANIFEST);
  ck_assert_ptr_nonnull(m->config);
  ck_assert_str_eq(m->config->digest, ARM64_CONFIG);
  ck_assert_uint_eq(m->n_layers, 1);
  ck_assert_int_eq(oci_graph_config(g, m->config, &cfg, &e), OCIDIG_OK);
  ck_assert_int_eq(cfg->code, OCIDIG_OK);
  ck_assert_str_eq(cfg->platform->os, "linux");
  ck_assert_str_eq(cfg->platform->architecture, "arm64");
  ck_assert_str_eq(cfg->platform->variant, "v8");
  ck_assert_int_eq(oci_graph_config(g, m->config, &cfg2, &e), OCIDIG_OK);
  ck_assert_ptr_eq(cfg, cfg2);
  /* The public form of a descriptor. */
  ck_assert_int_eq(oci_gdesc_expand(d, &pub, &e), OCIDIG_OK);
  ck_assert_str_eq(pub.digest_string, ARM64_MANIFEST);
  ck_assert_int_eq(pub.digest_code, OCIDIG_OK);
  ck_assert_str_eq(pub.digest.hex, ARM64_MANIFEST + 7);
  ck_assert(pub.has_platform);
  ck_assert_str_eq(pub.platform.architecture, "arm64");
  ck_assert_str_eq(pub.media_type, OCIDIG_MT_OCI_MANIFEST);
  ocidig_descriptor_clear(&pub);
  ocidig_layout_close(l);
}
END_TEST

typedef struct counts {
  int child, index, again, manifest, error;
} counts;
static bool v_child(void *ctx, const oci_gnode *p, const oci_gdesc *d, unsigned depth)
{
  (void)p, (void)d, (void)depth;
  ((counts *)ctx)->child++;
  return true;
}
static bool v_index(void *ctx, const oci_gnode *n, const oci_gdesc *d, unsigned depth, bool again)
{
  (void)n, (void)d, (void)depth;
  ((counts *)ctx)->index++;
  ((counts *)ctx)->again += again;
  return true;
}
static bool v_manifest(void *ctx, const oci_gnode *n, const oci_gdesc *d, unsigned depth)
{
  (void)d;
  ck_assert_uint_eq(depth, 2);
  ck_assert_int_eq(n->code, OCIDIG_OK);
  ((counts *)ctx)->manifest++;
  return true;
}
static bool v_error(void *ctx, const oci_gdesc *d, ocidig_code code, const char *message)
{
  (void)d, (void)code, (void)message;
  ((counts *)ctx)->error++;
  return true;
}

START_TEST(test_graph_walk)
{
  static const oci_graph_visitor v = {v_child, v_index, v_manifest, v_error};
  ocidig_layout *l;
  oci_graph *g;
  ocidig_error e;
  counts c = {0};
  ck_assert_int_eq(ocidig_layout_open(SAMPLE, 0, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_get(l, &g, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_walk(g, &v, &c, &e), OCIDIG_OK);
  ck_assert_int_eq(c.child, 10);
  ck_assert_int_eq(c.index, 1);
  ck_assert_int_eq(c.again, 0);
  ck_assert_int_eq(c.manifest, 9);
  ck_assert_int_eq(c.error, 0);
  ocidig_layout_close(l);
}
END_TEST

/* One corrupt config: one code and one message, naming it, whoever asks. */
START_TEST(test_graph_corrupt_config)
{
  char *dir = copy_sample();
  char path[4096];
  FILE *f;
  ocidig_layout *l;
  oci_graph *g;
  const oci_gnode *root, *inner, *m, *cfg, *cfg2;
  ocidig_error e;
  snprintf(path, sizeof path, "%s/blobs/sha256/%s", dir, ARM64_CONFIG + 7);
  f = fopen(path, "r+");
  ck_assert_ptr_nonnull(f);
  fseek(f, 10, SEEK_SET);
  fputc('#', f);
  fclose(f);
  ck_assert_int_eq(ocidig_layout_open(dir, 0, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_get(l, &g, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_root(g, &root, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_open(g, &root->children[0], &inner, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_open(g, child(inner, ARM64_MANIFEST), &m, &e), OCIDIG_OK);
  ck_assert_int_eq(m->code, OCIDIG_OK);
  ck_assert_int_eq(oci_graph_config(g, m->config, &cfg, &e), OCIDIG_OK);
  ck_assert_int_eq(cfg->code, OCIDIG_ERR_DIGEST_MISMATCH);
  ck_assert_ptr_null(cfg->platform);
  ck_assert_ptr_nonnull(strstr(cfg->message, ARM64_CONFIG));
  ck_assert_int_eq(oci_graph_config(g, m->config, &cfg2, &e), OCIDIG_OK);
  ck_assert_ptr_eq(cfg, cfg2);
  ocidig_layout_close(l);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* A manifest descriptor whose body is an index; a missing blob. */
START_TEST(test_graph_kind_and_missing)
{
  char *dir = copy_sample();
  char path[4096], *idx;
  size_t len;
  ocidig_layout *l;
  oci_graph *g;
  const oci_gnode *root, *n;
  ocidig_error e;
  oci_gdesc d;
  /* index.json: the inner index's descriptor, typed as a manifest. */
  (void)path;
  (void)len;
  idx = oci_sprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":2057}]}",
                    OCIDIG_MT_OCI_MANIFEST, INNER_INDEX);
  tu_write(dir, "index.json", idx, strlen(idx));
  free(idx);
  ck_assert_int_eq(ocidig_layout_open(dir, 0, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_get(l, &g, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_root(g, &root, &e), OCIDIG_OK);
  ck_assert_int_eq(root->code, OCIDIG_OK);
  ck_assert_str_eq(root->children[0].media_type, OCIDIG_MT_OCI_MANIFEST);
  ck_assert_int_eq(oci_graph_open(g, &root->children[0], &n, &e), OCIDIG_OK);
  ck_assert_int_eq(n->code, OCIDIG_ERR_KIND_MISMATCH);
  ck_assert_ptr_nonnull(strstr(n->message, INNER_INDEX));
  d = root->children[0];
  d.media_type = OCIDIG_MT_OCI_INDEX;
  d.digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
  ck_assert_int_eq(oci_graph_open(g, &d, &n, &e), OCIDIG_OK);
  ck_assert_int_eq(n->code, OCIDIG_ERR_BLOB_MISSING);
  ocidig_layout_close(l);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* index.json of 100,000 descriptors (about 30 MB): read, every descriptor kept. */
START_TEST(test_graph_large_index)
{
  char *dir = tu_mkdtemp();
  oci_buf b = {0};
  ocidig_layout *l;
  oci_graph *g;
  const oci_gnode *root;
  ocidig_error e;
  char name[64];
  oci_buf_puts(&b, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[");
  for (int i = 0; i < 100000; i++)
    oci_buf_printf(&b,
                   "%s{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%064x\","
                   "\"size\":%d,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"},\"annotations\":{"
                   "\"org.opencontainers.image.ref.name\":\"registry.example.com/team/app-%06d:v1.2.3\","
                   "\"io.containerd.image.name\":\"registry.example.com/team/app-%06d:v1.2.3\"}}",
                   i ? "," : "", i, 1000 + i, i, i);
  oci_buf_puts(&b, "]}");
  ck_assert(!b.failed);
  ck_assert_uint_gt(b.len, 28 * 1000 * 1000);
  tu_write(dir, "index.json", b.s, b.len);
  tu_write(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
  oci_buf_free(&b);
  ck_assert_int_eq(ocidig_layout_open(dir, 0, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_get(l, &g, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_graph_root(g, &root, &e), OCIDIG_OK);
  ck_assert_msg(root->code == OCIDIG_OK, "%s", root->message);
  ck_assert_uint_eq(root->n_children, 100000);
  snprintf(name, sizeof name, "registry.example.com/team/app-%06d:v1.2.3", 99999);
  ck_assert_str_eq(oci_gdesc_annotation(&root->children[99999], "io.containerd.image.name"), name);
  ck_assert_int_eq(root->children[99999].size, 1000 + 99999);
  ck_assert_str_eq(root->children[12345].platform->architecture, "amd64");
  ocidig_layout_close(l);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("graph");
  TCase *tc = tcase_create("graph");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_stream_as_parse);
  tcase_add_test(tc, test_stream_top_array);
  tcase_add_test(tc, test_stream_depth);
  tcase_add_test(tc, test_stream_sizes);
  tcase_add_test(tc, test_graph_sample);
  tcase_add_test(tc, test_graph_walk);
  tcase_add_test(tc, test_graph_corrupt_config);
  tcase_add_test(tc, test_graph_kind_and_missing);
  tcase_add_test(tc, test_graph_large_index);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run(suite());
}
