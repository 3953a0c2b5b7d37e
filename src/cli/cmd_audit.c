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
#include <time.h>
#include <unistd.h>

/* Something required is missing (doc: README's exit codes). */
#define EXIT_POLICY 6

static void help(void)
{
  cli_puts("Usage: ocidig audit [--expect LOCK] [-j N] [--deep] [--format text|json|jsonl] SOURCE...\n"
           "\n"
           "Verify every SOURCE of a bundle (directories, archives, - for standard input), N at a\n"
           "time, and hold them together against a lock file written by 'ocidig ls --lock': images\n"
           "missing, extra images, digest drift (a name the lock gives another digest), platforms\n"
           "and blobs missing, documents and blobs corrupt.  One row per source, image and\n"
           "platform (ok / missing / extra / drift / corrupt / incomplete / unreadable), then the\n"
           "details.  Without --expect each source is verified on its own.\n"
           "\n"
           "Options:\n"
           "  -e, --expect LOCK    the lock file to hold the bundle against\n"
           "  -j, --jobs N         sources verified at once (default: one per CPU)\n"
           "      --deep           also verify inside every layer (verify --deep)\n"
           "  -f, --format F       text (default), json (one object) or jsonl (one object per\n"
           "                       source, then one for what the lock has and no source holds)\n"
           CLI_MAX_BYTES_HELP
           "  -h, --help           this help\n"
           "\n"
           "Examples:\n"
           "  ocidig ls --lock mirror/*.tar > bundle.lock           # the sender\n"
           "  ocidig audit --expect bundle.lock received/*.tar      # the receiver\n"
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
  *out = NULL;
  if (!f) {
    cli_error("lock %s: %s", cli_clean(path), strerror(errno));
    return EXIT_UNREADABLE;
  }
  for (;;) {
    size_t got;
    if (n + 1 >= cap) {
      char *q = realloc(p, cap = cap ? cap * 2 : 65536);
      if (!q) {
        free(p);
        fclose(f);
        cli_error("lock %s: out of memory", cli_clean(path));
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
    cli_error("lock %s: read error", cli_clean(path));
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
  if (a->counts[OCIDIG_AUDIT_MISSING] || a->counts[OCIDIG_AUDIT_EXTRA] || a->counts[OCIDIG_AUDIT_DRIFT])
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
    [OCIDIG_AUDIT_OK] = 0,      [OCIDIG_AUDIT_INCOMPLETE] = 1, [OCIDIG_AUDIT_EXTRA] = 2,
    [OCIDIG_AUDIT_DRIFT] = 3,   [OCIDIG_AUDIT_MISSING] = 4,    [OCIDIG_AUDIT_CORRUPT] = 5,
    [OCIDIG_AUDIT_UNREADABLE] = 6,
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

int cmd_audit(int argc, char **argv)
{
  enum { OPT_MAX_BYTES = 256, OPT_DEEP };
  static const struct option longopts[] = {
    {"expect", required_argument, NULL, 'e'},
    {"jobs", required_argument, NULL, 'j'},
    {"deep", no_argument, NULL, OPT_DEEP},
    {"format", required_argument, NULL, 'f'},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *lock_path = NULL, *format = "text";
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
  while ((c = getopt_long(argc, argv, "e:j:f:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'e': lock_path = optarg; break;
    case 'j': {
      char *end;
      long n = strtol(optarg, &end, 10);
      if (*end || n < 1 || n > 1024)
        return cli_usage("audit", "--jobs takes a number from 1 to 1024");
      ao.jobs = (unsigned)n;
      break;
    }
    case OPT_DEEP: ao.deep = true; break;
    case 'f': format = optarg; break;
    case 'h': help(); return 0;
    case OPT_MAX_BYTES:
      if ((status = cli_max_bytes("audit", optarg, &oo.max_bytes)) != 0)
        return status;
      break;
    default: return cli_usage("audit", "bad option");
    }
  }
  if (optind == argc)
    return cli_usage("audit", "no SOURCE given");
  if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "jsonl"))
    return cli_usage("audit", "--format is text, json or jsonl");
  for (int i = optind; i < argc; i++)
    stdin_count += !strcmp(argv[i], "-");
  if (stdin_count > 1)
    return cli_usage("audit", "standard input (-) can be one source only");
  if (lock_path) {
    char *text;
    size_t len;
    if ((status = read_all(lock_path, &text, &len)) != 0)
      return status;
    if (ocidig_lock_read(text, len, lock_path, &lock, &err) != OCIDIG_OK) {
      free(text);
      return cli_fail(&err);
    }
    free(text);
  }
  ao.expect = lock;
  ao.open = &oo;
  ao.host = cli_host();
  ao.progress = progress;
  ao.progress_ctx = &prog;
  ao.stop = &interrupted;
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_sa);
  if (ocidig_audit_run((const char *const *)&argv[optind], (size_t)(argc - optind), &ao, &a, &err) != OCIDIG_OK) {
    sigaction(SIGINT, &old_sa, NULL);
    progress_end(&prog);
    ocidig_lock_free(lock);
    return cli_fail(&err);
  }
  sigaction(SIGINT, &old_sa, NULL);
  progress_end(&prog);
  if (!strcmp(format, "json"))
    write_json(a, lock_path);
  else if (!strcmp(format, "jsonl"))
    write_jsonl(a, lock_path);
  else
    write_text(a);
  status = a->stopped ? 130 : exit_status(a);
  ocidig_audit_free(a);
  ocidig_lock_free(lock);
  cli_text_free();
  return status;
}
