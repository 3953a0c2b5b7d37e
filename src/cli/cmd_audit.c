/* cmd_audit.c: ocidig audit: every source of a bundle verified, in parallel, and held
 * against a lock file (ocidig ls --lock): one table of source x image x platform, then the
 * details; text, JSON, or JSON Lines (one object per source, to shard and concatenate). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Something required is missing (doc: README's exit codes). */
#define EXIT_POLICY 6

static void help(void)
{
  cli_puts("Usage: ocidig audit [--expect LOCK] [--require-platform SPEC]... [-j N] [--deep]\n"
           "                    [--format text|json|jsonl|sarif|junit] SOURCE...\n"
           "       ocidig audit --merge [--format F] FILE.jsonl...\n"
           "\n"
           "Verify every SOURCE of a bundle (directories, archives, - for standard input), N at a\n"
           "time, and hold them together against a lock file written by 'ocidig ls --lock': images\n"
           "missing, extra images, drift (a name the lock gives another digest, or a name added\n"
           "to or gone from an image), platforms and blobs missing, documents and blobs corrupt.\n"
           "One row per source, image and platform (ok / missing / extra / drift / corrupt /\n"
           "incomplete / unreadable), then the details.  Without --expect each source is verified on its own.\n"
           "\n"
           "Options:\n"
           "  -e, --expect LOCK    the lock file to hold the bundle against\n"
           "  -p, --require-platform SPEC\n"
           "                       every image must resolve for SPEC (repeatable): else a\n"
           "                       missing row for it\n"
           "      --require-signature\n"
           "                       every image must carry a signature that verifies with the\n"
           "                       trust material below (as verify's): else an unsigned row\n"
           "      --require-attestation TYPE\n"
           "                       an attestation of this predicate type (a URI, or cosign's\n"
           "                       slsaprovenance, spdx, cyclonedx, vuln, openvex) must be\n"
           "                       attached to every image (repeatable): else an unattested row\n"
           "      --key, --trusted-root, --certificate-identity[-regexp],\n"
           "      --certificate-oidc-issuer[-regexp], --ca-roots, --ca-intermediates,\n"
           "      --trust-policy, --trust-store\n"
           "                       trust material, as verify takes it\n"
           "  -j, --jobs N         sources verified at once (default: one per CPU)\n"
           "      --deep           also verify inside every layer (verify --deep)\n"
           "  -f, --format F       text (default), json (one object), jsonl (one object per\n"
           "                       source, then one for what the lock has and no source holds),\n"
           "                       sarif (SARIF 2.1.0: a result per row that is not ok) or junit\n"
           "                       (JUnit XML: a test per row, a suite per source)\n"
           "      --merge          SOURCEs are jsonl files of audits (of shards of a bundle):\n"
           "                       print them as one audit, in any --format\n"
           CLI_MAX_BYTES_HELP
           "  -h, --help           this help\n"
           "\n"
           "Examples:\n"
           "  ocidig ls --lock mirror/*.tar > bundle.lock           # the sender\n"
           "  ocidig audit --expect bundle.lock received/*.tar      # the receiver\n"
           "  ocidig audit -e bundle.lock -f jsonl part1/* > 1.jsonl; ...; ocidig audit --merge *.jsonl\n"
           "\n"
           "Exit status: 0 everything as expected, 2 usage error, 3 a source cannot be read,\n"
           "4 a blob or document is corrupt, 5 the output could not be written, 6 something the\n"
           "lock has is missing, or an image is extra or drifted; 130 interrupted (the rows\n"
           "of the sources read so far are printed, not held against the lock).\n");
}

/* A whole file (the lock), any size; exit status 0 or 3 after saying what failed. */
static int read_all(const char *path, char **out, size_t *len)
{
  FILE *f = fopen(path, "rb");
  size_t cap = 0, n = 0;
  char *p = NULL;
  struct stat st;
  *out = NULL;
  if (!f) {
    cli_error("%s: %s", cli_clean(path), strerror(errno));
    return EXIT_UNREADABLE;
  }
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) { /* /dev/zero is no lock */
    fclose(f);
    cli_error("%s: not a regular file", cli_clean(path));
    return EXIT_USAGE;
  }
  for (;;) {
    size_t got;
    if (n + 1 >= cap) {
      char *q = realloc(p, cap = cap ? cap * 2 : 65536);
      if (!q) {
        free(p);
        fclose(f);
        cli_error("%s: out of memory", cli_clean(path));
        return EXIT_UNREADABLE;
      }
      p = q;
    }
    if (!(got = fread(p + n, 1, cap - n - 1, f)))
      break;
    n += got;
  }
  if (ferror(f)) {
    free(p);
    fclose(f);
    cli_error("%s: read error", cli_clean(path));
    return EXIT_UNREADABLE;
  }
  fclose(f);
  p[n] = '\0';
  *out = p;
  *len = n;
  return 0;
}

/* ------------------------------------------------------------- progress, Ctrl-C */

static volatile int interrupted;

static void on_sigint(int sig)
{
  (void)sig;
  interrupted = 1;
}

typedef struct a_progress {
  bool tty, shown;
  time_t start;
} a_progress;

/* On a terminal: sources done / total, bytes hashed, rate (called on a worker thread, one
 * at a time). */
static void progress(void *ctx, size_t done, size_t total, uint64_t bytes)
{
  a_progress *p = ctx;
  double secs = difftime(time(NULL), p->start), mib = (double)bytes / (1024.0 * 1024.0);
  char line[160];
  if (!p->tty)
    return;
  snprintf(line, sizeof line, "\rocidig: audit: %zu/%zu sources, %.1f MiB hashed, %.1f MiB/s\033[K", done, total,
           mib, secs > 0 ? mib / secs : mib);
  cli_eputs(line);
  p->shown = true;
}

static void progress_end(a_progress *p)
{
  if (p->shown)
    cli_eputs("\r\033[K");
  p->shown = false;
}

/* ------------------------------------------------------------- output */

static int exit_status(const ocidig_audit *a)
{
  if (a->counts[OCIDIG_AUDIT_UNREADABLE])
    return EXIT_UNREADABLE;
  if (a->counts[OCIDIG_AUDIT_CORRUPT])
    return EXIT_INTEGRITY;
  if (a->counts[OCIDIG_AUDIT_MISSING] || a->counts[OCIDIG_AUDIT_EXTRA] || a->counts[OCIDIG_AUDIT_DRIFT] ||
      a->counts[OCIDIG_AUDIT_UNSIGNED] || a->counts[OCIDIG_AUDIT_UNATTESTED])
    return EXIT_POLICY;
  return 0;
}

static const char *status_color(ocidig_audit_status s)
{
  const cli_style *st = cli_styles();
  return s == OCIDIG_AUDIT_OK ? st->green : s == OCIDIG_AUDIT_INCOMPLETE ? st->yellow : st->red;
}

static void write_text(const ocidig_audit *a)
{
  static const char *const head[4] = {"SOURCE", "IMAGE", "PLATFORM", "STATUS"};
  cli_table t = {.n_cols = 4, .last_free = true};
  const cli_style *st = cli_styles();
  size_t details = 0;
  for (int c = 0; c < 4; c++)
    cli_table_width(&t, c, head[c]);
  for (size_t i = 0; i < a->n_rows; i++) {
    const ocidig_audit_row *r = &a->rows[i];
    cli_table_width(&t, 0, cli_clean(r->source ? r->source : "(no source)"));
    cli_table_width(&t, 1, cli_clean(r->image ? r->image : "-"));
    cli_table_width(&t, 2, cli_clean(r->platform ? r->platform : "-"));
  }
  cli_table_row(&t, head, NULL, st->bold);
  for (size_t i = 0; i < a->n_rows; i++) {
    const ocidig_audit_row *r = &a->rows[i];
    const char *cells[4] = {cli_clean(r->source ? r->source : "(no source)"), cli_clean(r->image ? r->image : "-"),
                            cli_clean(r->platform ? r->platform : "-"), ocidig_audit_status_name(r->status)};
    const char *colors[4] = {NULL, NULL, NULL, status_color(r->status)};
    cli_table_row(&t, cells, colors, NULL);
    details += r->detail != NULL;
  }
  if (details) {
    cli_printf("\n%sdetails%s\n", st->bold, st->reset);
    for (size_t i = 0; i < a->n_rows; i++) {
      const ocidig_audit_row *r = &a->rows[i];
      if (!r->detail)
        continue;
      cli_printf("  %s", cli_clean(r->source ? r->source : "(no source)"));
      if (r->image)
        cli_printf(" %s", cli_clean(r->image));
      if (r->platform)
        cli_printf(" %s", cli_clean(r->platform));
      cli_printf(": %s: %s\n", ocidig_audit_status_name(r->status), cli_text(r->detail));
    }
  }
  cli_printf("\n%zu source%s%s: ", a->n_sources, a->n_sources == 1 ? "" : "s",
             a->stopped ? " (interrupted: not all read, not held against the lock)" : "");
  {
    bool first = true;
    for (int s = 0; s < OCIDIG_AUDIT_STATUS_COUNT; s++) {
      if (!a->counts[s] && s != OCIDIG_AUDIT_OK)
        continue;
      cli_printf("%s%zu %s", first ? "" : ", ", a->counts[s], ocidig_audit_status_name((ocidig_audit_status)s));
      first = false;
    }
  }
  cli_printf("\n");
}

static json_object *jstr(const char *s)
{
  return s ? json_object_new_string(s) : NULL;
}

static json_object *row_json(const ocidig_audit_row *r)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "source", jstr(r->source));
  json_object_object_add(o, "image", jstr(r->image));
  json_object_object_add(o, "digest", jstr(r->digest));
  json_object_object_add(o, "platform", jstr(r->platform));
  json_object_object_add(o, "manifest", jstr(r->manifest));
  json_object_object_add(o, "status", json_object_new_string(ocidig_audit_status_name(r->status)));
  json_object_object_add(o, "detail", jstr(r->detail));
  return o;
}

static json_object *summary_json(const ocidig_audit *a)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "sources", json_object_new_int64((int64_t)a->n_sources));
  json_object_object_add(o, "scanned", json_object_new_int64((int64_t)a->n_scanned));
  json_object_object_add(o, "interrupted", json_object_new_boolean(a->stopped));
  json_object_object_add(o, "bytesHashed", json_object_new_int64((int64_t)a->bytes_hashed));
  for (int s = 0; s < OCIDIG_AUDIT_STATUS_COUNT; s++)
    json_object_object_add(o, ocidig_audit_status_name((ocidig_audit_status)s),
                           json_object_new_int64((int64_t)a->counts[s]));
  json_object_object_add(o, "exitStatus", json_object_new_int(exit_status(a)));
  return o;
}

static void write_json(const ocidig_audit *a, const char *lock)
{
  json_object *root = json_object_new_object(), *src = json_object_new_array(), *rows = json_object_new_array();
  json_object_object_add(root, "schemaVersion", json_object_new_int(1));
  json_object_object_add(root, "expect", jstr(lock));
  for (size_t i = 0; i < a->n_sources; i++)
    json_object_array_add(src, json_object_new_string(a->sources[i]));
  json_object_object_add(root, "sources", src);
  for (size_t i = 0; i < a->n_rows; i++)
    json_object_array_add(rows, row_json(&a->rows[i]));
  json_object_object_add(root, "rows", rows);
  json_object_object_add(root, "summary", summary_json(a));
  cli_put_json_object(root);
  json_object_put(root);
}

/* The worst status of rows (ok when none). */
static ocidig_audit_status worst(const ocidig_audit_row *const *v, size_t n)
{
  static const int rank[OCIDIG_AUDIT_STATUS_COUNT] = {
    [OCIDIG_AUDIT_OK] = 0,         [OCIDIG_AUDIT_INCOMPLETE] = 1, [OCIDIG_AUDIT_UNATTESTED] = 2,
    [OCIDIG_AUDIT_UNSIGNED] = 3,   [OCIDIG_AUDIT_EXTRA] = 4,      [OCIDIG_AUDIT_DRIFT] = 5,
    [OCIDIG_AUDIT_MISSING] = 6,    [OCIDIG_AUDIT_CORRUPT] = 7,    [OCIDIG_AUDIT_UNREADABLE] = 8,
  };
  ocidig_audit_status w = OCIDIG_AUDIT_OK;
  for (size_t i = 0; i < n; i++)
    if (rank[v[i]->status] > rank[w])
      w = v[i]->status;
  return w;
}

/* One compact line per source (its rows), then one for the rows of no source. */
static void write_jsonl(const ocidig_audit *a, const char *lock)
{
  const ocidig_audit_row **v = calloc(a->n_rows + 1, sizeof *v);
  if (!v) {
    cli_error("out of memory");
    return;
  }
  for (size_t s = 0; s <= a->n_sources; s++) {
    const char *name = s < a->n_sources ? a->sources[s] : NULL;
    size_t n = 0;
    json_object *o, *rows;
    for (size_t i = 0; i < a->n_rows; i++)
      if (name ? a->rows[i].source && !strcmp(a->rows[i].source, name) : !a->rows[i].source)
        v[n++] = &a->rows[i];
    if (!name && !n)
      break;
    o = json_object_new_object();
    rows = json_object_new_array();
    json_object_object_add(o, "schemaVersion", json_object_new_int(1));
    json_object_object_add(o, "expect", jstr(lock));
    json_object_object_add(o, "source", jstr(name));
    json_object_object_add(o, "status", json_object_new_string(ocidig_audit_status_name(worst(v, n))));
    for (size_t i = 0; i < n; i++)
      json_object_array_add(rows, row_json(v[i]));
    json_object_object_add(o, "rows", rows);
    cli_put_json_line(o);
    json_object_put(o);
  }
  free(v);
}

/* ------------------------------------------------------------- SARIF, JUnit */

static const char *sarif_level(ocidig_audit_status s)
{
  return s == OCIDIG_AUDIT_INCOMPLETE ? "warning" : "error";
}

static const char *status_text(ocidig_audit_status s)
{
  switch (s) {
  case OCIDIG_AUDIT_MISSING: return "Something the lock has is missing from the bundle (an image, a platform, a blob).";
  case OCIDIG_AUDIT_EXTRA: return "The bundle has an image the lock does not have.";
  case OCIDIG_AUDIT_DRIFT: return "A name of the lock is another digest in the bundle (the image was retagged), or an image has names the lock does not give it.";
  case OCIDIG_AUDIT_CORRUPT: return "A blob or document of the source fails verification (digest, size, content).";
  case OCIDIG_AUDIT_INCOMPLETE: return "Blobs are absent from the source (no lock says whether they should be there).";
  case OCIDIG_AUDIT_UNREADABLE: return "The source cannot be read as an image layout or archive.";
  case OCIDIG_AUDIT_UNSIGNED: return "No signature of the image verifies with the trust material given.";
  case OCIDIG_AUDIT_UNATTESTED: return "No attestation of a required predicate type is attached to the image.";
  default: return "As expected.";
  }
}

/* A path as a relative URI reference (RFC 3986): what is not unreserved or '/' percent-encoded
 * (':' too: "a:b.tar" would read as a scheme). */
static char *uri_of(const char *path)
{
  static const char hexd[] = "0123456789ABCDEF";
  size_t n = strlen(path);
  char *u = malloc(3 * n + 1), *o = u;
  if (!u)
    return NULL;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
      *o++ = (char)*p;
    } else {
      *o++ = '%';
      *o++ = hexd[*p >> 4];
      *o++ = hexd[*p & 15];
    }
  }
  *o = '\0';
  return u;
}

static void write_sarif(const ocidig_audit *a, const char *lock)
{
  json_object *root = json_object_new_object(), *runs = json_object_new_array(), *run = json_object_new_object();
  json_object *tool = json_object_new_object(), *driver = json_object_new_object(), *rules = json_object_new_array();
  json_object *results = json_object_new_array(), *inv = json_object_new_object(), *invs = json_object_new_array();
  json_object_object_add(root, "$schema", json_object_new_string("https://json.schemastore.org/sarif-2.1.0.json"));
  json_object_object_add(root, "version", json_object_new_string("2.1.0"));
  json_object_object_add(driver, "name", json_object_new_string("ocidig"));
  json_object_object_add(driver, "version", json_object_new_string(ocidig_version()));
  for (int st = 1; st < OCIDIG_AUDIT_STATUS_COUNT; st++) {
    json_object *r = json_object_new_object(), *d = json_object_new_object();
    char id[64];
    snprintf(id, sizeof id, "audit/%s", ocidig_audit_status_name((ocidig_audit_status)st));
    json_object_object_add(r, "id", json_object_new_string(id));
    json_object_object_add(d, "text", json_object_new_string(status_text((ocidig_audit_status)st)));
    json_object_object_add(r, "shortDescription", d);
    json_object_array_add(rules, r);
  }
  json_object_object_add(driver, "rules", rules);
  json_object_object_add(tool, "driver", driver);
  json_object_object_add(run, "tool", tool);
  for (size_t i = 0; i < a->n_rows; i++) {
    const ocidig_audit_row *r = &a->rows[i];
    json_object *res, *msg, *locs, *loc, *phys, *art, *logs, *lg;
    char id[64], *uri;
    const char *where = r->source ? r->source : lock;
    if (r->status == OCIDIG_AUDIT_OK)
      continue;
    res = json_object_new_object();
    msg = json_object_new_object();
    snprintf(id, sizeof id, "audit/%s", ocidig_audit_status_name(r->status));
    json_object_object_add(res, "ruleId", json_object_new_string(id));
    json_object_object_add(res, "ruleIndex", json_object_new_int((int)r->status - 1));
    json_object_object_add(res, "level", json_object_new_string(sarif_level(r->status)));
    json_object_object_add(msg, "text", json_object_new_string(r->detail ? r->detail : ocidig_audit_status_name(r->status)));
    json_object_object_add(res, "message", msg);
    locs = json_object_new_array();
    loc = json_object_new_object();
    if (where && (uri = uri_of(where))) {
      phys = json_object_new_object();
      art = json_object_new_object();
      json_object_object_add(art, "uri", json_object_new_string(uri));
      free(uri);
      json_object_object_add(phys, "artifactLocation", art);
      json_object_object_add(loc, "physicalLocation", phys);
    }
    if (r->image) {
      char fq[2048];
      logs = json_object_new_array();
      lg = json_object_new_object();
      snprintf(fq, sizeof fq, "%s%s%s", r->image, r->platform ? " " : "", r->platform ? r->platform : "");
      json_object_object_add(lg, "name", json_object_new_string(r->image));
      json_object_object_add(lg, "fullyQualifiedName", json_object_new_string(fq));
      json_object_object_add(lg, "kind", json_object_new_string(r->platform ? "platform" : "image"));
      json_object_array_add(logs, lg);
      json_object_object_add(loc, "logicalLocations", logs);
    }
    json_object_array_add(locs, loc);
    json_object_object_add(res, "locations", locs);
    json_object_array_add(results, res);
  }
  json_object_object_add(run, "results", results);
  json_object_object_add(inv, "executionSuccessful", json_object_new_boolean(!a->stopped));
  json_object_object_add(inv, "exitCode", json_object_new_int(a->stopped ? 130 : exit_status(a)));
  json_object_array_add(invs, inv);
  json_object_object_add(run, "invocations", invs);
  json_object_array_add(runs, run);
  json_object_object_add(root, "runs", runs);
  cli_put_json_object(root);
  json_object_put(root);
}

static int pstr_cmp(const void *x, const void *y)
{
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The first of the sorted names equal to name (n: none). */
static size_t name_first(const char *const *sorted, size_t n, const char *name)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(sorted[mid], name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && !strcmp(sorted[lo], name) ? lo : n;
}

static void junit_case(const char *suite, const ocidig_audit_row *r)
{
  const char *kind;
  cli_puts("    <testcase classname=\"");
  cli_put_xml(suite);
  cli_puts("\" name=\"");
  cli_put_xml(r->image ? r->image : "(the source)");
  if (r->platform) {
    cli_puts(" ");
    cli_put_xml(r->platform);
  }
  cli_puts("\"");
  if (r->status == OCIDIG_AUDIT_OK) {
    cli_puts("/>\n");
    return;
  }
  if (r->status == OCIDIG_AUDIT_INCOMPLETE) {
    cli_puts("><system-out>");
    cli_put_xml(r->detail);
    cli_puts("</system-out></testcase>\n");
    return;
  }
  kind = r->status == OCIDIG_AUDIT_UNREADABLE ? "error" : "failure";
  cli_printf("><%s type=\"%s\" message=\"", kind, ocidig_audit_status_name(r->status));
  cli_put_xml(r->detail);
  cli_printf("\"/></testcase>\n");
}

/* A test per row, a suite per source (and one for what no source holds).  unreadable is an
 * error; missing, extra, drift and corrupt are failures; incomplete passes (no lock says
 * the blobs should be there), its detail in system-out.  The rows are put in buckets by
 * source name first (sorted names, one pass): a suite per source is not a pass over every
 * row. */
static void write_junit(const ocidig_audit *a)
{
  size_t fail = 0, errs = 0, ns = a->n_sources;
  const char **sorted = calloc(ns + 1, sizeof *sorted);
  size_t *bucket = calloc(a->n_rows + 1, sizeof *bucket), *off = calloc(ns + 3, sizeof *off),
         *order = calloc(a->n_rows + 1, sizeof *order);
  if (!sorted || !bucket || !off || !order) {
    free(sorted);
    free(bucket);
    free(off);
    free(order);
    cli_error("out of memory");
    return;
  }
  for (size_t s = 0; s < ns; s++)
    sorted[s] = a->sources[s];
  qsort(sorted, ns, sizeof *sorted, pstr_cmp);
  /* bucket ns: rows in no source (or of a source not listed, which an audit does not make) */
  for (size_t i = 0; i < a->n_rows; i++) {
    ocidig_audit_status st = a->rows[i].status;
    errs += st == OCIDIG_AUDIT_UNREADABLE;
    fail += st != OCIDIG_AUDIT_OK && st != OCIDIG_AUDIT_INCOMPLETE && st != OCIDIG_AUDIT_UNREADABLE;
    bucket[i] = a->rows[i].source ? name_first(sorted, ns, a->rows[i].source) : ns;
    off[bucket[i] + 2]++;
  }
  for (size_t b = 2; b < ns + 3; b++)
    off[b] += off[b - 1];
  for (size_t i = 0; i < a->n_rows; i++) /* stable: the rows of a bucket in their order */
    order[off[bucket[i] + 1]++] = i;
  /* now bucket b's rows are order[off[b] .. off[b + 1]) */
  cli_printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ocidig audit\" tests=\"%zu\" "
             "failures=\"%zu\" errors=\"%zu\">\n", a->n_rows, fail, errs);
  for (size_t s = 0; s <= ns; s++) {
    const char *name = s < ns ? a->sources[s] : NULL;
    size_t b = name ? name_first(sorted, ns, name) : ns, n = off[b + 1] - off[b], f = 0, e = 0;
    for (size_t k = off[b]; k < off[b + 1]; k++) {
      const ocidig_audit_row *r = &a->rows[order[k]];
      e += r->status == OCIDIG_AUDIT_UNREADABLE;
      f += r->status != OCIDIG_AUDIT_OK && r->status != OCIDIG_AUDIT_INCOMPLETE && r->status != OCIDIG_AUDIT_UNREADABLE;
    }
    if (!name && !n)
      break;
    cli_puts("  <testsuite name=\"");
    cli_put_xml(name ? name : "(no source)");
    cli_printf("\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", n, f, e);
    for (size_t k = off[b]; k < off[b + 1]; k++)
      junit_case(name ? name : "(no source)", &a->rows[order[k]]);
    cli_puts("  </testsuite>\n");
  }
  cli_puts("</testsuites>\n");
  free(sorted);
  free(bucket);
  free(off);
  free(order);
}

/* ------------------------------------------------------------- --merge */

static bool push_str(char ***v, size_t *n, const char *s)
{
  char **w = realloc(*v, (*n + 1) * sizeof *w);
  if (!w)
    return false;
  *v = w;
  if (!(w[*n] = strdup(s)))
    return false;
  (*n)++;
  return true;
}

static const char *obj_str(json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                                            : NULL;
}

static int status_of(const char *name)
{
  for (int s = 0; s < OCIDIG_AUDIT_STATUS_COUNT; s++)
    if (name && !strcmp(name, ocidig_audit_status_name((ocidig_audit_status)s)))
      return s;
  return -1;
}

/* A row of the files merged, with the file it came from: sorted (digest, status, detail, file,
 * index) so that what --merge asks ("does file f hold this digest?", "did file f say this
 * row?", "is this row said before?") is a binary search, not a scan of every row. */
typedef struct merge_key {
  const ocidig_audit_row *r;
  size_t file, index;
} merge_key;

static const char *nz(const char *s)
{
  return s ? s : "";
}

/* held rows (a source's) by digest, then file */
static int held_cmp(const void *x, const void *y)
{
  const merge_key *a = x, *b = y;
  int c = strcmp(a->r->digest, b->r->digest);
  return c ? c : (a->file > b->file) - (a->file < b->file);
}

/* rows in no source by digest, status, detail (then file and index: the first said first) */
static int said_cmp_row(const merge_key *a, const merge_key *b)
{
  int c = strcmp(a->r->digest, b->r->digest);
  if (!c)
    c = (a->r->status > b->r->status) - (a->r->status < b->r->status);
  return c ? c : strcmp(nz(a->r->detail), nz(b->r->detail));
}

static int said_cmp(const void *x, const void *y)
{
  const merge_key *a = x, *b = y;
  int c = said_cmp_row(a, b);
  if (!c)
    c = (a->file > b->file) - (a->file < b->file);
  return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* said_cmp without the index: "did file f say this row?" */
static int said_file_cmp(const void *x, const void *y)
{
  const merge_key *a = x, *b = y;
  int c = said_cmp_row(a, b);
  return c ? c : (a->file > b->file) - (a->file < b->file);
}

/* The first of the held rows with this digest (n: none). */
static size_t held_first(const merge_key *held, size_t n, const char *digest)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(held[mid].r->digest, digest) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && !strcmp(held[lo].r->digest, digest) ? lo : n;
}

/* Which rows of no source --merge drops (drop[i]): an image missing from one shard that
 * another holds; a lost name (drift in no source) that a shard holding the digest gives;
 * a row another shard said first. */
static bool merge_drops(const ocidig_audit *a, const size_t *file_of, bool *drop)
{
  merge_key *held = calloc(a->n_rows + 1, sizeof *held), *said = calloc(a->n_rows + 1, sizeof *said);
  size_t nh = 0, ns = 0;
  if (!held || !said) {
    free(held);
    free(said);
    return false;
  }
  for (size_t i = 0; i < a->n_rows; i++)
    if (a->rows[i].digest) {
      merge_key key = {&a->rows[i], file_of[i], i};
      if (a->rows[i].source)
        held[nh++] = key;
      else
        said[ns++] = key;
    }
  qsort(held, nh, sizeof *held, held_cmp);
  qsort(said, ns, sizeof *said, said_cmp);
  for (size_t k = 0; k < ns; k++) {
    const ocidig_audit_row *r = said[k].r;
    size_t h = held_first(held, nh, r->digest);
    bool d = false;
    if (r->status == OCIDIG_AUDIT_MISSING)
      d = h < nh;
    else if (r->status == OCIDIG_AUDIT_DRIFT)
      for (; h < nh && !d && !strcmp(held[h].r->digest, r->digest); h++) { /* each file holding it */
        merge_key want = {r, held[h].file, 0};
        if (h > 0 && held[h - 1].file == held[h].file && !strcmp(held[h - 1].r->digest, r->digest))
          continue;
        d = !bsearch(&want, said, ns, sizeof *said, said_file_cmp); /* that file gives the name */
      }
    if (k > 0 && !said_cmp_row(&said[k - 1], &said[k])) /* said before (a lower index sorts first) */
      d = true;
    drop[said[k].index] = d;
  }
  free(held);
  free(said);
  return true;
}

/* The rows of jsonl files (audits of shards of one bundle against one lock) as one audit.
 * A shard's "in no source" rows for an image another shard holds are dropped; a name of the
 * lock that a shard's images of its digest lack (drift, in no source) is lost only when every
 * shard that holds the digest lacks it. */
static int merge(char **files, size_t n, ocidig_audit **out, char **lock)
{
  ocidig_audit *a = calloc(1, sizeof *a);
  size_t cap = 0, *file_of = NULL;
  int status = 0;
  if (!a)
    return cli_error("out of memory"), EXIT_UNREADABLE;
  for (size_t f = 0; f < n && !status; f++) {
    char *text, *line, *save = NULL;
    size_t len, ln = 0;
    if ((status = read_all(files[f], &text, &len)) != 0)
      break;
    for (line = strtok_r(text, "\n", &save); line && !status; line = strtok_r(NULL, "\n", &save)) {
      json_object *o = json_tokener_parse(line), *rows;
      const char *src = o ? obj_str(o, "source") : NULL;
      size_t si = 0;
      ln++;
      if (!o || !json_object_object_get_ex(o, "rows", &rows) || !json_object_is_type(rows, json_type_array)) {
        cli_error("%s: line %zu is not a line of audit --format jsonl", cli_clean(files[f]), ln);
        json_object_put(o);
        status = EXIT_INTEGRITY;
        break;
      }
      if (ln == 1 && f == 0 && obj_str(o, "expect"))
        *lock = strdup(obj_str(o, "expect"));
      if ((*lock == NULL) != (obj_str(o, "expect") == NULL) || (*lock && strcmp(*lock, obj_str(o, "expect")))) {
        cli_error("%s: line %zu: audited against another lock than the first line (%s)", cli_clean(files[f]), ln,
                  cli_clean(*lock ? *lock : "none"));
        json_object_put(o);
        status = EXIT_USAGE;
        break;
      }
      if (src) {
        for (si = 0; si < a->n_sources && strcmp(a->sources[si], src); si++)
          ;
        if (si == a->n_sources && !push_str(&a->sources, &a->n_sources, src))
          status = EXIT_UNREADABLE;
      }
      for (size_t i = 0; i < json_object_array_length(rows) && !status; i++) {
        json_object *r = json_object_array_get_idx(rows, i);
        int st = status_of(obj_str(r, "status"));
        ocidig_audit_row *w;
        if (st < 0) {
          cli_error("%s: line %zu: a row with no known status", cli_clean(files[f]), ln);
          status = EXIT_INTEGRITY;
          break;
        }
        if (a->n_rows == cap) {
          size_t ncap = cap ? 2 * cap : 64, *fv;
          ocidig_audit_row *v = realloc(a->rows, ncap * sizeof *v);
          if (v)
            a->rows = v;
          if (!v || !(fv = realloc(file_of, ncap * sizeof *fv))) {
            status = EXIT_UNREADABLE;
            break;
          }
          file_of = fv;
          cap = ncap;
        }
        file_of[a->n_rows] = f;
        w = &a->rows[a->n_rows++];
        memset(w, 0, sizeof *w);
        w->source = src ? a->sources[si] : NULL;
        w->status = (ocidig_audit_status)st;
#define DUP(field, key) (obj_str(r, key) && !(w->field = strdup(obj_str(r, key))))
        if (DUP(image, "image") || DUP(digest, "digest") || DUP(platform, "platform") || DUP(manifest, "manifest") ||
            DUP(detail, "detail"))
          status = EXIT_UNREADABLE;
#undef DUP
      }
      json_object_put(o);
    }
    free(text);
  }
  if (!status) {
    /* an image that one shard misses and another holds is not missing; decided over the rows
     * as read, before any is dropped */
    size_t m = 0;
    bool *drop = calloc(a->n_rows + 1, sizeof *drop);
    if (!drop) {
      free(file_of);
      ocidig_audit_free(a);
      return cli_error("out of memory"), EXIT_UNREADABLE;
    }
    a->n_scanned = a->n_sources;
    if (!merge_drops(a, file_of, drop)) {
      free(drop);
      free(file_of);
      ocidig_audit_free(a);
      return cli_error("out of memory"), EXIT_UNREADABLE;
    }
    for (size_t i = 0; i < a->n_rows; i++) {
      ocidig_audit_row *r = &a->rows[i];
      bool held = drop[i];
      if (held) {
        free(r->image);
        free(r->digest);
        free(r->platform);
        free(r->manifest);
        free(r->detail);
        continue;
      }
      a->rows[m++] = *r;
      a->counts[r->status]++;
    }
    free(drop);
    a->n_rows = m;
    /* as an audit orders them: by source, then what no source holds */
    m = 0;
    for (int pass = 0; pass < 2; pass++)
      for (size_t i = m; i < a->n_rows; i++)
        if ((a->rows[i].source != NULL) == (pass == 0)) {
          ocidig_audit_row r = a->rows[i];
          memmove(&a->rows[m + 1], &a->rows[m], (i - m) * sizeof r);
          a->rows[m++] = r;
        }
  }
  free(file_of);
  if (status) {
    if (status == EXIT_UNREADABLE)
      cli_error("out of memory");
    ocidig_audit_free(a);
    return status;
  }
  *out = a;
  return 0;
}

int cmd_audit(int argc, char **argv)
{
  enum { OPT_MAX_BYTES = 256, OPT_DEEP, OPT_MERGE, OPT_REQ_SIG, OPT_REQ_ATT };
  enum { MAX_REQUIRE = 32 };
  static const struct option longopts[] = {
    {"expect", required_argument, NULL, 'e'},
    {"jobs", required_argument, NULL, 'j'},
    {"deep", no_argument, NULL, OPT_DEEP},
    {"format", required_argument, NULL, 'f'},
    {"merge", no_argument, NULL, OPT_MERGE},
    {"require-platform", required_argument, NULL, 'p'},
    {"require-signature", no_argument, NULL, OPT_REQ_SIG},
    {"require-attestation", required_argument, NULL, OPT_REQ_ATT},
    CLI_TRUST_LONGOPTS,
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *lock_path = NULL, *format = "text";
  char *merged_lock = NULL;
  bool merging = false;
  ocidig_matcher *req[MAX_REQUIRE];
  const char *req_names[MAX_REQUIRE];
  size_t n_req = 0;
  const char *atts[MAX_REQUIRE];
  size_t n_atts = 0;
  cli_trust trust = {0};
  ocidig_open_options oo = {0};
  ocidig_audit_options ao;
  ocidig_lock *lock = NULL;
  ocidig_audit *a = NULL;
  ocidig_error err = {0};
  a_progress prog = {.tty = isatty(2), .start = time(NULL)};
  struct sigaction sa = {0}, old_sa;
  int c, status;
  size_t stdin_count = 0;

  ocidig_audit_options_init(&ao);
  optind = 1;
  while ((c = getopt_long(argc, argv, "e:j:f:p:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'e': lock_path = optarg; break;
    case 'j': {
      char *end;
      long n = strtol(optarg, &end, 10);
      if (*end || n < 1 || n > 1024)
        {
          status = cli_usage("audit", "--jobs takes a number from 1 to 1024");
          goto done;
        }
      ao.jobs = (unsigned)n;
      break;
    }
    case OPT_DEEP: ao.deep = true; break;
    case OPT_MERGE: merging = true; break;
    case OPT_REQ_SIG: ao.require_signature = true; break;
    case OPT_REQ_ATT:
      if (n_atts == MAX_REQUIRE) {
        status = cli_usage("audit", "at most %d --require-attestation", (int)MAX_REQUIRE);
        goto done;
      }
      atts[n_atts++] = optarg;
      break;
    case 'p':
      if (n_req == MAX_REQUIRE) {
        status = cli_usage("audit", "at most %d --require-platform", (int)MAX_REQUIRE);
        goto done;
      }
      if ((status = cli_matcher(optarg, false, &req[n_req])) != 0)
        goto done;
      req_names[n_req++] = optarg;
      break;
    case 'f': format = optarg; break;
    case 'h':
      help();
      status = 0;
      goto done;
    case OPT_MAX_BYTES:
      if ((status = cli_max_bytes("audit", optarg, &oo.max_bytes)) != 0)
        {
          status = status;
          goto done;
        }
      break;
    default:
      if (cli_trust_option(&trust, c, optarg))
        break;
      status = cli_usage("audit", "bad option");
      goto done;
    }
  }
  if (optind == argc)
    {
      status = cli_usage("audit", "no SOURCE given");
      goto done;
    }
  if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "jsonl") && strcmp(format, "sarif") &&
      strcmp(format, "junit"))
    {
      status = cli_usage("audit", "--format is text, json, jsonl, sarif or junit");
      goto done;
    }
  if (merging) {
    if (lock_path || ao.deep || ao.jobs)
      {
        status = cli_usage("audit", "--merge reads audits: no --expect, --deep or --jobs");
        goto done;
      }
    if ((status = merge(&argv[optind], (size_t)(argc - optind), &a, &merged_lock)) != 0)
      {
        status = status;
        goto done;
      }
    lock_path = merged_lock;
    goto write;
  }
  if ((status = cli_trust_load(&trust, "audit")) != 0)
    goto done;
  if (ao.require_signature && !ocidig_trust_options_any(&trust.opts)) {
    status = cli_usage("audit", "--require-signature needs trust material: --key, --trusted-root, --ca-roots or --trust-policy");
    goto done;
  }
  ao.trust = &trust.opts;
  ao.require_attestations = atts;
  ao.n_require_attestations = n_atts;
  for (int i = optind; i < argc; i++)
    stdin_count += !strcmp(argv[i], "-");
  if (stdin_count > 1)
    {
      status = cli_usage("audit", "standard input (-) can be one source only");
      goto done;
    }
  if (lock_path) {
    char *text;
    size_t len;
    if ((status = read_all(lock_path, &text, &len)) != 0)
      {
        status = status;
        goto done;
      }
    if (ocidig_lock_read(text, len, lock_path, &lock, &err) != OCIDIG_OK) {
      free(text);
      /* a lock that is not one is a bad argument (2), not a corrupt bundle (4) */
      status = err.code == OCIDIG_ERR_NOMEM ? cli_fail(&err) : (cli_error("%s", cli_text(err.message)), EXIT_USAGE);
      goto done;
    }
    free(text);
  }
  ao.expect = lock;
  ao.open = &oo;
  ao.host = cli_host();
  ao.progress = progress;
  ao.progress_ctx = &prog;
  ao.stop = &interrupted;
  ao.require_platforms = (const ocidig_matcher *const *)req;
  ao.require_platform_names = req_names;
  ao.n_require_platforms = n_req;
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_sa);
  if (ocidig_audit_run((const char *const *)&argv[optind], (size_t)(argc - optind), &ao, &a, &err) != OCIDIG_OK) {
    sigaction(SIGINT, &old_sa, NULL);
    progress_end(&prog);
    status = cli_fail(&err);
    goto done;
  }
  sigaction(SIGINT, &old_sa, NULL);
  progress_end(&prog);
write:
  if (!strcmp(format, "json"))
    write_json(a, lock_path);
  else if (!strcmp(format, "jsonl"))
    write_jsonl(a, lock_path);
  else if (!strcmp(format, "sarif"))
    write_sarif(a, lock_path);
  else if (!strcmp(format, "junit"))
    write_junit(a);
  else
    write_text(a);
  status = a->stopped || interrupted ? 130 : exit_status(a);
done:
  ocidig_audit_free(a);
  ocidig_lock_free(lock);
  free(merged_lock);
  for (size_t i = 0; i < n_req; i++)
    ocidig_matcher_free(req[i]);
  cli_trust_free(&trust);
  cli_text_free();
  return status;
}
