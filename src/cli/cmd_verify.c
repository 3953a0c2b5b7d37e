/* cmd_verify.c: ocidig verify: check every digest, size and rule of a layout. */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Members up to this size are kept in memory while an archive file streams by (documents
 * are small; larger ones are re-read from the file).  Standard input cannot be re-read:
 * there the library's default applies. */
#define VERIFY_SMALL_CAP (256u * 1024)
/* The progress line appears for inputs at least this large, or after a second or two of reading
 * (a highly compressed archive). */
#define PROGRESS_MIN (64ull * 1024 * 1024)

static void help(void)
{
  cli_puts(
          "Usage: ocidig verify [--platform SPEC [--strict] | --all-platforms] [--ref NAME|@DIGEST]\n"
          "                     [--deep] [--json] [--fail-on warning]\n"
          "                     [--key PUBKEY.pem | --trusted-root trusted_root.json\n"
          "                      --certificate-identity[-regexp] I --certificate-oidc-issuer[-regexp] O |\n"
          "                      --ca-roots PEM [--ca-intermediates PEM] --certificate-identity[-regexp] I]\n"
          "                     [--trust-policy trustpolicy.json --trust-store DIR] SOURCE\n"
          "\n"
          "Check a layout: oci-layout and index.json, every index and manifest (JSON, schema\n"
          "version, media types, required fields), every descriptor (digest, size, inline data),\n"
          "every blob (present, size, and every byte hashed), links and special files, ref names,\n"
          "attestations, unreferenced blobs, and, per image and platform, whether all blobs are\n"
          "there (a platform-filtered export is reported as incomplete, not as corrupt).\n"
          "A docker save archive without index.json has no registry manifest: there manifest.json,\n"
          "each config (hashing to its image ID) and each layer file (hashing to its name and to\n"
          "its diff_id) are checked; beside index.json, manifest.json is compared with it.\n"
          "An archive is verified in the single streaming pass that reads it, never extracted;\n"
          "a directory's blobs are hashed on all cores.\n"
          "\n"
          "SOURCE is a layout directory, an archive of one (tar, tar.gz, tar.zst, ...), or - for\n"
          "an archive on standard input.\n"
          "\n"
          "Options:\n"
          "  -a, --all-platforms  everything reachable from index.json (the default)\n"
          "  -p, --platform SPEC  only what 'ocidig resolve --platform SPEC' selects for each image\n"
          "                       (its manifest, config and layers, and the indexes on the way);\n"
          "                       a missing blob of that platform is then an error\n"
          "  -s, --strict         with --platform: no fallbacks (containerd OnlyStrict)\n"
          "  -r, --ref NAME       only the index.json entry with this ref name (or a tag of it);\n"
          "                       --ref @DIGEST: the entry with that digest (or a unique\n"
          "                       prefix of 12 or more hex digits)\n"
          "  -d, --deep           also inside each layer: diff_ids, the stream and the tar to their end,\n"
          "                       hazardous entries (each layer read once; a line per layer)\n"
          "  -j, --json           print the JSON report: {schemaVersion, findings, images, summary}\n"
          "      --fail-on LEVEL  error (the default) or warning: the lowest severity that fails\n"
          "\n"
          "Signatures attached to the images in scope (cosign's sha256-<hex>.sig tags, Sigstore\n"
          "bundle and Notation referrers) are listed with a verdict each; with trust material\n"
          "every image in scope must carry one that verifies (else exit 6):\n"
          "      --key PUBKEY.pem         cosign: a public key (ECDSA, RSA, Ed25519)\n"
          "      --trusted-root FILE      Sigstore trusted_root.json (keyless, bundles; Rekor\n"
          "                               entries and timestamps checked against it)\n"
          "      --certificate-identity I, --certificate-identity-regexp R\n"
          "      --certificate-oidc-issuer O, --certificate-oidc-issuer-regexp R\n"
          "                               the signing certificate's identity (a SAN: email, URI or\n"
          "                               DNS name) and OIDC issuer\n"
          "      --ca-roots PEM           cosign: a private PKI's root certificates (one or more):\n"
          "                               the certificate chains to one of them (no SCT, no Rekor\n"
          "                               entry needed; the issuer optional); checked at the\n"
          "                               current time when no log entry or timestamp is verified\n"
          "      --ca-intermediates PEM   its intermediate certificates (with the signature's chain)\n"
          "      --trust-policy FILE, --trust-store DIR   Notation's trust policy and store\n"
          CLI_MAX_BYTES_HELP
          "  -h, --help           this help\n"
          "\n"
          "Examples:\n"
          "  ocidig verify image.tar\n"
          "  ocidig verify --platform linux/arm64 export.tar.gz\n"
          "  ocidig verify --json oci-dir/ | jq '.findings[] | select(.severity == \"error\")'\n"
          "  skopeo copy ... oci-archive:/dev/stdout | ocidig verify -\n"
          "\n"
          "Exit status: 0 no error finding (warnings allowed unless --fail-on warning),\n"
          "2 usage error, 3 input unreadable (also when every error finding is\n"
          "blob-unreadable or listing-unreadable), 4 an error finding, 5 the output could\n"
          "not be written, 6 policy not met: trust material was given and an image in scope\n"
          "carries no signature that verifies (an error finding wins: 3 or 4).\n");
}

/* -------------------------------------------------------------------- text */

typedef cli_style style; /* output.h's: the escape sequences, "" without colour */

static const char *severity_color(const style *s, ocidig_severity sev)
{
  return sev == OCIDIG_SEVERITY_ERROR ? s->red : sev == OCIDIG_SEVERITY_WARNING ? s->yellow : s->dim;
}

/* The findings of one image (-1: the layout's) are side by side: the report groups them by
 * image, the layout's first.  Found by bisection, so that 100,000 images do not each look at
 * every finding. */
static void image_findings(const ocidig_verify_report *r, long image, size_t *from, size_t *to)
{
  size_t lo = 0, hi = r->n_findings;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->findings[mid].image < image)
      lo = mid + 1;
    else
      hi = mid;
  }
  *from = lo;
  while (hi < r->n_findings && r->findings[hi].image == image)
    hi++;
  *to = hi;
}

static void print_findings(const ocidig_verify_report *r, long image, long platform, int indent, const style *s)
{
  size_t from, to;
  image_findings(r, image, &from, &to);
  for (size_t i = from; i < to; i++) {
    const ocidig_finding *f = &r->findings[i];
    if (f->platform != platform)
      continue;
    if (platform >= 0 && !strcmp(f->code, "image-incomplete"))
      continue; /* folded into the platform's row and one note per image */
    cli_printf("%*s%s%-7s%s %s: %s\n", indent, "", severity_color(s, f->severity), ocidig_severity_name(f->severity),
           s->reset, cli_text(f->code), cli_text(f->message));
  }
}

static bool has_findings(const ocidig_verify_report *r, long image, long platform)
{
  size_t from, to;
  image_findings(r, image, &from, &to);
  for (size_t i = from; i < to; i++)
    if (r->findings[i].platform == platform)
      return true;
  return false;
}

/* The image-incomplete warnings of one image, as one line. */
static void print_incomplete_note(const ocidig_verify_report *r, long image, const style *s)
{
  const ocidig_verify_image *im = &r->images[image];
  size_t n = 0, absent = 0, from, to;
  image_findings(r, image, &from, &to);
  for (size_t i = from; i < to; i++) {
    const ocidig_finding *f = &r->findings[i];
    if (f->platform >= 0 && !strcmp(f->code, "image-incomplete")) {
      n++;
      const ocidig_verify_platform *p = (size_t)f->platform < im->n_platforms ? &im->platforms[f->platform] : NULL;
      if (p && p->n_missing == p->n_blobs)
        absent++;
    }
  }
  if (!n)
    return;
  if (absent == n)
    cli_printf("  %s%-7s%s image-incomplete: %zu of %zu platforms %s absent: the layout holds only some platforms, as a "
           "platform-filtered export does; incomplete, not corrupt (--platform SPEC requires one)\n",
           s->yellow, "warning", s->reset, n, im->n_platforms, n == 1 ? "is" : "are");
  else
    cli_printf("  %s%-7s%s image-incomplete: %zu of %zu platforms lack blobs (%zu entirely absent); --platform SPEC makes "
           "a missing blob of that platform an error\n",
           s->yellow, "warning", s->reset, n, im->n_platforms, absent);
}

static void platform_label(const ocidig_verify_platform *p, char *buf, size_t n)
{
  if (p->attestation_of) {
    char sd[64];
    cli_short_digest(p->attestation_of, 0, sd, sizeof sd);
    snprintf(buf, n, "attestation of %s", sd);
  } else if (p->is_index) {
    snprintf(buf, n, "%s (index)", p->platform ? p->platform : "?");
  } else if (p->platform) {
    bool from_config = p->platform_source && !strcmp(p->platform_source, "config");
    snprintf(buf, n, "%s%s", p->platform, from_config ? " (config)" : "");
  } else {
    snprintf(buf, n, "(no platform)");
  }
}

/* The signatures of each image in scope, with their verdicts (a tree like resolve's). */
static void print_signatures(const ocidig_verify_report *r, const style *s)
{
  size_t k = 0;
  if (!r->n_signatures && !r->trust_given)
    return;
  cli_printf("\nsignatures%s\n", r->trust_given ? "" : " (not verified: no --key, --trusted-root, --ca-roots or --trust-policy)");
  for (size_t i = 0; i < r->n_images; i++) {
    const ocidig_verify_image *im = &r->images[i];
    char d[64];
    if (im->attachment && !im->n_signatures)
      continue;
    cli_short_digest(im->digest, 0, d, sizeof d);
    cli_printf("  %s%s%s%s%s\n", im->name ? cli_text(im->name) : d, im->name ? " (" : "", im->name ? d : "",
               im->name ? ")" : "", im->n_signatures ? "" : ": no signature");
    for (size_t j = 0; j < im->n_signatures && k < r->n_signatures; j++, k++) {
      const ocidig_sig_check *c = &r->signatures[k];
      char md[64], sd[64], ld[64];
      bool ok = c->verdict == OCIDIG_SIG_VERIFIED;
      const char *color = ok ? s->green : c->verdict == OCIDIG_SIG_NOT_VERIFIED ? s->dim : s->red;
      cli_short_digest(c->manifest, 0, md, sizeof md);
      cli_short_digest(c->subject, 0, sd, sizeof sd);
      cli_short_digest(c->layer, 0, ld, sizeof ld);
      cli_printf("    %s %s %s%s%s of %s: %s%s%s", ocidig_attached_scheme_name(c->scheme), ocidig_attached_kind_name(c->kind),
                 cli_text(md), *c->layer ? " layer " : "", *c->layer ? cli_text(ld) : "", cli_text(sd), color,
                 ocidig_sig_verdict_name(c->verdict),
                 s->reset);
      if (ok) /* a reason of a verified signature: what its policy only logged (Notation) */
        cli_printf(" by %s%s%s%s%s%s\n", cli_text(c->signer), *c->issuer ? ", issuer " : "",
                   *c->issuer ? cli_text(c->issuer) : "", *c->reason ? " (" : "", *c->reason ? cli_text(c->reason) : "",
                   *c->reason ? ")" : "");
      else
        cli_printf(": %s\n", cli_text(c->reason));
    }
  }
}

static void print_text(const ocidig_verify_report *r, const char *source, bool fail_on_warning)
{
  style s = *cli_styles();
  const ocidig_verify_summary *sum = &r->summary;
  /* A docker save archive without index.json: images are known by image ID, their blobs
   * are files (configs and layers), and there is no manifest. */
  bool docker = r->format && !strcmp(r->format, "docker-archive");
  bool hybrid = r->format && !strcmp(r->format, "oci+docker-archive");
  bool dir = r->format && !strcmp(r->format, "dir");
  const char *blobs = docker ? "file" : "blob";
  char size[32];

  cli_printf("%s%s%s: ", s.bold, cli_text(source), s.reset);
  if (r->request)
    cli_printf("verifying %s%s for %s", cli_text(r->request), r->strict ? " (strict)" : "",
           r->ref ? "the image --ref names" : "each image");
  else if (docker)
    cli_printf("verifying %s", r->ref ? "the image of manifest.json that --ref names" : "every image of manifest.json");
  else
    cli_printf("verifying everything reachable from %s",
               r->ref ? "the entry --ref names" : dir ? "manifest.json (dir:)" : "index.json");
  cli_printf(" (%s)\n", r->archive ? "archive" : "directory");
  if (docker)
    cli_printf("  a docker save archive (manifest.json, no index.json): it carries no registry manifest, so no\n"
           "  manifest digest exists; the digest shown for an image is its image ID (the digest of its config)\n");
  else if (dir)
    cli_printf("  a containers/image dir: layout (manifest.json, blobs named by their hex, version): read as an\n"
               "  OCI layout whose index names each image folder's manifest.json\n");
  else if (hybrid)
    cli_printf("  with a docker save manifest.json beside index.json: index.json is verified, manifest.json is\n"
           "  compared with it\n");

  if (has_findings(r, -1, -1)) {
    cli_printf("\nlayout\n");
    print_findings(r, -1, -1, 2, &s);
  }
  for (size_t i = 0; i < r->n_images; i++) {
    const ocidig_verify_image *im = &r->images[i];
    char sd[64];
    int w = 0;
    cli_short_digest(im->digest, 0, sd, sizeof sd);
    cli_printf("\nimage %s%s%s  %s  %s  ", s.bold, im->name ? cli_text(im->name) : "(unnamed)", s.reset, cli_text(sd),
           docker ? "image ID" : cli_text(ocidig_media_type_short(im->media_type)));
    if (im->n_errors)
      cli_printf("%s%zu error%s%s\n", s.red, im->n_errors, im->n_errors == 1 ? "" : "s", s.reset);
    else if (!im->complete)
      cli_printf("%sincomplete%s\n", s.yellow, s.reset);
    else
      cli_printf("%sok%s\n", s.green, s.reset);
    print_findings(r, (long)i, -1, 2, &s);
    for (size_t k = 0; k < im->n_platforms; k++) {
      char label[160];
      platform_label(&im->platforms[k], label, sizeof label);
      cli_width_fit(&w, cli_text(label), 0); /* the platform comes from the layout */
    }
    for (size_t k = 0; k < im->n_platforms; k++) {
      const ocidig_verify_platform *p = &im->platforms[k];
      char label[160], md[64], state[32];
      platform_label(p, label, sizeof label);
      if (docker && !p->manifest)
        snprintf(md, sizeof md, "(no manifest)");
      else
        cli_short_digest(p->manifest, 0, md, sizeof md);
      cli_human_size((uint64_t)(p->size > 0 ? p->size : 0), size, sizeof size);
      cli_printf("  %-*s  %-19s  ", w, cli_text(label), cli_text(md));
      if (p->n_errors)
        snprintf(state, sizeof state, "%zu error%s", p->n_errors, p->n_errors == 1 ? "" : "s");
      else
        snprintf(state, sizeof state, "%s",
                 p->complete ? "ok" : p->n_missing == p->n_blobs && !p->walked_already ? "absent" : "incomplete");
      cli_printf("%s%-10s%s  ", p->n_errors ? s.red : p->complete ? s.green : s.yellow, state, s.reset);
      if (p->walked_already) {
        /* Its platforms are listed once, where it was walked. */
        const ocidig_verify_image *first =
            p->walked_image >= 0 && (size_t)p->walked_image < r->n_images ? &r->images[p->walked_image] : NULL;
        if (p->walked_image == (long)i)
          cli_printf("walked already: its platforms are listed above\n");
        else if (first)
          cli_printf("walked already: its platforms are listed under image %s\n",
                 first->name ? cli_text(first->name) : "(unnamed)");
        else
          cli_printf("walked already\n");
        print_findings(r, (long)i, (long)k, 4, &s);
        continue;
      }
      if (p->complete)
        cli_printf("%zu %s%s, %s\n", p->n_blobs, blobs, p->n_blobs == 1 ? "" : "s", size);
      else if (p->n_missing == p->n_blobs && p->n_blobs == 1 && !docker)
        cli_printf("%s not in the layout\n", p->is_index ? "index" : "manifest");
      else if (p->n_unverified == p->n_blobs && p->n_blobs == 1)
        cli_printf("%s cannot be verified (digest algorithm not supported)\n", p->is_index ? "index" : "manifest");
      else if (p->n_unverified)
        cli_printf("%zu of %zu %ss verified, %zu cannot be verified (digest algorithm not supported)\n",
                   p->n_blobs - p->n_missing - p->n_unverified, p->n_blobs, blobs, p->n_unverified);
      else
        cli_printf("%zu of %zu %ss present\n", p->n_blobs - p->n_missing, p->n_blobs, blobs);
      if (!p->complete && !(p->n_missing == p->n_blobs && p->n_blobs == 1 && !docker))
        for (size_t j = 0; j < p->n_missing; j++) {
          char role[32];
          if (p->missing[j].index >= 0)
            snprintf(role, sizeof role, "%s %ld", p->missing[j].role, p->missing[j].index);
          else
            snprintf(role, sizeof role, "%s", p->missing[j].role);
          cli_printf("    %smissing%s %s %s\n", s.yellow, s.reset, cli_text(role),
                 p->missing[j].digest ? cli_text(p->missing[j].digest) : "(its digest is not known)");
        }
      print_findings(r, (long)i, (long)k, 4, &s);
    }
    print_incomplete_note(r, (long)i, &s);
  }

  if (r->n_layers) {
    /* verify --deep: a line per layer read inside */
    cli_printf("\nlayers\n");
    for (size_t i = 0; i < r->n_layers; i++) {
      const ocidig_verify_layer *L = &r->layers[i];
      char sd[64], entries[32];
      cli_short_digest(L->digest, 0, sd, sizeof sd);
      cli_printf("  %-19s  %-4s  ", cli_text(sd), L->compression);
      if (!L->read) {
        cli_printf("%snot read%s: %s\n", s.yellow, s.reset, cli_text(L->skipped ? L->skipped : "?"));
        continue;
      }
      cli_human_size(L->uncompressed_size, size, sizeof size);
      snprintf(entries, sizeof entries, "%llu entr%s", (unsigned long long)L->entries, L->entries == 1 ? "y" : "ies");
      cli_printf("%12s  %10s  ", entries, size);
      if (L->n_errors)
        cli_printf("%s%zu error%s%s", s.red, L->n_errors, L->n_errors == 1 ? "" : "s", s.reset);
      else if (L->n_warnings)
        cli_printf("%s%zu warning%s%s", s.yellow, L->n_warnings, L->n_warnings == 1 ? "" : "s", s.reset);
      else
        cli_printf("%sok%s", s.green, s.reset);
      if (L->n_errors && L->n_warnings)
        cli_printf(", %zu warning%s", L->n_warnings, L->n_warnings == 1 ? "" : "s");
      if (L->n_infos)
        cli_printf(", %zu info", L->n_infos);
      cli_printf("\n");
    }
  }

  print_signatures(r, &s);
  cli_human_size(sum->bytes_hashed, size, sizeof size);
  cli_printf("\nsummary\n");
  cli_printf("  %ss checked  %zu (%s hashed)\n", blobs, sum->blobs_checked, size);
  if (sum->blobs_missing)
    cli_printf("  %ss missing  %zu\n", blobs, sum->blobs_missing);
  if (sum->unreferenced_checked) {
    cli_human_size(sum->unreferenced_bytes, size, sizeof size);
    cli_printf("  unreferenced   %zu %s%s (%s)\n", sum->blobs_unreferenced, blobs,
           sum->blobs_unreferenced == 1 ? "" : "s", size);
  } else {
    bool unlisted = false;
    for (size_t i = 0; i < r->n_findings && !unlisted; i++)
      unlisted = !strcmp(r->findings[i].code, "listing-unreadable");
    cli_printf("  unreferenced   not checked (%s)\n", r->request ? "the scope is narrowed by --platform"
                                                   : r->ref ? "the scope is narrowed by --ref"
                                                   : unlisted ? "a folder could not be listed"
                                                   : docker ? "manifest.json could not be read"
                                                            : "index.json could not be walked");
  }
  cli_printf("  findings       %zu error%s, %zu warning%s, %zu info\n", sum->errors, sum->errors == 1 ? "" : "s",
         sum->warnings, sum->warnings == 1 ? "" : "s", sum->infos);
  if (sum->findings_dropped)
    cli_printf("  (%zu findings not shown: more than the report keeps)\n", sum->findings_dropped);
  if (r->n_signatures || r->trust_given) {
    size_t verified = 0;
    for (size_t i = 0; i < r->n_signatures; i++)
      verified += r->signatures[i].verdict == OCIDIG_SIG_VERIFIED;
    cli_printf("  signatures     %zu found, %zu verified", r->n_signatures, verified);
    if (r->trust_given)
      cli_printf("; %zu image%s without a verified signature", r->images_unsigned, r->images_unsigned == 1 ? "" : "s");
    cli_printf("\n");
  }
  if (r->error.code != OCIDIG_OK)
    cli_printf("%sfailed%s: %s (%s)\n", s.red, s.reset, cli_text(r->error.message), ocidig_code_name(r->error.code));
  else if (sum->errors)
    cli_printf("%sfailed%s: %zu error%s\n", s.red, s.reset, sum->errors, sum->errors == 1 ? "" : "s");
  else if (fail_on_warning && sum->warnings)
    cli_printf("%sfailed%s: %zu warning%s (--fail-on warning)\n", s.red, s.reset, sum->warnings,
           sum->warnings == 1 ? "" : "s");
  else if (r->trust_given && r->images_unsigned)
    cli_printf("%sfailed%s: policy not met: %zu image%s without a verified signature\n", s.red, s.reset,
               r->images_unsigned, r->images_unsigned == 1 ? "" : "s");
  else
    cli_printf("%sok%s: no errors\n", s.green, s.reset);
}

/* --------------------------------------------------------------- command */

int cmd_verify(int argc, char **argv)
{
  enum { OPT_FAIL_ON = 256, OPT_MAX_BYTES };
  static const struct option longopts[] = {
    {"platform", required_argument, NULL, 'p'},
    {"strict", no_argument, NULL, 's'},
    {"all-platforms", no_argument, NULL, 'a'},
    {"ref", required_argument, NULL, 'r'},
    {"json", no_argument, NULL, 'j'},
    {"deep", no_argument, NULL, 'd'},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    CLI_TRUST_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *platform = NULL, *ref = NULL, *source;
  bool strict = false, all = false, json = false, fail_on_warning = false, deep = false;
  ocidig_matcher *matcher = NULL;
  ocidig_layout *layout = NULL;
  ocidig_verify_report *r = NULL;
  ocidig_error err = {0};
  /* At once for an input of PROGRESS_MIN or more, else after two seconds. */
  cli_progress prog = {.what = "verifying", .delay = 2, .min_bytes = PROGRESS_MIN};
  uint64_t max_bytes = 0;
  ocidig_code rc;
  int c, status;
  cli_trust trust = {0};

  optind = 1;
  while ((c = getopt_long(argc, argv, "p:sar:jdh", longopts, NULL)) != -1) {
    switch (c) {
    case 'p': platform = optarg; break;
    case 's': strict = true; break;
    case 'a': all = true; break;
    case 'r': ref = optarg; break;
    case 'j': json = true; break;
    case 'd': deep = true; break;
    case OPT_FAIL_ON:
      if (!strcmp(optarg, "warning"))
        fail_on_warning = true;
      else if (strcmp(optarg, "error"))
        return cli_usage("verify", "--fail-on takes 'error' or 'warning', not '%s'", optarg);
      break;
    case OPT_MAX_BYTES:
      if ((status = cli_max_bytes("verify", optarg, &max_bytes)) != 0)
        return status;
      break;
    case 'h': help(); return 0;
    default:
      if (!cli_trust_option(&trust, c, optarg))
        return cli_usage("verify", "bad option");
    }
  }
  if (optind + 1 != argc)
    return cli_usage("verify", optind == argc ? "no SOURCE given" : "one SOURCE only");
  source = argv[optind];
  if (platform && all)
    return cli_usage("verify", "--platform and --all-platforms do not go together");
  if (strict && !platform)
    return cli_usage("verify", "--strict needs --platform");
  if (ref && !*ref)
    return cli_usage("verify", "--ref needs a name or @DIGEST");
  if (platform && (status = cli_matcher(platform, strict, &matcher)) != 0)
    return status;
  if ((status = cli_trust_load(&trust, "verify")) != 0) {
    cli_trust_free(&trust);
    ocidig_matcher_free(matcher);
    return status;
  }

  /* --deep: the layers are read inside as they pass in the one pass (standard input too) */
  {
    ocidig_open_options oo = {.flags = OCIDIG_OPEN_HASH_BLOBS | (deep ? OCIDIG_OPEN_READ_LAYERS : 0),
                              .small_cap = strcmp(source, "-") ? VERIFY_SMALL_CAP : 0,
                              .progress = cli_progress_cb,
                              .progress_ctx = &prog,
                              .max_bytes = max_bytes};
    rc = ocidig_layout_open(source, &oo, &layout, &err);
  }
  cli_progress_end(&prog);
  if (rc == OCIDIG_OK) {
    ocidig_verify_options vo = {.matcher = matcher,
                                .strict = strict,
                                .host = cli_host(),
                                .ref = ref,
                                .progress = cli_progress_cb,
                                .progress_ctx = &prog,
                                .deep = deep,
                                .trust = &trust.opts};
    ocidig_verify(layout, &vo, &r, &err);
    cli_progress_end(&prog);
  } else if ((r = calloc(1, sizeof *r)) != NULL) {
    /* Still one report: the source, the error, nothing checked. */
    r->source = strdup(source);
    r->error = err;
    r->strict = strict;
    r->ref = ref ? strdup(ref) : NULL;
    r->request = matcher ? ocidig_platform_format(ocidig_matcher_request(matcher)) : NULL;
  }
  if (!r) {
    cli_error("out of memory");
    status = EXIT_UNREADABLE;
    goto out;
  }

  if (json) {
    /* Written as it is made: the report of 100,000 images is never one text in memory. */
    ocidig_json_options jo = {.pretty = true};
    cli_json_stream st = {0};
    ocidig_error jerr;
    ocidig_code jrc = ocidig_verify_report_write_json(r, &jo, cli_json_sink, &st, &jerr);
    cli_json_end(&st);
    if (jrc != OCIDIG_OK && jrc != OCIDIG_ERR_OUTPUT) {
      status = cli_fail(&jerr);
      goto out;
    }
  } else if (rc == OCIDIG_OK || (r->n_findings && ocidig_code_exit_status(r->error.code) != EXIT_USAGE)) {
    print_text(r, source, fail_on_warning);
  }
  if (!json && r->error.code != OCIDIG_OK)
    cli_error("%s (%s)", cli_text(r->error.message), ocidig_code_name(r->error.code));
  status = ocidig_verify_exit_status(r, fail_on_warning);
out:
  ocidig_verify_report_free(r);
  ocidig_layout_close(layout);
  ocidig_matcher_free(matcher);
  cli_trust_free(&trust);
  cli_text_free();
  return status;
}
