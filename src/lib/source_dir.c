/* source_dir.c: a layout directory.  Every path is resolved and checked to stay inside
 * the root before it is opened; special files are never opened for reading (O_NONBLOCK
 * keeps a FIFO from hanging the open, fstat then refuses it). */
#include "layout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_READ_CHUNK (256u * 1024)
#define DIR_WALK_MAX_DEPTH 8

ocidig_code oci_dir_open(ocidig_layout *l, ocidig_error *err)
{
  l->root_real = realpath(l->path, NULL);
  if (!l->root_real)
    return oci_fail(err, OCIDIG_ERR_IO, "%s: %s", l->path, strerror(errno));
  return OCIDIG_OK;
}

static bool inside_root(const ocidig_layout *l, const char *real)
{
  size_t n = strlen(l->root_real);
  if (n == 1) /* the root is "/" */
    return true;
  return !strncmp(real, l->root_real, n) && (real[n] == '/' || real[n] == '\0');
}

/* Opens relpath for reading if it is a regular file inside the root.  Absent, leaving
 * the root, or not a regular file: OCIDIG_ERR_BLOB_MISSING (with a warning for the
 * latter two). */
static ocidig_code open_inside(ocidig_layout *l, const char *relpath, int *fd_out, struct stat *st,
                               ocidig_error *err)
{
  char *full, *real;
  int fd;
  bool unsafe;
  char *clean = oci_member_name_clean(relpath, &unsafe);
  *fd_out = -1;
  if (!clean || !*clean) {
    free(clean);
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s: not a path inside the layout", relpath);
  }
  full = oci_sprintf("%s/%s", l->root_real, clean);
  free(clean);
  if (!full)
    return oci_nomem(err);
  real = realpath(full, NULL);
  free(full);
  if (!real) {
    if (errno == ENOENT || errno == ENOTDIR)
      return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s is not in the layout", relpath);
    if (errno == ELOOP) {
      oci_layout_warn(l, "%s is a loop of symbolic links: treated as absent", relpath);
      return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s is a loop of symbolic links", relpath);
    }
    return oci_fail(err, OCIDIG_ERR_IO, "%s/%s: %s", l->path, relpath, strerror(errno));
  }
  if (!inside_root(l, real)) {
    oci_layout_warn(l, "%s is a symbolic link leading outside the layout (to %s): treated as absent", relpath, real);
    free(real);
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s leads outside the layout", relpath);
  }
  fd = open(real, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    ocidig_code rc = oci_fail(err, OCIDIG_ERR_IO, "%s/%s: %s", l->path, relpath, strerror(errno));
    free(real);
    return rc;
  }
  free(real);
  if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
    close(fd);
    oci_layout_warn(l, "%s is not a regular file: treated as absent", relpath);
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s is not a regular file", relpath);
  }
  *fd_out = fd;
  return OCIDIG_OK;
}

ocidig_code oci_dir_stat(ocidig_layout *l, const char *relpath, ocidig_entry *out, ocidig_error *err)
{
  struct stat st;
  int fd;
  ocidig_code rc = open_inside(l, relpath, &fd, &st, err);
  if (rc != OCIDIG_OK)
    return rc;
  close(fd);
  memset(out, 0, sizeof *out);
  out->path = NULL; /* not kept: the caller knows the path it asked for */
  out->type = OCIDIG_ENTRY_FILE;
  out->size = (int64_t)st.st_size;
  return OCIDIG_OK;
}

ocidig_code oci_dir_stream(ocidig_layout *l, const char *relpath, size_t max, ocidig_sink sink, void *ctx,
                           ocidig_error *err)
{
  struct stat st;
  int fd;
  uint8_t *buf;
  ocidig_code rc = open_inside(l, relpath, &fd, &st, err);
  if (rc != OCIDIG_OK)
    return rc;
  if ((uint64_t)st.st_size > max) {
    close(fd);
    return oci_fail(err, OCIDIG_ERR_JSON_TOO_LARGE, "%s: %lld bytes, more than the %zu-byte limit", relpath,
                    (long long)st.st_size, max);
  }
  if (!(buf = malloc(DIR_READ_CHUNK))) {
    close(fd);
    return oci_nomem(err);
  }
  for (uint64_t total = 0;;) {
    ssize_t n = read(fd, buf, DIR_READ_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = oci_fail(err, OCIDIG_ERR_IO, "%s/%s: %s", l->path, relpath, strerror(errno));
      break;
    }
    if (n == 0)
      break;
    total += (uint64_t)n;
    if (total > max) {
      rc = oci_fail(err, OCIDIG_ERR_JSON_TOO_LARGE, "%s: grew past the %zu-byte limit while read", relpath, max);
      break;
    }
    if ((rc = sink(ctx, buf, (size_t)n, err)) != OCIDIG_OK)
      break;
  }
  free(buf);
  close(fd);
  return rc;
}

static ocidig_code walk(ocidig_layout *l, const char *rel, int depth, ocidig_error *err)
{
  char *dirpath = *rel ? oci_sprintf("%s/%s", l->root_real, rel) : oci_strdup(l->root_real);
  DIR *d;
  struct dirent *de;
  ocidig_code rc = OCIDIG_OK;
  if (!dirpath)
    return oci_nomem(err);
  d = opendir(dirpath);
  if (!d) {
    oci_layout_warn(l, "%s/: cannot list: %s", *rel ? rel : ".", strerror(errno));
    free(dirpath);
    return OCIDIG_OK;
  }
  while (rc == OCIDIG_OK && (de = readdir(d)) != NULL) {
    struct stat st;
    oci_member m = {0};
    char *full;
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    m.path = *rel ? oci_sprintf("%s/%s", rel, de->d_name) : oci_strdup(de->d_name);
    full = m.path ? oci_sprintf("%s/%s", l->root_real, m.path) : NULL;
    if (!full) {
      oci_member_free(&m);
      rc = oci_nomem(err);
      break;
    }
    if (lstat(full, &st) != 0) {
      free(full);
      oci_member_free(&m);
      continue;
    }
    if (S_ISREG(st.st_mode)) {
      m.type = OCIDIG_ENTRY_FILE;
      m.size = (int64_t)st.st_size;
    } else if (S_ISDIR(st.st_mode)) {
      m.type = OCIDIG_ENTRY_DIRECTORY;
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlink(full, target, sizeof target - 1);
      char *real = realpath(full, NULL);
      struct stat tst;
      m.type = OCIDIG_ENTRY_SYMLINK;
      m.link_target = oci_strndup(target, n > 0 ? (size_t)n : 0);
      m.escapes = !real || !inside_root(l, real);
      if (!real)
        m.escapes = target[0] == '/' || n <= 0; /* dangling: escaping only if absolute */
      if (real && !m.escapes && stat(real, &tst) == 0 && S_ISREG(tst.st_mode))
        m.size = (int64_t)tst.st_size;
      free(real);
    } else {
      m.type = OCIDIG_ENTRY_SPECIAL;
    }
    free(full);
    {
      bool is_dir = m.type == OCIDIG_ENTRY_DIRECTORY;
      char *sub = is_dir ? oci_strdup(m.path) : NULL;
      if (is_dir && !sub) {
        oci_member_free(&m);
        rc = oci_nomem(err);
        break;
      }
      /* Directory entries are not looked up by path: keep them out of the table. */
      m.escapes = m.escapes || is_dir;
      rc = oci_member_add(l, &m, err);
      if (is_dir) {
        l->members[l->n_members - 1].escapes = false;
        if (rc == OCIDIG_OK && depth < DIR_WALK_MAX_DEPTH)
          rc = walk(l, sub, depth + 1, err);
      }
      free(sub);
    }
  }
  closedir(d);
  free(dirpath);
  return rc;
}

ocidig_code oci_dir_walk(ocidig_layout *l, ocidig_error *err)
{
  return walk(l, "", 0, err);
}
