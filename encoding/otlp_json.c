/*
 * tempopb.Trace as OTLP/JSON, the shape Tempo's query API returns (jsonpb
 * camelCase names, enums by name, 64-bit integers as strings), except that
 * trace and span IDs are hex as in Tempo's UI and CLI. Zero and empty
 * fields are left out, as jsonpb does.
 */
#include "encoding/otlp_json.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/error.h"
#include "src/util/ids.h"
#include "encoding/pbwire.h"
#include "tempo.pb-c.h"
#include "trace.pb-c.h"

/* Adders return 0 or -1 (out of memory); callers chain them with ||. */

static int add_str(cJSON *o, const char *k, const char *v)
{
	if (!v || !*v)
		return 0;
	return cJSON_AddStringToObject(o, k, v) ? 0 : -1;
}

static int add_u64s(cJSON *o, const char *k, uint64_t v)
{
	char t[24];
	if (!v)
		return 0;
	snprintf(t, sizeof(t), "%" PRIu64, v);
	return cJSON_AddStringToObject(o, k, t) ? 0 : -1;
}

static int add_u32(cJSON *o, const char *k, uint32_t v)
{
	if (!v)
		return 0;
	return cJSON_AddNumberToObject(o, k, (double)v) ? 0 : -1;
}

static int add_hex(cJSON *o, const char *k, const ProtobufCBinaryData *b)
{
	char t[2 * 64 + 1];
	char *big = NULL, *s = t;
	int rc;

	if (!b->len)
		return 0;
	if (b->len > 64 && !(s = big = malloc(2 * b->len + 1)))
		return -1;
	tc_hex_encode(s, b->data, b->len);
	rc = cJSON_AddStringToObject(o, k, s) ? 0 : -1;
	free(big);
	return rc;
}

/* An enum by its name, or its number when the value is unknown (as jsonpb does). */
static int add_enum(cJSON *o, const char *k, const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *ev;
	if (!v)
		return 0;
	ev = protobuf_c_enum_descriptor_get_value(d, v);
	if (ev)
		return cJSON_AddStringToObject(o, k, ev->name) ? 0 : -1;
	return cJSON_AddNumberToObject(o, k, v) ? 0 : -1;
}

static cJSON *any_value(const Tempopb__Common__V1__AnyValue *v, int depth);

static int add_kvs(cJSON *o, const char *k, Tempopb__Common__V1__KeyValue **kvs, size_t n,
		   int depth)
{
	cJSON *arr;

	if (!n)
		return 0;
	if (!(arr = cJSON_AddArrayToObject(o, k)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		cJSON *kv = cJSON_CreateObject(), *val;
		if (!kv)
			return -1;
		cJSON_AddItemToArray(arr, kv);
		if (add_str(kv, "key", kvs[i]->key) < 0)
			return -1;
		if (kvs[i]->value) {
			if (!(val = any_value(kvs[i]->value, depth + 1)))
				return -1;
			cJSON_AddItemToObject(kv, "value", val);
		}
	}
	return 0;
}

static cJSON *any_value(const Tempopb__Common__V1__AnyValue *v, int depth)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char t[32];
	int rc = 0;

	if (!o)
		return NULL;
	if (depth > 64) /* bounds our recursion; such nesting is printed as {} */
		return o;
	switch (v->value_case) {
	case TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
		rc = cJSON_AddStringToObject(o, "stringValue", v->string_value ? v->string_value : "")
			     ? 0 : -1;
		break;
	case TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
		rc = cJSON_AddBoolToObject(o, "boolValue", v->bool_value) ? 0 : -1;
		break;
	case TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
		snprintf(t, sizeof(t), "%" PRId64, v->int_value);
		rc = cJSON_AddStringToObject(o, "intValue", t) ? 0 : -1;
		break;
	case TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
		if (isnan(v->double_value))
			rc = cJSON_AddStringToObject(o, "doubleValue", "NaN") ? 0 : -1;
		else if (isinf(v->double_value))
			rc = cJSON_AddStringToObject(o, "doubleValue", v->double_value > 0 ?
					"Infinity" : "-Infinity") ? 0 : -1;
		else
			rc = cJSON_AddNumberToObject(o, "doubleValue", v->double_value) ? 0 : -1;
		break;
	case TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE: {
		cJSON *av = cJSON_AddObjectToObject(o, "arrayValue");
		if (!av || !(arr = cJSON_AddArrayToObject(av, "values"))) {
			rc = -1;
			break;
		}
		for (size_t i = 0; rc == 0 && v->array_value && i < v->array_value->n_values; i++) {
			cJSON *e = any_value(v->array_value->values[i], depth + 1);
			if (!e)
				rc = -1;
			else
				cJSON_AddItemToArray(arr, e);
		}
		break;
	}
	case TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE: {
		cJSON *kl = cJSON_AddObjectToObject(o, "kvlistValue");
		if (!kl)
			rc = -1;
		else if (v->kvlist_value)
			rc = add_kvs(kl, "values", v->kvlist_value->values, v->kvlist_value->n_values,
				     depth);
		break;
	}
	default:
		break;
	}
	if (rc < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int add_events(cJSON *o, const Tempopb__Trace__V1__Span *s)
{
	cJSON *arr;
	if (!s->n_events)
		return 0;
	if (!(arr = cJSON_AddArrayToObject(o, "events")))
		return -1;
	for (size_t i = 0; i < s->n_events; i++) {
		const Tempopb__Trace__V1__Span__Event *e = s->events[i];
		cJSON *j = cJSON_CreateObject();
		if (!j)
			return -1;
		cJSON_AddItemToArray(arr, j);
		if (add_u64s(j, "timeUnixNano", e->time_unix_nano) < 0 ||
		    add_str(j, "name", e->name) < 0 ||
		    add_kvs(j, "attributes", e->attributes, e->n_attributes, 0) < 0 ||
		    add_u32(j, "droppedAttributesCount", e->dropped_attributes_count) < 0)
			return -1;
	}
	return 0;
}

static int add_links(cJSON *o, const Tempopb__Trace__V1__Span *s)
{
	cJSON *arr;
	if (!s->n_links)
		return 0;
	if (!(arr = cJSON_AddArrayToObject(o, "links")))
		return -1;
	for (size_t i = 0; i < s->n_links; i++) {
		const Tempopb__Trace__V1__Span__Link *l = s->links[i];
		cJSON *j = cJSON_CreateObject();
		if (!j)
			return -1;
		cJSON_AddItemToArray(arr, j);
		if (add_hex(j, "traceId", &l->trace_id) < 0 || add_hex(j, "spanId", &l->span_id) < 0 ||
		    add_str(j, "traceState", l->trace_state) < 0 ||
		    add_kvs(j, "attributes", l->attributes, l->n_attributes, 0) < 0 ||
		    add_u32(j, "droppedAttributesCount", l->dropped_attributes_count) < 0)
			return -1;
	}
	return 0;
}

static int add_status(cJSON *o, const Tempopb__Trace__V1__Status *st)
{
	cJSON *j;
	if (!st)
		return 0;
	if (!(j = cJSON_AddObjectToObject(o, "status")))
		return -1;
	if (add_enum(j, "deprecatedCode",
		     &tempopb__trace__v1__status__deprecated_status_code__descriptor,
		     st->deprecated_code) < 0 ||
	    add_str(j, "message", st->message) < 0 ||
	    add_enum(j, "code", &tempopb__trace__v1__status__status_code__descriptor, st->code) < 0)
		return -1;
	return 0;
}

static cJSON *span_json(const Tempopb__Trace__V1__Span *s)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	if (add_hex(o, "traceId", &s->trace_id) < 0 || add_hex(o, "spanId", &s->span_id) < 0 ||
	    add_str(o, "traceState", s->trace_state) < 0 ||
	    add_hex(o, "parentSpanId", &s->parent_span_id) < 0 || add_str(o, "name", s->name) < 0 ||
	    add_enum(o, "kind", &tempopb__trace__v1__span__span_kind__descriptor, s->kind) < 0 ||
	    add_u64s(o, "startTimeUnixNano", s->start_time_unix_nano) < 0 ||
	    add_u64s(o, "endTimeUnixNano", s->end_time_unix_nano) < 0 ||
	    add_kvs(o, "attributes", s->attributes, s->n_attributes, 0) < 0 ||
	    add_u32(o, "droppedAttributesCount", s->dropped_attributes_count) < 0 ||
	    add_events(o, s) < 0 || add_u32(o, "droppedEventsCount", s->dropped_events_count) < 0 ||
	    add_links(o, s) < 0 || add_u32(o, "droppedLinksCount", s->dropped_links_count) < 0 ||
	    add_status(o, s->status) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int add_ils(cJSON *arr, const Tempopb__Trace__V1__InstrumentationLibrarySpans *ils)
{
	cJSON *o = cJSON_CreateObject(), *spans;
	if (!o)
		return -1;
	cJSON_AddItemToArray(arr, o);
	if (ils->instrumentation_library) {
		cJSON *il = cJSON_AddObjectToObject(o, "instrumentationLibrary");
		if (!il || add_str(il, "name", ils->instrumentation_library->name) < 0 ||
		    add_str(il, "version", ils->instrumentation_library->version) < 0)
			return -1;
	}
	if (!ils->n_spans)
		return 0;
	if (!(spans = cJSON_AddArrayToObject(o, "spans")))
		return -1;
	for (size_t i = 0; i < ils->n_spans; i++) {
		cJSON *s = span_json(ils->spans[i]);
		if (!s)
			return -1;
		cJSON_AddItemToArray(spans, s);
	}
	return 0;
}

static int add_batch(cJSON *arr, const Tempopb__Trace__V1__ResourceSpans *rs)
{
	cJSON *o = cJSON_CreateObject(), *ilss;
	if (!o)
		return -1;
	cJSON_AddItemToArray(arr, o);
	if (rs->resource) {
		cJSON *r = cJSON_AddObjectToObject(o, "resource");
		if (!r ||
		    add_kvs(r, "attributes", rs->resource->attributes, rs->resource->n_attributes,
			    0) < 0 ||
		    add_u32(r, "droppedAttributesCount", rs->resource->dropped_attributes_count) < 0)
			return -1;
	}
	if (!rs->n_instrumentation_library_spans)
		return 0;
	if (!(ilss = cJSON_AddArrayToObject(o, "instrumentationLibrarySpans")))
		return -1;
	for (size_t i = 0; i < rs->n_instrumentation_library_spans; i++)
		if (add_ils(ilss, rs->instrumentation_library_spans[i]) < 0)
			return -1;
	return 0;
}

int tc_otlp_json_write(tc_buf *out, const uint8_t *trace, size_t len, int pretty, const tc_where *w)
{
	Tempopb__Trace *t = NULL;
	tc_buf canon = TC_BUF_INIT;
	cJSON *root = NULL, *batches;
	char *text = NULL;
	size_t bad = 0;
	const char *why = NULL;
	static const tc_where unnamed = { "trace", 0 };
	tc_where all, at;
	int err = TC_ERROR;

	if (!w || !w->key)
		w = &unnamed;
	all = (tc_where){ w->key, TC_WHERE_NO_OFFSET };
	at = all;
	/*
	 * Tempo decodes with gogo, which takes over-long tags and lengths and
	 * skips unknown groups; protobuf-c refuses all three. Check the trace
	 * the way the combiner does, then hand protobuf-c the known fields in
	 * canonical form: a trace Tempo shows, we show too.
	 */
	if (tc_pb_check(TC_PB_MSG_TRACE, trace, len, &bad, &why) < 0) {
		if (w->off != TC_WHERE_NO_OFFSET)
			at.off = w->off + bad;
		tc_error_set_at(&at, "cannot decode the trace (%zu bytes) for JSON output: %s", len,
				why);
		return TC_ECORRUPT;
	}
	/* Canonical form is never longer, except that each bad byte of a string becomes 3. */
	tc_buf_init(&canon, len <= (TC_BUF_DEFAULT_CAP - 64) / 3 ? 3 * len + 64 : TC_BUF_DEFAULT_CAP);
	if ((err = tc_pb_canonical(&canon, TC_PB_MSG_TRACE, trace, len)) < 0) {
		if (err == TC_ECORRUPT)
			tc_error_set_at(&all, "cannot decode the trace (%zu bytes) for JSON output", len);
		tc_buf_dispose(&canon);
		return err;
	}
	t = tempopb__trace__unpack(NULL, canon.len, canon.ptr);
	tc_buf_dispose(&canon);
	err = TC_ERROR;
	if (!t) {
		tc_error_set_at(&all, "cannot decode the trace (%zu bytes) for JSON output", len);
		return TC_ECORRUPT;
	}
	if (!(root = cJSON_CreateObject()) || !(batches = cJSON_AddArrayToObject(root, "batches")))
		goto oom;
	for (size_t i = 0; i < t->n_batches; i++)
		if (add_batch(batches, t->batches[i]) < 0)
			goto oom;
	text = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
	if (!text)
		goto oom;
	err = tc_buf_puts(out, text);
	goto cleanup;
oom:
	tc_error_set("out of memory building trace JSON");
cleanup:
	cJSON_free(text);
	cJSON_Delete(root);
	tempopb__trace__free_unpacked(t, NULL);
	return err;
}
