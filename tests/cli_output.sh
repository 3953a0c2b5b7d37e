#!/bin/sh
# cli_output.sh: the CLI's one output layer (issue 13, item 5).
#  - no file of src/cli but output.c writes to a stream itself: no printf, puts, putchar,
#    putc, fputs, fputc, fwrite, fprintf, vprintf, vfprintf, dprintf, perror, fflush or
#    write(2) call, and no mention of stdout, stderr or their descriptor numbers, outside
#    comments and string literals;
#  - no file of src/cli but output.c serializes JSON itself (json_object_to_json_string*);
#  - a failed write on standard output, in the middle of a long text or JSON output, is
#    reported once (one line on stderr, exit 5), whatever the command.
. "$TESTS_DIR/lib.sh"
S="$TESTDATA/samples"
CLI_SRC="$TESTS_DIR/../src/cli"

# code_of FILE: FILE without its comments, string literals and character literals (each
# literal left as "" or ''), line numbers kept.
code_of() {
  awk '
    BEGIN { incomment = 0 }
    {
      line = $0; out = ""; i = 1; n = length(line)
      while (i <= n) {
        c = substr(line, i, 1); d = substr(line, i, 2)
        if (incomment) {
          if (d == "*/") { incomment = 0; i += 2 } else i++
          continue
        }
        if (d == "/*") { incomment = 1; i += 2; continue }
        if (d == "//") break
        if (c == "\"" || c == "\047") {
          q = c; out = out q; i++
          while (i <= n && substr(line, i, 1) != q) { if (substr(line, i, 1) == "\\") i++; i++ }
          out = out q; i++
          continue
        }
        out = out c; i++
      }
      print out
    }' "$1"
}

WRITES='(^|[^A-Za-z0-9_])(printf|vprintf|puts|putchar|putc|fputs|fputc|fwrite|fprintf|vfprintf|dprintf|perror|fflush|write)[[:space:]]*\(|(^|[^A-Za-z0-9_])(stdout|stderr|STDOUT_FILENO|STDERR_FILENO)([^A-Za-z0-9_]|$)'
JSON='json_object_to_json_string'

# stream_writes FILE: the lines of FILE (file:line: code) that write to a stream.
stream_writes() {
  code_of "$1" | grep -nE "$WRITES" | sed "s|^|$(basename "$1"):|"
}
json_writes() {
  code_of "$1" | grep -n "$JSON" | sed "s|^|$(basename "$1"):|"
}

# The checker itself: it finds a write in code, and not in a comment or a string.
cat >"$T_TMP/probe.c" <<'EOF'
/* printf("in a comment"), stdout */
static const char *s = "fputs(x, stdout) in a string";
static void f(void)
{
  cli_printf("%s\n", "printf(");  // fwrite( in a line comment
  snprintf(buf, n, "x");
  fprintf(stderr, "y");
  /* a comment
     over lines: puts("z"); stdout */
  if (isatty(STDOUT_FILENO)) return;
  putchar('"');
  x = json_object_to_json_string_ext(o, 0);
}
EOF
got=$(stream_writes "$T_TMP/probe.c" | cut -d: -f2 | tr '\n' ' ')
expect_eq "$got" "7 10 11 " "the checker finds the writes of a probe (fprintf to stderr, STDOUT_FILENO, putchar) and nothing in comments, strings or cli_printf/snprintf"
got=$(json_writes "$T_TMP/probe.c" | cut -d: -f2 | tr '\n' ' ')
expect_eq "$got" "12 " "the checker finds a JSON serialization in a probe"

# The sources.
n_files=0
for f in "$CLI_SRC"/*.c "$CLI_SRC"/*.h; do
  [ -f "$f" ] || continue
  n_files=$((n_files + 1))
  case "$(basename "$f")" in output.c) continue ;; esac
  hits=$(stream_writes "$f")
  if [ -z "$hits" ]; then ok "$(basename "$f"): writes only through the output module"
  else not_ok "$(basename "$f") writes to a stream itself (use output.h): $hits"; fi
  hits=$(json_writes "$f")
  if [ -z "$hits" ]; then ok "$(basename "$f"): JSON only through cli_put_json/cli_put_json_object"
  else not_ok "$(basename "$f") serializes JSON itself (use cli_put_json_object): $hits"; fi
done
[ "$n_files" -ge 8 ] && ok "the CLI's sources were found ($n_files files)" || not_ok "the CLI's sources were not found under $CLI_SRC"
hits=$(stream_writes "$CLI_SRC/output.c")
[ -n "$hits" ] && ok "output.c is where the writes are" || not_ok "output.c has no stream write: the checker is blind"

# A failed write: one message, exit 5, for long outputs (several buffers of text or JSON).
if [ -c /dev/full ]; then
  while read -r desc args; do
    # shellcheck disable=SC2086
    eval "set -- $args"
    ${OCIDIG_WRAPPER:-} "$OCIDIG" "$@" >/dev/full 2>"$T_TMP/err" </dev/null
    rc=$?
    err=$(cat "$T_TMP/err")
    expect_rc 5 "$desc to /dev/full"
    expect_eq "$(grep -c . "$T_TMP/err")" 1 "$desc to /dev/full: one line on stderr"
    expect_err_has "ocidig: standard output: No space left on device (output-error)" "$desc to /dev/full: the message"
  done <<EOF
verify-json verify --json "$S/buildah-multiarch"
verify verify "$S/containerd-export-allplatforms.tar"
ls-json ls --json "$S/containerd-export-allplatforms.tar"
inspect inspect --platform linux/amd64 "$S/buildah-multiarch"
resolve-json resolve --json --platform linux/arm64 "$S/buildah-multiarch"
platform platform linux/arm64 linux/arm/v7 linux/amd64/v3 windows/amd64 aarch64
help --help
EOF
else
  skip "writes to /dev/full" "no /dev/full here"
fi
finish
