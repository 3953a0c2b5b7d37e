/* check_prefetch.c: a compressed archive read again from its start keeps, on each pass, what
 * will be asked for next (member.c oci_member_refill_plan), within the 8 MiB kept in memory.
 * Linked like check_reread: the layout over its sources and nothing above.  The archives are
 * written at test time with libarchive (gzip); each member's bytes say which member it is.
 *
 * - window: 3,000 members of 4 KiB (12 MB, past the 8 MiB kept) written in one order and
 *   asked for in another, announced (oci_layout_expect): the passes (calls of the source's
 *   reread, counted by wrapping its operation) stay a handful, twice through the list too,
 *   where asking a tenth of them without announcing them takes dozens; the bytes are right
 *   and what is kept never exceeds the 8 MiB.
 * - a blob handed out, then a member passed over read again, then a second copy of the
 *   blob: the archive is read to its end before the first pass, so that the copy is
 *   compared with the bytes handed out before any pass drops them: an identical copy is a
 *   warning, a different one makes the archive ambiguous (corrupt-archive).
 * - levels: 2,000 images, each an index holding a nested index of two platform manifests,
 *   each with its own config (11 MB of documents, past the 8 MiB), in a shuffled order:
 *   ls and verify through the library announce every level of the walk ahead
 *   (graph.h oci_graph_announce_walk): a handful of passes, where only the root's children
 *   announced took about one a document (three levels and the configs unannounced). */
#include "testutil.h"
#include "layout.h"

#include <openssl/evp.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <unistd.h>

#define N_DOCS 3000
#define DOC_SIZE 4096

static void fill(char *buf, size_t len, int i)
{
  memset(buf, 'a' + i % 26, len);
  snprintf(buf, 32, "document %d", i);
  buf[strlen(buf)] = ' ';
}

static void add(struct archive *a, const char *name, const char *data, size_t len)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, (la_int64_t)len);
  ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
  ck_assert_int_eq(archive_write_data(a, data, len), (la_ssize_t)len);
  archive_entry_free(e);
}

static struct archive *tar_gz(const char *path)
{
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
  return a;
}

static void tar_close(struct archive *a)
{
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

/* The source's reread, counted. */
static const oci_source_ops *real_ops;
static oci_source_ops counting_ops;
static size_t n_rereads;

static ocidig_code counting_reread(oci_source *s, const char *path, size_t ordinal, int64_t size, ocidig_sink sink,
                                   void *ctx, ocidig_error *err)
{
  n_rereads++;
  return real_ops->reread(s, path, ordinal, size, sink, ctx, err);
}

static void count_rereads(ocidig_layout *l)
{
  real_ops = l->src->ops;
  counting_ops = *real_ops;
  counting_ops.reread = counting_reread;
  l->src->ops = &counting_ops;
  n_rereads = 0;
}

/* The order the documents are asked for: a fixed permutation of the archive's. */
static int asked(int k)
{
  return (int)(((long)k * 1009 + 17) % N_DOCS);
}

static const char *doc_path(void *ctx, size_t i)
{
  static char name[32];
  (void)ctx;
  snprintf(name, sizeof name, "docs/d%04d", asked((int)i));
  return name;
}

static void expect_doc(ocidig_layout *l, int i)
{
  char name[32], want[DOC_SIZE];
  uint8_t *data = NULL;
  size_t len = 0;
  ocidig_error e;
  snprintf(name, sizeof name, "docs/d%04d", i);
  fill(want, sizeof want, i);
  ck_assert_msg(ocidig_layout_read_file(l, name, 1 << 20, &data, &len, &e) == OCIDIG_OK, "%s: %s", name, e.message);
  ck_assert_uint_eq(len, DOC_SIZE);
  ck_assert_msg(!memcmp(data, want, len), "%s: other bytes", name);
  free(data);
  ck_assert_uint_le(l->kept_bytes, OCIDIG_MAX_KEPT_BYTES);
}

static char *write_docs(const char *dir)
{
  char *path, name[32], buf[DOC_SIZE];
  struct archive *a;
  ck_assert(asprintf(&path, "%s/docs.tar.gz", dir) > 0);
  a = tar_gz(path);
  for (int i = 0; i < N_DOCS; i++) {
    snprintf(name, sizeof name, "docs/d%04d", i);
    fill(buf, sizeof buf, i);
    add(a, name, buf, sizeof buf);
  }
  add(a, "index.json", "{}", 2);
  tar_close(a);
  return path;
}

/* The first `count` documents in the order asked(), `times` over, announced or not: the
 * passes it takes. */
static size_t walk(const char *tar, bool announce, int times, int count)
{
  ocidig_layout *l;
  ocidig_error e;
  size_t passes;
  uint8_t *data;
  size_t len;
  ck_assert_int_eq(oci_layout_open(tar, NULL, NULL, &l, &e), OCIDIG_OK);
  count_rereads(l);
  /* index.json last: the archive read to its end, every document passed over, 8 MiB kept */
  ck_assert_int_eq(ocidig_layout_read_file(l, "index.json", 1 << 20, &data, &len, &e), OCIDIG_OK);
  free(data);
  if (announce)
    oci_layout_expect(l, N_DOCS, doc_path, NULL);
  for (int t = 0; t < times; t++)
    for (int k = 0; k < count; k++)
      expect_doc(l, asked(k));
  passes = n_rereads;
  ocidig_layout_close(l);
  return passes;
}

START_TEST(test_window)
{
  char *dir = tu_mkdtemp(), *tar = write_docs(dir);
  size_t once = walk(tar, true, 1, N_DOCS), twice = walk(tar, true, 2, N_DOCS), blind = walk(tar, false, 1, 300);
  /* 12 MB of documents, 8 MiB a pass: two or three passes a walk (the first pass finds
   * the 8 MiB the first reading kept in the archive's order, not the walk's) */
  ck_assert_msg(once <= 4, "one walk announced: %zu passes", once);
  ck_assert_msg(twice <= 8, "two walks announced: %zu passes", twice);
  /* unannounced, the first tenth of the walk: the passes cannot know what comes next (a
   * random order): one for most documents passed over */
  ck_assert_msg(blind >= 30, "a tenth of a walk unannounced: %zu passes", blind);
  unlink(tar);
  tu_rmtree(dir);
  free(tar);
  free(dir);
}
END_TEST

/* blobs/sha256/<hash of "blob a" ...>, then 10 MiB of other members, then (maybe) a second
 * copy of the blob: identical or not. */
static char *write_dup(const char *dir, const char *blob_name, const char *blob, size_t blob_len, bool same)
{
  char *path, name[32];
  char *buf = malloc(256 * 1024);
  struct archive *a;
  ck_assert(asprintf(&path, "%s/dup-%d.tar.gz", dir, same) > 0);
  a = tar_gz(path);
  add(a, blob_name, blob, blob_len);
  for (int i = 0; i < 40; i++) {
    snprintf(name, sizeof name, "fill/f%02d", i);
    fill(buf, 256 * 1024, i);
    add(a, name, buf, 256 * 1024);
  }
  if (same) {
    add(a, blob_name, blob, blob_len);
  } else {
    char *other = malloc(blob_len);
    memcpy(other, blob, blob_len);
    other[blob_len - 1] = '!';
    add(a, blob_name, other, blob_len);
    free(other);
  }
  add(a, "end", "end", 3);
  tar_close(a);
  free(buf);
  return path;
}

static void read_fill(ocidig_layout *l, int i)
{
  char name[32];
  uint8_t *data = NULL;
  size_t len = 0;
  ocidig_error e;
  snprintf(name, sizeof name, "fill/f%02d", i);
  ck_assert_msg(ocidig_layout_read_file(l, name, 1 << 20, &data, &len, &e) == OCIDIG_OK, "%s: %s", name, e.message);
  ck_assert_uint_eq(len, 256 * 1024);
  free(data);
}

/* A blob handed out while kept, then a member passed over read again: the archive is read
 * to its end first, so that the second copy of the blob is met while the first one's bytes
 * are still there (a pass may drop them after): an identical copy is a warning and the
 * request goes on, a different one makes the archive ambiguous, the request's error. */
static void later_copy(bool same)
{
  char *dir = tu_mkdtemp(), blob[2048], hex[65], blob_name[96], *tar, name[32];
  ocidig_layout *l;
  ocidig_error e;
  uint8_t *data;
  size_t len;
  ocidig_code rc;
  const char *const *w;
  size_t nw;
  bool said = false;
  fill(blob, sizeof blob, 7);
  ck_assert(oci_hash_hex(OCIDIG_DIGEST_SHA256, blob, sizeof blob, hex));
  snprintf(blob_name, sizeof blob_name, "blobs/sha256/%s", hex);
  tar = write_dup(dir, blob_name, blob, sizeof blob, same);
  ck_assert_int_eq(oci_layout_open(tar, NULL, NULL, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_layout_read_file(l, blob_name, 1 << 20, &data, &len, &e), OCIDIG_OK);
  free(data);
  /* f39: read on to it (the later fillers past the 8 MiB kept); f38: passed over */
  read_fill(l, 39);
  ck_assert(!oci_layout_known_whole(l));
  snprintf(name, sizeof name, "fill/f%02d", 38);
  rc = ocidig_layout_read_file(l, name, 1 << 20, &data, &len, &e);
  if (same) {
    ck_assert_msg(rc == OCIDIG_OK, "%s", e.message);
    free(data);
    ck_assert(oci_layout_known_whole(l));
    nw = ocidig_layout_warnings(l, &w);
    for (size_t i = 0; i < nw; i++)
      said = said || strstr(w[i], "identical copies") != NULL;
    ck_assert_msg(said, "no warning of identical copies");
    for (int i = 37; i >= 20; i--) /* passes that drop the blob's bytes: nothing to compare now */
      read_fill(l, i);
    ck_assert_int_eq(ocidig_layout_scan_all(l, &e), OCIDIG_OK);
  } else {
    ck_assert_int_eq(rc, OCIDIG_ERR_CORRUPT_ARCHIVE);
    ck_assert_msg(strstr(e.message, "ambiguous") != NULL, "%s", e.message);
  }
  ocidig_layout_close(l);
  unlink(tar);
  tu_rmtree(dir);
  free(tar);
  free(dir);
}

START_TEST(test_later_copy_identical)
{
  later_copy(true);
}
END_TEST

START_TEST(test_later_copy_different)
{
  later_copy(false);
}
END_TEST

/* ------------------------------------------------ levels of the graph */

#define N_IMAGES 2000

typedef struct member {
  char name[96];
  char *data;
  size_t len;
} member;

static member *members;
static size_t n_members;

/* A blob of the layout: its descriptor's digest into dgst ("sha256:<hex>"). */
static void blob(const char *data, size_t len, char *dgst)
{
  unsigned char md[32];
  unsigned int mdlen = 0;
  member *m = &members[n_members++];
  ck_assert(EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) == 1);
  strcpy(dgst, "sha256:");
  for (unsigned i = 0; i < mdlen; i++)
    sprintf(dgst + 7 + 2 * i, "%02x", md[i]);
  snprintf(m->name, sizeof m->name, "blobs/sha256/%s", dgst + 7);
  m->data = malloc(len);
  memcpy(m->data, data, len);
  m->len = len;
}

static size_t fmt(char *buf, size_t cap, const char *f, ...)
{
  va_list ap;
  int n;
  va_start(ap, f);
  n = vsnprintf(buf, cap, f, ap);
  va_end(ap);
  ck_assert(n > 0 && (size_t)n < cap);
  return (size_t)n;
}

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"

static char *write_levels(const char *dir)
{
  static const char *const arch[2] = {"amd64", "arm64"};
  char *path, pad[1201], layer_d[80], cfg_d[80], man_d[2][80], inner_d[80], outer_d[80], buf[4096];
  size_t len, index_cap = (size_t)N_IMAGES * 320 + 64, index_len = 0;
  char *index = malloc(index_cap);
  struct archive *a;
  const char layer[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00";
  members = calloc((size_t)N_IMAGES * 6 + 1, sizeof *members);
  n_members = 0;
  memset(pad, 'p', sizeof pad - 1);
  pad[sizeof pad - 1] = 0;
  blob(layer, sizeof layer - 1, layer_d);
  index_len = fmt(index, index_cap, "{\"schemaVersion\":2,\"manifests\":[");
  for (int i = 0; i < N_IMAGES; i++) {
    for (int k = 0; k < 2; k++) {
      len = fmt(buf, sizeof buf,
                "{\"architecture\":\"%s\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                "\"n\":%d,\"pad\":\"%s\"}", arch[k], i, pad);
      blob(buf, len, cfg_d);
      len = fmt(buf, sizeof buf,
                "{\"schemaVersion\":2,\"mediaType\":\"" MT_MANIFEST "\",\"config\":{\"mediaType\":"
                "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{"
                "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":%zu}],"
                "\"annotations\":{\"n\":\"%d\",\"pad\":\"%.900s\"}}",
                cfg_d, members[n_members - 1].len, layer_d, sizeof layer - 1, i, pad);
      blob(buf, len, man_d[k]);
    }
    len = fmt(buf, sizeof buf,
              "{\"schemaVersion\":2,\"mediaType\":\"" MT_INDEX "\",\"manifests\":["
              "{\"mediaType\":\"" MT_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,\"platform\":{\"architecture\":"
              "\"amd64\",\"os\":\"linux\"}},{\"mediaType\":\"" MT_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,"
              "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}",
              man_d[0], members[n_members - 3].len, man_d[1], members[n_members - 1].len);
    blob(buf, len, inner_d);
    len = fmt(buf, sizeof buf,
              "{\"schemaVersion\":2,\"mediaType\":\"" MT_INDEX "\",\"manifests\":[{\"mediaType\":\"" MT_INDEX
              "\",\"digest\":\"%s\",\"size\":%zu}]}", inner_d, members[n_members - 1].len);
    blob(buf, len, outer_d);
    index_len += fmt(index + index_len, index_cap - index_len,
                     "%s{\"mediaType\":\"" MT_INDEX "\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":"
                     "{\"org.opencontainers.image.ref.name\":\"example.com/img%04d:v1\"}}",
                     i ? "," : "", outer_d, members[n_members - 1].len, i);
  }
  index_len += fmt(index + index_len, index_cap - index_len, "]}");
  ck_assert(asprintf(&path, "%s/levels.tar.gz", dir) > 0);
  a = tar_gz(path);
  add(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
  /* a fixed shuffle (a member may be there twice: the layer, once) */
  for (size_t i = n_members - 1; i > 0; i--) {
    size_t j = (i * 7919 + 13) % (i + 1);
    member t = members[i];
    members[i] = members[j];
    members[j] = t;
  }
  for (size_t i = 0; i < n_members; i++) {
    add(a, members[i].name, members[i].data, members[i].len);
    free(members[i].data);
  }
  add(a, "index.json", index, index_len);
  tar_close(a);
  free(index);
  free(members);
  return path;
}

START_TEST(test_levels)
{
  char *dir = tu_mkdtemp(), *tar = write_levels(dir);
  ocidig_layout *l;
  ocidig_listing *ls = NULL;
  ocidig_verify_report *vr = NULL;
  ocidig_error e;
  size_t ls_passes, verify_passes;
  ck_assert_int_eq(ocidig_layout_open(tar, NULL, &l, &e), OCIDIG_OK);
  count_rereads(l);
  ck_assert_msg(ocidig_layout_list(l, NULL, &ls, &e) == OCIDIG_OK, "ls: %s", e.message);
  ls_passes = n_rereads;
  ck_assert_uint_eq(ls->n_images, N_IMAGES);
  for (size_t i = 0; i < ls->n_images; i++)
    ck_assert_msg(ls->images[i].n_rows == 2 && ls->images[i].complete, "image %zu: %zu rows", i,
                  ls->images[i].n_rows);
  ck_assert_uint_eq(ls->n_missing, 0);
  ocidig_listing_free(ls);
  ocidig_layout_close(l);
  ck_assert_int_eq(ocidig_layout_open(tar, NULL, &l, &e), OCIDIG_OK);
  count_rereads(l);
  ck_assert_msg(ocidig_layout_verify(l, NULL, &vr, &e) == OCIDIG_OK, "verify: %s", e.message);
  verify_passes = n_rereads;
  ck_assert_uint_eq(vr->n_images, N_IMAGES);
  ck_assert_msg(vr->summary.errors == 0, "verify: %zu errors", (size_t)vr->summary.errors);
  ocidig_verify_report_free(vr);
  ocidig_layout_close(l);
  /* 11 MB of documents, read twice (the manifests ahead, then the walk): 8 MiB a pass */
  fprintf(stderr, "# passes: ls %zu, verify %zu\n", ls_passes, verify_passes);
  ck_assert_msg(ls_passes <= 10, "ls of nested indexes: %zu passes", ls_passes);
  ck_assert_msg(verify_passes <= 10, "verify of nested indexes: %zu passes", verify_passes);
  unlink(tar);
  tu_rmtree(dir);
  free(tar);
  free(dir);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("prefetch");
  TCase *t = tcase_create("passes");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, test_window);
  tcase_add_test(t, test_later_copy_identical);
  tcase_add_test(t, test_later_copy_different);
  tcase_add_test(t, test_levels);
  suite_add_tcase(s, t);
  return tu_run(s);
}
