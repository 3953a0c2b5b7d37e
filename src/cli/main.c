/* main.c: ocidig COMMAND [OPTIONS] SOURCE; dispatches to one file per command. */
#include "cli.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static const cli_command commands[] = {
  {"ls", "list every image and platform of a bundle", cmd_ls},
  {"inspect", "show the image a platform resolves to: config, layers, history", cmd_inspect},
  {"resolve", "pick the manifest for a platform and explain every descriptor", cmd_resolve},
  {"verify", "check every digest, size and rule of the layout", cmd_verify},
  {"cat", "write a blob, index.json, the manifest or the config to stdout, verified", cmd_cat},
  {"files", "list the merged file tree of an image (or one layer's changes), wasted space", cmd_files},
  {"diff", "show what differs between two images: config, layers, files", cmd_diff},
  {"platform", "show how platform specifiers parse, normalize and match", cmd_platform},
  {"verify-bundle", "verify a Sigstore bundle for a file or digest, offline", cmd_verify_bundle},
  {"audit", "verify many sources at once against a lock file (ls --lock)", cmd_audit},
};

/* The usage on standard output (--help) or, when no command is given, standard error. */
static void usage(bool to_stderr)
{
  void (*put)(const char *) = to_stderr ? cli_eputs : cli_puts;
  put("Usage: ocidig COMMAND [OPTIONS] SOURCE\n"
      "\n"
      "Inspect an OCI image layout offline: a directory, an archive of one (tar,\n"
      "tar.gz, tar.zst, tar.xz, ...), or - for an archive on standard input.\n"
      "\n"
      "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    char line[160];
    snprintf(line, sizeof line, "  %-10s %s\n", commands[i].name, commands[i].summary);
    put(line);
  }
  put("\n"
      "Run 'ocidig COMMAND --help' for a command's options.\n"
      "\n"
      "Exit status: 0 selected/ok, 1 no manifest matches, 2 usage error,\n"
      "3 input unreadable as a layout, 4 integrity or content error,\n"
      "5 the output could not be written, 6 a signature or audit policy not met.\n");
}

/* OpenSSL reads its configuration file (openssl.cnf) on first use unless told not to:
 * ~0.35 ms of every run (loading it pulls in every error string and algorithm name), and
 * a host's file that changes providers or policy would change ocidig's verdicts.  So the file is
 * read only when the user names one in OPENSSL_CONF; the digests every command needs are
 * then checked to be there, so that a configuration without them is said as such rather
 * than as a failure of the first hash. */
static int crypto_init(void)
{
  const char *conf = getenv("OPENSSL_CONF");
  EVP_MD *md;
  bool ok;
  if (!conf || !*conf) {
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
    return 0;
  }
  if (!OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL)) { /* a file that fails to load */
    char why[256] = "";
    unsigned long e = ERR_peek_last_error();
    if (e)
      ERR_error_string_n(e, why, sizeof why);
    ERR_clear_error();
    cli_error("OPENSSL_CONF=%s: OpenSSL could not load this configuration%s%s (usage)", conf, e ? ": " : "", why);
    return EXIT_USAGE;
  }
  ok = (md = EVP_MD_fetch(NULL, "SHA2-256", NULL)) != NULL;
  EVP_MD_free(md);
  ok = ok && (md = EVP_MD_fetch(NULL, "SHA2-512", NULL)) != NULL;
  EVP_MD_free(md);
  ERR_clear_error();
  if (!ok) {
    cli_error("OPENSSL_CONF=%s: OpenSSL offers no SHA-256 or SHA-512 with this configuration "
              "(ocidig needs the default provider's digests; a provider it names may have failed to load) (usage)", conf);
    return EXIT_USAGE;
  }
  return 0;
}

/* A command's --help needs no digest: OpenSSL's configuration is not checked for it. */
static bool asks_help(int argc, char **argv)
{
  for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
      return true;
  return false;
}

static int run(int argc, char **argv)
{
  int status;
  if (argc < 2) {
    usage(true);
    return EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(false);
    return 0;
  }
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
    cli_printf("ocidig %s\n", ocidig_version());
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name))
      return !asks_help(argc, argv) && (status = crypto_init()) != 0 ? status : commands[i].run(argc - 1, argv + 1);
  cli_error("unknown command '%s' (see 'ocidig --help')", argv[1]);
  return EXIT_USAGE;
}

int main(int argc, char **argv)
{
  cli_start();
  /* Every command's output is checked here: a write error on standard output (now or
   * earlier: the stream's error flag stays set) is reported and exits 5. */
  return cli_finish(run(argc, argv));
}
