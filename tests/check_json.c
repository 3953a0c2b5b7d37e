/* check_json.c: the strict JSON layer (RFC 8259 as Go reads it, duplicate keys, limits). */
#include "testutil.h"

#include "json.h"

#include <string.h>

static ocidig_code parse(const char *s, oci_json_doc *doc, ocidig_error *e)
{
  return oci_json_parse((const uint8_t *)s, strlen(s), "test.json", doc, e);
}

static const struct {
  const char *text;
  const char *why; /* part of the message */
} invalid[] = {
  {"", "end of input"},
  {"   ", "end of input"},
  {"{'a':1}", "string key"},
  {"{\"a\":NaN}", "unexpected character"},
  {"{\"a\":Infinity}", "unexpected character"},
  {"{\"a\":01}", "',' or '}'"},
  {"{\"a\":1,}", "string key"},
  {"[1,]", "unexpected character"},
  {"{\"a\":1} x", "trailing data"},
  {"{}{}", "trailing data"},
  {"\xef\xbb\xbf{}", "byte-order mark"},
  {"{\"a\":\"\x01\"}", "control character"},
  {"{\"a\":\"\\x\"}", "bad escape"},
  {"{\"a\":\"\\u12\"}", "\\u escape"},
  {"{\"a\":\"abc", "unterminated"},
  {"{\"a\" 1}", "':'"},
  {"{\"a\":1 \"b\":2}", "',' or '}'"},
  {"{\"a\":-}", "malformed number"},
  {"{\"a\":1.}", "malformed number"},
  {"{\"a\":1e}", "malformed number"},
  {"{\"a\":tru}", "unexpected character"},
  {"{\"a\":\"\xff\"}", "UTF-8"},
  {"/* c */ {}", "unexpected character"},
};

START_TEST(test_invalid)
{
  oci_json_doc doc;
  ocidig_error e = {0};
  ck_assert_msg(parse(invalid[_i].text, &doc, &e) == OCIDIG_ERR_INVALID_JSON, "accepted: %s", invalid[_i].text);
  ck_assert_msg(strstr(e.message, invalid[_i].why) != NULL, "%s: message '%s' lacks '%s'", invalid[_i].text, e.message,
                invalid[_i].why);
  ck_assert_msg(strncmp(e.message, "test.json", 9) == 0, "message does not name the document: %s", e.message);
  ck_assert_ptr_null(doc.root);
}
END_TEST

START_TEST(test_valid)
{
  static const char *ok[] = {"{}", " [] ", "{\"a\":[1,2.5,-0,1e3,true,false,null,\"x\\u00e9\\n\"]}\n", "\"s\"", "0",
                             "{\"\\u0061\":1}"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    oci_json_doc doc;
    ocidig_error e;
    ck_assert_msg(parse(ok[i], &doc, &e) == OCIDIG_OK, "%s: %s", ok[i], e.message);
    ck_assert_ptr_nonnull(doc.root);
    oci_json_doc_free(&doc);
  }
}
END_TEST

START_TEST(test_duplicate_keys)
{
  oci_json_doc doc;
  ocidig_error e;
  json_object *v;
  /* "a" twice (once escaped), "b" twice in a nested object; "c" in two different objects is fine. */
  ck_assert_int_eq(parse("{\"a\":1,\"b\":{\"b\":1,\"b\":2},\"\\u0061\":3,\"x\":{\"c\":1},\"y\":{\"c\":2}}", &doc, &e),
                   OCIDIG_OK);
  ck_assert_uint_eq(doc.n_dup_keys, 2);
  ck_assert(!strcmp(doc.dup_keys[0], "b") || !strcmp(doc.dup_keys[1], "b"));
  ck_assert(!strcmp(doc.dup_keys[0], "a") || !strcmp(doc.dup_keys[1], "a"));
  /* The last one wins, as in Go. */
  v = oci_json_get(doc.root, "a");
  ck_assert_int_eq(json_object_get_int(v), 3);
  oci_json_doc_free(&doc);
  /* Keys differing by case are different keys. */
  ck_assert_int_eq(parse("{\"os\":\"a\",\"OS\":\"b\"}", &doc, &e), OCIDIG_OK);
  ck_assert_uint_eq(doc.n_dup_keys, 0);
  ck_assert_str_eq(json_object_get_string(oci_json_get(doc.root, "os")), "a");
  oci_json_doc_free(&doc);
}
END_TEST

START_TEST(test_depth_limit)
{
  char buf[512];
  oci_json_doc doc;
  ocidig_error e;
  size_t n = 0;
  for (int i = 0; i < OCIDIG_MAX_JSON_DEPTH; i++)
    buf[n++] = '[';
  for (int i = 0; i < OCIDIG_MAX_JSON_DEPTH; i++)
    buf[n++] = ']';
  buf[n] = '\0';
  ck_assert_int_eq(parse(buf, &doc, &e), OCIDIG_OK);
  oci_json_doc_free(&doc);
  n = 0;
  for (int i = 0; i <= OCIDIG_MAX_JSON_DEPTH; i++)
    buf[n++] = '[';
  for (int i = 0; i <= OCIDIG_MAX_JSON_DEPTH; i++)
    buf[n++] = ']';
  buf[n] = '\0';
  ck_assert_int_eq(parse(buf, &doc, &e), OCIDIG_ERR_INVALID_JSON);
  ck_assert_ptr_nonnull(strstr(e.message, "nested deeper"));
}
END_TEST

START_TEST(test_size_limit)
{
  size_t n = OCIDIG_MAX_JSON_SIZE + 1;
  uint8_t *big = malloc(n);
  oci_json_doc doc;
  ocidig_error e;
  memset(big, ' ', n);
  big[0] = '0';
  ck_assert_int_eq(oci_json_parse(big, n, "big.json", &doc, &e), OCIDIG_ERR_JSON_TOO_LARGE);
  free(big);
}
END_TEST

START_TEST(test_int64)
{
  static const struct {
    const char *text;
    bool ok;
    int64_t value;
  } cases[] = {
    {"{\"n\":0}", true, 0},
    {"{\"n\":9223372036854775807}", true, INT64_MAX},
    {"{\"n\":-5}", true, -5},
    {"{\"n\":9223372036854775808}", false, 0},
    {"{\"n\":99999999999999999999}", false, 0},
    {"{\"n\":247.0}", false, 0},
    {"{\"n\":1e3}", false, 0},
    {"{\"n\":\"12\"}", false, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    oci_json_doc doc;
    ocidig_error e;
    int64_t v = 0;
    ck_assert_int_eq(parse(cases[i].text, &doc, &e), OCIDIG_OK);
    ck_assert_msg(oci_json_int64(oci_json_get(doc.root, "n"), &v) == cases[i].ok, "%s", cases[i].text);
    if (cases[i].ok)
      ck_assert_msg(v == cases[i].value, "%s: %lld", cases[i].text, (long long)v);
    oci_json_doc_free(&doc);
  }
}
END_TEST

START_TEST(test_nul_in_string)
{
  oci_json_doc doc;
  ocidig_error e;
  char *s;
  ck_assert_int_eq(parse("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\\u0000x\"}", &doc, &e),
                   OCIDIG_OK);
  s = oci_json_strdup(oci_json_get(doc.root, "mediaType"));
  ck_assert_str_eq(s, "application/vnd.oci.image.manifest.v1+json\\u0000x");
  ck_assert_int_eq(ocidig_media_type_kind(s), OCIDIG_KIND_OTHER);
  free(s);
  oci_json_doc_free(&doc);
}
END_TEST

/* The streaming writer must write what json-c writes for the same tree at once (the
 * verify report's text did not change when it moved to the writer). */
static json_object *writer_sample_member(int i)
{
  json_object *o = json_object_new_object(), *a = json_object_new_array();
  json_object_object_add(o, "name", json_object_new_string(i % 2 ? "line\nbreak \"q\" /x" : "a"));
  json_object_object_add(o, "n", json_object_new_int64(i));
  json_object_object_add(o, "none", NULL);
  json_object_object_add(o, "empty", json_object_new_array());
  for (int k = 0; k < i; k++)
    json_object_array_add(a, json_object_new_boolean(k % 2));
  json_object_object_add(o, "list", a);
  return o;
}

START_TEST(test_writer_matches_json_c)
{
  for (int pretty = 0; pretty < 2; pretty++) {
    int flags = (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN) |
                JSON_C_TO_STRING_NOSLASHESCAPE;
    json_object *root = json_object_new_object(), *items = json_object_new_array(), *nested = json_object_new_object();
    oci_json_writer w;
    char *text;

    json_object_object_add(root, "schemaVersion", json_object_new_int(1));
    json_object_object_add(root, "none", json_object_new_array());
    for (int i = 0; i < 3; i++)
      json_object_array_add(items, writer_sample_member(i));
    json_object_object_add(root, "items", items);
    json_object_object_add(nested, "inner", json_object_new_object());
    json_object_object_add(nested, "x", json_object_new_string("y"));
    json_object_object_add(root, "nested", nested);

    oci_json_writer_init(&w, pretty);
    oci_json_writer_open(&w, NULL, '{');
    oci_json_writer_put(&w, "schemaVersion", json_object_new_int(1));
    oci_json_writer_open(&w, "none", '[');
    oci_json_writer_close(&w);
    oci_json_writer_open(&w, "items", '[');
    for (int i = 0; i < 3; i++)
      oci_json_writer_put(&w, NULL, writer_sample_member(i));
    oci_json_writer_close(&w);
    oci_json_writer_open(&w, "nested", '{');
    oci_json_writer_put(&w, "inner", json_object_new_object());
    oci_json_writer_put(&w, "x", json_object_new_string("y"));
    oci_json_writer_close(&w);
    oci_json_writer_close(&w);
    text = oci_json_writer_take(&w);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, json_object_to_json_string_ext(root, flags));
    free(text);
    json_object_put(root);
  }
}
END_TEST

START_TEST(test_writer_unbalanced)
{
  oci_json_writer w;
  oci_json_writer_init(&w, true);
  oci_json_writer_open(&w, NULL, '[');
  oci_json_writer_put(&w, NULL, json_object_new_int(1));
  ck_assert_ptr_null(oci_json_writer_take(&w)); /* a container left open */
  oci_json_writer_init(&w, true);
  oci_json_writer_close(&w);
  ck_assert_ptr_null(oci_json_writer_take(&w)); /* closed more than opened */
}
END_TEST


int main(void)
{
  Suite *s = suite_create("json");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, test_invalid, 0, (int)(sizeof invalid / sizeof invalid[0]));
  tcase_add_test(tc, test_valid);
  tcase_add_test(tc, test_duplicate_keys);
  tcase_add_test(tc, test_depth_limit);
  tcase_add_test(tc, test_size_limit);
  tcase_add_test(tc, test_int64);
  tcase_add_test(tc, test_nul_in_string);
  tcase_add_test(tc, test_writer_matches_json_c);
  tcase_add_test(tc, test_writer_unbalanced);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
