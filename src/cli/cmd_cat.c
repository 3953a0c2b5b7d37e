/* cmd_cat.c: ocidig cat: write a blob (or a file of the layout) to stdout, its digest checked. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
  cli_puts(
          "Usage: ocidig cat [--platform SPEC] [--strict] [--ref NAME|@DIGEST] SOURCE WHAT\n"
          "       ocidig cat [--platform SPEC] [--strict] [--ref NAME|@DIGEST] --file PATH SOURCE\n"
          "\n"
          "Write the bytes of one blob or file of SOURCE to standard output.  WHAT is:\n"
          "  DIGEST         a blob, e.g. sha256:4fef...; in a docker save archive also an image\n"
          "                 ID (its config) or a layer's diff_id.  A unique prefix of 12 or more\n"
          "                 hex digits will do, with or without 'sha256:' (as the output shows\n"
          "                 digests); a prefix that several digests share is a usage error\n"
          "  manifest       the manifest of the image resolved as 'ocidig resolve' would\n"
          "                 (with --platform, --strict and --ref)\n"
          "  config         the config of that image\n"
          "  index.json, oci-layout, manifest.json, repositories\n"
          "                 those files as they are (they have no digest to check)\n"
          "\n"
          "Blobs are checked against their digest (and the descriptor's size).  Blobs up to\n"
          "4 MiB are checked before the first byte is written; larger ones are hashed while\n"
          "they stream: if they do not match, the command says so on standard error and exits\n"
          "4 after the bytes went out, and those bytes must be discarded.\n"
          "\n"
          "With --file, the bytes of the file at PATH in the merged tree of the resolved image\n"
          "(as 'ocidig files' lists it: layers applied in order, whiteouts honoured), streamed\n"
          "from the layer that holds them; symbolic links are followed inside the image's\n"
          "tree (an absolute target from its root), never out of it.  That layer is read to\n"
          "its end and checked against its digest.  PATH missing, removed by a whiteout, a\n"
          "directory, a device, a symbolic link leaving the tree: exit 2, nothing written.\n"
          "\n"
          "Options:\n"
          "  -f, --file PATH      a file of the image's merged tree (see above)\n"
          "  -p, --platform SPEC  the platform for manifest, config and --file (default: this host)\n"
          "  -s, --strict         no platform fallbacks (containerd OnlyStrict)\n"
          "  -r, --ref NAME       the index.json entry (or docker save RepoTag) to resolve from;\n"
          "                       @DIGEST (or @ and 12 or more hex digits of it) picks by digest\n"
          CLI_MAX_BYTES_HELP
          "  -h, --help           this help\n"
          "\n"
          "Examples:\n"
          "  ocidig cat image.tar index.json | jq .\n"
          "  ocidig cat --platform linux/arm64 image.tar config | jq .config.Env\n"
          "  ocidig cat oci-dir/ sha256:6dbe130e3ff3... | tar tzf -\n"
          "  ocidig cat --ref app:1.2 docker-save.tar config\n"
          "  ocidig cat --file /etc/os-release image.tar\n"
          "\n"
          "Exit status: 0 written and verified, 1 no manifest matches the platform, 2 usage\n"
          "error (or WHAT does not exist in this kind of source), 3 input unreadable as a\n"
          "layout, 4 blob missing, size or digest mismatch, 5 standard output could not be\n"
          "written.\n");
}

static ocidig_code write_out(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  (void)ctx;
  return cli_write(buf, len, err) ? OCIDIG_OK : OCIDIG_ERR_OUTPUT;
}

/* A file of the layout written as it is. */
static int cat_plain(ocidig_layout *l, const char *path)
{
  ocidig_error err;
  ocidig_code rc = ocidig_layout_stream_file(l, path, write_out, NULL, &err);
  if (rc == OCIDIG_ERR_BLOB_MISSING) {
    /* What kind of source is it?  A file that this kind never has is a usage error (2), as
     * the help says; an OCI layout without its oci-layout file lacks a file it must have (4). */
    ocidig_layout_format f = OCIDIG_FORMAT_NONE;
    const char *where = ocidig_layout_is_archive(l) ? "the archive" : "the directory";
    bool oci_file = !strcmp(path, "index.json") || !strcmp(path, "oci-layout");
    if (ocidig_layout_format_detect(l, &f, &err) != OCIDIG_OK)
      return cli_fail(&err);
    if (f == OCIDIG_FORMAT_NONE) {
      cli_error("%s is not in %s, which holds neither index.json (an OCI layout) nor manifest.json (a docker save "
                "archive) (missing-index-json)",
                path, where);
      return ocidig_code_exit_status(OCIDIG_ERR_MISSING_INDEX_JSON);
    }
    /* Usage errors: files this kind of source never has (a docker save archive without
     * index.json has no OCI files; an OCI layout without manifest.json no docker files). */
    if (oci_file && f == OCIDIG_FORMAT_DOCKER_ARCHIVE)
      return cli_usage("cat", "this source is a docker save archive without index.json: it has no %s (WHAT can "
                              "be manifest.json, repositories, config or a digest)",
                       path);
    if (!oci_file && f == OCIDIG_FORMAT_OCI)
      return cli_usage("cat", "%s has no %s (this kind of source, %s, does not carry it)", where, path,
                       ocidig_layout_format_name(f));
    /* A file this kind may have but this one lacks: absent (4), as a blob. */
    cli_error("%s is not in %s: this %s lacks it (blob-missing)", path, where,
              f == OCIDIG_FORMAT_DOCKER_ARCHIVE ? "docker save archive" : "layout");
    return ocidig_code_exit_status(rc);
  }
  if (rc != OCIDIG_OK)
    return cli_fail(&err);
  return 0;
}

/* missing: when given and the file is absent (nothing written), *missing is set and
 * nothing is reported.  gone: when given, the whole message for a member of standard input
 * that went by before it was asked for (not-rereadable): why, and what to do instead. */
static int cat_verified(ocidig_layout *l, const char *path, const ocidig_digest *d, int64_t size, bool *missing,
                        const char *gone)
{
  ocidig_error err;
  uint64_t written = 0;
  ocidig_code rc = ocidig_copy_verified(l, path, d, size, 0, write_out, NULL, &written, &err);
  if (missing)
    *missing = rc == OCIDIG_ERR_BLOB_MISSING && !written;
  if (missing && *missing)
    return ocidig_code_exit_status(rc);
  if (rc == OCIDIG_ERR_NOT_REREADABLE && !written && gone) {
    cli_error("%s (not-rereadable)", gone);
    return ocidig_code_exit_status(rc);
  }
  if (!cli_flush() && rc == OCIDIG_OK)
    return cli_output_error();
  if (rc != OCIDIG_OK) /* the library's message says when bytes already written are not verified */
    return cli_fail(&err);
  return 0;
}

/* A digest: the file that holds the blob as the layout's format names it (blobs/<alg>/<hex>;
 * in a docker save a config or layer file by image ID or diff_id; <hex> in a dir: layout). */
static int cat_digest(ocidig_layout *l, const char *given, bool from_stdin)
{
  ocidig_digest d;
  ocidig_error err;
  char path[OCIDIG_DIGEST_STRING_MAX + 8], what[OCIDIG_DIGEST_STRING_MAX];
  ocidig_code rc;
  int status;
  bool missing, short_on_stdin;
  char gone_buf[1024], *gone = NULL;

  /* a full digest, or a prefix of one (12+ hex digits, as the output shows them) */
  rc = ocidig_layout_find_digest(l, given, what, &err);
  if (rc == OCIDIG_ERR_INVALID_DIGEST || rc == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM)
    return cli_usage("cat", "WHAT: %s", cli_clean(err.message));
  if (rc == OCIDIG_ERR_BLOB_MISSING) {
    cli_error("blob %s is not in the layout (%s)", cli_clean(given), cli_clean(err.message));
    return ocidig_code_exit_status(rc);
  }
  if (rc != OCIDIG_OK)
    return cli_fail(&err); /* ref-ambiguous (2), or the archive could not be read */
  if (ocidig_digest_parse(what, strlen(what), &d, &err) != OCIDIG_OK)
    return cli_usage("cat", "WHAT: %s", cli_clean(err.message));
  ocidig_digest_blob_path(&d, path);
  short_on_stdin = from_stdin && strcmp(what, given);
  /* Not looked up first: in an archive on stdin, a blob not reached yet streams as it passes. */
  if (short_on_stdin) {
    gone = gone_buf;
    snprintf(gone_buf, sizeof gone_buf,
             "%s: a short digest must read the whole stream to be unique, and by then %s (over %u bytes, not "
             "kept) had gone by on standard input, which cannot be re-read; from standard input give the full "
             "digest (%s, which streams as it passes) or give the archive as a file",
             given, what, OCIDIG_DEFAULT_SMALL_CAP, what);
  }
  /* Absent where an OCI layout keeps it: the file the layout's format keeps it in (a docker
   * save's config or layer by image ID or diff_id, a dir: layout's file named by its hex). */
  status = cat_verified(l, path, &d, -1, &missing, gone);
  if (!missing)
    return status;
  {
    char member[OCIDIG_MAX_PATH_LENGTH + 1];
    rc = ocidig_layout_find_blob(l, &d, member, sizeof member, &err);
    if (rc == OCIDIG_ERR_BLOB_MISSING) {
      cli_error("blob %s is not in the layout (%s)", what, cli_clean(err.message));
      return ocidig_code_exit_status(rc);
    }
    if (rc != OCIDIG_OK)
      return cli_fail(&err);
    if (strcmp(member, path))
      return cat_verified(l, member, &d, -1, NULL, gone);
  }
  cli_error("blob %s is not in the layout (no %s)", what, path);
  return ocidig_code_exit_status(OCIDIG_ERR_BLOB_MISSING);
}

/* manifest / config of the resolved image. */
static int cat_resolved(ocidig_layout *l, const char *what, const ocidig_matcher *m, const char *ref, bool from_stdin)
{
  ocidig_resolve_options opts = {.matcher = m, .host = cli_host(), .ref = ref};
  ocidig_resolution *r = NULL;
  ocidig_error err = {0};
  char path[OCIDIG_MAX_PATH_LENGTH + 1];
  int status = 0;
  bool manifest = !strcmp(what, "manifest");

  ocidig_resolve(l, &opts, &r, &err);
  if (!r) {
    cli_error("out of memory");
    return EXIT_UNREADABLE;
  }
  for (size_t i = 0; i < r->n_warnings; i++)
    if (!ocidig_resolution_is_docker_archive(r) || i > 0) /* [0]: no registry manifest; cat says so if it matters */
      cli_warn("%s", r->warnings[i]);
  if (r->outcome == OCIDIG_OUTCOME_ERROR) {
    status = cli_fail(&r->error);
  } else if (r->outcome == OCIDIG_OUTCOME_NO_MATCH) {
    char *req = ocidig_platform_format(ocidig_matcher_request(m));
    cli_error("no manifest matches %s (run 'ocidig resolve' to see why each was skipped)", req ? req : "?");
    free(req);
    status = EXIT_NO_MATCH;
  } else if (ocidig_resolution_is_docker_archive(r) && manifest) {
    cli_error("a docker save archive without index.json carries no registry manifest; 'ocidig cat SOURCE "
              "manifest.json' writes docker's manifest.json, 'config' the image's config");
    status = EXIT_USAGE;
  } else {
    const ocidig_descriptor *d = manifest ? &r->selected : &r->config;
    if (!d->digest_string) {
      cli_error("manifest %s has no config", r->selected.digest_string);
      status = EXIT_INTEGRITY;
    } else if (d->digest_code != OCIDIG_OK) {
      cli_error("%s: not a valid digest (%s)", d->digest_string, ocidig_code_name(d->digest_code));
      status = ocidig_code_exit_status(d->digest_code);
    } else {
      char gone[1024];
      snprintf(gone, sizeof gone,
               "the %s %s came in the archive on standard input before index.json or the manifest that names it, "
               "so it had gone by (not kept: over %u bytes) before they said it was needed, and a stream cannot "
               "be re-read; give the archive as a file, or one with index.json and the manifests first",
               what, d->digest_string, OCIDIG_DEFAULT_SMALL_CAP);
      ocidig_error e;
      if (ocidig_layout_find_blob(l, &d->digest, path, sizeof path, &e) != OCIDIG_OK)
        status = cli_fail(&e);
      else
        status = cat_verified(l, path, &d->digest, d->size, NULL, from_stdin ? gone : NULL);
    }
  }
  ocidig_resolution_free(r);
  return status;
}

/* "sha256:HEX" or "sha512:HEX", before any lookup: 12 hex digits at least, and no more than
 * the algorithm has (64, 128).  Other malformed digests are left to the digest parser. */
static int check_digest_length(const char *what)
{
  const char *colon = strchr(what, ':'), *hex = colon ? colon + 1 : what;
  size_t n = strlen(hex), max = 128;
  if (!colon)
    return 0; /* a bare HEX: the WHAT check says "12 or more" */
  if (colon - what == 6 && !strncmp(what, "sha256", 6))
    max = 64;
  else if (!(colon - what == 6 && !strncmp(what, "sha512", 6)))
    return 0;
  for (const char *p = hex; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return 0;
  if (n >= OCIDIG_MIN_DIGEST_PREFIX && n <= max)
    return 0;
  return cli_usage("cat", "WHAT: %s has %zu hex digits; a %.6s digest or a prefix of one has %d to %zu hex digits",
                   what, n, what, OCIDIG_MIN_DIGEST_PREFIX, max);
}

/* --file PATH: one file of the merged tree. */
static int cat_file(ocidig_layout *l, const char *path, const ocidig_matcher *m, const char *ref)
{
  ocidig_files *files = NULL;
  ocidig_error err;
  ocidig_code rc;
  int status = cli_files_load(l, m, ref, NULL, false, &files);
  if (status != 0)
    return status;
  rc = ocidig_files_cat(l, files, path, write_out, NULL, NULL, &err);
  ocidig_files_free(files);
  if (!cli_flush() && rc == OCIDIG_OK)
    return cli_output_error();
  if (rc != OCIDIG_OK)
    return cli_fail(&err);
  return 0;
}

int cmd_cat(int argc, char **argv)
{
  enum { OPT_MAX_BYTES = 256 };
  static const struct option longopts[] = {
    {"platform", required_argument, NULL, 'p'},
    {"strict", no_argument, NULL, 's'},
    {"ref", required_argument, NULL, 'r'},
    {"file", required_argument, NULL, 'f'},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *platform = NULL, *ref = NULL, *file = NULL, *source, *what;
  bool strict = false;
  ocidig_matcher *matcher = NULL;
  ocidig_layout *layout = NULL;
  ocidig_error err;
  int c, status;
  ocidig_open_options open_opts = {0};
  ocidig_layout_format format = OCIDIG_FORMAT_NONE;

  optind = 1;
  while ((c = getopt_long(argc, argv, "p:sr:f:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'f': file = optarg; break;
    case 'p': platform = optarg; break;
    case 's': strict = true; break;
    case 'r': ref = optarg; break;
    case 'h': help(); return 0;
    case OPT_MAX_BYTES:
      if ((status = cli_max_bytes("cat", optarg, &open_opts.max_bytes)) != 0)
        return status;
      break;
    default: return cli_usage("cat", "bad option");
    }
  }
  if (file) {
    if (argc - optind != 1)
      return cli_usage("cat", argc - optind < 1 ? "SOURCE is needed" : "with --file, one SOURCE and no WHAT");
    if (ref && !*ref)
      return cli_usage("cat", "--ref needs a name or @DIGEST");
    if (!*file)
      return cli_usage("cat", "--file needs a path");
    if ((status = cli_matcher(platform, strict, &matcher)) != 0)
      return status;
    source = argv[optind];
    if (ocidig_layout_open(source, &open_opts, &layout, &err) != OCIDIG_OK)
      status = cli_fail(&err);
    else if (strcmp(source, "-") && (ocidig_layout_format_detect(layout, &format, &err) != OCIDIG_OK ||
                                     ((format == OCIDIG_FORMAT_OCI || format == OCIDIG_FORMAT_HYBRID) &&
                                      ocidig_layout_check_oci_layout(layout, NULL, &err) != OCIDIG_OK)))
      status = cli_fail(&err);
    else
      status = cat_file(layout, file, matcher, ref);
    if (!cli_flush() && status == 0)
      status = cli_output_error();
    ocidig_layout_close(layout);
    ocidig_matcher_free(matcher);
    return status;
  }
  if (argc - optind != 2)
    return cli_usage("cat", argc - optind < 2 ? "SOURCE and WHAT are needed" : "one SOURCE and one WHAT only");
  source = argv[optind];
  what = argv[optind + 1];
  if (ref && !*ref)
    return cli_usage("cat", "--ref needs a name or @DIGEST");
  bool resolved = !strcmp(what, "manifest") || !strcmp(what, "config");
  bool plain = !strcmp(what, "index.json") || !strcmp(what, "oci-layout") || !strcmp(what, "manifest.json") ||
               !strcmp(what, "repositories");
  if (!resolved && !plain && !strchr(what, ':') && !ocidig_digest_is_prefix(what))
    return cli_usage("cat", "WHAT must be a digest (or 12 or more hex digits of one), manifest, config, index.json, "
                            "oci-layout, manifest.json or repositories, not '%s'",
                     what);
  if (!resolved && !plain && (status = check_digest_length(what)) != 0)
    return status;
  if (!resolved && (platform || ref || strict))
    return cli_usage("cat", "--platform, --strict and --ref go with manifest, config and --file");
  if (resolved && (status = cli_matcher(platform, strict, &matcher)) != 0)
    return status;
  if (ocidig_layout_open(source, &open_opts, &layout, &err) != OCIDIG_OK) {
    status = cli_fail(&err);
  } else if (strcmp(what, "oci-layout") && strcmp(source, "-") &&
             (ocidig_layout_format_detect(layout, &format, &err) != OCIDIG_OK ||
              ((format == OCIDIG_FORMAT_OCI || format == OCIDIG_FORMAT_HYBRID) &&
               ocidig_layout_check_oci_layout(layout, NULL, &err) != OCIDIG_OK))) {
    /* the order of every command: index.json (or manifest.json) first, then for an OCI layout
     * an invalid or unreadable oci-layout: exit 3 (cat SOURCE oci-layout still shows it; on
     * standard input a blob streams as it passes, before oci-layout may come) */
    status = cli_fail(&err);
  } else if (plain) {
    status = cat_plain(layout, what);
  } else if (resolved) {
    status = cat_resolved(layout, what, matcher, ref, !strcmp(source, "-"));
  } else {
    status = cat_digest(layout, what, !strcmp(source, "-"));
  }
  if (!cli_flush() && status == 0)
    status = cli_output_error();
  ocidig_layout_close(layout);
  ocidig_matcher_free(matcher);
  return status;
}
