/* cmd_verify_bundle.c: ocidig verify-bundle: a detached Sigstore bundle verified offline
 * (the sigstore-conformance command-line protocol). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void help(void)
{
  cli_puts(
          "Usage: ocidig verify-bundle --bundle FILE --trusted-root FILE\n"
          "           (--certificate-identity[-regexp] I --certificate-oidc-issuer[-regexp] O\n"
          "            | --key PUBKEY.pem) [--json] FILE|sha256:HEX\n"
          "\n"
          "Verify a Sigstore bundle (v0.1 to v0.3; a message signature or a DSSE envelope with an\n"
          "in-toto statement) for an artifact, offline: nothing is fetched.  The artifact is a\n"
          "file, or its digest as sha256: and 64 hex digits (when no file has that name).\n"
          "\n"
          "Checked: the signing certificate's chain to a certificate authority of the trusted\n"
          "root valid at the signing time; its SCTs against the root's CT logs; its identity\n"
          "(SAN URI, email or DNS name) and OIDC issuer; every transparency log entry (the log\n"
          "in the root, the entry's body against the bundle, the signed entry timestamp, the\n"
          "inclusion proof and its signed checkpoint; Rekor v1 and v2); every RFC 3161 timestamp\n"
          "against the root's timestamp authorities; the signature over the artifact (or over\n"
          "the DSSE envelope, whose in-toto subject must be the artifact).  With --key, a bundle\n"
          "signed by that key (its log entries too).\n"
          "\n"
          "Options:\n"
          "      --bundle FILE                   the bundle (.sigstore.json)\n"
          "      --trusted-root FILE             trusted_root.json (required: no TUF, no network)\n"
          "      --certificate-identity I        the identity the certificate must name exactly\n"
          "      --certificate-identity-regexp R a POSIX extended regular expression found in it\n"
          "      --certificate-oidc-issuer O     the OIDC issuer, exactly\n"
          "      --certificate-oidc-issuer-regexp R  ... or a regular expression found in it\n"
          "      --key FILE                      a PEM public key (ECDSA, RSA, Ed25519)\n"
          "      --staging                       accepted and ignored (the trusted root decides)\n"
          "      --json                          the verdict as JSON on standard output\n"
          "  -h, --help                          this help\n"
          "\n"
          "Regular expressions are matched as cosign matches its -regexp flags: anywhere in the\n"
          "value unless anchored with ^ and $.\n"
          "\n"
          "Exit status: 0 verified, 1 not verified (the reason on standard error: bad-signature,\n"
          "untrusted-key, identity-mismatch, subject-mismatch, expired, tlog-invalid,\n"
          "timestamp-invalid, malformed, unsupported), 2 usage error, 3 a file unreadable,\n"
          "5 standard output could not be written.\n");
}

enum { OPT_BUNDLE = 256, OPT_ROOT, OPT_ID, OPT_ID_RE, OPT_ISS, OPT_ISS_RE, OPT_KEY, OPT_STAGING, OPT_JSON };

int cmd_verify_bundle(int argc, char **argv)
{
  static const struct option longopts[] = {
    {"bundle", required_argument, NULL, OPT_BUNDLE},
    {"trusted-root", required_argument, NULL, OPT_ROOT},
    {"certificate-identity", required_argument, NULL, OPT_ID},
    {"certificate-identity-regexp", required_argument, NULL, OPT_ID_RE},
    {"certificate-oidc-issuer", required_argument, NULL, OPT_ISS},
    {"certificate-oidc-issuer-regexp", required_argument, NULL, OPT_ISS_RE},
    {"key", required_argument, NULL, OPT_KEY},
    {"staging", no_argument, NULL, OPT_STAGING},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *bundle_path = NULL, *root_path = NULL, *key_path = NULL;
  ocidig_sig_options opts;
  memset(&opts, 0, sizeof opts);
  bool json = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_BUNDLE: bundle_path = optarg; break;
    case OPT_ROOT: root_path = optarg; break;
    case OPT_ID: opts.identity = optarg; break;
    case OPT_ID_RE: opts.identity_regexp = optarg; break;
    case OPT_ISS: opts.issuer = optarg; break;
    case OPT_ISS_RE: opts.issuer_regexp = optarg; break;
    case OPT_KEY: key_path = optarg; break;
    case OPT_STAGING: break;
    case OPT_JSON: json = true; break;
    case 'h': help(); return 0;
    default:
      return cli_usage("verify-bundle", "unknown option or missing argument: %s", argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return cli_usage("verify-bundle", "one artifact (FILE or sha256:HEX) is needed");
  if (!bundle_path)
    return cli_usage("verify-bundle", "--bundle is required");
  if (!root_path)
    return cli_usage("verify-bundle", "--trusted-root is required: ocidig fetches nothing (no TUF)");
  if ((opts.identity && opts.identity_regexp) || (opts.issuer && opts.issuer_regexp))
    return cli_usage("verify-bundle", "give an identity (or issuer) exactly or as a regexp, not both");
  bool have_policy = (opts.identity || opts.identity_regexp) && (opts.issuer || opts.issuer_regexp);
  if (!key_path && !have_policy)
    return cli_usage("verify-bundle", "--key, or --certificate-identity and --certificate-oidc-issuer, are required");
  if (key_path && (opts.identity || opts.identity_regexp || opts.issuer || opts.issuer_regexp))
    return cli_usage("verify-bundle", "--key and a certificate identity are two ways to verify: give one");

  const char *what = argv[optind];
  ocidig_sig_artifact art;
  ocidig_error err;
  struct stat st;
  bool digest = !strncmp(what, "sha256:", 7) && strlen(what) == 71 && stat(what, &st) != 0;
  ocidig_code rc = digest ? ocidig_sig_artifact_from_digest(what, &art, &err)
                          : ocidig_sig_artifact_from_file(what, &art, &err);
  if (rc != OCIDIG_OK) {
    cli_error("artifact: %s", err.message);
    return digest ? EXIT_USAGE : EXIT_UNREADABLE;
  }
  uint8_t *bundle = NULL, *root = NULL, *key = NULL;
  size_t bundle_len = 0, root_len = 0, key_len = 0;
  int st_rc = cli_slurp(bundle_path, "bundle", &bundle, &bundle_len);
  if (!st_rc)
    st_rc = cli_slurp(root_path, "trusted root", &root, &root_len);
  if (!st_rc && key_path)
    st_rc = cli_slurp(key_path, "key", &key, &key_len);
  int status = st_rc;
  if (!st_rc) {
    opts.trusted_root = root;
    opts.trusted_root_len = root_len;
    opts.key_pem = key;
    opts.key_pem_len = key_len;
    ocidig_sig_result res;
    rc = ocidig_sig_verify_bundle(bundle, bundle_len, &art, &opts, &res, &err);
    if (rc != OCIDIG_OK) {
      status = cli_fail(&err);
    } else {
      if (json) {
        char *text = ocidig_sig_result_to_json(&res);
        if (!text) {
          cli_error("out of memory");
          status = ocidig_code_exit_status(OCIDIG_ERR_NOMEM); /* never an integrity failure */
        } else {
          cli_put_json(text);
          free(text);
        }
      }
      if (res.verdict == OCIDIG_SIG_VERIFIED) {
        if (!json) {
          char when[40] = "";
          time_t t = (time_t)res.signed_at;
          struct tm tm;
          if (res.signed_at && gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
          cli_puts("verified: ");
          cli_put_escaped(res.signer, false);
          if (res.issuer[0]) {
            cli_puts(" (issuer ");
            cli_put_escaped(res.issuer, false);
            cli_puts(")");
          }
          if (when[0])
            cli_printf(", signed %s", when);
          cli_putc('\n');
        }
        status = status ? status : 0;
      } else {
        cli_error("verify-bundle: %s: %s", ocidig_sig_verdict_name(res.verdict), res.reason);
        status = status ? status : EXIT_NO_MATCH;
      }
    }
  }
  free(bundle);
  free(root);
  free(key);
  return status;
}
