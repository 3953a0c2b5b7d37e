/* cmd_diff.c: ocidig diff: what differs between two images (config, layers, files). */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
  cli_puts(
          "Usage: ocidig diff [--platform SPEC] [--strict] [--ref NAME] [--ref-a NAME] [--ref-b NAME]\n"
          "                   [--no-files] [--json] A B\n"
          "\n"
          "Show what differs between the image A resolves to and the image B resolves to\n"
          "(each resolved as 'ocidig resolve' would; A and B are any sources: layout\n"
          "directories, archives, docker save archives, containers/image dir: folders, or -\n"
          "for one of them on standard input): the config (platform, user, working dir,\n"
          "entrypoint, cmd, stop signal), env (by name), labels, exposed ports, volumes, the\n"
          "history (by step: what made it), the layers (by digest: those only in A, those\n"
          "only in B, and how many both share), and the files of the merged trees (added,\n"
          "removed, changed: type, mode, owner, size, link target, content digest).  When\n"
          "the images were built is not a difference: created, history timestamps and file\n"
          "modification times differ between any two builds.\n"
          "\n"
          "Lines begin with + (only in B), - (only in A) or ~ (changed: A's value -> B's).\n"
          "Equal images print nothing.\n"
          "\n"
          "Options:\n"
          "  -p, --platform SPEC  the platform to resolve both for (default: this host)\n"
          "  -s, --strict         no platform fallbacks (containerd OnlyStrict)\n"
          "  -r, --ref NAME       the index.json entry (or RepoTag) of both; @DIGEST picks by digest\n"
          "      --ref-a NAME     the entry of A only\n"
          "      --ref-b NAME     the entry of B only\n"
          "      --no-files       compare config and layers only (no layer is read)\n"
          "  -j, --json           one JSON object (README: diff)\n"
          CLI_MAX_BYTES_HELP
          "  -h, --help           this help\n"
          "\n"
          "Examples:\n"
          "  ocidig diff build-1.tar build-2.tar\n"
          "  ocidig diff --platform linux/arm64 --ref-a app:1.0 --ref-b app:1.1 store/ store/\n"
          "\n"
          "Exit status (as diff(1)): 0 the images are the same, 1 they differ, 2 usage error\n"
          "or no manifest of A or B matches the platform, 3 input unreadable as a layout, 4\n"
          "integrity or content error, 5 the output could not be written.\n");
}

typedef struct side {
  const char *source;
  const char *ref;
  ocidig_layout *layout;
  ocidig_resolution *r;
  ocidig_image *img;
  ocidig_files *files;
} side;

typedef struct out_state {
  bool json;
  const char *section; /* the last section printed (text) */
  json_object *list;   /* JSON: the differences */
  size_t shared;
} out_state;

static ocidig_code fail(ocidig_error *err, ocidig_code code, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
static ocidig_code fail(ocidig_error *err, ocidig_code code, const char *fmt, ...)
{
  va_list ap;
  err->code = code;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

static const char *mark(ocidig_diff_change c)
{
  return c == OCIDIG_DIFF_ADDED ? "+" : c == OCIDIG_DIFF_REMOVED ? "-" : "~";
}

static ocidig_code on_diff(void *ctx, const ocidig_diff_entry *e, ocidig_error *err)
{
  out_state *o = ctx;
  if (o->json) {
    json_object *d = json_object_new_object();
    if (!d)
      return fail(err, OCIDIG_ERR_NOMEM, "out of memory");
    json_object_object_add(d, "section", json_object_new_string(e->section));
    json_object_object_add(d, "key", json_object_new_string(e->key));
    json_object_object_add(d, "change", json_object_new_string(ocidig_diff_change_name(e->change)));
    json_object_object_add(d, "a", e->a ? json_object_new_string(e->a) : NULL);
    json_object_object_add(d, "b", e->b ? json_object_new_string(e->b) : NULL);
    json_object_array_add(o->list, d);
    return OCIDIG_OK;
  }
  if (!o->section || strcmp(o->section, e->section)) {
    o->section = e->section;
    cli_printf("%s\n", e->section);
  }
  cli_printf("  %s %s", mark(e->change), cli_text(e->key));
  if (e->change == OCIDIG_DIFF_CHANGED)
    cli_printf(": %s -> %s", e->a ? cli_text(e->a) : "-", e->b ? cli_text(e->b) : "-");
  else if (e->change == OCIDIG_DIFF_ADDED && e->b)
    cli_printf(": %s", cli_text(e->b));
  else if (e->change == OCIDIG_DIFF_REMOVED && e->a)
    cli_printf(": %s", cli_text(e->a));
  cli_putc('\n');
  (void)err; /* a failed write is remembered: cli_finish says so (exit 5) */
  return OCIDIG_OK;
}

/* Opens, resolves and loads one side.  0, or the exit status after saying why. */
static int load(side *s, const ocidig_matcher *m, uint64_t max_bytes, bool files, const char *label,
                ocidig_error *err)
{
  ocidig_open_options oo = {.max_bytes = max_bytes};
  ocidig_resolve_options ro = {.matcher = m, .host = cli_host(), .ref = s->ref};
  if (ocidig_layout_open(s->source, &oo, &s->layout, err) != OCIDIG_OK)
    return -1;
  if (ocidig_layout_resolve(s->layout, &ro, &s->r, err) != OCIDIG_OK && !s->r)
    return -1;
  if (s->r->outcome == OCIDIG_OUTCOME_NO_MATCH) {
    char *req = ocidig_platform_format(ocidig_matcher_request(m));
    fail(err, OCIDIG_ERR_USAGE, "%s (%s): no manifest matches %s (run 'ocidig resolve' to see why each was skipped)",
                     label, s->source, req ? req : "the platform");
    free(req);
    return EXIT_USAGE;
  }
  if (s->r->outcome != OCIDIG_OUTCOME_SELECTED) {
    *err = s->r->error;
    return -1;
  }
  if (ocidig_image_load(s->layout, s->r, &s->img, err) != OCIDIG_OK)
    return -1;
  if (files && ocidig_files_load(s->layout, s->r, &(ocidig_files_options){.digests = true}, &s->files, err) != OCIDIG_OK)
    return -1;
  return 0;
}

static void side_free(side *s)
{
  ocidig_files_free(s->files);
  ocidig_image_free(s->img);
  ocidig_resolution_free(s->r);
  ocidig_layout_close(s->layout);
}

static json_object *side_json(const side *s)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "source", json_object_new_string(s->source));
  json_object_object_add(o, "ref", s->ref ? json_object_new_string(s->ref) : NULL);
  if (s->img) {
    const char *d = s->img->registry_manifest ? s->img->manifest.digest_string : NULL;
    json_object_object_add(o, "manifest", d ? json_object_new_string(d) : NULL);
    json_object_object_add(o, "imageId", s->img->image_id ? json_object_new_string(s->img->image_id) : NULL);
  }
  return o;
}

int cmd_diff(int argc, char **argv)
{
  static const struct option longopts[] = {
    {"platform", required_argument, NULL, 'p'}, {"strict", no_argument, NULL, 's'},
    {"ref", required_argument, NULL, 'r'},      {"ref-a", required_argument, NULL, 'A'},
    {"ref-b", required_argument, NULL, 'B'},    {"no-files", no_argument, NULL, 'F'},
    {"json", no_argument, NULL, 'j'},           {"max-bytes", required_argument, NULL, 'M'},
    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
  };
  const char *platform = NULL, *ref = NULL, *ref_a = NULL, *ref_b = NULL;
  bool strict = false, json = false, files = true;
  uint64_t max_bytes = 0;
  ocidig_matcher *m = NULL;
  side a = {0}, b = {0};
  ocidig_error err = {0};
  out_state o = {0};
  ocidig_diff_counts ic = {0}, fc = {0};
  int c, status;
  optind = 1;
  while ((c = getopt_long(argc, argv, "p:sr:jh", longopts, NULL)) != -1) {
    switch (c) {
    case 'p': platform = optarg; break;
    case 's': strict = true; break;
    case 'r': ref = optarg; break;
    case 'A': ref_a = optarg; break;
    case 'B': ref_b = optarg; break;
    case 'F': files = false; break;
    case 'j': json = true; break;
    case 'M':
      if ((status = cli_max_bytes("diff", optarg, &max_bytes)) != 0)
        return status;
      break;
    case 'h': help(); return 0;
    default: return cli_usage("diff", "bad option");
    }
  }
  if (argc - optind != 2)
    return cli_usage("diff", "two sources, A and B, are needed");
  a.source = argv[optind];
  b.source = argv[optind + 1];
  if (!strcmp(a.source, "-") && !strcmp(b.source, "-"))
    return cli_usage("diff", "standard input can be only one of A and B");
  a.ref = ref_a ? ref_a : ref;
  b.ref = ref_b ? ref_b : ref;
  if ((a.ref && !*a.ref) || (b.ref && !*b.ref))
    return cli_usage("diff", "a ref needs a name or @DIGEST");
  if ((status = cli_matcher(platform, strict, &m)) != 0)
    return status;

  o.json = json;
  if ((status = load(&a, m, max_bytes, files, "A", &err)) == 0 && (status = load(&b, m, max_bytes, files, "B", &err)) == 0) {
    if (json && !(o.list = json_object_new_array()))
      fail(&err, OCIDIG_ERR_NOMEM, "out of memory");
    if (ocidig_image_diff(a.img, b.img, on_diff, &o, &ic, &err) != OCIDIG_OK ||
        (files && ocidig_files_diff(a.files, b.files, on_diff, &o, &fc, &err) != OCIDIG_OK))
      status = -1;
  }
  if (status == 0) {
    size_t n = ic.differences + fc.differences;
    status = n ? 1 : 0;
    if (json) {
      json_object *root = json_object_new_object();
      json_object_object_add(root, "a", side_json(&a));
      json_object_object_add(root, "b", side_json(&b));
      json_object_object_add(root, "equal", json_object_new_boolean(n == 0));
      json_object_object_add(root, "filesCompared", json_object_new_boolean(files));
      json_object_object_add(root, "layersShared", json_object_new_int64((int64_t)ic.layers_shared));
      json_object_object_add(root, "differences", o.list);
      o.list = NULL;
      cli_put_json_object(root);
      json_object_put(root);
    } else if (n) {
      cli_printf("(%zu difference%s; %zu layer%s shared)\n", n, n == 1 ? "" : "s", ic.layers_shared,
                 ic.layers_shared == 1 ? "" : "s");
    }
  } else {
    if (status < 0) {
      status = ocidig_code_exit_status(err.code);
      if (!status)
        status = EXIT_UNREADABLE;
    }
    if (json) {
      json_object *root = json_object_new_object(), *e = json_object_new_object();
      json_object_object_add(root, "a", side_json(&a));
      json_object_object_add(root, "b", side_json(&b));
      json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(err.code)));
      json_object_object_add(e, "message", json_object_new_string(err.message));
      json_object_object_add(root, "error", e);
      cli_put_json_object(root);
      json_object_put(root);
    } else if (err.code != OCIDIG_ERR_OUTPUT) {
      cli_error("%s (%s)", cli_text(err.message), ocidig_code_name(err.code));
    }
  }
  json_object_put(o.list);
  side_free(&a);
  side_free(&b);
  ocidig_matcher_free(m);
  cli_text_free();
  return status;
}
