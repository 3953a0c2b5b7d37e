/* fuzz_archive.c: bytes -> an archive opened as a layout -> resolve for a few platforms
 * (and with the nil matcher and a --ref) -> the JSON report -> verify.
 *
 * The input goes into a memfd and is opened through /proc/self/fd/N, the way a file
 * given on the command line is: libarchive detects the format and the filters, members
 * are re-read by re-opening the path.  Each input is read twice: lazily (as resolve
 * reads) and in one full pass that hashes every blob with a tiny in-memory cap (as
 * verify reads, and so that re-reads happen).  See tests/fuzz/README.md. */
#include "config.h"

#include "ocidig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ocidig_platform host = {.os = (char *)"linux", .architecture = (char *)"amd64"};

/* The matchers, made once (harness state, not library state). */
#define N_MATCHERS 4
static ocidig_matcher *matchers[N_MATCHERS];

static void make_matchers(void)
{
  static const char *const specs[N_MATCHERS] = {"linux/amd64", "linux/arm64", "linux/arm/v7", "windows/amd64"};
  static const ocidig_matcher_kind kinds[N_MATCHERS] = {OCIDIG_MATCHER_ONLY, OCIDIG_MATCHER_ONLY,
                                                        OCIDIG_MATCHER_ONLY_STRICT, OCIDIG_MATCHER_ONLY};
  for (int i = 0; i < N_MATCHERS; i++) {
    ocidig_platform p;
    ocidig_error err;
    if (ocidig_platform_parse(specs[i], &host, &p, &err) != OCIDIG_OK ||
        ocidig_matcher_new(kinds[i], &p, 1, &host, &matchers[i], &err) != OCIDIG_OK)
      abort();
    ocidig_platform_clear(&p);
  }
}

/* Checks that hold for any input: a report is always produced, and says what it says. */
static void check_resolution(const ocidig_resolution *r, ocidig_code rc)
{
  char *json;
  if (!r)
    return; /* out of memory */
  if (rc != OCIDIG_OK && r->outcome != OCIDIG_OUTCOME_ERROR)
    __builtin_trap();
  if (r->outcome == OCIDIG_OUTCOME_ERROR && r->error.code == OCIDIG_OK)
    __builtin_trap();
  if (r->outcome == OCIDIG_OUTCOME_SELECTED && !r->selected.digest_string)
    __builtin_trap();
  json = ocidig_resolution_to_json(r, true);
  free(json);
}

static void resolve_all(ocidig_layout *l)
{
  for (int i = 0; i <= N_MATCHERS; i++) {
    ocidig_resolve_options opts = {.matcher = i < N_MATCHERS ? matchers[i] : NULL, .host = &host};
    ocidig_resolution *r = NULL;
    ocidig_error err;
    ocidig_code rc = ocidig_resolve(l, &opts, &r, &err);
    check_resolution(r, rc);
    /* --ref: by the digest it selected, and by a tag. */
    if (r && r->outcome == OCIDIG_OUTCOME_SELECTED && r->n_rows > 0 && r->rows[0].desc.digest_string) {
      char ref[OCIDIG_DIGEST_STRING_MAX + 2];
      ocidig_resolution *r2 = NULL;
      snprintf(ref, sizeof ref, "@%s", r->rows[0].desc.digest_string);
      opts.ref = ref;
      rc = ocidig_resolve(l, &opts, &r2, &err);
      check_resolution(r2, rc);
      ocidig_resolution_free(r2);
      opts.ref = "latest";
      r2 = NULL;
      rc = ocidig_resolve(l, &opts, &r2, &err);
      check_resolution(r2, rc);
      ocidig_resolution_free(r2);
    }
    ocidig_resolution_free(r);
  }
}

static void full_pass(const char *path)
{
  ocidig_open_options o = {.flags = OCIDIG_OPEN_HASH_BLOBS, .small_cap = 256};
  ocidig_layout *l = NULL;
  ocidig_error err;
  const ocidig_entry *ents;
  const char *const *warnings;
  size_t n;
  if (ocidig_layout_open(path, &o, &l, &err) != OCIDIG_OK)
    return;
  if (ocidig_layout_entries(l, &ents, &n, &err) == OCIDIG_OK) {
    /* Every entry the listing gives can be looked up and read (bounded). */
    for (size_t i = 0; i < n && i < 64; i++) {
      uint8_t *buf = NULL;
      size_t len = 0;
      ocidig_entry e;
      if (ents[i].type != OCIDIG_ENTRY_FILE || ents[i].escapes)
        continue;
      if (ocidig_layout_stat(l, ents[i].path, &e, &err) == OCIDIG_OK &&
          ocidig_layout_read_file(l, ents[i].path, 1 << 16, &buf, &len, &err) == OCIDIG_OK)
        free(buf);
    }
  }
  (void)ocidig_layout_warnings(l, &warnings);
  resolve_all(l);
  {
    ocidig_verify_options vo = {.host = &host, .threads = 1};
    ocidig_verify_report *vr = NULL;
    ocidig_code rc = ocidig_verify(l, &vo, &vr, &err);
    (void)rc;
    if (vr) {
      char *json = ocidig_verify_report_to_json(vr, true);
      free(json);
      (void)ocidig_verify_exit_status(vr, false);
      ocidig_verify_report_free(vr);
    }
  }
  ocidig_layout_close(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char path[64];
  int fd;
  ocidig_layout *l = NULL;
  ocidig_error err;

  if (!matchers[0])
    make_matchers();
  fd = memfd_create("fuzz-archive", MFD_CLOEXEC);
  if (fd < 0)
    abort();
  for (size_t off = 0; off < size;) {
    ssize_t w = write(fd, data + off, size - off);
    if (w <= 0)
      abort();
    off += (size_t)w;
  }
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

  /* Lazily, as resolve reads. */
  if (ocidig_layout_open(path, NULL, &l, &err) == OCIDIG_OK) {
    resolve_all(l);
    ocidig_layout_close(l);
  } else if (err.code == OCIDIG_OK) {
    __builtin_trap(); /* a failure must say why */
  }
  /* In one pass, hashing, with re-reads. */
  full_pass(path);
  close(fd);
  return 0;
}
