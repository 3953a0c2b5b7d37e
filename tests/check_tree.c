/* check_tree.c: the merged file tree (src/lib/tree.c).  Each expectation is what OCI
 * image-spec layer.md says the layers make ("Applying Changesets", "Whiteouts"), written
 * out by hand; the size test measures bytes per entry at 500,000 entries. */
#include "testutil.h"

#include "tree.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ helpers */

static uint32_t ordinal;

static void layer(oci_tree *t, unsigned n)
{
  oci_tree_layer_begin(t, n);
  ordinal = 0;
}

static void add(oci_tree *t, const char *path, char type, uint32_t mode, int64_t size, const char *link)
{
  oci_tree_input e = {.path = path, .type = type, .mode = mode, .uid = 1000, .gid = 100, .size = size,
                      .mtime = 1700000000, .link = link};
  ocidig_error err;
  ck_assert_int_eq(oci_tree_apply(t, &e, ordinal++, &err), OCIDIG_OK);
}
#define F(t, p, size) add(t, p, 'f', 0644, size, NULL)
#define D(t, p) add(t, p, 'd', 0755, 0, NULL)
#define L(t, p, target) add(t, p, 'l', 0777, 0, target)
#define H(t, p, target) add(t, p, 'h', 0644, 0, target)

typedef struct listing {
  char text[8192];
  size_t len;
} listing;

/* "path type size layer [change]" per line */
static ocidig_code collect(void *ctx, const oci_tree_item *it, ocidig_error *err)
{
  listing *l = ctx;
  (void)err;
  l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%s %c %lld %u%s%s\n", it->path, it->type,
                             (long long)it->size, it->layer, it->change ? " " : "", oci_tree_change_name(it->change));
  ck_assert_uint_lt(l->len, sizeof l->text);
  return OCIDIG_OK;
}

static const char *list(oci_tree *t, const char *under)
{
  static listing l;
  ocidig_error err;
  l.len = 0;
  l.text[0] = '\0';
  ck_assert_int_eq(oci_tree_each(t, under, collect, &l, NULL, &err), OCIDIG_OK);
  return l.text;
}

static const char *list_layer(oci_tree *t, const char *under)
{
  static listing l;
  ocidig_error err;
  l.len = 0;
  l.text[0] = '\0';
  ck_assert_int_eq(oci_tree_each_layer(t, under, collect, &l, NULL, &err), OCIDIG_OK);
  return l.text;
}

/* ------------------------------------------------------------ tests */

START_TEST(test_order_and_replace)
{
  oci_tree *t = oci_tree_new();
  layer(t, 0);
  D(t, "usr");
  D(t, "usr/bin");
  F(t, "usr/bin/b", 3);
  F(t, "usr/bin/a", 2);
  F(t, "usr-x", 1); /* '-' sorts before '/', but a directory's entries come right after it */
  F(t, "./etc//passwd", 7);  /* cleaned; its parent made */
  layer(t, 1);
  F(t, "usr/bin/a", 20); /* replaces: 2 bytes wasted */
  ck_assert_str_eq(list(t, NULL), "etc d 0 0\n"
                                  "etc/passwd f 7 0\n"
                                  "usr d 0 0\n"
                                  "usr/bin d 0 0\n"
                                  "usr/bin/a f 20 1\n"
                                  "usr/bin/b f 3 0\n"
                                  "usr-x f 1 0\n");
  oci_tree_item it;
  ck_assert_int_eq(oci_tree_lookup(t, "etc", false, &it), OCI_TREE_FOUND);
  ck_assert(it.implicit);
  ck_assert_uint_eq(it.mode, 0755);
  ck_assert_int_eq(it.uid, 0);
  ck_assert_int_eq(oci_tree_lookup(t, "/usr/bin/a", false, &it), OCI_TREE_FOUND);
  ck_assert(it.has_data);
  ck_assert_uint_eq(it.data_layer, 1);
  ck_assert_uint_eq(it.data_ordinal, 0);
  ck_assert_int_eq(it.uid, 1000);
  ck_assert_int_eq(it.gid, 100);
  ck_assert_uint_eq(it.mode, 0644);
  oci_tree_stats s;
  oci_tree_stats_get(t, &s);
  ck_assert_uint_eq(s.wasted_bytes, 2);
  ck_assert_uint_eq(s.wasted_files, 1);
  ck_assert_uint_eq(s.files, 4);
  ck_assert_uint_eq(s.dirs, 4); /* the root, etc, usr, usr/bin */
  ck_assert_uint_eq(s.file_bytes, 31);
  /* PATH filters component by component */
  ck_assert_str_eq(list(t, "usr"), "usr d 0 0\nusr/bin d 0 0\nusr/bin/a f 20 1\nusr/bin/b f 3 0\n");
  ck_assert_str_eq(list(t, "/usr/bin/b"), "usr/bin/b f 3 0\n");
  ck_assert_str_eq(list(t, "us"), "");
  oci_tree_free(t);
}
END_TEST

START_TEST(test_whiteout)
{
  oci_tree *t = oci_tree_new();
  layer(t, 0);
  D(t, "a");
  F(t, "a/f", 5);
  D(t, "a/d");
  F(t, "a/d/g", 6);
  F(t, "keep", 1);
  layer(t, 1);
  F(t, "a/.wh.f", 0);
  F(t, "a/.wh.d", 0);
  F(t, ".wh.nothing", 0);
  ck_assert_str_eq(list(t, NULL), "a d 0 0\nkeep f 1 0\n");
  oci_tree_stats s;
  oci_tree_stats_get(t, &s);
  ck_assert_uint_eq(s.wasted_bytes, 11);
  ck_assert_uint_eq(s.wasted_files, 2);
  ck_assert_uint_eq(s.whiteouts, 3);
  /* this layer's changes: every path of the deleted subtree */
  ck_assert_str_eq(list_layer(t, NULL), "a/d d 0 1 deleted\na/d/g f 6 1 deleted\na/f f 5 1 deleted\n");
  oci_tree_item it;
  ck_assert_int_eq(oci_tree_lookup(t, "a/f", true, &it), OCI_TREE_REMOVED);
  ck_assert_uint_eq(it.layer, 1);
  ck_assert_int_eq(oci_tree_lookup(t, "a/d/g", true, &it), OCI_TREE_REMOVED); /* a/d went first */
  /* set again later: the subtree of before does not come back */
  layer(t, 2);
  D(t, "a/d");
  ck_assert_str_eq(list(t, NULL), "a d 0 0\na/d d 0 2\nkeep f 1 0\n");
  ck_assert_str_eq(list_layer(t, NULL), "a/d d 0 2 added\n");
  oci_tree_free(t);
}
END_TEST

/* layer.md: a whiteout hides only what lower layers set; an entry of its own layer stays,
 * whether it comes before or after the whiteout. */
START_TEST(test_whiteout_same_layer)
{
  for (int order = 0; order < 2; order++) {
    oci_tree *t = oci_tree_new();
    layer(t, 0);
    F(t, "x", 1);
    D(t, "d");
    F(t, "d/old", 4);
    layer(t, 1);
    if (order == 0) {
      F(t, ".wh.x", 0);
      F(t, "x", 9);
      F(t, ".wh.d", 0);
      F(t, "d/new", 3);
    } else {
      F(t, "x", 9);
      F(t, "d/new", 3);
      F(t, ".wh.x", 0);
      F(t, ".wh.d", 0);
    }
    /* d holds an entry of layer 1: it stays, as a directory made for it; d/old is hidden */
    ck_assert_str_eq(list(t, NULL), "d d 0 1\nd/new f 3 1\nx f 9 1\n");
    oci_tree_item it;
    ck_assert_int_eq(oci_tree_lookup(t, "d", false, &it), OCI_TREE_FOUND);
    ck_assert(it.implicit);
    ck_assert_str_eq(list_layer(t, NULL), "d d 0 1 modified\nd/new f 3 1 added\nd/old f 4 1 deleted\nx f 9 1 modified\n");
    oci_tree_stats s;
    oci_tree_stats_get(t, &s);
    ck_assert_uint_eq(s.wasted_bytes, 5);
    oci_tree_free(t);
  }
}
END_TEST

START_TEST(test_opaque)
{
  oci_tree *t = oci_tree_new();
  layer(t, 0);
  D(t, "o");
  F(t, "o/a", 1);
  D(t, "o/sub");
  F(t, "o/sub/b", 2);
  F(t, "o/sub/c", 4);
  F(t, "other", 8);
  layer(t, 1);
  D(t, "o");
  D(t, "o/sub");     /* this layer's own: stays */
  F(t, "o/sub/c", 40); /* idem */
  F(t, "o/.wh..wh..opq", 0);
  F(t, "o/new", 1);
  F(t, "o/.wh..wh.plnk", 0); /* aufs metadata: ignored */
  ck_assert_str_eq(list(t, NULL), "o d 0 1\no/new f 1 1\no/sub d 0 1\no/sub/c f 40 1\nother f 8 0\n");
  oci_tree_stats s;
  oci_tree_stats_get(t, &s);
  ck_assert_uint_eq(s.wasted_bytes, 7); /* a, b, and the c of layer 0 */
  ck_assert_uint_eq(s.opaques, 1);
  ck_assert_str_eq(list_layer(t, "o"), "o d 0 1 modified\no/a f 1 1 deleted\no/new f 1 1 added\n"
                                       "o/sub d 0 1 modified\no/sub/b f 2 1 deleted\no/sub/c f 40 1 modified\n");
  /* an opaque marker in a directory that is not there hides nothing and makes nothing */
  layer(t, 2);
  F(t, "nowhere/.wh..wh..opq", 0);
  ck_assert_str_eq(list_layer(t, NULL), "");
  oci_tree_free(t);
}
END_TEST

START_TEST(test_dir_replaced)
{
  oci_tree *t = oci_tree_new();
  layer(t, 0);
  D(t, "d");
  F(t, "d/f", 10);
  D(t, "d/e");
  F(t, "d/e/g", 20);
  L(t, "s", "d");
  layer(t, 1);
  F(t, "d", 3);       /* a file where the directory was: its subtree goes */
  D(t, "s");          /* a directory where the link was */
  F(t, "s/inside", 1);
  ck_assert_str_eq(list(t, NULL), "d f 3 1\ns d 0 1\ns/inside f 1 1\n");
  /* the layer's changes: the file, and every path of the directory it replaced */
  ck_assert_str_eq(list_layer(t, NULL), "d f 3 1 modified\nd/e d 0 1 deleted\nd/e/g f 20 1 deleted\nd/f f 10 1 deleted\n"
                                        "s d 0 1 modified\ns/inside f 1 1 added\n");
  oci_tree_stats s;
  oci_tree_stats_get(t, &s);
  ck_assert_uint_eq(s.wasted_bytes, 30);
  layer(t, 2);
  D(t, "d"); /* and back: empty */
  ck_assert_str_eq(list(t, "d"), "d d 0 2\n");
  oci_tree_stats_get(t, &s);
  ck_assert_uint_eq(s.wasted_bytes, 33);
  oci_tree_free(t);
}
END_TEST

START_TEST(test_hardlinks)
{
  oci_tree *t = oci_tree_new();
  oci_tree_item it;
  layer(t, 0);
  F(t, "bin/a", 100);
  H(t, "bin/b", "bin/a");
  H(t, "bin/c", "./bin/b"); /* a link to a link: the same content */
  H(t, "bin/dangling", "bin/nothing");
  layer(t, 1);
  F(t, "bin/a", 7); /* b keeps the bytes it had */
  ck_assert_int_eq(oci_tree_lookup(t, "bin/b", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.type, 'h');
  ck_assert_str_eq(it.link, "bin/a");
  ck_assert_int_eq(it.size, 100);
  ck_assert(it.has_data);
  ck_assert_uint_eq(it.data_layer, 0);
  ck_assert_uint_eq(it.data_ordinal, 0);
  ck_assert_int_eq(oci_tree_lookup(t, "bin/c", false, &it), OCI_TREE_FOUND);
  ck_assert_uint_eq(it.data_ordinal, 0);
  ck_assert_int_eq(it.size, 100);
  ck_assert_int_eq(oci_tree_lookup(t, "bin/a", false, &it), OCI_TREE_FOUND);
  ck_assert_uint_eq(it.data_layer, 1);
  ck_assert_int_eq(oci_tree_lookup(t, "bin/dangling", false, &it), OCI_TREE_FOUND);
  ck_assert(!it.has_data);
  ck_assert_int_eq(it.size, 0);
  oci_tree_stats s;
  oci_tree_stats_get(t, &s);
  ck_assert_uint_eq(s.hardlinks, 3);
  ck_assert_uint_eq(s.file_bytes, 7);
  ck_assert_uint_eq(s.wasted_bytes, 100);
  oci_tree_free(t);
}
END_TEST

START_TEST(test_lookup_links)
{
  oci_tree *t = oci_tree_new();
  oci_tree_item it;
  layer(t, 0);
  D(t, "etc");
  F(t, "etc/os-release", 12);
  L(t, "etc/rel", "os-release");            /* relative */
  L(t, "etc/abs", "/etc/os-release");       /* absolute: from the tree's root */
  L(t, "etc/up", "../etc/./os-release");
  L(t, "out", "../../host/etc/passwd");     /* leaves the tree */
  L(t, "loop1", "loop2");
  L(t, "loop2", "loop1");
  L(t, "lib", "usr/lib");
  D(t, "usr");
  D(t, "usr/lib");
  F(t, "usr/lib/libc.so", 99);
  L(t, "dangling", "nowhere");
  F(t, "file", 1);
  const char *good[] = {"etc/rel", "etc/abs", "/etc/up", "lib/../../etc/os-release"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    ck_assert_int_eq(oci_tree_lookup(t, good[i], true, &it), OCI_TREE_FOUND);
    ck_assert_str_eq(it.path, "etc/os-release");
    ck_assert_int_eq(it.size, 12);
  }
  /* "lib/.." is the parent of usr/lib (where the link led), as the kernel walks it */
  ck_assert_int_eq(oci_tree_lookup(t, "lib/../lib/libc.so", true, &it), OCI_TREE_FOUND);
  ck_assert_str_eq(it.path, "usr/lib/libc.so");
  ck_assert_int_eq(oci_tree_lookup(t, "etc/rel", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.type, 'l');
  ck_assert_str_eq(it.path, "etc/rel");
  ck_assert_int_eq(oci_tree_lookup(t, "out", true, &it), OCI_TREE_ESCAPE);
  ck_assert_str_eq(it.path, "out");
  ck_assert_int_eq(oci_tree_lookup(t, "../etc/os-release", true, &it), OCI_TREE_ESCAPE);
  ck_assert_int_eq(oci_tree_lookup(t, "loop1", true, &it), OCI_TREE_LOOP);
  ck_assert_int_eq(oci_tree_lookup(t, "loop1", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "dangling", true, &it), OCI_TREE_NOT_FOUND);
  ck_assert_str_eq(it.path, "nowhere");
  ck_assert_int_eq(oci_tree_lookup(t, "etc/missing", true, &it), OCI_TREE_NOT_FOUND);
  ck_assert_str_eq(it.path, "etc/missing");
  ck_assert_int_eq(oci_tree_lookup(t, "file/x", true, &it), OCI_TREE_NOT_DIR);
  ck_assert_str_eq(it.path, "file");
  ck_assert_int_eq(oci_tree_lookup(t, "", true, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.type, 'd');
  /* an entry beneath a link to a directory goes where the link leads (containerd) */
  add(t, "lib/libm.so", 'f', 0644, 5, NULL);
  ck_assert_int_eq(oci_tree_lookup(t, "usr/lib/libm.so", false, &it), OCI_TREE_FOUND);
  /* beneath a file: skipped (containerd's unpack fails: ENOTDIR).  Beneath a link to what is
   * not there yet, or out of the tree: where containerd puts it (continuity's fs.RootPath:
   * ".." stays at the root), the missing directories made (its mkparent) */
  F(t, "file/x", 1);
  F(t, "dangling/x", 1);
  F(t, "out/x", 1);
  /* ".." cleaned as containerd cleans it, at most to the root; "/" dropped */
  F(t, "../../escape", 1);
  F(t, "usr/../usr/./lib/../x", 2);
  F(t, "/abs", 3);
  oci_tree_stats s;
  oci_tree_stats_get(t, &s);
  ck_assert_uint_eq(s.skipped_parent, 1);
  ck_assert_uint_eq(s.bad_names, 3);
  ck_assert_int_eq(oci_tree_lookup(t, "escape", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "usr/x", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.size, 2);
  ck_assert_int_eq(oci_tree_lookup(t, "abs", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "nowhere/x", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.type, 'f');
  ck_assert_int_eq(oci_tree_lookup(t, "nowhere", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.type, 'd');
  ck_assert(it.implicit);
  ck_assert_int_eq(oci_tree_lookup(t, "host/etc/passwd/x", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.type, 'f');
  oci_tree_free(t);
}
END_TEST

/* Where containerd's unpacker puts an entry whose parent passes through symbolic links
 * (continuity's fs.RootPath, then mkparent), each expectation worked out by hand from that
 * algorithm: a link's target joined to its directory as text and cleaned, ".." at most to
 * the root, a missing component and the rest made as directories. */
START_TEST(test_apply_through_links)
{
  oci_tree *t = oci_tree_new();
  oci_tree_item it;
  oci_tree_stats s;
  layer(t, 0);
  D(t, "etc");
  L(t, "lnk", "/etc");           /* an absolute link to a directory below */
  L(t, "s", "/usr");             /* to nothing yet (hazards fixture: s -> /usr, s/through) */
  L(t, "up", "../../../opt/x");  /* climbs past the root: stays at the root */
  L(t, "rel", "a/../b");         /* textual: a/.. goes before a is looked up */
  L(t, "a", "etc");              /* (a is a link: physically a/.. would be the root anyway) */
  L(t, "chain1", "chain2");
  L(t, "chain2", "s/deeper");    /* through s, to nothing yet */
  L(t, "loop1", "loop2");
  L(t, "loop2", "loop1");
  F(t, "notdir", 1);
  L(t, "tofile", "notdir");
  layer(t, 1);
  F(t, "lnk/shadow", 46);
  F(t, "s/through", 39);
  F(t, "up/f", 2);
  F(t, "rel/g", 3);
  F(t, "chain1/h", 4);
  F(t, "loop1/i", 5);            /* 255 links and more: containerd fails; skipped */
  F(t, "tofile/j", 6);           /* a file as a directory: skipped */
  oci_tree_stats_get(t, &s);
  ck_assert_uint_eq(s.skipped_parent, 2);
  ck_assert_int_eq(oci_tree_lookup(t, "etc/shadow", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.size, 46);
  ck_assert_int_eq(oci_tree_lookup(t, "usr/through", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.size, 39);
  ck_assert_int_eq(oci_tree_lookup(t, "usr", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.type, 'd');
  ck_assert(it.implicit);
  ck_assert_int_eq(oci_tree_lookup(t, "opt/x/f", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.size, 2);
  ck_assert_int_eq(oci_tree_lookup(t, "b/g", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.size, 3);
  ck_assert_int_eq(oci_tree_lookup(t, "usr/deeper/h", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(it.size, 4);
  /* a whiteout through the same kind of link removes what it names there */
  layer(t, 2);
  F(t, "up/.wh.f", 0);
  F(t, "s/.wh.through", 0);
  ck_assert_int_eq(oci_tree_lookup(t, "opt/x/f", false, &it), OCI_TREE_REMOVED);
  ck_assert_uint_eq(it.layer, 2);
  ck_assert_int_eq(oci_tree_lookup(t, "usr/through", false, &it), OCI_TREE_REMOVED);
  ck_assert_int_eq(oci_tree_lookup(t, "usr/deeper/h", false, &it), OCI_TREE_FOUND);
  oci_tree_free(t);
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
#define SLOW 10 /* a sanitizer build runs several times slower */
#else
#define SLOW 1
#endif

/* Entries beneath a loop of links with long targets: each lookup walks a bounded text (2 x
 * PATH_MAX), not 255 links' worth (here 490 KB an entry). */
START_TEST(test_apply_link_loop_bounded)
{
  oci_tree *t = oci_tree_new();
  oci_tree_stats s;
  char p[4096] = "", target[4200], name[64];
  clock_t t0;
  const char *d = "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                  "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                  "ddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
  layer(t, 0);
  for (int i = 0; i < 15; i++) {
    if (i)
      strcat(p, "/");
    strcat(p, d);
    D(t, p);
  }
  /* relative targets that climb past the root: the kernel's walk stops at once (ESCAPE),
   * containerd's text walk clamps and goes on round the loop */
  snprintf(target, sizeof target, "%s/back", p);
  L(t, target, "../../../../../../../../../../../../../../../../loop1");
  snprintf(target, sizeof target, "../%s/back", p);
  L(t, "loop1", target);
  layer(t, 1);
  t0 = clock();
  for (int i = 0; i < 20000; i++) {
    snprintf(name, sizeof name, "loop1/f%d", i);
    F(t, name, 1);
  }
  ck_assert_msg((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0 * SLOW, "20,000 entries took %.2f s",
                (double)(clock() - t0) / CLOCKS_PER_SEC);
  oci_tree_stats_get(t, &s);
  ck_assert_uint_eq(s.skipped_parent, 20000);
  oci_tree_free(t);
}
END_TEST

START_TEST(test_layer_changes)
{
  oci_tree *t = oci_tree_new();
  layer(t, 0);
  D(t, "etc");
  F(t, "etc/a", 1);
  F(t, "etc/b", 1);
  layer(t, 1);
  D(t, "etc");       /* modified (set again) */
  F(t, "etc/a", 2);  /* modified */
  F(t, "etc/c", 3);  /* added */
  F(t, "etc/.wh.b", 0);
  F(t, "etc/c", 4);  /* twice in one layer: still added */
  F(t, "new/x", 1);  /* added, with its implicit parent */
  ck_assert_str_eq(list_layer(t, NULL), "etc d 0 1 modified\netc/a f 2 1 modified\netc/b f 1 1 deleted\n"
                                        "etc/c f 4 1 added\nnew d 0 1 added\nnew/x f 1 1 added\n");
  ck_assert_str_eq(list_layer(t, "etc/b"), "etc/b f 1 1 deleted\n");
  oci_tree_free(t);
}
END_TEST

/* Bytes per entry at 500,000 entries: the tree's own account, and what malloc handed out. */
START_TEST(test_size_500k)
{
  enum { N = 500000 };
  char path[128];
  struct mallinfo2 before = mallinfo2(), after;
  oci_tree *t = oci_tree_new();
  oci_tree_stats s;
  ocidig_error err;
  layer(t, 0);
  /* a /usr-like shape: 500 directories of 1,000 files, names of 10-30 bytes */
  for (unsigned d = 0; d < 500; d++) {
    snprintf(path, sizeof path, "usr/lib/pkg-%u", d);
    oci_tree_input e = {.path = path, .type = 'd', .mode = 0755};
    ck_assert_int_eq(oci_tree_apply(t, &e, ordinal++, &err), OCIDIG_OK);
    for (unsigned f = 0; f < 1000 - (d == 0 ? 503 : 0); f++) {
      snprintf(path, sizeof path, "usr/lib/pkg-%u/lib%u-module-%u.so.%u", d, f * 7919u % 100000u, d, f % 10);
      oci_tree_input fe = {.path = path, .type = 'f', .mode = 0644, .size = f};
      ck_assert_int_eq(oci_tree_apply(t, &fe, ordinal++, &err), OCIDIG_OK);
    }
  }
  oci_tree_stats_get(t, &s);
  after = mallinfo2();
  ck_assert_uint_eq(s.entries, N); /* root, usr, usr/lib, 500 dirs, 499,497 files */
  size_t own = oci_tree_memory(t);
  size_t used_before = before.uordblks + before.hblkhd, used_after = after.uordblks + after.hblkhd;
  size_t heap = used_after > used_before ? used_after - used_before : 0;
  printf("check_tree: %u entries: %zu bytes (%.1f bytes/entry; malloc: %zu bytes, %.1f bytes/entry)\n", N, own,
         (double)own / N, heap, (double)heap / N);
  ck_assert_uint_le(own / N, 200);
  if (heap) /* 0 under a sanitizer's allocator */
    ck_assert_uint_le(heap / N, 200);
  oci_tree_free(t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tree");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_order_and_replace);
  tcase_add_test(tc, test_whiteout);
  tcase_add_test(tc, test_whiteout_same_layer);
  tcase_add_test(tc, test_opaque);
  tcase_add_test(tc, test_dir_replaced);
  tcase_add_test(tc, test_hardlinks);
  tcase_add_test(tc, test_lookup_links);
  tcase_add_test(tc, test_apply_through_links);
  tcase_add_test(tc, test_apply_link_loop_bounded);
  tcase_add_test(tc, test_layer_changes);
  tcase_add_test(tc, test_size_500k);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run(suite());
}
