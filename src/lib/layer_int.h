/* layer_int.h: the layer reader's private state, shared by layer.c (the caller's side:
 * decoding, the queue's producer, the result) and layer_tar.c (the worker: the queue's
 * consumer, the diff_id's hash, libarchive's tar parse, the entries).  Not installed. */
#ifndef OCIDIG_LAYER_INT_H
#define OCIDIG_LAYER_INT_H

#include "layer.h"

#include <pthread.h>

#define LAYER_SLOTS 4
#define LAYER_SLOT_SIZE (512u * 1024)

struct archive;
struct oci_inflate;
struct ZSTD_DCtx_s;

struct oci_layer_reader {
  oci_layer_compression comp;
  oci_layer_callbacks cb;
  void *ctx;

  /* ---- the caller's side (layer.c) */
  struct oci_inflate *gz;
  struct ZSTD_DCtx_s *zs;
  oci_hasher *in_hash; /* oci_layer_reader_hash_input */
  ocidig_digest_alg in_alg, diff_alg;
  bool fed;            /* a feed came: the algorithms are fixed */
  ocidig_code start_rc; /* the worker could not start (start_err says why): every call fails so */
  ocidig_error start_err;
  bool hash_input;     /* in_hash asked for */
  bool diff_given;     /* oci_layer_reader_diff_given: no diff_hash */
  bool diff_is_input;  /* NONE, input hashed in diff_alg: the diff_id is in_hash's */
  bool nomem;          /* the decoder ran out of memory */
  bool limited;        /* the decoder stopped at a memory bound (oci_layer_result.limited) */
  bool decode_done;    /* the decoder reached a final status (more input: only hashed) */
  oci_layer_decode_status decode;
  char decode_message[256];
  uint64_t input_bytes, decoded_end;
  /* zstd: between frames (a frame ended: the next bytes must begin another one) */
  bool zs_between;
  uint64_t zs_frames;
  uint8_t zs_magic[4];
  size_t zs_nmagic;
  bool finished;
  uint64_t out_max, out_total; /* oci_layer_reader_limit_output: 0 none; the bytes decoded so far */
  bool capped;                 /* decoding stopped at out_max */

  /* ---- the queue: slot[(tail + i) % LAYER_SLOTS], i < queued, hold decoded bytes for the
   * worker; the producer fills slot[(tail + queued) % LAYER_SLOTS] (`fill` bytes) while
   * queued < LAYER_SLOTS; the worker keeps slot[tail] (held) until its next read. */
  pthread_mutex_t mu;
  pthread_cond_t has_data, has_space;
  uint8_t *slot[LAYER_SLOTS];
  size_t slot_len[LAYER_SLOTS];
  unsigned tail, queued;
  size_t fill;
  bool eof;         /* the producer is done: no slot after those queued */
  bool held;        /* the worker holds slot[tail] */
  bool stop;        /* a consumer stopped the read (or failed): the producer stops decoding */
  bool worker_done; /* the worker has drained the queue and ended */

  /* ---- the worker (layer_tar.c) */
  pthread_t thread;
  bool thread_started;
  struct archive *a;
  oci_hasher *diff_hash;
  uint64_t output_bytes;
  bool saw_eof; /* the read callback returned the end of the stream */
  oci_layer_tar_status tar;
  char tar_message[256];
  uint64_t tar_end, entries;
  bool in_entry, data_failed, stopped;
  ocidig_code cb_rc; /* a callback's error (cb_err), or out of memory in the worker */
  ocidig_error cb_err;
  /* the current entry's cleaned names (grown as needed) */
  char *pathbuf, *linkbuf;
  size_t pathcap, linkcap;
};

/* layer_tar.c: the worker's thread function. */
void *oci_layer_worker(void *arg);

#endif
