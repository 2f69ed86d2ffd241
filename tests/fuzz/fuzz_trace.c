/*
 * Object bodies and the combiner. Input layout:
 *   u8 kind (v1, v2, opaque; mod 3) | u8 flags | (u16le len | body) * (n-1) | last body
 * flags & 3 picks n = 1..3 bodies (3 -> 3); flags & 4 sets a max_bytes cap of
 * 16 * (next u16). Every body is validated, turned into a Trace, that Trace
 * into OTLP/JSON and back into a body; then the bodies are combined as
 * versions of one trace. Anything the combiner writes must validate.
 */
#include <string.h>

#include "encoding/otlp_json.h"
#include "encoding/trace.h"
#include "tests/fuzz/fuzz.h"

#define MAX_BODIES 3
#define OUT_CAP ((size_t)16 << 20)

static const uint8_t trace_id[TC_ID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void one_body(tc_data_kind kind, const uint8_t *body, size_t len, int *valid)
{
	tc_where w = { "fuzz/data", 0 };
	tc_buf trace, json = TC_BUF_INIT, again = TC_BUF_INIT;
	size_t spans = 0, spans2 = 0;
	int r;

	r = tc_trace_validate(&spans, kind, body, len, &w);
	FUZZ_ASSERT(r == TC_OK || r == TC_ECORRUPT, "validate return code");
	*valid = r == TC_OK;

	/* OTLP/JSON takes a serialised Trace; give it the raw bytes too. */
	r = tc_otlp_json_write(&json, body, len, len & 1, &w);
	FUZZ_ASSERT(fuzz_expected_rc(r), "otlp json return code (raw)");
	tc_buf_dispose(&json);

	tc_buf_init(&trace, OUT_CAP);
	r = tc_trace_body_to_trace(&trace, kind, body, len, &w);
	FUZZ_ASSERT(fuzz_expected_rc(r), "body to trace return code");
	if (r == TC_OK && kind != TC_DATA_OPAQUE) {
		/* Validation refuses empty bodies; Tempo reads them as empty traces. */
		FUZZ_ASSERT(*valid || len == 0, "a body that converts also validates");
		r = tc_otlp_json_write(&json, trace.ptr, trace.len, 1, &w);
		FUZZ_ASSERT(r == TC_OK, "a trace from a valid body writes as OTLP/JSON");
		r = tc_trace_body_from_trace(&again, kind, 0, 0, trace.ptr, trace.len);
		FUZZ_ASSERT(r == TC_OK, "body from trace");
		r = tc_trace_validate(&spans2, kind, again.ptr, again.len, &w);
		FUZZ_ASSERT(r == TC_OK && spans2 == spans, "a rebuilt body keeps its spans");
	}
	tc_buf_dispose(&trace);
	tc_buf_dispose(&json);
	tc_buf_dispose(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static tc_combiner *combiners[3];
	tc_where w = { "fuzz/data", 0 };
	fuzz_in in = { data, size };
	tc_object objs[MAX_BODIES];
	uint8_t *copies[MAX_BODIES] = { 0 };
	tc_combine_stats st = { 0 };
	tc_data_kind kind;
	size_t n, max_bytes = 0, failed;
	int flags, all_valid = 1, combined, r;
	tc_buf out;

	if (size < 2)
		return 0;
	kind = (tc_data_kind)(fuzz_u8(&in) % 3);
	flags = fuzz_u8(&in);
	n = (size_t)(flags & 3) ? (size_t)(flags & 3) : 1;
	if (flags & 4)
		max_bytes = 16 * (size_t)fuzz_u16(&in);
	for (size_t i = 0; i < n; i++) {
		size_t want = i + 1 < n ? fuzz_u16(&in) : in.left, got;
		const uint8_t *p = fuzz_take(&in, want, &got);
		int valid;

		copies[i] = fuzz_dup(p, got);
		objs[i].id = trace_id;
		objs[i].id_len = TC_ID_LEN;
		objs[i].body = copies[i];
		objs[i].body_len = got;
		one_body(kind, copies[i], got, &valid);
		all_valid &= valid;
	}

	if (!combiners[kind] && tc_combiner_new(&combiners[kind], kind) < 0)
		abort();
	tc_buf_init(&out, OUT_CAP);
	failed = SIZE_MAX;
	if (max_bytes && kind != TC_DATA_OPAQUE) {
		tc_body_source src[MAX_BODIES];
		tc_body_mem mem[MAX_BODIES];
		for (size_t i = 0; i < n; i++)
			tc_body_source_mem(&src[i], &mem[i], objs[i].body, objs[i].body_len);
		r = tc_combiner_run_capped(&out, &failed, combiners[kind], src, n, max_bytes, &st, &w);
		combined = out.len > 0;
	} else {
		r = tc_combiner_run(&out, &combined, &failed, combiners[kind], objs, n, &st, &w);
	}
	FUZZ_ASSERT(r != TC_ECORRUPT || failed < n, "a corrupt input is named");
	FUZZ_ASSERT(fuzz_expected_rc(r) && r != TC_ENOTFOUND, "combine return code");
	if (all_valid && kind != TC_DATA_OPAQUE)
		FUZZ_ASSERT(r == TC_OK, "valid bodies combine");
	if (r == TC_OK && combined) {
		size_t spans;
		FUZZ_ASSERT(tc_trace_validate(&spans, kind, out.ptr, out.len, &w) == TC_OK,
			    "a combined body validates");
		if (max_bytes)
			FUZZ_ASSERT(out.len < max_bytes, "a combined body stays under max_bytes");
	} else {
		FUZZ_ASSERT(out.len == 0, "no output unless combined");
	}
	tc_buf_dispose(&out);
	for (size_t i = 0; i < n; i++)
		free(copies[i]);
	return 0;
}
