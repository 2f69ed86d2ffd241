/*
 * Internal: the protobuf wire walker the combiner and the body helpers use.
 * Decoding rules follow what gogo-generated Unmarshal code (Tempo 1.5)
 * accepts, so a body we refuse is one Tempo would refuse too:
 *   - varints of at most 10 bytes; tag field numbers 1..2^31-1;
 *   - wire types 0, 1, 2, 5 and groups (3 ... 4, skipped as a unit);
 *   - lengths that stay inside the enclosing message;
 *   - a known field must arrive with its declared wire type.
 */
#ifndef TC_ENCODING_PBWIRE_H
#define TC_ENCODING_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"

enum {
	TC_PB_VARINT = 0,
	TC_PB_FIXED64 = 1,
	TC_PB_LEN = 2,
	TC_PB_SGROUP = 3,
	TC_PB_EGROUP = 4,
	TC_PB_FIXED32 = 5,
};

typedef struct tc_pb_field {
	uint32_t num;
	uint8_t wt;
	uint64_t val;        /* varint / fixed32 / fixed64 value */
	const uint8_t *data; /* TC_PB_LEN payload (or a whole group's bytes) */
	size_t len;
	size_t start;        /* the field, tag included: buf[start, end) */
	size_t end;
} tc_pb_field;

/*
 * Reads the field at *pos. Returns 1 and advances *pos, 0 at the end, or
 * TC_ECORRUPT with *why set and *pos left at the offending byte.
 */
int tc_pb_next(tc_pb_field *f, const uint8_t *buf, size_t len, size_t *pos, const char **why);

/* The messages of docs/FORMAT.md#protobuf-messages, for tc_pb_check. */
typedef enum tc_pb_msg {
	TC_PB_MSG_TRACEBYTES,
	TC_PB_MSG_TRACE,
	TC_PB_MSG_RESOURCE_SPANS,
	TC_PB_MSG_ILS,
	TC_PB_MSG_SPAN,
	TC_PB_MSG_RESOURCE,
	TC_PB_MSG_INSTR_LIBRARY,
	TC_PB_MSG_KEY_VALUE,
	TC_PB_MSG_ANY_VALUE,
	TC_PB_MSG_ARRAY_VALUE,
	TC_PB_MSG_KV_LIST,
	TC_PB_MSG_EVENT,
	TC_PB_MSG_LINK,
	TC_PB_MSG_STATUS,
	TC_PB_MSG_COUNT
} tc_pb_msg;

/*
 * The declared wire type of field num of msg, or -1 for an unknown field.
 * *sub (may be NULL) receives the message type of a submessage field, or
 * TC_PB_MSG_COUNT for a scalar.
 */
int tc_pb_field_type(tc_pb_msg msg, uint32_t num, tc_pb_msg *sub);

/*
 * Walks a message and, recursively, all its submessages as Unmarshal would.
 * Known fields with the wrong wire type are corrupt; unknown fields are
 * skipped. Nesting deeper than 100 messages below the Trace is corrupt;
 * the depth of a Span, Resource or library checked on its own counts from
 * where it sits in a Trace, so a part passes exactly when its trace would.
 * On failure returns TC_ECORRUPT with *why and *bad_off (offset of
 * the bad byte relative to p) set.
 */
int tc_pb_check(tc_pb_msg msg, const uint8_t *p, size_t len, size_t *bad_off, const char **why);

static inline size_t tc_pb_varint_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/*
 * Appends msg re-encoded with only its known fields, recursively, each in
 * the shortest encoding (canonical tags, varints and lengths), in the order
 * they arrived. For decoders stricter than gogo's Unmarshal (protobuf-c
 * refuses tags and lengths longer than 5 bytes, groups, and strings that
 * are not UTF-8): the result holds the same known values, except that each
 * byte of a string that is not UTF-8 becomes U+FFFD, as Go's JSON shows it. p must have passed tc_pb_check for msg;
 * otherwise TC_ECORRUPT (no message set).
 */
int tc_pb_canonical(tc_buf *out, tc_pb_msg msg, const uint8_t *p, size_t len);

/* Writes a varint into p (room for 10 bytes) and returns its size. */
size_t tc_pb_encode_varint(uint8_t *p, uint64_t v);
int tc_pb_put_varint(tc_buf *b, uint64_t v);
/* Appends tag(num, LEN) | varint len | data. */
int tc_pb_put_len_field(tc_buf *b, uint32_t num, const uint8_t *data, size_t len);
/* Size of the field tc_pb_put_len_field would write. */
static inline size_t tc_pb_len_field_size(uint32_t num, size_t len)
{
	return tc_pb_varint_size((uint64_t)num << 3 | TC_PB_LEN) + tc_pb_varint_size(len) + len;
}

#endif
