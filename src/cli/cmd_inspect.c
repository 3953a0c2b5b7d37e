/* cmd_inspect.c: ocidig inspect: resolve as `resolve` does, then show the image: names,
 * manifest, platform, config (entrypoint, env, labels, history), layers, attestations and
 * referrers. */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
  cli_puts(
          "Usage: ocidig inspect [--platform SPEC] [--strict] [--ref NAME|@DIGEST] [--json] SOURCE\n"
          "\n"
          "Resolve the image for a platform exactly as 'ocidig resolve' does, then show it:\n"
          "the names it goes by (ref names, io.containerd.image.name, Docker RepoTags), its\n"
          "manifest digest and media type, platform, created, author, entrypoint and cmd,\n"
          "env, working dir, user, exposed ports, volumes, labels, annotations, history\n"
          "(empty layers marked), its layers (digest, compression, size, diff_id) with\n"
          "their total compressed size, and what the layout holds about it: buildx\n"
          "attestation manifests and OCI 1.1 referrers.\n"
          "\n"
          "SOURCE is a layout directory, an archive of one, an archive written by\n"
          "'docker save' (with or without index.json) or containers/image (docker-archive:),\n"
          "or - for an archive on standard input.  A docker save archive without index.json\n"
          "carries no registry manifest: its image is shown by its image ID (the digest of\n"
          "its config), and --ref picks an image by RepoTag.\n"
          "\n"
          "Options:\n"
          "  -p, --platform SPEC  the platform to resolve for (default: this host)\n"
          "  -s, --strict         no platform fallbacks (containerd OnlyStrict)\n"
          "  -r, --ref NAME       start from the index.json entry with this ref name (or tag),\n"
          "                       or the docker save image with this RepoTag; @DIGEST picks by\n"
          "                       digest (the image ID in a docker save archive), or by a unique\n"
          "                       prefix of 12 or more hex digits\n"
          "  -j, --json           print one JSON object (also on failure)\n"
          CLI_MAX_BYTES_HELP
          "  -h, --help           this help\n"
          "\n"
          "Examples:\n"
          "  ocidig inspect --platform linux/arm64 image.tar\n"
          "  ocidig inspect --ref example.com/app:1.2 docker-save.tar\n"
          "  ocidig inspect --json oci-dir/ | jq '.image.layers[].digest'\n"
          "  docker save alpine | ocidig inspect -\n"
          "\n"
          "Exit status: 0 shown, 1 no manifest matches the platform, 2 usage error,\n"
          "3 input unreadable as a layout, 4 integrity or content error, 5 the output could\n"
          "not be written.\n");
}

/* ------------------------------------------------------------- text helpers */

/* "2026-11-27T20:02:12.118245598Z" -> "2026-11-27 20:02:12 UTC"; anything else as it is. */
static const char *when(const char *t)
{
  static char buf[64];
  if (!t)
    return "-";
  if (strlen(t) >= 19 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[16] == ':') {
    const char *zone = t + 19;
    while (*zone == '.' || (*zone >= '0' && *zone <= '9'))
      zone++;
    snprintf(buf, sizeof buf, "%.10s %.8s%s%.20s", t, t + 11, *zone ? " " : "",
             !strcmp(zone, "Z") ? "UTC" : zone);
    return cli_text(buf);
  }
  return cli_text(t);
}

/* A JSON array of strings as docker shows Entrypoint/Cmd: ["/bin/sh","-c","x"]. */
static void print_argv(char **v, size_t n, bool has)
{
  if (!has) {
    cli_printf("-\n");
    return;
  }
  cli_put_json_strings(v, n);
  cli_putc('\n');
}

static void print_list(const char *label, char **v, size_t n)
{
  cli_printf("  %-12s ", label);
  if (!n)
    cli_printf("-\n");
  for (size_t i = 0; i < n; i++)
    cli_printf("%s%s\n", i ? "               " : "", cli_text(v[i]));
}

static void print_map(const char *label, const ocidig_annotation *v, size_t n)
{
  cli_printf("  %-12s ", label);
  if (!n)
    cli_printf("-\n");
  for (size_t i = 0; i < n; i++)
    cli_printf("%s%s=%s\n", i ? "               " : "", cli_text(v[i].key), cli_text(v[i].value));
}

static void print_text(const ocidig_image *img, const ocidig_resolution *r, const char *source)
{
  bool color = cli_color();
  const char *b = color ? CLI_BOLD : "", *z = color ? CLI_RESET : "", *d = color ? CLI_DIM : "";
  const ocidig_image_config *c = &img->cfg;
  char size[32];
  {
    cli_printf("%s", b);
    if (!img->n_names)
      cli_printf("%s", cli_text(img->registry_manifest ? img->manifest.digest_string : img->image_id));
    for (size_t i = 0; i < img->n_names; i++)
      cli_printf("%s%s", i ? ", " : "", cli_text(img->names[i]));
    cli_printf("%s  %s(%s)%s\n", z, d, strcmp(source, "-") ? cli_text(source) : "standard input", z);
  }
  cli_printf("  %-12s %s", "format", ocidig_layout_format_name(img->format));
  if (img->format == OCIDIG_FORMAT_DOCKER_ARCHIVE)
    cli_printf(" (manifest.json, no index.json)\n");
  else if (img->format == OCIDIG_FORMAT_HYBRID)
    cli_printf(" (index.json is used; a docker manifest.json is beside it)\n");
  else
    cli_printf("\n");
  if (img->registry_manifest) {
    cli_human_size(img->manifest.size, size, sizeof size);
    cli_printf("  %-12s %s (%s, %s)\n", "manifest", cli_text(img->manifest.digest_string),
           cli_text(ocidig_media_type_short(img->manifest.media_type)), size);
    if (r->n_path) {
      cli_printf("  %-12s index.json", "path");
      for (size_t i = 0; i < r->n_path; i++)
        cli_printf(" > %s", cli_text(r->path[i]));
      cli_printf(" > manifest\n");
    }
  } else {
    cli_printf("  %-12s none: a docker save archive carries no registry manifest\n", "manifest");
  }
  if (img->has_platform) {
    char *p = ocidig_platform_format(&img->platform);
    cli_printf("  %-12s %s (from the %s)\n", "platform", cli_text(p),
               img->platform_source ? cli_text(img->platform_source) : "descriptor");
    free(p);
  } else {
    cli_printf("  %-12s unknown\n", "platform");
  }
  cli_human_size(img->config.size, size, sizeof size);
  cli_printf("  %-12s %s (the digest of its config, %s)\n", "image ID", cli_text(img->image_id ? img->image_id : "-"), size);
  if (img->config_read) {
    cli_printf("  %-12s %s\n", "created", when(c->created));
    cli_printf("  %-12s %s\n", "author", c->author ? cli_text(c->author) : "-");
    cli_printf("  %-12s ", "entrypoint");
    print_argv(c->entrypoint, c->n_entrypoint, c->has_entrypoint);
    cli_printf("  %-12s ", "cmd");
    print_argv(c->cmd, c->n_cmd, c->has_cmd);
    print_list("env", c->env, c->n_env);
    cli_printf("  %-12s %s\n", "working dir", c->working_dir && *c->working_dir ? cli_text(c->working_dir) : "-");
    cli_printf("  %-12s %s\n", "user", c->user && *c->user ? cli_text(c->user) : "-");
    print_list("ports", c->exposed_ports, c->n_exposed_ports);
    print_list("volumes", c->volumes, c->n_volumes);
    if (c->stop_signal)
      cli_printf("  %-12s %s\n", "stop signal", cli_text(c->stop_signal));
    print_map("labels", c->labels, c->n_labels);
  }
  if (img->registry_manifest)
    print_map("annotations", img->annotations, img->n_annotations);
  if (img->subject)
    cli_printf("  %-12s %s (this manifest is itself a referrer)\n", "subject", cli_text(img->subject));

  if (img->config_read && c->n_history) {
    size_t empty = 0;
    for (size_t i = 0; i < c->n_history; i++)
      empty += c->history[i].empty_layer;
    cli_printf("\n%shistory%s (%zu step%s, %zu empty)\n", b, z, c->n_history, c->n_history == 1 ? "" : "s", empty);
    for (size_t i = 0; i < c->n_history; i++) {
      const ocidig_history *h = &c->history[i];
      char layer[32];
      if (h->empty_layer)
        snprintf(layer, sizeof layer, "empty");
      else
        snprintf(layer, sizeof layer, "layer %ld", h->layer + 1);
      cli_printf("  %-23s  %s%-9s%s %s", when(h->created), h->empty_layer ? d : "", layer, h->empty_layer ? z : "",
             h->created_by ? cli_text(h->created_by) : "-");
      if (h->comment && *h->comment)
        cli_printf("  (%s)", cli_text(h->comment));
      cli_printf("\n");
    }
  }

  cli_human_size(img->layers_size, size, sizeof size);
  cli_printf("\n%slayers%s (%zu, %s %s)\n", b, z, img->n_layers, size,
         img->registry_manifest ? "compressed" : "uncompressed, as docker save stores them");
  if (img->n_layers) {
    int wd = 6;
    for (size_t i = 0; i < img->n_layers; i++)
      if (img->layers[i].desc.digest_string)
        cli_width_fit(&wd, cli_text(img->layers[i].desc.digest_string), 0);
    cli_printf("  %-3s %-*s  %-12s %10s  %s\n", "#", wd, "digest", "compression", "size", "diff_id");
    for (size_t i = 0; i < img->n_layers; i++) {
      const ocidig_image_layer *ly = &img->layers[i];
      const char *comp = ly->compression ? ly->compression : ly->desc.media_type;
      cli_human_size(ly->desc.size, size, sizeof size);
      cli_printf("  %-3zu %-*s  %-12s %10s  %s", i + 1, wd, cli_text(ly->desc.digest_string ? ly->desc.digest_string : "-"),
             cli_text(comp ? comp : "unknown"), size, cli_text(ly->diff_id ? ly->diff_id : "-"));
      if (ly->desc.digest_code == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM)
        cli_printf("  %s(cannot be verified: digest algorithm not supported)%s", color ? CLI_YELLOW : "", z);
      else if (!ly->present)
        cli_printf("  %s(missing)%s", color ? CLI_YELLOW : "", z);
      cli_printf("\n");
    }
  }

  {
    size_t na = 0, nr = 0;
    for (size_t i = 0; i < img->n_related; i++)
      img->related[i].kind == OCIDIG_RELATED_ATTESTATION ? na++ : nr++;
    if (img->registry_manifest && !na && !nr) {
      cli_printf("\n%sattestations, referrers%s: none in the layout\n", b, z);
    } else if (img->registry_manifest) {
      cli_printf("\n%sattestations%s (%zu)\n", b, z, na);
      for (size_t i = 0; i < img->n_related; i++) {
        const ocidig_related *x = &img->related[i];
        if (x->kind != OCIDIG_RELATED_ATTESTATION)
          continue;
        cli_printf("  %s%s", cli_text(x->desc.digest_string), x->present ? "" : " (missing)");
        for (size_t k = 0; k < x->n_predicate_types; k++)
          cli_printf("%s%s", k ? ", " : "  predicates: ", cli_text(x->predicate_types[k]));
        cli_printf("\n");
      }
      cli_printf("\n%sreferrers%s (%zu)\n", b, z, nr);
      for (size_t i = 0; i < img->n_related; i++) {
        const ocidig_related *x = &img->related[i];
        if (x->kind != OCIDIG_RELATED_REFERRER)
          continue;
        cli_printf("  %s  %s%s\n", cli_text(x->desc.digest_string), cli_text(x->artifact_type ? x->artifact_type : "(no artifactType)"),
               x->present ? "" : " (missing)");
      }
    }
  }
  if (img->n_attached) {
    char *line = cli_attached_summary(img->attached, img->n_attached);
    cli_printf("\n%ssigned, attached%s: %s\n", b, z, line ? line : "?");
    if (!line)
      cli_error("out of memory");
    free(line);
    for (size_t i = 0; i < img->n_attached; i++) {
      const ocidig_attached *a = &img->attached[i];
      char sd[64], md[64];
      cli_short_digest(a->subject, 0, sd, sizeof sd);
      cli_short_digest(a->manifest, 0, md, sizeof md);
      cli_printf("  %s %s %s of %s (%s)%s\n", ocidig_attached_scheme_name(a->scheme), ocidig_attached_kind_name(a->kind),
                 cli_text(md), cli_text(sd), cli_text(a->found_as), a->present ? "" : " (missing)");
    }
  }
}

/* ------------------------------------------------------------- JSON */

static void print_json(const char *source, const char *request, bool strict, const char *ref, const char *outcome,
                       const ocidig_image *img, const ocidig_error *err, char **warnings, size_t n_warnings)
{
  json_object *root = json_object_new_object(), *req = json_object_new_object(), *w;
  json_object_object_add(root, "schemaVersion", json_object_new_int(1));
  json_object_object_add(root, "source", json_object_new_string(source));
  json_object_object_add(req, "platform", json_object_new_string(request ? request : ""));
  json_object_object_add(req, "strict", json_object_new_boolean(strict));
  json_object_object_add(req, "ref", ref ? json_object_new_string(ref) : NULL);
  json_object_object_add(root, "request", req);
  json_object_object_add(root, "outcome", json_object_new_string(outcome));
  if (img) {
    char *text = ocidig_image_to_json(img, false);
    json_object *o = text ? json_tokener_parse(text) : NULL;
    free(text);
    if (o) {
      json_object *iw = NULL;
      if (json_object_object_get_ex(o, "warnings", &iw))
        json_object_object_add(root, "warnings", json_object_get(iw));
      json_object_object_del(o, "warnings");
    }
    json_object_object_add(root, "image", o);
  } else {
    json_object_object_add(root, "image", NULL);
  }
  if (!json_object_object_get_ex(root, "warnings", &w)) {
    w = json_object_new_array();
    for (size_t i = 0; i < n_warnings; i++)
      json_object_array_add(w, json_object_new_string(warnings[i]));
    json_object_object_add(root, "warnings", w);
  }
  if (err) {
    json_object *e = json_object_new_object();
    json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(err->code)));
    json_object_object_add(e, "message", json_object_new_string(err->message));
    json_object_object_add(root, "error", e);
  }
  cli_put_json_object(root);
  json_object_put(root);
}

int cmd_inspect(int argc, char **argv)
{
  enum { OPT_MAX_BYTES = 256 };
  static const struct option longopts[] = {
    {"platform", required_argument, NULL, 'p'},
    {"strict", no_argument, NULL, 's'},
    {"ref", required_argument, NULL, 'r'},
    {"json", no_argument, NULL, 'j'},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *platform = NULL, *ref = NULL, *source;
  bool strict = false, json = false;
  ocidig_matcher *matcher = NULL;
  ocidig_layout *layout = NULL;
  ocidig_resolution *r = NULL;
  ocidig_image *img = NULL;
  ocidig_error err = {0};
  char *request = NULL;
  int c, status;
  cli_progress prog = {.what = "reading"};
  ocidig_open_options open_opts = {.progress = cli_progress_cb, .progress_ctx = &prog};

  optind = 1;
  while ((c = getopt_long(argc, argv, "p:sr:jh", longopts, NULL)) != -1) {
    switch (c) {
    case 'p': platform = optarg; break;
    case 's': strict = true; break;
    case 'r': ref = optarg; break;
    case 'j': json = true; break;
    case 'h': help(); return 0;
    case OPT_MAX_BYTES:
      if ((status = cli_max_bytes("inspect", optarg, &open_opts.max_bytes)) != 0)
        return status;
      break;
    default: return cli_usage("inspect", "bad option");
    }
  }
  if (optind + 1 != argc)
    return cli_usage("inspect", optind == argc ? "no SOURCE given" : "one SOURCE only");
  source = argv[optind];
  if (ref && !*ref)
    return cli_usage("inspect", "--ref needs a name or @DIGEST");
  if ((status = cli_matcher(platform, strict, &matcher)) != 0)
    return status;
  request = ocidig_platform_format(ocidig_matcher_request(matcher));

  if (ocidig_layout_open(source, &open_opts, &layout, &err) == OCIDIG_OK) {
    ocidig_resolve_options opts = {.matcher = matcher, .host = cli_host(), .ref = ref};
    ocidig_resolve(layout, &opts, &r, &err);
    if (r && r->outcome == OCIDIG_OUTCOME_SELECTED)
      ocidig_image_load(layout, r, &img, &err);
  }
  cli_progress_end(&prog);

  if (img) {
    status = 0;
    if (json) {
      print_json(source, request, strict, ref, "selected", img, NULL, NULL, 0);
    } else {
      print_text(img, r, source);
      for (size_t i = 0; i < img->n_warnings; i++)
        if (img->registry_manifest || !strstr(img->warnings[i], "carries no registry manifest")) /* said above */
          cli_warn("%s", cli_text(img->warnings[i]));
    }
  } else if (r && r->outcome == OCIDIG_OUTCOME_NO_MATCH) {
    status = EXIT_NO_MATCH;
    if (json) {
      print_json(source, request, strict, ref, "no-match", NULL, NULL, r->warnings, r->n_warnings);
    } else {
      for (size_t i = 0; i < r->n_warnings; i++)
        cli_warn("%s", cli_text(r->warnings[i]));
      cli_error("no manifest in %s matches %s (run 'ocidig resolve' to see why each was skipped)", cli_text(source),
                request ? request : "?");
    }
  } else {
    if (r && r->outcome == OCIDIG_OUTCOME_ERROR)
      err = r->error;
    status = ocidig_code_exit_status(err.code);
    if (!status)
      status = EXIT_UNREADABLE;
    if (json) {
      print_json(source, request, strict, ref, "error", NULL, &err, r ? r->warnings : NULL, r ? r->n_warnings : 0);
    } else {
      for (size_t i = 0; r && i < r->n_warnings; i++)
        cli_warn("%s", cli_text(r->warnings[i]));
      cli_error("%s (%s)", cli_text(err.message), ocidig_code_name(err.code));
    }
  }
  ocidig_image_free(img);
  ocidig_resolution_free(r);
  ocidig_layout_close(layout);
  ocidig_matcher_free(matcher);
  free(request);
  cli_text_free();
  return status;
}
