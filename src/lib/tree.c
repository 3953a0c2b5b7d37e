/* tree.c: the merged root filesystem of one image (tree.h). */
#include "tree.h"

#include "strtab.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

enum {
  F_DELETED = 1,  /* a layer removed it (layer: which) */
  F_BELOW = 2,    /* in the tree before its layer (`layer`) touched it */
  F_IMPLICIT = 4, /* a directory made for an entry beneath it */
  F_DATA = 8,     /* data_layer/data_ordinal name the entry that holds its bytes */
  F_KEEP = 16,    /* del_tree's mark: an entry of the current layer is at or beneath it */
  F_RES = 32,     /* a symbolic link whose target's resolution is cached (res, res_cost) */
};

/* The implicit directories the tree makes: OCI_TREE_FREE_IMPLICIT, and IMPLICIT_PER_ENTRY
 * for every entry applied (an entry is at least one 512-byte tar header; a node about 140
 * bytes): an input cannot make the tree hold much more than its own size. */
#define OCI_TREE_FREE_IMPLICIT 65536
#define IMPLICIT_PER_ENTRY 4

typedef struct tnode {
  const char *key;  /* "<parent hex>/<name>" in the pool; the root: "" */
  const char *link; /* in the pool, or NULL */
  int64_t size;     /* devices: major << 32 | minor */
  int64_t mtime;
  uint32_t parent, child, next; /* first child, next sibling (deleted ones included) */
  uint32_t uid, gid;
  uint32_t layer;
  union {
    struct {
      uint32_t data_layer, data_ordinal; /* F_DATA */
    };
    struct {
      uint32_t res, res_cost; /* F_RES: the directory a symbolic link leads to; hops << 24 | steps */
    };
  };
  uint16_t mode;
  uint8_t type, flags;
} tnode;

typedef struct kid {
  const char *name;
  uint32_t id;
} kid;

typedef struct frame {
  size_t begin, end, pos, pathlen;
} frame;

struct oci_tree {
  tnode *n;
  size_t len, cap;
  oci_strtab tab;
  oci_strpool pool;
  size_t pool_bytes;
  oci_buf key, clean, out;
  uint32_t cur;
  bool begun;
  uint64_t wasted_bytes;
  size_t wasted_files, bad_names, skipped_parent, skipped_long, skipped_implicit, whiteouts, opaques;
  size_t applied, implicit_made;
  bool nomem;
  /* the symbolic links with F_RES (all cleared when a directory or link changes) */
  uint32_t *cached;
  size_t n_cached, cap_cached;
  /* oci_tree_each's stacks, kept between calls */
  kid *kids;
  size_t n_kids, cap_kids;
  frame *frames;
  size_t n_frames, cap_frames;
};

static const char *key_of(const void *ctx, size_t i)
{
  return ((const oci_tree *)ctx)->n[i].key;
}

static const char *name_of(const tnode *x)
{
  const char *s = strchr(x->key, '/');
  return s ? s + 1 : x->key;
}

static bool live(const tnode *x)
{
  return !(x->flags & F_DELETED);
}

const char *oci_tree_change_name(oci_tree_change c)
{
  switch (c) {
  case OCI_TREE_ADDED: return "added";
  case OCI_TREE_MODIFIED: return "modified";
  case OCI_TREE_DELETED: return "deleted";
  default: return "";
  }
}

oci_tree *oci_tree_new(void)
{
  oci_tree *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  if (!oci_grow((void **)&t->n, &t->cap, 1024, sizeof *t->n)) {
    free(t);
    return NULL;
  }
  t->len = 1;
  memset(&t->n[0], 0, sizeof t->n[0]);
  t->n[0].key = "";
  t->n[0].parent = t->n[0].child = t->n[0].next = NONE;
  t->n[0].type = 'd';
  t->n[0].mode = 0755;
  t->n[0].flags = F_IMPLICIT;
  return t;
}

void oci_tree_free(oci_tree *t)
{
  if (!t)
    return;
  free(t->n);
  oci_strtab_free(&t->tab);
  oci_strpool_free(&t->pool);
  oci_buf_free(&t->key);
  oci_buf_free(&t->clean);
  oci_buf_free(&t->out);
  free(t->kids);
  free(t->frames);
  free(t->cached);
  free(t);
}

void oci_tree_layer_begin(oci_tree *t, unsigned layer)
{
  t->cur = layer;
  t->begun = true;
}

static const char *pool_dup(oci_tree *t, const char *s)
{
  const char *p = oci_strpool_dup(&t->pool, s);
  if (!p)
    t->nomem = true;
  else
    t->pool_bytes += strlen(s) + 1;
  return p;
}

/* The key of (parent, name[0..n)) in t->key. */
static const char *make_key(oci_tree *t, uint32_t parent, const char *name, size_t n)
{
  char hex[16];
  int k = snprintf(hex, sizeof hex, "%" PRIx32 "/", parent);
  t->key.len = 0;
  oci_buf_add(&t->key, hex, (size_t)k);
  oci_buf_add(&t->key, name, n);
  oci_buf_add(&t->key, "", 1);
  if (t->key.failed) {
    t->nomem = true;
    return NULL;
  }
  return t->key.s;
}

static uint32_t find_child(oci_tree *t, uint32_t parent, const char *name, size_t n)
{
  const char *k = make_key(t, parent, name, n);
  size_t i = k ? oci_strtab_find(&t->tab, k, key_of, t) : OCI_STRTAB_NONE;
  return i == OCI_STRTAB_NONE ? NONE : (uint32_t)i;
}

/* The node of (parent, name), made (deleted, to be set by the caller) when there is none. */
static uint32_t get_child(oci_tree *t, uint32_t parent, const char *name, size_t n)
{
  uint32_t c = find_child(t, parent, name, n);
  tnode *x;
  if (c != NONE || t->nomem)
    return c;
  if (t->len >= NONE - 1 || !oci_grow((void **)&t->n, &t->cap, t->len + 1, sizeof *t->n)) {
    t->nomem = true;
    return NONE;
  }
  x = &t->n[t->len];
  memset(x, 0, sizeof *x);
  if (!(x->key = pool_dup(t, t->key.s)))
    return NONE;
  x->parent = parent;
  x->child = NONE;
  x->flags = F_DELETED;
  x->layer = t->cur;
  if (!oci_strtab_put(&t->tab, t->len, key_of, t, false)) {
    t->nomem = true;
    return NONE;
  }
  x->next = t->n[parent].child;
  t->n[parent].child = (uint32_t)t->len;
  return (uint32_t)t->len++;
}

/* Node id is about to become `type` (0: deleted).  A cached link resolution passes only
 * through live directories and links: when one of those changes, every cache goes. */
static void changing(oci_tree *t, uint32_t id, int type)
{
  const tnode *x = &t->n[id];
  if (!live(x) || !(x->type == 'l' || (x->type == 'd' && type != 'd')))
    return;
  for (size_t i = 0; i < t->n_cached; i++)
    t->n[t->cached[i]].flags &= (uint8_t)~F_RES;
  t->n_cached = 0;
}

/* The current layer changes node id: its state before the layer is remembered the first time. */
static void touch(oci_tree *t, uint32_t id)
{
  tnode *x = &t->n[id];
  if (x->layer != t->cur) {
    x->flags = (uint8_t)((x->flags & ~F_BELOW) | (live(x) ? F_BELOW : 0));
    x->layer = t->cur;
  }
}

static void set_implicit(oci_tree *t, uint32_t id)
{
  tnode *x = &t->n[id];
  changing(t, id, 'd');
  touch(t, id);
  x->type = 'd';
  x->mode = 0755;
  x->uid = x->gid = 0;
  x->size = x->mtime = 0;
  x->link = NULL;
  x->flags = (uint8_t)((x->flags & ~(F_DELETED | F_DATA | F_RES)) | F_IMPLICIT);
}

static uint32_t clamp_id(int64_t v)
{
  return v < 0 ? 0 : v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The next node of a pre-order walk of root's subtree after x (its children first when
 * `descend`), or NONE. */
static uint32_t next_pre(const oci_tree *t, uint32_t x, uint32_t root, bool descend)
{
  if (descend && t->n[x].child != NONE)
    return t->n[x].child;
  while (x != root) {
    if (t->n[x].next != NONE)
      return t->n[x].next;
    x = t->n[x].parent;
  }
  return NONE;
}

static void delete_node(oci_tree *t, uint32_t id)
{
  tnode *x = &t->n[id];
  if (x->type == 'f' && x->layer < t->cur) {
    t->wasted_bytes = oci_bytes_add(t->wasted_bytes, x->size);
    t->wasted_files++;
  }
  changing(t, id, 0);
  touch(t, id);
  x->flags = (uint8_t)((x->flags & ~(F_KEEP | F_RES)) | F_DELETED);
}

/* Removes what is beneath root (and root itself when with_root).  keep_same: entries the
 * current layer set stay, and the directories of the layers below that hold them become
 * implicit directories (a whiteout hides only what the layers below set). */
static void del_tree(oci_tree *t, uint32_t root, bool with_root, bool keep_same)
{
  uint32_t x;
  if (!live(&t->n[root]))
    return;
  if (keep_same) {
    x = with_root ? root : next_pre(t, root, root, true);
    while (x != NONE) {
      tnode *n = &t->n[x];
      if (!live(n)) {
        x = next_pre(t, x, root, false);
        continue;
      }
      if (n->layer == t->cur && !(n->flags & F_KEEP))
        for (uint32_t a = x;; a = t->n[a].parent) {
          if (t->n[a].flags & F_KEEP)
            break;
          t->n[a].flags |= F_KEEP;
          if (a == root || (!with_root && t->n[a].parent == root))
            break;
        }
      x = next_pre(t, x, root, true);
    }
  }
  x = with_root ? root : next_pre(t, root, root, true);
  while (x != NONE) {
    tnode *n = &t->n[x];
    if (!live(n)) {
      x = next_pre(t, x, root, false);
      continue;
    }
    if (n->flags & F_KEEP) {
      n->flags &= (uint8_t)~F_KEEP;
      if (n->layer < t->cur)
        set_implicit(t, x);
    } else {
      delete_node(t, x);
    }
    x = next_pre(t, x, root, true);
  }
}

/* ------------------------------------------------------------ lookups */

typedef struct walk_out {
  uint32_t node;        /* found; or the component at fault */
  uint32_t dir;         /* NOT_FOUND: the directory where the name was not */
  const char *name;     /* NOT_FOUND: the name not found (not NUL-terminated: name_len) */
  size_t name_len;
} walk_out;

/* What one lookup has spent: links followed (OCI_TREE_MAX_LINKS at most) and components
 * walked, through the links too (OCI_TREE_MAX_STEPS at most).  A link's cached resolution
 * costs what walking its target cost, so an answer never depends on the cache. */
typedef struct walk_cost {
  unsigned hops;
  size_t steps;
} walk_cost;

static oci_tree_lookup_status walk(oci_tree *t, uint32_t start, const char *path, bool follow_last, walk_cost *w,
                                   walk_out *o);

static bool over(const walk_cost *w)
{
  return w->hops > OCI_TREE_MAX_LINKS || w->steps > OCI_TREE_MAX_STEPS;
}

/* Follows symbolic link c (live): its target walked from its directory, or its cached
 * resolution.  The resolution of a link that leads to a directory is kept (F_RES). */
static oci_tree_lookup_status follow_link(oci_tree *t, uint32_t c, walk_cost *w, walk_out *o)
{
  tnode *x = &t->n[c];
  walk_cost sub = {0, 0};
  oci_tree_lookup_status st;
  if (x->flags & F_RES) {
    w->hops += 1 + (x->res_cost >> 24);
    w->steps += x->res_cost & 0xffffffu;
    o->node = over(w) ? c : x->res;
    return over(w) ? OCI_TREE_LOOP : OCI_TREE_FOUND;
  }
  /* the target walked on the caller's budget; what it cost is counted in `sub` too */
  sub.hops = w->hops + 1;
  sub.steps = w->steps;
  if (over(&sub)) {
    o->node = c;
    return OCI_TREE_LOOP;
  }
  st = walk(t, x->parent, x->link ? x->link : "", true, &sub, o);
  if (st == OCI_TREE_FOUND && t->n[o->node].type == 'd' && !t->nomem &&
      oci_grow((void **)&t->cached, &t->cap_cached, t->n_cached + 1, sizeof *t->cached)) {
    x = &t->n[c];
    x->res = o->node;
    x->res_cost = (uint32_t)((sub.hops - w->hops - 1) << 24 | (sub.steps - w->steps));
    x->flags |= F_RES;
    t->cached[t->n_cached++] = c;
  }
  w->hops = sub.hops;
  w->steps = sub.steps;
  return st;
}

/* Walks path from start (an absolute path from the root), links followed inside the tree
 * (the last component's when follow_last). */
static oci_tree_lookup_status walk(oci_tree *t, uint32_t start, const char *path, bool follow_last, walk_cost *w,
                                   walk_out *o)
{
  uint32_t cur = path[0] == '/' ? 0 : start;
  const char *p = path;
  for (;;) {
    const char *e, *q;
    size_t n;
    bool last;
    uint32_t c;
    while (*p == '/')
      p++;
    if (!*p) {
      o->node = cur;
      return OCI_TREE_FOUND;
    }
    e = strchr(p, '/');
    n = e ? (size_t)(e - p) : strlen(p);
    for (q = p + n; *q == '/'; q++)
      ;
    last = !*q && !e; /* "a/" asks for a directory: its link is followed */
    if (++w->steps > OCI_TREE_MAX_STEPS) {
      o->node = cur;
      return OCI_TREE_LOOP;
    }
    if (n == 1 && p[0] == '.') {
      p += n;
      continue;
    }
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (cur == 0) {
        o->node = cur;
        return OCI_TREE_ESCAPE;
      }
      cur = t->n[cur].parent;
      p += n;
      continue;
    }
    c = find_child(t, cur, p, n);
    if (t->nomem)
      return OCI_TREE_NOT_FOUND;
    if (c == NONE) {
      o->node = NONE;
      o->dir = cur;
      o->name = p;
      o->name_len = n;
      return OCI_TREE_NOT_FOUND;
    }
    if (!live(&t->n[c])) {
      o->node = c;
      return OCI_TREE_REMOVED;
    }
    if (t->n[c].type == 'l' && (!last || follow_last)) {
      walk_out sub;
      oci_tree_lookup_status st = follow_link(t, c, w, &sub);
      if (st != OCI_TREE_FOUND) {
        *o = sub;
        if (st == OCI_TREE_ESCAPE)
          o->node = c; /* the link that leaves */
        return st;
      }
      c = sub.node;
    }
    if (!last && t->n[c].type != 'd') {
      o->node = c;
      return OCI_TREE_NOT_DIR;
    }
    cur = c;
    p += n;
  }
}

/* The path of node id into t->out (NUL-terminated; "" the root). */
static const char *node_path(oci_tree *t, uint32_t id)
{
  size_t total = 0, at;
  t->out.len = 0;
  for (uint32_t a = id; a != 0 && a != NONE; a = t->n[a].parent)
    total += strlen(name_of(&t->n[a])) + (total ? 1 : 0);
  if (!oci_grow((void **)&t->out.s, &t->out.cap, total + 1, 1)) {
    t->nomem = true;
    return "";
  }
  at = total;
  t->out.s[total] = '\0';
  for (uint32_t a = id; a != 0 && a != NONE; a = t->n[a].parent) {
    const char *nm = name_of(&t->n[a]);
    size_t k = strlen(nm);
    at -= k;
    memcpy(t->out.s + at, nm, k);
    if (at)
      t->out.s[--at] = '/';
  }
  t->out.len = total;
  return t->out.s;
}

static void fill_item(const oci_tree *t, uint32_t id, const char *path, oci_tree_item *it)
{
  const tnode *x = &t->n[id];
  memset(it, 0, sizeof *it);
  it->path = path;
  it->type = (char)x->type;
  it->mode = x->mode;
  it->uid = x->uid;
  it->gid = x->gid;
  it->mtime = x->mtime;
  it->link = x->link;
  if (x->type == 'c' || x->type == 'b') {
    it->devmajor = (uint32_t)((uint64_t)x->size >> 32);
    it->devminor = (uint32_t)((uint64_t)x->size & 0xffffffffu);
  } else {
    it->size = x->size;
  }
  it->layer = x->layer;
  it->implicit = x->flags & F_IMPLICIT;
  it->has_data = x->flags & F_DATA;
  if (it->has_data) {
    it->data_layer = x->data_layer;
    it->data_ordinal = x->data_ordinal;
  }
}

oci_tree_lookup_status oci_tree_lookup(oci_tree *t, const char *path, bool follow, oci_tree_item *it)
{
  walk_cost w = {0, 0};
  walk_out o = {0};
  oci_tree_lookup_status st = walk(t, 0, path ? path : "", follow, &w, &o);
  if (st == OCI_TREE_NOT_FOUND && o.node == NONE && !t->nomem) {
    const char *dir = node_path(t, o.dir);
    size_t dl = strlen(dir);
    memset(it, 0, sizeof *it);
    t->out.len = dl;
    if (dl)
      oci_buf_add(&t->out, "/", 1);
    oci_buf_add(&t->out, o.name, o.name_len);
    oci_buf_add(&t->out, "", 1);
    it->path = t->out.failed ? "" : t->out.s;
    return st;
  }
  if (t->nomem) {
    memset(it, 0, sizeof *it);
    it->path = "";
    return OCI_TREE_NOT_FOUND;
  }
  fill_item(t, o.node, node_path(t, o.node), it);
  return st;
}

/* ------------------------------------------------------------ applying entries */

/* A name cleaned into t->clean as containerd's unpacker cleans it (Go's filepath.Clean,
 * then joined under the root): no empty or "." components, ".." takes the component before
 * it away and stays at the root ("../x" is "x"), no leading "/".  true: the name needed it
 * beyond "./" and "/" (it was absolute or had a ".." component). */
static bool clean_path(oci_tree *t, const char *path)
{
  const char *p = path;
  bool bad = *p == '/';
  t->clean.len = 0;
  while (*p == '/')
    p++;
  while (*p) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      char *last = t->clean.len ? memrchr(t->clean.s, '/', t->clean.len) : NULL;
      t->clean.len = last ? (size_t)(last - t->clean.s) : 0;
      bad = true;
    } else if (n && !(n == 1 && p[0] == '.')) {
      if (t->clean.len)
        oci_buf_add(&t->clean, "/", 1);
      oci_buf_add(&t->clean, p, n);
    }
    p += n;
    while (*p == '/')
      p++;
  }
  oci_buf_add(&t->clean, "", 1);
  t->clean.len--;
  if (t->clean.failed)
    t->nomem = true;
  return bad;
}

#define TOO_MANY NONE - 1 /* parent_dir: the tree's bound on implicit directories */

/* The directory the components of path[0..len) name, links followed inside the tree (each
 * link with OCI_TREE_MAX_LINKS hops of its own; OCI_TREE_MAX_STEPS components for the whole
 * path); missing ones made (implicit) when `create`, unless that would pass the tree's bound
 * on implicit directories (TOO_MANY, nothing made).  NONE: not a directory (or, without
 * create, not there). */
static uint32_t parent_dir(oci_tree *t, const char *path, size_t len, bool create)
{
  uint32_t cur = 0;
  size_t i = 0;
  walk_cost w = {0, 0};
  while (i < len) {
    const char *p = path + i;
    const char *e = memchr(p, '/', len - i);
    size_t n = e ? (size_t)(e - p) : len - i;
    uint32_t c = find_child(t, cur, p, n);
    if (++w.steps > OCI_TREE_MAX_STEPS)
      return NONE;
    if (c == NONE || !live(&t->n[c])) {
      /* every component from here on is made (or made again) as an implicit directory */
      size_t rest = 1;
      if (!create || t->nomem)
        return NONE;
      for (size_t k = i + n; k < len; k++)
        rest += path[k] == '/';
      if (t->implicit_made + rest > OCI_TREE_FREE_IMPLICIT + IMPLICIT_PER_ENTRY * t->applied)
        return TOO_MANY;
      t->implicit_made += rest;
      while (i < len) {
        p = path + i;
        e = memchr(p, '/', len - i);
        n = e ? (size_t)(e - p) : len - i;
        if ((c = get_child(t, cur, p, n)) == NONE)
          return NONE;
        set_implicit(t, c);
        cur = c;
        i += n + 1;
      }
      return cur;
    }
    if (t->n[c].type == 'l') {
      walk_out o;
      w.hops = 0;
      if (follow_link(t, c, &w, &o) != OCI_TREE_FOUND || t->n[o.node].type != 'd')
        return NONE;
      c = o.node;
    } else if (t->n[c].type != 'd') {
      return NONE;
    }
    cur = c;
    i += n + 1;
  }
  return cur;
}

/* Go's filepath.Clean of a link's target, into b: no empty or "." components, "x/.." taken
 * away as text (before x is looked up, as containerd does), leading ".." kept when relative,
 * dropped when absolute (the root's parent is the root). */
static void clean_target(oci_buf *b, const char *s)
{
  bool abs = *s == '/';
  size_t dotdots = 0; /* leading ".." components written (relative targets only) */
  b->len = 0;
  for (;;) {
    const char *e;
    size_t n;
    while (*s == '/')
      s++;
    if (!*s)
      break;
    e = strchr(s, '/');
    n = e ? (size_t)(e - s) : strlen(s);
    if (n == 2 && s[0] == '.' && s[1] == '.') {
      size_t fixed = dotdots ? dotdots * 3 - 1 : 0; /* "..", "../..", ... */
      if (b->len > fixed) {
        char *last = memrchr(b->s + fixed, '/', b->len - fixed);
        b->len = last ? (size_t)(last - b->s) : fixed;
      } else if (!abs) {
        if (b->len)
          oci_buf_add(b, "/", 1);
        oci_buf_add(b, "..", 2);
        dotdots++;
      }
    } else if (!(n == 1 && s[0] == '.')) {
      if (b->len)
        oci_buf_add(b, "/", 1);
      oci_buf_add(b, s, n);
    }
    s += n;
  }
  oci_buf_add(b, "", 1);
  b->len--;
}

/* The directory containerd's unpacker puts an entry in when the walk of parent_dir could not:
 * continuity's fs.RootPath over the tree.  A symbolic link's target is joined to the
 * link's directory as text and cleaned (".." stays at the root: the tree is the whole
 * world), at most 255 links; a component that is not there ends the links, and it and the
 * rest are made as implicit directories (containerd's mkparent) when `create`.  An entry
 * below a link to a directory not yet there is unpacked there, not dropped.  NONE: a
 * component is a file (containerd fails the unpack: ENOTDIR), too many links or steps, more
 * than 2 x OCI_TREE_MAX_PATH bytes of path and targets walked, or (without create) not
 * there; TOO_MANY: past the bound on implicit directories.  Where parent_dir's walk
 * succeeds it is kept.  Known difference: a target with ".." after a name ("x/../y", x a
 * link): containerd walks x first for a link at the root but takes "x/.." away as text for
 * a link below it; the tree walks x at every depth, as the kernel does (review s8, F1). */
static uint32_t rootpath_dir(oci_tree *t, const char *path, size_t len, bool create)
{
  oci_buf rest = {0}, next = {0}, tgt = {0};
  uint32_t cur = 0, result = NONE;
  unsigned links = 0;
  size_t steps = 0, pos = 0, text = len;
  oci_buf_add(&rest, path, len);
  oci_buf_add(&rest, "", 1);
  while (!rest.failed && pos + 1 < rest.len) {
    const char *p = rest.s + pos, *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    uint32_t c;
    pos += n + (e ? 1 : 0);
    if (++steps > OCI_TREE_MAX_STEPS)
      goto out;
    if (!n || (n == 1 && p[0] == '.'))
      continue;
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (cur)
        cur = t->n[cur].parent;
      continue;
    }
    c = find_child(t, cur, p, n);
    if (t->nomem)
      goto out;
    if (c == NONE || !live(&t->n[c])) {
      /* not there: it and the rest made below cur (the rest holds no link and no "..") */
      const char *at;
      if (!create)
        goto out;
      at = node_path(t, cur);
      next.len = 0;
      oci_buf_add(&next, at, strlen(at));
      if (next.len)
        oci_buf_add(&next, "/", 1);
      oci_buf_add(&next, p, strlen(p));
      oci_buf_add(&next, "", 1);
      if (next.failed || t->nomem)
        goto out;
      result = parent_dir(t, next.s, next.len - 1, true);
      goto out;
    }
    if (t->n[c].type == 'l') {
      const char *target = t->n[c].link ? t->n[c].link : "";
      if (++links > 255)
        goto out;
      clean_target(&tgt, target);
      if (*target == '/')
        cur = 0;
      next.len = 0;
      oci_buf_add(&next, tgt.s ? tgt.s : "", tgt.len);
      if (pos < rest.len - 1) {
        oci_buf_add(&next, "/", 1);
        oci_buf_add(&next, rest.s + pos, rest.len - 1 - pos);
      }
      oci_buf_add(&next, "", 1);
      if (next.failed || tgt.failed)
        break;
      /* the text walked in one lookup bounded (a layer of short entries beneath long chains
       * of long links costs in proportion to its size): past it, as for too many links */
      if ((text += next.len) > 2 * OCI_TREE_MAX_PATH)
        goto out;
      {
        oci_buf swap = rest;
        rest = next;
        next = swap;
      }
      pos = 0;
      continue;
    }
    if (t->n[c].type != 'd')
      goto out;
    cur = c;
  }
  if (!rest.failed)
    result = cur;
out:
  if (rest.failed || next.failed || tgt.failed)
    t->nomem = true;
  oci_buf_free(&rest);
  oci_buf_free(&next);
  oci_buf_free(&tgt);
  return result;
}

static void set_attrs(oci_tree *t, uint32_t id, const oci_tree_input *e)
{
  tnode *x = &t->n[id];
  changing(t, id, e->type);
  touch(t, id);
  x->type = (uint8_t)e->type;
  x->mode = (uint16_t)(e->mode & 07777);
  x->uid = clamp_id(e->uid);
  x->gid = clamp_id(e->gid);
  x->mtime = e->mtime;
  x->size = e->type == 'f' && e->size > 0 ? e->size : 0;
  if (e->type == 'c' || e->type == 'b')
    x->size = (int64_t)(((uint64_t)e->devmajor << 32) | e->devminor);
  x->link = NULL;
  if ((e->type == 'l' || e->type == 'h') && e->link)
    x->link = pool_dup(t, e->link);
  x->flags = (uint8_t)(x->flags & ~(F_DELETED | F_IMPLICIT | F_DATA | F_RES));
}

ocidig_code oci_tree_apply(oci_tree *t, const oci_tree_input *e, uint32_t ordinal, ocidig_error *err)
{
  const char *path, *slash, *name;
  size_t plen, nlen;
  uint32_t dir, x;
  bool whiteout, opaque;

  if (t->nomem)
    return oci_nomem(err);
  if (!t->begun)
    oci_tree_layer_begin(t, 0);
  t->applied++;
  if (clean_path(t, e->path ? e->path : ""))
    t->bad_names++;
  if (t->nomem)
    return oci_nomem(err);
  path = t->clean.s;
  if (strlen(path) >= OCI_TREE_MAX_PATH || (e->link && strlen(e->link) >= OCI_TREE_MAX_PATH)) {
    t->skipped_long++; /* no unpacker can make it (ENAMETOOLONG) */
    return OCIDIG_OK;
  }
  if (!*path) { /* the root */
    if (e->type != 'd') {
      t->skipped_parent++;
      return OCIDIG_OK;
    }
    set_attrs(t, 0, e);
    return t->nomem ? oci_nomem(err) : OCIDIG_OK;
  }
  slash = strrchr(path, '/');
  name = slash ? slash + 1 : path;
  plen = slash ? (size_t)(slash - path) : 0;
  nlen = strlen(name);
  whiteout = !strncmp(name, ".wh.", 4);
  opaque = !strcmp(name, ".wh..wh..opq");

  if (whiteout) {
    if (opaque)
      t->opaques++;
    else if (strncmp(name, ".wh..wh.", 8))
      t->whiteouts++;
    if (strncmp(name, ".wh..wh.", 8) && nlen > 4) {
      if ((dir = parent_dir(t, path, plen, false)) == NONE)
        dir = rootpath_dir(t, path, plen, false);
      x = dir == NONE ? NONE : find_child(t, dir, name + 4, nlen - 4);
      if (x != NONE)
        del_tree(t, x, true, true);
    } else if (opaque) {
      if ((dir = parent_dir(t, path, plen, false)) == NONE)
        dir = rootpath_dir(t, path, plen, false);
      if (dir != NONE)
        del_tree(t, dir, false, true);
    }
    return t->nomem ? oci_nomem(err) : OCIDIG_OK;
  }

  dir = parent_dir(t, path, plen, true);
  if (dir == NONE && !t->nomem) /* a link leading out of the tree or to nothing yet */
    dir = rootpath_dir(t, path, plen, true);
  if (t->nomem)
    return oci_nomem(err);
  if (dir == TOO_MANY) {
    t->skipped_implicit++;
    return OCIDIG_OK;
  }
  if (dir == NONE) {
    t->skipped_parent++;
    return OCIDIG_OK;
  }
  {
    /* a hard link: its target as it is now (before this entry replaces anything) */
    bool data = false;
    uint32_t dl = 0, dord = 0;
    int64_t size = 0;
    if (e->type == 'h' && e->link) {
      walk_cost w = {0, 0};
      walk_out o;
      if (walk(t, 0, e->link, false, &w, &o) == OCI_TREE_FOUND && (t->n[o.node].flags & F_DATA)) {
        data = true;
        dl = t->n[o.node].data_layer;
        dord = t->n[o.node].data_ordinal;
        size = t->n[o.node].size;
      }
    }
    x = get_child(t, dir, name, nlen);
    if (x == NONE)
      return oci_nomem(err);
    if (live(&t->n[x]) && !(t->n[x].type == 'd' && e->type == 'd')) {
      if (t->n[x].type == 'd')
        del_tree(t, x, false, false);
      if (t->n[x].type == 'f' && t->n[x].layer < t->cur) {
        t->wasted_bytes = oci_bytes_add(t->wasted_bytes, t->n[x].size);
        t->wasted_files++;
      }
    }
    set_attrs(t, x, e);
    if (e->type == 'f') {
      t->n[x].flags |= F_DATA;
      t->n[x].data_layer = t->cur;
      t->n[x].data_ordinal = ordinal;
    } else if (data) {
      t->n[x].flags |= F_DATA;
      t->n[x].data_layer = dl;
      t->n[x].data_ordinal = dord;
      t->n[x].size = size;
    }
  }
  return t->nomem ? oci_nomem(err) : OCIDIG_OK;
}

/* ------------------------------------------------------------ answers */

void oci_tree_stats_get(const oci_tree *t, oci_tree_stats *s)
{
  memset(s, 0, sizeof *s);
  for (size_t i = 0; i < t->len; i++) {
    const tnode *x = &t->n[i];
    if (!live(x))
      continue;
    s->entries++;
    switch (x->type) {
    case 'f':
      s->files++;
      s->file_bytes = oci_bytes_add(s->file_bytes, x->size);
      break;
    case 'd': s->dirs++; break;
    case 'l': s->symlinks++; break;
    case 'h': s->hardlinks++; break;
    default: s->others++; break;
    }
  }
  s->wasted_bytes = t->wasted_bytes;
  s->wasted_files = t->wasted_files;
  s->bad_names = t->bad_names;
  s->skipped_parent = t->skipped_parent;
  s->skipped_long = t->skipped_long;
  s->skipped_implicit = t->skipped_implicit;
  s->whiteouts = t->whiteouts;
  s->opaques = t->opaques;
  s->layers = t->begun ? t->cur + 1 : 0;
}

size_t oci_tree_memory(const oci_tree *t)
{
  size_t chunk = 64 * 1024, strings = (t->pool_bytes + chunk - 1) / chunk * chunk;
  return sizeof *t + t->cap * sizeof *t->n + t->tab.cap * sizeof(size_t) + strings + t->key.cap + t->clean.cap +
         t->out.cap + t->cap_cached * sizeof *t->cached;
}

static int kid_cmp(const void *a, const void *b)
{
  return strcmp(((const kid *)a)->name, ((const kid *)b)->name);
}

/* Is the node shown or walked in this walk? */
static bool visible(const oci_tree *t, const tnode *x, bool layer_mode)
{
  return live(x) || (layer_mode && x->layer == t->cur && (x->flags & F_BELOW));
}

/* Pushes the children of id (sorted) as a frame; false: out of memory. */
static bool push_kids(oci_tree *t, uint32_t id, size_t pathlen, bool layer_mode)
{
  size_t begin = t->n_kids;
  for (uint32_t c = t->n[id].child; c != NONE; c = t->n[c].next) {
    if (!visible(t, &t->n[c], layer_mode))
      continue;
    if (!oci_grow((void **)&t->kids, &t->cap_kids, t->n_kids + 1, sizeof *t->kids))
      return false;
    t->kids[t->n_kids++] = (kid){name_of(&t->n[c]), c};
  }
  if (t->n_kids - begin > 1)
    qsort(t->kids + begin, t->n_kids - begin, sizeof *t->kids, kid_cmp);
  if (!oci_grow((void **)&t->frames, &t->cap_frames, t->n_frames + 1, sizeof *t->frames))
    return false;
  t->frames[t->n_frames++] = (frame){begin, t->n_kids, begin, pathlen};
  return true;
}

static ocidig_code each(oci_tree *t, const char *under, bool layer_mode, oci_tree_fn fn, void *ctx, bool *matched,
                        ocidig_error *err)
{
  ocidig_code rc = OCIDIG_OK;
  size_t ulen;
  if (matched)
    *matched = false;
  clean_path(t, under ? under : ""); /* as entries are */
  if (t->nomem)
    return oci_nomem(err);
  char *u = oci_strdup(t->clean.s);
  if (!u)
    return oci_nomem(err);
  ulen = strlen(u);
  t->n_kids = t->n_frames = 0;
  t->out.len = 0;
  if (!push_kids(t, 0, 0, layer_mode)) {
    free(u);
    return oci_nomem(err);
  }
  while (t->n_frames && rc == OCIDIG_OK) {
    frame *f = &t->frames[t->n_frames - 1];
    uint32_t id;
    const tnode *x;
    const char *nm;
    size_t len;
    bool at_or_under, above;
    if (f->pos == f->end) {
      t->n_kids = f->begin;
      t->n_frames--;
      continue;
    }
    id = t->kids[f->pos++].id;
    x = &t->n[id];
    nm = name_of(x);
    t->out.len = f->pathlen;
    if (t->out.len)
      oci_buf_add(&t->out, "/", 1);
    oci_buf_add(&t->out, nm, strlen(nm));
    oci_buf_add(&t->out, "", 1);
    if (t->out.failed) {
      rc = oci_nomem(err);
      break;
    }
    len = t->out.len - 1;
    t->out.len = len;
    /* component-wise: the entry is `under` or beneath it, or a directory above it */
    at_or_under = !ulen || (len >= ulen && !memcmp(t->out.s, u, ulen) && (len == ulen || t->out.s[ulen] == '/'));
    above = !at_or_under && len < ulen && !memcmp(t->out.s, u, len) && u[len] == '/';
    if (!at_or_under && !above)
      continue;
    if (at_or_under) {
      bool show = !layer_mode || x->layer == t->cur;
      if (show) {
        oci_tree_item it;
        fill_item(t, id, t->out.s, &it);
        if (layer_mode)
          it.change = !live(x) ? OCI_TREE_DELETED : (x->flags & F_BELOW) ? OCI_TREE_MODIFIED : OCI_TREE_ADDED;
        if (matched)
          *matched = true;
        rc = fn(ctx, &it, err);
        if (rc != OCIDIG_OK)
          break;
      } else if (matched && len == ulen) {
        *matched = true; /* the layer did not change `under` itself */
      }
    }
    if (x->child != NONE && (x->type == 'd' || !live(x) || layer_mode) && !push_kids(t, id, len, layer_mode))
      rc = oci_nomem(err);
  }
  free(u);
  return rc;
}

ocidig_code oci_tree_each(oci_tree *t, const char *under, oci_tree_fn fn, void *ctx, bool *matched,
                          ocidig_error *err)
{
  return each(t, under, false, fn, ctx, matched, err);
}

ocidig_code oci_tree_each_layer(oci_tree *t, const char *under, oci_tree_fn fn, void *ctx, bool *matched,
                                ocidig_error *err)
{
  return each(t, under, true, fn, ctx, matched, err);
}
