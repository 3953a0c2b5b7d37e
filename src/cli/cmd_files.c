/* cmd_files.c: ocidig files: the merged file tree of the resolved image (and, for cmd_cat's
 * --file, the tree loaded the same way: cli_files_load). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void help(void)
{
  cli_puts("Usage: ocidig files [--platform SPEC] [--strict] [--ref NAME|@DIGEST] [--layer N] [--json]\n"
           "                    SOURCE [PATH...]\n"
           "\n"
           "List the merged root filesystem of the image that 'ocidig resolve' selects: its\n"
           "layers applied in order (whiteouts and opaque directories honoured, as the OCI\n"
           "image spec's layer.md says), each entry with its type, mode, owner, size, mtime\n"
           "(UTC), link target and the layer (0: the bottom one) that last set it.  Layers are\n"
           "read as streams, never extracted; each blob's digest is checked.\n"
           "\n"
           "A summary follows: entries by type, bytes in files, and the wasted space: bytes of\n"
           "files that a later layer overwrote or removed (still shipped in the image).\n"
           "\n"
           "PATH (\"/usr/bin\" or \"usr/bin\") lists that entry and what is beneath it; no\n"
           "symbolic link is followed.\n"
           "\n"
           "Options:\n"
           "  -p, --platform SPEC  the platform to resolve (default: this host)\n"
           "  -s, --strict         no platform fallbacks (containerd OnlyStrict)\n"
           "  -r, --ref NAME       the index.json entry (or docker save RepoTag) to resolve from;\n"
           "                       @DIGEST picks by digest\n"
           "  -l, --layer N        only layer N's own entries, each marked A (added: not in the\n"
           "                       layers below), M (modified: replaces one of theirs) or D\n"
           "                       (deleted by a whiteout or an opaque directory of layer N)\n"
           "  -j, --json           one JSON document (README: \"ocidig files --json\")\n" CLI_MAX_BYTES_HELP
           "  -h, --help           this help\n"
           "\n"
           "Examples:\n"
           "  ocidig files image.tar\n"
           "  ocidig files --platform linux/arm64 oci-dir/ /etc\n"
           "  ocidig files --layer 2 docker-save.tar\n"
           "  ocidig cat --file /etc/os-release image.tar\n"
           "\n"
           "Exit status: 0 listed, 1 no manifest matches the platform, 2 usage error (a PATH not\n"
           "in the tree: the others are still listed), 3 input unreadable as a layout (or a layer\n"
           "missing, corrupt or not matching its digest, 5 standard output could not be written.\n");
}

int cli_files_load(ocidig_layout *layout, const ocidig_matcher *m, const char *ref,
                   const ocidig_files_options *fopts, bool quiet_warnings, ocidig_files **out)
{
  ocidig_resolve_options opts = {.matcher = m, .host = cli_host(), .ref = ref};
  ocidig_resolution *r = NULL;
  ocidig_error err = {0};
  int status = 0;
  *out = NULL;
  ocidig_layout_resolve(layout, &opts, &r, &err);
  if (!r) {
    cli_error("out of memory");
    return EXIT_UNREADABLE;
  }
  if (!quiet_warnings)
    for (size_t i = 0; i < r->n_warnings; i++)
      if (!ocidig_resolution_is_docker_archive(r) || i > 0) /* [0]: no registry manifest */
        cli_warn("%s", r->warnings[i]);
  if (r->outcome == OCIDIG_OUTCOME_ERROR) {
    status = cli_fail(&r->error);
  } else if (r->outcome == OCIDIG_OUTCOME_NO_MATCH) {
    char *req = ocidig_platform_format(ocidig_matcher_request(m));
    cli_error("no manifest matches %s (run 'ocidig resolve' to see why each was skipped)", req ? req : "?");
    free(req);
    status = EXIT_NO_MATCH;
  } else if (!r->manifest_read) {
    cli_error("the manifest %s could not be read", r->selected.digest_string);
    status = EXIT_INTEGRITY;
  } else if (ocidig_files_load(layout, r, fopts, out, &err) != OCIDIG_OK) {
    status = cli_fail(&err);
  }
  ocidig_resolution_free(r);
  return status;
}

/* "drwxr-xr-x" */
static void mode_string(char type, uint32_t mode, char out[11])
{
  static const char *rwx = "rwxrwxrwx";
  out[0] = type == 'f' ? '-' : type == '?' ? '?' : type;
  for (int i = 0; i < 9; i++)
    out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
  if (mode & 04000)
    out[3] = (mode & 0100) ? 's' : 'S';
  if (mode & 02000)
    out[6] = (mode & 0010) ? 's' : 'S';
  if (mode & 01000)
    out[9] = (mode & 0001) ? 't' : 'T';
  out[10] = '\0';
}

typedef struct text_ctx {
  bool one_layer;
  size_t added, modified, deleted;
} text_ctx;

static ocidig_code print_entry(void *ctx, const ocidig_file *f, ocidig_error *err)
{
  text_ctx *t = ctx;
  char mode[11], owner[48], size[32], when[32];
  time_t tt = (time_t)f->mtime;
  struct tm tm;
  (void)err;
  mode_string(f->type, f->mode, mode);
  snprintf(owner, sizeof owner, "%lld:%lld", (long long)f->uid, (long long)f->gid);
  if (f->type == 'c' || f->type == 'b')
    snprintf(size, sizeof size, "%u,%u", f->devmajor, f->devminor);
  else
    snprintf(size, sizeof size, "%lld", (long long)f->size);
  if (gmtime_r(&tt, &tm))
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
  else
    snprintf(when, sizeof when, "%lld", (long long)f->mtime);
  if (t->one_layer) {
    char c = f->change && *f->change ? (char)(f->change[0] - 'a' + 'A') : ' ';
    cli_printf("%c ", c);
    if (c == 'A')
      t->added++;
    else if (c == 'M')
      t->modified++;
    else if (c == 'D')
      t->deleted++;
  }
  cli_printf("%s  %-11s %10s  %s  %3u  /", mode, owner, size, when, f->layer);
  cli_put_escaped(f->path, true);
  if (f->type == 'l' || f->type == 'h') {
    cli_puts(f->type == 'l' ? " -> " : " link to /");
    cli_put_escaped(f->link ? f->link : "", true);
  }
  cli_putc('\n');
  return OCIDIG_OK; /* a failed write is remembered by output.c: cmd_files reports it (exit 5) */
}

/* A walk that stops at the first entry (with a code no walk returns otherwise). */
static ocidig_code stop_at_first(void *ctx, const ocidig_file *f, ocidig_error *err)
{
  (void)ctx;
  (void)f;
  (void)err;
  return OCIDIG_ERR_LIMIT;
}

static void print_summary(ocidig_files *f, const text_ctx *t)
{
  ocidig_files_summary s;
  ocidig_files_layer l;
  char bytes[32], wasted[32], mem[32];
  ocidig_files_summary_get(f, &s);
  cli_human_size((int64_t)s.file_bytes, bytes, sizeof bytes);
  cli_human_size((int64_t)s.wasted_bytes, wasted, sizeof wasted);
  cli_human_size((int64_t)s.tree_bytes, mem, sizeof mem);
  cli_printf("\n");
  if (s.one_layer && ocidig_files_layer_get(f, s.layer, &l))
    cli_printf("layer %u of %zu (%s): %zu added, %zu modified, %zu deleted\n", s.layer, s.layers, cli_clean(l.digest),
               t->added, t->modified, t->deleted);
  cli_printf("%s%zu entr%s: %zu file%s, %zu director%s, %zu symlink%s, %zu hard link%s, %zu other; %s in files; "
             "%zu layer%s\n",
             s.one_layer ? "tree up to that layer: " : "", s.entries, s.entries == 1 ? "y" : "ies", s.files,
             s.files == 1 ? "" : "s", s.dirs, s.dirs == 1 ? "y" : "ies", s.symlinks, s.symlinks == 1 ? "" : "s",
             s.hardlinks, s.hardlinks == 1 ? "" : "s", s.others, bytes, s.layers_read, s.layers_read == 1 ? "" : "s");
  cli_printf("wasted: %s in %zu file%s overwritten or removed by a later layer\n", wasted, s.wasted_files,
             s.wasted_files == 1 ? "" : "s");
  if (s.bad_names || s.skipped_parent)
    cli_printf("%zu absolute or \"..\" name%s cleaned as containerd cleans them; %zu entr%s skipped (parent not a "
               "directory inside the tree)\n",
               s.bad_names, s.bad_names == 1 ? "" : "s", s.skipped_parent, s.skipped_parent == 1 ? "y" : "ies");
  if (s.too_long || s.over_bound)
    cli_printf("%zu entr%s skipped (a name or link target of 4096 bytes or more: no unpacker makes it); %zu entr%s "
               "skipped (past the bound on implicit directories)\n",
               s.too_long, s.too_long == 1 ? "y" : "ies", s.over_bound, s.over_bound == 1 ? "y" : "ies");
  for (size_t i = 0; i < s.n_warnings; i++)
    cli_warn("%s", s.warnings[i]);
}

int cmd_files(int argc, char **argv)
{
  enum { OPT_MAX_BYTES = 256 };
  static const struct option longopts[] = {
    {"platform", required_argument, NULL, 'p'},
    {"strict", no_argument, NULL, 's'},
    {"ref", required_argument, NULL, 'r'},
    {"layer", required_argument, NULL, 'l'},
    {"json", no_argument, NULL, 'j'},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *platform = NULL, *ref = NULL, *source;
  bool strict = false, json = false;
  ocidig_files_options fopts = {0};
  ocidig_matcher *matcher = NULL;
  ocidig_layout *layout = NULL;
  ocidig_files *files = NULL;
  ocidig_open_options open_opts = {0};
  ocidig_layout_format format = OCIDIG_FORMAT_NONE;
  ocidig_error err;
  int c, status;

  optind = 1;
  while ((c = getopt_long(argc, argv, "p:sr:l:jh", longopts, NULL)) != -1) {
    switch (c) {
    case 'p': platform = optarg; break;
    case 's': strict = true; break;
    case 'r': ref = optarg; break;
    case 'j': json = true; break;
    case 'l': {
      char *end;
      unsigned long n;
      if (!*optarg || *optarg == '-' || *optarg == '+' || (n = strtoul(optarg, &end, 10), *end) || n > 1000000)
        return cli_usage("files", "--layer needs a layer number (0 is the bottom layer), not '%s'", optarg);
      fopts.one_layer = true;
      fopts.layer = (unsigned)n;
      break;
    }
    case 'h': help(); return 0;
    case OPT_MAX_BYTES:
      if ((status = cli_max_bytes("files", optarg, &open_opts.max_bytes)) != 0)
        return status;
      break;
    default: return cli_usage("files", "bad option");
    }
  }
  if (argc - optind < 1)
    return cli_usage("files", "SOURCE is needed");
  source = argv[optind];
  if (ref && !*ref)
    return cli_usage("files", "--ref needs a name or @DIGEST");
  if ((status = cli_matcher(platform, strict, &matcher)) != 0)
    return status;
  if (ocidig_layout_open(source, &open_opts, &layout, &err) != OCIDIG_OK) {
    status = cli_fail(&err);
  } else if (strcmp(source, "-") && (ocidig_layout_format_detect(layout, &format, &err) != OCIDIG_OK ||
                                     ((format == OCIDIG_FORMAT_OCI || format == OCIDIG_FORMAT_HYBRID) &&
                                      ocidig_layout_check_oci_layout(layout, NULL, &err) != OCIDIG_OK))) {
    status = cli_fail(&err);
  } else if ((status = cli_files_load(layout, matcher, ref, &fopts, false, &files)) == 0) {
    const char *const *paths = (const char *const *)argv + optind + 1;
    size_t n_paths = (size_t)(argc - optind - 1);
    if (json) {
      ocidig_json_options jo = {.pretty = true};
      cli_json_stream st = {0};
      ocidig_code jrc = ocidig_files_write_json(files, paths, n_paths, &jo, cli_json_sink, &st, &err);
      cli_json_end(&st);
      if (jrc != OCIDIG_OK && jrc != OCIDIG_ERR_OUTPUT)
        status = cli_fail(&err);
    } else {
      text_ctx t = {.one_layer = fopts.one_layer};
      ocidig_code rc = OCIDIG_OK;
      for (size_t i = 0; i < (n_paths ? n_paths : 1) && rc == OCIDIG_OK; i++)
        rc = ocidig_files_each(files, n_paths ? paths[i] : NULL, print_entry, &t, NULL, &err);
      if (rc == OCIDIG_OK)
        print_summary(files, &t);
      else if (rc != OCIDIG_ERR_OUTPUT)
        status = cli_fail(&err);
    }
    /* a PATH that names nothing in the tree: said after the listing of the others */
    for (size_t i = 0; i < n_paths && (status == 0 || status == EXIT_USAGE); i++) {
      bool matched = false;
      ocidig_code rc = ocidig_files_each(files, paths[i], stop_at_first, NULL, &matched, &err);
      if (rc != OCIDIG_OK && rc != OCIDIG_ERR_LIMIT) {
        status = cli_fail(&err);
      } else if (!matched) {
        cli_error("%s: not in the image's merged tree%s", paths[i], fopts.one_layer ? " (nor changed by that layer)" : "");
        status = EXIT_USAGE;
      }
    }
  }
  if (!cli_flush() && status == 0)
    status = cli_output_error();
  ocidig_files_free(files);
  ocidig_layout_close(layout);
  ocidig_matcher_free(matcher);
  return status;
}
