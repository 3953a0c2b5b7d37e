/* check_findings.c: the one table of verify's finding codes (src/lib/verify/findings.c, compiled
 * in) and the README's table printed from it.
 *
 *   check_findings                 the tests: the table is whole (every code of the enum has a
 *                                  name, a severity, a one-line meaning; names unique, kebab-case),
 *                                  README.md's table is the one printed from it, and every finding
 *                                  ocidig_verify gives on the fixtures of testdata/verify has a
 *                                  code of the table with the table's severity
 *   check_findings --print         prints the README's table
 *   check_findings --write README  rewrites the table of README (make readme-findings) */
#include "testutil.h"

#include "verify/verify.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef README_PATH
#define README_PATH TESTDATA "/../README.md"
#endif

#define BEGIN_MARK "<!-- finding codes: printed from src/lib/verify/findings.c by `make readme-findings` -->\n"
#define END_MARK "<!-- end of finding codes -->\n"

/* by ocidig_severity */
static const char *const severity_word[] = {"info", "warning", "error"};
static const ocidig_severity row_order[] = {OCIDIG_SEVERITY_ERROR, OCIDIG_SEVERITY_WARNING, OCIDIG_SEVERITY_INFO};

/* The README's table: one row per severity, the codes in the table's order, those of docker
 * save archives last; what the README adds in parentheses after a code. */
static char *table_markdown(void)
{
  size_t n, len = 0;
  const oci_vcode_info *t = oci_vcode_table(&n);
  char *buf = NULL;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return NULL;
  fputs("| severity | codes |\n| --- | --- |\n", f);
  for (int row = 0; row < 3; row++) {
    ocidig_severity sev = row_order[row];
    fprintf(f, "| %s |", severity_word[sev]);
    for (int docker = 0; docker < 2; docker++) {
      bool first = true;
      for (size_t i = 0; i < n; i++) {
        if (t[i].severity != sev || t[i].docker != (docker == 1))
          continue;
        if (first && docker)
          fputs("; docker save archives:", f);
        fprintf(f, "%s `%s`", first ? "" : ",", t[i].code);
        if (t[i].readme)
          fprintf(f, " (%s)", t[i].readme);
        first = false;
      }
    }
    fputs(" |\n", f);
  }
  fputs("\nThe rule of the OCI image spec each code checks (its file and property or section; MUST or "
        "SHOULD):\n\n| code | rule |\n| --- | --- |\n",
        f);
  for (size_t i = 0; i < n; i++)
    if (t[i].rule)
      fprintf(f, "| `%s` | %s |\n", t[i].code, t[i].rule);
  fclose(f);
  return buf;
}

/* The table between the marks of README (malloc'd), or NULL; *start, *end: its offsets. */
static char *readme_table(const char *text, size_t *start, size_t *end)
{
  const char *b = strstr(text, BEGIN_MARK), *e;
  if (!b)
    return NULL;
  b += strlen(BEGIN_MARK);
  if (!(e = strstr(b, END_MARK)))
    return NULL;
  *start = (size_t)(b - text);
  *end = (size_t)(e - text);
  return strndup(b, (size_t)(e - b));
}

START_TEST(test_table_whole)
{
  size_t n;
  const oci_vcode_info *t = oci_vcode_table(&n);
  ck_assert_uint_eq(n, VF_N_CODES);
  for (size_t i = 0; i < n; i++) {
    ck_assert_msg(t[i].code != NULL, "oci_vcode %zu has no entry in findings.c", i);
    ck_assert_msg(t[i].meaning && *t[i].meaning && !strchr(t[i].meaning, '\n'), "%s: no one-line meaning",
                  t[i].code);
    ck_assert_msg(!t[i].readme || (*t[i].readme && !strchr(t[i].readme, '\n') && !strchr(t[i].readme, '|')),
                  "%s: the README's note must be one line without '|'", t[i].code);
    ck_assert_msg(!t[i].rule || (*t[i].rule && !strchr(t[i].rule, '\n') && !strchr(t[i].rule, '|') &&
                                 (strstr(t[i].rule, "(MUST)") || strstr(t[i].rule, "(SHOULD"))),
                  "%s: the spec's rule must be one line without '|' that says MUST or SHOULD", t[i].code);
    ck_assert_msg(t[i].severity == OCIDIG_SEVERITY_ERROR || t[i].severity == OCIDIG_SEVERITY_WARNING ||
                      t[i].severity == OCIDIG_SEVERITY_INFO,
                  "%s: severity", t[i].code);
    ck_assert_msg(strspn(t[i].code, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(t[i].code) &&
                      t[i].code[0] != '-' && !strstr(t[i].code, "--"),
                  "%s: not kebab-case", t[i].code);
    ck_assert_ptr_eq(oci_vcode_get((oci_vcode)i), &t[i]);
    for (size_t j = 0; j < i; j++)
      ck_assert_msg(strcmp(t[i].code, t[j].code), "%s is in the table twice", t[i].code);
  }
}
END_TEST

START_TEST(test_readme_matches)
{
  size_t len, start, end;
  char *text = tu_read_file(README_PATH, &len);
  char *have = readme_table(text, &start, &end), *want = table_markdown();
  ck_assert_ptr_nonnull(want);
  ck_assert_msg(have != NULL, "README.md has no table of finding codes between the marks");
  if (strcmp(have, want))
    fprintf(stderr, "README.md's table of finding codes:\n%s\nexpected (make readme-findings writes it):\n%s\n", have,
            want);
  ck_assert_msg(!strcmp(have, want), "README.md's table of finding codes differs from findings.c's; run make "
                                     "readme-findings");
  free(have);
  free(want);
  free(text);
}
END_TEST

/* What ocidig_verify reports has a code of the table, with its severity. */
static void check_codes_of(const char *path)
{
  ocidig_open_options oo = {.flags = OCIDIG_OPEN_HASH_BLOBS};
  ocidig_layout *l = NULL;
  ocidig_verify_report *r = NULL;
  ocidig_error err;
  size_t n;
  const oci_vcode_info *t = oci_vcode_table(&n);
  if (ocidig_layout_open(path, &oo, &l, &err) != OCIDIG_OK)
    return; /* not a layout of its own (MANIFEST, ...) */
  ocidig_verify(l, NULL, &r, &err);
  ck_assert_ptr_nonnull(r);
  for (size_t i = 0; i < r->n_findings; i++) {
    const ocidig_finding *f = &r->findings[i];
    size_t k = 0;
    while (k < n && strcmp(t[k].code, f->code))
      k++;
    ck_assert_msg(k < n, "%s: finding code %s is not in findings.c's table", path, f->code);
    ck_assert_msg(t[k].severity == f->severity, "%s: %s reported as %s, the table says %s", path, f->code,
                  severity_word[f->severity], severity_word[t[k].severity]);
  }
  ocidig_verify_report_free(r);
  ocidig_layout_close(l);
}

START_TEST(test_fixture_codes_in_table)
{
  DIR *d = opendir(TESTDATA "/verify");
  struct dirent *e;
  size_t count = 0;
  ck_assert_ptr_nonnull(d);
  while ((e = readdir(d)) != NULL) {
    char path[4096];
    if (e->d_name[0] == '.' || !strcmp(e->d_name, "MANIFEST"))
      continue;
    snprintf(path, sizeof path, "%s/verify/%s", TESTDATA, e->d_name);
    check_codes_of(path);
    count++;
  }
  closedir(d);
  ck_assert_uint_gt(count, 50);
}
END_TEST

/* Outside a test: no ck_assert (Check reports to a test that is not running). */
static char *read_all(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t cap = 0;
  *len = 0;
  if (!f)
    return NULL;
  for (;;) {
    size_t got;
    if (*len + 4096 + 1 > cap) {
      char *nb = realloc(buf, cap = cap * 2 + 4096 + 1);
      if (!nb) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
    }
    got = fread(buf + *len, 1, cap - *len - 1, f);
    *len += got;
    if (!got)
      break;
  }
  buf[*len] = '\0';
  if (ferror(f)) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  return buf;
}

static int write_readme(const char *path)
{
  size_t len, start, end;
  char *text = read_all(path, &len), *have = text ? readme_table(text, &start, &end) : NULL,
       *want = table_markdown();
  FILE *f;
  if (!text || !want) {
    perror(path);
    return 1;
  }
  if (!have) {
    fprintf(stderr, "%s: no table of finding codes between the marks\n%s%s", path, BEGIN_MARK, END_MARK);
    return 1;
  }
  if (strcmp(have, want)) {
    if (!(f = fopen(path, "w")) || fwrite(text, 1, start, f) != start || fputs(want, f) == EOF ||
        fwrite(text + end, 1, len - end, f) != len - end || fclose(f) != 0) {
      perror(path);
      return 1;
    }
    printf("%s: table of finding codes rewritten\n", path);
  }
  free(have);
  free(want);
  free(text);
  return 0;
}

int main(int argc, char **argv)
{
  Suite *s;
  TCase *tc;
  if (argc == 2 && !strcmp(argv[1], "--print")) {
    char *t = table_markdown();
    if (!t)
      return 1;
    fputs(t, stdout);
    free(t);
    return fflush(stdout) ? 1 : 0;
  }
  if (argc == 3 && !strcmp(argv[1], "--write"))
    return write_readme(argv[2]);
  s = suite_create("findings");
  tc = tcase_create("table");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_table_whole);
  tcase_add_test(tc, test_readme_matches);
  tcase_add_test(tc, test_fixture_codes_in_table);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
