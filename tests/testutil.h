/* testutil.h: fixtures and helpers shared by the Check tests. */
#ifndef OCIDIG_TESTUTIL_H
#define OCIDIG_TESTUTIL_H

#include "config.h"

#include "ocidig.h"

#include <check.h>
#include <json-c/json.h>
#include <stddef.h>

#ifndef TESTDATA
#define TESTDATA "testdata"
#endif

/* Reads a whole file (malloc'd, NUL-terminated); aborts the test on failure. */
char *tu_read_file(const char *path, size_t *len);
/* Loads a JSON file from testdata/ (path relative to it). */
json_object *tu_load_json(const char *relpath);
/* Makes a fresh temporary directory (malloc'd path). */
char *tu_mkdtemp(void);
/* Writes bytes to dir/relpath, creating parent directories. */
void tu_write(const char *dir, const char *relpath, const void *data, size_t len);
/* rm -rf */
void tu_rmtree(const char *path);
/* A sink (ocidig's writers) that collects what it is given: text (malloc'd, NUL-terminated),
 * the number of pieces and the largest; fail_after: it fails with OCIDIG_ERR_OUTPUT on that
 * piece (0: never). */
typedef struct tu_collect {
  char *text;
  size_t len, pieces, max_piece, fail_after;
} tu_collect;
ocidig_code tu_collect_sink(void *ctx, const void *buf, size_t len, ocidig_error *err);

/* Runs a suite, returns the process exit status. */
int tu_run(Suite *s);

#endif
