/* cmd_resolve.c: ocidig resolve: pick the manifest for a platform and explain the walk. */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
  cli_puts(
          "Usage: ocidig resolve [--platform SPEC] [--strict] [--ref NAME|@DIGEST] [--json | -q] SOURCE\n"
          "\n"
          "Walk index.json and any nested indexes the way containerd does, pick the manifest\n"
          "for a platform, and give every descriptor met on the way a verdict and a reason.\n"
          "Where containerd stops at the first candidate, ocidig goes on to the next one.\n"
          "\n"
          "SOURCE is a layout directory, an archive of one (tar, tar.gz, tar.zst, tar.xz,\n"
          "zip, ...), or - for an archive on standard input.\n"
          "\n"
          "Options:\n"
          "  -p, --platform SPEC  the platform to resolve for (default: this host), e.g.\n"
          "                       linux/arm64, linux/arm/v7, windows(10.0.20348)/amd64\n"
          "  -s, --strict         no fallbacks (containerd OnlyStrict): arm64 never takes arm/v7\n"
          "  -r, --ref NAME       start from the index.json entry with this ref name (or a tag\n"
          "                       of it); --ref @DIGEST starts from the entry with that digest\n"
          "                       (or a unique prefix of it: 12 or more hex digits)\n"
          "  -j, --json           print the JSON report (one object, whatever the outcome)\n"
          "  -q, --quiet          print only the selected manifest digest (for a docker save\n"
          "                       archive without index.json: the image ID)\n"
          CLI_MAX_BYTES_HELP
          "  -h, --help           this help\n"
          "\n"
          "Examples:\n"
          "  ocidig resolve --platform linux/arm64 image.tar\n"
          "  ocidig resolve --json --platform linux/amd64 oci-dir/ | jq .selected.digest\n"
          "  digest=$(ocidig resolve -q --platform linux/arm64 img.tar)\n"
          "  docker save alpine | ocidig resolve --ref alpine:latest -\n"
          "\n"
          "Exit status: 0 selected, 1 no manifest matches, 2 usage error (bad option,\n"
          "platform or --ref), 3 input unreadable as a layout, 4 integrity or content error,\n"
          "5 the output could not be written.\n");
}

static char *row_platform(const ocidig_descriptor *d)
{
  if (!d->has_platform)
    return strdup("-");
  if (!d->platform_keys || (!d->platform.os && !d->platform.architecture))
    return strdup("{}");
  return ocidig_platform_format(&d->platform);
}

static const char *verdict_color(ocidig_verdict v)
{
  switch (v) {
  case OCIDIG_VERDICT_SELECTED:
    return CLI_GREEN;
  case OCIDIG_VERDICT_ERROR:
    return CLI_RED;
  case OCIDIG_VERDICT_NOT_REACHED:
    return CLI_DIM;
  default:
    return CLI_YELLOW;
  }
}

static void print_text(const ocidig_resolution *r, const char *source)
{
  bool color = cli_color();
  const char *b = color ? CLI_BOLD : "", *z = color ? CLI_RESET : "";
  cli_printf("%s%s%s: resolving for %s%s\n", b, cli_text(source), z,
         r->request && *r->request ? cli_text(r->request) : "(any platform)", r->strict ? " (strict)" : "");
  /* A docker save archive without index.json: the rows are its images, known by image ID. */
  if (ocidig_resolution_is_docker_archive(r))
    cli_printf("manifest.json (a docker save archive: no registry manifest; images are known by image ID)\n");
  else
    cli_printf("%s\n", cli_text(r->root ? r->root : "index.json"));
  {
    /* Column widths from the rows themselves, so that deep trees stay aligned. */
    int wd = 0, wm = 0, wp = 0;
    for (size_t i = 0; i < r->n_rows; i++) {
      const ocidig_row *row = &r->rows[i];
      char sd[64];
      char *plat = row_platform(&row->desc);
      int indent = (int)(row->depth > 0 ? row->depth : 1) * 2;
      cli_short_digest(row->desc.digest_string, 0, sd, sizeof sd);
      cli_width_fit(&wd, cli_clean(sd), indent);
      cli_width_fit(&wm, cli_clean(ocidig_media_type_short(row->desc.media_type)), 0);
      if (plat)
        cli_width_fit(&wp, cli_clean(plat), 0);
      free(plat);
    }
    for (size_t i = 0; i < r->n_rows; i++) {
      const ocidig_row *row = &r->rows[i];
      char sd[64];
      char *plat = row_platform(&row->desc);
      int indent = (int)(row->depth > 0 ? row->depth : 1) * 2;
      cli_short_digest(row->desc.digest_string, 0, sd, sizeof sd);
      cli_printf("%*s%-*s  %-*s  %-*s  %s%-24s%s %s\n", indent, "", wd - indent, cli_clean(sd), wm,
             cli_clean(ocidig_media_type_short(row->desc.media_type)), wp, cli_clean(plat ? plat : "?"),
             color ? verdict_color(row->verdict) : "", ocidig_verdict_name(row->verdict), color ? CLI_RESET : "",
             cli_clean(row->reason));
      free(plat);
    }
  }
  cli_printf("\n");
  if (r->outcome == OCIDIG_OUTCOME_SELECTED && ocidig_resolution_is_docker_archive(r)) {
    char size[32];
    char *plat = r->selected_has_platform ? ocidig_platform_format(&r->selected_platform) : NULL;
    cli_printf("%sselected%s   image ID %s\n", color ? CLI_GREEN CLI_BOLD : "", z, cli_clean(r->selected.digest_string));
    cli_printf("  manifest    none: a docker save archive carries no registry manifest; the image ID is\n"
           "              the digest of the image's config\n");
    cli_printf("  platform    %s\n", plat ? cli_clean(plat) : "(unknown)");
    cli_human_size(r->layers_size, size, sizeof size);
    cli_printf("  layers      %zu, %s (uncompressed, as docker save stores them)\n", r->n_layers, size);
    free(plat);
  } else if (r->outcome == OCIDIG_OUTCOME_SELECTED) {
    char size[32];
    char *plat = r->selected_has_platform ? ocidig_platform_format(&r->selected_platform) : NULL;
    cli_printf("%sselected%s   %s\n", color ? CLI_GREEN CLI_BOLD : "", z, cli_clean(r->selected.digest_string));
    cli_printf("  media type  %s\n", cli_clean(r->selected.media_type));
    if (plat)
      cli_printf("  platform    %s (from the %s)\n", cli_clean(plat),
             r->platform_source ? cli_clean(r->platform_source) : "descriptor");
    else
      cli_printf("  platform    (none)\n");
    cli_printf("  path        %s", cli_text(r->root ? r->root : "index.json"));
    for (size_t i = 0; i < r->n_path; i++) {
      char sd[64];
      cli_short_digest(r->path[i], 0, sd, sizeof sd);
      cli_printf(" > %s", cli_clean(sd));
    }
    cli_printf("\n");
    if (r->manifest_read) {
      cli_printf("  config      %s\n", r->config.digest_string ? cli_clean(r->config.digest_string) : "(none)");
      cli_human_size(r->layers_size, size, sizeof size);
      cli_printf("  layers      %zu, %s compressed\n", r->n_layers, size);
    }
    free(plat);
  } else if (r->outcome == OCIDIG_OUTCOME_NO_MATCH) {
    cli_printf("%sno match%s   no manifest in %s matches %s\n", color ? CLI_YELLOW CLI_BOLD : "", z, cli_text(source),
           r->request && *r->request ? cli_text(r->request) : "(any platform)");
  } else {
    cli_printf("%serror%s      %s (%s)\n", color ? CLI_RED CLI_BOLD : "", z, cli_clean(r->error.message),
           ocidig_code_name(r->error.code));
  }
}

int cmd_resolve(int argc, char **argv)
{
  enum { OPT_MAX_BYTES = 256 };
  static const struct option longopts[] = {
    {"platform", required_argument, NULL, 'p'},
    {"strict", no_argument, NULL, 's'},
    {"ref", required_argument, NULL, 'r'},
    {"json", no_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *platform = NULL, *ref = NULL, *source;
  bool strict = false, json = false, quiet = false;
  ocidig_matcher *matcher = NULL;
  ocidig_layout *layout = NULL;
  ocidig_resolution *r = NULL;
  ocidig_error err = {0};
  ocidig_code rc;
  int c, status;
  cli_progress prog = {.what = "reading"};
  ocidig_open_options open_opts = {.progress = cli_progress_cb, .progress_ctx = &prog};

  optind = 1;
  while ((c = getopt_long(argc, argv, "p:sr:jqh", longopts, NULL)) != -1) {
    switch (c) {
    case 'p': platform = optarg; break;
    case 's': strict = true; break;
    case 'r': ref = optarg; break;
    case 'j': json = true; break;
    case 'q': quiet = true; break;
    case 'h': help(); return 0;
    case OPT_MAX_BYTES:
      if ((status = cli_max_bytes("resolve", optarg, &open_opts.max_bytes)) != 0)
        return status;
      break;
    default: return cli_usage("resolve", "bad option");
    }
  }
  if (json && quiet)
    return cli_usage("resolve", "--json and -q do not go together");
  if (optind + 1 != argc)
    return cli_usage("resolve", optind == argc ? "no SOURCE given" : "one SOURCE only");
  source = argv[optind];
  if (ref && !*ref)
    return cli_usage("resolve", "--ref needs a name or @DIGEST");

  if ((status = cli_matcher(platform, strict, &matcher)) != 0)
    return status;

  rc = ocidig_layout_open(source, &open_opts, &layout, &err);
  if (rc == OCIDIG_OK) {
    ocidig_resolve_options opts = {.matcher = matcher, .host = cli_host(), .ref = ref};
    rc = ocidig_resolve(layout, &opts, &r, &err);
  } else {
    /* Still one report: the request, the error, no rows. */
    r = calloc(1, sizeof *r);
    if (r) {
      r->outcome = OCIDIG_OUTCOME_ERROR;
      r->error = err;
      r->request = ocidig_platform_format(ocidig_matcher_request(matcher));
    }
  }
  cli_progress_end(&prog);
  if (!r) {
    cli_error("out of memory");
    status = EXIT_UNREADABLE;
    goto out;
  }
  r->strict = strict;

  if (json) {
    /* Written as it is made: the rows of 100,000 images are never one text in memory. */
    ocidig_json_options jo = {.pretty = true};
    cli_json_stream st = {0};
    ocidig_error jerr;
    ocidig_code jrc = ocidig_resolution_write_json(r, &jo, cli_json_sink, &st, &jerr);
    cli_json_end(&st);
    if (jrc != OCIDIG_OK && jrc != OCIDIG_ERR_OUTPUT) {
      status = cli_fail(&jerr);
      goto out;
    }
  } else if (quiet) {
    if (r->outcome == OCIDIG_OUTCOME_SELECTED)
      cli_printf("%s\n", cli_clean(r->selected.digest_string));
  } else {
    print_text(r, source);
  }
  if (!json) {
    for (size_t i = 0; i < r->n_warnings; i++)
      cli_warn("%s", cli_clean(r->warnings[i]));
    if (r->outcome == OCIDIG_OUTCOME_ERROR)
      cli_error("%s (%s)", cli_clean(r->error.message), ocidig_code_name(r->error.code));
  }
  if (r->outcome == OCIDIG_OUTCOME_SELECTED)
    status = EXIT_SELECTED;
  else if (r->outcome == OCIDIG_OUTCOME_NO_MATCH)
    status = EXIT_NO_MATCH;
  else
    status = ocidig_code_exit_status(r->error.code);
out:
  ocidig_resolution_free(r);
  ocidig_layout_close(layout);
  ocidig_matcher_free(matcher);
  cli_text_free();
  return status;
}
