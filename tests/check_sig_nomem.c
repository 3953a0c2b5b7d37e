/* check_sig_nomem.c: out of memory inside the signature checks is never a verdict (issue 15).
 *
 * The library has no allocator hook (it keeps no global state): this program replaces
 * malloc, calloc and realloc for its own process, so that the library, json-c, libcbor and
 * OpenSSL (whose CRYPTO_malloc calls malloc) all allocate through it.  Under
 * AddressSanitizer the replacement hands on to the sanitizer's allocator (its exported
 * __interceptor_* entry points), so that the runs are checked by ASan and LeakSanitizer too.
 *
 * For each N, a child process runs one case with the N-th allocation failing (once): a
 * Sigstore bundle (ocidig_sig_verify_bundle: rekor2-happy-path, v0.3 with an RFC 3161
 * timestamp, a Rekor v2 entry and its checkpoint, the certificate chain and its SCTs; and
 * happy-path-v0.1's signed entry timestamp), cosign signatures in OCI layouts (through
 * ocidig_verify: keyless with a trusted root, by a key, from a private PKI) and Notation envelopes (the trust policy and
 * store loaded, then a JWS and a COSE envelope verified).  Each call must give what it gives
 * with memory to spare, or OCIDIG_ERR_NOMEM: never another verdict or reason, never a crash,
 * an exit or (under ASan) a leak.  A crash after an allocation that a dependency made itself
 * (json-c 0.16 dereferences some of its own failed allocations) is counted and shown, not
 * failed.  About SPREAD allocations of each case are tried, evenly over its run.
 *
 * Fixtures: testdata/sig (sigstore-conformance bundles, containers/image's cosign
 * signatures, notation-go's envelopes). */
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
#define NOMEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOMEM_ASAN 1
#endif
#endif

/* ------------------------------------------------------ the failing allocator */

#ifdef NOMEM_ASAN
#include <sanitizer/lsan_interface.h>
void *__interceptor_malloc(size_t n);
void *__interceptor_calloc(size_t a, size_t b);
void *__interceptor_realloc(void *p, size_t n);
#define REAL_MALLOC __interceptor_malloc
#define REAL_CALLOC __interceptor_calloc
#define REAL_REALLOC __interceptor_realloc
#else
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t a, size_t b);
void *__libc_realloc(void *p, size_t n);
#define REAL_MALLOC __libc_malloc
#define REAL_CALLOC __libc_calloc
#define REAL_REALLOC __libc_realloc
#endif

static long fail_at;  /* the allocation to fail (1-based); 0: none */
static long n_allocs; /* allocations counted since the count was reset */
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
  return should_fail() ? NULL : REAL_MALLOC(n);
}

void *calloc(size_t a, size_t b)
{
  return should_fail() ? NULL : REAL_CALLOC(a, b);
}

void *realloc(void *p, size_t n)
{
  return should_fail() ? NULL : REAL_REALLOC(p, n);
}

/* A crash (or an exit) in the child: a dependency's when the failing allocation was made
 * by json-c, libcbor or libcrypto themselves (the first frame outside this program and
 * libc), else the library's. */
#define EXIT_DEPENDENCY_CRASH 3
static void on_crash(int sig)
{
  static const char *const deps[] = {"libjson-c", "libcbor", "libcrypto"};
  int status = sig ? 4 : 5;
  Dl_info info;
  for (int f = 0; f < fail_depth; f++) {
    if (!dladdr(fail_trace[f], &info) || !info.dli_fname || strstr(info.dli_fname, "check_sig_nomem") ||
        strstr(info.dli_fname, "libc.so") || strstr(info.dli_fname, "libasan"))
      continue;
    for (size_t k = 0; k < sizeof deps / sizeof deps[0]; k++)
      if (strstr(info.dli_fname, deps[k]))
        status = EXIT_DEPENDENCY_CRASH;
    break;
  }
  if (status != EXIT_DEPENDENCY_CRASH || getenv("NOMEM_TRACE")) {
    void *here[24];
    int n = backtrace(here, 24);
    dprintf(STDERR_FILENO, "check_sig_nomem: allocation %ld failing: %s; the failing allocation:\n", fail_at,
            sig ? "a crash" : "exit() called");
    backtrace_symbols_fd(fail_trace, fail_depth, STDERR_FILENO);
    dprintf(STDERR_FILENO, "where it crashed:\n");
    backtrace_symbols_fd(here, n, STDERR_FILENO);
  }
  _exit(status);
}

static void on_exit_call(void)
{
  on_crash(0);
}

/* ------------------------------------------------------ the cases */

#define SIG TESTDATA "/sig/"
#define CASES SIG "bundle-verify/"
#define ID "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
#define ISS "https://token.actions.githubusercontent.com"
#define NDIR SIG "notation"
#define IMAGE "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0"
#define JWS_ENV NDIR "/blobs/sha256/586c5e0f341d7d07e835a06b7c9f21c21fff4f4a85933079e5859f99ba0ad02d"
#define COSE_ENV NDIR "/blobs/sha256/e62cab38856b4f9b93be3a18929a199dd7459e1f0762dbe1ff6e5398caaa78c8"
#define NOW_2024 1704067200

/* What one call gave: its code, and what it says (compared whole with the run that had
 * memory to spare, unless the code is out-of-memory). */
#define MAX_CALLS 4
typedef struct outcome {
  size_t n;
  ocidig_code rc[MAX_CALLS];
  char text[MAX_CALLS][4096];
} outcome;

static void sig_text(char *out, size_t cap, const ocidig_sig_result *r)
{
  snprintf(out, cap, "verdict=%s reason=%s signer=%s issuer=%s at=%lld version=%d dsse=%d",
           ocidig_sig_verdict_name(r->verdict), r->reason, r->signer, r->issuer, (long long)r->signed_at,
           r->bundle_version, r->dsse);
}

/* Inputs read before the runs (reading them is no part of what is measured). */
static struct {
  char *bundle2, *root2, *bundle1, *prod, *jws, *cose, *key, *roots, *inter;
  size_t bundle2_len, root2_len, bundle1_len, prod_len, jws_len, cose_len, key_len, roots_len, inter_len;
  ocidig_sig_artifact art;
} in;

static void load_inputs(void)
{
  if (in.bundle2)
    return;
  in.bundle2 = tu_read_file(CASES "rekor2-happy-path/bundle.sigstore.json", &in.bundle2_len);
  in.root2 = tu_read_file(CASES "rekor2-happy-path/trusted_root.json", &in.root2_len);
  in.bundle1 = tu_read_file(CASES "happy-path-v0.1/bundle.sigstore.json", &in.bundle1_len);
  in.prod = tu_read_file(SIG "production_trusted_root.json", &in.prod_len);
  in.jws = tu_read_file(JWS_ENV, &in.jws_len);
  in.cose = tu_read_file(COSE_ENV, &in.cose_len);
  in.key = tu_read_file(SIG "cosign/keys/cosign.pub", &in.key_len);
  in.roots = tu_read_file(SIG "cosign/keys/pki_root_crts.pem", &in.roots_len);
  in.inter = tu_read_file(SIG "cosign/keys/pki_intermediate_crts.pem", &in.inter_len);
  ck_assert_int_eq(ocidig_sig_artifact_from_file(CASES "a.txt", &in.art, NULL), OCIDIG_OK);
}

static void bundle_call(outcome *o, const char *bundle, size_t len, const char *root, size_t root_len)
{
  ocidig_sig_options opts = {.identity = ID, .issuer = ISS};
  ocidig_sig_result r;
  ocidig_error err;
  size_t k = o->n++;
  opts.trusted_root = (const uint8_t *)root;
  opts.trusted_root_len = root_len;
  o->rc[k] = ocidig_sig_verify_bundle((const uint8_t *)bundle, len, &in.art, &opts, &r, &err);
  if (o->rc[k] == OCIDIG_OK)
    sig_text(o->text[k], sizeof o->text[k], &r);
  else
    snprintf(o->text[k], sizeof o->text[k], "error %s", err.message);
}

static void run_bundles(outcome *o)
{
  bundle_call(o, in.bundle2, in.bundle2_len, in.root2, in.root2_len);
  bundle_call(o, in.bundle1, in.bundle1_len, in.prod, in.prod_len);
}

/* cimage-cosign-fulcio-rekor: a keyless cosign signature (Fulcio certificate, Rekor SET),
 * verified by ocidig_verify with the production trusted root. */
static void run_cosign(outcome *o)
{
  ocidig_layout *l = NULL;
  ocidig_error err;
  ocidig_open_options oo = {.flags = OCIDIG_OPEN_HASH_BLOBS};
  ocidig_trust_options trust = {.trusted_root = (const uint8_t *)in.prod,
                                .trusted_root_len = in.prod_len,
                                .identity = "mitr@redhat.com",
                                .issuer = "https://github.com/login/oauth"};
  ocidig_verify_options vo = {.threads = 1, .trust = &trust};
  ocidig_verify_report *r = NULL;
  size_t k = o->n++;
  o->rc[k] = ocidig_layout_open(SIG "cosign/layouts/cimage-cosign-fulcio-rekor", &oo, &l, &err);
  if (o->rc[k] == OCIDIG_OK)
    o->rc[k] = ocidig_verify(l, &vo, &r, &err);
  if (o->rc[k] != OCIDIG_OK) {
    snprintf(o->text[k], sizeof o->text[k], "error %s", err.message);
  } else {
    size_t used = (size_t)snprintf(o->text[k], sizeof o->text[k], "unsigned=%zu", r->images_unsigned);
    for (size_t i = 0; i < r->n_signatures && used < sizeof o->text[k]; i++) {
      const ocidig_sig_check *c = &r->signatures[i];
      used += (size_t)snprintf(o->text[k] + used, sizeof o->text[k] - used, "; %.80s %s %.600s %.200s %.200s %lld", c->subject,
                               ocidig_sig_verdict_name(c->verdict), c->reason, c->signer, c->issuer,
                               (long long)c->signed_at);
    }
  }
  ocidig_verify_report_free(r);
  ocidig_layout_close(l);
}

/* cimage-cosign-valid (a key, cosign.pub) and cimage-cosign-pki (a private PKI: the CA roots
 * and intermediates given, verify --ca-roots): two layouts verified by ocidig_verify. */
static void verify_layout(outcome *o, const char *layout, const ocidig_trust_options *trust)
{
  ocidig_layout *l = NULL;
  ocidig_error err;
  ocidig_open_options oo = {.flags = OCIDIG_OPEN_HASH_BLOBS};
  ocidig_verify_options vo = {.threads = 1, .trust = trust};
  ocidig_verify_report *r = NULL;
  size_t k = o->n++;
  o->rc[k] = ocidig_layout_open(layout, &oo, &l, &err);
  if (o->rc[k] == OCIDIG_OK)
    o->rc[k] = ocidig_verify(l, &vo, &r, &err);
  if (o->rc[k] != OCIDIG_OK) {
    snprintf(o->text[k], sizeof o->text[k], "error %s", err.message);
  } else {
    size_t used = (size_t)snprintf(o->text[k], sizeof o->text[k], "unsigned=%zu", r->images_unsigned);
    for (size_t i = 0; i < r->n_signatures && used < sizeof o->text[k]; i++) {
      const ocidig_sig_check *c = &r->signatures[i];
      used += (size_t)snprintf(o->text[k] + used, sizeof o->text[k] - used, "; %.80s %s %.600s %.200s %.200s %lld",
                               c->subject, ocidig_sig_verdict_name(c->verdict), c->reason, c->signer, c->issuer,
                               (long long)c->signed_at);
    }
  }
  ocidig_verify_report_free(r);
  ocidig_layout_close(l);
}

static void run_cosign_key_pki(outcome *o)
{
  ocidig_trust_options key = {.key_pem = (const uint8_t *)in.key, .key_pem_len = in.key_len};
  ocidig_trust_options pki = {.ca_roots = (const uint8_t *)in.roots,
                              .ca_roots_len = in.roots_len,
                              .ca_intermediates = (const uint8_t *)in.inter,
                              .ca_intermediates_len = in.inter_len,
                              .identity = "qiwan@redhat.com"};
  verify_layout(o, SIG "cosign/layouts/cimage-cosign-valid", &key);
  verify_layout(o, SIG "cosign/layouts/cimage-cosign-pki", &pki);
}

static void notation_call(outcome *o, const ocidig_notation_trust *t, const char *mt, const char *env, size_t len)
{
  static const ocidig_notation_target alpine = {"application/vnd.oci.image.manifest.v1+json", IMAGE, 481, NULL};
  ocidig_notation_result r;
  ocidig_error err;
  size_t k = o->n++;
  o->rc[k] = ocidig_notation_verify(t, mt, (const uint8_t *)env, len, &alpine, NOW_2024, &r, &err);
  if (o->rc[k] != OCIDIG_OK) {
    snprintf(o->text[k], sizeof o->text[k], "error %s", err.message);
    return;
  }
  char base[3000];
  sig_text(base, sizeof base, &r.sig);
  snprintf(o->text[k], sizeof o->text[k], "%.2500s envelope=%s alg=%s policy=%.200s level=%s skipped=%d logged=%.1000s authentic=%d",
           base, r.envelope, r.alg, r.policy, r.level, r.skipped, r.logged, r.authentic_time);
}

/* The trust policy and store loaded, then a JWS and a COSE envelope of notation-go. */
static void run_notation(outcome *o)
{
  ocidig_notation_trust *t = NULL;
  ocidig_error err;
  size_t k = o->n++;
  o->rc[k] = ocidig_notation_trust_load(NDIR "/trustpolicy.json", NDIR "/truststore", &t, &err);
  snprintf(o->text[k], sizeof o->text[k], "%s", o->rc[k] == OCIDIG_OK ? "loaded" : err.message);
  if (o->rc[k] != OCIDIG_OK)
    return;
  notation_call(o, t, "application/jose+json", in.jws, in.jws_len);
  notation_call(o, t, "application/cose", in.cose, in.cose_len);
  ocidig_notation_trust_free(t);
}

typedef struct op {
  const char *name;
  void (*run)(outcome *o);
} op;

static const op ops[] = {
  {"Sigstore bundles (rekor2-happy-path, happy-path-v0.1)", run_bundles},
  {"cosign keyless signature in a layout (cimage-cosign-fulcio-rekor)", run_cosign},
  {"cosign signatures by a key and from a private PKI (cimage-cosign-valid, cimage-cosign-pki)", run_cosign_key_pki},
  {"Notation trust policy and store, JWS and COSE envelopes", run_notation},
};

/* NULL when got is what want is, call by call, or out of memory; else why not (static). */
static const char *compare(const outcome *got, const outcome *want)
{
  static char why[8192];
  for (size_t k = 0; k < got->n; k++) {
    if (got->rc[k] == OCIDIG_ERR_NOMEM)
      continue;
    if (k >= want->n || got->rc[k] != want->rc[k] || strcmp(got->text[k], want->text[k])) {
      snprintf(why, sizeof why, "call %zu gives %s: %.2000s (with memory to spare: %s: %.2000s)", k,
               ocidig_code_name(got->rc[k]), got->text[k], k < want->n ? ocidig_code_name(want->rc[k]) : "-",
               k < want->n ? want->text[k] : "-");
      return why;
    }
  }
  /* a call not made: only after an earlier one ran out of memory */
  if (got->n < want->n && (got->n == 0 || got->rc[got->n - 1] != OCIDIG_ERR_NOMEM)) {
    snprintf(why, sizeof why, "%zu calls made, not %zu", got->n, want->n);
    return why;
  }
  return NULL;
}

static int dependency_crashes;

/* Runs o with allocation `at` failing, in a child; NULL when it passed, else why not. */
static const char *try_at(const op *o, const outcome *want, long at)
{
  static char why[8192];
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    static outcome got;
    close(fds[0]);
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGABRT, on_crash);
    atexit(on_exit_call);
    memset(&got, 0, sizeof got);
    n_allocs = 0;
    fail_at = at;
    o->run(&got);
    fail_at = 0;
    const char *bad = compare(&got, want);
    char msg[8192];
    int len = 0;
    if (bad)
      len = snprintf(msg, sizeof msg, "allocation %ld failing: %s", at, bad);
#ifdef NOMEM_ASAN
    else if (__lsan_do_recoverable_leak_check())
      len = snprintf(msg, sizeof msg, "allocation %ld failing: memory leaked (LeakSanitizer's report above)", at);
#endif
    if (len > 0) {
      if (write(fds[1], msg, (size_t)len < sizeof msg ? (size_t)len : sizeof msg - 1) < 0)
        _exit(2);
      if (getenv("NOMEM_TRACE")) {
        dprintf(STDERR_FILENO, "NOMEM-FAIL %s\n", msg);
        backtrace_symbols_fd(fail_trace, fail_depth, STDERR_FILENO);
        dprintf(STDERR_FILENO, "NOMEM-END\n");
      }
      _exit(1);
    }
    _exit(0);
  }
  close(fds[1]);
  ssize_t got = read(fds[0], why, sizeof why - 1);
  int status;
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

/* Allocations tried per case: about SPREAD, evenly over the run (a case makes 4,000 to
 * 60,000); by hand, in the environment: NOMEM_EVERY=1 tries each one, NOMEM_STRIDE=N every
 * N-th, NOMEM_TRACE=1 prints the failing allocation's stack. */
#ifdef NOMEM_ASAN
#define SPREAD 80 /* each run costs more: CI's time is bounded */
#else
#define SPREAD 160
#endif

START_TEST(test_nomem_never_a_verdict)
{
  const op *o = &ops[_i];
  static outcome want;
  int failures = 0;
  char first[3][8192];
  load_inputs();
  /* twice with memory to spare: OpenSSL's one-time set-up done, the second run's count is
   * what each child repeats */
  memset(&want, 0, sizeof want);
  o->run(&want);
  memset(&want, 0, sizeof want);
  n_allocs = 0;
  fail_at = 0;
  o->run(&want);
  long total = n_allocs;
  ck_assert_msg(total > 50, "%s: only %ld allocations counted: the allocator is not replaced", o->name, total);
  for (size_t k = 0; k < want.n; k++)
    ck_assert_msg(want.rc[k] == OCIDIG_OK, "%s: call %zu: %s with memory to spare", o->name, k, want.text[k]);
  long step = total / SPREAD | 1; /* odd: not in step with a loop's even count */
  if (getenv("NOMEM_EVERY"))
    step = 1;
  if (getenv("NOMEM_STRIDE") && atol(getenv("NOMEM_STRIDE")) > 0)
    step = atol(getenv("NOMEM_STRIDE"));
  if (getenv("NOMEM_TRACE"))
    fprintf(stderr, "%s: %ld allocations\n", o->name, total);
  dependency_crashes = 0;
  for (long at = 1; at <= total; at += step) {
    const char *why = try_at(o, &want, at);
    if (why) {
      if (failures < 3)
        snprintf(first[failures], sizeof first[0], "%s", why);
      failures++;
    }
  }
  if (dependency_crashes)
    fprintf(stderr, "%s: %d failing allocations crashed a dependency (json-c, libcbor, OpenSSL) itself: not counted\n",
            o->name, dependency_crashes);
  ck_assert_msg(failures == 0, "%s: %d failing allocations gave a wrong answer; first: %s%s%s%s%s", o->name, failures,
                first[0], failures > 1 ? " | " : "", failures > 1 ? first[1] : "", failures > 2 ? " | " : "",
                failures > 2 ? first[2] : "");
}
END_TEST

int main(void)
{
  Suite *s = suite_create("sig_nomem");
  TCase *tc = tcase_create("sig_nomem");
  void *preload[2];
  backtrace(preload, 2); /* loads the unwinder now, not inside a failing allocation */
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, test_nomem_never_a_verdict, 0, (int)(sizeof ops / sizeof ops[0]));
  suite_add_tcase(s, tc);
  return tu_run(s);
}
