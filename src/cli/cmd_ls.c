/* cmd_ls.c: ocidig ls: every image of a bundle and every platform it offers, as a table. */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
  cli_puts(
          "Usage: ocidig ls [--platform SPEC [--strict]] [--json] SOURCE\n"
          "       ocidig ls --lock SOURCE... > bundle.lock\n"
          "\n"
          "List the whole bundle: every image (by name, or by digest when unnamed) and every\n"
          "platform it offers, nested indexes walked, with whether all its blobs are present\n"
          "and its compressed size (the sum of its layers).  Buildx attestation manifests are\n"
          "listed apart.  A footer gives the bytes of the blobs referenced, the bytes shared\n"
          "between images or platforms (each counted once) and the bytes of the files no image\n"
          "references.\n"
          "\n"
          "With --platform, show what each image resolves to (as 'ocidig resolve --ref' would\n"
          "for that image) instead of every platform.\n"
          "\n"
          "With --lock, write a lock file of the sources together (JSON, sorted, one image per\n"
          "digest whatever source holds it): every image's names and digest, every platform's\n"
          "manifest digest and every blob it needs with its size.  ls reads the documents, not\n"
          "the layers: run 'ocidig verify' too before you trust what you lock.  Nothing is\n"
          "written if a source cannot be read or a document of it fails (exit 3 or 4).\n"
          "\n"
          "SOURCE is a layout directory, an archive of one, a 'docker save' or containers/image\n"
          "docker-archive, a containers/image dir: layout (skopeo copy ... dir:DIR; several\n"
          "side by side as skopeo sync --dest dir writes them), or - for an archive on standard\n"
          "input.  A docker save archive\n"
          "without index.json has no registry manifests: its images are shown by image ID\n"
          "(the digest of their config).\n"
          "\n"
          "Options:\n"
          "  -p, --platform SPEC  show what each image resolves to for this platform\n"
          "  -s, --strict         with --platform: no fallbacks (containerd OnlyStrict)\n"
          "  -j, --json           print one JSON object\n"
          "  -l, --lock           write the lock file of the SOURCEs (no --platform, no --json)\n"
          CLI_MAX_BYTES_HELP
          "  -h, --help           this help\n"
          "\n"
          "Examples:\n"
          "  ocidig ls image.tar\n"
          "  ocidig ls --platform linux/arm64 oci-dir/\n"
          "  ocidig ls --json bundle.tar.zst | jq '.images[] | select(.complete | not) | .name'\n"
          "  ocidig ls --lock mirror/*.tar > bundle.lock\n"
          "\n"
          "Exit status: 0 listed, 1 with --platform: no image resolves, 2 usage error, 3 input\n"
          "unreadable as a layout, 4 a manifest or index could not be read (digest mismatch,\n"
          "invalid JSON, ...: the listing is still printed), 5 the output could not be written.\n");
}

/* ------------------------------------------------------------- text helpers */

static const char *short_digest(const char *d)
{
  char buf[64];
  if (!d || !*d)
    return "-";
  cli_short_digest(d, 16, buf, sizeof buf);
  return cli_text(buf);
}

/* ------------------------------------------------------------- the table */

typedef struct cell_row {
  const char *image, *platform, *digest, *complete, *size, *note;
  const char *color;
} cell_row;

static const char *row_note(const ocidig_list_row *r, char *buf, size_t len)
{
  if (r->code != OCIDIG_OK)
    snprintf(buf, len, "error: %s (%s)", cli_text(r->error), ocidig_code_name(r->code));
  else if (r->is_index && !r->present)
    snprintf(buf, len, "nested index not in the layout: its platforms are unknown");
  else if (r->other)
    snprintf(buf, len, "not an image: %s", cli_text(r->media_type));
  else if (!r->present)
    snprintf(buf, len, "manifest not in the layout");
  else if (r->n_missing && r->n_unverified)
    snprintf(buf, len, "%zu of %zu blobs missing, %zu cannot be verified (digest algorithm not supported)",
             r->n_missing, r->n_blobs, r->n_unverified);
  else if (r->n_missing)
    snprintf(buf, len, "%zu of %zu blobs missing", r->n_missing, r->n_blobs);
  else if (r->n_unverified)
    snprintf(buf, len, "%zu of %zu blobs cannot be verified (digest algorithm not supported)", r->n_unverified,
             r->n_blobs);
  else
    buf[0] = '\0';
  return buf;
}

/* The table is written image by image, as the library lists them (ocidig_layout_list_each),
 * never whole in memory: a first listing measures the columns (and finds any error before
 * anything is written), a second writes the table, a third the attestations' table when
 * there is one.  Each image's cells live while it is written. */
typedef struct ls_text {
  const char *source;
  bool color, docker;
  int pass;       /* 1: measure, 2: the table, 3: the attestations' table */
  bool json;      /* the first listing only for the exit status and the errors */
  cli_table t, ta; /* the columns of both tables */
  size_t n_plat, n_att, n_rows, n_atts;
  /* the exit status the images give (with --platform) */
  bool any_selected;
  int outcome_status;
} ls_text;

static void ls_text_init(ls_text *x, const char *source)
{
  static const char *const ahead[6] = {"IMAGE", "ATTESTS", "MANIFEST", "COMPLETE", "SIZE", ""};
  memset(x, 0, sizeof *x);
  x->source = source;
  x->color = cli_color();
  x->t = (cli_table){.n_cols = 6, .right = 1u << 4, .last_free = true};
  x->ta = x->t;
  for (int k = 0; k < 5; k++)
    cli_table_width(&x->ta, k, ahead[k]);
}

static void ls_head_widths(ls_text *x, const ocidig_listing *l, const char **head)
{
  x->docker = l->format == OCIDIG_FORMAT_DOCKER_ARCHIVE;
  head[0] = "IMAGE";
  head[1] = l->request ? "RESOLVES TO" : "PLATFORM";
  head[2] = x->docker ? "IMAGE ID" : "MANIFEST";
  head[3] = "COMPLETE";
  head[4] = "SIZE";
  head[5] = "";
}

static void ls_cells(ls_text *x, const ocidig_listing *l, const ocidig_list_image *img)
{
  size_t cap = img->n_rows + 1, n_rows = 0, n_atts = 0, n_notes = 0;
  cell_row *rows = calloc(cap, sizeof *rows), *att = calloc(cap, sizeof *att);
  char **notes = calloc(cap * 6 + 1, sizeof *notes); /* owned strings for the notes, sizes and names */
  char buf[1200];
  bool docker = x->docker;
  if (!rows || !att || !notes) {
    free(rows);
    free(att);
    free(notes);
    cli_error("out of memory");
    return;
  }
#define KEEP(s) (notes[n_notes] = strdup(s), notes[n_notes] ? notes[n_notes++] : "?")
  {
    const char *name = KEEP(img->n_names ? cli_text(img->name) : short_digest(img->digest));
    bool first = true, first_att = true, shown = false;
    for (size_t k = 0; k < img->n_rows; k++) {
      const ocidig_list_row *r = &img->rows[k];
      cell_row *c;
      char size[32];
      if (r->attestation_of) {
        if (x->pass == 1)
          x->n_att++;
        if (l->request)
          continue;
        c = &att[n_atts++];
        c->image = first_att ? name : "";
        first_att = false;
        c->platform = KEEP(short_digest(r->attestation_of));
      } else {
        if (x->pass == 1)
          x->n_plat++;
        if (l->request && !r->selected)
          continue;
        c = &rows[n_rows++];
        c->image = first ? name : "";
        first = false;
        c->platform = r->platform ? KEEP(cli_text(r->platform)) : r->is_index ? "(index)" : "-";
      }
      shown = true;
      c->digest = KEEP(short_digest(docker ? r->image_id : r->manifest));
      c->complete = r->code != OCIDIG_OK ? "error" : r->complete ? "yes" : "no";
      c->color = r->code != OCIDIG_OK ? CLI_RED : r->complete ? CLI_GREEN : CLI_YELLOW;
      cli_human_size(r->size > 0 ? (uint64_t)r->size : 0, size, sizeof size);
      c->size = r->present && !r->is_index && !r->other ? KEEP(size) : "-";
      c->note = KEEP(row_note(r, buf, sizeof buf));
    }
    if (!l->request && !shown && first) {
      cell_row *c = &rows[n_rows++];
      c->image = name;
      c->platform = "(no manifests)";
      c->digest = c->complete = c->size = "-";
      c->note = "";
    }
    if (l->request && !shown) {
      cell_row *c = &rows[n_rows++];
      c->image = name;
      if (img->outcome == OCIDIG_OUTCOME_ERROR) {
        snprintf(buf, sizeof buf, "error: %s (%s)", cli_text(img->error), ocidig_code_name(img->code));
        c->platform = "-";
        c->note = KEEP(buf);
        c->color = CLI_RED;
      } else {
        snprintf(buf, sizeof buf, "(no match for %s)", cli_text(l->request));
        c->platform = KEEP(buf);
        c->note = "";
      }
      c->digest = c->complete = c->size = "-";
    }
  }
#undef KEEP
  if (x->pass == 1) {
    x->n_rows += n_rows;
    x->n_atts += n_atts;
    for (size_t i = 0; i < n_rows + n_atts; i++) {
      const cell_row *r = i < n_rows ? &rows[i] : &att[i - n_rows];
      const char *cells[5] = {r->image, r->platform, r->digest, r->complete, r->size};
      for (int k = 0; k < 5; k++)
        cli_table_width(i < n_rows ? &x->t : &x->ta, k, cells[k]);
    }
  } else {
    size_t n = x->pass == 2 ? n_rows : n_atts;
    for (size_t i = 0; i < n; i++) {
      const cell_row *r = x->pass == 2 ? &rows[i] : &att[i];
      const char *cells[6] = {r->image, r->platform, r->digest, r->complete, r->size, r->note};
      const char *colors[6] = {NULL, NULL, NULL, r->color, NULL, NULL};
      cli_table_row(x->pass == 2 ? &x->t : &x->ta, cells, colors, NULL);
    }
    if (x->pass == 2 && img->n_attached) {
      char *line = cli_attached_summary(img->attached, img->n_attached);
      if (line)
        cli_printf("  %s\n", line);
      else
        cli_error("out of memory");
      free(line);
    }
  }
  for (size_t i = 0; i < n_notes; i++)
    free(notes[i]);
  free(notes);
  free(rows);
  free(att);
}

/* ocidig_layout_list_each's function: the image's cells measured or written. */
static ocidig_code ls_text_image(void *ctx, const ocidig_listing *l, ocidig_list_image *img, ocidig_error *err)
{
  ls_text *x = ctx;
  (void)err;
  if (x->pass == 1) {
    x->any_selected = x->any_selected || img->outcome == OCIDIG_OUTCOME_SELECTED;
    if (img->outcome == OCIDIG_OUTCOME_ERROR)
      x->outcome_status = ocidig_code_exit_status(img->code);
  }
  if (x->json || (x->pass == 3 && l->request))
    return OCIDIG_OK;
  x->docker = l->format == OCIDIG_FORMAT_DOCKER_ARCHIVE;
  ls_cells(x, l, img);
  return OCIDIG_OK;
}

/* The table's head (before the second listing writes the rows). */
static void print_head(ls_text *x, const ocidig_listing *l)
{
  const char *b = x->color ? CLI_BOLD : "", *z = x->color ? CLI_RESET : "";
  const char *head[6];
  ls_head_widths(x, l, head);
  for (int k = 0; k < 5; k++)
    cli_table_width(&x->t, k, head[k]);
  cli_printf("%s%s%s: %s, %zu image%s, %zu platform%s%s\n", b, strcmp(x->source, "-") ? cli_text(x->source) : "standard input", z, ocidig_layout_format_name(l->format),
         l->n_images, l->n_images == 1 ? "" : "s", x->n_plat, x->n_plat == 1 ? "" : "s",
         x->docker ? " (docker save: no registry manifests; images are known by image ID)" : "");
  cli_table_row(&x->t, head, NULL, x->color ? CLI_BOLD : "");
}

/* Between the tables, and the footer. */
static void print_attestations_head(ls_text *x, const ocidig_listing *l)
{
  static const char *const ahead[6] = {"IMAGE", "ATTESTS", "MANIFEST", "COMPLETE", "SIZE", ""};
  const char *b = x->color ? CLI_BOLD : "", *z = x->color ? CLI_RESET : "";
  if (x->n_atts) {
    cli_printf("\n%sattestations%s (buildx)\n", b, z);
    cli_table_row(&x->ta, ahead, NULL, x->color ? CLI_BOLD : "");
  } else if (x->n_att && l->request) {
    cli_printf("\n(%zu attestation manifest%s not shown with --platform)\n", x->n_att, x->n_att == 1 ? "" : "s");
  }
}

static void print_footer(const ocidig_listing *l)
{
  char t[32], s[32], u[32];
  cli_human_size(l->total_bytes, t, sizeof t);
  cli_human_size(l->shared_bytes, s, sizeof s);
  cli_human_size(l->unreferenced_bytes, u, sizeof u);
  cli_printf("\ntotal %s in %zu blob%s; shared between images/platforms %s (%zu blob%s); unreferenced %s (%zu file%s)",
         t, l->n_blobs, l->n_blobs == 1 ? "" : "s", s, l->n_shared, l->n_shared == 1 ? "" : "s", u,
         l->n_unreferenced, l->n_unreferenced == 1 ? "" : "s");
  if (l->n_missing)
    cli_printf("; %zu blob%s missing", l->n_missing, l->n_missing == 1 ? "" : "s");
  if (l->n_unverified)
    cli_printf("; %zu blob%s cannot be verified", l->n_unverified, l->n_unverified == 1 ? "" : "s");
  cli_printf("\n");
}

/* cli_json_sink, noting whether anything was written. */
typedef struct ls_sink {
  cli_json_stream st;
  bool written;
} ls_sink;

static ocidig_code ls_json_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  ls_sink *s = ctx;
  s->written = true;
  return cli_json_sink(&s->st, buf, len, err);
}

static ocidig_code ls_nomem(ocidig_error *err)
{
  err->code = OCIDIG_ERR_NOMEM;
  snprintf(err->message, sizeof err->message, "out of memory");
  return OCIDIG_ERR_NOMEM;
}

/* An error before anything was written: the JSON object of any error, or the message. */
static void error_out(bool json, const char *source, const ocidig_error *err)
{
  if (json) {
    json_object *root = json_object_new_object(), *e = json_object_new_object();
    json_object_object_add(root, "schemaVersion", json_object_new_int(1));
    json_object_object_add(root, "source", json_object_new_string(source));
    json_object_object_add(root, "images", NULL);
    json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(err->code)));
    json_object_object_add(e, "message", json_object_new_string(err->message));
    json_object_object_add(root, "error", e);
    cli_put_json_object(root);
    json_object_put(root);
  } else {
    cli_error("%s (%s)", cli_text(err->message), ocidig_code_name(err->code));
  }
}

/* ls --lock: every source listed with its blobs, then the lock written from all of them.
 * A source that cannot be read, or whose documents fail, stops it before anything is written:
 * a lock records a bundle whose documents read. */
static int ls_lock(char **sources, size_t n, ocidig_open_options *open_opts, cli_progress *prog)
{
  ocidig_lock_source *ls = calloc(n, sizeof *ls);
  ocidig_list_options opts = {.host = cli_host(), .blobs = true};
  ocidig_error err = {0};
  ls_sink st = {{0}, false};
  int status = 0;
  if (!ls) {
    ls_nomem(&err);
    status = cli_fail(&err);
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    ocidig_layout *layout = NULL;
    ocidig_listing *l = NULL;
    ocidig_code rc = ocidig_layout_open(sources[i], open_opts, &layout, &err);
    if (rc == OCIDIG_OK)
      rc = ocidig_list(layout, &opts, &l, &err);
    ocidig_layout_close(layout);
    cli_progress_end(prog);
    if (rc != OCIDIG_OK) {
      cli_error("%s (%s)", cli_text(err.message), ocidig_code_name(err.code)); /* it names the source */
      status = ocidig_code_exit_status(err.code);
      goto out;
    }
    ls[i] = (ocidig_lock_source){.name = sources[i], .listing = l};
    if (l->n_errors) {
      for (size_t j = 0; j < l->n_images; j++)
        for (size_t k = 0; k < l->images[j].n_rows; k++) {
          const ocidig_list_row *r = &l->images[j].rows[k];
          if (r->code != OCIDIG_OK)
            cli_error("%s: %s %s: %s (%s)", cli_text(sources[i]), r->is_index ? "index" : "manifest",
                      cli_text(r->manifest ? r->manifest : "-"), cli_text(r->error), ocidig_code_name(r->code));
        }
      cli_error("%s: no lock written: %zu document%s of the bundle could not be read", cli_text(sources[i]),
                l->n_errors, l->n_errors == 1 ? "" : "s");
      status = EXIT_INTEGRITY;
      goto out;
    }
  }
  if (ocidig_lock_write_json(ls, n, ls_json_sink, &st, &err) != OCIDIG_OK && err.code != OCIDIG_ERR_OUTPUT)
    status = cli_fail(&err);
  cli_json_end(&st.st);
out:
  for (size_t i = 0; ls && i < n; i++)
    ocidig_listing_free((ocidig_listing *)ls[i].listing);
  free(ls);
  return status;
}

int cmd_ls(int argc, char **argv)
{
  enum { OPT_MAX_BYTES = 256 };
  static const struct option longopts[] = {
    {"platform", required_argument, NULL, 'p'},
    {"strict", no_argument, NULL, 's'},
    {"json", no_argument, NULL, 'j'},
    {"lock", no_argument, NULL, 'l'},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *platform = NULL, *source;
  bool strict = false, json = false, lock = false;
  ocidig_matcher *matcher = NULL;
  ocidig_layout *layout = NULL;
  ocidig_listing *l = NULL;
  ocidig_list_options opts = {0};
  ocidig_error err = {0};
  ls_text x;
  bool first = true;
  int c, status;
  cli_progress prog = {.what = "reading"};
  ocidig_open_options open_opts = {.progress = cli_progress_cb, .progress_ctx = &prog};

  optind = 1;
  while ((c = getopt_long(argc, argv, "p:sjlh", longopts, NULL)) != -1) {
    switch (c) {
    case 'p': platform = optarg; break;
    case 's': strict = true; break;
    case 'j': json = true; break;
    case 'l': lock = true; break;
    case 'h': help(); return 0;
    case OPT_MAX_BYTES:
      if ((status = cli_max_bytes("ls", optarg, &open_opts.max_bytes)) != 0)
        return status;
      break;
    default: return cli_usage("ls", "bad option");
    }
  }
  if (lock) {
    if (optind == argc)
      return cli_usage("ls", "no SOURCE given");
    if (platform || strict || json)
      return cli_usage("ls", "--lock goes with no --platform, --strict or --json");
    return ls_lock(&argv[optind], (size_t)(argc - optind), &open_opts, &prog);
  }
  if (optind + 1 != argc)
    return cli_usage("ls", optind == argc ? "no SOURCE given" : "one SOURCE only (several with --lock)");
  source = argv[optind];
  if (strict && !platform)
    return cli_usage("ls", "--strict goes with --platform");
  if (platform && (status = cli_matcher(platform, strict, &matcher)) != 0)
    return status;

  /* The text: the first listing measures the table and finds whatever error there is
   * before anything is written (an archive cut or corrupt past its images:
   * ocidig_layout_list_each); the second writes.  The JSON is written in one listing
   * (ocidig_layout_list_write_json writes nothing when the listing fails); with a matcher,
   * a first listing gives the exit status, which the images' outcomes make. */
  ls_text_init(&x, source);
  x.pass = 1;
  x.json = json;
  if (ocidig_layout_open(source, &open_opts, &layout, &err) == OCIDIG_OK) {
    opts = (ocidig_list_options){.matcher = matcher, .host = cli_host()};
    if (json && !matcher)
      first = false;
    if (first)
      ocidig_layout_list_each(layout, &opts, ls_text_image, &x, &l, &err);
  }
  if (first || !layout) {
    cli_progress_end(&prog);
    prog.started = true; /* no progress line while the table is written */
    prog.tty = false;
  }
  if (!layout || (first && !l)) {
    status = ocidig_code_exit_status(err.code);
    error_out(json, source, &err);
    goto out;
  }
  if (json) {
    /* Written as it is made (the JSON of 100,000 images is never whole in memory). */
    char *src_text = cli_json_quote(source);
    ocidig_json_member head[] = {{"schemaVersion", "1"}, {"source", src_text}};
    ocidig_json_member tail[] = {{"strict", strict ? "true" : "false"}};
    ocidig_json_options jo = {.pretty = true, .head = head, .n_head = 2, .tail = tail, .n_tail = 1};
    ls_sink st = {{0}, false};
    ocidig_error jerr;
    ocidig_listing *l2 = NULL;
    ocidig_code jrc = src_text ? ocidig_layout_list_write_json(layout, &opts, &jo, ls_json_sink, &st, &l2, &jerr)
                               : ls_nomem(&jerr);
    free(src_text);
    if (jrc != OCIDIG_OK && !st.written && !first) {
      /* nothing written: the error as the JSON object of any error */
      cli_progress_end(&prog);
      status = ocidig_code_exit_status(jerr.code);
      error_out(json, source, &jerr);
      goto out;
    }
    cli_json_end(&st.st);
    if (jrc != OCIDIG_OK && jrc != OCIDIG_ERR_OUTPUT) {
      status = cli_fail(&jerr);
      goto out;
    }
    if (!first) {
      cli_progress_end(&prog);
      l = l2;
    } else {
      ocidig_listing_free(l2);
    }
    if (!l)
      goto out; /* the output failed (cli_finish says so) */
  } else {
    ocidig_error e2;
    ocidig_listing *l2 = NULL;
    print_head(&x, l);
    x.pass = 2;
    if (ocidig_layout_list_each(layout, &opts, ls_text_image, &x, &l2, &e2) != OCIDIG_OK) {
      status = cli_fail(&e2);
      goto out;
    }
    ocidig_listing_free(l2);
    print_attestations_head(&x, l);
    if (x.n_atts) {
      x.pass = 3;
      if (ocidig_layout_list_each(layout, &opts, ls_text_image, &x, &l2, &e2) != OCIDIG_OK) {
        status = cli_fail(&e2);
        goto out;
      }
      ocidig_listing_free(l2);
    }
    print_footer(l);
    for (size_t i = 0; i < l->n_warnings; i++)
      cli_warn("%s", cli_text(l->warnings[i]));
  }
  status = 0;
  if (l->n_errors) {
    status = EXIT_INTEGRITY;
  } else if (matcher) {
    if (x.outcome_status)
      status = x.outcome_status;
    if (!status && !x.any_selected)
      status = EXIT_NO_MATCH;
  }
out:
  ocidig_listing_free(l);
  ocidig_layout_close(layout);
  ocidig_matcher_free(matcher);
  cli_text_free();
  return status;
}
