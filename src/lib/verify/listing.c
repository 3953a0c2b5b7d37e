/* listing.c: the listing: links, special members, unsafe names, duplicate and replaced members, names under
 * blobs/ that are not digests; an archive opened with OCIDIG_OPEN_HASH_BLOBS has hashed every blob
 * while it streamed by, and the blob table takes those hashes. */
#include "verify.h"

#include <errno.h>

/* ------------------------------------------------------------- listing */

/* A directory symlink: resolving outside, or (dangling, relative) leaving on paper.  An
 * absolute target is inside when it leads beneath the root (the walk decides). */
static bool dir_link_escapes(const vstate *v, const ocidig_entry *e)
{
  int res;
  if (!e->link_target)
    return true;
  if (e->escapes)
    return true;
  res = oci_layout_resolve(v->l, e->path, NULL, NULL, NULL, NULL);
  if (res == EXDEV)
    return true;
  if (res && e->link_target[0] != '/')
    return oci_link_escapes(e->path, e->link_target, false);
  return false;
}

typedef struct listing_ctx {
  vstate *v;
  bool archive;
  size_t n_replaced, n_blob_files;
} listing_ctx;

static void count_blob_file(void *ctx, const ocidig_entry *en)
{
  ((listing_ctx *)ctx)->n_blob_files += !strncmp(en->path, "blobs/", 6) && en->type != OCIDIG_ENTRY_DIRECTORY;
}

/* One entry of the listing. */
static void listing_entry(void *ctx, const ocidig_entry *en)
{
  listing_ctx *lc = ctx;
  vstate *v = lc->v;
  bool archive = lc->archive;
  const char *p = en->path;
  char *q = oci_quote(p, strlen(p), 200);
  bool unsafe = false;
  bool is_link = en->type == OCIDIG_ENTRY_SYMLINK || en->type == OCIDIG_ENTRY_HARDLINK;
  const char *qp = q ? q : "?";
  if (archive && en->escapes) {
    /* escapes: an unsafe name, or a link that leaves the root */
    char *clean = oci_member_name_clean(p, &unsafe);
    free(clean);
    if (unsafe)
      oci_finding_add(v, LAYOUT_CTX, VF_PATH_UNSAFE, NULL, p,
                      "archive member %s has an absolute or \"..\" name: it would be written outside the layout", qp);
  }
  if (is_link && !unsafe && (archive ? en->escapes : dir_link_escapes(v, en))) {
    char *t = oci_quote(oci_str(en->link_target), strlen(oci_str(en->link_target)), 200);
    oci_finding_add(v, LAYOUT_CTX, VF_LINK_ESCAPES, NULL, p,
                    "%s %s points at %s, %s: a link in a layout must stay inside it",
                    archive ? "archive member" : "symbolic link", qp, t ? t : "?",
                    en->link_target && en->link_target[0] == '/' ? "an absolute path" : "outside the layout");
    free(t);
  } else if (is_link && archive &&
             (!strncmp(p, "blobs/", 6) || !strcmp(p, "index.json") || !strcmp(p, "oci-layout"))) {
    char *t = oci_quote(oci_str(en->link_target), strlen(oci_str(en->link_target)), 200);
    oci_finding_add(v, LAYOUT_CTX, VF_LINK_MEMBER, NULL, p,
                    "archive member %s is a %s link to %s: it is not read (importers such as containerd skip links); "
                    "store the file itself",
                    qp, en->type == OCIDIG_ENTRY_HARDLINK ? "hard" : "symbolic", t ? t : "?");
    free(t);
  }
  if (en->type == OCIDIG_ENTRY_SPECIAL)
    oci_finding_add(v, LAYOUT_CTX, VF_SPECIAL_MEMBER, NULL, p,
                    "%s %s is a device, FIFO or socket: a layout holds only regular files and directories",
                    archive ? "archive member" : "file", qp);
  if (en->duplicate && en->type != OCIDIG_ENTRY_FILE) {
    /* A regular file and then a folder, link or device of its name: tar extracts the
     * latter, a reader that took the file acted on something else (resolve refuses such
     * an archive as ambiguous): corrupt-archive, after the listing. */
    ocidig_entry tmp;
    const char *noun = en->type == OCIDIG_ENTRY_DIRECTORY  ? "directory"
                       : en->type == OCIDIG_ENTRY_SYMLINK  ? "symbolic link"
                       : en->type == OCIDIG_ENTRY_HARDLINK ? "hard link"
                                                           : "device, FIFO or socket";
    oci_finding_add(v, LAYOUT_CTX, VF_MEMBER_REPLACED, NULL, p,
                    "archive member %s is a regular file and then a %s of the same name: tar extracts the %s, so the "
                    "layout it gives has no file %s; the archive is ambiguous",
                    qp, noun, noun, qp);
    /* The library's own words for it (the message resolve gives). */
    if (lc->n_replaced++ == 0 && ocidig_layout_stat(v->l, p, &tmp, &v->r->error) != OCIDIG_ERR_CORRUPT_ARCHIVE)
      oci_fail(&v->r->error, OCIDIG_ERR_CORRUPT_ARCHIVE,
               "%s: %s is a regular file in the archive and then a %s: "
               "ambiguous",
               v->l->path, qp, noun);
  } else if (en->duplicate) {
    oci_finding_add(v, LAYOUT_CTX, VF_DUPLICATE_MEMBER, NULL, p,
                    "archive member %s appears more than once: the last copy is used, but extractors may differ", qp);
  }
  if (!unsafe && !strncmp(p, "blobs/", 6) && en->type != OCIDIG_ENTRY_DIRECTORY) {
    ocidig_digest_alg alg;
    const char *hex = oci_blob_path_hex(p, &alg);
    if (!hex) {
      oci_finding_add(v, LAYOUT_CTX, VF_BLOB_NAME_INVALID, NULL, p,
                      "%s is under blobs/ but its name is not blobs/<algorithm>/<encoded digest> with a supported "
                      "algorithm (sha256: 64 lowercase hex, sha512: 128)",
                      qp);
    } else {
      ocidig_digest d;
      size_t bi;
      d.alg = alg;
      snprintf(d.hex, sizeof d.hex, "%s", hex);
      bi = oci_vblob_get(v, &d);
      if (bi != NONE) {
        vblob *b = &v->blobs[bi];
        b->listed = true;
        b->size = en->size;
        if (en->type == OCIDIG_ENTRY_FILE && !en->escapes) {
          b->present = true;
          b->looked_up = archive; /* a directory is asked again (links inside the root) */
          b->hash = en->hash;
          if (en->hash != OCIDIG_HASH_UNKNOWN) {
            b->hashed_here = true;
            v->bytes_hashed = oci_bytes_add(v->bytes_hashed, en->size);
          }
          if (en->hash == OCIDIG_HASH_MISMATCH &&
              !(b->actual = oci_sprintf("%s:%s", ocidig_digest_alg_name(alg), en->actual_hex)))
            v->nomem = true;
        } else if (archive) {
          b->looked_up = true; /* a link or special member: not a blob */
        }
      }
    }
  }
  free(q);
}

/* The listing one entry at a time (oci_layout_entries_each): 100,000 members are not copied
 * into an array of 176 bytes each. */
ocidig_code oci_verify_listing(vstate *v)
{
  listing_ctx lc = {.v = v, .archive = v->l->is_archive};
  ocidig_error e;
  const char *const *list_errors, *const *list_error_paths;
  size_t n_list_errors;
  /* the first pass reads the listing (an archive to its end, a directory walked) */
  ocidig_code rc = oci_layout_entries_each(v->l, count_blob_file, &lc, &e);
  if (rc != OCIDIG_OK) {
    v->r->error = e;
    return rc;
  }
  oci_vblob_table_init(v);
  oci_vreserve((void **)&v->blobs, &v->cap_blobs, lc.n_blob_files, sizeof *v->blobs);
  n_list_errors = oci_layout_list_errors(v->l, &list_errors, &list_error_paths);
  for (size_t i = 0; !lc.archive && i < n_list_errors; i++)
    oci_finding_add(v, LAYOUT_CTX, VF_LISTING_UNREADABLE, NULL, list_error_paths[i],
                    "%s; what is there is not known (and not counted as unreferenced)", list_errors[i]);
  if ((rc = oci_layout_entries_each(v->l, listing_entry, &lc, &e)) != OCIDIG_OK) {
    v->r->error = e;
    return rc;
  }
  if (lc.n_replaced)
    return v->r->error.code;
  return OCIDIG_OK;
}
