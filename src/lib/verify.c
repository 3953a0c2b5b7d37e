/* verify.c: ocidig verify: every digest, size and rule of a layout.
 *
 * The order of work:
 *  1. the listing (ocidig_layout_entries): links, special members, unsafe names,
 *     duplicate members, names under blobs/ that are not digests; an archive opened with
 *     OCIDIG_OPEN_HASH_BLOBS has hashed every blob while it streamed by;
 *  2. oci-layout and index.json;
 *  3. the scope: everything reachable from index.json, or (--ref, --platform) the entries
 *     and manifests ocidig_resolve picks for each image;
 *  4. the walk: every index and manifest document is read, parsed and checked, every
 *     descriptor type-checked, every blob looked up (presence, size);
 *  5. hashing what the walk did not read: a directory's blobs on a small pthread pool,
 *     each file streamed in chunks (memory stays bounded whatever the sizes);
 *  6. digests, missing blobs (per image and platform: a platform-filtered export is
 *     "incomplete", not corrupt, unless --platform asked for it), unreferenced blobs,
 *     attestations.
 *
 * A docker save archive (manifest.json, no index.json: docker save before Docker 25,
 * containers/image docker-archive) carries no registry manifest; steps 2 to 6 become:
 * manifest.json (JSON, shape), each image's config (present, hashing to the digest its name
 * claims, the image ID; JSON; rootfs.diff_ids), each layer file (present, symbolic links
 * inside the archive followed as docker_archive.c follows them; every byte hashed against
 * the digest its name carries and against its diff_id: docker save layers are stored
 * uncompressed), repositories against RepoTags, and the files nothing refers to.  In the
 * report an image's digest is its image ID and its one platform has no manifest.  A hybrid
 * (index.json and manifest.json: Docker 25+, ctr export) is verified through index.json;
 * where manifest.json disagrees with it is a warning.
 *
 * Finding codes (stable; the severity never changes for a code):
 *
 *  error    oci-layout-missing         no oci-layout file
 *  error    bad-oci-layout             oci-layout is not a JSON object whose imageLayoutVersion is
 *                                      "1.0.0" (the verification stops: exit 3, as for resolve)
 *  error    missing-index-json         no index.json (the verification stops: exit 3)
 *  error    invalid-json               a document (index.json, index, manifest, config) is not valid
 *                                      JSON (RFC 8259, UTF-8, no BOM) or not an object
 *  error    json-too-large             a document larger than OCIDIG_MAX_JSON_SIZE
 *  warning  json-duplicate-key         a key appears twice in one object (parsers may disagree)
 *  error    schema-version             schemaVersion absent or not 2
 *  error    media-type-mismatch        the body's mediaType differs from its descriptor's
 *  error    kind-mismatch              an index body behind a manifest descriptor or the reverse
 *                                      (containerd's validateMediaType), or a schema 1 body
 *  error    field-missing              a required field is absent (manifests, config, layers,
 *                                      mediaType, digest, size, platform os/architecture)
 *  error    field-type                 a field has the wrong JSON type (or data is not base64)
 *  error    invalid-digest             a digest that breaks the grammar or its algorithm's
 *                                      encoding (lowercase hex of the right length)
 *  error    unsupported-digest-algorithm  an algorithm other than sha256 and sha512
 *  error    size-negative              a negative size
 *  error    blob-missing               a referenced blob is absent (and not excused below)
 *  error    blob-unreadable            a blob that is present but could not be read
 *  error    size-mismatch              the blob's length differs from the descriptor's size
 *  error    digest-mismatch            the blob's bytes do not hash to its digest
 *  error    data-mismatch              inline data does not match the descriptor's size or digest
 *  error    empty-descriptor-invalid   an application/vnd.oci.empty.v1+json descriptor that is
 *                                      not sha256:44136f... with size 2
 *  info     foreign-layer-absent       a non-distributable layer (urls) absent: expected
 *  info     unknown-media-type         an index child that is neither index nor manifest: its
 *                                      blob is checked, its content is not
 *  error    index-cycle                an index that contains itself
 *  error    nesting-too-deep           indexes nested deeper than OCIDIG_MAX_INDEX_NESTING
 *  error    limit-exceeded             an index with more than OCIDIG_MAX_INDEX_DESCRIPTORS children
 *  error    link-escapes               a symlink (directory) or a symlink/hard-link member
 *                                      (archive) that is absolute or leaves the layout
 *  warning  link-member                an archive link member at a blob, index.json or
 *                                      oci-layout path: not read (importers ignore links)
 *  error    special-member             a device, FIFO or socket
 *  error    path-unsafe                an archive member with an absolute or ".." name
 *  warning  duplicate-member           an archive holds a name twice (the last copy counts)
 *  error    member-replaced            an archive member is a regular file and then a directory,
 *                                      link or device of the same name (tar extracts the latter):
 *                                      ambiguous, the verification stops (corrupt-archive, exit 3)
 *  warning  blob-name-invalid          a file under blobs/ whose name is not a digest
 *  error    listing-unreadable         a folder of a directory layout that could not be listed,
 *                                      or an entry of it that could not be examined (permissions):
 *                                      unreferenced blobs are then not counted
 *  warning  ref-name-invalid           org.opencontainers.image.ref.name breaks the OCI grammar
 *  error    ref-name-duplicate         two entries of index.json share a ref name but not the
 *                                      digest (nor distinct platforms)
 *  warning  ref-name-repeated          the same ref name and digest listed twice
 *  warning  attestation-subject-missing  an attestation manifest whose
 *                                      vnd.docker.reference.digest names nothing in the layout
 *  warning  config-platform-mismatch   the config's os/architecture differ from the descriptor's
 *  warning  blob-unreferenced          a blob nothing reachable from index.json references, or
 *                                      in a docker save archive a file that neither manifest.json
 *                                      nor a legacy layer directory (<id>/VERSION, json, layer.tar
 *                                      of a layer in use) refers to (only checked when the whole
 *                                      layout is in scope)
 *  warning  image-incomplete           a platform of an image lacks blobs (a sparse export)
 *  error    platform-not-found         --platform: an image has no manifest for it
 *  warning  platform-mismatch          --platform: an image that is a single manifest for
 *                                      another platform (resolve still selects it)
 *
 * Docker save archives (the codes above keep their meaning: blob-missing for a config or layer
 * file manifest.json names that is absent, digest-mismatch for a config or layer file whose
 * bytes do not hash to the digest its name carries, invalid-json, field-missing, field-type and
 * invalid-digest for a config, link-escapes for a Config or Layers path that is a symbolic
 * link leaving the archive):
 *
 *  error    docker-manifest-invalid    manifest.json is not an array of {"Config": file,
 *                                      "RepoTags": null or [names], "Layers": [files]}, or names
 *                                      a path that is absolute or climbs out of the archive
 *  error    diff-id-mismatch           a layer file's bytes do not hash to the config's
 *                                      rootfs.diff_ids entry for it, or manifest.json lists another
 *                                      number of layers than the config has diff_ids (docker load
 *                                      refuses both)
 *  warning  repositories-mismatch      repositories is not {repository: {tag: layer ID}}, names
 *                                      a tag no image has among its RepoTags or a layer that is not
 *                                      that image's top layer, or lacks a RepoTag
 *  warning  docker-manifest-disagrees  hybrid: manifest.json names an image, layers, RepoTags or
 *                                      files that index.json does not reach or that are absent */
#include "descriptor.h"
#include "layout.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define ANN_REF_TYPE "vnd.docker.reference.type"
#define ANN_REF_DIGEST "vnd.docker.reference.digest"
#define MT_EMPTY "application/vnd.oci.empty.v1+json"
#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

#define MAX_FINDINGS 5000
#define HASH_CHUNK (256u * 1024)
#define MAX_THREADS 16
#define NONE ((size_t)-1)

/* ------------------------------------------------------------------ state */

typedef struct vctx {
  long image; /* -1: the layout */
  long plat;  /* global platform record, -1: none */
} vctx;

static const vctx LAYOUT_CTX = {-1, -1};

typedef struct vblob {
  char *digest; /* "alg:hex" */
  ocidig_digest d;
  bool listed;      /* a blob path in the listing */
  bool present;     /* a regular file (or, in a directory, a link to one inside the layout) */
  bool unreadable;  /* present, but could not even be looked at (size unknown): read_error says why */
  bool looked_up;
  bool referenced;  /* a walked descriptor points at it */
  bool described;   /* a descriptor of a parsed index points at it */
  bool scope;       /* --platform/--ref: the walk may descend into it */
  bool missing_counted;
  int64_t size;     /* actual size when present */
  ocidig_hash_state hash;
  char *actual;     /* "alg:hex" of the bytes, with OCIDIG_HASH_MISMATCH */
  char *read_error;
  bool hashed_here; /* bytes_hashed already counts it */
  long image, plat; /* first walked reference, for findings */
  size_t unit;      /* manifest memo */
  int index_state;  /* 0 new, 1 open, 2 done */
  long index_image; /* the image an index was walked for */
  bool index_complete; /* every platform under it complete (set when done) */
  bool entry_scoped; /* --platform: scope_from_resolution ran for an index.json entry with this digest */
} vblob;

typedef struct vmissing {
  size_t blob;
  const char *role;
  long index;
  int64_t size;
} vmissing;

/* A manifest (or other leaf, or a missing index) once, whoever points at it. */
typedef struct vunit {
  size_t blob;
  bool is_index;
  size_t n_blobs;
  int64_t size;
  vmissing *missing;
  size_t n_missing;
  char *config_platform;
} vunit;

/* One manifest of one image. */
typedef struct vplat {
  long image;
  size_t unit;
  char *platform;
  bool has_desc_platform;
  char *media_type;
  char *attestation_of;
  size_t again; /* NONE, or an index walked already (on another path): this row stands for it */
} vplat;

typedef struct vatt {
  char *target;
  char *where;
  char *digest; /* the attestation manifest */
  long image;
} vatt;

/* A descriptor as read, leniently: whatever is usable, after the findings. */
typedef struct vdesc {
  char *where;
  char *media_type;
  char *digest; /* valid digests only */
  ocidig_digest d;
  bool digest_ok;
  int64_t size;
  bool size_ok;
  bool has_platform;
  ocidig_platform platform;
  char *ref_name, *containerd_name, *ref_type, *ref_digest;
  bool foreign;
} vdesc;

/* Open addressing over indexes (+1) of an array whose element i has the key key(ctx, i)
 * (docker save archives: the listing and the files by path, names). */
typedef struct ptab {
  size_t *t;
  size_t cap, used;
} ptab;

typedef struct vfinding {
  ocidig_finding f;
  uint64_t key;
} vfinding;

typedef struct vstate {
  ocidig_layout *l;
  const ocidig_verify_options *o;
  ocidig_verify_report *r;
  const ocidig_platform *host;
  bool scoped;
  bool root_walked; /* index.json was read and its children listed */
  bool nomem;
  vblob *blobs;
  size_t n_blobs, cap_blobs;
  size_t *tab;
  size_t tab_cap;
  vunit *units;
  size_t n_units, cap_units;
  vplat *plats;
  size_t n_plats, cap_plats;
  vatt *atts;
  size_t n_atts, cap_atts;
  vfinding *findings;
  size_t n_findings, cap_findings;
  size_t *ftab;
  size_t ftab_cap;
  uint64_t bytes_hashed;
  /* docker save archives */
  bool docker;               /* manifest.json without index.json */
  const ocidig_entry *ents;  /* the listing, looked up by path through etab */
  size_t n_ents;
  ptab etab;
  struct dfile *dfiles;      /* the config and layer files, each once, by path */
  size_t n_dfiles, cap_dfiles;
  ptab dtab;
} vstate;

/* --------------------------------------------------------------- helpers */

static uint64_t fnv(uint64_t h, const char *s)
{
  if (!s)
    return (h ^ 0xff) * 1099511628211u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return (h ^ 0xfe) * 1099511628211u;
}

static bool json_is(json_object *v, json_type t)
{
  return v && json_object_is_type(v, t);
}

/* A short text of a JSON value for messages: its JSON serialization (escaped by json-c),
 * at most 60 bytes. */
static char *json_text(json_object *v)
{
  const char *s = v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                    : "null";
  size_t n = strlen(s);
  return n > 60 ? oci_sprintf("%.60s...", s) : oci_strdup(s);
}

static const char *blob_path(const ocidig_digest *d, char *buf)
{
  ocidig_digest_blob_path(d, buf);
  return buf;
}

/* -------------------------------------------------------------- findings */

static bool finding_same(const ocidig_finding *f, const char *code, const char *digest, const char *path,
                         const char *msg)
{
  return !strcmp(f->code, code) && oci_streq(f->digest, digest) && oci_streq(f->path, path) &&
         !strcmp(f->message, msg);
}

static bool ftab_grow(vstate *v)
{
  size_t cap = v->ftab_cap ? v->ftab_cap * 2 : 256;
  size_t *t = calloc(cap, sizeof *t);
  if (!t)
    return false;
  for (size_t i = 0; i < v->n_findings; i++) {
    size_t h = (size_t)v->findings[i].key & (cap - 1);
    while (t[h])
      h = (h + 1) & (cap - 1);
    t[h] = i + 1;
  }
  free(v->ftab);
  v->ftab = t;
  v->ftab_cap = cap;
  return true;
}

static void vfind(vstate *v, vctx c, ocidig_severity sev, const char *code, const char *digest, const char *path,
                  const char *fmt, ...) OCI_PRINTF(7, 8);
static void vfind(vstate *v, vctx c, ocidig_severity sev, const char *code, const char *digest, const char *path,
                  const char *fmt, ...)
{
  char msg[2048];
  va_list ap;
  uint64_t key;
  size_t h = 0;
  vfinding *f;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  key = fnv(fnv(fnv(fnv(1469598103934665603u, code), digest), path), msg);
  if (v->ftab_cap) {
    for (h = (size_t)key & (v->ftab_cap - 1); v->ftab[h]; h = (h + 1) & (v->ftab_cap - 1)) {
      const vfinding *o = &v->findings[v->ftab[h] - 1];
      if (o->key == key && finding_same(&o->f, code, digest, path, msg))
        return;
    }
  }
  if (sev == OCIDIG_SEVERITY_ERROR)
    v->r->summary.errors++;
  else if (sev == OCIDIG_SEVERITY_WARNING)
    v->r->summary.warnings++;
  else
    v->r->summary.infos++;
  if (v->n_findings >= MAX_FINDINGS) {
    v->r->summary.findings_dropped++;
    return;
  }
  if ((v->n_findings + 1) * 2 > v->ftab_cap && !ftab_grow(v)) {
    v->nomem = true;
    return;
  }
  if (!oci_grow((void **)&v->findings, &v->cap_findings, v->n_findings + 1, sizeof *v->findings)) {
    v->nomem = true;
    return;
  }
  f = &v->findings[v->n_findings];
  memset(f, 0, sizeof *f);
  f->key = key;
  f->f.code = code;
  f->f.severity = sev;
  f->f.digest = oci_strdup(digest);
  f->f.path = oci_strdup(path);
  f->f.message = oci_strdup(msg);
  f->f.image = c.image;
  f->f.platform = c.plat;
  if (!f->f.message || (digest && !f->f.digest) || (path && !f->f.path)) {
    free(f->f.digest);
    free(f->f.path);
    free(f->f.message);
    v->nomem = true;
    return;
  }
  for (h = (size_t)key & (v->ftab_cap - 1); v->ftab[h]; h = (h + 1) & (v->ftab_cap - 1))
    ;
  v->ftab[h] = ++v->n_findings;
}

#define ERR OCIDIG_SEVERITY_ERROR
#define WARN OCIDIG_SEVERITY_WARNING
#define INFO OCIDIG_SEVERITY_INFO

/* ------------------------------------------------------------ blob table */

static bool btab_grow(vstate *v)
{
  size_t cap = v->tab_cap ? v->tab_cap * 2 : 256;
  size_t *t = calloc(cap, sizeof *t);
  if (!t)
    return false;
  for (size_t i = 0; i < v->n_blobs; i++) {
    size_t h = (size_t)fnv(1469598103934665603u, v->blobs[i].digest) & (cap - 1);
    while (t[h])
      h = (h + 1) & (cap - 1);
    t[h] = i + 1;
  }
  free(v->tab);
  v->tab = t;
  v->tab_cap = cap;
  return true;
}

static size_t blob_find(const vstate *v, const char *digest)
{
  if (!v->tab_cap || !digest)
    return NONE;
  for (size_t h = (size_t)fnv(1469598103934665603u, digest) & (v->tab_cap - 1); v->tab[h];
       h = (h + 1) & (v->tab_cap - 1))
    if (!strcmp(v->blobs[v->tab[h] - 1].digest, digest))
      return v->tab[h] - 1;
  return NONE;
}

/* The record of a digest, created on first use.  NONE when out of memory.  Indexes stay
 * valid; pointers into v->blobs do not survive this call. */
static size_t blob_get(vstate *v, const ocidig_digest *d)
{
  char buf[OCIDIG_DIGEST_STRING_MAX];
  size_t i, h;
  vblob *b;
  ocidig_digest_format(d, buf);
  if ((i = blob_find(v, buf)) != NONE)
    return i;
  if (((v->n_blobs + 1) * 2 > v->tab_cap && !btab_grow(v)) ||
      !oci_grow((void **)&v->blobs, &v->cap_blobs, v->n_blobs + 1, sizeof *v->blobs)) {
    v->nomem = true;
    return NONE;
  }
  b = &v->blobs[v->n_blobs];
  memset(b, 0, sizeof *b);
  if (!(b->digest = oci_strdup(buf))) {
    v->nomem = true;
    return NONE;
  }
  b->d = *d;
  b->unit = NONE;
  b->image = -1;
  b->plat = -1;
  for (h = (size_t)fnv(1469598103934665603u, buf) & (v->tab_cap - 1); v->tab[h]; h = (h + 1) & (v->tab_cap - 1))
    ;
  v->tab[h] = v->n_blobs + 1;
  return v->n_blobs++;
}

static bool blob_present(vstate *v, size_t bi)
{
  vblob *b = &v->blobs[bi];
  if (b->looked_up)
    return b->present;
  b->looked_up = true;
  if (!v->l->is_archive && !b->present) {
    /* Not a plain file in the listing: ask the source, which follows links that stay
     * inside the layout. */
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    ocidig_entry e;
    ocidig_error err;
    ocidig_code rc = ocidig_layout_stat(v->l, blob_path(&b->d, path), &e, &err);
    if (rc == OCIDIG_OK && e.type == OCIDIG_ENTRY_FILE) {
      b->present = true;
      b->size = e.size;
    } else if (rc == OCIDIG_ERR_NOMEM) {
      v->nomem = true;
    } else if (rc != OCIDIG_OK && rc != OCIDIG_ERR_BLOB_MISSING) {
      /* There, as far as anyone can tell, but not readable (a folder or file without
       * permission): blob-unreadable, not absent. */
      b->present = true;
      b->unreadable = true;
      if (!b->read_error && !(b->read_error = oci_strdup(err.message)))
        v->nomem = true;
    }
  }
  return b->present;
}

/* ---------------------------------------------------------- descriptors */

static void vdesc_clear(vdesc *d)
{
  free(d->where);
  free(d->media_type);
  free(d->digest);
  ocidig_platform_clear(&d->platform);
  free(d->ref_name);
  free(d->containerd_name);
  free(d->ref_type);
  free(d->ref_digest);
  memset(d, 0, sizeof *d);
}

static int b64val(char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Standard base64 with padding (Go's []byte in JSON).  false when invalid. */
static bool base64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen)
{
  uint8_t *buf;
  size_t k = 0, pad = 0;
  *out = NULL;
  *outlen = 0;
  if (n % 4)
    return false;
  if (n >= 1 && s[n - 1] == '=')
    pad++;
  if (n >= 2 && s[n - 2] == '=')
    pad++;
  if (!(buf = malloc(n / 4 * 3 + 1)))
    return false;
  for (size_t i = 0; i < n; i += 4) {
    int q[4];
    for (int j = 0; j < 4; j++) {
      bool tail = i + 4 == n && j >= 4 - (int)pad;
      q[j] = tail ? 0 : b64val(s[i + (size_t)j]);
      if (q[j] < 0) {
        free(buf);
        return false;
      }
    }
    buf[k++] = (uint8_t)(q[0] << 2 | q[1] >> 4);
    buf[k++] = (uint8_t)((q[1] & 15) << 4 | q[2] >> 2);
    buf[k++] = (uint8_t)((q[2] & 3) << 6 | q[3]);
  }
  *out = buf;
  *outlen = k - pad;
  return true;
}

static bool is_string_array(json_object *a)
{
  if (!json_is(a, json_type_array))
    return false;
  for (size_t i = 0; i < json_object_array_length(a); i++)
    if (!json_is(json_object_array_get_idx(a, i), json_type_string))
      return false;
  return true;
}

static bool is_string_map(json_object *o)
{
  if (!json_is(o, json_type_object))
    return false;
  json_object_object_foreach(o, k, val)
  {
    (void)k;
    if (!json_is(val, json_type_string))
      return false;
  }
  return true;
}

/* An optional field: absent or null is fine; else it must be of type t. */
static void check_optional(vstate *v, vctx c, json_object *obj, const char *key, json_type t, const char *want,
                           const char *where, const char *digest, const char *path)
{
  json_object *x = oci_json_get(obj, key);
  if (x && !json_object_is_type(x, t))
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"%s\" must be %s, not %s", where, key, want,
          oci_json_type_name(x));
}

static char *annotation(json_object *ann, const char *key)
{
  json_object *x = oci_json_get(ann, key);
  return json_is(x, json_type_string) ? oci_json_strdup(x) : NULL;
}

static void check_platform_object(vstate *v, vctx c, json_object *p, const char *where, const char *digest,
                                  const char *path, vdesc *out)
{
  bool ok = true;
  static const char *const required[] = {"architecture", "os"};
  if (!json_is(p, json_type_object)) {
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"platform\" must be an object, not %s", where,
          oci_json_type_name(p));
    return;
  }
  for (int i = 0; i < 2; i++) {
    json_object *x = oci_json_get(p, required[i]);
    if (!oci_json_has(p, required[i])) {
      vfind(v, c, ERR, "field-missing", digest, path, "%s: the platform has no \"%s\" (required, a string)", where,
            required[i]);
      ok = false;
    } else if (!json_is(x, json_type_string)) {
      vfind(v, c, ERR, "field-type", digest, path, "%s: platform \"%s\" must be a string, not %s", where,
            required[i], oci_json_type_name(x));
      ok = false;
    }
  }
  if (oci_json_get(p, "variant") && !json_is(oci_json_get(p, "variant"), json_type_string)) {
    vfind(v, c, ERR, "field-type", digest, path, "%s: platform \"variant\" must be a string, not %s", where,
          oci_json_type_name(oci_json_get(p, "variant")));
    ok = false;
  }
  if (oci_json_get(p, "os.version") && !json_is(oci_json_get(p, "os.version"), json_type_string)) {
    vfind(v, c, ERR, "field-type", digest, path, "%s: platform \"os.version\" must be a string, not %s", where,
          oci_json_type_name(oci_json_get(p, "os.version")));
    ok = false;
  }
  if (oci_json_get(p, "os.features") && !is_string_array(oci_json_get(p, "os.features"))) {
    vfind(v, c, ERR, "field-type", digest, path, "%s: platform \"os.features\" must be an array of strings", where);
    ok = false;
  }
  if (ok) {
    ocidig_error e;
    if (oci_platform_parse_json(p, where, &out->platform, NULL, &e) == OCIDIG_OK)
      out->has_platform = true;
  }
}

/* Reads and checks one descriptor.  `digest`/`path` name the document holding it. */
static void check_descriptor(vstate *v, vctx c, json_object *obj, const char *where, const char *digest,
                             const char *path, bool index_child, vdesc *out)
{
  json_object *x;
  memset(out, 0, sizeof *out);
  out->where = oci_strdup(where);
  if (!out->where)
    v->nomem = true;
  if (!json_is(obj, json_type_object)) {
    vfind(v, c, ERR, "field-type", digest, path, "%s: a descriptor must be an object, not %s", where,
          oci_json_type_name(obj));
    return;
  }
  /* mediaType */
  x = oci_json_get(obj, "mediaType");
  if (!oci_json_has(obj, "mediaType"))
    vfind(v, c, ERR, "field-missing", digest, path, "%s: no \"mediaType\" (a descriptor requires a string)", where);
  else if (!json_is(x, json_type_string))
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"mediaType\" must be a string, not %s", where,
          oci_json_type_name(x));
  else
    out->media_type = oci_json_strdup(x);
  /* digest */
  x = oci_json_get(obj, "digest");
  if (!oci_json_has(obj, "digest")) {
    vfind(v, c, ERR, "field-missing", digest, path, "%s: no \"digest\" (a descriptor requires one)", where);
  } else if (!json_is(x, json_type_string)) {
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"digest\" must be a string, not %s", where,
          oci_json_type_name(x));
  } else {
    ocidig_error e;
    ocidig_code rc = ocidig_digest_parse(json_object_get_string(x), (size_t)json_object_get_string_len(x), &out->d, &e);
    if (rc == OCIDIG_OK) {
      char buf[OCIDIG_DIGEST_STRING_MAX];
      ocidig_digest_format(&out->d, buf);
      out->digest = oci_strdup(buf);
      out->digest_ok = out->digest != NULL;
    } else if (rc == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM) {
      vfind(v, c, ERR, "unsupported-digest-algorithm", digest, path, "%s: %s", where, e.message);
    } else {
      vfind(v, c, ERR, "invalid-digest", digest, path, "%s: %s", where, e.message);
    }
  }
  /* size */
  x = oci_json_get(obj, "size");
  if (!oci_json_has(obj, "size")) {
    vfind(v, c, ERR, "field-missing", digest, path, "%s: no \"size\" (a descriptor requires an integer)", where);
  } else if (!oci_json_int64(x, &out->size)) {
    char *t = json_text(x);
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"size\" must be an integer literal within int64, not %s %s",
          where, oci_json_type_name(x), t ? t : "");
    free(t);
  } else if (out->size < 0) {
    vfind(v, c, ERR, "size-negative", digest, path, "%s: \"size\" is %lld; a size is 0 or more", where,
          (long long)out->size);
  } else {
    out->size_ok = true;
  }
  /* the optional fields */
  check_optional(v, c, obj, "artifactType", json_type_string, "a string", where, digest, path);
  x = oci_json_get(obj, "urls");
  if (x && !is_string_array(x))
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"urls\" must be an array of strings", where);
  else if (x && json_object_array_length(x) > 0)
    out->foreign = true;
  x = oci_json_get(obj, "annotations");
  if (x && !is_string_map(x))
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"annotations\" must be an object of strings", where);
  if (json_is(x, json_type_object)) {
    out->ref_name = annotation(x, ANN_REF_NAME);
    out->containerd_name = annotation(x, ANN_CONTAINERD_NAME);
    out->ref_type = annotation(x, ANN_REF_TYPE);
    out->ref_digest = annotation(x, ANN_REF_DIGEST);
  }
  x = oci_json_get(obj, "data");
  if (x && !json_is(x, json_type_string)) {
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"data\" must be a base64 string, not %s", where,
          oci_json_type_name(x));
  } else if (x) {
    uint8_t *data;
    size_t len;
    if (!base64_decode(json_object_get_string(x), (size_t)json_object_get_string_len(x), &data, &len)) {
      vfind(v, c, ERR, "field-type", digest, path, "%s: \"data\" is not valid standard base64", where);
    } else {
      if (out->size_ok && (int64_t)len != out->size) {
        vfind(v, c, ERR, "data-mismatch", digest, path, "%s: inline data is %zu bytes; the descriptor's size is %lld",
              where, len, (long long)out->size);
      } else if (out->digest_ok) {
        char hex[129];
        oci_hash_hex(out->d.alg, data, len, hex);
        if (strcmp(hex, out->d.hex))
          vfind(v, c, ERR, "data-mismatch", digest, path, "%s: inline data hashes to %s:%s; expected %s", where,
                ocidig_digest_alg_name(out->d.alg), hex, out->digest);
      }
      free(data);
    }
  }
  if (index_child && (x = oci_json_get(obj, "platform")) != NULL)
    check_platform_object(v, c, x, where, digest, path, out);
  /* the empty descriptor */
  if (out->media_type && !strcmp(out->media_type, MT_EMPTY) &&
      ((out->digest_ok && strcmp(out->digest, EMPTY_DIGEST)) || (out->size_ok && out->size != 2)))
    vfind(v, c, ERR, "empty-descriptor-invalid", digest, path,
          "%s: an empty descriptor (%s) must have digest %s and size 2 (the bytes \"{}\"), not %s and %lld", where,
          MT_EMPTY, EMPTY_DIGEST, out->digest ? out->digest : "an invalid digest", (long long)out->size);
  if (out->media_type && (strstr(out->media_type, "nondistributable") || strstr(out->media_type, "foreign.diff")))
    out->foreign = true;
  if (!out->media_type && json_is(oci_json_get(obj, "mediaType"), json_type_string))
    v->nomem = true;
}

/* ------------------------------------------------------------ ref names */

static bool alnum(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* ref ::= component ("/" component)*; component ::= alphanum (separator alphanum)*;
 * alphanum ::= [A-Za-z0-9]+; separator ::= [-._:@+] | "--" */
static bool ref_name_valid(const char *s)
{
  const char *p = s;
  for (;;) {
    if (!alnum(*p))
      return false;
    while (alnum(*p))
      p++;
    if (*p == '\0')
      return true;
    if (*p == '/') {
      p++;
      continue;
    }
    if (p[0] == '-' && p[1] == '-')
      p += 2;
    else if (strchr("-._:@+", *p))
      p++;
    else
      return false;
  }
}

static const char *image_name(const vdesc *d)
{
  if (d->ref_name && *d->ref_name)
    return d->ref_name;
  if (d->containerd_name && *d->containerd_name)
    return d->containerd_name;
  return NULL;
}

static char *platform_text(const vdesc *d)
{
  if (!d->has_platform)
    return NULL;
  if (!d->platform.os && !d->platform.architecture && !d->platform.variant)
    return oci_strdup("{}");
  return ocidig_platform_format(&d->platform);
}

static void check_ref_names(vstate *v, const vdesc *kids, size_t n, const char *what)
{
  bool top = !strcmp(what, "index.json");
  for (size_t i = 0; i < n; i++) {
    const vdesc *a = &kids[i];
    if (!a->ref_name)
      continue;
    if (!ref_name_valid(a->ref_name)) {
      char *q = oci_quote(a->ref_name, strlen(a->ref_name), 120);
      vfind(v, LAYOUT_CTX, WARN, "ref-name-invalid", a->digest, top ? "index.json" : NULL,
            "%s: ref name %s does not match the OCI grammar (components of [A-Za-z0-9] joined by one of "
            "-._:@+ or \"--\", separated by \"/\")",
            a->where, q ? q : "?");
      free(q);
    }
    if (!top)
      continue;
    for (size_t j = 0; j < i; j++) {
      const vdesc *b = &kids[j];
      char *pa, *pb;
      bool same_platform;
      if (!b->ref_name || strcmp(a->ref_name, b->ref_name))
        continue;
      pa = platform_text(a);
      pb = platform_text(b);
      same_platform = oci_streq(pa, pb);
      free(pa);
      free(pb);
      if (oci_streq(a->digest, b->digest) && same_platform) {
        char *q = oci_quote(a->ref_name, strlen(a->ref_name), 120);
        vfind(v, LAYOUT_CTX, WARN, "ref-name-repeated", a->digest, "index.json",
              "index.json manifests[%zu] and manifests[%zu] both name %s for the same digest", j, i, q ? q : "?");
        free(q);
      } else if (same_platform) {
        char *q = oci_quote(a->ref_name, strlen(a->ref_name), 120);
        vfind(v, LAYOUT_CTX, ERR, "ref-name-duplicate", a->digest, "index.json",
              "index.json manifests[%zu] and manifests[%zu] both name %s but point at different manifests (%s, %s); "
              "a ref name must identify one",
              j, i, q ? q : "?", b->digest ? b->digest : "(invalid digest)",
              a->digest ? a->digest : "(invalid digest)");
        free(q);
      }
      break;
    }
  }
}

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

static ocidig_code scan_listing(vstate *v)
{
  const ocidig_entry *ents;
  size_t n;
  ocidig_error e;
  ocidig_code rc = ocidig_layout_entries(v->l, &ents, &n, &e);
  bool archive = v->l->is_archive;
  size_t n_replaced = 0;
  const char *const *list_errors, *const *list_error_paths;
  size_t n_list_errors = oci_layout_list_errors(v->l, &list_errors, &list_error_paths);
  if (rc != OCIDIG_OK) {
    v->r->error = e;
    return rc;
  }
  for (size_t i = 0; !archive && i < n_list_errors; i++)
    vfind(v, LAYOUT_CTX, ERR, "listing-unreadable", NULL, list_error_paths[i],
          "%s; what is there is not known (and not counted as unreferenced)", list_errors[i]);
  for (size_t i = 0; i < n; i++) {
    const ocidig_entry *en = &ents[i];
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
        vfind(v, LAYOUT_CTX, ERR, "path-unsafe", NULL, p,
              "archive member %s has an absolute or \"..\" name: it would be written outside the layout", qp);
    }
    if (is_link && !unsafe && (archive ? en->escapes : dir_link_escapes(v, en))) {
      char *t = oci_quote(oci_str(en->link_target), strlen(oci_str(en->link_target)), 200);
      vfind(v, LAYOUT_CTX, ERR, "link-escapes", NULL, p,
            "%s %s points at %s, %s: a link in a layout must stay inside it",
            archive ? "archive member" : "symbolic link", qp, t ? t : "?",
            en->link_target && en->link_target[0] == '/' ? "an absolute path" : "outside the layout");
      free(t);
    } else if (is_link && archive &&
               (!strncmp(p, "blobs/", 6) || !strcmp(p, "index.json") || !strcmp(p, "oci-layout"))) {
      char *t = oci_quote(oci_str(en->link_target), strlen(oci_str(en->link_target)), 200);
      vfind(v, LAYOUT_CTX, WARN, "link-member", NULL, p,
            "archive member %s is a %s link to %s: it is not read (importers such as containerd skip links); "
            "store the file itself",
            qp, en->type == OCIDIG_ENTRY_HARDLINK ? "hard" : "symbolic", t ? t : "?");
      free(t);
    }
    if (en->type == OCIDIG_ENTRY_SPECIAL)
      vfind(v, LAYOUT_CTX, ERR, "special-member", NULL, p,
            "%s %s is a device, FIFO or socket: a layout holds only regular files and directories",
            archive ? "archive member" : "file", qp);
    if (en->duplicate && en->type != OCIDIG_ENTRY_FILE) {
      /* A regular file and then a folder, link or device of its name: tar extracts the
       * latter, a reader that took the file acted on something else (resolve refuses such
       * an archive as ambiguous): corrupt-archive, after the listing. */
      ocidig_entry tmp;
      const char *noun = en->type == OCIDIG_ENTRY_DIRECTORY ? "directory"
                         : en->type == OCIDIG_ENTRY_SYMLINK ? "symbolic link"
                         : en->type == OCIDIG_ENTRY_HARDLINK ? "hard link"
                                                             : "device, FIFO or socket";
      vfind(v, LAYOUT_CTX, ERR, "member-replaced", NULL, p,
            "archive member %s is a regular file and then a %s of the same name: tar extracts the %s, so the "
            "layout it gives has no file %s; the archive is ambiguous",
            qp, noun, noun, qp);
      /* The library's own words for it (the message resolve gives). */
      if (n_replaced++ == 0 && ocidig_layout_stat(v->l, p, &tmp, &v->r->error) != OCIDIG_ERR_CORRUPT_ARCHIVE)
        oci_fail(&v->r->error, OCIDIG_ERR_CORRUPT_ARCHIVE, "%s: %s is a regular file in the archive and then a %s: "
                 "ambiguous", v->l->path, qp, noun);
    } else if (en->duplicate) {
      vfind(v, LAYOUT_CTX, WARN, "duplicate-member", NULL, p,
            "archive member %s appears more than once: the last copy is used, but extractors may differ", qp);
    }
    if (!unsafe && !strncmp(p, "blobs/", 6) && en->type != OCIDIG_ENTRY_DIRECTORY) {
      ocidig_digest_alg alg;
      const char *hex = oci_blob_path_hex(p, &alg);
      if (!hex) {
        vfind(v, LAYOUT_CTX, WARN, "blob-name-invalid", NULL, p,
              "%s is under blobs/ but its name is not blobs/<algorithm>/<encoded digest> with a supported "
              "algorithm (sha256: 64 lowercase hex, sha512: 128)",
              qp);
      } else {
        ocidig_digest d;
        size_t bi;
        d.alg = alg;
        snprintf(d.hex, sizeof d.hex, "%s", hex);
        bi = blob_get(v, &d);
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
            if (en->hash == OCIDIG_HASH_MISMATCH && !(b->actual = oci_sprintf("%s:%s", ocidig_digest_alg_name(alg),
                                                                              en->actual_hex)))
              v->nomem = true;
          } else if (archive) {
            b->looked_up = true; /* a link or special member: not a blob */
          }
        }
      }
    }
    free(q);
  }
  if (n_replaced)
    return v->r->error.code;
  return OCIDIG_OK;
}

/* ------------------------------------------------------------ documents */

/* The root: oci_layout_check_root decides, in the order of every other command: no
 * index.json (nor manifest.json) is missing-index-json (walk_root says so); then oci-layout:
 * absent is a finding; invalid (bad-oci-layout) or unreadable (io-error, ...) stops the
 * verification with that code (exit 3), as resolve stops.  oci-layout is read once. */
static ocidig_code check_root(vstate *v, ocidig_layout_format *format)
{
  oci_json_doc doc;
  ocidig_error e;
  bool absent = false;
  ocidig_code rc = oci_layout_check_root(v->l, format, &absent, &doc, &e);
  if (rc == OCIDIG_ERR_MISSING_INDEX_JSON)
    return OCIDIG_OK; /* walk_root reads index.json and reports it */
  if (rc == OCIDIG_ERR_NOMEM) {
    v->nomem = true;
    return OCIDIG_OK;
  }
  if (rc != OCIDIG_OK) {
    if (*format == OCIDIG_FORMAT_OCI || *format == OCIDIG_FORMAT_HYBRID)
      vfind(v, LAYOUT_CTX, ERR, ocidig_code_name(rc), NULL, "oci-layout", "%s", e.message);
    v->r->error = e;
    return rc;
  }
  if (absent && *format != OCIDIG_FORMAT_DOCKER_ARCHIVE) {
    vfind(v, LAYOUT_CTX, ERR, "oci-layout-missing", NULL, "oci-layout",
          "the layout has no oci-layout file; expected {\"imageLayoutVersion\": \"1.0.0\"}");
    return OCIDIG_OK;
  }
  /* valid: only duplicate keys are left to report */
  for (size_t i = 0; i < doc.n_dup_keys; i++) {
    char *q = oci_quote(doc.dup_keys[i], strlen(doc.dup_keys[i]), 80);
    vfind(v, LAYOUT_CTX, WARN, "json-duplicate-key", NULL, "oci-layout",
          "oci-layout: key %s appears more than once in one object", q ? q : "?");
    free(q);
  }
  oci_json_doc_free(&doc);
  return OCIDIG_OK;
}

/* Reads a blob that holds a document; its hash is noted on the way. */
static uint8_t *read_blob_doc(vstate *v, vctx c, size_t bi, const char *what, size_t *len)
{
  char path[OCIDIG_DIGEST_STRING_MAX + 8];
  uint8_t *data;
  ocidig_error e;
  ocidig_code rc;
  vblob *b = &v->blobs[bi];
  blob_path(&b->d, path);
  if (b->size > (int64_t)OCIDIG_MAX_JSON_SIZE) {
    vfind(v, c, ERR, "json-too-large", b->digest, path, "%s is %lld bytes, more than the %u-byte limit for a document",
          what, (long long)b->size, OCIDIG_MAX_JSON_SIZE);
    return NULL;
  }
  rc = ocidig_layout_read_file(v->l, path, OCIDIG_MAX_JSON_SIZE, &data, len, &e);
  if (rc == OCIDIG_ERR_JSON_TOO_LARGE) {
    vfind(v, c, ERR, "json-too-large", b->digest, path, "%s: %s", what, e.message);
    return NULL;
  }
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    if (!b->read_error)
      b->read_error = oci_strdup(e.message);
    return NULL;
  }
  if (b->hash == OCIDIG_HASH_UNKNOWN && (int64_t)*len == b->size) {
    char hex[129];
    oci_hash_hex(b->d.alg, data, *len, hex);
    b->hash = strcmp(hex, b->d.hex) ? OCIDIG_HASH_MISMATCH : OCIDIG_HASH_OK;
    if (b->hash == OCIDIG_HASH_MISMATCH && !(b->actual = oci_sprintf("%s:%s", ocidig_digest_alg_name(b->d.alg), hex)))
      v->nomem = true;
    if (!b->hashed_here) {
      b->hashed_here = true;
      v->bytes_hashed += *len;
    }
  }
  return data;
}

static bool parse_doc(vstate *v, vctx c, const uint8_t *data, size_t len, const char *what, const char *digest,
                      const char *path, oci_json_doc *doc)
{
  ocidig_error e;
  ocidig_code rc = oci_json_parse(data, len, what, doc, &e);
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    vfind(v, c, ERR, rc == OCIDIG_ERR_JSON_TOO_LARGE ? "json-too-large" : "invalid-json", digest, path, "%s",
          e.message);
    return false;
  }
  if (doc->n_dup_keys) {
    oci_buf b = {0};
    for (size_t i = 0; i < doc->n_dup_keys; i++) {
      oci_buf_puts(&b, i ? ", \"" : "\"");
      oci_buf_quote(&b, doc->dup_keys[i], strlen(doc->dup_keys[i]) > 80 ? 80 : strlen(doc->dup_keys[i]));
      oci_buf_puts(&b, "\"");
    }
    vfind(v, c, WARN, "json-duplicate-key", digest, path,
          "%s: key%s %s appear%s more than once in one object; containerd takes the last one, other parsers may "
          "not (expected unique keys)",
          what, doc->n_dup_keys > 1 ? "s" : "", b.s ? b.s : "?", doc->n_dup_keys > 1 ? "" : "s");
    oci_buf_free(&b);
  }
  return true;
}

/* schemaVersion, mediaType against the descriptor, kind, annotations.  false when the
 * document is not an object or not of the kind its descriptor says (not checked further). */
static bool check_document(vstate *v, vctx c, json_object *root, ocidig_kind want, const char *desc_mt,
                           const char *what, const char *digest, const char *path)
{
  json_object *x;
  const char *body_mt = NULL;
  ocidig_kind body = OCIDIG_KIND_OTHER;
  int64_t sv;
  bool kind_ok = true;
  if (!json_is(root, json_type_object)) {
    vfind(v, c, ERR, "invalid-json", digest, path, "%s is %s, not a JSON object", what, oci_json_type_name(root));
    return false;
  }
  x = oci_json_get(root, "schemaVersion");
  if (!oci_json_has(root, "schemaVersion")) {
    vfind(v, c, ERR, "schema-version", digest, path, "%s has no schemaVersion; expected 2", what);
  } else if (!oci_json_int64(x, &sv) || sv != 2) {
    char *t = json_text(x);
    vfind(v, c, ERR, "schema-version", digest, path, "%s: schemaVersion is %s; expected 2", what, t ? t : "?");
    free(t);
  }
  x = oci_json_get(root, "mediaType");
  if (x && !json_is(x, json_type_string))
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"mediaType\" must be a string, not %s", what,
          oci_json_type_name(x));
  else if (x)
    body_mt = json_object_get_string(x);
  if (body_mt)
    body = ocidig_media_type_kind(body_mt);
  if (oci_json_has(root, "fsLayers")) {
    vfind(v, c, ERR, "kind-mismatch", digest, path,
          "%s is a Docker schema 1 manifest (fsLayers), which is not supported; expected %s", what,
          want == OCIDIG_KIND_INDEX ? "an image index" : "an image manifest");
    kind_ok = false;
  } else if (want == OCIDIG_KIND_MANIFEST && (oci_json_has(root, "manifests") || body == OCIDIG_KIND_INDEX)) {
    vfind(v, c, ERR, "kind-mismatch", digest, path,
          "%s: the body is an index, but its descriptor says %s; its content is not checked further", what,
          oci_str(desc_mt));
    kind_ok = false;
  } else if (want == OCIDIG_KIND_INDEX &&
             (oci_json_has(root, "config") || oci_json_has(root, "layers") || body == OCIDIG_KIND_MANIFEST)) {
    vfind(v, c, ERR, "kind-mismatch", digest, path,
          "%s: the body is a manifest, but %s; its content is not checked further", what,
          desc_mt ? "its descriptor says an index" : "index.json must be an image index");
    kind_ok = false;
  } else if (body_mt && desc_mt && strcmp(body_mt, desc_mt)) {
    char *q = oci_quote(body_mt, strlen(body_mt), 100);
    vfind(v, c, ERR, "media-type-mismatch", digest, path,
          "%s: the body's mediaType is %s, but the descriptor that points at it says %s", what, q ? q : "?", desc_mt);
    free(q);
  } else if (body_mt && !desc_mt && strcmp(body_mt, OCIDIG_MT_OCI_INDEX)) {
    char *q = oci_quote(body_mt, strlen(body_mt), 100);
    vfind(v, c, ERR, "media-type-mismatch", digest, path, "%s: mediaType is %s; expected %s", what, q ? q : "?",
          OCIDIG_MT_OCI_INDEX);
    free(q);
  }
  check_optional(v, c, root, "artifactType", json_type_string, "a string", what, digest, path);
  x = oci_json_get(root, "annotations");
  if (x && !is_string_map(x))
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"annotations\" must be an object of strings", what);
  return kind_ok;
}

/* The children of an index, each type-checked. */
static vdesc *index_children(vstate *v, vctx c, json_object *root, const char *what, const char *digest,
                             const char *path, size_t *n_out)
{
  json_object *arr = oci_json_get(root, "manifests");
  vdesc *kids;
  size_t n;
  *n_out = 0;
  if (!oci_json_has(root, "manifests")) {
    vfind(v, c, ERR, "field-missing", digest, path, "%s has no \"manifests\" (an image index requires an array)",
          what);
    return NULL;
  }
  if (!json_is(arr, json_type_array)) {
    vfind(v, c, ERR, "field-type", digest, path, "%s: \"manifests\" must be an array, not %s", what,
          oci_json_type_name(arr));
    return NULL;
  }
  n = json_object_array_length(arr);
  if (n > OCIDIG_MAX_INDEX_DESCRIPTORS) {
    vfind(v, c, ERR, "limit-exceeded", digest, path,
          "%s has %zu descriptors, more than the limit of %d; only the first %d are checked", what, n,
          OCIDIG_MAX_INDEX_DESCRIPTORS, OCIDIG_MAX_INDEX_DESCRIPTORS);
    n = OCIDIG_MAX_INDEX_DESCRIPTORS;
  }
  kids = calloc(n ? n : 1, sizeof *kids);
  if (!kids) {
    v->nomem = true;
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    char where[OCIDIG_DIGEST_STRING_MAX + 64];
    snprintf(where, sizeof where, "%s manifests[%zu]", what, i);
    check_descriptor(v, c, json_object_array_get_idx(arr, i), where, digest, path, true, &kids[i]);
    if (kids[i].digest_ok) {
      size_t bi = blob_get(v, &kids[i].d);
      if (bi != NONE)
        v->blobs[bi].described = true;
    }
    if (kids[i].ref_type && !strcmp(kids[i].ref_type, "attestation-manifest") &&
        oci_grow((void **)&v->atts, &v->cap_atts, v->n_atts + 1, sizeof *v->atts)) {
      vatt *a = &v->atts[v->n_atts++];
      a->target = oci_strdup(oci_str(kids[i].ref_digest));
      a->where = oci_strdup(where);
      a->digest = oci_strdup(kids[i].digest);
      a->image = c.image;
    }
  }
  *n_out = n;
  return kids;
}

static void free_children(vdesc *kids, size_t n)
{
  for (size_t i = 0; i < n; i++)
    vdesc_clear(&kids[i]);
  free(kids);
}

/* ------------------------------------------------------------------ walk */

static size_t new_unit(vstate *v, size_t bi, bool is_index)
{
  vunit *u;
  if (!oci_grow((void **)&v->units, &v->cap_units, v->n_units + 1, sizeof *v->units)) {
    v->nomem = true;
    return NONE;
  }
  u = &v->units[v->n_units];
  memset(u, 0, sizeof *u);
  u->blob = bi;
  u->is_index = is_index;
  return v->n_units++;
}

static void unit_add(vstate *v, size_t ui, size_t bi, const char *role, long index, const vdesc *d, bool present)
{
  vunit *u;
  if (ui == NONE)
    return;
  u = &v->units[ui];
  u->n_blobs++;
  if (d->size_ok)
    u->size = oci_size_add(u->size, d->size);
  if (present)
    return;
  {
    vmissing *m = realloc(u->missing, (u->n_missing + 1) * sizeof *m);
    if (!m) {
      v->nomem = true;
      return;
    }
    u->missing = m;
    m[u->n_missing++] = (vmissing){bi, role, index, d->size_ok ? d->size : -1};
  }
}

static size_t new_plat(vstate *v, long image, const vdesc *d)
{
  vplat *p;
  if (!oci_grow((void **)&v->plats, &v->cap_plats, v->n_plats + 1, sizeof *v->plats)) {
    v->nomem = true;
    return NONE;
  }
  p = &v->plats[v->n_plats];
  memset(p, 0, sizeof *p);
  p->image = image;
  p->unit = NONE;
  p->again = NONE;
  p->has_desc_platform = d->has_platform;
  p->platform = platform_text(d);
  p->media_type = oci_strdup(d->media_type);
  if (d->ref_type && !strcmp(d->ref_type, "attestation-manifest"))
    p->attestation_of = oci_strdup(d->ref_digest ? d->ref_digest : "");
  return v->n_plats++;
}

/* A walked reference: presence and size.  true when the blob is present. */
static bool check_ref(vstate *v, vctx c, const vdesc *d, size_t bi)
{
  vblob *b = &v->blobs[bi];
  char path[OCIDIG_DIGEST_STRING_MAX + 8];
  if (!b->referenced) {
    b->referenced = true;
    b->image = c.image;
    b->plat = c.plat;
  }
  if (!blob_present(v, bi))
    return false;
  b = &v->blobs[bi];
  if (d->size_ok && !b->unreadable && d->size != b->size)
    vfind(v, c, ERR, "size-mismatch", b->digest, blob_path(&b->d, path),
          "%s is %lld bytes, but the descriptor (%s) says %lld", path, (long long)b->size, d->where,
          (long long)d->size);
  return true;
}

static bool same_platform(const vstate *v, const ocidig_platform *a, const ocidig_platform *b)
{
  ocidig_platform na = {0}, nb = {0};
  bool same;
  if (ocidig_platform_normalize(a, v->host, &na, NULL) != OCIDIG_OK ||
      ocidig_platform_normalize(b, v->host, &nb, NULL) != OCIDIG_OK) {
    ocidig_platform_clear(&na);
    ocidig_platform_clear(&nb);
    return true;
  }
  same = oci_streq(na.os, nb.os) && oci_streq(na.architecture, nb.architecture) &&
         (!na.variant || !nb.variant || oci_streq(na.variant, nb.variant));
  ocidig_platform_clear(&na);
  ocidig_platform_clear(&nb);
  return same;
}

/* An image config: JSON, and its platform against the manifest's descriptor. */
static void check_config(vstate *v, vctx c, const vdesc *md, const vdesc *cd, size_t cbi, size_t ui)
{
  char what[OCIDIG_DIGEST_STRING_MAX + 16], path[OCIDIG_DIGEST_STRING_MAX + 8];
  size_t len;
  uint8_t *data;
  oci_json_doc doc;
  snprintf(what, sizeof what, "config %s", cd->digest);
  blob_path(&cd->d, path);
  if (!(data = read_blob_doc(v, c, cbi, what, &len)))
    return;
  if (!parse_doc(v, c, data, len, what, cd->digest, path, &doc)) {
    free(data);
    return;
  }
  free(data);
  if (!json_is(doc.root, json_type_object)) {
    vfind(v, c, ERR, "invalid-json", cd->digest, path, "%s is %s, not a JSON object", what,
          oci_json_type_name(doc.root));
  } else {
    ocidig_platform p;
    unsigned keys = 0;
    ocidig_error e;
    if (oci_platform_parse_json(doc.root, what, &p, &keys, &e) != OCIDIG_OK) {
      vfind(v, c, ERR, "field-type", cd->digest, path, "%s", e.message);
    } else {
      if ((keys & (OCIDIG_PLATFORM_KEY_OS | OCIDIG_PLATFORM_KEY_ARCHITECTURE)) && ui != NONE &&
          !v->units[ui].config_platform)
        v->units[ui].config_platform = ocidig_platform_format(&p);
      if (md->has_platform && (keys & OCIDIG_PLATFORM_KEY_OS) && (keys & OCIDIG_PLATFORM_KEY_ARCHITECTURE) &&
          !same_platform(v, &md->platform, &p)) {
        char *a = ocidig_platform_format(&md->platform), *b = ocidig_platform_format(&p);
        vfind(v, c, WARN, "config-platform-mismatch", cd->digest, path,
              "%s: the index lists manifest %s for %s, but its config says %s", what, md->digest, a ? a : "?",
              b ? b : "?");
        free(a);
        free(b);
      }
      ocidig_platform_clear(&p);
    }
  }
  oci_json_doc_free(&doc);
}

static void walk_manifest(vstate *v, vctx c, const vdesc *md, size_t bi, size_t ui)
{
  char what[OCIDIG_DIGEST_STRING_MAX + 16], path[OCIDIG_DIGEST_STRING_MAX + 8];
  size_t len;
  uint8_t *data;
  oci_json_doc doc;
  json_object *x;
  snprintf(what, sizeof what, "manifest %s", md->digest);
  blob_path(&md->d, path);
  if (!(data = read_blob_doc(v, c, bi, what, &len)))
    return;
  if (!parse_doc(v, c, data, len, what, md->digest, path, &doc)) {
    free(data);
    return;
  }
  free(data);
  if (!check_document(v, c, doc.root, OCIDIG_KIND_MANIFEST, md->media_type, what, md->digest, path)) {
    oci_json_doc_free(&doc);
    return;
  }
  /* config */
  x = oci_json_get(doc.root, "config");
  if (!oci_json_has(doc.root, "config")) {
    vfind(v, c, ERR, "field-missing", md->digest, path, "%s has no \"config\" (an image manifest requires one)",
          what);
  } else {
    vdesc cd;
    char where[OCIDIG_DIGEST_STRING_MAX + 32];
    snprintf(where, sizeof where, "%s config", what);
    check_descriptor(v, c, x, where, md->digest, path, false, &cd);
    if (cd.digest_ok) {
      size_t cbi = blob_get(v, &cd.d);
      if (cbi != NONE) {
        bool present = check_ref(v, c, &cd, cbi);
        unit_add(v, ui, cbi, "config", -1, &cd, present);
        if (present && cd.media_type &&
            (!strcmp(cd.media_type, MT_OCI_CONFIG) || !strcmp(cd.media_type, MT_DOCKER_CONFIG)))
          check_config(v, c, md, &cd, cbi, ui);
      }
    }
    vdesc_clear(&cd);
  }
  /* layers */
  x = oci_json_get(doc.root, "layers");
  if (!oci_json_has(doc.root, "layers")) {
    vfind(v, c, ERR, "field-missing", md->digest, path, "%s has no \"layers\" (an image manifest requires an array)",
          what);
  } else if (!json_is(x, json_type_array)) {
    vfind(v, c, ERR, "field-type", md->digest, path, "%s: \"layers\" must be an array, not %s", what,
          oci_json_type_name(x));
  } else {
    size_t n = json_object_array_length(x);
    for (size_t i = 0; i < n; i++) {
      vdesc ld;
      char where[OCIDIG_DIGEST_STRING_MAX + 48];
      size_t lbi;
      snprintf(where, sizeof where, "%s layers[%zu]", what, i);
      check_descriptor(v, c, json_object_array_get_idx(x, i), where, md->digest, path, false, &ld);
      if (ld.digest_ok && (lbi = blob_get(v, &ld.d)) != NONE) {
        if (ld.foreign && !blob_present(v, lbi)) {
          char lp[OCIDIG_DIGEST_STRING_MAX + 8];
          v->blobs[lbi].referenced = true;
          vfind(v, c, INFO, "foreign-layer-absent", ld.digest, blob_path(&ld.d, lp),
                "%s: a non-distributable layer (%s) is not in the layout, as expected; it is fetched from its "
                "urls",
                where, oci_str(ld.media_type));
        } else {
          bool present = check_ref(v, c, &ld, lbi);
          unit_add(v, ui, lbi, "layer", (long)i, &ld, present);
        }
      }
      vdesc_clear(&ld);
    }
  }
  /* subject (OCI 1.1 referrers): checked when present, may point outside the layout */
  x = oci_json_get(doc.root, "subject");
  if (x) {
    vdesc sd;
    char where[OCIDIG_DIGEST_STRING_MAX + 32];
    size_t sbi;
    snprintf(where, sizeof where, "%s subject", what);
    check_descriptor(v, c, x, where, md->digest, path, false, &sd);
    if (sd.digest_ok && (sbi = blob_get(v, &sd.d)) != NONE) {
      v->blobs[sbi].described = true;
      if (blob_present(v, sbi))
        check_ref(v, c, &sd, sbi);
    }
    vdesc_clear(&sd);
  }
  oci_json_doc_free(&doc);
}

static void visit_child(vstate *v, vctx c, const vdesc *kd, unsigned level);

/* A manifest, or a child of another media type (checked as a blob only). */
static void visit_unit(vstate *v, vctx c, const vdesc *kd, size_t bi, bool manifest)
{
  size_t pi = new_plat(v, c.image, kd), ui;
  bool present;
  if (pi == NONE)
    return;
  c.plat = (long)pi;
  present = check_ref(v, c, kd, bi);
  if (!manifest) {
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    vfind(v, c, INFO, "unknown-media-type", kd->digest, blob_path(&kd->d, path),
          "%s: media type %s is neither an image index nor an image manifest: its blob is checked, its content "
          "is not",
          kd->where, kd->media_type ? kd->media_type : "(none)");
  }
  if (v->blobs[bi].unit != NONE) {
    v->plats[pi].unit = v->blobs[bi].unit;
    return;
  }
  if ((ui = new_unit(v, bi, false)) == NONE)
    return;
  v->blobs[bi].unit = ui;
  v->plats[pi].unit = ui;
  unit_add(v, ui, bi, manifest ? "manifest" : "blob", -1, kd, present);
  if (manifest && present)
    walk_manifest(v, c, kd, bi, ui);
}

/* Whether the platforms of rows from..to-1 have all their blobs (an index walked already:
 * its own). */
static bool plats_complete(const vstate *v, size_t from, size_t to)
{
  for (size_t i = from; i < to; i++) {
    const vplat *p = &v->plats[i];
    if (p->again != NONE ? !v->blobs[p->again].index_complete : p->unit != NONE && v->units[p->unit].n_missing)
      return false;
  }
  return true;
}

static void visit_index(vstate *v, vctx c, const vdesc *kd, size_t bi, unsigned level)
{
  char what[OCIDIG_DIGEST_STRING_MAX + 16], path[OCIDIG_DIGEST_STRING_MAX + 8];
  size_t len, n_kids = 0, first;
  uint8_t *data;
  oci_json_doc doc;
  vdesc *kids = NULL;
  vblob *b = &v->blobs[bi];

  snprintf(what, sizeof what, "index %s", kd->digest);
  blob_path(&kd->d, path);
  if (b->index_state == 1) {
    vfind(v, c, ERR, "index-cycle", kd->digest, path, "%s contains itself (a cycle through %s)", what, kd->where);
    return;
  }
  if (b->index_state == 2) {
    /* Walked already, on another path or for another entry: its platforms are listed once,
     * where it was walked, and one row here stands for them.  A copy of its rows for each
     * path made a graph whose levels each list the next twice cost 2^depth rows. */
    size_t pi;
    check_ref(v, c, kd, bi);
    if ((pi = new_plat(v, c.image, kd)) != NONE)
      v->plats[pi].again = bi;
    return;
  }
  if (level > OCIDIG_MAX_INDEX_NESTING) {
    vfind(v, c, ERR, "nesting-too-deep", kd->digest, path, "%s is nested %u levels deep, more than the limit of %d",
          what, level, OCIDIG_MAX_INDEX_NESTING);
    return;
  }
  first = v->n_plats;
  if (!check_ref(v, c, kd, bi)) {
    /* Absent: its platforms are unknown; one record stands for it. */
    size_t pi = new_plat(v, c.image, kd), ui;
    if (pi != NONE && (ui = new_unit(v, bi, true)) != NONE) {
      v->plats[pi].unit = ui;
      unit_add(v, ui, bi, "index", -1, kd, false);
    }
    v->blobs[bi].index_state = 2;
    v->blobs[bi].index_image = c.image;
    v->blobs[bi].index_complete = false;
    return;
  }
  v->blobs[bi].index_state = 1;
  v->blobs[bi].index_image = c.image;
  if ((data = read_blob_doc(v, c, bi, what, &len)) != NULL) {
    if (parse_doc(v, c, data, len, what, kd->digest, path, &doc)) {
      if (check_document(v, c, doc.root, OCIDIG_KIND_INDEX, kd->media_type, what, kd->digest, path))
        kids = index_children(v, c, doc.root, what, kd->digest, path, &n_kids);
      oci_json_doc_free(&doc);
    }
    free(data);
  }
  if (kids)
    check_ref_names(v, kids, n_kids, what);
  for (size_t i = 0; i < n_kids; i++) {
    if (v->scoped) {
      size_t k = kids[i].digest_ok ? blob_find(v, kids[i].digest) : NONE;
      if (k == NONE || !v->blobs[k].scope)
        continue;
    }
    visit_child(v, c, &kids[i], level + 1);
  }
  free_children(kids, n_kids);
  v->blobs[bi].index_state = 2;
  v->blobs[bi].index_complete = plats_complete(v, first, v->n_plats);
}

static void visit_child(vstate *v, vctx c, const vdesc *kd, unsigned level)
{
  size_t bi;
  if (!kd->digest_ok || (bi = blob_get(v, &kd->d)) == NONE)
    return;
  switch (ocidig_media_type_kind(kd->media_type)) {
  case OCIDIG_KIND_INDEX:
    visit_index(v, c, kd, bi, level);
    break;
  case OCIDIG_KIND_MANIFEST:
    visit_unit(v, c, kd, bi, true);
    break;
  default:
    visit_unit(v, c, kd, bi, false);
    break;
  }
}

/* ----------------------------------------------------------------- scope */

static bool ends_with_tag(const char *name, const char *tag)
{
  size_t n = strlen(name), t = strlen(tag);
  return n > t && name[n - t - 1] == ':' && !strcmp(name + n - t, tag);
}

static void scope_mark(vstate *v, const char *digest_string)
{
  ocidig_digest d;
  size_t bi;
  if (!digest_string || ocidig_digest_parse(digest_string, strlen(digest_string), &d, NULL) != OCIDIG_OK)
    return;
  if ((bi = blob_get(v, &d)) != NONE)
    v->blobs[bi].scope = true;
}

/* Marks what resolve picks for one image under --platform. */
static void scope_from_resolution(vstate *v, long image, const ocidig_resolution *res, const char *name)
{
  bool selected_manifest = false, missing_taken = false, any = false;
  for (size_t i = 0; i < res->n_rows; i++) {
    const ocidig_row *row = &res->rows[i];
    switch (row->verdict) {
    case OCIDIG_VERDICT_SELECTED:
      scope_mark(v, row->desc.digest_string);
      if (ocidig_media_type_kind(row->desc.media_type) == OCIDIG_KIND_MANIFEST)
        selected_manifest = true;
      any = true;
      break;
    case OCIDIG_VERDICT_ERROR:
      scope_mark(v, row->desc.digest_string);
      any = true;
      break;
    case OCIDIG_VERDICT_BLOB_MISSING:
      /* The preferred candidate is absent: the request names it. */
      if (!selected_manifest && !missing_taken) {
        scope_mark(v, row->desc.digest_string);
        missing_taken = true;
        any = true;
      }
      break;
    default:
      break;
    }
  }
  if (res->outcome == OCIDIG_OUTCOME_NO_MATCH && !any) {
    oci_buf b = {0};
    for (size_t i = 0; i < res->n_rows; i++) {
      const ocidig_row *row = &res->rows[i];
      char *f;
      if (!row->desc.has_platform || ocidig_media_type_kind(row->desc.media_type) != OCIDIG_KIND_MANIFEST)
        continue;
      if ((f = ocidig_platform_format(&row->desc.platform)) != NULL) {
        oci_buf_printf(&b, "%s%s", b.len ? ", " : "", f);
        free(f);
      }
    }
    vfind(v, (vctx){image, -1}, ERR, "platform-not-found", NULL, NULL,
          "image %s has no manifest for %s (platforms there: %s)", name, res->request ? res->request : "?",
          b.len ? b.s : "none listed");
    oci_buf_free(&b);
  }
  if (res->outcome == OCIDIG_OUTCOME_SELECTED && res->selected_has_platform && v->o->matcher &&
      !ocidig_matcher_match(v->o->matcher, &res->selected_platform)) {
    char *f = ocidig_platform_format(&res->selected_platform);
    vfind(v, (vctx){image, -1}, WARN, "platform-mismatch", res->selected.digest_string, NULL,
          "image %s is a single manifest for %s, not %s; it is verified because resolve selects it", name,
          f ? f : "?", res->request ? res->request : "?");
    free(f);
  }
}

/* entries: index.json as read once for many refs (NULL: ocidig_resolve reads it). */
static ocidig_code resolve_for(vstate *v, const ocidig_matcher *m, const char *ref, const oci_entries *entries,
                               ocidig_resolution **res)
{
  ocidig_resolve_options ro = {.matcher = m, .host = v->host, .ref = ref};
  ocidig_error e;
  ocidig_code rc = entries ? oci_resolve_entry(v->l, &ro, entries, res, &e) : ocidig_resolve(v->l, &ro, res, &e);
  if (!*res) {
    v->nomem = true;
    return OCIDIG_ERR_NOMEM;
  }
  return rc;
}

/* Which entries of index.json are images here (--ref), and what --platform selects. */
static ocidig_code choose_scope(vstate *v, const vdesc *kids, size_t n, bool *is_image)
{
  const char *ref = v->o->ref;
  ocidig_resolution *res = NULL;
  oci_entries *entries;
  ocidig_code rc;
  if (!ref) {
    for (size_t i = 0; i < n; i++)
      is_image[i] = true;
  } else {
    const char *picked;
    size_t hit = NONE;
    rc = resolve_for(v, v->o->matcher, ref, NULL, &res);
    if (rc == OCIDIG_ERR_REF_NOT_FOUND || rc == OCIDIG_ERR_REF_AMBIGUOUS || rc == OCIDIG_ERR_NOMEM) {
      if (res)
        v->r->error = res->error;
      ocidig_resolution_free(res);
      return rc;
    }
    picked = res->n_rows ? res->rows[0].desc.digest_string : NULL;
    for (int pass = 0; pass < 3 && hit == NONE && picked; pass++)
      for (size_t i = 0; i < n && hit == NONE; i++) {
        const vdesc *d = &kids[i];
        if (!oci_streq(d->digest, picked))
          continue;
        if (pass == 2 || ref[0] == '@' ||
            (pass == 0 && (oci_streq(d->ref_name, ref) || oci_streq(d->containerd_name, ref))) ||
            (pass == 1 && ((d->ref_name && ends_with_tag(d->ref_name, ref)) ||
                           (d->containerd_name && ends_with_tag(d->containerd_name, ref)))))
          hit = i;
      }
    if (hit != NONE) {
      is_image[hit] = true;
      if (v->o->matcher)
        scope_from_resolution(v, 0, res, image_name(&kids[hit]) ? image_name(&kids[hit]) : kids[hit].digest);
    }
    ocidig_resolution_free(res);
    return OCIDIG_OK;
  }
  if (!v->o->matcher)
    return OCIDIG_OK;
  /* An entry of index.json with a platform of its own (index.json used as the image
   * index) is for that platform only: another platform's entry is not in scope. */
  {
    size_t kept = 0;
    oci_buf b = {0};
    for (size_t i = 0; i < n; i++) {
      if (kids[i].has_platform && !ocidig_matcher_match(v->o->matcher, &kids[i].platform)) {
        char *f = platform_text(&kids[i]);
        is_image[i] = false;
        oci_buf_printf(&b, "%s%s", b.len ? ", " : "", f ? f : "?");
        free(f);
      }
      kept += is_image[i];
    }
    if (n && !kept)
      vfind(v, LAYOUT_CTX, ERR, "platform-not-found", NULL, "index.json",
            "no entry of index.json is for %s (platforms there: %s)", v->r->request ? v->r->request : "?",
            b.s ? b.s : "none");
    oci_buf_free(&b);
  }
  /* index.json is read once for all the images, not once for each (N images cost N^2). */
  if (!(entries = oci_entries_load(v->l))) {
    v->nomem = true;
    return OCIDIG_ERR_NOMEM;
  }
  for (size_t i = 0, k = 0; i < n; i++) {
    char at[OCIDIG_DIGEST_STRING_MAX + 2];
    size_t bi;
    if (!is_image[i])
      continue;
    if (!kids[i].digest_ok) {
      k++;
      continue;
    }
    /* An entry with the digest of an earlier one resolves to the same: its scope is marked
     * and its findings are reported once, with the first (the walk lists its platforms once
     * too).  Resolving it again for each of N entries cost N walks of it. */
    if ((bi = blob_get(v, &kids[i].d)) != NONE) {
      if (v->blobs[bi].entry_scoped) {
        k++;
        continue;
      }
      v->blobs[bi].entry_scoped = true;
    }
    snprintf(at, sizeof at, "@%s", kids[i].digest);
    rc = resolve_for(v, v->o->matcher, at, entries, &res);
    if (rc == OCIDIG_ERR_NOMEM) {
      ocidig_resolution_free(res);
      oci_entries_free(entries);
      return rc;
    }
    scope_from_resolution(v, (long)k, res, image_name(&kids[i]) ? image_name(&kids[i]) : kids[i].digest);
    ocidig_resolution_free(res);
    k++;
  }
  oci_entries_free(entries);
  return OCIDIG_OK;
}

static ocidig_code walk_root(vstate *v)
{
  uint8_t *data;
  size_t len, n_kids = 0;
  oci_json_doc doc;
  ocidig_error e;
  ocidig_code rc;
  vdesc *kids = NULL;
  bool *is_image;
  ocidig_verify_report *r = v->r;

  rc = ocidig_layout_read_file(v->l, "index.json", OCIDIG_MAX_JSON_SIZE, &data, &len, &e);
  if (rc == OCIDIG_ERR_BLOB_MISSING) {
    vfind(v, LAYOUT_CTX, ERR, "missing-index-json", NULL, "index.json",
          "the %s has no index.json: not an OCI image layout", v->l->is_archive ? "archive" : "directory");
    return oci_fail(&r->error, OCIDIG_ERR_MISSING_INDEX_JSON, "%s: no index.json: not an OCI image layout",
                    v->l->path);
  }
  if (rc == OCIDIG_ERR_JSON_TOO_LARGE) {
    vfind(v, LAYOUT_CTX, ERR, "json-too-large", NULL, "index.json", "%s", e.message);
    return OCIDIG_OK;
  }
  if (rc != OCIDIG_OK) {
    r->error = e;
    return rc;
  }
  if (!parse_doc(v, LAYOUT_CTX, data, len, "index.json", NULL, "index.json", &doc)) {
    free(data);
    return OCIDIG_OK;
  }
  free(data);
  if (check_document(v, LAYOUT_CTX, doc.root, OCIDIG_KIND_INDEX, NULL, "index.json", NULL, "index.json"))
    kids = index_children(v, LAYOUT_CTX, doc.root, "index.json", NULL, "index.json", &n_kids);
  oci_json_doc_free(&doc);
  if (!kids)
    return OCIDIG_OK;
  v->root_walked = true;
  check_ref_names(v, kids, n_kids, "index.json");

  if (!(is_image = calloc(n_kids ? n_kids : 1, sizeof *is_image))) {
    free_children(kids, n_kids);
    v->nomem = true;
    return OCIDIG_ERR_NOMEM;
  }
  rc = choose_scope(v, kids, n_kids, is_image);
  if (rc == OCIDIG_OK) {
    size_t k = 0;
    for (size_t i = 0; i < n_kids; i++)
      k += is_image[i];
    r->images = calloc(k ? k : 1, sizeof *r->images);
    if (!r->images) {
      v->nomem = true;
      rc = OCIDIG_ERR_NOMEM;
    }
  }
  for (size_t i = 0; rc == OCIDIG_OK && i < n_kids; i++) {
    ocidig_verify_image *im;
    vctx c;
    if (!is_image[i])
      continue;
    im = &r->images[r->n_images];
    im->name = oci_strdup(image_name(&kids[i]));
    im->digest = oci_strdup(kids[i].digest);
    im->media_type = oci_strdup(kids[i].media_type);
    c.image = (long)r->n_images++;
    c.plat = -1;
    /* The entry itself is always in scope. */
    if (kids[i].digest_ok) {
      size_t bi = blob_get(v, &kids[i].d);
      if (bi != NONE)
        v->blobs[bi].scope = true;
    }
    visit_child(v, c, &kids[i], 1);
  }
  free(is_image);
  free_children(kids, n_kids);
  return rc;
}

/* --------------------------------------------------------------- hashing */

typedef struct hjob {
  size_t blob;
  char path[OCIDIG_DIGEST_STRING_MAX + 8];
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
  int fd = oci_layout_open_member(p->l, j->path, &j->err);
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

/* Hashes every referenced, present blob whose hash is not known yet. */
static void hash_pending(vstate *v)
{
  hjob *jobs = NULL;
  size_t n = 0, cap = 0;
  uint64_t total = 0;
  for (size_t i = 0; i < v->n_blobs; i++) {
    vblob *b = &v->blobs[i];
    hjob *j;
    if (!b->referenced || !b->present || b->hash != OCIDIG_HASH_UNKNOWN || b->read_error)
      continue;
    if (!oci_grow((void **)&jobs, &cap, n + 1, sizeof *jobs)) {
      v->nomem = true;
      break;
    }
    j = &jobs[n++];
    memset(j, 0, sizeof *j);
    j->blob = i;
    j->alg = b->d.alg;
    j->size = b->size;
    blob_path(&b->d, j->path);
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
      rc = ocidig_layout_stream_file(v->l, jobs[k].path, stream_hash_sink, &s, &e);
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
      b->hash = strcmp(j->hex, b->d.hex) ? OCIDIG_HASH_MISMATCH : OCIDIG_HASH_OK;
      if (b->hash == OCIDIG_HASH_MISMATCH &&
          !(b->actual = oci_sprintf("%s:%s", ocidig_digest_alg_name(j->alg), j->hex)))
        v->nomem = true;
      if (!b->hashed_here) {
        b->hashed_here = true;
        v->bytes_hashed += j->bytes;
      }
    } else if (!b->read_error && !v->l->is_archive) {
      b->read_error = j->err > 0 ? oci_sprintf("%s/%s: %s", v->l->path, j->path, strerror(j->err))
                                 : oci_sprintf("%s/%s: not a regular file inside the layout", v->l->path, j->path);
    }
  }
  free(jobs);
}

/* ----------------------------------------------------------- conclusions */

static const char *role_text(const vmissing *m, char *buf, size_t n)
{
  if (m->index >= 0)
    snprintf(buf, n, "%s %ld", m->role, m->index);
  else
    snprintf(buf, n, "%s", m->role);
  return buf;
}

static void conclude_blobs(vstate *v)
{
  for (size_t i = 0; i < v->n_blobs; i++) {
    vblob *b = &v->blobs[i];
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    vctx c = {b->image, b->plat};
    if (!b->referenced || !b->present)
      continue;
    blob_path(&b->d, path);
    if (b->hash == OCIDIG_HASH_MISMATCH) {
      vfind(v, c, ERR, "digest-mismatch", b->digest, path, "the bytes of %s hash to %s; expected %s", path,
            b->actual ? b->actual : "something else", b->digest);
    } else if (b->hash == OCIDIG_HASH_UNKNOWN) {
      vfind(v, c, ERR, "blob-unreadable", b->digest, path, "%s could not be read: %s", path,
            b->read_error ? b->read_error : "unknown error");
    }
    if (b->hash != OCIDIG_HASH_UNKNOWN)
      v->r->summary.blobs_checked++;
  }
}

static void conclude_platforms(vstate *v)
{
  bool requested = v->o->matcher != NULL;
  for (size_t pi = 0; pi < v->n_plats; pi++) {
    const vplat *p = &v->plats[pi];
    const vunit *u;
    vctx c = {p->image, (long)pi};
    const char *mdigest;
    if (p->unit == NONE)
      continue;
    u = &v->units[p->unit];
    mdigest = v->blobs[u->blob].digest;
    for (size_t k = 0; k < u->n_missing; k++) {
      vblob *b = &v->blobs[u->missing[k].blob];
      if (!b->missing_counted) {
        b->missing_counted = true;
        v->r->summary.blobs_missing++;
      }
    }
    if (!u->n_missing)
      continue;
    if (p->has_desc_platform && !requested) {
      /* A sparse layout: a platform-filtered export holds only some platforms. */
      oci_buf b = {0};
      const char *name = v->r->images[p->image].name;
      for (size_t k = 0; k < u->n_missing && k < 8; k++) {
        char role[48];
        oci_buf_printf(&b, "%s%s %s", k ? ", " : "", role_text(&u->missing[k], role, sizeof role),
                       v->blobs[u->missing[k].blob].digest);
      }
      if (u->n_missing > 8)
        oci_buf_printf(&b, ", and %zu more", u->n_missing - 8);
      if (u->missing[0].blob == u->blob)
        vfind(v, c, WARN, "image-incomplete", mdigest, NULL,
              "platform %s of image %s is absent (its %s %s is not in the layout): the layout holds only some "
              "platforms, as a platform-filtered export does; incomplete, not corrupt",
              p->platform ? p->platform : "?", name ? name : v->r->images[p->image].digest,
              u->is_index ? "index" : "manifest", mdigest);
      else
        vfind(v, c, WARN, "image-incomplete", mdigest, NULL,
              "platform %s of image %s is incomplete: %zu of its %zu blobs are not in the layout (%s)",
              p->platform ? p->platform : "?", name ? name : v->r->images[p->image].digest, u->n_missing, u->n_blobs,
              b.s ? b.s : "?");
      oci_buf_free(&b);
      continue;
    }
    for (size_t k = 0; k < u->n_missing; k++) {
      const vmissing *m = &u->missing[k];
      const vblob *b = &v->blobs[m->blob];
      char path[OCIDIG_DIGEST_STRING_MAX + 8], role[48];
      blob_path(&b->d, path);
      role_text(m, role, sizeof role);
      if (m->blob == u->blob)
        vfind(v, c, ERR, "blob-missing", b->digest, path, "%s %s is not in the layout (no %s)%s", role, b->digest,
              path, requested ? ", and the requested platform needs it" : "");
      else
        vfind(v, c, ERR, "blob-missing", b->digest, path, "%s %s of manifest %s is not in the layout (no %s)", role,
              b->digest, mdigest, path);
    }
  }
}

static void conclude_unreferenced(vstate *v)
{
  ocidig_verify_summary *s = &v->r->summary;
  s->unreferenced_checked = !v->scoped && v->root_walked && !oci_layout_list_errors(v->l, NULL, NULL);
  if (!s->unreferenced_checked)
    return;
  for (size_t i = 0; i < v->n_blobs; i++) {
    vblob *b = &v->blobs[i];
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    if (!b->listed || b->referenced)
      continue;
    s->blobs_unreferenced++;
    s->unreferenced_bytes = oci_bytes_add(s->unreferenced_bytes, b->size);
    vfind(v, LAYOUT_CTX, WARN, "blob-unreferenced", b->digest, blob_path(&b->d, path),
          "%s (%lld bytes) is not referenced from index.json%s", path, (long long)b->size,
          b->hash == OCIDIG_HASH_MISMATCH ? ", and its bytes do not hash to its name" : "");
  }
}

static void conclude_attestations(vstate *v)
{
  for (size_t i = 0; i < v->n_atts; i++) {
    const vatt *a = &v->atts[i];
    ocidig_digest d;
    size_t bi;
    vctx c = {a->image, -1};
    if (!a->target || !*a->target) {
      vfind(v, c, WARN, "attestation-subject-missing", a->digest, NULL,
            "%s is an attestation manifest without a %s annotation; expected the digest of the manifest it attests",
            a->where ? a->where : "?", ANN_REF_DIGEST);
      continue;
    }
    if (ocidig_digest_parse(a->target, strlen(a->target), &d, NULL) != OCIDIG_OK) {
      char *q = oci_quote(a->target, strlen(a->target), 140);
      vfind(v, c, WARN, "attestation-subject-missing", a->digest, NULL,
            "%s is an attestation manifest whose %s is %s, not a valid digest", a->where ? a->where : "?",
            ANN_REF_DIGEST, q ? q : "?");
      free(q);
      continue;
    }
    bi = blob_get(v, &d);
    if (bi != NONE && (v->blobs[bi].described || v->blobs[bi].referenced || blob_present(v, bi)))
      continue;
    vfind(v, c, WARN, "attestation-subject-missing", a->digest, NULL,
          "%s is an attestation manifest for %s, which nothing in the layout describes (no descriptor, no blob)",
          a->where ? a->where : "?", a->target);
  }
}

/* ------------------------------------------------- docker save archives */

#define FNV0 1469598103934665603u
#define MAX_LINK_HOPS 8

/* A config or layer file of a docker save archive, once however many images use it. */
typedef struct dfile {
  char *path;       /* the regular file, links followed (the key) */
  int64_t size;
  bool want[2];     /* a digest of this algorithm (OCIDIG_DIGEST_SHA256, _SHA512) is to be checked */
  bool have[2];
  char hex[2][129]; /* what the bytes hash to, when have[] */
  char *read_error;
  bool config;      /* hashed by ocidig_docker_archive_read (the image ID) */
  bool absent;      /* named by manifest.json, not in the archive */
  bool hashed;      /* counted in blobs_checked and bytes_hashed */
} dfile;

/* A layer of an image, checked once its file is hashed.  The strings belong to the archive. */
typedef struct dlayer {
  long image;
  size_t index;
  size_t file;
  const char *path;
  const char *name_digest;
  const char *diff_id;
  const char *label;
} dlayer;

typedef const char *(*key_fn)(const void *ctx, size_t i);

static const char *ent_key(const void *ctx, size_t i)
{
  return ((const vstate *)ctx)->ents[i].path;
}

static const char *dfile_key(const void *ctx, size_t i)
{
  return ((const vstate *)ctx)->dfiles[i].path;
}

static const char *str_key(const void *ctx, size_t i)
{
  return ((char *const *)ctx)[i];
}

static size_t *ptab_slot(const ptab *p, key_fn key, const void *ctx, const char *s)
{
  size_t h;
  if (!p->cap)
    return NULL;
  for (h = (size_t)fnv(FNV0, s) & (p->cap - 1); p->t[h]; h = (h + 1) & (p->cap - 1))
    if (!strcmp(key(ctx, p->t[h] - 1), s))
      return &p->t[h];
  return &p->t[h];
}

static size_t ptab_find(const ptab *p, key_fn key, const void *ctx, const char *s)
{
  size_t *slot = s ? ptab_slot(p, key, ctx, s) : NULL;
  return slot && *slot ? *slot - 1 : NONE;
}

/* Adds element i; with `replace`, it takes the place of an element with the same key. */
static bool ptab_put(ptab *p, key_fn key, const void *ctx, size_t i, bool replace)
{
  size_t *slot;
  if ((p->used + 1) * 2 > p->cap) {
    size_t ncap = p->cap ? p->cap * 2 : 64;
    size_t *nt = calloc(ncap, sizeof *nt);
    if (!nt)
      return false;
    for (size_t k = 0; k < p->cap; k++) {
      size_t h;
      if (!p->t[k])
        continue;
      for (h = (size_t)fnv(FNV0, key(ctx, p->t[k] - 1)) & (ncap - 1); nt[h]; h = (h + 1) & (ncap - 1))
        ;
      nt[h] = p->t[k];
    }
    free(p->t);
    p->t = nt;
    p->cap = ncap;
  }
  slot = ptab_slot(p, key, ctx, key(ctx, i));
  if (!*slot)
    p->used++;
  else if (!replace)
    return true;
  *slot = i + 1;
  return true;
}

/* The listing, by path.  A regular file wins over a link or folder of the same name, as
 * ocidig_layout_stat sees it; else the last member of that name, as docker_archive.c follows
 * the last symbolic link. */
static bool docker_index_entries(vstate *v, ocidig_error *e)
{
  ocidig_code rc = ocidig_layout_entries(v->l, &v->ents, &v->n_ents, e);
  if (rc != OCIDIG_OK)
    return false;
  for (size_t i = 0; i < v->n_ents; i++) {
    const ocidig_entry *en = &v->ents[i];
    size_t j;
    if (en->escapes && en->type != OCIDIG_ENTRY_SYMLINK && en->type != OCIDIG_ENTRY_HARDLINK)
      continue; /* an unsafe name */
    j = ptab_find(&v->etab, ent_key, v, en->path);
    if (!ptab_put(&v->etab, ent_key, v, i,
                  en->type == OCIDIG_ENTRY_FILE || (j != NONE && v->ents[j].type != OCIDIG_ENTRY_FILE))) {
      oci_nomem(e);
      return false;
    }
  }
  return true;
}

enum { DF_FOUND, DF_ABSENT, DF_ESCAPES, DF_OUTSIDE };

/* Follows a path of manifest.json to the regular file it names: in an archive through the
 * symbolic link members inside it (at most MAX_LINK_HOPS), in a directory through the file
 * system (inside the root).  DF_FOUND: *out is that file's path (malloc'd).  DF_ESCAPES: a link
 * on the way leaves the root (*bad_link: that member, or NULL).  DF_OUTSIDE: the path itself is
 * absolute or climbs out. */
static int docker_follow(vstate *v, const char *path, char **out, const char **bad_link)
{
  bool oom;
  char *cur = oci_link_join("", path, &oom);
  *out = NULL;
  *bad_link = NULL;
  if (!cur) {
    v->nomem = v->nomem || oom;
    return oom ? DF_ABSENT : DF_OUTSIDE;
  }
  if (!v->l->is_archive) {
    struct stat st;
    char *canon;
    int res = oci_layout_resolve(v->l, cur, &st, &canon, NULL, NULL);
    if (res == EXDEV) {
      free(cur);
      return DF_ESCAPES;
    }
    if (res == ENOMEM)
      v->nomem = true;
    if (res == ENOENT || res == ENOTDIR || res == ELOOP || res == ENOMEM) {
      free(cur);
      return DF_ABSENT;
    }
    if (res) { /* there but not reachable (EACCES...): reading it says so */
      *out = cur;
      return DF_FOUND;
    }
    free(cur);
    if (!S_ISREG(st.st_mode) || !*canon) {
      free(canon);
      return DF_ABSENT;
    }
    *out = canon;
    return DF_FOUND;
  }
  for (int hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    size_t i = ptab_find(&v->etab, ent_key, v, cur);
    const ocidig_entry *e;
    char *next;
    if (i == NONE)
      break;
    e = &v->ents[i];
    if (e->type == OCIDIG_ENTRY_FILE && !e->escapes) {
      *out = cur;
      return DF_FOUND;
    }
    if (e->type != OCIDIG_ENTRY_SYMLINK)
      break;
    if (e->escapes || !(next = oci_link_join(cur, e->link_target, &oom))) {
      free(cur);
      if (oom) {
        v->nomem = true;
        return DF_ABSENT;
      }
      *bad_link = e->path;
      return DF_ESCAPES;
    }
    free(cur);
    cur = next;
  }
  free(cur);
  return DF_ABSENT;
}

/* The record of a file (takes path), created on first use; NONE when out of memory. */
static size_t dfile_get(vstate *v, char *path, int64_t size)
{
  size_t i;
  dfile *f;
  if (!path) {
    v->nomem = true;
    return NONE;
  }
  if ((i = ptab_find(&v->dtab, dfile_key, v, path)) != NONE) {
    free(path);
    return i;
  }
  if (!oci_grow((void **)&v->dfiles, &v->cap_dfiles, v->n_dfiles + 1, sizeof *v->dfiles)) {
    free(path);
    v->nomem = true;
    return NONE;
  }
  f = &v->dfiles[v->n_dfiles];
  memset(f, 0, sizeof *f);
  f->path = path;
  f->size = size;
  if (!ptab_put(&v->dtab, dfile_key, v, v->n_dfiles, false)) {
    free(path);
    f->path = NULL;
    v->nomem = true;
    return NONE;
  }
  return v->n_dfiles++;
}

static const char *dimage_label(const ocidig_docker_image *im)
{
  if (im->n_repo_tags)
    return im->repo_tags[0];
  if (im->image_id)
    return im->image_id;
  return im->config_path;
}

static void dfile_want(dfile *f, const char *digest)
{
  ocidig_digest d;
  if (digest && ocidig_digest_parse(digest, strlen(digest), &d, NULL) == OCIDIG_OK)
    f->want[d.alg] = true;
}

/* manifest.json: read, parsed, and of the shape docker load reads.  false when its images
 * cannot be read (ocidig_docker_archive_read would refuse it). */
static bool docker_manifest_shape(vstate *v)
{
  uint8_t *data;
  size_t len, n;
  oci_json_doc doc;
  ocidig_error e;
  bool ok = true;
  ocidig_code rc = ocidig_layout_read_file(v->l, "manifest.json", OCIDIG_MAX_JSON_SIZE, &data, &len, &e);
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    vfind(v, LAYOUT_CTX, ERR, rc == OCIDIG_ERR_JSON_TOO_LARGE ? "json-too-large" : "blob-unreadable", NULL,
          "manifest.json", "manifest.json: %s", e.message);
    return false;
  }
  if (!parse_doc(v, LAYOUT_CTX, data, len, "manifest.json", NULL, "manifest.json", &doc)) {
    free(data);
    return false;
  }
  free(data);
  if (!json_is(doc.root, json_type_array)) {
    vfind(v, LAYOUT_CTX, ERR, "docker-manifest-invalid", NULL, "manifest.json",
          "manifest.json must be an array of images, each {\"Config\": file, \"RepoTags\": [names], "
          "\"Layers\": [files]}, not %s",
          oci_json_type_name(doc.root));
    oci_json_doc_free(&doc);
    return false;
  }
  n = json_object_array_length(doc.root);
  for (size_t i = 0; i < n; i++) {
    json_object *o = json_object_array_get_idx(doc.root, i), *x;
    if (!json_is(o, json_type_object)) {
      vfind(v, LAYOUT_CTX, ERR, "docker-manifest-invalid", NULL, "manifest.json",
            "manifest.json[%zu] must be an object {\"Config\": file, \"RepoTags\": [names], \"Layers\": "
            "[files]}, not %s",
            i, oci_json_type_name(o));
      ok = false;
      continue;
    }
    x = oci_json_get(o, "Config");
    if (!oci_json_has(o, "Config")) {
      vfind(v, LAYOUT_CTX, ERR, "docker-manifest-invalid", NULL, "manifest.json",
            "manifest.json[%zu] has no \"Config\" (the file name of the image's config)", i);
      ok = false;
    } else if (!json_is(x, json_type_string) || !json_object_get_string_len(x)) {
      vfind(v, LAYOUT_CTX, ERR, "docker-manifest-invalid", NULL, "manifest.json",
            "manifest.json[%zu]: \"Config\" must be the file name of the image's config, not %s", i,
            json_is(x, json_type_string) ? "an empty string" : oci_json_type_name(x));
      ok = false;
    }
    x = oci_json_get(o, "RepoTags");
    if (x && !is_string_array(x)) {
      vfind(v, LAYOUT_CTX, ERR, "docker-manifest-invalid", NULL, "manifest.json",
            "manifest.json[%zu]: \"RepoTags\" must be null or an array of strings, not %s", i,
            oci_json_type_name(x));
      ok = false;
    }
    x = oci_json_get(o, "Layers");
    if (!x) {
      /* docker load reads it as no layers; docker save always writes the array */
      vfind(v, LAYOUT_CTX, ERR, "docker-manifest-invalid", NULL, "manifest.json",
            "manifest.json[%zu] %s; expected the array of the image's layer files, in order", i,
            oci_json_has(o, "Layers") ? "has \"Layers\": null" : "has no \"Layers\"");
    } else if (!is_string_array(x)) {
      vfind(v, LAYOUT_CTX, ERR, "docker-manifest-invalid", NULL, "manifest.json",
            "manifest.json[%zu]: \"Layers\" must be an array of strings (file names), not %s", i,
            oci_json_type_name(x));
      ok = false;
    }
  }
  oci_json_doc_free(&doc);
  return ok;
}

/* ocidig_docker_archive_read failed on a manifest.json of the right shape. */
static void docker_read_failed(vstate *v, const ocidig_error *e)
{
  const char *code;
  switch (e->code) {
  case OCIDIG_ERR_NOMEM:
    v->nomem = true;
    return;
  case OCIDIG_ERR_LIMIT:
    code = "limit-exceeded";
    break;
  case OCIDIG_ERR_JSON_TOO_LARGE:
    code = "json-too-large";
    break;
  case OCIDIG_ERR_INVALID_JSON:
    code = "docker-manifest-invalid";
    break;
  default:
    code = "blob-unreadable";
    break;
  }
  vfind(v, LAYOUT_CTX, ERR, code, NULL, "manifest.json", "%s; the images of manifest.json are not checked",
        e->message);
}

/* A file manifest.json names that is not there: why, in a finding, and in the platform's
 * missing list. */
static void docker_absent(vstate *v, vctx c, ocidig_verify_platform *p, const char *role, long index,
                          const char *digest, const char *path, const char *label)
{
  char *file = NULL, what[48];
  const char *bad = NULL;
  int st = docker_follow(v, path, &file, &bad);
  char *q = oci_quote(path, strlen(path), 200);
  size_t fi;
  if (index >= 0)
    snprintf(what, sizeof what, "%s %ld", role, index);
  else
    snprintf(what, sizeof what, "%s", role);
  free(file);
  if (st == DF_ESCAPES)
    vfind(v, c, ERR, "link-escapes", digest, bad ? bad : path,
          "%s of image %s, %s, is a symbolic link that leaves the %s: not followed", what, label, q ? q : "?",
          v->l->is_archive ? "archive" : "directory");
  else if (st == DF_OUTSIDE)
    vfind(v, c, ERR, "docker-manifest-invalid", digest, "manifest.json",
          "%s of image %s: %s is not a path inside the %s (absolute, or climbing out with \"..\")", what, label,
          q ? q : "?", v->l->is_archive ? "archive" : "directory");
  else
    vfind(v, c, ERR, "blob-missing", digest, path, "%s of image %s: %s is not in the %s", what, label, q ? q : "?",
          v->l->is_archive ? "archive" : "directory");
  free(q);
  /* keyed apart from the files that are there ("\n" starts no member name), normalized */
  {
    bool oom;
    char *norm = oci_link_join("", path, &oom);
    fi = dfile_get(v, oci_sprintf("\n%s", norm ? norm : path), -1);
    free(norm);
  }
  if (fi != NONE && !v->dfiles[fi].absent) {
    v->dfiles[fi].absent = true;
    v->r->summary.blobs_missing++;
  }
  if (p) {
    ocidig_verify_missing *m = realloc(p->missing, (p->n_missing + 1) * sizeof *m);
    if (!m) {
      v->nomem = true;
      return;
    }
    p->missing = m;
    m = &m[p->n_missing++];
    m->digest = oci_strdup(digest);
    m->role = role;
    m->index = index;
    m->size = -1;
  }
}

/* An image's config, read again for what docker_archive.c does not check: a JSON object, its
 * platform fields, rootfs.diff_ids.  Returns the number of diff_ids, or -1 when unknown. */
static long docker_check_config(vstate *v, vctx c, const ocidig_docker_image *im)
{
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  ocidig_error e;
  json_object *rootfs, *ids;
  long n = -1;
  const char *digest = im->config_digest ? im->config_digest : im->image_id;
  char *what = oci_sprintf("config %s", im->config_path);
  ocidig_code rc;
  if (!what) {
    v->nomem = true;
    return -1;
  }
  rc = ocidig_layout_read_file(v->l, im->config_file, OCIDIG_MAX_JSON_SIZE, &data, &len, &e);
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    vfind(v, c, ERR, rc == OCIDIG_ERR_JSON_TOO_LARGE ? "json-too-large" : "blob-unreadable", digest,
          im->config_path, "%s: %s", what, e.message);
    free(what);
    return -1;
  }
  if (!parse_doc(v, c, data, len, what, digest, im->config_path, &doc)) {
    free(data);
    free(what);
    return -1;
  }
  free(data);
  if (!json_is(doc.root, json_type_object)) {
    vfind(v, c, ERR, "invalid-json", digest, im->config_path, "%s is %s, not a JSON object", what,
          oci_json_type_name(doc.root));
    goto out;
  }
  {
    ocidig_platform p;
    if (oci_platform_parse_json(doc.root, what, &p, NULL, &e) != OCIDIG_OK)
      vfind(v, c, ERR, "field-type", digest, im->config_path, "%s", e.message);
    else
      ocidig_platform_clear(&p);
  }
  rootfs = oci_json_get(doc.root, "rootfs");
  if (!oci_json_has(doc.root, "rootfs")) {
    vfind(v, c, ERR, "field-missing", digest, im->config_path,
          "%s has no \"rootfs\"; docker load requires rootfs.diff_ids (the digests of the layers' bytes)", what);
  } else if (!json_is(rootfs, json_type_object)) {
    vfind(v, c, ERR, "field-type", digest, im->config_path, "%s: \"rootfs\" must be an object, not %s", what,
          oci_json_type_name(rootfs));
  } else if (!oci_json_has(rootfs, "diff_ids")) {
    vfind(v, c, ERR, "field-missing", digest, im->config_path,
          "%s has no rootfs.diff_ids (the digests of the layers' bytes)", what);
  } else if (!json_is(ids = oci_json_get(rootfs, "diff_ids"), json_type_array)) {
    vfind(v, c, ERR, "field-type", digest, im->config_path, "%s: rootfs.diff_ids must be an array, not %s", what,
          oci_json_type_name(ids));
  } else {
    n = (long)json_object_array_length(ids);
    for (long i = 0; i < n; i++) {
      json_object *x = json_object_array_get_idx(ids, (size_t)i);
      ocidig_digest d;
      ocidig_code dc;
      if (!json_is(x, json_type_string)) {
        vfind(v, c, ERR, "field-type", digest, im->config_path,
              "%s: rootfs.diff_ids[%ld] must be a digest string, not %s", what, i, oci_json_type_name(x));
        continue;
      }
      dc = ocidig_digest_parse(json_object_get_string(x), (size_t)json_object_get_string_len(x), &d, &e);
      if (dc != OCIDIG_OK)
        vfind(v, c, ERR, dc == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM ? "unsupported-digest-algorithm" : "invalid-digest",
              digest, im->config_path, "%s: rootfs.diff_ids[%ld]: %s", what, i, e.message);
    }
  }
out:
  oci_json_doc_free(&doc);
  free(what);
  return n;
}

static char *join_tags(const ocidig_docker_image *im)
{
  oci_buf b = {0};
  if (!im->n_repo_tags)
    return NULL;
  for (size_t i = 0; i < im->n_repo_tags; i++)
    oci_buf_printf(&b, "%s%s", i ? ", " : "", im->repo_tags[i]);
  return oci_buf_take(&b);
}

/* One image of manifest.json: its record in the report, its config, its layers (queued in dl
 * for their hashes). */
static void docker_image(vstate *v, const ocidig_docker_image *im, long k, dlayer **dl, size_t *n_dl,
                         size_t *cap_dl)
{
  ocidig_verify_image *ri = &v->r->images[k];
  ocidig_verify_platform *p;
  vctx c = {k, -1};
  const char *label = dimage_label(im);
  long n_diff = -1;

  ri->name = join_tags(im);
  ri->digest = oci_strdup(im->image_id ? im->image_id : im->config_digest);
  ri->media_type = oci_strdup(OCIDIG_MT_DOCKER_CONFIG);
  if (!(ri->platforms = calloc(1, sizeof *ri->platforms)) || !ri->media_type) {
    v->nomem = true;
    return;
  }
  ri->n_platforms = 1;
  p = &ri->platforms[0];
  if (im->has_platform) {
    p->platform = ocidig_platform_format(&im->platform);
    p->platform_source = "config";
  }
  p->requested = v->o->matcher != NULL;
  p->n_blobs = 1 + im->n_layers;
  p->size = (im->config_size > 0 ? im->config_size : 0) + im->layers_size;

  /* the config: present, its bytes hash to its name (the image ID), JSON */
  if (im->config_code == OCIDIG_ERR_BLOB_MISSING || !im->config_file) {
    docker_absent(v, c, p, "config", -1, im->config_digest, im->config_path, label);
  } else {
    char *file = NULL;
    const char *bad;
    size_t fi = NONE;
    if (docker_follow(v, im->config_file, &file, &bad) == DF_FOUND)
      fi = dfile_get(v, file, im->config_size);
    else
      free(file);
    if (im->config_code == OCIDIG_ERR_JSON_TOO_LARGE) {
      vfind(v, c, ERR, "json-too-large", im->config_digest, im->config_path, "%s", oci_str(im->config_error));
    } else if (!im->image_id) {
      vfind(v, c, ERR, "blob-unreadable", im->config_digest, im->config_path, "config %s of image %s: %s",
            im->config_path, label, oci_str(im->config_error));
    } else {
      if (fi != NONE && !v->dfiles[fi].hashed) {
        v->dfiles[fi].config = v->dfiles[fi].hashed = true;
        v->r->summary.blobs_checked++;
        v->bytes_hashed = oci_bytes_add(v->bytes_hashed, im->config_size);
      }
      if (im->config_mismatch)
        vfind(v, c, ERR, "digest-mismatch", im->config_digest, im->config_path,
              "config %s of image %s: its bytes hash to %s; its name says %s (an image ID is the digest of the "
              "config)",
              im->config_path, label, im->image_id, im->config_digest);
      n_diff = docker_check_config(v, c, im);
    }
  }
  if (n_diff >= 0 && (size_t)n_diff != im->n_layers)
    vfind(v, c, ERR, "diff-id-mismatch", ri->digest, im->config_path,
          "image %s: manifest.json lists %zu layer%s, but its config's rootfs.diff_ids has %ld; docker load "
          "refuses the image (layers length mismatch)",
          label, im->n_layers, im->n_layers == 1 ? "" : "s", n_diff);

  /* the layers: present; hashed later */
  for (size_t i = 0; i < im->n_layers; i++) {
    const ocidig_docker_layer *ly = &im->layers[i];
    char *file = NULL;
    const char *bad;
    size_t fi;
    dlayer *d;
    if (!ly->file || docker_follow(v, ly->file, &file, &bad) != DF_FOUND) {
      free(file);
      docker_absent(v, c, p, "layer", (long)i, ly->digest ? ly->digest : ly->diff_id, ly->path, label);
      continue;
    }
    if ((fi = dfile_get(v, file, ly->size)) == NONE)
      continue;
    dfile_want(&v->dfiles[fi], ly->digest);
    dfile_want(&v->dfiles[fi], ly->diff_id);
    if (!oci_grow((void **)dl, cap_dl, *n_dl + 1, sizeof **dl)) {
      v->nomem = true;
      continue;
    }
    d = &(*dl)[(*n_dl)++];
    *d = (dlayer){k, i, fi, ly->path, ly->digest, ly->diff_id, label};
  }
  p->complete = p->n_missing == 0;
}

typedef struct dsink {
  oci_hasher *h[2];
  uint64_t bytes;
  vstate *v;
  uint64_t base, total;
} dsink;

static ocidig_code dsink_write(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  dsink *s = ctx;
  (void)err;
  for (int a = 0; a < 2; a++)
    if (s->h[a])
      oci_hasher_update(s->h[a], buf, len);
  s->bytes += len;
  if (s->v->o->progress && ((s->bytes >> 20) != ((s->bytes - len) >> 20)))
    s->v->o->progress(s->v->o->progress_ctx, s->base + s->bytes, (int64_t)s->total);
  return OCIDIG_OK;
}

/* What the listing already knows of a file's bytes: an archive opened with
 * OCIDIG_OPEN_HASH_BLOBS hashed it in the pass that read it. */
static void dfile_from_listing(vstate *v, dfile *f)
{
  size_t i = v->l->is_archive ? ptab_find(&v->etab, ent_key, v, f->path) : NONE;
  const ocidig_entry *e;
  ocidig_digest_alg alg;
  const char *hex;
  if (i == NONE)
    return;
  e = &v->ents[i];
  if (e->type != OCIDIG_ENTRY_FILE)
    return;
  if ((hex = oci_blob_path_hex(f->path, &alg)) != NULL) {
    if (e->hash == OCIDIG_HASH_UNKNOWN)
      return;
    f->have[alg] = true;
    snprintf(f->hex[alg], sizeof f->hex[alg], "%s", e->hash == OCIDIG_HASH_OK ? hex : e->actual_hex);
  } else if (e->hash == OCIDIG_HASH_UNKNOWN && strlen(e->actual_hex) == 64) {
    /* A member whose name carries no digest, too large to keep: the archive source
     * hashed it with sha256 in the pass (OCIDIG_OPEN_HASH_BLOBS). */
    f->have[OCIDIG_DIGEST_SHA256] = true;
    memcpy(f->hex[OCIDIG_DIGEST_SHA256], e->actual_hex, 65);
  }
}

/* Hashes every layer file whose digests are not known yet: streamed in chunks, each once. */
static void docker_hash(vstate *v)
{
  uint64_t total = 0, base = 0;
  for (size_t i = 0; i < v->n_dfiles; i++) {
    dfile *f = &v->dfiles[i];
    if (f->config || f->absent)
      continue;
    dfile_from_listing(v, f);
    if ((f->want[0] && !f->have[0]) || (f->want[1] && !f->have[1]))
      total = oci_bytes_add(total, f->size);
  }
  for (size_t i = 0; i < v->n_dfiles; i++) {
    dfile *f = &v->dfiles[i];
    dsink s = {.v = v, .base = base, .total = total};
    ocidig_error e;
    ocidig_code rc;
    bool need = false, fail = false;
    if (f->config || f->absent)
      continue;
    for (int a = 0; a < 2; a++)
      if (f->want[a] && !f->have[a]) {
        need = true;
        if (!(s.h[a] = oci_hasher_new((ocidig_digest_alg)a)))
          fail = true;
      }
    if (fail) {
      v->nomem = true;
    } else if (need) {
      rc = ocidig_layout_stream_file(v->l, f->path, dsink_write, &s, &e);
      if (rc == OCIDIG_OK) {
        for (int a = 0; a < 2; a++)
          if (s.h[a]) {
            oci_hasher_final_hex(s.h[a], f->hex[a]);
            f->have[a] = true;
          }
      } else {
        if (rc == OCIDIG_ERR_NOMEM)
          v->nomem = true;
        if (!(f->read_error = oci_strdup(e.message)))
          v->nomem = true;
      }
      base += s.bytes;
    }
    for (int a = 0; a < 2; a++)
      oci_hasher_free(s.h[a]);
    if (!f->read_error && (f->have[0] || f->have[1])) {
      f->hashed = true;
      v->r->summary.blobs_checked++;
      v->bytes_hashed = oci_bytes_add(v->bytes_hashed, f->size);
    }
  }
  if (v->o->progress && total)
    v->o->progress(v->o->progress_ctx, total, (int64_t)total);
}

/* Does the file hash to digest?  1 yes, 0 no (*actual: what it hashes to), -1 unknown. */
static int dfile_matches(const dfile *f, const char *digest, char *actual, size_t n)
{
  ocidig_digest d;
  if (!digest || ocidig_digest_parse(digest, strlen(digest), &d, NULL) != OCIDIG_OK || !f->have[d.alg])
    return -1;
  snprintf(actual, n, "%s:%s", ocidig_digest_alg_name(d.alg), f->hex[d.alg]);
  return strcmp(f->hex[d.alg], d.hex) ? 0 : 1;
}

static void docker_layers_conclude(vstate *v, const dlayer *dl, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const dlayer *d = &dl[i];
    const dfile *f = &v->dfiles[d->file];
    vctx c = {d->image, -1};
    char actual[OCIDIG_DIGEST_STRING_MAX];
    char *q = oci_quote(d->path, strlen(d->path), 200);
    int name_ok, diff_ok;
    if (f->read_error) {
      vfind(v, c, ERR, "blob-unreadable", d->name_digest ? d->name_digest : d->diff_id, d->path,
            "layer %zu of image %s: %s could not be read: %s", d->index, d->label, q ? q : "?", f->read_error);
      free(q);
      continue;
    }
    name_ok = dfile_matches(f, d->name_digest, actual, sizeof actual);
    if (name_ok == 0)
      vfind(v, c, ERR, "digest-mismatch", d->name_digest, d->path,
            "layer %zu of image %s: the bytes of %s hash to %s; its name says %s", d->index, d->label, q ? q : "?",
            actual, d->name_digest);
    diff_ok = dfile_matches(f, d->diff_id, actual, sizeof actual);
    /* the same complaint once: a <diff_id>.tar whose bytes changed */
    if (diff_ok == 0 && !(name_ok == 0 && oci_streq(d->name_digest, d->diff_id)))
      vfind(v, c, ERR, "diff-id-mismatch", d->diff_id, d->path,
            "layer %zu of image %s: the bytes of %s hash to %s, but its config's rootfs.diff_ids[%zu] is %s (a "
            "docker save layer is stored uncompressed: its digest is its diff_id)",
            d->index, d->label, q ? q : "?", actual, d->index, d->diff_id);
    free(q);
  }
}

/* A set of names in their full form; owner[i]: whose name names[i] is. */
typedef struct nameset {
  char **names;
  size_t *owner;
  size_t n, cap, cap_owner;
  ptab tab;
} nameset;

static void nameset_add(vstate *v, nameset *s, const char *name, size_t owner)
{
  char *full = oci_reference_full(name);
  if (!full || !oci_grow((void **)&s->names, &s->cap, s->n + 1, sizeof *s->names) ||
      !oci_grow((void **)&s->owner, &s->cap_owner, s->n + 1, sizeof *s->owner)) {
    free(full);
    v->nomem = true;
    return;
  }
  s->names[s->n] = full;
  s->owner[s->n] = owner;
  if (!ptab_put(&s->tab, str_key, s->names, s->n, false)) {
    free(full);
    v->nomem = true;
    return;
  }
  s->n++;
}

/* The owner of name, or NONE. */
static size_t nameset_find(vstate *v, const nameset *s, const char *name)
{
  char *full = oci_reference_full(name);
  size_t i;
  if (!full) {
    v->nomem = true;
    return NONE;
  }
  i = ptab_find(&s->tab, str_key, s->names, full);
  free(full);
  return i == NONE ? NONE : s->owner[i];
}

static void nameset_free(nameset *s)
{
  oci_strv_free(s->names, s->n);
  free(s->owner);
  free(s->tab.t);
}

/* Is <id>/layer.tar (a file, or a link to one) the image's top layer? */
static bool is_top_layer(vstate *v, const ocidig_docker_image *im, const char *id)
{
  char *lpath, *got = NULL, *top = NULL;
  const char *bad;
  bool same;
  if (!im->n_layers || !im->layers[im->n_layers - 1].file)
    return true; /* nothing to compare with: the layer's own finding says why */
  if (strchr(id, '/') || !(lpath = oci_sprintf("%s/layer.tar", id)))
    return false;
  same = docker_follow(v, lpath, &got, &bad) == DF_FOUND &&
         docker_follow(v, im->layers[im->n_layers - 1].file, &top, &bad) == DF_FOUND && !strcmp(got, top);
  free(lpath);
  free(got);
  free(top);
  return same;
}

/* repositories (legacy: {"repo": {"tag": "<top layer ID>"}}) against manifest.json. */
static void docker_repositories(vstate *v, const ocidig_docker_archive *a)
{
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  ocidig_error e;
  nameset tags = {0}, listed = {0};
  ocidig_code rc = ocidig_layout_read_file(v->l, "repositories", OCIDIG_MAX_JSON_SIZE, &data, &len, &e);
  if (rc == OCIDIG_ERR_BLOB_MISSING)
    return;
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    vfind(v, LAYOUT_CTX, WARN, "repositories-mismatch", NULL, "repositories", "repositories could not be read: %s",
          e.message);
    return;
  }
  rc = oci_json_parse(data, len, "repositories", &doc, &e);
  free(data);
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    vfind(v, LAYOUT_CTX, WARN, "repositories-mismatch", NULL, "repositories",
          "%s; expected {repository: {tag: layer ID}} (docker load reads manifest.json instead)", e.message);
    return;
  }
  if (!json_is(doc.root, json_type_object)) {
    vfind(v, LAYOUT_CTX, WARN, "repositories-mismatch", NULL, "repositories",
          "repositories must be an object {repository: {tag: layer ID}}, not %s", oci_json_type_name(doc.root));
    oci_json_doc_free(&doc);
    return;
  }
  for (size_t i = 0; i < a->n_images; i++)
    for (size_t k = 0; k < a->images[i].n_repo_tags; k++)
      nameset_add(v, &tags, a->images[i].repo_tags[k], i);
  json_object_object_foreach(doc.root, repo, tagmap)
  {
    if (!json_is(tagmap, json_type_object)) {
      char *qr = oci_quote(repo, strlen(repo), 120);
      vfind(v, LAYOUT_CTX, WARN, "repositories-mismatch", NULL, "repositories",
            "repositories: %s must be an object {tag: layer ID}, not %s", qr ? qr : "?", oci_json_type_name(tagmap));
      free(qr);
      continue;
    }
    json_object_object_foreach(tagmap, tag, id)
    {
      char *name = oci_sprintf("%s:%s", repo, tag), *qn;
      size_t owner;
      if (!name) {
        v->nomem = true;
        continue;
      }
      nameset_add(v, &listed, name, 0);
      owner = nameset_find(v, &tags, name);
      qn = oci_quote(name, strlen(name), 160);
      if (owner == NONE) {
        vfind(v, LAYOUT_CTX, WARN, "repositories-mismatch", NULL, "repositories",
              "repositories names %s, which no image of manifest.json has among its RepoTags", qn ? qn : "?");
      } else if (!json_is(id, json_type_string)) {
        vfind(v, LAYOUT_CTX, WARN, "repositories-mismatch", NULL, "repositories",
              "repositories: %s must be the ID of the image's top layer (a string), not %s", qn ? qn : "?",
              oci_json_type_name(id));
      } else if (!is_top_layer(v, &a->images[owner], json_object_get_string(id))) {
        const ocidig_docker_image *im = &a->images[owner];
        char *ql = oci_quote(json_object_get_string(id), (size_t)json_object_get_string_len(id), 80);
        vfind(v, LAYOUT_CTX, WARN, "repositories-mismatch", NULL, "repositories",
              "repositories: %s points at layer %s, but %s/layer.tar is not the top layer of image %s (%s)",
              qn ? qn : "?", ql ? ql : "?", ql ? ql : "?", dimage_label(im), im->layers[im->n_layers - 1].path);
        free(ql);
      }
      free(qn);
      free(name);
    }
  }
  oci_json_doc_free(&doc);
  /* every RepoTag is in repositories */
  for (size_t i = 0; i < a->n_images; i++) {
    const ocidig_docker_image *im = &a->images[i];
    for (size_t k = 0; k < im->n_repo_tags; k++)
      if (nameset_find(v, &listed, im->repo_tags[k]) == NONE) {
        char *q = oci_quote(im->repo_tags[k], strlen(im->repo_tags[k]), 160);
        vfind(v, LAYOUT_CTX, WARN, "repositories-mismatch", NULL, "repositories",
              "image %s has the RepoTag %s, which repositories does not list", dimage_label(im), q ? q : "?");
        free(q);
      }
  }
  nameset_free(&tags);
  nameset_free(&listed);
}

/* Is path <dir>/<leaf> with dir one component?  Sets *dlen. */
static bool legacy_member(const char *path, const char *leaf, size_t *dlen)
{
  const char *slash = strchr(path, '/');
  if (!slash || slash == path || strchr(slash + 1, '/'))
    return false;
  *dlen = (size_t)(slash - path);
  return !leaf || !strcmp(slash + 1, leaf);
}

/* Does path name, or lead hop by hop through links to, a file manifest.json names (present
 * or absent)? */
static bool leads_to_named(vstate *v, const char *path)
{
  bool oom, hit = false;
  char *cur = oci_link_join("", path, &oom);
  for (int hop = 0; cur && !hit && hop <= MAX_LINK_HOPS; hop++) {
    char *mark = oci_sprintf("\n%s", cur), *next;
    size_t i;
    hit = ptab_find(&v->dtab, dfile_key, v, cur) != NONE ||
          (mark && ptab_find(&v->dtab, dfile_key, v, mark) != NONE);
    v->nomem = v->nomem || !mark;
    free(mark);
    i = hit ? NONE : ptab_find(&v->etab, ent_key, v, cur);
    if (i == NONE || v->ents[i].type != OCIDIG_ENTRY_SYMLINK)
      break;
    next = oci_link_join(cur, v->ents[i].link_target, &oom);
    v->nomem = v->nomem || oom;
    free(cur);
    cur = next;
  }
  free(cur);
  if (!hit && !v->l->is_archive) {
    /* a directory: also through linked folders */
    char *file = NULL;
    const char *bad;
    if (docker_follow(v, path, &file, &bad) == DF_FOUND)
      hit = ptab_find(&v->dtab, dfile_key, v, file) != NONE;
    free(file);
  }
  return hit;
}

/* The files nothing refers to: neither manifest.json (manifest.json itself, repositories, the
 * configs and layers and the links leading to them) nor a legacy layer directory in use
 * (<id>/layer.tar leading to a layer, and its VERSION and json). */
static void docker_unreferenced(vstate *v)
{
  ocidig_verify_summary *s = &v->r->summary;
  bool *live = calloc(v->n_ents ? v->n_ents : 1, sizeof *live);
  if (!live) {
    v->nomem = true;
    return;
  }
  s->unreferenced_checked = true;
  for (size_t pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < v->n_ents; i++) {
      const ocidig_entry *e = &v->ents[i];
      size_t dlen;
      bool used;
      if ((e->type != OCIDIG_ENTRY_FILE && e->type != OCIDIG_ENTRY_SYMLINK) || (pass == 1 && e->escapes))
        continue; /* a link leaving the root is link-escapes already */
      if (pass == 0 && !legacy_member(e->path, "layer.tar", &dlen))
        continue;
      if (!strcmp(e->path, "manifest.json") || !strcmp(e->path, "repositories"))
        continue;
      if (pass == 1 && live[i])
        continue;
      used = leads_to_named(v, e->path);
      if (pass == 0) {
        live[i] = used;
        continue;
      }
      if (!used && legacy_member(e->path, NULL, &dlen) &&
          (!strcmp(e->path + dlen + 1, "VERSION") || !strcmp(e->path + dlen + 1, "json"))) {
        /* its layer.tar leads to a layer, or is one manifest.json names that is absent */
        char *lt = oci_sprintf("\n%.*s/layer.tar", (int)dlen, e->path);
        size_t k = lt ? ptab_find(&v->etab, ent_key, v, lt + 1) : NONE;
        used = (k != NONE && live[k]) || (lt && ptab_find(&v->dtab, dfile_key, v, lt) != NONE);
        if (!lt)
          v->nomem = true;
        free(lt);
      }
      if (!used) {
        char *q = oci_quote(e->path, strlen(e->path), 200);
        int64_t size = e->type == OCIDIG_ENTRY_FILE && e->size > 0 ? e->size : 0;
        s->blobs_unreferenced++;
        s->unreferenced_bytes = oci_bytes_add(s->unreferenced_bytes, size);
        vfind(v, LAYOUT_CTX, WARN, "blob-unreferenced", NULL, e->path,
              "%s (%s%lld bytes) is referenced neither by manifest.json nor by a legacy layer directory in use",
              q ? q : "?", e->type == OCIDIG_ENTRY_SYMLINK ? "a symbolic link, " : "", (long long)size);
        free(q);
      }
    }
  free(live);
}

/* Which images of manifest.json are verified: --ref names one; --platform keeps those whose
 * config is for it (and those whose platform is unknown: their config is at fault). */
static ocidig_code docker_scope(vstate *v, const ocidig_docker_archive *a, bool *pick)
{
  const ocidig_matcher *m = v->o->matcher;
  size_t kept = 0;
  if (v->o->ref) {
    size_t i;
    ocidig_error e;
    ocidig_code rc = ocidig_docker_archive_pick(a, v->o->ref, &i, &e);
    if (rc != OCIDIG_OK) {
      v->r->error = e;
      return rc;
    }
    pick[i] = true;
    if (m && a->images[i].has_platform && !ocidig_matcher_match(m, &a->images[i].platform)) {
      char *f = ocidig_platform_format(&a->images[i].platform);
      vfind(v, (vctx){0, -1}, WARN, "platform-mismatch", a->images[i].image_id, NULL,
            "image %s is for %s (its config), not %s; it is verified because --ref names it",
            dimage_label(&a->images[i]), f ? f : "?", v->r->request ? v->r->request : "?");
      free(f);
    }
    return OCIDIG_OK;
  }
  for (size_t i = 0; i < a->n_images; i++) {
    pick[i] = !m || !a->images[i].has_platform || ocidig_matcher_match(m, &a->images[i].platform);
    kept += pick[i];
  }
  if (m && a->n_images && !kept) {
    oci_buf b = {0};
    for (size_t i = 0; i < a->n_images; i++) {
      char *f = ocidig_platform_format(&a->images[i].platform);
      oci_buf_printf(&b, "%s%s", i ? ", " : "", f ? f : "?");
      free(f);
    }
    vfind(v, LAYOUT_CTX, ERR, "platform-not-found", NULL, "manifest.json",
          "no image of manifest.json is for %s (their configs say: %s)", v->r->request ? v->r->request : "?",
          b.s ? b.s : "?");
    oci_buf_free(&b);
  }
  return OCIDIG_OK;
}

/* A docker save archive without index.json: everything manifest.json names. */
static ocidig_code walk_docker(vstate *v)
{
  ocidig_verify_report *r = v->r;
  ocidig_docker_archive *a = NULL;
  ocidig_error e;
  ocidig_code rc;
  bool *pick;
  dlayer *dl = NULL;
  size_t n_dl = 0, cap_dl = 0, n = 0;

  if (!docker_index_entries(v, &e)) {
    r->error = e;
    return e.code;
  }
  if (!docker_manifest_shape(v))
    return OCIDIG_OK;
  if ((rc = ocidig_docker_archive_read(v->l, &a, &e)) != OCIDIG_OK) {
    docker_read_failed(v, &e);
    return OCIDIG_OK;
  }
  if (!(pick = calloc(a->n_images ? a->n_images : 1, sizeof *pick))) {
    ocidig_docker_archive_free(a);
    v->nomem = true;
    return OCIDIG_OK;
  }
  if ((rc = docker_scope(v, a, pick)) != OCIDIG_OK) {
    free(pick);
    ocidig_docker_archive_free(a);
    return rc;
  }
  for (size_t i = 0; i < a->n_images; i++)
    n += pick[i];
  if (!(r->images = calloc(n ? n : 1, sizeof *r->images))) {
    v->nomem = true;
  } else {
    for (size_t i = 0; i < a->n_images; i++)
      if (pick[i]) {
        long k = (long)r->n_images++;
        docker_image(v, &a->images[i], k, &dl, &n_dl, &cap_dl);
      }
    docker_hash(v);
    docker_layers_conclude(v, dl, n_dl);
  }
  docker_repositories(v, a);
  if (!v->scoped)
    docker_unreferenced(v);
  free(dl);
  free(pick);
  ocidig_docker_archive_free(a);
  return OCIDIG_OK;
}

/* A hybrid: index.json was verified; manifest.json beside it is read and compared. */
static void compare_hybrid(vstate *v)
{
  ocidig_docker_archive *a = NULL;
  ocidig_error e;
  size_t n0;
  if (!docker_index_entries(v, &e)) {
    if (e.code == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    return;
  }
  if (!docker_manifest_shape(v))
    return;
  if (ocidig_docker_archive_read(v->l, &a, &e) != OCIDIG_OK) {
    docker_read_failed(v, &e);
    return;
  }
  n0 = a->n_warnings;
  if (ocidig_docker_archive_compare(v->l, a, &e) != OCIDIG_OK) {
    if (e.code == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    else
      vfind(v, LAYOUT_CTX, WARN, "docker-manifest-disagrees", NULL, "manifest.json",
            "manifest.json could not be compared with index.json: %s", e.message);
  }
  for (size_t i = n0; i < a->n_warnings; i++)
    vfind(v, LAYOUT_CTX, WARN, "docker-manifest-disagrees", NULL, "manifest.json", "%s", a->warnings[i]);
  docker_repositories(v, a);
  ocidig_docker_archive_free(a);
}

/* --------------------------------------------------------------- report */

static int finding_order(const void *a, const void *b)
{
  const vfinding *x = a, *y = b;
  if (x->f.image != y->f.image)
    return x->f.image < y->f.image ? -1 : 1;
  if (x->f.platform != y->f.platform)
    return x->f.platform < y->f.platform ? -1 : 1;
  /* key holds the insertion order here */
  return x->key < y->key ? -1 : x->key > y->key ? 1 : 0;
}

static void build_report(vstate *v)
{
  ocidig_verify_report *r = v->r;
  long *local = calloc(v->n_plats ? v->n_plats : 1, sizeof *local);
  if (!local) {
    v->nomem = true;
    return;
  }
  /* platforms per image */
  for (size_t pi = 0; pi < v->n_plats; pi++) {
    const vplat *p = &v->plats[pi];
    ocidig_verify_image *im;
    ocidig_verify_platform *op;
    if (p->image < 0 || (size_t)p->image >= r->n_images || (p->unit == NONE && p->again == NONE)) {
      local[pi] = -1;
      continue;
    }
    im = &r->images[p->image];
    op = realloc(im->platforms, (im->n_platforms + 1) * sizeof *op);
    if (!op) {
      v->nomem = true;
      local[pi] = -1;
      continue;
    }
    im->platforms = op;
    local[pi] = (long)im->n_platforms;
    op = &im->platforms[im->n_platforms++];
    memset(op, 0, sizeof *op);
    if (p->again != NONE) {
      const vblob *b = &v->blobs[p->again];
      op->platform = oci_strdup(p->platform);
      op->platform_source = p->platform ? "descriptor" : NULL;
      op->manifest = oci_strdup(b->digest);
      op->media_type = oci_strdup(p->media_type);
      op->is_index = true;
      op->walked_already = true;
      op->walked_image = b->index_image;
      op->requested = v->o->matcher != NULL;
      op->complete = b->index_complete;
    } else {
      const vunit *u = &v->units[p->unit];
      op->platform = oci_strdup(p->platform ? p->platform : u->config_platform);
      op->platform_source = p->platform ? "descriptor" : u->config_platform ? "config" : NULL;
      op->manifest = oci_strdup(v->blobs[u->blob].digest);
      op->media_type = oci_strdup(p->media_type);
      op->attestation_of = oci_strdup(p->attestation_of);
      op->is_index = u->is_index;
      op->requested = v->o->matcher != NULL;
      op->complete = u->n_missing == 0;
      op->n_blobs = u->n_blobs;
      op->size = u->size;
      if (u->n_missing && (op->missing = calloc(u->n_missing, sizeof *op->missing)) != NULL) {
        for (size_t k = 0; k < u->n_missing; k++) {
          op->missing[k].digest = oci_strdup(v->blobs[u->missing[k].blob].digest);
          op->missing[k].role = u->missing[k].role;
          op->missing[k].index = u->missing[k].index;
          op->missing[k].size = u->missing[k].size;
        }
        op->n_missing = u->n_missing;
      }
    }
  }
  for (size_t i = 0; i < r->n_images; i++) {
    ocidig_verify_image *im = &r->images[i];
    im->complete = true;
    for (size_t k = 0; k < im->n_platforms; k++)
      im->complete = im->complete && im->platforms[k].complete;
  }
  /* findings: the layout first, then by image and platform, else in the order found */
  for (size_t i = 0; i < v->n_findings; i++) {
    vfinding *f = &v->findings[i];
    if (f->f.platform >= 0 && (size_t)f->f.platform < v->n_plats)
      f->f.platform = local[f->f.platform];
    else
      f->f.platform = -1;
    if (f->f.image >= (long)r->n_images)
      f->f.image = -1;
    f->key = i;
  }
  free(local);
  if (v->n_findings > 1) /* qsort(NULL, 0, ...) is undefined: UBSan stops every clean verify */
    qsort(v->findings, v->n_findings, sizeof *v->findings, finding_order);
  r->findings = calloc(v->n_findings ? v->n_findings : 1, sizeof *r->findings);
  if (!r->findings) {
    v->nomem = true;
    return;
  }
  for (size_t i = 0; i < v->n_findings; i++) {
    ocidig_finding *f = &r->findings[i];
    *f = v->findings[i].f;
    memset(&v->findings[i].f, 0, sizeof v->findings[i].f);
    if (f->image >= 0) {
      ocidig_verify_image *im = &r->images[f->image];
      if (f->severity == OCIDIG_SEVERITY_ERROR)
        im->n_errors++;
      else if (f->severity == OCIDIG_SEVERITY_WARNING)
        im->n_warnings++;
      if (f->platform >= 0 && (size_t)f->platform < im->n_platforms) {
        if (f->severity == OCIDIG_SEVERITY_ERROR)
          im->platforms[f->platform].n_errors++;
        else if (f->severity == OCIDIG_SEVERITY_WARNING)
          im->platforms[f->platform].n_warnings++;
      }
    }
  }
  r->n_findings = v->n_findings;
  v->n_findings = 0;
}

static void vstate_free(vstate *v)
{
  for (size_t i = 0; i < v->n_blobs; i++) {
    free(v->blobs[i].digest);
    free(v->blobs[i].actual);
    free(v->blobs[i].read_error);
  }
  free(v->blobs);
  free(v->tab);
  for (size_t i = 0; i < v->n_units; i++) {
    free(v->units[i].missing);
    free(v->units[i].config_platform);
  }
  free(v->units);
  for (size_t i = 0; i < v->n_plats; i++) {
    free(v->plats[i].platform);
    free(v->plats[i].media_type);
    free(v->plats[i].attestation_of);
  }
  free(v->plats);
  for (size_t i = 0; i < v->n_atts; i++) {
    free(v->atts[i].target);
    free(v->atts[i].where);
    free(v->atts[i].digest);
  }
  free(v->atts);
  for (size_t i = 0; i < v->n_findings; i++) {
    free(v->findings[i].f.digest);
    free(v->findings[i].f.path);
    free(v->findings[i].f.message);
  }
  free(v->findings);
  free(v->ftab);
  for (size_t i = 0; i < v->n_dfiles; i++) {
    free(v->dfiles[i].path);
    free(v->dfiles[i].read_error);
  }
  free(v->dfiles);
  free(v->dtab.t);
  free(v->etab.t);
}

/* ------------------------------------------------------------ public API */

const char *ocidig_severity_name(ocidig_severity s)
{
  switch (s) {
  case OCIDIG_SEVERITY_ERROR:
    return "error";
  case OCIDIG_SEVERITY_WARNING:
    return "warning";
  default:
    return "info";
  }
}

ocidig_code ocidig_verify(ocidig_layout *layout, const ocidig_verify_options *opts, ocidig_verify_report **out,
                          ocidig_error *err)
{
  static const ocidig_verify_options no_opts;
  static char linux_os[] = "linux", amd64[] = "amd64";
  ocidig_platform default_host = {.os = linux_os, .architecture = amd64};
  vstate v = {0};
  ocidig_verify_report *r;
  ocidig_layout_format format = OCIDIG_FORMAT_NONE;
  ocidig_code rc;

  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(layout, "the layout", err);
  if (!(r = calloc(1, sizeof *r)))
    return oci_nomem(err);
  *out = r;
  v.l = layout;
  v.o = opts ? opts : &no_opts;
  v.r = r;
  v.host = v.o->host ? v.o->host : &default_host;
  v.scoped = v.o->matcher || v.o->ref;
  r->source = oci_strdup(layout->path);
  r->archive = layout->is_archive;
  r->strict = v.o->strict;
  r->ref = oci_strdup(v.o->ref);
  if (v.o->matcher)
    r->request = ocidig_platform_format(ocidig_matcher_request(v.o->matcher));

  r->format = ocidig_layout_format_name(OCIDIG_FORMAT_NONE);
  rc = scan_listing(&v);
  if (rc == OCIDIG_OK && (rc = check_root(&v, &format)) == OCIDIG_OK) {
    r->format = ocidig_layout_format_name(format);
    v.docker = format == OCIDIG_FORMAT_DOCKER_ARCHIVE;
  }
  if (rc == OCIDIG_OK && v.docker)
    rc = walk_docker(&v);
  else if (rc == OCIDIG_OK)
    rc = walk_root(&v);
  if (!v.docker && (rc == OCIDIG_OK || rc == OCIDIG_ERR_MISSING_INDEX_JSON)) {
    hash_pending(&v);
    conclude_blobs(&v);
    conclude_platforms(&v);
    if (rc == OCIDIG_OK)
      conclude_unreferenced(&v);
    conclude_attestations(&v);
  }
  if (rc == OCIDIG_OK && format == OCIDIG_FORMAT_HYBRID)
    compare_hybrid(&v);
  r->summary.bytes_hashed = v.bytes_hashed;
  build_report(&v);
  if (v.docker)
    for (size_t i = 0; i < r->n_images; i++)
      if (r->images[i].n_platforms == 1) {
        /* one platform per image: what concerns the image concerns it */
        r->images[i].platforms[0].n_errors = r->images[i].n_errors;
        r->images[i].platforms[0].n_warnings = r->images[i].n_warnings;
      }
  if (rc == OCIDIG_OK && v.nomem)
    rc = oci_nomem(&r->error);
  vstate_free(&v);
  if (rc != OCIDIG_OK && err)
    *err = r->error;
  return rc;
}

void ocidig_verify_report_free(ocidig_verify_report *r)
{
  if (!r)
    return;
  free(r->source);
  free(r->request);
  free(r->ref);
  for (size_t i = 0; i < r->n_findings; i++) {
    free(r->findings[i].digest);
    free(r->findings[i].path);
    free(r->findings[i].message);
  }
  free(r->findings);
  for (size_t i = 0; i < r->n_images; i++) {
    ocidig_verify_image *im = &r->images[i];
    for (size_t k = 0; k < im->n_platforms; k++) {
      ocidig_verify_platform *p = &im->platforms[k];
      free(p->platform);
      free(p->manifest);
      free(p->media_type);
      free(p->attestation_of);
      for (size_t j = 0; j < p->n_missing; j++)
        free(p->missing[j].digest);
      free(p->missing);
    }
    free(im->platforms);
    free(im->name);
    free(im->digest);
    free(im->media_type);
  }
  free(r->images);
  free(r);
}

static json_object *str_or_null(const char *s)
{
  return s ? json_object_new_string(s) : NULL;
}

static json_object *finding_to_json(const ocidig_finding *f)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "code", json_object_new_string(f->code));
  json_object_object_add(o, "severity", json_object_new_string(ocidig_severity_name(f->severity)));
  if (f->digest)
    json_object_object_add(o, "digest", json_object_new_string(f->digest));
  if (f->path)
    json_object_object_add(o, "path", json_object_new_string(f->path));
  json_object_object_add(o, "message", json_object_new_string(f->message));
  if (f->image >= 0) {
    json_object_object_add(o, "image", json_object_new_int64(f->image));
    if (f->platform >= 0)
      json_object_object_add(o, "platform", json_object_new_int64(f->platform));
  }
  return o;
}

static json_object *platform_to_json(const ocidig_verify_platform *p)
{
  json_object *po = json_object_new_object(), *miss = json_object_new_array();
  json_object_object_add(po, "platform", str_or_null(p->platform));
  json_object_object_add(po, "platformSource", str_or_null(p->platform_source));
  json_object_object_add(po, p->is_index ? "index" : "manifest", str_or_null(p->manifest));
  json_object_object_add(po, "mediaType", str_or_null(p->media_type));
  if (p->attestation_of)
    json_object_object_add(po, "attestationOf", json_object_new_string(p->attestation_of));
  if (p->walked_already) {
    json_object_object_add(po, "walkedAlready", json_object_new_boolean(true));
    json_object_object_add(po, "walkedIn", json_object_new_int64(p->walked_image));
  }
  json_object_object_add(po, "requested", json_object_new_boolean(p->requested));
  json_object_object_add(po, "complete", json_object_new_boolean(p->complete));
  json_object_object_add(po, "blobs", json_object_new_int64((int64_t)p->n_blobs));
  json_object_object_add(po, "present", json_object_new_int64((int64_t)(p->n_blobs - p->n_missing)));
  json_object_object_add(po, "size", json_object_new_int64(p->size));
  for (size_t j = 0; j < p->n_missing; j++) {
    json_object *m = json_object_new_object();
    json_object_object_add(m, "digest", str_or_null(p->missing[j].digest));
    json_object_object_add(m, "role", json_object_new_string(p->missing[j].role));
    if (p->missing[j].index >= 0)
      json_object_object_add(m, "index", json_object_new_int64(p->missing[j].index));
    json_object_object_add(m, "size", json_object_new_int64(p->missing[j].size));
    json_object_array_add(miss, m);
  }
  json_object_object_add(po, "missing", miss);
  json_object_object_add(po, "errors", json_object_new_int64((int64_t)p->n_errors));
  json_object_object_add(po, "warnings", json_object_new_int64((int64_t)p->n_warnings));
  return po;
}

/* Written piecewise (json.h's writer): one json-c tree for the whole report of a layout
 * with thousands of platforms took several times the report's own memory. */
char *ocidig_verify_report_to_json(const ocidig_verify_report *r, bool pretty)
{
  if (!r)
    return NULL;
  const ocidig_verify_summary *s = &r->summary;
  json_object *scope = json_object_new_object(), *sum = json_object_new_object();
  oci_json_writer w;

  oci_json_writer_init(&w, pretty);
  oci_json_writer_open(&w, NULL, '{');
  oci_json_writer_put(&w, "schemaVersion", json_object_new_int(1));
  oci_json_writer_put(&w, "source", str_or_null(r->source));
  oci_json_writer_put(&w, "format", str_or_null(r->format));
  json_object_object_add(scope, "platform", str_or_null(r->request));
  json_object_object_add(scope, "strict", json_object_new_boolean(r->strict));
  json_object_object_add(scope, "ref", str_or_null(r->ref));
  oci_json_writer_put(&w, "scope", scope);
  oci_json_writer_open(&w, "findings", '[');
  for (size_t i = 0; i < r->n_findings; i++)
    oci_json_writer_put(&w, NULL, finding_to_json(&r->findings[i]));
  oci_json_writer_close(&w);
  oci_json_writer_open(&w, "images", '[');
  for (size_t i = 0; i < r->n_images; i++) {
    const ocidig_verify_image *im = &r->images[i];
    oci_json_writer_open(&w, NULL, '{');
    oci_json_writer_put(&w, "name", str_or_null(im->name));
    oci_json_writer_put(&w, "digest", str_or_null(im->digest));
    oci_json_writer_put(&w, "mediaType", str_or_null(im->media_type));
    oci_json_writer_put(&w, "complete", json_object_new_boolean(im->complete));
    oci_json_writer_put(&w, "errors", json_object_new_int64((int64_t)im->n_errors));
    oci_json_writer_put(&w, "warnings", json_object_new_int64((int64_t)im->n_warnings));
    oci_json_writer_open(&w, "platforms", '[');
    for (size_t k = 0; k < im->n_platforms; k++)
      oci_json_writer_put(&w, NULL, platform_to_json(&im->platforms[k]));
    oci_json_writer_close(&w);
    oci_json_writer_close(&w);
  }
  oci_json_writer_close(&w);
  json_object_object_add(sum, "blobsChecked", json_object_new_int64((int64_t)s->blobs_checked));
  json_object_object_add(sum, "bytesHashed", json_object_new_int64((int64_t)s->bytes_hashed));
  json_object_object_add(sum, "blobsMissing", json_object_new_int64((int64_t)s->blobs_missing));
  json_object_object_add(sum, "errors", json_object_new_int64((int64_t)s->errors));
  json_object_object_add(sum, "warnings", json_object_new_int64((int64_t)s->warnings));
  json_object_object_add(sum, "info", json_object_new_int64((int64_t)s->infos));
  if (s->unreferenced_checked) {
    json_object_object_add(sum, "unreferencedBlobs", json_object_new_int64((int64_t)s->blobs_unreferenced));
    json_object_object_add(sum, "unreferencedBytes", json_object_new_int64((int64_t)s->unreferenced_bytes));
  } else {
    json_object_object_add(sum, "unreferencedBlobs", NULL);
    json_object_object_add(sum, "unreferencedBytes", NULL);
  }
  json_object_object_add(sum, "findingsDropped", json_object_new_int64((int64_t)s->findings_dropped));
  oci_json_writer_put(&w, "summary", sum);
  if (r->error.code != OCIDIG_OK) {
    json_object *e = json_object_new_object();
    json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(r->error.code)));
    json_object_object_add(e, "message", json_object_new_string(r->error.message));
    oci_json_writer_put(&w, "error", e);
  }
  oci_json_writer_close(&w);
  return oci_json_writer_take(&w);
}

int ocidig_verify_exit_status(const ocidig_verify_report *r, bool fail_on_warning)
{
  if (!r)
    return 3;
  if (r->error.code != OCIDIG_OK)
    return ocidig_code_exit_status(r->error.code);
  if (r->summary.errors) {
    /* Only what could not be read (resolve's io-error) is 3, as in every command; one
     * integrity error, or findings the report dropped, make it 4. */
    if (r->summary.findings_dropped)
      return 4;
    for (size_t i = 0; i < r->n_findings; i++)
      if (r->findings[i].severity == OCIDIG_SEVERITY_ERROR && strcmp(r->findings[i].code, "blob-unreadable") &&
          strcmp(r->findings[i].code, "listing-unreadable"))
        return 4;
    return 3;
  }
  if (fail_on_warning && r->summary.warnings)
    return 4;
  return 0;
}
