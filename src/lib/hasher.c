/* hasher.c: streaming SHA-256 / SHA-512 over OpenSSL's EVP, inline or on a second core.
 *
 * Verifying a compressed archive is two serial costs on one thread: inflating (libarchive)
 * and hashing (SHA-256 at about 1 GB/s with the CPU's SHA extensions).  A pipelined
 * hasher takes the hashing to a thread of its own: update() copies the bytes into one of
 * PIPE_BUFFERS staging buffers and returns; the thread hashes the full ones in order.  The
 * copy is the price (memcpy runs ten times faster than SHA-256), memory is bounded by the
 * buffers, and the digest is the same because the bytes reach EVP in the same order.
 * With one CPU, or if the thread cannot start, the hasher works inline. */
#include "internal.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIPE_BUFFERS 4
#define PIPE_BUFFER_SIZE (1024u * 1024)

typedef struct hash_pipe {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t has_data;  /* the thread waits for a full buffer */
  pthread_cond_t has_space; /* update() waits for an empty one */
  uint8_t *buf[PIPE_BUFFERS];
  size_t len[PIPE_BUFFERS];
  unsigned head;   /* the buffer update() fills (owned by the caller while queued < PIPE_BUFFERS) */
  unsigned tail;   /* the next buffer the thread hashes */
  unsigned queued; /* buffers handed to the thread and not yet hashed */
  size_t fill;     /* bytes in buf[head] */
  bool closing;
} hash_pipe;

struct oci_hasher {
  EVP_MD_CTX *ctx;
  hash_pipe *pipe; /* NULL: inline */
};

static void *pipe_thread(void *arg)
{
  oci_hasher *h = arg;
  hash_pipe *p = h->pipe;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    unsigned i;
    while (p->queued == 0 && !p->closing)
      pthread_cond_wait(&p->has_data, &p->mu);
    if (p->queued == 0)
      break;
    i = p->tail;
    pthread_mutex_unlock(&p->mu);
    EVP_DigestUpdate(h->ctx, p->buf[i], p->len[i]);
    pthread_mutex_lock(&p->mu);
    p->tail = (p->tail + 1) % PIPE_BUFFERS;
    p->queued--;
    pthread_cond_signal(&p->has_space);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Hands buf[head] to the thread and waits until the next buffer is free. */
static void pipe_push(hash_pipe *p)
{
  pthread_mutex_lock(&p->mu);
  p->len[p->head] = p->fill;
  p->head = (p->head + 1) % PIPE_BUFFERS;
  p->queued++;
  p->fill = 0;
  pthread_cond_signal(&p->has_data);
  while (p->queued == PIPE_BUFFERS)
    pthread_cond_wait(&p->has_space, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

static void pipe_free(hash_pipe *p)
{
  pthread_cond_destroy(&p->has_space);
  pthread_cond_destroy(&p->has_data);
  pthread_mutex_destroy(&p->mu);
  for (unsigned i = 0; i < PIPE_BUFFERS; i++)
    free(p->buf[i]);
  free(p);
}

/* Waits for the thread to hash everything handed to it, and ends it. */
static void pipe_stop(oci_hasher *h)
{
  hash_pipe *p = h->pipe;
  if (!p)
    return;
  if (p->fill)
    pipe_push(p);
  pthread_mutex_lock(&p->mu);
  p->closing = true;
  pthread_cond_signal(&p->has_data);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->thread, NULL);
  pipe_free(p);
  h->pipe = NULL;
}

oci_hasher *oci_hasher_new(ocidig_digest_alg alg)
{
  oci_hasher *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  h->ctx = EVP_MD_CTX_new();
  if (!h->ctx ||
      !EVP_DigestInit_ex(h->ctx, alg == OCIDIG_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256(), NULL)) {
    oci_hasher_free(h);
    return NULL;
  }
  return h;
}

oci_hasher *oci_hasher_new_pipelined(ocidig_digest_alg alg)
{
  oci_hasher *h = oci_hasher_new(alg);
  hash_pipe *p;
  bool ok = true;
  if (!h || sysconf(_SC_NPROCESSORS_ONLN) < 2 || !(p = calloc(1, sizeof *p)))
    return h;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->has_data, NULL);
  pthread_cond_init(&p->has_space, NULL);
  for (unsigned i = 0; i < PIPE_BUFFERS; i++)
    ok = ok && (p->buf[i] = malloc(PIPE_BUFFER_SIZE)) != NULL;
  h->pipe = p;
  if (!ok || pthread_create(&p->thread, NULL, pipe_thread, h) != 0) {
    pipe_free(p); /* inline, then */
    h->pipe = NULL;
  }
  return h;
}

void oci_hasher_update(oci_hasher *h, const void *buf, size_t n)
{
  const uint8_t *in = buf;
  hash_pipe *p = h->pipe;
  if (!n)
    return;
  if (!p) {
    EVP_DigestUpdate(h->ctx, buf, n);
    return;
  }
  while (n) {
    size_t k = PIPE_BUFFER_SIZE - p->fill;
    if (k > n)
      k = n;
    memcpy(p->buf[p->head] + p->fill, in, k);
    p->fill += k;
    in += k;
    n -= k;
    if (p->fill == PIPE_BUFFER_SIZE)
      pipe_push(p);
  }
}

void oci_hasher_final_hex(oci_hasher *h, char *hex)
{
  static const char digits[] = "0123456789abcdef";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  pipe_stop(h);
  EVP_DigestFinal_ex(h->ctx, md, &len);
  for (unsigned int i = 0; i < len; i++) {
    hex[2 * i] = digits[md[i] >> 4];
    hex[2 * i + 1] = digits[md[i] & 15];
  }
  hex[2 * len] = '\0';
}

void oci_hasher_free(oci_hasher *h)
{
  if (!h)
    return;
  pipe_stop(h);
  EVP_MD_CTX_free(h->ctx);
  free(h);
}

bool oci_hash_hex(ocidig_digest_alg alg, const void *buf, size_t n, char *hex)
{
  oci_hasher *h = oci_hasher_new(alg);
  if (!h) {
    hex[0] = '\0';
    return false;
  }
  oci_hasher_update(h, buf, n);
  oci_hasher_final_hex(h, hex);
  oci_hasher_free(h);
  return true;
}
