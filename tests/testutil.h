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
/* Runs a suite, returns the process exit status. */
int tu_run(Suite *s);

#endif
