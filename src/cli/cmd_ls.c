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
          CLI_MAX_BYTES_HELP
          "  -h, --help           this help\n"
          "\n"
          "Examples:\n"
          "  ocidig ls image.tar\n"
          "  ocidig ls --platform linux/arm64 oci-dir/\n"
          "  ocidig ls --json bundle.tar.zst | jq '.images[] | select(.complete | not) | .name'\n"
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
  else if (r->n_missing)
    snprintf(buf, len, "%zu of %zu blobs missing", r->n_missing, r->n_blobs);
  else
    buf[0] = '\0';
  return buf;
}

static void print_table(cell_row *rows, size_t n, const char *const *head, bool color)
{
  cli_table t = {.n_cols = 6, .right = 1u << 4, .last_free = true};
  for (int k = 0; k < 5; k++)
    cli_table_width(&t, k, head[k]);
  for (size_t i = 0; i < n; i++) {
    const char *cells[5] = {rows[i].image, rows[i].platform, rows[i].digest, rows[i].complete, rows[i].size};
    for (int k = 0; k < 5; k++)
      cli_table_width(&t, k, cells[k]);
  }
  cli_table_row(&t, head, NULL, color ? CLI_BOLD : "");
  for (size_t i = 0; i < n; i++) {
    const cell_row *r = &rows[i];
    const char *cells[6] = {r->image, r->platform, r->digest, r->complete, r->size, r->note};
    const char *colors[6] = {NULL, NULL, NULL, r->color, NULL, NULL};
    cli_table_row(&t, cells, colors, NULL);
  }
}

static void print_text(const ocidig_listing *l, const char *source)
{
  bool color = cli_color();
  bool docker = l->format == OCIDIG_FORMAT_DOCKER_ARCHIVE;
  const char *b = color ? CLI_BOLD : "", *z = color ? CLI_RESET : "";
  size_t total = 0, n_att = 0, n_plat = 0, cap;
  cell_row *rows, *att;
  char **notes; /* owned strings for the notes, sizes and names */
  size_t n_rows = 0, n_atts = 0, n_notes = 0;
  char buf[1200];
  const char *head[6] = {"IMAGE", l->request ? "RESOLVES TO" : "PLATFORM", docker ? "IMAGE ID" : "MANIFEST",
                         "COMPLETE", "SIZE", ""};
  const char *ahead[6] = {"IMAGE", "ATTESTS", "MANIFEST", "COMPLETE", "SIZE", ""};

  for (size_t i = 0; i < l->n_images; i++)
    total += l->images[i].n_rows + 1;
  cap = total ? total : 1;
  rows = calloc(cap, sizeof *rows);
  att = calloc(cap, sizeof *att);
  notes = calloc(cap * 6, sizeof *notes);
  if (!rows || !att || !notes) {
    free(rows);
    free(att);
    free(notes);
    cli_error("out of memory");
    return;
  }
#define KEEP(s) (notes[n_notes] = strdup(s), notes[n_notes] ? notes[n_notes++] : "?")
  for (size_t i = 0; i < l->n_images; i++) {
    const ocidig_list_image *img = &l->images[i];
    const char *name = KEEP(img->n_names ? cli_text(img->name) : short_digest(img->digest));
    bool first = true, first_att = true, shown = false;
    for (size_t k = 0; k < img->n_rows; k++) {
      const ocidig_list_row *r = &img->rows[k];
      cell_row *c;
      char size[32];
      if (r->attestation_of) {
        n_att++;
        if (l->request)
          continue;
        c = &att[n_atts++];
        c->image = first_att ? name : "";
        first_att = false;
        c->platform = KEEP(short_digest(r->attestation_of));
      } else {
        n_plat++;
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
  cli_printf("%s%s%s: %s, %zu image%s, %zu platform%s%s\n", b, strcmp(source, "-") ? cli_text(source) : "standard input", z, ocidig_layout_format_name(l->format),
         l->n_images, l->n_images == 1 ? "" : "s", n_plat, n_plat == 1 ? "" : "s",
         docker ? " (docker save: no registry manifests; images are known by image ID)" : "");
  print_table(rows, n_rows, head, color);
  if (n_atts) {
    cli_printf("\n%sattestations%s (buildx)\n", b, z);
    print_table(att, n_atts, ahead, color);
  } else if (n_att && l->request) {
    cli_printf("\n(%zu attestation manifest%s not shown with --platform)\n", n_att, n_att == 1 ? "" : "s");
  }
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
    cli_printf("\n");
  }
  for (size_t i = 0; i < n_notes; i++)
    free(notes[i]);
  free(notes);
  free(rows);
  free(att);
}

int cmd_ls(int argc, char **argv)
{
  enum { OPT_MAX_BYTES = 256 };
  static const struct option longopts[] = {
    {"platform", required_argument, NULL, 'p'},
    {"strict", no_argument, NULL, 's'},
    {"json", no_argument, NULL, 'j'},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *platform = NULL, *source;
  bool strict = false, json = false;
  ocidig_matcher *matcher = NULL;
  ocidig_layout *layout = NULL;
  ocidig_listing *l = NULL;
  ocidig_error err = {0};
  int c, status;
  cli_progress prog = {.what = "reading"};
  ocidig_open_options open_opts = {.progress = cli_progress_cb, .progress_ctx = &prog};

  optind = 1;
  while ((c = getopt_long(argc, argv, "p:sjh", longopts, NULL)) != -1) {
    switch (c) {
    case 'p': platform = optarg; break;
    case 's': strict = true; break;
    case 'j': json = true; break;
    case 'h': help(); return 0;
    case OPT_MAX_BYTES:
      if ((status = cli_max_bytes("ls", optarg, &open_opts.max_bytes)) != 0)
        return status;
      break;
    default: return cli_usage("ls", "bad option");
    }
  }
  if (optind + 1 != argc)
    return cli_usage("ls", optind == argc ? "no SOURCE given" : "one SOURCE only");
  source = argv[optind];
  if (strict && !platform)
    return cli_usage("ls", "--strict goes with --platform");
  if (platform && (status = cli_matcher(platform, strict, &matcher)) != 0)
    return status;

  if (ocidig_layout_open(source, &open_opts, &layout, &err) == OCIDIG_OK) {
    ocidig_list_options opts = {.matcher = matcher, .host = cli_host()};
    ocidig_list(layout, &opts, &l, &err);
  }
  cli_progress_end(&prog);
  if (!l) {
    status = ocidig_code_exit_status(err.code);
    if (json) {
      json_object *root = json_object_new_object(), *e = json_object_new_object();
      json_object_object_add(root, "schemaVersion", json_object_new_int(1));
      json_object_object_add(root, "source", json_object_new_string(source));
      json_object_object_add(root, "images", NULL);
      json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(err.code)));
      json_object_object_add(e, "message", json_object_new_string(err.message));
      json_object_object_add(root, "error", e);
      cli_put_json_object(root);
      json_object_put(root);
    } else {
      cli_error("%s (%s)", cli_text(err.message), ocidig_code_name(err.code));
    }
    goto out;
  }
  if (json) {
    /* Written as it is made (the JSON of 100,000 images is never whole in memory). */
    char *src_text = cli_json_quote(source);
    ocidig_json_member head[] = {{"schemaVersion", "1"}, {"source", src_text}};
    ocidig_json_member tail[] = {{"strict", strict ? "true" : "false"}};
    ocidig_json_options jo = {.pretty = true, .head = head, .n_head = 2, .tail = tail, .n_tail = 1};
    cli_json_stream st = {0};
    ocidig_error jerr;
    ocidig_code jrc = src_text ? ocidig_listing_write_json(l, &jo, cli_json_sink, &st, &jerr) : OCIDIG_ERR_NOMEM;
    free(src_text);
    cli_json_end(&st);
    if (jrc != OCIDIG_OK && jrc != OCIDIG_ERR_OUTPUT) {
      status = cli_fail(&jerr);
      goto out;
    }
  } else {
    print_text(l, source);
    for (size_t i = 0; i < l->n_warnings; i++)
      cli_warn("%s", cli_text(l->warnings[i]));
  }
  status = 0;
  if (l->n_errors) {
    status = EXIT_INTEGRITY;
  } else if (matcher) {
    bool any = false;
    for (size_t i = 0; i < l->n_images; i++) {
      any = any || l->images[i].outcome == OCIDIG_OUTCOME_SELECTED;
      if (l->images[i].outcome == OCIDIG_OUTCOME_ERROR)
        status = ocidig_code_exit_status(l->images[i].code);
    }
    if (!status && !any)
      status = EXIT_NO_MATCH;
  }
out:
  ocidig_listing_free(l);
  ocidig_layout_close(layout);
  ocidig_matcher_free(matcher);
  cli_text_free();
  return status;
}
