/* tree.h: the merged root filesystem of one image (not installed).
 *
 * An image's layers are applied in order, as an unpacker applies them (OCI image-spec
 * layer.md, "Applying Changesets" and "Whiteouts"):
 *  - a later entry replaces an earlier one at the same path; a directory over a directory
 *    keeps what is beneath it (only its own attributes change); anything else over a
 *    directory drops the directory's subtree;
 *  - ".wh.NAME" deletes NAME (and what is beneath it) as the layers below set it; an entry
 *    of the whiteout's own layer is not hidden, whatever their order (layer.md: "Files that
 *    are present in the same layer as a whiteout file can only be hidden by whiteout files
 *    in subsequent layers"); a directory of the layers below that holds such an entry stays,
 *    as a directory made for it ("implicit", see below);
 *  - ".wh..wh..opq" in a directory hides everything the layers below put in it (the same
 *    rule for entries of its own layer); other ".wh..wh." names (aufs metadata) are ignored;
 *  - a parent directory no entry sets is made ("implicit": mode 0755, owner 0:0, mtime 0);
 *    a parent that is a symbolic link is followed inside the tree as containerd's unpacker
 *    resolves it under the root (continuity's fs.RootPath: ".." stops at the root, a link
 *    that leads to nothing yet leads to directories made for the entry, as its mkparent
 *    makes them); an entry whose parent is a file, or beneath a loop of links (255), is
 *    skipped (counted: containerd's unpack fails there);
 *  - a name is cleaned as containerd cleans it: a leading "/" dropped, ".." taking the
 *    component before it away and staying at the root ("../x" is "x", "a/../b" is "b");
 *  - a name or link target of OCI_TREE_MAX_PATH (PATH_MAX, 4,096) bytes or more is skipped
 *    (counted: no unpacker can make it, ENAMETOOLONG);
 *  - what an input can make the tree hold is bounded: the implicit directories it makes are at
 *    most 65,536 and 4 more for each entry applied (about 140 bytes a node, for the 512 bytes
 *    of an entry's tar header at least); an entry whose missing parents would pass that is
 *    skipped (counted), nothing of it made.  Real layers come nowhere near (a layer without
 *    directory entries makes about one directory for several files);
 *  - a hard link takes its target's content as the target is when the link is applied
 *    (later changes of the target path do not change the link): its size is the target's and
 *    its bytes are read from the target's entry.
 * Each entry remembers the layer that last set it and, for content, the layer and ordinal
 * (position in that layer's tar, from 0) of the entry holding its bytes.  Wasted bytes: the
 * sizes of regular files that a later layer overwrites or deletes (dive's "wasted space").
 *
 * Compact: one node per path ever seen (a deleted path keeps its node, marked deleted: the
 * layer that deleted it is known, and a path set again reuses it), names as components in a
 * string pool, the one string table (strtab.h) keyed by "<parent index in hex>/<name>".
 * A symbolic link's resolution to a directory is kept with what it cost (hops, components),
 * so an entry beneath a link costs its own components, not the link's target again; any
 * change to a directory or link of the tree drops every kept resolution.
 * About 120-170 bytes per entry (oci_tree_memory; check_tree measures it at 500,000).
 * Not thread-safe; no global state. */
#ifndef OCIDIG_TREE_H
#define OCIDIG_TREE_H

#include "internal.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct oci_tree oci_tree;

/* One tar entry as the tree takes it (the fields of layer.h's oci_layer_entry). */
typedef struct oci_tree_input {
  const char *path;  /* cleaned ("a/b", "" the root); with bad_name, the raw name */
  char type;         /* 'f' file, 'd' dir, 'l' symlink, 'h' hard link, 'c' 'b' devices, 'p' fifo, '?' other */
  uint32_t mode;     /* 07777 */
  int64_t uid, gid, size, mtime;
  const char *link;  /* symlink target, or hard link target; else NULL */
  uint32_t devmajor, devminor;
  bool bad_name;     /* absolute, or a ".." component */
} oci_tree_input;

typedef enum oci_tree_change {
  OCI_TREE_UNCHANGED = 0, /* (oci_tree_each over the whole tree) */
  OCI_TREE_ADDED,         /* the layer set a path that no layer below left in the tree */
  OCI_TREE_MODIFIED,      /* the layer set a path the layers below left in the tree */
  OCI_TREE_DELETED,       /* the layer removed a path the layers below left in the tree */
} oci_tree_change;

const char *oci_tree_change_name(oci_tree_change c); /* "added", "modified", "deleted", "" */

/* One entry of the tree as the tree answers it.  Strings are the tree's, valid until the
 * next call on it. */
typedef struct oci_tree_item {
  const char *path; /* "a/b" ("" the root) */
  char type;        /* as oci_tree_input (never a whiteout) */
  uint32_t mode;
  int64_t uid, gid, size, mtime; /* size: a hard link's is its target's */
  const char *link;              /* symlink or hard link target as the entry wrote it, or NULL */
  uint32_t devmajor, devminor;
  unsigned layer;                /* the layer that last set (or removed) it */
  bool implicit;                 /* a directory made for an entry beneath it */
  bool has_data;                 /* regular file, or hard link to one: data_layer/data_ordinal hold its bytes */
  unsigned data_layer;
  uint32_t data_ordinal;
  oci_tree_change change;        /* oci_tree_each_layer only */
} oci_tree_item;

typedef struct oci_tree_stats {
  size_t entries;          /* in the tree now, the root included */
  size_t files, dirs, symlinks, hardlinks, others;
  uint64_t file_bytes;     /* sizes of the regular files in the tree (hard links not counted) */
  uint64_t wasted_bytes;   /* sizes of regular files a later layer overwrote or deleted */
  size_t wasted_files;
  size_t bad_names;        /* absolute names, names with ".." (cleaned, applied) */
  size_t skipped_parent;   /* parent not a directory inside the tree */
  size_t skipped_long;     /* name or link target of OCI_TREE_MAX_PATH bytes or more: no unpacker can make it */
  size_t skipped_implicit; /* parent directories that would pass the tree's bound on implicit directories */
  size_t whiteouts, opaques;
  unsigned layers;         /* layers begun */
} oci_tree_stats;

oci_tree *oci_tree_new(void); /* NULL: out of memory */
void oci_tree_free(oci_tree *t);

/* Starts layer `layer` (0 for the bottom one; each call one more than the last). */
void oci_tree_layer_begin(oci_tree *t, unsigned layer);
/* Applies one tar entry of the current layer; ordinal: its position in the layer's tar
 * (from 0, every entry counted, whiteouts too).  Errors: out of memory only (the tree is
 * then unusable). */
ocidig_code oci_tree_apply(oci_tree *t, const oci_tree_input *e, uint32_t ordinal, ocidig_error *err);

void oci_tree_stats_get(const oci_tree *t, oci_tree_stats *out);
/* Bytes the tree holds (nodes, table, strings), for bytes per entry. */
size_t oci_tree_memory(const oci_tree *t);

/* Every entry of the tree at or beneath `under` (NULL or "": all; a path compared component
 * by component, no link followed), depth first, the names of a directory in byte order, the
 * root itself not given.  fn's error stops the walk and is returned.  *matched (optional):
 * whether any entry was at or beneath `under`. */
typedef ocidig_code (*oci_tree_fn)(void *ctx, const oci_tree_item *it, ocidig_error *err);
ocidig_code oci_tree_each(oci_tree *t, const char *under, oci_tree_fn fn, void *ctx, bool *matched,
                          ocidig_error *err);
/* The same for what the last layer begun changed (apply no layer after it first): its own
 * entries marked added or modified, and what it deleted (every path of a deleted subtree). */
ocidig_code oci_tree_each_layer(oci_tree *t, const char *under, oci_tree_fn fn, void *ctx, bool *matched,
                                ocidig_error *err);

typedef enum oci_tree_lookup_status {
  OCI_TREE_FOUND = 0,
  OCI_TREE_NOT_FOUND, /* a component is not in the tree (item.path: the path up to it) */
  OCI_TREE_REMOVED,   /* a component was in the tree and a layer removed it (item.layer) */
  OCI_TREE_NOT_DIR,   /* a component before the last is not a directory */
  OCI_TREE_LOOP,      /* more than OCI_TREE_MAX_LINKS symbolic links, or OCI_TREE_MAX_STEPS components */
  OCI_TREE_ESCAPE,    /* ".." above the root (a symbolic link leaving the tree) */
} oci_tree_lookup_status;
#define OCI_TREE_MAX_LINKS 40
#define OCI_TREE_MAX_PATH 4096
/* Components one lookup walks, through the links it follows (a name within PATH_MAX has at
 * most 2,048): so a lookup costs at most this many steps, however long the links. */
#define OCI_TREE_MAX_STEPS 8192

/* The entry at path ("/a/b" and "a/b" alike), symbolic links followed inside the tree (an
 * absolute target from the tree's root); the last component's link too when `follow`.
 * *it: the entry found (path: where links led), or what the status says. */
oci_tree_lookup_status oci_tree_lookup(oci_tree *t, const char *path, bool follow, oci_tree_item *it);

#endif
