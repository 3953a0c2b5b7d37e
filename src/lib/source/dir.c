/* dir.c: the directory source.  Every path is opened relative to a descriptor of the
 * root (opened once, when the source is opened), beneath it, with no window between a check and
 * the open: openat2(RESOLVE_BENEATH) where the kernel has it, else a walk one component at a
 * time with openat(O_NOFOLLOW) that reads and follows each symbolic link itself.  A symbolic
 * link is followed while its target stays inside the root.  An absolute target, or a ".."
 * above the root, is taken lexically against the root's canonical path (recorded once, at
 * open): if it comes back beneath the root, the walk goes on from the root's descriptor with
 * the rest (openat2 refuses such links with EXDEV: the walk then decides); if not, it leaves
 * (EXDEV) and the file counts as absent, with a warning naming the link.  Nothing outside the
 * root is ever opened, so a blob (or blobs/) swapped for a link to a file outside, even while
 * it is being opened, is never read.  Special files are never opened for reading (O_NONBLOCK keeps a FIFO from
 * hanging the open, fstat then refuses it). */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef OCIDIG_LAYOUT_H
#error "a source knows nothing of the layout above it (source.h)"
#endif

#define DIR_READ_CHUNK (256u * 1024)
#define DIR_WALK_MAX_DEPTH 8
#define DIR_MAX_LINKS 40 /* symbolic links followed in one path, as the kernel's MAXSYMLINKS */

#if defined(__linux__) && defined(SYS_openat2) && !defined(OCIDIG_NO_OPENAT2)
#define HAVE_OPENAT2_SYSCALL 1
/* <linux/openat2.h>, which older systems lack */
struct oci_open_how {
  uint64_t flags, mode, resolve;
};
#define OCI_RESOLVE_NO_MAGICLINKS 0x02
#define OCI_RESOLVE_BENEATH 0x08
#endif

#ifndef O_PATH
#define O_PATH O_RDONLY
#endif

typedef struct dir_source {
  oci_source base;
  char *path;
  int root_fd;      /* the root, opened once (O_PATH): every path is opened beneath it */
  char *root_canon; /* its canonical path (realpath, at open), for absolute link targets; or NULL */
  bool no_openat2;  /* the kernel (or a filter) refuses openat2: every open takes the walk */
  bool walked;      /* the tree has been walked (scan) */
  size_t next_ordinal;
} dir_source;

/* ------------------------------------------------------------ the walk */

typedef struct walk_level {
  int fd;
  size_t len; /* the length of the path before this level's name */
} walk_level;

typedef struct walker {
  int root;
  const char *canon; /* the root's canonical path, or NULL (unknown) */
  walk_level *lv; /* lv[1..depth]: the folders walked into (ours); the root is not */
  size_t depth, cap;
  oci_buf path;   /* where the walk stands, relative to the root */
  char *link, *target; /* the last symbolic link followed */
} walker;

static bool walker_push(walker *w, int fd, const char *name)
{
  if (!oci_grow((void **)&w->lv, &w->cap, w->depth + 2, sizeof *w->lv)) {
    close(fd);
    return false;
  }
  w->depth++;
  w->lv[w->depth].fd = fd;
  w->lv[w->depth].len = w->path.len;
  if (w->path.len)
    oci_buf_add(&w->path, "/", 1);
  oci_buf_puts(&w->path, name);
  return !w->path.failed;
}

static void walker_pop(walker *w)
{
  close(w->lv[w->depth].fd);
  w->path.len = w->lv[w->depth].len;
  if (w->path.s)
    w->path.s[w->path.len] = '\0';
  w->depth--;
}

static int walker_cur(const walker *w)
{
  return w->depth ? w->lv[w->depth].fd : w->root;
}

/* Notes a link met on the way (for the warning that names it). */
static void walker_note_link(walker *w, const char *name, const char *target)
{
  free(w->link);
  free(w->target);
  w->link = w->path.len ? oci_sprintf("%s/%s", w->path.s, name) : oci_strdup(name);
  w->target = oci_strdup(target);
}

/* The walk leaves the root on paper: a symbolic link with an absolute target, or a ".."
 * above the root.  head (taken as it is) and then tail are the absolute path it leads to,
 * walked lexically (the root's path is canonical, so ".." above it is its parent; nothing is
 * opened) until it is back at the root.  Returns what is left of tail to walk from the root
 * (malloc'd), or NULL with *e: EXDEV (it stays outside) or ENOMEM. */
static char *walk_reenter(const char *canon, const char *head, const char *tail, int *e)
{
  size_t rl, pl = 0;
  char *pos;
  const char *s;
  if (!canon) {
    *e = EXDEV;
    return NULL;
  }
  rl = strlen(canon);
  if (rl == 1) /* the root is "/" */
    rl = 0;
  if (!(pos = malloc(strlen(head) + strlen(tail) + 2))) {
    *e = ENOMEM;
    return NULL;
  }
  for (int part = 0; part < 2; part++) {
    for (s = part ? tail : head;;) {
      size_t n;
      if (part && pl == rl && !memcmp(pos, canon, rl)) { /* back at the root */
        char *rest = oci_strdup(s);
        free(pos);
        if (!rest)
          *e = ENOMEM;
        return rest;
      }
      while (*s == '/')
        s++;
      if (!*s)
        break;
      n = strcspn(s, "/");
      if (n == 2 && s[0] == '.' && s[1] == '.') {
        while (pl && pos[--pl] != '/')
          ;
      } else if (n != 1 || s[0] != '.') {
        pos[pl++] = '/';
        memcpy(pos + pl, s, n);
        pl += n;
      }
      s += n;
    }
  }
  free(pos);
  *e = EXDEV;
  return NULL;
}

/* Opens relpath beneath root one component at a time.  Every component is opened with
 * O_NOFOLLOW, so that a link swapped in after it was looked at fails the open (and the
 * component is looked at again) instead of being followed.  Returns the descriptor, or -1
 * with *e set. */
static int walk_open(walker *w, const char *relpath, int flags, int *e)
{
  char *rest = oci_strdup(relpath), *p;
  int links = 0, fd = -1;
  char tbuf[PATH_MAX];
  *e = 0;
  if (!rest) {
    *e = ENOMEM;
    return -1;
  }
  for (p = rest;;) {
    char name[NAME_MAX + 1], *end, *start;
    size_t n;
    bool last;
    int cur = walker_cur(w);
    ssize_t tl;
    while (*p == '/')
      p++;
    if (!*p) { /* the path names a folder (the root, or where ".." led) */
      if ((fd = openat(cur, ".", flags | O_CLOEXEC)) < 0)
        *e = errno;
      break;
    }
    start = p;
    end = strchr(p, '/');
    n = end ? (size_t)(end - p) : strlen(p);
    p += n;
    while (*p == '/')
      p++;
    last = !*p;
    if (n > NAME_MAX) {
      *e = ENAMETOOLONG;
      break;
    }
    memcpy(name, start, n);
    name[n] = '\0';
    if (!strcmp(name, "."))
      continue;
    if (!strcmp(name, "..")) {
      char *head, *next;
      if (w->depth) {
        walker_pop(w);
        continue;
      }
      /* above the root: does the rest come back into it? */
      if (!(head = w->canon ? oci_sprintf("%s/..", w->canon) : oci_strdup(""))) {
        *e = ENOMEM;
        break;
      }
      next = walk_reenter(w->canon, head, p, e);
      free(head);
      if (!next)
        break;
      free(rest);
      p = rest = next;
      continue;
    }
    tl = readlinkat(cur, name, tbuf, sizeof tbuf - 1);
    if (tl >= (ssize_t)sizeof tbuf - 1) {
      *e = ENAMETOOLONG;
      break;
    }
    if (tl >= 0) {
      char *next;
      tbuf[tl] = '\0';
      walker_note_link(w, name, tbuf);
      if (++links > DIR_MAX_LINKS) {
        *e = ELOOP;
        break;
      }
      if (!tl) {
        *e = ENOENT;
        break;
      }
      if (!(next = *p ? oci_sprintf("%s/%s", tbuf, p) : oci_strdup(tbuf))) {
        *e = ENOMEM;
        break;
      }
      free(rest);
      p = rest = next;
      if (tbuf[0] == '/') { /* absolute: does it lead beneath the root?  Then on from there */
        if (!(next = walk_reenter(w->canon, "", rest, e)))
          break;
        free(rest);
        p = rest = next;
        while (w->depth)
          walker_pop(w);
      }
      continue;
    }
    if (errno != EINVAL) { /* absent, or not searchable */
      *e = errno;
      break;
    }
    if (!last) {
      int dfd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (dfd < 0) {
        *e = errno;
        if (*e == ENOTDIR && fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
            ++links <= DIR_MAX_LINKS) {
          p = start; /* it became a link meanwhile: look again */
          continue;
        }
        break;
      }
      if (!walker_push(w, dfd, name)) {
        *e = ENOMEM;
        break;
      }
      continue;
    }
    fd = openat(cur, name, flags | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      *e = errno;
      if ((*e == ELOOP || *e == EMLINK) && ++links <= DIR_MAX_LINKS) {
        p = start; /* it became a link meanwhile: look again */
        continue;
      }
      break;
    }
    if (flags & O_PATH) {
      struct stat st;
      if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) { /* O_PATH opens the link itself */
        close(fd);
        fd = -1;
        if (++links > DIR_MAX_LINKS) {
          *e = ELOOP;
          break;
        }
        p = start;
        continue;
      }
    }
    if (w->path.len)
      oci_buf_add(&w->path, "/", 1);
    oci_buf_puts(&w->path, name);
    break;
  }
  free(rest);
  return fd;
}

static void walker_done(walker *w)
{
  while (w->depth)
    walker_pop(w);
  free(w->lv);
  oci_buf_free(&w->path);
  free(w->link);
  free(w->target);
}

/* Opens relpath (relative to the root; "" is the root) beneath the root, following the
 * symbolic links that stay inside it, with no window between a check and the open
 * (openat2 RESOLVE_BENEATH, else a walk one component at a time with O_NOFOLLOW).  flags:
 * open(2) flags (O_CLOEXEC is added).  Returns the descriptor, or -1 with *e: ENOENT or
 * ENOTDIR (absent), EXDEV (a symbolic link leaves the root: an absolute target, or ".."
 * above it, that does not lead back beneath the root's canonical path), ELOOP (more than
 * 40 links), or another errno (EACCES...).  Thread-safe. */
static int dir_openat(const dir_source *s, const char *relpath, int flags, int *e)
{
  walker w = {.root = s->root_fd, .canon = s->root_canon};
  int fd;
#ifdef HAVE_OPENAT2_SYSCALL
  if (!s->no_openat2) {
    struct oci_open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
                               .resolve = OCI_RESOLVE_BENEATH | OCI_RESOLVE_NO_MAGICLINKS};
    for (int tries = 0; tries < 16; tries++) {
      long r = syscall(SYS_openat2, s->root_fd, *relpath ? relpath : ".", &how, sizeof how);
      if (r >= 0)
        return (int)r;
      *e = errno;
      if (*e == EAGAIN || *e == EINTR) /* a rename raced with ".." resolution: again */
        continue;
      /* ENOSYS: an older kernel; EPERM: a seccomp filter refusing it; EINVAL or E2BIG:
       * flags the kernel does not know; EXDEV: a link with an absolute target or climbing
       * above the root, which may come back beneath it.  The walk below gives the answer. */
      if (*e != ENOSYS && *e != EPERM && *e != EINVAL && *e != E2BIG && *e != EXDEV)
        return -1;
      break;
    }
  }
#endif
  fd = walk_open(&w, relpath, flags, e);
  walker_done(&w);
  return fd;
}

static int dir_resolve(const oci_source *src, const char *relpath, struct stat *st, char **canon, char **link,
                       char **target)
{
  const dir_source *s = (const dir_source *)src;
  walker w = {.root = s->root_fd, .canon = s->root_canon};
  int e, fd = walk_open(&w, relpath, O_PATH, &e);
  if (canon)
    *canon = NULL;
  if (link)
    *link = NULL;
  if (target)
    *target = NULL;
  if (fd >= 0) {
    if (st && fstat(fd, st) != 0)
      e = errno;
    close(fd);
    if (!e && canon && !(*canon = oci_buf_take(&w.path)))
      e = ENOMEM;
  } else if (e == EXDEV || e == ELOOP) {
    if (link) {
      *link = w.link;
      w.link = NULL;
    }
    if (target) {
      *target = w.target;
      w.target = NULL;
    }
  }
  walker_done(&w);
  return e;
}

/* --------------------------------------------------------------- files */

/* The warning for a path whose resolution left the root or looped. */
static void warn_link(dir_source *s, const char *relpath, int e)
{
  char *link, *target, *ql = NULL, *qt = NULL;
  int again = dir_resolve(&s->base, relpath, NULL, NULL, &link, &target);
  if (again == e && link && target) {
    ql = oci_escape(link, 200);
    qt = oci_escape(target, 200);
  }
  if (e == ELOOP)
    oci_source_warn(&s->base, "%s is a loop of symbolic links: treated as absent", relpath);
  else if (ql && qt && !strcmp(link, relpath))
    oci_source_warn(&s->base, "%s is a symbolic link leading outside the layout (to %s): treated as absent", relpath, qt);
  else if (ql && qt)
    oci_source_warn(&s->base, "%s leads outside the layout through the symbolic link %s (to %s): treated as absent",
                    relpath, ql, qt);
  else
    oci_source_warn(&s->base, "%s leads outside the layout through a symbolic link: treated as absent", relpath);
  free(ql);
  free(qt);
  free(link);
  free(target);
}

/* Opens relpath for reading if it is a regular file inside the root.  Absent, leaving
 * the root, or not a regular file: OCIDIG_ERR_BLOB_MISSING (with a warning for the
 * latter two).  Present but unreadable: OCIDIG_ERR_IO. */
static ocidig_code open_inside(dir_source *s, const char *relpath, int *fd_out, struct stat *st,
                               ocidig_error *err)
{
  int fd, e;
  bool unsafe;
  char *clean = oci_member_name_clean(relpath, &unsafe);
  *fd_out = -1;
  if (!clean && !unsafe)
    return oci_nomem(err);
  if (!clean || !*clean) {
    free(clean);
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s: not a path inside the layout", relpath);
  }
  fd = dir_openat(s, clean, O_RDONLY | O_NONBLOCK | O_NOCTTY, &e);
  if (fd < 0) {
    ocidig_code rc;
    if (e == ENOENT || e == ENOTDIR) {
      rc = oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s is not in the layout", relpath);
    } else if (e == ELOOP) {
      warn_link(s, clean, e);
      rc = oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s is a loop of symbolic links", relpath);
    } else if (e == EXDEV) {
      warn_link(s, clean, e);
      rc = oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s leads outside the layout", relpath);
    } else if (e == ENOMEM) {
      rc = oci_nomem(err);
    } else {
      rc = oci_fail(err, OCIDIG_ERR_IO, "%s/%s: %s", s->path, relpath, strerror(e));
    }
    free(clean);
    return rc;
  }
  free(clean);
  if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
    close(fd);
    oci_source_warn(&s->base, "%s is not a regular file: treated as absent", relpath);
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s is not a regular file", relpath);
  }
  *fd_out = fd;
  return OCIDIG_OK;
}

static ocidig_code dir_stat(oci_source *src, const char *relpath, ocidig_entry *out, ocidig_error *err)
{
  struct stat st;
  int fd;
  ocidig_code rc = open_inside((dir_source *)src, relpath, &fd, &st, err);
  if (rc != OCIDIG_OK)
    return rc;
  close(fd);
  memset(out, 0, sizeof *out);
  out->path = NULL; /* not kept: the caller knows the path it asked for */
  out->type = OCIDIG_ENTRY_FILE;
  out->size = (int64_t)st.st_size;
  return OCIDIG_OK;
}

static ocidig_code dir_stream(oci_source *src, const char *relpath, size_t max, ocidig_sink sink, void *ctx,
                              ocidig_error *err)
{
  dir_source *s = (dir_source *)src;
  struct stat st;
  int fd;
  uint8_t *buf;
  ocidig_code rc = open_inside(s, relpath, &fd, &st, err);
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
      rc = oci_fail(err, OCIDIG_ERR_IO, "%s/%s: %s", s->path, relpath, strerror(errno));
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


/* ------------------------------------------------------------- listing */

/* A folder that could not be listed, or whose entries (unexamined of them) could not be
 * examined: reported (the layer above warns, and verify reports it: what is there is not
 * known). */
static void list_error(dir_source *s, const char *rel, size_t unexamined, int e)
{
  char *q = oci_escape(*rel ? rel : ".", 200);
  char *msg = unexamined ? oci_sprintf("%s/: %zu entr%s could not be examined: %s", q ? q : "?", unexamined,
                                       unexamined == 1 ? "y" : "ies", strerror(e))
                         : oci_sprintf("%s/ could not be listed: %s", q ? q : "?", strerror(e));
  free(q);
  if (!msg)
    return;
  s->base.ev->unlisted(s->base.ctx, *rel ? rel : ".", msg);
  free(msg);
}

static void member_free(oci_source_member *m)
{
  free(m->path);
  free(m->link_target);
  free(m->data);
  free(m->actual_hex);
  memset(m, 0, sizeof *m);
}

/* Lists the folder open at dfd (which it takes), rel its path in the root. */
static ocidig_code walk(dir_source *s, int dfd, const char *rel, int depth, ocidig_error *err)
{
  DIR *d = fdopendir(dfd);
  struct dirent *de;
  ocidig_code rc = OCIDIG_OK;
  size_t unexamined = 0;
  int unexamined_errno = 0;
  if (!d) {
    int e = errno;
    close(dfd);
    if (e == ENOMEM) /* fdopendir's buffer: not the folder's fault */
      return oci_nomem(err);
    list_error(s, rel, 0, e);
    return OCIDIG_OK;
  }
  for (;;) {
    struct stat st;
    oci_source_member m = {0};
    int sub = -1;
    errno = 0;
    if (!(de = readdir(d))) {
      if (errno == ENOMEM)
        rc = oci_nomem(err);
      else if (errno)
        list_error(s, rel, 0, errno);
      break;
    }
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    m.path = *rel ? oci_sprintf("%s/%s", rel, de->d_name) : oci_strdup(de->d_name);
    if (!m.path) {
      rc = oci_nomem(err);
      break;
    }
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT && !unexamined++) /* ENOENT: gone meanwhile, nothing to say */
        unexamined_errno = errno;
      member_free(&m);
      continue;
    }
    if (S_ISREG(st.st_mode)) {
      m.type = OCIDIG_ENTRY_FILE;
      m.size = (int64_t)st.st_size;
    } else if (S_ISDIR(st.st_mode)) {
      m.type = OCIDIG_ENTRY_DIRECTORY;
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
      struct stat tst;
      int e = dir_resolve(&s->base, m.path, &tst, NULL, NULL, NULL);
      m.type = OCIDIG_ENTRY_SYMLINK;
      m.link_target = oci_strndup(target, n > 0 ? (size_t)n : 0);
      if (e == ENOMEM || !m.link_target) {
        member_free(&m);
        rc = oci_nomem(err);
        break;
      }
      /* leaves the root (dangling or not): the walk says so, absolute targets included */
      m.escapes = e == EXDEV;
      if (!e && S_ISREG(tst.st_mode))
        m.size = (int64_t)tst.st_size;
    } else {
      m.type = OCIDIG_ENTRY_SPECIAL;
    }
    {
      bool is_dir = m.type == OCIDIG_ENTRY_DIRECTORY;
      char *subpath = is_dir ? oci_strdup(m.path) : NULL;
      if (is_dir && !subpath) {
        member_free(&m);
        rc = oci_nomem(err);
        break;
      }
      if (is_dir && depth < DIR_WALK_MAX_DEPTH &&
          (sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
        list_error(s, subpath, 0, errno);
      m.ordinal = s->next_ordinal++;
      rc = s->base.ev->member(s->base.ctx, &m, err);
      if (is_dir && rc == OCIDIG_OK && sub >= 0) {
        rc = walk(s, sub, subpath, depth + 1, err);
        sub = -1;
      }
      if (sub >= 0)
        close(sub);
      free(subpath);
    }
    if (rc != OCIDIG_OK)
      break;
  }
  if (unexamined)
    list_error(s, rel, unexamined, unexamined_errno);
  closedir(d);
  return rc;
}

static ocidig_code dir_scan(oci_source *src, const char *want, ocidig_sink sink, void *ctx, bool *streamed,
                            ocidig_error *err)
{
  dir_source *s = (dir_source *)src;
  int fd;
  ocidig_code rc = OCIDIG_OK;
  (void)want;
  (void)sink;
  (void)ctx;
  if (streamed)
    *streamed = false;
  if (s->walked)
    return OCIDIG_OK;
  fd = openat(s->root_fd, ".", O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    list_error(s, "", 0, errno);
  else
    rc = walk(s, fd, "", 0, err);
  if (rc == OCIDIG_OK)
    s->walked = true;
  return rc;
}

static bool dir_at_end(const oci_source *src)
{
  return ((const dir_source *)src)->walked;
}

static bool dir_failed(const oci_source *src)
{
  (void)src;
  return false;
}

/* Opens a file for reading, refusing anything that leaves the root or is not a regular
 * file.  Thread-safe (no shared state). */
static int dir_open_file(const oci_source *src, const char *relpath, int *e)
{
  struct stat st;
  int fd = dir_openat((const dir_source *)src, relpath, O_RDONLY | O_NONBLOCK | O_NOCTTY, e);
  if (fd < 0) {
    if (*e == EXDEV)
      *e = -1;
    return -1;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    *e = -1;
    return -1;
  }
  return fd;
}

static void dir_close(oci_source *src)
{
  dir_source *s = (dir_source *)src;
  if (!s)
    return;
  if (s->root_fd >= 0)
    close(s->root_fd);
  free(s->root_canon);
  free(s->path);
  free(s);
}

static const oci_source_ops dir_ops = {
    .kind = "directory",
    .stat = dir_stat,
    .stream = dir_stream,
    .open = dir_open_file,
    .resolve = dir_resolve,
    .scan = dir_scan,
    .at_end = dir_at_end,
    .failed = dir_failed,
    .close = dir_close,
};

ocidig_code oci_source_dir_open(const oci_source_options *o, const oci_source_events *ev, void *ctx,
                                oci_source **out, ocidig_error *err)
{
  dir_source *s = calloc(1, sizeof *s);
  *out = NULL;
  if (!s || !(s->path = oci_strdup(o->path))) {
    free(s);
    return oci_nomem(err);
  }
  s->base.ops = &dir_ops;
  s->base.ev = ev;
  s->base.ctx = ctx;
  s->root_fd = open(s->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s->root_fd < 0) {
    ocidig_code rc = oci_fail(err, errno == ENOENT ? OCIDIG_ERR_NOT_FOUND : OCIDIG_ERR_IO, "%s: %s", s->path,
                              strerror(errno));
    dir_close(&s->base);
    return rc;
  }
  /* The root's canonical path, for links with an absolute target or climbing above the root
   * and coming back.  Kept only if it still names the folder opened; without it such links
   * count as leaving. */
  {
    struct stat a, b;
    char *canon = realpath(s->path, NULL);
    if (!canon && errno == ENOMEM) {
      dir_close(&s->base);
      return oci_nomem(err);
    }
    if (canon && canon[0] == '/' && fstat(s->root_fd, &a) == 0 && stat(canon, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
      s->root_canon = canon;
    else
      free(canon);
  }
#ifdef HAVE_OPENAT2_SYSCALL
  /* Asked once: an older kernel, a seccomp filter (or valgrind) refuses openat2 for every
   * path alike, and then every open goes straight to the walk. */
  {
    struct oci_open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = OCI_RESOLVE_BENEATH | OCI_RESOLVE_NO_MAGICLINKS};
    long r = syscall(SYS_openat2, s->root_fd, ".", &how, sizeof how);
    if (r >= 0)
      close((int)r);
    s->no_openat2 = r < 0 && (errno == ENOSYS || errno == EPERM || errno == EINVAL || errno == E2BIG);
  }
#endif
  *out = &s->base;
  return OCIDIG_OK;
}
