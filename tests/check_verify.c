/* check_verify.c: ocidig_verify on the fixtures of testdata/verify (one mutation of a clean
 * layout each, made by tests/verify/mkfixtures.py), as a directory and as a tar.gz, on
 * the samples of testdata/samples, and on layouts made here (links, FIFOs, limits); and on
 * docker save archives (the docker-* and hybrid-* fixtures, the docker samples, and a
 * docker-archive extracted into a directory here and tampered with). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const ocidig_platform host = {.os = "linux", .architecture = "amd64"};

typedef struct run_opts {
  const char *platform;
  const char *ref;
  unsigned open_flags;
  unsigned threads;
} run_opts;

/* Opens and verifies; returns the report (never NULL) and the exit status in *status. */
static ocidig_verify_report *verify(const char *path, const run_opts *ro, int *status)
{
  ocidig_open_options oo = {.flags = ro ? ro->open_flags : OCIDIG_OPEN_HASH_BLOBS};
  ocidig_layout *l = NULL;
  ocidig_matcher *m = NULL;
  ocidig_verify_report *r = NULL;
  ocidig_error err;
  ocidig_code rc;
  if (!ro)
    oo.flags = OCIDIG_OPEN_HASH_BLOBS;
  rc = ocidig_layout_open(path, &oo, &l, &err);
  ck_assert_msg(rc == OCIDIG_OK, "%s: %s", path, err.message);
  if (ro && ro->platform) {
    ocidig_platform p = {0};
    ck_assert_int_eq(ocidig_platform_parse(ro->platform, &host, &p, &err), OCIDIG_OK);
    ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &p, 1, &host, &m, &err), OCIDIG_OK);
    ocidig_platform_clear(&p);
  }
  {
    ocidig_verify_options vo = {.matcher = m, .host = &host, .ref = ro ? ro->ref : NULL,
                                .threads = ro ? ro->threads : 0};
    ocidig_verify(l, &vo, &r, &err);
  }
  ck_assert_ptr_nonnull(r);
  *status = ocidig_verify_exit_status(r, false);
  ocidig_matcher_free(m);
  ocidig_layout_close(l);
  return r;
}

static const ocidig_finding *find(const ocidig_verify_report *r, const char *code)
{
  for (size_t i = 0; i < r->n_findings; i++)
    if (!strcmp(r->findings[i].code, code))
      return &r->findings[i];
  return NULL;
}

static void dump(const ocidig_verify_report *r, const char *what)
{
  fprintf(stderr, "%s: %zu findings\n", what, r->n_findings);
  for (size_t i = 0; i < r->n_findings; i++)
    fprintf(stderr, "  %s %s: %s\n", ocidig_severity_name(r->findings[i].severity), r->findings[i].code,
            r->findings[i].message);
}

/* ------------------------------------------------------------ the table */

typedef struct fixture {
  const char *name;
  const char *code; /* NULL: no finding at all */
  ocidig_severity severity;
  int status;
  bool dir;         /* also as a directory */
  const char *platform;
} fixture;

#define E OCIDIG_SEVERITY_ERROR
#define W OCIDIG_SEVERITY_WARNING
#define I OCIDIG_SEVERITY_INFO

static const fixture fixtures[] = {
  {"clean", NULL, E, 0, true, NULL},
  {"clean", NULL, E, 0, true, "linux/arm64"},
  {"clean", "platform-not-found", E, 4, true, "linux/s390x"},
  {"layer-tampered", "digest-mismatch", E, 4, true, NULL},
  {"layer-tampered", "digest-mismatch", E, 4, true, "linux/amd64"},
  {"layer-tampered", NULL, E, 0, true, "linux/arm64"}, /* the tampered layer is not arm64's */
  {"layer-truncated", "size-mismatch", E, 4, true, NULL},
  {"layer-truncated", "digest-mismatch", E, 4, true, NULL},
  {"size-wrong", "size-mismatch", E, 4, true, NULL},
  {"index-missing", "blob-missing", E, 4, true, NULL},
  {"config-missing", "image-incomplete", W, 0, true, NULL},
  {"config-missing", "blob-missing", E, 4, true, "linux/amd64"},
  {"sparse-platform", "image-incomplete", W, 0, true, NULL},
  {"sparse-platform", "blob-missing", E, 4, true, "linux/arm64"},
  {"sparse-platform", NULL, E, 0, true, "linux/amd64"},
  {"oci-layout-missing", "oci-layout-missing", E, 4, true, NULL},
  {"oci-layout-invalid", "bad-oci-layout", E, 3, true, NULL},
  {"oci-layout-version", "bad-oci-layout", E, 3, true, NULL},
  {"index-json-missing", "missing-index-json", E, 3, true, NULL},
  {"index-json-invalid", "invalid-json", E, 4, true, NULL},
  {"duplicate-key", "json-duplicate-key", W, 0, true, NULL},
  {"schema-version", "schema-version", E, 4, true, NULL},
  {"media-type-mismatch", "media-type-mismatch", E, 4, true, NULL},
  {"kind-mismatch", "kind-mismatch", E, 4, true, NULL},
  {"field-missing", "field-missing", E, 4, true, NULL},
  {"field-type", "field-type", E, 4, true, NULL},
  {"digest-invalid", "invalid-digest", E, 4, true, NULL},
  /* issue 17: a digest the spec lets pass validation; its blob cannot be verified (a warning) */
  {"digest-unsupported", "unsupported-digest-algorithm", W, 0, true, NULL},
  {"size-negative", "size-negative", E, 4, true, NULL},
  {"data-mismatch", "data-mismatch", E, 4, true, NULL},
  {"empty-descriptor-invalid", "empty-descriptor-invalid", E, 4, true, NULL},
  {"foreign-layer", "foreign-layer-absent", I, 0, true, NULL},
  {"ref-name-invalid", "ref-name-invalid", W, 0, true, NULL},
  {"ref-name-duplicate", "ref-name-duplicate", E, 4, true, NULL},
  {"attestation-subject-missing", "attestation-subject-missing", W, 0, true, NULL},
  {"blob-unreferenced", "blob-unreferenced", W, 0, true, NULL},
  {"blob-name-invalid", "blob-name-invalid", W, 0, true, NULL},
  {"config-platform-mismatch", "config-platform-mismatch", W, 0, true, NULL},
  {"unknown-media-type", "unknown-media-type", I, 0, true, NULL},
  {"index-cycle", "index-cycle", E, 4, true, NULL},
  {"index-cycle", "digest-mismatch", E, 4, true, NULL},
  {"nesting-too-deep", "nesting-too-deep", E, 4, true, NULL},
  {"index-json-platforms", NULL, E, 0, true, NULL},
  /* each entry is an image, verified as resolve --ref selects it (doc/resolution.md 5.3) */
  {"index-json-platforms", "platform-mismatch", W, 0, true, "linux/arm64"},
  {"index-json-platforms", "platform-mismatch", W, 0, true, "linux/s390x"},
  {"link-escapes", "link-escapes", E, 4, false, NULL},
  {"special-member", "special-member", E, 4, false, NULL},
  {"path-unsafe", "path-unsafe", E, 4, false, NULL},
  {"duplicate-member", "duplicate-member", W, 0, false, NULL},
  {"link-member", "link-member", W, 0, false, NULL},
};

static void check_fixture(const fixture *fx, const char *path)
{
  run_opts ro = {.platform = fx->platform, .open_flags = OCIDIG_OPEN_HASH_BLOBS};
  int status;
  char what[512];
  ocidig_verify_report *r = verify(path, &ro, &status);
  snprintf(what, sizeof what, "%s%s%s", path, fx->platform ? " --platform " : "", fx->platform ? fx->platform : "");
  if (fx->code) {
    const ocidig_finding *f = find(r, fx->code);
    if (!f)
      dump(r, what);
    ck_assert_msg(f != NULL, "%s: no %s finding", what, fx->code);
    ck_assert_msg(f->severity == fx->severity, "%s: %s is %s", what, fx->code, ocidig_severity_name(f->severity));
    ck_assert_msg(f->message && *f->message, "%s: %s has no message", what, fx->code);
    ck_assert_msg(f->digest || f->path || f->image >= 0, "%s: %s names nothing", what, fx->code);
  } else if (r->n_findings) {
    dump(r, what);
    ck_abort_msg("%s: expected no finding", what);
  }
  if (status != fx->status)
    dump(r, what);
  ck_assert_msg(status == fx->status, "%s: exit status %d, expected %d", what, status, fx->status);
  ocidig_verify_report_free(r);
}

START_TEST(test_fixture_targz)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/verify/%s.tar.gz", TESTDATA, fixtures[_i].name);
  check_fixture(&fixtures[_i], path);
}
END_TEST

START_TEST(test_fixture_dir)
{
  char path[4096];
  if (!fixtures[_i].dir)
    return;
  snprintf(path, sizeof path, "%s/verify/%s", TESTDATA, fixtures[_i].name);
  check_fixture(&fixtures[_i], path);
}
END_TEST

/* docker save archives (plain .tar, as docker writes them) and hybrids (.tar.gz) */
static const fixture docker_fixtures[] = {
  {"docker-clean.tar", NULL, E, 0, false, NULL},
  /* each image of a docker save is a root, verified as resolve --ref selects it whatever
   * --platform asks (doc/resolution.md 5.3), with a warning when it is for another platform */
  {"docker-clean.tar", "platform-mismatch", W, 0, false, "linux/arm64"},
  {"docker-clean.tar", "platform-mismatch", W, 0, false, "linux/s390x"},
  {"docker-clean-links.tar", NULL, E, 0, false, NULL},
  {"docker-layer-tampered.tar", "diff-id-mismatch", E, 4, false, NULL},
  {"docker-layer-tampered.tar", "diff-id-mismatch", E, 4, false, "linux/arm64"}, /* amd64's, checked too */
  {"docker-layer-tampered-links.tar", "digest-mismatch", E, 4, false, NULL},
  {"docker-config-tampered.tar", "digest-mismatch", E, 4, false, NULL},
  {"docker-config-invalid.tar", "invalid-json", E, 4, false, NULL},
  {"docker-layer-missing.tar", "blob-missing", E, 4, false, NULL},
  {"docker-config-missing.tar", "blob-missing", E, 4, false, NULL},
  {"docker-manifest-invalid.tar", "docker-manifest-invalid", E, 4, false, NULL},
  {"docker-diff-id-count.tar", "diff-id-mismatch", E, 4, false, NULL},
  {"docker-repositories-mismatch.tar", "repositories-mismatch", W, 0, false, NULL},
  {"docker-unreferenced.tar", "blob-unreferenced", W, 0, false, NULL},
  {"docker-link-escapes.tar", "link-escapes", E, 4, false, NULL},
  {"hybrid-clean.tar.gz", NULL, E, 0, false, NULL},
  {"hybrid-disagrees.tar.gz", "docker-manifest-disagrees", W, 0, false, NULL},
};

START_TEST(test_docker_fixture)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/verify/%s", TESTDATA, docker_fixtures[_i].name);
  check_fixture(&docker_fixtures[_i], path);
}
END_TEST

/* ----------------------------------------------------------- details */

START_TEST(test_clean_report)
{
  int status;
  char path[4096];
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/verify/clean", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_int_eq(status, 0);
  ck_assert_uint_eq(r->n_images, 1);
  ck_assert_str_eq(r->images[0].name, "v1.0");
  ck_assert(r->images[0].complete);
  ck_assert_uint_eq(r->images[0].n_platforms, 3);
  ck_assert_str_eq(r->images[0].platforms[0].platform, "linux/amd64");
  ck_assert_str_eq(r->images[0].platforms[1].platform, "linux/arm64/v8");
  ck_assert_ptr_nonnull(r->images[0].platforms[2].attestation_of);
  ck_assert_str_eq(r->images[0].platforms[2].attestation_of, r->images[0].platforms[0].manifest);
  ck_assert_uint_eq(r->images[0].platforms[0].n_blobs, 4); /* manifest, config, 2 layers */
  /* every blob of the layout, each once: 1 index + 3 manifests + 3 configs + 4 layers */
  ck_assert_uint_eq(r->summary.blobs_checked, 11);
  ck_assert(r->summary.bytes_hashed > 0);
  ck_assert(r->summary.unreferenced_checked);
  ck_assert_uint_eq(r->summary.blobs_unreferenced, 0);
  ocidig_verify_report_free(r);
}
END_TEST

START_TEST(test_tampered_names_blob)
{
  int status;
  char path[4096];
  ocidig_verify_report *r;
  const ocidig_finding *f;
  snprintf(path, sizeof path, "%s/verify/layer-tampered.tar.gz", TESTDATA);
  r = verify(path, NULL, &status);
  f = find(r, "digest-mismatch");
  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_nonnull(f->digest);
  ck_assert_ptr_nonnull(f->path);
  ck_assert(strstr(f->path, "blobs/sha256/") == f->path);
  ck_assert(strstr(f->message, f->digest) != NULL);
  ck_assert_int_eq(f->image, 0);
  ck_assert_int_eq(f->platform, 0); /* the amd64 manifest's own layer */
  ck_assert_uint_eq(r->summary.errors, 1);
  ocidig_verify_report_free(r);
}
END_TEST

/* An archive opened without OCIDIG_OPEN_HASH_BLOBS: blobs are streamed again. */
START_TEST(test_archive_without_hash_flag)
{
  int status;
  char path[4096];
  run_opts ro = {.open_flags = 0};
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/verify/layer-tampered.tar.gz", TESTDATA);
  r = verify(path, &ro, &status);
  ck_assert_ptr_nonnull(find(r, "digest-mismatch"));
  ck_assert_int_eq(status, 4);
  ocidig_verify_report_free(r);
  snprintf(path, sizeof path, "%s/verify/clean.tar.gz", TESTDATA);
  r = verify(path, &ro, &status);
  ck_assert_uint_eq(r->n_findings, 0);
  ck_assert_uint_eq(r->summary.blobs_checked, 11);
  ocidig_verify_report_free(r);
}
END_TEST

/* One hashing thread and many give the same answer. */
START_TEST(test_threads)
{
  int status;
  char path[4096];
  run_opts one = {.threads = 1}, many = {.threads = 8};
  ocidig_verify_report *a, *b;
  snprintf(path, sizeof path, "%s/verify/layer-tampered", TESTDATA);
  a = verify(path, &one, &status);
  b = verify(path, &many, &status);
  ck_assert_uint_eq(a->summary.blobs_checked, b->summary.blobs_checked);
  ck_assert_uint_eq(a->summary.bytes_hashed, b->summary.bytes_hashed);
  ck_assert_uint_eq(a->summary.errors, 1);
  ck_assert_uint_eq(b->summary.errors, 1);
  ocidig_verify_report_free(a);
  ocidig_verify_report_free(b);
}
END_TEST

START_TEST(test_sparse_lists_missing)
{
  int status;
  char path[4096];
  ocidig_verify_report *r;
  const ocidig_verify_platform *arm;
  snprintf(path, sizeof path, "%s/verify/sparse-platform", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_int_eq(status, 0);
  ck_assert(!r->images[0].complete);
  arm = &r->images[0].platforms[1];
  ck_assert_str_eq(arm->platform, "linux/arm64/v8");
  ck_assert(!arm->complete);
  ck_assert_uint_eq(arm->n_missing, 1); /* the manifest: what it references is unknown */
  ck_assert_str_eq(arm->missing[0].role, "manifest");
  ck_assert(r->images[0].platforms[0].complete);
  ck_assert_uint_eq(r->summary.errors, 0);
  ocidig_verify_report_free(r);

  snprintf(path, sizeof path, "%s/verify/config-missing.tar.gz", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_uint_eq(r->images[0].platforms[0].n_missing, 1);
  ck_assert_str_eq(r->images[0].platforms[0].missing[0].role, "config");
  ck_assert_uint_eq(r->images[0].platforms[0].n_blobs, 4);
  ocidig_verify_report_free(r);
}
END_TEST

/* index.json listing platform manifests itself: each entry is an image, verified as resolve
 * --ref selects it whatever --platform asks (doc/resolution.md 5.3): the other platform's
 * entry with a platform-mismatch warning, as ls shows it. */
START_TEST(test_index_json_platforms)
{
  int status;
  char path[4096];
  run_opts ro = {.platform = "linux/arm64", .open_flags = OCIDIG_OPEN_HASH_BLOBS};
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/verify/index-json-platforms.tar.gz", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_uint_eq(r->n_images, 2);
  ocidig_verify_report_free(r);
  r = verify(path, &ro, &status);
  ck_assert_uint_eq(r->n_images, 2);
  ck_assert_uint_eq(r->images[0].n_platforms, 1);
  ck_assert_str_eq(r->images[0].platforms[0].platform, "linux/amd64");
  ck_assert_uint_eq(r->images[1].n_platforms, 1);
  ck_assert_str_eq(r->images[1].platforms[0].platform, "linux/arm64/v8");
  ck_assert_uint_eq(r->n_findings, 1);
  ck_assert_str_eq(r->findings[0].code, "platform-mismatch");
  ck_assert_int_eq(r->findings[0].image, 0);
  ck_assert_int_eq(status, 0);
  ocidig_verify_report_free(r);
}
END_TEST

START_TEST(test_ref)
{
  int status;
  char path[4096];
  run_opts ro = {.ref = "v1.0"};
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/verify/clean", TESTDATA);
  r = verify(path, &ro, &status);
  ck_assert_int_eq(status, 0);
  ck_assert_uint_eq(r->n_images, 1);
  ck_assert(!r->summary.unreferenced_checked);
  ocidig_verify_report_free(r);
  ro.ref = "nope";
  r = verify(path, &ro, &status);
  ck_assert_int_eq(r->error.code, OCIDIG_ERR_REF_NOT_FOUND);
  ck_assert_int_eq(status, 2);
  ocidig_verify_report_free(r);
}
END_TEST

START_TEST(test_json)
{
  int status;
  char path[4096];
  ocidig_verify_report *r;
  char *text;
  json_object *o, *x, *f0;
  snprintf(path, sizeof path, "%s/verify/size-wrong.tar.gz", TESTDATA);
  r = verify(path, NULL, &status);
  text = ocidig_verify_report_to_json(r, false);
  ck_assert_ptr_nonnull(text);
  o = json_tokener_parse(text);
  ck_assert_ptr_nonnull(o);
  ck_assert(json_object_object_get_ex(o, "schemaVersion", &x) && json_object_get_int(x) == 1);
  ck_assert(json_object_object_get_ex(o, "findings", &x) && json_object_array_length(x) == r->n_findings);
  f0 = json_object_array_get_idx(x, 0);
  ck_assert(json_object_object_get_ex(f0, "code", NULL));
  ck_assert(json_object_object_get_ex(f0, "severity", NULL));
  ck_assert(json_object_object_get_ex(f0, "message", NULL));
  ck_assert(json_object_object_get_ex(f0, "digest", NULL) || json_object_object_get_ex(f0, "path", NULL));
  ck_assert(json_object_object_get_ex(o, "images", &x) && json_object_array_length(x) == 1);
  ck_assert(json_object_object_get_ex(o, "summary", &x));
  ck_assert(json_object_object_get_ex(x, "errors", &f0) && json_object_get_int(f0) == (int)r->summary.errors);
  ck_assert(json_object_object_get_ex(x, "bytesHashed", NULL));
  ck_assert(json_object_object_get_ex(x, "blobsChecked", NULL));
  ck_assert(!json_object_object_get_ex(o, "error", NULL));
  json_object_put(o);
  free(text);
  ocidig_verify_report_free(r);
}
END_TEST

START_TEST(test_fail_on_warning)
{
  int status;
  char path[4096];
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/verify/duplicate-key", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(ocidig_verify_exit_status(r, true), 4);
  ocidig_verify_report_free(r);
}
END_TEST

/* -------------------------------------------------- layouts made here */

static char *copy_clean(void)
{
  char *dir = tu_mkdtemp(), cmd[8192];
  /* writable even when the source tree is not (make distcheck) */
  snprintf(cmd, sizeof cmd, "cp -R '%s/verify/clean/.' '%s/' && chmod -R u+w '%s'", TESTDATA, dir, dir);
  ck_assert_int_eq(system(cmd), 0);
  return dir;
}

START_TEST(test_dir_link_escapes)
{
  char *dir = copy_clean(), p[4096];
  int status;
  ocidig_verify_report *r;
  const ocidig_finding *f;
  snprintf(p, sizeof p, "%s/passwd-link", dir);
  ck_assert_int_eq(symlink("/etc/passwd", p), 0);
  snprintf(p, sizeof p, "%s/blobs/sha256/dangling", dir);
  ck_assert_int_eq(symlink("../../../../nowhere/at/all", p), 0);
  snprintf(p, sizeof p, "%s/blobs/inside", dir);
  ck_assert_int_eq(symlink("../index.json", p), 0); /* stays inside: fine */
  r = verify(dir, NULL, &status);
  ck_assert_int_eq(status, 4);
  f = find(r, "link-escapes");
  ck_assert_ptr_nonnull(f);
  {
    size_t n = 0;
    for (size_t i = 0; i < r->n_findings; i++)
      if (!strcmp(r->findings[i].code, "link-escapes")) {
        n++;
        ck_assert(strcmp(r->findings[i].path, "blobs/inside") != 0);
      }
    ck_assert_uint_eq(n, 2);
  }
  ocidig_verify_report_free(r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(test_dir_special)
{
  char *dir = copy_clean(), p[4096];
  int status;
  ocidig_verify_report *r;
  snprintf(p, sizeof p, "%s/fifo", dir);
  ck_assert_int_eq(mkfifo(p, 0600), 0);
  r = verify(dir, NULL, &status);
  ck_assert_ptr_nonnull(find(r, "special-member"));
  ck_assert_int_eq(status, 4);
  ocidig_verify_report_free(r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* A blob that is a symlink to another file inside the layout is read through it. */
START_TEST(test_dir_blob_symlink_inside)
{
  char *dir = copy_clean(), p[4096], q[4096];
  int status;
  ocidig_verify_report *r;
  const char *empty = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
  snprintf(p, sizeof p, "%s/blobs/sha256/%s", dir, empty);
  snprintf(q, sizeof q, "%s/empty.json", dir);
  ck_assert_int_eq(rename(p, q), 0);
  ck_assert_int_eq(symlink("../../empty.json", p), 0);
  r = verify(dir, NULL, &status);
  if (r->n_findings)
    dump(r, dir);
  ck_assert_int_eq(status, 0);
  ck_assert_uint_eq(r->n_findings, 0);
  ocidig_verify_report_free(r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(test_json_too_large)
{
  char *dir = copy_clean(), p[4096];
  int status;
  ocidig_verify_report *r;
  size_t n = OCIDIG_MAX_JSON_SIZE + 16;
  char *big = malloc(n);
  ck_assert_ptr_nonnull(big);
  memset(big, ' ', n);
  memcpy(big, "{\"schemaVersion\":2,\"manifests\":[]}", 34);
  snprintf(p, sizeof p, "%s/index.json", dir);
  unlink(p);
  tu_write(dir, "index.json", big, n);
  free(big);
  r = verify(dir, NULL, &status);
  ck_assert_ptr_nonnull(find(r, "json-too-large"));
  ck_assert_int_eq(status, 4);
  ocidig_verify_report_free(r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(test_huge_index)
{
  char *dir = tu_mkdtemp();
  size_t n = OCIDIG_MAX_INDEX_DESCRIPTORS + 1, len = 0;
  char *text = malloc(n * 3 + 64);
  int status;
  ocidig_verify_report *r;
  ck_assert_ptr_nonnull(text);
  len = (size_t)sprintf(text, "{\"schemaVersion\":2,\"manifests\":[");
  for (size_t i = 0; i < n; i++) {
    memcpy(text + len, i ? ",{}" : "{}", i ? 3 : 2);
    len += i ? 3 : 2;
  }
  memcpy(text + len, "]}", 2);
  len += 2;
  tu_write(dir, "index.json", text, len);
  tu_write(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
  free(text);
  r = verify(dir, NULL, &status);
  /* The parser's memory budget (OCIDIG_MAX_JSON_MEMORY) stops such an index before the
   * descriptor limit can: either is an error finding, never a crash or a huge report. */
  ck_assert(find(r, "limit-exceeded") != NULL || find(r, "json-too-large") != NULL);
  ck_assert_uint_le(r->n_findings, 5000);
  ck_assert_int_eq(status, 4);
  ocidig_verify_report_free(r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* Thousands of bad descriptors: the report keeps 5000 findings and counts the rest. */
START_TEST(test_findings_cap)
{
  char *dir = tu_mkdtemp();
  size_t n = 6000, len = 0;
  char *text = malloc(n * 24 + 64);
  int status;
  ocidig_verify_report *r;
  ck_assert_ptr_nonnull(text);
  len = (size_t)sprintf(text, "{\"schemaVersion\":2,\"manifests\":[");
  for (size_t i = 0; i < n; i++)
    len += (size_t)sprintf(text + len, "%s{\"mediaType\":\"x/y\"}", i ? "," : "");
  len += (size_t)sprintf(text + len, "]}");
  tu_write(dir, "index.json", text, len);
  tu_write(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
  free(text);
  r = verify(dir, NULL, &status);
  ck_assert_uint_eq(r->n_findings, 5000);
  ck_assert_uint_eq(r->summary.errors, 2 * n); /* no digest, no size: each */
  ck_assert_uint_eq(r->summary.findings_dropped, 2 * n - 5000);
  ck_assert_int_eq(status, 4);
  ocidig_verify_report_free(r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* --------------------------------------------------- docker save archives */

static size_t count_code(const ocidig_verify_report *r, const char *code)
{
  size_t n = 0;
  for (size_t i = 0; i < r->n_findings; i++)
    n += !strcmp(r->findings[i].code, code);
  return n;
}

/* A legacy docker save: no registry manifest; the image is known by its image ID; every byte
 * of the config and the two layer.tar files hashed. */
START_TEST(test_docker_report)
{
  char path[4096];
  int status;
  ocidig_verify_report *r;
  const ocidig_verify_platform *p;
  snprintf(path, sizeof path, "%s/samples/docker-save-legacy-build.tar", TESTDATA);
  r = verify(path, NULL, &status);
  if (r->n_findings)
    dump(r, path);
  ck_assert_int_eq(status, 0);
  ck_assert_str_eq(r->format, "docker-archive");
  ck_assert_uint_eq(r->n_images, 1);
  ck_assert_str_eq(r->images[0].name, "example.com/corpus/dockerbuild:legacy");
  ck_assert_str_eq(r->images[0].digest, "sha256:457bf17784d1da12f4ae1ae16112bc37a02c521e051453db1301947ee423ac01");
  ck_assert_str_eq(r->images[0].media_type, OCIDIG_MT_DOCKER_CONFIG);
  ck_assert(r->images[0].complete);
  ck_assert_uint_eq(r->images[0].n_platforms, 1);
  p = &r->images[0].platforms[0];
  ck_assert_ptr_null(p->manifest);
  ck_assert_str_eq(p->platform, "linux/amd64");
  ck_assert_str_eq(p->platform_source, "config");
  ck_assert_uint_eq(p->n_blobs, 3); /* config, 2 layers */
  ck_assert_int_eq(p->size, 2051 + 2048 + 2048);
  ck_assert_uint_eq(r->summary.blobs_checked, 3);
  ck_assert_uint_eq(r->summary.bytes_hashed, 2051 + 2048 + 2048);
  ck_assert(r->summary.unreferenced_checked);
  ck_assert_uint_eq(r->summary.blobs_unreferenced, 0);
  ocidig_verify_report_free(r);

  /* containers/image: <diff_id>.tar layers behind <id>/layer.tar links; two RepoTags */
  snprintf(path, sizeof path, "%s/samples/buildah-arm64.docker-archive.tar", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_int_eq(status, 0);
  ck_assert_uint_eq(r->n_findings, 0);
  ck_assert_str_eq(r->images[0].name, "example.com/corpus/multi:arm64v8, localhost/corpus-multi:arm64v8");
  ck_assert_str_eq(r->images[0].platforms[0].platform, "linux/arm64/v8");
  ck_assert_uint_eq(r->summary.blobs_checked, 2);
  ck_assert(r->summary.bytes_hashed >= 3584);
  ocidig_verify_report_free(r);

  /* docker save <image ID>: RepoTags null */
  snprintf(path, sizeof path, "%s/samples/docker-save-by-id.tar", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_int_eq(status, 0);
  ck_assert_ptr_null(r->images[0].name);
  ck_assert_str_eq(r->images[0].digest, "sha256:7840c1e8d5f1f12ad0060103e7e0fd5697fde55e94079e6769db2d1ea8c5606b");
  ocidig_verify_report_free(r);
}
END_TEST

/* Two images share a layer: hashed once; a missing layer is listed with its role. */
START_TEST(test_docker_shared_and_missing)
{
  char path[4096];
  int status;
  ocidig_verify_report *r;
  const ocidig_verify_platform *p;
  const ocidig_finding *f;
  snprintf(path, sizeof path, "%s/verify/docker-clean.tar", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_uint_eq(r->n_images, 2);
  ck_assert_str_eq(r->images[0].name, "fixture/app:1, fixture/app:latest");
  ck_assert_ptr_null(r->images[1].name); /* RepoTags null */
  ck_assert_str_eq(r->images[1].platforms[0].platform, "linux/arm64");
  ck_assert_uint_eq(r->summary.blobs_checked, 4); /* 2 configs, 2 distinct layers */
  ocidig_verify_report_free(r);

  snprintf(path, sizeof path, "%s/verify/docker-layer-missing.tar", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_int_eq(status, 4);
  p = &r->images[0].platforms[0];
  ck_assert(!p->complete);
  ck_assert(!r->images[0].complete);
  ck_assert_uint_eq(p->n_missing, 1);
  ck_assert_str_eq(p->missing[0].role, "layer");
  ck_assert_int_eq(p->missing[0].index, 1);
  ck_assert_ptr_nonnull(p->missing[0].digest); /* the diff_id */
  ck_assert_uint_eq(p->n_errors, 1);
  ck_assert(r->images[1].complete);
  ck_assert_uint_eq(r->summary.blobs_missing, 1);
  /* its legacy directory (VERSION, json) is still in use: no unreferenced warning */
  ck_assert_uint_eq(r->summary.warnings, 0);
  f = find(r, "blob-missing");
  ck_assert_int_eq(f->image, 0);
  ck_assert(strstr(f->path, "/layer.tar") != NULL);
  ocidig_verify_report_free(r);

  /* a tampered <diff_id>.tar: one finding, not a diff-id-mismatch as well */
  snprintf(path, sizeof path, "%s/verify/docker-layer-tampered-links.tar", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_uint_eq(r->summary.errors, 1);
  ck_assert_uint_eq(count_code(r, "diff-id-mismatch"), 0);
  ocidig_verify_report_free(r);

  /* a link leaving the archive: the member, and the layer it stands for */
  snprintf(path, sizeof path, "%s/verify/docker-link-escapes.tar", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_uint_eq(count_code(r, "link-escapes"), 2);
  ck_assert_uint_eq(r->images[0].platforms[0].n_missing, 1);
  ocidig_verify_report_free(r);
}
END_TEST

/* The JSON report of a docker save archive, parsed back. */
START_TEST(test_docker_json)
{
  char path[4096];
  int status;
  ocidig_verify_report *r;
  char *text;
  json_object *o, *x, *f0, *im, *pl, *m;
  snprintf(path, sizeof path, "%s/verify/docker-layer-tampered.tar", TESTDATA);
  r = verify(path, NULL, &status);
  text = ocidig_verify_report_to_json(r, true);
  ck_assert_ptr_nonnull(text);
  o = json_tokener_parse(text);
  ck_assert_ptr_nonnull(o);
  ck_assert(json_object_object_get_ex(o, "format", &x));
  ck_assert_str_eq(json_object_get_string(x), "docker-archive");
  ck_assert(json_object_object_get_ex(o, "findings", &x) && json_object_array_length(x) == 1);
  f0 = json_object_array_get_idx(x, 0);
  ck_assert(json_object_object_get_ex(f0, "code", &x));
  ck_assert_str_eq(json_object_get_string(x), "diff-id-mismatch");
  ck_assert(json_object_object_get_ex(f0, "severity", &x));
  ck_assert_str_eq(json_object_get_string(x), "error");
  ck_assert(json_object_object_get_ex(f0, "digest", &x) && !strncmp(json_object_get_string(x), "sha256:", 7));
  ck_assert(json_object_object_get_ex(f0, "path", &x) && strstr(json_object_get_string(x), "/layer.tar"));
  ck_assert(json_object_object_get_ex(f0, "image", &x) && json_object_get_int(x) == 0);
  ck_assert(json_object_object_get_ex(o, "images", &x) && json_object_array_length(x) == 2);
  im = json_object_array_get_idx(x, 0);
  ck_assert(json_object_object_get_ex(im, "digest", &x));
  ck_assert_str_eq(json_object_get_string(x), r->images[0].digest);
  ck_assert(json_object_object_get_ex(im, "errors", &x) && json_object_get_int(x) == 1);
  ck_assert(json_object_object_get_ex(im, "platforms", &x) && json_object_array_length(x) == 1);
  pl = json_object_array_get_idx(x, 0);
  ck_assert(json_object_object_get_ex(pl, "manifest", &m) && m == NULL); /* null: no manifest */
  ck_assert(json_object_object_get_ex(pl, "blobs", &x) && json_object_get_int(x) == 3);
  ck_assert(json_object_object_get_ex(pl, "errors", &x) && json_object_get_int(x) == 1);
  ck_assert(json_object_object_get_ex(o, "summary", &x));
  ck_assert(json_object_object_get_ex(x, "errors", &f0) && json_object_get_int(f0) == 1);
  ck_assert(json_object_object_get_ex(x, "blobsChecked", &f0) && json_object_get_int(f0) == 4);
  ck_assert(json_object_object_get_ex(x, "unreferencedBlobs", &f0) && json_object_get_int(f0) == 0);
  json_object_put(o);
  free(text);
  ocidig_verify_report_free(r);
}
END_TEST

/* Opened without OCIDIG_OPEN_HASH_BLOBS (lazily): the same answers. */
START_TEST(test_docker_without_hash_flag)
{
  char path[4096];
  int status;
  run_opts ro = {.open_flags = 0};
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/verify/docker-clean-links.tar", TESTDATA);
  r = verify(path, &ro, &status);
  ck_assert_uint_eq(r->n_findings, 0);
  ck_assert_uint_eq(r->summary.blobs_checked, 4);
  ocidig_verify_report_free(r);
  snprintf(path, sizeof path, "%s/verify/docker-layer-tampered.tar", TESTDATA);
  r = verify(path, &ro, &status);
  ck_assert_ptr_nonnull(find(r, "diff-id-mismatch"));
  ck_assert_int_eq(status, 4);
  ocidig_verify_report_free(r);
}
END_TEST

START_TEST(test_docker_ref)
{
  char path[4096], at[128];
  int status;
  run_opts ro = {.ref = "fixture/app:latest"};
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/verify/docker-clean.tar", TESTDATA);
  r = verify(path, &ro, &status);
  ck_assert_int_eq(status, 0);
  ck_assert_uint_eq(r->n_images, 1);
  ck_assert_str_eq(r->images[0].name, "fixture/app:1, fixture/app:latest");
  ck_assert(!r->summary.unreferenced_checked);
  ocidig_verify_report_free(r);

  ro.ref = NULL;
  r = verify(path, &ro, &status);
  snprintf(at, sizeof at, "@%s", r->images[1].digest); /* the untagged image, by image ID */
  ocidig_verify_report_free(r);
  ro.ref = at;
  r = verify(path, &ro, &status);
  ck_assert_uint_eq(r->n_images, 1);
  ck_assert_ptr_null(r->images[0].name);
  ocidig_verify_report_free(r);

  ro.ref = "nope";
  r = verify(path, &ro, &status);
  ck_assert_int_eq(r->error.code, OCIDIG_ERR_REF_NOT_FOUND);
  ck_assert_int_eq(status, 2);
  ocidig_verify_report_free(r);

  /* --ref beats --platform, with a warning */
  ro.ref = "fixture/app:1";
  ro.platform = "linux/arm64";
  r = verify(path, &ro, &status);
  ck_assert_int_eq(status, 0);
  ck_assert_ptr_nonnull(find(r, "platform-mismatch"));
  ocidig_verify_report_free(r);
}
END_TEST

/* The same archive extracted into a directory (links kept), then tampered with. */
START_TEST(test_docker_dir)
{
  char *dir = tu_mkdtemp(), cmd[8192], p[4096];
  int status;
  ocidig_verify_report *r;
  json_object *man, *layers;
  FILE *f;
  snprintf(cmd, sizeof cmd, "tar -xf '%s/verify/docker-clean-links.tar' -C '%s' && chmod -R u+w '%s'", TESTDATA, dir,
           dir);
  ck_assert_int_eq(system(cmd), 0);
  r = verify(dir, NULL, &status);
  if (r->n_findings)
    dump(r, dir);
  ck_assert_int_eq(status, 0);
  ck_assert_str_eq(r->format, "docker-archive");
  ck_assert_uint_eq(r->summary.blobs_checked, 4);
  ck_assert(r->summary.unreferenced_checked);
  ck_assert_uint_eq(r->summary.blobs_unreferenced, 0);
  ocidig_verify_report_free(r);

  /* a byte of the app layer (manifest.json[0].Layers[1], a <diff_id>.tar) changed */
  snprintf(p, sizeof p, "%s/manifest.json", dir);
  man = json_object_from_file(p);
  ck_assert_ptr_nonnull(man);
  ck_assert(json_object_object_get_ex(json_object_array_get_idx(man, 0), "Layers", &layers));
  snprintf(p, sizeof p, "%s/%s", dir, json_object_get_string(json_object_array_get_idx(layers, 1)));
  json_object_put(man);
  f = fopen(p, "r+b");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fseek(f, 600, SEEK_SET), 0);
  ck_assert_int_eq(fputc('X', f), 'X');
  ck_assert_int_eq(fclose(f), 0);
  r = verify(dir, NULL, &status);
  ck_assert_ptr_nonnull(find(r, "digest-mismatch"));
  ck_assert_int_eq(status, 4);
  ocidig_verify_report_free(r);

  /* now a link out of the directory in its place */
  ck_assert_int_eq(unlink(p), 0);
  ck_assert_int_eq(symlink("/etc/passwd", p), 0);
  r = verify(dir, NULL, &status);
  ck_assert_ptr_nonnull(find(r, "link-escapes"));
  ck_assert_ptr_null(find(r, "digest-mismatch"));
  ck_assert_uint_eq(r->images[0].platforms[0].n_missing, 1);
  ck_assert_int_eq(status, 4);
  ocidig_verify_report_free(r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* A hybrid: index.json is verified as usual; manifest.json's disagreements are warnings. */
START_TEST(test_hybrid)
{
  char path[4096];
  int status;
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/verify/hybrid-disagrees.tar.gz", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_int_eq(status, 0);
  ck_assert_str_eq(r->format, "oci+docker-archive");
  ck_assert_uint_eq(r->n_images, 1);
  ck_assert_str_eq(r->images[0].name, "v1.0");
  ck_assert_uint_eq(r->summary.blobs_checked, 11);
  ck_assert_uint_eq(r->summary.errors, 0);
  ck_assert_uint_ge(count_code(r, "docker-manifest-disagrees"), 2); /* the layers, the RepoTag */
  ck_assert_uint_eq(count_code(r, "docker-manifest-disagrees"), r->summary.warnings);
  for (size_t i = 0; i < r->n_findings; i++) {
    ck_assert_int_eq(r->findings[i].severity, OCIDIG_SEVERITY_WARNING);
    ck_assert_str_eq(r->findings[i].path, "manifest.json");
  }
  ocidig_verify_report_free(r);
  snprintf(path, sizeof path, "%s/verify/clean.tar.gz", TESTDATA);
  r = verify(path, NULL, &status);
  ck_assert_str_eq(r->format, "oci");
  ocidig_verify_report_free(r);
}
END_TEST

/* ----------------------------------------------------------- samples */

typedef struct sample {
  const char *name;
  size_t warnings;
} sample;

static const sample samples[] = {
  {"buildah-multiarch", 0},
  {"buildah-multiarch.oci-archive.tar", 0},
  {"buildah-multiarch-v2s2list", 0},
  {"containerd-export-allplatforms.tar", 0},
  {"containerd-export-arm64only.tar", 8},
  {"podman-save-ocidir", 0},
  {"podman-save.oci-archive.tar", 0},
  {"skopeo-picked-armv7", 0},
  {"umoci-multitag", 0},
  {"variant-multiarch.tar.gz", 0},
  {"variant-multiarch.tar.zst", 0},
  {"variant-multiarch-dotslash.tar", 0},
  {"variant-multiarch-indexlast.tar", 0},
  {"skopeo-v2.oci-archive.tar", 0},
  {"buildah-amd64-zstd", 0},
  /* docker save archives: manifest.json, no index.json */
  {"docker-save-legacy-build.tar", 0},
  {"docker-save-by-id.tar", 0},
  {"buildah-arm64.docker-archive.tar", 0},
  {"podman-save.docker-archive.tar", 0},
};

START_TEST(test_sample)
{
  char path[4096];
  int status;
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/samples/%s", TESTDATA, samples[_i].name);
  r = verify(path, NULL, &status);
  if (r->summary.errors || r->summary.warnings != samples[_i].warnings)
    dump(r, path);
  ck_assert_uint_eq(r->summary.errors, 0);
  ck_assert_uint_eq(r->summary.warnings, samples[_i].warnings);
  ck_assert_int_eq(status, 0);
  ck_assert(r->summary.blobs_checked > 0);
  ocidig_verify_report_free(r);
}
END_TEST

START_TEST(test_sample_arm64only_platform)
{
  char path[4096];
  int status;
  run_opts ok = {.platform = "linux/arm64", .open_flags = OCIDIG_OPEN_HASH_BLOBS};
  run_opts bad = {.platform = "linux/amd64", .open_flags = OCIDIG_OPEN_HASH_BLOBS};
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/samples/containerd-export-arm64only.tar", TESTDATA);
  r = verify(path, &ok, &status);
  ck_assert_uint_eq(r->n_findings, 0);
  ck_assert_uint_eq(r->images[0].n_platforms, 1);
  ck_assert(r->images[0].platforms[0].requested);
  ck_assert_int_eq(status, 0);
  ocidig_verify_report_free(r);
  r = verify(path, &bad, &status);
  ck_assert_ptr_nonnull(find(r, "blob-missing"));
  ck_assert_int_eq(status, 4);
  ocidig_verify_report_free(r);
}
END_TEST

START_TEST(test_sample_single_manifest_platform)
{
  char path[4096];
  int status;
  run_opts ro = {.platform = "linux/arm64", .open_flags = OCIDIG_OPEN_HASH_BLOBS};
  ocidig_verify_report *r;
  const ocidig_finding *f;
  snprintf(path, sizeof path, "%s/samples/umoci-multitag", TESTDATA);
  r = verify(path, &ro, &status);
  f = find(r, "platform-mismatch");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(f->severity, OCIDIG_SEVERITY_WARNING);
  ck_assert_int_eq(status, 0);
  ocidig_verify_report_free(r);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("verify");
  TCase *tc = tcase_create("fixtures");
  TCase *td = tcase_create("details");
  TCase *ts = tcase_create("samples");
  int n_fx = (int)(sizeof fixtures / sizeof fixtures[0]);
  int n_samples = (int)(sizeof samples / sizeof samples[0]);
  tcase_set_timeout(tc, 60);
  tcase_set_timeout(td, 120);
  tcase_add_loop_test(tc, test_fixture_targz, 0, n_fx);
  tcase_add_loop_test(tc, test_fixture_dir, 0, n_fx);
  tcase_add_loop_test(tc, test_docker_fixture, 0, (int)(sizeof docker_fixtures / sizeof docker_fixtures[0]));
  tcase_add_test(td, test_clean_report);
  tcase_add_test(td, test_tampered_names_blob);
  tcase_add_test(td, test_archive_without_hash_flag);
  tcase_add_test(td, test_threads);
  tcase_add_test(td, test_sparse_lists_missing);
  tcase_add_test(td, test_index_json_platforms);
  tcase_add_test(td, test_ref);
  tcase_add_test(td, test_json);
  tcase_add_test(td, test_fail_on_warning);
  tcase_add_test(td, test_dir_link_escapes);
  tcase_add_test(td, test_dir_special);
  tcase_add_test(td, test_dir_blob_symlink_inside);
  tcase_add_test(td, test_json_too_large);
  tcase_add_test(td, test_huge_index);
  tcase_add_test(td, test_findings_cap);
  tcase_add_test(td, test_docker_report);
  tcase_add_test(td, test_docker_shared_and_missing);
  tcase_add_test(td, test_docker_json);
  tcase_add_test(td, test_docker_without_hash_flag);
  tcase_add_test(td, test_docker_ref);
  tcase_add_test(td, test_docker_dir);
  tcase_add_test(td, test_hybrid);
  tcase_add_loop_test(ts, test_sample, 0, n_samples);
  tcase_add_test(ts, test_sample_arm64only_platform);
  tcase_add_test(ts, test_sample_single_manifest_platform);
  suite_add_tcase(s, tc);
  suite_add_tcase(s, td);
  suite_add_tcase(s, ts);
  return tu_run(s);
}
