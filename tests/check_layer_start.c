/* check_layer_start.c: the start of a layer read (the review of issue 14, finding 5).
 *
 * The layer reader starts its worker with the first feed: it makes the diff_id's hasher and
 * starts a thread.  Out of memory there must be out-of-memory from every later call (no join
 * of a thread never started, no hash finished that was never made), and a thread that
 * cannot start (pthread_create: EAGAIN, as under a pids limit) must say so, as io-error,
 * not out-of-memory, from the reader and from verify --deep through the public API.
 *
 * The test replaces malloc, calloc and realloc of its own process (as check_oom does) and
 * pthread_create (the real one through dlsym(RTLD_NEXT)); an allocation fails only on the
 * thread that armed it, so the reader's worker and libarchive are never hit.  Under
 * AddressSanitizer malloc belongs to the sanitizer: skipped (exit 77).
 * Fixtures: testdata/layer-reader/gnu.tar.gz (GNU tar, gzip; gnu.tar.sha256 is sha256sum's
 * digest of its tar), testdata/layers/umoci-multi (umoci). */
#define _GNU_SOURCE
#include "testutil.h"

#include "layer.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define START_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define START_SKIP 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define START_SKIP 1
#endif

#ifndef START_SKIP
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t a, size_t b);
void *__libc_realloc(void *p, size_t n);

static __thread long fail_at; /* this thread's allocation to fail (1-based), 0: none */
static __thread long n_allocs;
static int fail_threads;      /* pthread_create fails with EAGAIN */

static int should_fail(void)
{
  if (fail_at <= 0 || ++n_allocs != fail_at)
    return 0;
  errno = ENOMEM;
  return 1;
}

void *malloc(size_t n)
{
  return should_fail() ? NULL : __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
  return should_fail() ? NULL : __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
  return should_fail() ? NULL : __libc_realloc(p, n);
}

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg)
{
  int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
  if (fail_threads)
    return EAGAIN;
  *(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
  return real(t, a, f, arg);
}

static char *read_hex(const char *rel)
{
  char path[1024], *s;
  size_t len;
  snprintf(path, sizeof path, "%s/%s", TESTDATA, rel);
  s = tu_read_file(path, &len);
  s[strcspn(s, " \n")] = '\0';
  return s;
}

/* One read of gnu.tar.gz with this thread's allocation `at` failing (0: none), in pieces of
 * 1000 bytes: 0 the digests are right, 1 out-of-memory said, 2 wrong, 3 another error. */
static int read_once(const uint8_t *gz, size_t len, long at, const char *want_diff, const char *want_in)
{
  oci_layer_reader *r;
  oci_layer_result res;
  ocidig_error err = {0};
  ocidig_code rc = OCIDIG_OK, frc;
  n_allocs = 0;
  fail_at = at;
  if (!(r = oci_layer_reader_new(OCI_LAYER_GZIP, NULL, NULL, &err))) {
    fail_at = 0;
    return err.code == OCIDIG_ERR_NOMEM ? 1 : 3;
  }
  oci_layer_reader_hash_input(r, OCIDIG_DIGEST_SHA256);
  for (size_t off = 0; off < len && rc == OCIDIG_OK; off += 1000)
    rc = oci_layer_reader_feed(r, gz + off, len - off < 1000 ? len - off : 1000, &err);
  /* after a failed feed, the caller still finishes and frees (as deep.c and oci_layer_read do) */
  frc = oci_layer_reader_finish(r, &res, &err);
  oci_layer_reader_free(r);
  fail_at = 0;
  if (rc == OCIDIG_OK)
    rc = frc;
  if (rc == OCIDIG_ERR_NOMEM)
    return 1;
  if (rc != OCIDIG_OK)
    return 3;
  return res.have_digests && !strcmp(res.diff_id.hex, want_diff) && !strcmp(res.input.hex, want_in) ? 0 : 2;
}

START_TEST(test_oom_at_start)
{
  char path[1024];
  size_t len;
  uint8_t *gz;
  char *want_diff = read_hex("layer-reader/gnu.tar.sha256"), *want_in = read_hex("layer-reader/gnu.tar.gz.sha256");
  int nomem = 0;
  snprintf(path, sizeof path, "%s/layer-reader/gnu.tar.gz", TESTDATA);
  gz = (uint8_t *)tu_read_file(path, &len);
  ck_assert_int_eq(read_once(gz, len, 0, want_diff, want_in), 0);
  /* every allocation of the caller's thread in turn, in a child (a crash is the failure) */
  for (long at = 1; at <= 60; at++) {
    int st;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
      _exit(read_once(gz, len, at, want_diff, want_in));
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st), "allocation %ld failing: the read died of signal %d", at, WTERMSIG(st));
    ck_assert_msg(WEXITSTATUS(st) <= 1, "allocation %ld failing: %s", at,
                  WEXITSTATUS(st) == 2 ? "wrong digests without an error" : "an error other than out-of-memory");
    nomem += WEXITSTATUS(st) == 1;
  }
  ck_assert_int_gt(nomem, 3); /* the allocations of the start were among them */
  free(gz);
  free(want_diff);
  free(want_in);
}
END_TEST

START_TEST(test_thread_cannot_start_reader)
{
  oci_layer_reader *r;
  oci_layer_result res;
  ocidig_error err = {0};
  static const uint8_t zeros[1024];
  ocidig_code rc;
  ck_assert_ptr_nonnull(r = oci_layer_reader_new(OCI_LAYER_NONE, NULL, NULL, &err));
  fail_threads = 1;
  rc = oci_layer_reader_feed(r, zeros, sizeof zeros, &err);
  ck_assert_int_eq(rc, OCIDIG_ERR_IO);
  ck_assert_msg(strstr(err.message, "thread") && strstr(err.message, strerror(EAGAIN)), "%s", err.message);
  /* and again (the queue never fills waiting for a worker that does not exist) */
  for (int i = 0; i < 8; i++)
    ck_assert_int_eq(oci_layer_reader_feed(r, zeros, sizeof zeros, &err), OCIDIG_ERR_IO);
  ck_assert_int_eq(oci_layer_reader_finish(r, &res, &err), OCIDIG_ERR_IO);
  ck_assert(!res.have_digests);
  oci_layer_reader_free(r);
  fail_threads = 0;
}
END_TEST

START_TEST(test_thread_cannot_start_verify)
{
  ocidig_layout *l = NULL;
  ocidig_verify_report *r = NULL;
  ocidig_verify_options o;
  ocidig_error err = {0};
  ocidig_code rc;
  ck_assert_int_eq(ocidig_layout_open(TESTDATA "/layers/umoci-multi", NULL, &l, &err), OCIDIG_OK);
  ocidig_verify_options_init(&o);
  o.deep = true;
  fail_threads = 1;
  rc = ocidig_verify(l, &o, &r, &err);
  fail_threads = 0;
  ck_assert_msg(rc == OCIDIG_ERR_IO, "%s: %s", ocidig_code_name(rc), err.message);
  ck_assert_msg(strstr(err.message, "thread"), "%s", err.message);
  ck_assert_int_eq(ocidig_code_exit_status(rc), 3);
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(ocidig_verify_report_exit_status(r, false), 3);
  ocidig_verify_report_free(r);
  /* plain verify needs no thread of its own (the hasher works inline) */
  fail_threads = 1;
  o.deep = false;
  rc = ocidig_verify(l, &o, &r, &err);
  fail_threads = 0;
  ck_assert_int_eq(rc, OCIDIG_OK);
  ocidig_verify_report_free(r);
  ocidig_layout_close(l);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("layer_start");
  TCase *t = tcase_create("start");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, test_oom_at_start);
  tcase_add_test(t, test_thread_cannot_start_reader);
  tcase_add_test(t, test_thread_cannot_start_verify);
  suite_add_tcase(s, t);
  return s;
}

int main(void)
{
  return tu_run(suite());
}
#else
int main(void)
{
  return 77;
}
#endif
