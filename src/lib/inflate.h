/* inflate.h: streaming gzip (RFC 1952) decoding, concatenated members read as one stream
 * (gzip's and Go's multistream behaviour).  The backend is chosen at configure time:
 * Intel ISA-L's isal_inflate (--with-isal, the default when pkg-config finds libisal), else
 * zlib.  Both report the same things: the end of the stream, data after the last member
 * that does not begin another one, a stream cut short, and corruption (not gzip, a bad
 * header, bad deflate data, a CRC32 or ISIZE that does not match).  No global state: one
 * oci_inflate per stream, used by one thread at a time. */
#ifndef OCIDIG_INFLATE_H
#define OCIDIG_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct oci_inflate oci_inflate;

typedef enum oci_inflate_status {
  OCI_INFLATE_OK,        /* progress made; call again (more input, or more room) */
  OCI_INFLATE_END,       /* `final` input ended exactly after a complete member */
  OCI_INFLATE_TRAILING,  /* bytes after a complete member that do not begin a gzip member */
  OCI_INFLATE_TRUNCATED, /* `final` input ended inside a member (or header) */
  OCI_INFLATE_CORRUPT,   /* not gzip, bad header, bad deflate data, CRC32 or ISIZE mismatch */
  OCI_INFLATE_NOMEM
} oci_inflate_status;

oci_inflate *oci_inflate_new(void); /* NULL: out of memory */
/* The same decoder, except that each member's trailer (CRC32, ISIZE) is read past, not
 * checked: for a reader that checks what it reads by other means (the archive source: every
 * blob against its digest; libarchive's gzip filter does not check them either).  With ISA-L
 * the CRC32 is then not computed at all: ISA-L's CRC32 runs on the vector units, and next to
 * it a SHA-256 on the other core ran 30% slower (ocidig verify of a .tar.gz).  A mismatch is
 * then no error: the stream goes on with the next member. */
oci_inflate *oci_inflate_new_unchecked(void);
void oci_inflate_free(oci_inflate *z);

/* Decodes from *in (advances *in and *in_len) into out[0..out_cap) (*out_len: bytes
 * produced).  final: no input after *in_len bytes.
 * OK: call again, with more input when *in_len is 0 (input may be given in pieces of any
 * size, down to one byte), or with more room when out_cap was filled.  Every other status
 * is final and sticky: later calls return it again and produce nothing.  END is returned
 * once `final` input is exhausted exactly at the end of a member (all output given).
 * TRAILING is returned as soon as a byte after a complete member is seen that cannot begin
 * a gzip member (1f 8b); all members before it have been decoded and given out. */
oci_inflate_status oci_inflate_run(oci_inflate *z, const uint8_t **in, size_t *in_len, bool final,
                                   uint8_t *out, size_t out_cap, size_t *out_len);

/* Compressed bytes consumed.  After END: the stream's size.  After TRAILING: where the
 * trailing data begins (the end of the last complete member), so that the trailing bytes
 * are the stream's size minus this. */
uint64_t oci_inflate_total_in(const oci_inflate *z);
/* Complete members decoded so far. */
uint64_t oci_inflate_members(const oci_inflate *z);
/* Why CORRUPT, TRUNCATED or TRAILING, e.g. "member 2: CRC32 mismatch"; "" otherwise. */
const char *oci_inflate_message(const oci_inflate *z);
/* After CORRUPT: whether it was the trailer's CRC32 or ISIZE that did not match (the
 * member's bytes were all given out).  Never, from an unchecked decoder. */
bool oci_inflate_bad_trailer(const oci_inflate *z);
/* "isa-l" or "zlib": the backend this library was built with. */
const char *oci_inflate_backend(void);

#endif
