/* hash.c: hashing what the walk did not read: a directory's blobs on a small pthread pool, each
 * file streamed in chunks (memory stays bounded whatever the sizes); an archive not opened with
 * OCIDIG_OPEN_HASH_BLOBS streamed again, blob by blob. */
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HASH_CHUNK (256u * 1024)
#define MAX_THREADS 16

typedef struct hjob {
  size_t blob;
  char path[OCIDIG_DIGEST_STRING_MAX + 8];
  const char *member; /* a foreign format's file (the view's), else path */
  ocidig_digest_alg alg;
  int64_t size;
  char hex[129];
  uint64_t bytes;
  int err; /* errno, or -1: not a regular file inside the layout */
  bool done;
} hjob;

typedef struct hpool {
  const ocidig_layout *l;
  hjob *jobs;
  size_t n, next;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned running;
  uint64_t done_bytes;
} hpool;

static void hash_one(hpool *p, hjob *j, uint8_t *buf)
{
  oci_hasher *h;
  int fd = oci_layout_open_member(p->l, j->member ? j->member : j->path, &j->err);
  if (fd < 0)
    return;
  if (!(h = oci_hasher_new(j->alg))) {
    close(fd);
    j->err = ENOMEM;
    return;
  }
  for (;;) {
    ssize_t n = read(fd, buf, HASH_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      j->err = errno;
      break;
    }
    if (n == 0) {
      j->done = true;
      break;
    }
    oci_hasher_update(h, buf, (size_t)n);
    j->bytes += (uint64_t)n;
    pthread_mutex_lock(&p->mu);
    p->done_bytes += (uint64_t)n;
    pthread_mutex_unlock(&p->mu);
  }
  if (j->done)
    oci_hasher_final_hex(h, j->hex);
  oci_hasher_free(h);
  close(fd);
}

static void *hash_worker(void *arg)
{
  hpool *p = arg;
  uint8_t *buf = malloc(HASH_CHUNK);
  for (;;) {
    size_t j;
    pthread_mutex_lock(&p->mu);
    j = p->next < p->n ? p->next++ : NONE;
    pthread_mutex_unlock(&p->mu);
    if (j == NONE)
      break;
    if (!buf)
      p->jobs[j].err = ENOMEM;
    else
      hash_one(p, &p->jobs[j], buf);
  }
  free(buf);
  pthread_mutex_lock(&p->mu);
  p->running--;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

static int job_cmp(const void *a, const void *b)
{
  const hjob *x = a, *y = b;
  return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

static unsigned thread_count(const vstate *v, size_t jobs)
{
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned n = v->o->threads ? v->o->threads : (unsigned)(cpus > 0 ? cpus : 1);
  if (n > MAX_THREADS)
    n = MAX_THREADS;
  if (n > jobs)
    n = (unsigned)jobs;
  return n ? n : 1;
}

static void hash_directory(vstate *v, hjob *jobs, size_t n, uint64_t total)
{
  hpool p = {.l = v->l, .jobs = jobs, .n = n};
  pthread_t tids[MAX_THREADS];
  unsigned want = thread_count(v, n), started = 0;
  qsort(jobs, n, sizeof *jobs, job_cmp); /* the largest first: the threads finish together */
  pthread_mutex_init(&p.mu, NULL);
  pthread_cond_init(&p.cv, NULL);
  pthread_mutex_lock(&p.mu);
  for (unsigned i = 0; i < want; i++) {
    p.running++;
    if (pthread_create(&tids[started], NULL, hash_worker, &p) != 0) {
      p.running--;
      break;
    }
    started++;
  }
  pthread_mutex_unlock(&p.mu);
  if (!started) {
    p.running = 1;
    hash_worker(&p);
  }
  pthread_mutex_lock(&p.mu);
  while (p.running > 0) {
    struct timespec ts;
    uint64_t done;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 200 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p.cv, &p.mu, &ts);
    done = p.done_bytes;
    if (v->o->progress && p.running > 0) {
      pthread_mutex_unlock(&p.mu);
      v->o->progress(v->o->progress_ctx, done, (int64_t)total);
      pthread_mutex_lock(&p.mu);
    }
  }
  pthread_mutex_unlock(&p.mu);
  for (unsigned i = 0; i < started; i++)
    pthread_join(tids[i], NULL);
  pthread_cond_destroy(&p.cv);
  pthread_mutex_destroy(&p.mu);
}

typedef struct stream_hash {
  oci_hasher *h;
  uint64_t bytes;
  vstate *v;
  uint64_t base;
  uint64_t total;
} stream_hash;

static ocidig_code stream_hash_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  stream_hash *s = ctx;
  (void)err;
  oci_hasher_update(s->h, buf, len);
  s->bytes += len;
  if (s->v->o->progress && ((s->bytes >> 20) != ((s->bytes - len) >> 20)))
    s->v->o->progress(s->v->o->progress_ctx, s->base + s->bytes, (int64_t)s->total);
  return OCIDIG_OK;
}

/* Hashes every present blob whose hash is not known yet that is referenced, or, when the
 * whole layout is verified, that is listed (an unreferenced blob whose bytes do not hash to
 * its name says so, in a directory as in an archive hashed as it streamed by). */
void oci_verify_hash_pending(vstate *v)
{
  hjob *jobs = NULL;
  size_t n = 0, cap = 0;
  uint64_t total = 0;
  bool whole = oci_verify_whole(v);
  for (size_t i = 0; i < v->n_blobs; i++) {
    vblob *b = &v->blobs[i];
    ocidig_digest d;
    hjob *j;
    if ((!b->referenced && !(whole && b->listed)) || !b->present || b->hash != OCIDIG_HASH_UNKNOWN || b->read_error)
      continue;
    if (!oci_grow((void **)&jobs, &cap, n + 1, sizeof *jobs)) {
      v->nomem = true;
      break;
    }
    j = &jobs[n++];
    memset(j, 0, sizeof *j);
    j->blob = i;
    oci_vblob_d(v, b, &d);
    j->alg = d.alg;
    j->size = b->size;
    oci_vblob_path(&d, j->path);
    j->member = oci_vblob_file(v, &d);
    total = oci_bytes_add(total, b->size);
  }
  if (!n) {
    free(jobs);
    return;
  }
  if (!v->l->is_archive) {
    hash_directory(v, jobs, n, total);
  } else {
    /* An archive not opened with OCIDIG_OPEN_HASH_BLOBS: stream each blob again. */
    uint64_t base = 0;
    for (size_t k = 0; k < n; k++) {
      stream_hash s = {.h = oci_hasher_new(jobs[k].alg), .v = v, .base = base, .total = total};
      ocidig_error e;
      ocidig_code rc;
      if (!s.h) {
        v->nomem = true;
        break;
      }
      rc = ocidig_layout_stream_file(v->l, jobs[k].member ? jobs[k].member : jobs[k].path, stream_hash_sink, &s, &e);
      if (rc == OCIDIG_OK) {
        oci_hasher_final_hex(s.h, jobs[k].hex);
        jobs[k].done = true;
        jobs[k].bytes = s.bytes;
      } else if (!v->blobs[jobs[k].blob].read_error) {
        v->blobs[jobs[k].blob].read_error = oci_strdup(e.message);
      }
      oci_hasher_free(s.h);
      base += s.bytes;
    }
  }
  if (v->o->progress)
    v->o->progress(v->o->progress_ctx, total, (int64_t)total);
  for (size_t k = 0; k < n; k++) {
    hjob *j = &jobs[k];
    vblob *b = &v->blobs[j->blob];
    if (j->done) {
      char dbuf[OCIDIG_DIGEST_STRING_MAX];
      const char *hex = strchr(oci_vblob_digest(v, b, dbuf), ':');
      b->hash = !hex || strcmp(j->hex, hex + 1) ? OCIDIG_HASH_MISMATCH : OCIDIG_HASH_OK;
      if (b->hash == OCIDIG_HASH_MISMATCH &&
          !(b->actual = oci_sprintf("%s:%s", ocidig_digest_alg_name(j->alg), j->hex)))
        v->nomem = true;
      if (!b->hashed_here) {
        b->hashed_here = true;
        v->bytes_hashed += j->bytes;
      }
    } else if (j->err == ENOMEM) { /* the hasher or the buffer: not the blob's fault */
      v->nomem = true;
    } else if (!b->read_error && !v->l->is_archive) {
      const char *jp = j->member ? j->member : j->path;
      b->read_error = j->err > 0 ? oci_sprintf("%s/%s: %s", v->l->path, jp, strerror(j->err))
                                 : oci_sprintf("%s/%s: not a regular file inside the layout", v->l->path, jp);
    }
  }
  free(jobs);
}
