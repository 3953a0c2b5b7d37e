/* check_gz_unchecked.c: oci_inflate_new_unchecked (src/lib/inflate.c), the decoder the archive
 * source inflates a .tar.gz with: each member's trailer read past, not checked (with ISA-L
 * raw deflate, no CRC32 computed: the trailer's first bytes come out of ISA-L's bit buffer).
 * Over the streams of testdata/gzip (made by gzip(1) and Python: tests/gen_gzip.py), fed
 * whole, a byte at a time, in random pieces and into one byte of room, it must give what
 * expect.txt says the checked decoder gives, except that a CRC32 or ISIZE that does not match
 * is no error: those streams decode to their end, every member.  Built twice: with the
 * configured backend and with zlib forced (-DOCI_INFLATE_NO_ISAL). */
#include "testutil.h"

#include "inflate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GZ TESTDATA "/gzip/"

typedef struct expectation {
  char name[64], status[16], output[64], how[16], total_in[32];
} expectation;

static expectation *cases;
static size_t ncases;

/* The streams whose only fault is a trailer, and what they hold (tests/gen_gzip.py). */
static const struct {
  const char *name, *output;
} bad_trailers[] = {
    {"crc-flipped.gz", "text.bin"},
    {"isize-flipped.gz", "text.bin"},
    {"crc-second-member.gz", "text+random.bin"},
};

static void load_expectations(void)
{
  FILE *f = fopen(GZ "expect.txt", "r");
  if (!f) {
    perror(GZ "expect.txt");
    exit(1);
  }
  static char text[1 << 16];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (line[0] == '#')
      continue;
    expectation *grown = realloc(cases, (ncases + 1) * sizeof *cases);
    if (!grown)
      exit(1);
    cases = grown;
    expectation *e = &cases[ncases];
    if (sscanf(line, "%63s %15s %63s %15s %31s", e->name, e->status, e->output, e->how, e->total_in) != 5) {
      fprintf(stderr, "expect.txt: bad line '%s'\n", line);
      exit(1);
    }
    for (size_t i = 0; i < sizeof bad_trailers / sizeof bad_trailers[0]; i++)
      if (!strcmp(e->name, bad_trailers[i].name)) {
        if (strcmp(e->status, "corrupt")) {
          fprintf(stderr, "expect.txt: %s is not corrupt for the checked decoder\n", e->name);
          exit(1);
        }
        snprintf(e->status, sizeof e->status, "end");
        snprintf(e->output, sizeof e->output, "%s", bad_trailers[i].output);
        snprintf(e->how, sizeof e->how, "all");
        snprintf(e->total_in, sizeof e->total_in, "size"); /* the file's size */
      }
    ncases++;
  }
  if (ncases < 25) {
    fprintf(stderr, "expect.txt: %zu cases\n", ncases);
    exit(1);
  }
}

static const char *status_name(oci_inflate_status s)
{
  switch (s) {
  case OCI_INFLATE_OK: return "ok";
  case OCI_INFLATE_END: return "end";
  case OCI_INFLATE_TRAILING: return "trailing";
  case OCI_INFLATE_TRUNCATED: return "truncated";
  case OCI_INFLATE_CORRUPT: return "corrupt";
  case OCI_INFLATE_NOMEM: return "nomem";
  }
  return "?";
}

static uint32_t next_rand(uint32_t *s)
{
  *s = *s * 1103515245u + 12345u;
  return (*s >> 8) & 0xffffff;
}

enum { WHOLE, BYTES, RANDOM, ROOM1, MODES };
static const char *mode_name[MODES] = {"whole", "byte at a time", "random pieces", "one byte of room"};

typedef struct outcome {
  oci_inflate_status status;
  uint8_t *out;
  size_t out_len;
  uint64_t total_in, members;
  char message[200];
} outcome;

static outcome decode_all(const uint8_t *data, size_t len, int mode, size_t cap, uint32_t seed)
{
  outcome o = {0};
  o.out = malloc(cap + 1);
  ck_assert_ptr_nonnull(o.out);
  oci_inflate *z = oci_inflate_new_unchecked();
  ck_assert_ptr_nonnull(z);
  size_t pos = 0;
  uint32_t rs = seed;
  unsigned idle = 0;
  oci_inflate_status s = OCI_INFLATE_OK;
  for (;;) {
    size_t n = len - pos;
    if (mode == BYTES && n > 1)
      n = 1;
    else if (mode == RANDOM && n > 0)
      n = 1 + next_rand(&rs) % (n < 9000 ? n : 9000);
    const uint8_t *p = data + pos;
    size_t pl = n;
    bool fin = pos + n == len;
    for (;;) {
      size_t room = cap + 1 - o.out_len;
      if (mode == BYTES || mode == ROOM1)
        room = room > 1 ? 1 : room;
      else if (mode == RANDOM)
        room = room > 1 ? 1 + next_rand(&rs) % (room < 20000 ? room : 20000) : room;
      size_t got = 99, before = pl;
      s = oci_inflate_run(z, &p, &pl, fin, o.out + o.out_len, room, &got);
      ck_assert_uint_le(got, room);
      o.out_len += got;
      ck_assert_msg(o.out_len <= cap, "more output than the plain file holds");
      if (s != OCI_INFLATE_OK)
        goto done;
      if (got == 0 && pl == before)
        ck_assert_msg(++idle < 4, "no progress, %s", mode_name[mode]);
      else
        idle = 0;
      if (pl == 0 && !fin)
        break;
    }
    pos += n;
  }
done:
  o.status = s;
  o.total_in = oci_inflate_total_in(z);
  o.members = oci_inflate_members(z);
  ck_assert(!oci_inflate_bad_trailer(z));
  snprintf(o.message, sizeof o.message, "%s", oci_inflate_message(z));
  oci_inflate_free(z);
  return o;
}

START_TEST(test_streams)
{
  const expectation *e = &cases[_i / MODES];
  int mode = _i % MODES;
  char path[512];
  size_t len, plen;
  snprintf(path, sizeof path, GZ "%s", e->name);
  uint8_t *data = (uint8_t *)tu_read_file(path, &len);
  snprintf(path, sizeof path, GZ "%s", e->output);
  uint8_t *plain = (uint8_t *)tu_read_file(path, &plen);
  outcome o = decode_all(data, len, mode, plen, (uint32_t)_i);
  ck_assert_msg(!strcmp(status_name(o.status), e->status), "%s (%s): %s, expected %s (%s)", e->name,
                mode_name[mode], status_name(o.status), e->status, o.message);
  if (!strcmp(e->how, "all"))
    ck_assert_msg(o.out_len == plen, "%s (%s): %zu bytes out, expected %zu", e->name, mode_name[mode],
                  o.out_len, plen);
  ck_assert_msg(o.out_len <= plen && !memcmp(o.out, plain, o.out_len), "%s (%s): output differs", e->name,
                mode_name[mode]);
  if (!strcmp(e->total_in, "size"))
    ck_assert_msg(o.total_in == len, "%s (%s): total_in %llu, expected the size %zu", e->name, mode_name[mode],
                  (unsigned long long)o.total_in, len);
  else if (strcmp(e->total_in, "-"))
    ck_assert_msg(o.total_in == strtoull(e->total_in, NULL, 10), "%s (%s): total_in %llu, expected %s", e->name,
                  mode_name[mode], (unsigned long long)o.total_in, e->total_in);
  if (o.status == OCI_INFLATE_END)
    ck_assert_str_eq(o.message, "");
  else
    ck_assert_msg(strlen(o.message) > 10, "%s: message '%s'", e->name, o.message);
  free(o.out);
  free(data);
  free(plain);
}
END_TEST

/* The trailer is read past, whole: a stream cut inside it is cut short (as the checked
 * decoder says), one with members after a bad trailer goes on into them, and the members
 * are counted. */
START_TEST(test_trailer)
{
  size_t len;
  uint8_t *data = (uint8_t *)tu_read_file(GZ "cut-trailer.gz", &len);
  outcome o = decode_all(data, len, WHOLE, 1 << 20, 1);
  ck_assert_int_eq(o.status, OCI_INFLATE_TRUNCATED);
  /* ISA-L: "inside its trailer"; zlib takes the trailer itself: "inside its data" */
  ck_assert_msg(strstr(o.message, "member 1: the stream ends inside its "), "'%s'", o.message);
  free(o.out);
  free(data);
  data = (uint8_t *)tu_read_file(GZ "crc-second-member.gz", &len);
  for (int mode = 0; mode < MODES; mode++) {
    o = decode_all(data, len, mode, 1 << 20, 7);
    ck_assert_int_eq(o.status, OCI_INFLATE_END);
    ck_assert_uint_eq(o.members, 2);
    free(o.out);
  }
  free(data);
  data = (uint8_t *)tu_read_file(GZ "header-fields-multi.gz", &len);
  o = decode_all(data, len, BYTES, 1 << 20, 3);
  ck_assert_int_eq(o.status, OCI_INFLATE_END);
  ck_assert_uint_eq(o.members, 2);
  free(o.out);
  free(data);
}
END_TEST

int main(void)
{
  load_expectations();
  Suite *s = suite_create(oci_inflate_backend());
  TCase *tc = tcase_create("unchecked");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_streams, 0, (int)(ncases * MODES));
  tcase_add_test(tc, test_trailer);
  suite_add_tcase(s, tc);
  int rc = tu_run(s);
  free(cases);
  return rc;
}
