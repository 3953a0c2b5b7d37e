/* check_oom.c: out of memory is never reported as an integrity failure (issue 13, item 7).
 *
 * The library has no allocator hook (it keeps no global state), so this test replaces
 * malloc, calloc and realloc for its own process: glibc lets a program do that, and the
 * library, json-c, libarchive and OpenSSL then allocate through it.  For each N, a child
 * process opens a fixture and runs resolve, ls and verify with the N-th allocation failing
 * (once).  Each command must then give what it gives with memory to spare, or say
 * out-of-memory: a code of the result (the open's and the command's return codes, the
 * error of the report, each row's code and each verdict that is not "selected", each
 * finding's code; an "error" row carries the report's code) that the run with memory to
 * spare does not have, other than out-of-memory, is a failure, and so is a result that differs without any
 * out-of-memory.  The first allocations are all tried, then a spread of the rest.
 *
 * Under AddressSanitizer (configure --enable-sanitizers) malloc belongs to the sanitizer:
 * the test is skipped (exit 77).  Fixtures: testdata/samples (real tools' output). */
#include "testutil.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define OOM_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define OOM_SKIP 1
#endif
#endif

#ifndef OOM_SKIP
/* ------------------------------------------------------ the failing allocator */

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t a, size_t b);
void *__libc_realloc(void *p, size_t n);

static long fail_at;   /* the allocation to fail (1-based); 0: none */
static long n_allocs;  /* allocations counted since the count was reset */
static void *fail_trace[24];
static int fail_depth;

static int should_fail(void)
{
  long n = __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
  if (fail_at <= 0 || n != fail_at)
    return 0;
  fail_depth = backtrace(fail_trace, 24); /* preloaded in main: does not allocate then */
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

/* json-c 0.16 dereferences NULL after some of its own allocations fail (a key's copy in
 * json_object_object_add_ex), and so does libarchive 3.6 (archive_read_new ignores a failed
 * archive_entry_new2); libarchive's string functions end the process instead ("Fatal
 * Internal Error in libarchive: No memory", exit(1)): a crash or an exit after an
 * allocation a dependency made is the dependency's, not the library's (counted and shown,
 * not failed).  The child tells them apart by where the failing allocation was made; the
 * child itself ends with _exit, so exit() there is a dependency's (or the library's, which
 * must never exit). */
#define EXIT_DEPENDENCY_CRASH 3
static void on_crash(int sig);
static void on_exit_call(void)
{
  on_crash(0);
}

static void on_crash(int sig)
{
  static const char *const deps[] = {"libjson-c", "libarchive", "libcrypto", "libz", "liblzma", "libzstd", "libbz2"};
  int status = sig ? 4 : 5;
  Dl_info info;
  /* The first frame outside this program (should_fail, malloc) and libc made the allocation. */
  for (int f = 0; f < fail_depth; f++) {
    if (!dladdr(fail_trace[f], &info) || !info.dli_fname || strstr(info.dli_fname, "check_oom") ||
        strstr(info.dli_fname, "libc.so"))
      continue; /* this program, or strdup & co. */
    for (size_t k = 0; k < sizeof deps / sizeof deps[0]; k++)
      if (strstr(info.dli_fname, deps[k]))
        status = EXIT_DEPENDENCY_CRASH;
    break;
  }
  (void)sig;
  if (status != EXIT_DEPENDENCY_CRASH && getenv("OOM_TRACE")) {
    void *here[24];
    int n = backtrace(here, 24);
    dprintf(STDERR_FILENO, "OOM-CRASH allocation %ld\n", fail_at);
    backtrace_symbols_fd(fail_trace, fail_depth, STDERR_FILENO);
    dprintf(STDERR_FILENO, "OOM-CRASH-AT\n");
    backtrace_symbols_fd(here, n, STDERR_FILENO);
    dprintf(STDERR_FILENO, "OOM-CRASH-END\n");
  }
  _exit(status);
}

/* ------------------------------------------------------ what a run gives */

#define SAMPLES TESTDATA "/samples/"

typedef struct result {
  char codes[2048];   /* " code code ..." (each once) */
  char summary[8192]; /* everything compared */
} result;

static void add_code(result *res, const char *code)
{
  char word[128];
  snprintf(word, sizeof word, " %s ", code);
  if (!strstr(res->codes, word) && strlen(res->codes) + strlen(word) < sizeof res->codes) {
    if (!res->codes[0])
      strcat(res->codes, " ");
    strcat(res->codes, code);
    strcat(res->codes, " ");
  }
}

/* Appends pattern with its one "%s" replaced by s ("-" for NULL). */
static void add(result *res, const char *pattern, const char *s)
{
  const char *hole = strstr(pattern, "%s");
  size_t n = strlen(res->summary);
  if (!hole || n >= sizeof res->summary - 1)
    return;
  snprintf(res->summary + n, sizeof res->summary - n, "%.*s%s%s", (int)(hole - pattern), pattern, s ? s : "-",
           hole + 2);
}

static void add_rc(result *res, const char *what, ocidig_code rc)
{
  add(res, "%s=", what);
  add(res, "%s;", ocidig_code_name(rc));
  if (rc != OCIDIG_OK)
    add_code(res, ocidig_code_name(rc));
}

typedef enum { OP_RESOLVE, OP_LIST, OP_VERIFY, OP_VERIFY_DEEP } op_kind;

typedef struct op {
  op_kind kind;
  const char *source;
  const char *platform; /* NULL: no matcher */
} op;

static void run_op(const op *o, const ocidig_matcher *m, result *res)
{
  ocidig_layout *l = NULL;
  ocidig_error err = {0};
  ocidig_open_options oo = {0};
  ocidig_code rc;
  memset(res, 0, sizeof *res);
  if (o->kind == OP_VERIFY)
    oo.flags = OCIDIG_OPEN_HASH_BLOBS;
  if (o->kind == OP_VERIFY_DEEP) /* an archive's layers read in its one pass */
    oo.flags = OCIDIG_OPEN_HASH_BLOBS | OCIDIG_OPEN_READ_LAYERS;
  rc = ocidig_layout_open(o->source, &oo, &l, &err);
  add_rc(res, "open", rc);
  if (rc != OCIDIG_OK)
    return;
  if (o->kind == OP_RESOLVE) {
    ocidig_resolve_options opts = {.matcher = m};
    ocidig_resolution *r = NULL;
    rc = ocidig_resolve(l, &opts, &r, &err);
    add_rc(res, "resolve", rc);
    if (r) {
      add(res, "outcome=%s;", ocidig_outcome_name(r->outcome));
      add_rc(res, "error", r->error.code);
      add(res, "selected=%s;", r->selected.digest_string);
      for (size_t i = 0; i < r->n_rows; i++) {
        add(res, "%s,", r->rows[i].desc.digest_string);
        add(res, "%s;", ocidig_verdict_name(r->rows[i].verdict));
        /* "error" rows carry the resolution's error, whose code is counted above */
        if (r->rows[i].verdict != OCIDIG_VERDICT_SELECTED && r->rows[i].verdict != OCIDIG_VERDICT_NOT_REACHED &&
            r->rows[i].verdict != OCIDIG_VERDICT_ERROR)
          add_code(res, ocidig_verdict_name(r->rows[i].verdict));
      }
    }
    ocidig_resolution_free(r);
  } else if (o->kind == OP_LIST) {
    ocidig_list_options opts = {.matcher = m};
    ocidig_listing *li = NULL;
    rc = ocidig_list(l, &opts, &li, &err);
    add_rc(res, "list", rc);
    for (size_t i = 0; li && i < li->n_images; i++) {
      const ocidig_list_image *im = &li->images[i];
      add(res, "image %s", im->digest);
      add(res, " complete=%s", im->complete ? "yes" : "no");
      add(res, " outcome=%s;", ocidig_outcome_name(im->outcome));
      add_rc(res, "code", im->code);
      for (size_t k = 0; k < im->n_rows; k++) {
        const ocidig_list_row *row = &im->rows[k];
        add(res, "  %s", row->manifest);
        add(res, " %s", row->platform);
        add(res, " complete=%s", row->complete ? "yes" : "no");
        add(res, " present=%s", row->present ? "yes" : "no");
        add(res, " selected=%s;", row->selected ? "yes" : "no");
        add_rc(res, "code", row->code);
      }
    }
    ocidig_listing_free(li);
  } else {
    ocidig_verify_options opts = {.matcher = m, .threads = 1, .deep = o->kind == OP_VERIFY_DEEP};
    ocidig_verify_report *r = NULL;
    rc = ocidig_verify(l, &opts, &r, &err);
    add_rc(res, "verify", rc);
    if (r) {
      add_rc(res, "error", r->error.code);
      for (size_t i = 0; i < r->n_findings; i++) {
        add(res, "finding %s;", r->findings[i].code);
        add_code(res, r->findings[i].code);
      }
      for (size_t i = 0; i < r->n_images; i++)
        add(res, "image complete=%s;", r->images[i].complete ? "yes" : "no");
      for (size_t i = 0; i < r->n_layers; i++) { /* verify --deep's rows */
        const ocidig_verify_layer *ly = &r->layers[i];
        char n[96];
        add(res, "layer %s", ly->digest);
        add(res, " read=%s", ly->read ? "yes" : "no");
        add(res, " skipped=%s", ly->skipped);
        add(res, " diff_id=%s", ly->diff_id);
        snprintf(n, sizeof n, "%llu/%llu/%zu/%zu/%zu", (unsigned long long)ly->entries,
                 (unsigned long long)ly->uncompressed_size, ly->n_errors, ly->n_warnings, ly->n_infos);
        add(res, " counts=%s;", n);
      }
    }
    ocidig_verify_report_free(r);
  }
  ocidig_layout_close(l);
}

/* Every code of got that is out-of-memory or in want. */
static const char *foreign_code(const result *got, const result *want)
{
  static char word[128];
  const char *p = got->codes;
  while (*p) {
    size_t n;
    while (*p == ' ')
      p++;
    n = strcspn(p, " ");
    if (!n)
      break;
    snprintf(word, sizeof word, " %.*s ", (int)n, p);
    if (strcmp(word, " out-of-memory ") && !strstr(want->codes, word))
      return word;
    p += n;
  }
  return NULL;
}

/* Runs o with allocation `at` failing, in a child; NULL when it passed, else why not
 * (static). */
static int dependency_crashes;

static const char *try_at(const op *o, const ocidig_matcher *m, const result *want, long at)
{
  static char why[4096];
  int fds[2];
  pid_t pid;
  ssize_t got;
  int status;
  ck_assert_int_eq(pipe(fds), 0);
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    result res;
    const char *bad;
    char msg[4096];
    int len = 0;
    close(fds[0]);
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    atexit(on_exit_call);
    n_allocs = 0;
    fail_at = at;
    run_op(o, m, &res);
    fail_at = 0;
    bad = foreign_code(&res, want);
    if (bad)
      len = snprintf(msg, sizeof msg, "allocation %ld failing gives%s(codes:%s, with memory to spare:%s)", at, bad,
                     res.codes, want->codes);
    else if (!strstr(res.codes, " out-of-memory ") && strcmp(res.summary, want->summary))
      len = snprintf(msg, sizeof msg, "allocation %ld failing changes the result without out-of-memory: %.300s",
                     at, res.summary);
    if (len > 0) {
      if (write(fds[1], msg, (size_t)len < sizeof msg ? (size_t)len : sizeof msg - 1) < 0)
        _exit(2);
      if (getenv("OOM_TRACE")) { /* for finding the place: the failing allocation's stack */
        dprintf(STDERR_FILENO, "OOM-FAIL %s\n", msg);
        backtrace_symbols_fd(fail_trace, fail_depth, STDERR_FILENO);
        dprintf(STDERR_FILENO, "OOM-END\n");
      }
      _exit(1);
    }
    _exit(0);
  }
  close(fds[1]);
  got = read(fds[0], why, sizeof why - 1);
  close(fds[0]);
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return NULL;
  if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_DEPENDENCY_CRASH) {
    dependency_crashes++;
    return NULL;
  }
  if (got <= 0)
    snprintf(why, sizeof why, "allocation %ld failing: the child %s %d", at,
             WIFSIGNALED(status)           ? "died of signal"
             : WEXITSTATUS(status) == 4 ? "crashed, exit"
             : WEXITSTATUS(status) == 5 ? "called exit() (the library must never exit), exit"
                                        : "exited",
             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
  else
    why[got] = '\0';
  return why;
}

static const op ops[] = {
  {OP_RESOLVE, SAMPLES "buildah-multiarch", "linux/arm64"},
  {OP_RESOLVE, SAMPLES "buildah-multiarch.oci-archive.tar", "linux/arm64"},
  {OP_RESOLVE, SAMPLES "docker-save-legacy-build.tar", "linux/amd64"},
  {OP_LIST, SAMPLES "umoci-multitag", NULL},
  {OP_LIST, SAMPLES "containerd-export-allplatforms.tar", "linux/arm64"},
  {OP_VERIFY, SAMPLES "buildah-multiarch", NULL},
  {OP_VERIFY, SAMPLES "skopeo-v2.oci-archive.tar", NULL},
  {OP_VERIFY, SAMPLES "containerd-export-allplatforms.tar", "linux/arm64"},
  {OP_VERIFY, SAMPLES "docker-save-legacy-build.tar", "linux/amd64"},
  /* verify --deep: two gzip layers full of hazards, as a directory and as a tar (GNU tar of
   * the same directory): the layers read after the walk, and in the archive's one pass */
  {OP_VERIFY_DEEP, TESTDATA "/layers/hazards", NULL},
  {OP_VERIFY_DEEP, TESTDATA "/oom/hazards.tar", NULL},
};

/* Allocations tried: all up to DENSE, then about SPREAD more spread over the rest
 * (for a search by hand, in the environment: OOM_EVERY=1, every one; OOM_STRIDE=N, every
 * N-th, as under valgrind, which the children run under with --trace-children=yes). */
#define DENSE 400
#define SPREAD 300

START_TEST(test_oom_never_integrity)
{
  const op *o = &ops[_i];
  ocidig_matcher *m = NULL;
  ocidig_error err = {0};
  result want;
  long total, step;
  int failures = 0;
  char first[3][4096];
  if (o->platform) {
    ocidig_platform p = {0};
    ck_assert_int_eq(ocidig_platform_parse(o->platform, NULL, &p, &err), OCIDIG_OK);
    ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &p, 1, NULL, &m, &err), OCIDIG_OK);
    ocidig_platform_clear(&p);
  }
  n_allocs = 0;
  fail_at = 0;
  run_op(o, m, &want);
  total = n_allocs;
  ck_assert_msg(total > 50, "%s: only %ld allocations counted: the allocator is not replaced", o->source, total);
  ck_assert_msg(!strstr(want.codes, " out-of-memory "), "%s: out of memory with memory to spare", o->source);
  step = total > DENSE ? (total - DENSE) / SPREAD + 1 : 1;
  if (getenv("OOM_EVERY"))
    step = 1;
  if (getenv("OOM_STRIDE") && atol(getenv("OOM_STRIDE")) > 0)
    step = atol(getenv("OOM_STRIDE"));
  if (getenv("OOM_TRACE"))
    fprintf(stderr, "%s: %ld allocations\n", o->source, total);
  for (long at = 1; at <= total; at += at < DENSE && !getenv("OOM_STRIDE") ? 1 : step) {
    const char *why = try_at(o, m, &want, at);
    if (why) {
      if (failures < 3)
        snprintf(first[failures], sizeof first[0], "%s", why);
      failures++;
    }
  }
  ocidig_matcher_free(m);
  if (dependency_crashes)
    fprintf(stderr, "%s: %d failing allocations crashed a dependency (json-c, libarchive) itself: not counted\n", o->source,
            dependency_crashes);
  ck_assert_msg(failures == 0, "%s (%s): %d failing allocations gave a wrong answer; first: %s%s%s%s%s",
                o->source, o->kind == OP_RESOLVE ? "resolve" : o->kind == OP_LIST ? "ls" : o->kind == OP_VERIFY ? "verify" : "verify --deep", failures,
                first[0], failures > 1 ? " | " : "", failures > 1 ? first[1] : "", failures > 2 ? " | " : "",
                failures > 2 ? first[2] : "");
}
END_TEST

int main(void)
{
  Suite *s = suite_create("oom");
  TCase *tc = tcase_create("oom");
  void *preload[2];
  backtrace(preload, 2); /* loads the unwinder now, not inside a failing allocation */
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, test_oom_never_integrity, 0, (int)(sizeof ops / sizeof ops[0]));
  suite_add_tcase(s, tc);
  return tu_run(s);
}

#else /* OOM_SKIP */
int main(void)
{
  puts("check_oom: skipped: the sanitizer owns malloc");
  return 77;
}
#endif
