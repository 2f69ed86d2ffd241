#include "tests/test.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "encoding/otlp_json.h"
#include "tempo.pb-c.h"
#include "trace.pb-c.h"

/* One batch, one ILS, one server span with an int attribute, an event and an error status. */
static void build_trace(tc_buf *out)
{
	static uint8_t tid[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
				   0, 0, 0, 0, 0, 0, 0, 0xff };
	static uint8_t sid[8] = { 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3 };
	Tempopb__Trace t = TEMPOPB__TRACE__INIT;
	Tempopb__Trace__V1__ResourceSpans rs = TEMPOPB__TRACE__V1__RESOURCE_SPANS__INIT;
	Tempopb__Trace__V1__InstrumentationLibrarySpans ils =
		TEMPOPB__TRACE__V1__INSTRUMENTATION_LIBRARY_SPANS__INIT;
	Tempopb__Common__V1__InstrumentationLibrary il =
		TEMPOPB__COMMON__V1__INSTRUMENTATION_LIBRARY__INIT;
	Tempopb__Resource__V1__Resource res = TEMPOPB__RESOURCE__V1__RESOURCE__INIT;
	Tempopb__Common__V1__KeyValue kv_svc = TEMPOPB__COMMON__V1__KEY_VALUE__INIT;
	Tempopb__Common__V1__AnyValue av_svc = TEMPOPB__COMMON__V1__ANY_VALUE__INIT;
	Tempopb__Common__V1__KeyValue kv_int = TEMPOPB__COMMON__V1__KEY_VALUE__INIT;
	Tempopb__Common__V1__AnyValue av_int = TEMPOPB__COMMON__V1__ANY_VALUE__INIT;
	Tempopb__Trace__V1__Span span = TEMPOPB__TRACE__V1__SPAN__INIT;
	Tempopb__Trace__V1__Span__Event ev = TEMPOPB__TRACE__V1__SPAN__EVENT__INIT;
	Tempopb__Trace__V1__Status st = TEMPOPB__TRACE__V1__STATUS__INIT;
	Tempopb__Common__V1__KeyValue *res_attrs[1] = { &kv_svc }, *span_attrs[1] = { &kv_int };
	Tempopb__Trace__V1__Span *spans[1] = { &span };
	Tempopb__Trace__V1__Span__Event *evs[1] = { &ev };
	Tempopb__Trace__V1__InstrumentationLibrarySpans *ilss[1] = { &ils };
	Tempopb__Trace__V1__ResourceSpans *batches[1] = { &rs };
	size_t n;

	kv_svc.key = "service.name";
	av_svc.value_case = TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
	av_svc.string_value = "checkout";
	kv_svc.value = &av_svc;
	res.n_attributes = 1;
	res.attributes = res_attrs;
	kv_int.key = "http.status_code";
	av_int.value_case = TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
	av_int.int_value = 500;
	kv_int.value = &av_int;
	span.trace_id.data = tid;
	span.trace_id.len = 16;
	span.span_id.data = sid;
	span.span_id.len = 8;
	span.name = "GET /cart";
	span.kind = TEMPOPB__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_SERVER;
	span.start_time_unix_nano = 1700000000123456789ULL;
	span.end_time_unix_nano = 1700000000223456789ULL;
	span.n_attributes = 1;
	span.attributes = span_attrs;
	ev.name = "exception";
	ev.time_unix_nano = 1700000000200000000ULL;
	span.n_events = 1;
	span.events = evs;
	st.code = TEMPOPB__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR;
	st.message = "boom";
	span.status = &st;
	il.name = "otel-go";
	ils.instrumentation_library = &il;
	ils.n_spans = 1;
	ils.spans = spans;
	rs.resource = &res;
	rs.n_instrumentation_library_spans = 1;
	rs.instrumentation_library_spans = ilss;
	t.n_batches = 1;
	t.batches = batches;
	n = tempopb__trace__get_packed_size(&t);
	tc_buf_grow_by(out, NULL, n);
	tempopb__trace__pack(&t, out->ptr);
}

static const char *str_at(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "<missing>";
}

static void test_basic(void)
{
	tc_buf trace = TC_BUF_INIT, out = TC_BUF_INIT;
	cJSON *root, *batch, *ils, *span, *attr, *status;

	build_trace(&trace);
	CHECK_OK(tc_otlp_json_write(&out, trace.ptr, trace.len, 0, NULL));
	CHECK_OK(tc_buf_cstr(&out));
	root = cJSON_Parse((const char *)out.ptr);
	CHECK_MSG(root != NULL, "not JSON: %s", (const char *)out.ptr);
	batch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "batches"), 0);
	CHECK(batch != NULL);
	attr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(batch, "resource"), "attributes"), 0);
	CHECK(attr != NULL);
	CHECK_STR(str_at(attr, "key"), "service.name");
	CHECK_STR(str_at(cJSON_GetObjectItemCaseSensitive(attr, "value"), "stringValue"), "checkout");
	ils = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(batch, "instrumentationLibrarySpans"), 0);
	CHECK(ils != NULL);
	CHECK_STR(str_at(cJSON_GetObjectItemCaseSensitive(ils, "instrumentationLibrary"), "name"),
		  "otel-go");
	span = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ils, "spans"), 0);
	CHECK(span != NULL);
	CHECK_STR(str_at(span, "traceId"), "0123456789abcdef00000000000000ff");
	CHECK_STR(str_at(span, "spanId"), "deadbeef00010203");
	CHECK_STR(str_at(span, "name"), "GET /cart");
	CHECK_STR(str_at(span, "kind"), "SPAN_KIND_SERVER");
	CHECK_STR(str_at(span, "startTimeUnixNano"), "1700000000123456789");
	CHECK_STR(str_at(span, "endTimeUnixNano"), "1700000000223456789");
	/* zero/empty fields are left out */
	CHECK(cJSON_GetObjectItemCaseSensitive(span, "parentSpanId") == NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(span, "links") == NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(span, "droppedAttributesCount") == NULL);
	attr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(span, "attributes"), 0);
	CHECK_STR(str_at(cJSON_GetObjectItemCaseSensitive(attr, "value"), "intValue"), "500");
	CHECK_STR(str_at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(span, "events"), 0),
			 "timeUnixNano"), "1700000000200000000");
	status = cJSON_GetObjectItemCaseSensitive(span, "status");
	CHECK_STR(str_at(status, "code"), "STATUS_CODE_ERROR");
	CHECK_STR(str_at(status, "message"), "boom");
	cJSON_Delete(root);

	/* pretty output parses to the same document */
	out.len = 0;
	CHECK_OK(tc_otlp_json_write(&out, trace.ptr, trace.len, 1, NULL));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK(strchr((const char *)out.ptr, '\n') != NULL);
	root = cJSON_Parse((const char *)out.ptr);
	CHECK(root != NULL);
	cJSON_Delete(root);
	tc_buf_dispose(&trace);
	tc_buf_dispose(&out);
}

static void test_empty_and_corrupt(void)
{
	tc_buf out = TC_BUF_INIT;
	static const uint8_t bad[] = { 0x0a, 0x05, 0x01 };

	CHECK_OK(tc_otlp_json_write(&out, NULL, 0, 0, NULL));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK_STR((const char *)out.ptr, "{\"batches\":[]}");
	out.len = 0;
	CHECK_ERR(tc_otlp_json_write(&out, bad, sizeof(bad), 0, NULL), TC_ECORRUPT);
	CHECK(out.len == 0);
	CHECK_STR(tc_error_last(), "trace at offset 2: cannot decode the trace (3 bytes) for JSON output: "
		  "length runs past the end of the message");
	/* The message names where the bytes came from and the offset of the bad field in it. */
	CHECK_ERR(tc_otlp_json_write(&out, bad, sizeof(bad), 0, &(tc_where){ "t/b/data", 512 }),
		  TC_ECORRUPT);
	CHECK_STR(tc_error_last(), "t/b/data at offset 514: cannot decode the trace (3 bytes) for JSON "
		  "output: length runs past the end of the message");
	tc_buf_dispose(&out);
}

/*
 * Tempo's gogo decoder takes tags and lengths in over-long varints and skips
 * unknown groups; protobuf-c refuses all three. Such a trace must still show
 * (found by tests/fuzz/fuzz_trace.c, crashers/trace/overlong-tag-json).
 */
static void test_gogo_accepted_wire(void)
{
	static const uint8_t trace[] = {
		0x0a, 0x97, 0x80, 0x80, 0x80, 0x80, 0x00, /* batches, length 23 in 6 bytes */
		0x0a, 0x0f,                               /* ResourceSpans.resource */
		0x0a, 0x0d,                               /* Resource.attributes */
		0x8a, 0x80, 0x80, 0x80, 0x80, 0x00,       /* KeyValue.key, tag in 6 bytes */
		0x01, 'k', 0x12, 0x03, 0x0a, 0x01, 'v',   /* "k", value {stringValue "v"} */
		0x9b, 0x06, 0x08, 0x01, 0x9c, 0x06,       /* unknown group 99 in ResourceSpans */
	};
	tc_buf out = TC_BUF_INIT;

	CHECK_OK(tc_otlp_json_write(&out, trace, sizeof(trace), 0, NULL));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK(strstr((const char *)out.ptr, "\"k\"") != NULL);
	CHECK(strstr((const char *)out.ptr, "\"v\"") != NULL);
	tc_buf_dispose(&out);
}

/*
 * Values gogo takes and protobuf-c does not: a string that is not UTF-8
 * (shown with U+FFFD per bad byte, as Go's JSON shows it), a singular
 * message given twice (merged), two members of AnyValue's oneof (the last
 * wins). Found by tests/fuzz/fuzz_trace.c (crashers/trace/string-not-utf8).
 */
static void test_gogo_accepted_values(void)
{
	static const uint8_t trace[] = {
		0x0a, 0x1c, 0x0a, 0x1a,                         /* batches { resource { */
		0x0a, 0x07, 0x0a, 0x01, 'a', 0x12, 0x00, 0x12, 0x00, /* {"a", value {} value {}} */
		0x0a, 0x08, 0x0a, 0x01, 'b', 0x12, 0x03, 0x0a, 0x01, 'x', /* {"b", value {"x"}} */
		0x0a, 0x05, 0x0a, 0x03, 'c', 0xff, 'd',          /* {"c\xffd"} */
	};
	static const uint8_t oneof[] = {
		0x0a, 0x10, 0x0a, 0x0e, 0x0a, 0x0c, 0x0a, 0x01, 'k', /* batches { resource { {"k", */
		0x12, 0x07, 0x0a, 0x01, 'v', 0x18, 0x05, 0x10, 0x01, /* value {string "v", int 5, bool true}}}} */
	};
	tc_buf out = TC_BUF_INIT;

	CHECK_OK(tc_otlp_json_write(&out, trace, sizeof(trace), 0, NULL));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK(strstr((const char *)out.ptr, "\"a\"") != NULL);
	CHECK(strstr((const char *)out.ptr, "\"x\"") != NULL);
	CHECK(strstr((const char *)out.ptr, "\"c\xef\xbf\xbd" "d\"") != NULL);
	out.len = 0;
	CHECK_OK(tc_otlp_json_write(&out, oneof, sizeof(oneof), 0, NULL));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK(strstr((const char *)out.ptr, "\"boolValue\":true") != NULL);
	CHECK(strstr((const char *)out.ptr, "\"v\"") == NULL);
	tc_buf_dispose(&out);
}

TC_TEST_MAIN(T(test_basic), T(test_empty_and_corrupt), T(test_gogo_accepted_wire),
	     T(test_gogo_accepted_values))
