/*
 * The content of synthetic traces: the fleet of services being traced, and
 * spans and resources shaped like what their OpenTelemetry SDKs send. Span
 * j of a part is a pure function of (seed, key, j); see synth.c for how the
 * run cuts traces into parts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding/page.h"
#include "src/util/array.h"
#include "src/util/error.h"
#include "common.pb-c.h"
#include "resource.pb-c.h"
#include "src/gen/synth_impl.h"
#include "trace.pb-c.h"

#define MAX_KV 12
#define TEXT_MAX 2560

typedef Tempopb__Common__V1__KeyValue pb_kv;
typedef Tempopb__Common__V1__AnyValue pb_any;
typedef Tempopb__Trace__V1__Span pb_span;
typedef Tempopb__Trace__V1__Span__Event pb_event;
typedef Tempopb__Trace__V1__Span__Link pb_link;
typedef Tempopb__Trace__V1__ResourceSpans pb_rs;
typedef Tempopb__Trace__V1__InstrumentationLibrarySpans pb_ils;
typedef Tempopb__Common__V1__InstrumentationLibrary pb_lib;

/* ---- the fleet being traced ---- */

enum { LIB_HTTP, LIB_DB, LIB_MSG, LIB_CODE, NLIB };
#define NSVC 8

typedef struct svc_def {
	const char *name, *version, *lang, *sdk_version, *rs_hash;
	unsigned port;
	const char *libs[NLIB];
	const char *lib_version;
	const char *routes[4]; /* "METHOD /route" */
} svc_def;

#define GO_LIBS                                                                                     \
	{ "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",                          \
	  "github.com/uptrace/opentelemetry-go-extra/otelsql",                                      \
	  "go.opentelemetry.io/contrib/instrumentation/github.com/Shopify/sarama/otelsarama", NULL }
#define NODE_LIBS                                                                                   \
	{ "@opentelemetry/instrumentation-http", "@opentelemetry/instrumentation-pg",               \
	  "@opentelemetry/instrumentation-kafkajs", NULL }

static const svc_def svcs[NSVC] = {
	{ "frontend", "2.4.1", "nodejs", "1.8.0", "7c9f6d5b8", 8080, NODE_LIBS, "0.33.0",
	  { "GET /", "GET /api/products", "POST /api/cart", "POST /api/checkout" } },
	{ "checkout", "1.12.0", "go", "1.11.1", "5f7c9d8b6", 5050, GO_LIBS, "0.36.4",
	  { "POST /checkout", "GET /checkout/{id}", "POST /checkout/{id}/confirm", "GET /healthz" } },
	{ "cart", "3.0.2", "dotnet", "1.3.1", "68d4f7c9b", 7070,
	  { "OpenTelemetry.Instrumentation.AspNetCore", "OpenTelemetry.Instrumentation.SqlClient",
	    "Confluent.Kafka.Extensions.OpenTelemetry", NULL }, "1.0.0-rc9.9",
	  { "GET /cart/{userId}", "POST /cart/{userId}/items", "DELETE /cart/{userId}",
	    "GET /cart/health" } },
	{ "product-catalog", "1.7.3", "go", "1.11.1", "84b6c5d7f", 3550, GO_LIBS, "0.36.4",
	  { "GET /products", "GET /products/{id}", "GET /products/search", "GET /categories" } },
	{ "payment", "0.9.8", "nodejs", "1.8.0", "6b8c7d9f5", 50051, NODE_LIBS, "0.33.0",
	  { "POST /charge", "POST /refund", "GET /charge/{id}", "GET /health" } },
	{ "shipping", "1.1.0", "rust", "0.18.0", "9d7f6c8b4", 50050,
	  { "opentelemetry-http", "sqlx", "rdkafka", NULL }, "0.18.0",
	  { "POST /quote", "POST /ship", "GET /track/{id}", "GET /health" } },
	{ "recommendation", "4.2.0", "python", "1.15.0", "58c9b7d6f", 9001,
	  { "opentelemetry.instrumentation.flask", "opentelemetry.instrumentation.psycopg2",
	    "opentelemetry.instrumentation.kafka", NULL }, "0.36b0",
	  { "GET /recommendations", "GET /recommendations/{userId}", "POST /feedback", "GET /ping" } },
	{ "inventory", "5.0.1", "java", "1.21.0", "7b5d9c6f8", 8081,
	  { "io.opentelemetry.tomcat-10.0", "io.opentelemetry.jdbc",
	    "io.opentelemetry.kafka-clients-2.6", NULL },
	  "1.21.0-alpha",
	  { "GET /inventory/{sku}", "PUT /inventory/{sku}", "POST /inventory/reserve",
	    "GET /actuator/health" } },
};

static const struct {
	const char *name, *op, *table, *stmt;
} queries[] = {
	{ "SELECT shop.orders", "SELECT", "orders",
	  "SELECT id, user_id, total, status FROM orders WHERE id = $1" },
	{ "SELECT shop.products", "SELECT", "products",
	  "SELECT p.id, p.name, p.price FROM products p JOIN stock s ON s.sku = p.sku "
	  "WHERE p.category = $1 LIMIT 50" },
	{ "INSERT shop.orders", "INSERT", "orders",
	  "INSERT INTO orders (id, user_id, total, currency) VALUES ($1, $2, $3, $4)" },
	{ "UPDATE shop.inventory", "UPDATE", "inventory",
	  "UPDATE inventory SET reserved = reserved + $1 WHERE sku = $2" },
};
static const char *const topics[] = { "orders", "payments", "shipments" };
static const char *const internal_ops[] = { "compute-total", "render-template", "cache-lookup",
					    "validate-request", "serialize-response", "apply-discounts" };
static const char *const errors[][2] = {
	{ "TimeoutError", "context deadline exceeded" },
	{ "ConnectionError", "read tcp 10.0.3.17:48212->10.0.5.4:5432: connection reset by peer" },
	{ "ValueError", "invalid argument: quantity must be positive" },
	{ "UpstreamError", "upstream returned 503 Service Unavailable" },
};
static const char *const logs[] = { "cache miss", "retrying request", "fetched rows from replica",
				    "acquired lock", "feature flag evaluated" };
static const char *const agents[] = {
	"Mozilla/5.0 (X11; Linux x86_64; rv:106.0) Gecko/20100101 Firefox/106.0", "okhttp/4.10.0",
	"Go-http-client/1.1" };
static const char *const words[] = { "user", "order", "sku", "quantity", "price", "currency", "EUR",
				     "shipping", "address", "street", "city", "promo", "discount",
				     "gift", "wrap", "note", "priority", "express", "warehouse", "true" };

uint32_t tc_synth_trace_services(uint8_t out[TRACE_SVCS], uint64_t seed)
{
	uint8_t perm[NSVC];
	uint64_t r = mix(seed, 1);
	uint32_t n = 1 + below(&r, TRACE_SVCS);

	for (uint32_t i = 0; i < NSVC; i++)
		perm[i] = (uint8_t)i;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = i + below(&r, NSVC - i);
		uint8_t t = perm[i];
		perm[i] = perm[k];
		perm[k] = t;
		out[i] = perm[i];
	}
	return n;
}

/* ---- messages being built ---- */

typedef struct kvs {
	pb_kv kv[MAX_KV];
	pb_any av[MAX_KV];
	pb_kv *p[MAX_KV];
	size_t n;
} kvs;

typedef struct span_slot {
	pb_span span;
	kvs attrs, ev_attrs[2], link_attrs;
	pb_event ev[2];
	pb_event *evp[2];
	pb_link link;
	pb_link *linkp;
	Tempopb__Trace__V1__Status status;
	uint8_t id[8], parent[8], link_tid[TC_ID_LEN], link_sid[8];
	uint8_t svc, lib;
	size_t text_used;
	char text[TEXT_MAX];
} span_slot;

typedef struct res_slot {
	Tempopb__Resource__V1__Resource res;
	kvs attrs;
	char text[192];
} res_slot;

struct gen {
	span_slot *slots;
	size_t n, cap;
	pb_span **spanp;
	size_t spanp_cap;
	res_slot res[NSVC];
	pb_rs rs[NSVC];
	pb_rs *rsp[NSVC];
	pb_ils ils[NSVC][NLIB];
	pb_ils *ilsp[NSVC][NLIB];
	pb_lib lib[NSVC][NLIB];
	char code_lib[NSVC][48];
	Tempopb__Trace trace;
	tc_buf packed;
};

static pb_any *kv_add(kvs *s, const char *key)
{
	pb_kv *kv;
	pb_any *av;

	if (s->n == MAX_KV)
		return NULL;
	kv = &s->kv[s->n];
	av = &s->av[s->n];
	tempopb__common__v1__key_value__init(kv);
	tempopb__common__v1__any_value__init(av);
	kv->key = (char *)key;
	kv->value = av;
	s->p[s->n++] = kv;
	return av;
}

static void kv_str(kvs *s, const char *key, const char *v)
{
	pb_any *av = kv_add(s, key);
	if (av) {
		av->value_case = TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
		av->string_value = (char *)v;
	}
}

static void kv_int(kvs *s, const char *key, int64_t v)
{
	pb_any *av = kv_add(s, key);
	if (av) {
		av->value_case = TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
		av->int_value = v;
	}
}

static void kv_bool(kvs *s, const char *key, int v)
{
	pb_any *av = kv_add(s, key);
	if (av) {
		av->value_case = TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE;
		av->bool_value = v != 0;
	}
}

static void kv_dbl(kvs *s, const char *key, double v)
{
	pb_any *av = kv_add(s, key);
	if (av) {
		av->value_case = TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
		av->double_value = v;
	}
}

/* Formats into the slot's text area; strings live as long as the slot. */
__attribute__((format(printf, 2, 3))) static char *text_printf(span_slot *sl, const char *fmt, ...)
{
	char *p = sl->text + sl->text_used;
	size_t room = TEXT_MAX - sl->text_used;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	sl->text_used += (size_t)n < room ? (size_t)n + 1 : room;
	if (sl->text_used >= TEXT_MAX)
		sl->text_used = TEXT_MAX - 1; /* later strings become "" */
	return p;
}

/* ---- one span ---- */

static void describe_server(span_slot *sl, uint64_t *r, int err)
{
	const svc_def *sv = &svcs[sl->svc];
	const char *route = sv->routes[below(r, 4)], *sp = strchr(route, ' ');

	sl->span.name = (char *)route;
	sl->lib = LIB_HTTP;
	kv_str(&sl->attrs, "http.method", text_printf(sl, "%.*s", (int)(sp - route), route));
	kv_str(&sl->attrs, "http.route", sp + 1);
	kv_str(&sl->attrs, "http.scheme", "http");
	kv_str(&sl->attrs, "http.flavor", "1.1");
	kv_int(&sl->attrs, "http.status_code", err ? 500 : below(r, 10) ? 200 : 404);
	kv_int(&sl->attrs, "net.host.port", sv->port);
	kv_str(&sl->attrs, "http.user_agent", agents[below(r, 3)]);
	kv_int(&sl->attrs, "http.request_content_length", below(r, 4096));
}

static void describe_http_client(span_slot *sl, uint64_t *r, int err)
{
	const svc_def *to = &svcs[below(r, NSVC)];
	int post = below(r, 3) == 0;

	sl->span.name = post ? "HTTP POST" : "HTTP GET";
	sl->lib = LIB_HTTP;
	kv_str(&sl->attrs, "http.method", post ? "POST" : "GET");
	kv_str(&sl->attrs, "http.url",
	       text_printf(sl, "http://%s:%u/api/v1/%s/%u", to->name, to->port, words[below(r, 20)],
			   below(r, 100000)));
	kv_int(&sl->attrs, "http.status_code", err ? 503 : 200);
	kv_str(&sl->attrs, "net.peer.name", to->name);
	kv_int(&sl->attrs, "net.peer.port", to->port);
}

static void describe_db(span_slot *sl, uint64_t *r)
{
	unsigned q = below(r, 4);

	sl->span.name = (char *)queries[q].name;
	sl->lib = LIB_DB;
	kv_str(&sl->attrs, "db.system", "postgresql");
	kv_str(&sl->attrs, "db.name", "shop");
	kv_str(&sl->attrs, "db.user", "shop_rw");
	kv_str(&sl->attrs, "db.statement", queries[q].stmt);
	kv_str(&sl->attrs, "db.operation", queries[q].op);
	kv_str(&sl->attrs, "db.sql.table", queries[q].table);
	kv_str(&sl->attrs, "net.peer.name", "postgres.shop-prod.svc.cluster.local");
	kv_int(&sl->attrs, "net.peer.port", 5432);
	kv_int(&sl->attrs, "db.rows_affected", below(r, 200));
}

static void describe_msg(span_slot *sl, uint64_t *r, int produce)
{
	const char *topic = topics[below(r, 3)];

	sl->span.name = text_printf(sl, "%s %s", topic, produce ? "send" : "process");
	sl->lib = LIB_MSG;
	kv_str(&sl->attrs, "messaging.system", "kafka");
	kv_str(&sl->attrs, "messaging.destination", topic);
	kv_str(&sl->attrs, "messaging.destination_kind", "topic");
	kv_int(&sl->attrs, "messaging.kafka.partition", below(r, 12));
	kv_str(&sl->attrs, "messaging.message_id", text_printf(sl, "%016llx", (unsigned long long)rnd(r)));
	kv_int(&sl->attrs, "messaging.message_payload_size_bytes", 64 + below(r, 8192));
	if (!produce) {
		kv_str(&sl->attrs, "messaging.operation", "process");
		kv_str(&sl->attrs, "messaging.kafka.consumer_group",
		       text_printf(sl, "%s-consumers", svcs[sl->svc].name));
	}
}

static void describe_internal(span_slot *sl, uint64_t *r)
{
	sl->span.name = (char *)internal_ops[below(r, 6)];
	sl->lib = LIB_CODE;
	kv_str(&sl->attrs, "code.namespace", text_printf(sl, "shop.%s", svcs[sl->svc].name));
	kv_bool(&sl->attrs, "cache.hit", below(r, 2));
	kv_int(&sl->attrs, "items.count", below(r, 50));
	kv_dbl(&sl->attrs, "discount.ratio", below(r, 1000) / 1000.0);
	kv_int(&sl->attrs, "thread.id", 1 + below(r, 64));
}

/* A request body of a few hundred to ~2000 bytes: the big trace's bulk. */
static void add_body(span_slot *sl, uint64_t *r)
{
	size_t want = 400 + below(r, 1600), start = sl->text_used, len = 0;
	char *p = sl->text + start;

	if (start + 64 > TEXT_MAX)
		return;
	if (want > TEXT_MAX - start - 32)
		want = TEXT_MAX - start - 32;
	while (len + 16 < want) {
		const char *w = words[below(r, 20)];
		size_t wl = strlen(w);
		memcpy(p + len, w, wl);
		len += wl;
		p[len++] = below(r, 4) ? ' ' : ',';
	}
	p[len] = '\0';
	sl->text_used += len + 1;
	kv_str(&sl->attrs, "http.request.body", p);
}

static void add_event(span_slot *sl, uint64_t *r, const char *name)
{
	size_t i = sl->span.n_events;
	pb_event *e = &sl->ev[i];
	kvs *a = &sl->ev_attrs[i];
	uint64_t len = sl->span.end_time_unix_nano - sl->span.start_time_unix_nano;

	tempopb__trace__v1__span__event__init(e);
	a->n = 0;
	e->name = (char *)name;
	e->time_unix_nano = sl->span.start_time_unix_nano + below64(r, len + 1);
	if (!strcmp(name, "exception")) {
		unsigned k = below(r, 4);
		kv_str(a, "exception.type", errors[k][0]);
		kv_str(a, "exception.message", errors[k][1]);
		kv_bool(a, "exception.escaped", below(r, 2));
	} else {
		kv_str(a, "message", logs[below(r, 5)]);
		kv_str(a, "level", below(r, 3) ? "info" : "debug");
		kv_int(a, "attempt", 1 + below(r, 3));
	}
	e->attributes = a->p;
	e->n_attributes = a->n;
	sl->evp[i] = e;
	sl->span.events = sl->evp;
	sl->span.n_events = i + 1;
}

static void add_status_and_events(span_slot *sl, uint64_t *r, int err)
{
	Tempopb__Trace__V1__Status *st = &sl->status;

	tempopb__trace__v1__status__init(st);
	sl->span.status = st;
	if (err) {
		st->code = TEMPOPB__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR;
		st->deprecated_code =
			TEMPOPB__TRACE__V1__STATUS__DEPRECATED_STATUS_CODE__DEPRECATED_STATUS_CODE_UNKNOWN_ERROR;
		st->message = (char *)errors[below(r, 4)][1];
		kv_bool(&sl->attrs, "error", 1);
		add_event(sl, r, "exception");
	} else if (below(r, 10) < 3) {
		st->code = TEMPOPB__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_OK;
	}
	if (below(r, 5) == 0)
		add_event(sl, r, "log");
}

static void add_extras(span_slot *sl, uint64_t *r)
{
	if (below(r, 33) == 0) {
		pb_link *l = &sl->link;
		tempopb__trace__v1__span__link__init(l);
		put_be64(sl->link_tid, rnd(r));
		put_be64(sl->link_tid + 8, rnd(r));
		put_be64(sl->link_sid, rnd(r) | 1);
		l->trace_id = (ProtobufCBinaryData){ TC_ID_LEN, sl->link_tid };
		l->span_id = (ProtobufCBinaryData){ 8, sl->link_sid };
		sl->link_attrs.n = 0;
		kv_str(&sl->link_attrs, "link.reason", "follows-from");
		l->attributes = sl->link_attrs.p;
		l->n_attributes = sl->link_attrs.n;
		sl->linkp = l;
		sl->span.links = &sl->linkp;
		sl->span.n_links = 1;
	}
	if (below(r, 20) == 0)
		sl->span.trace_state = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
	if (below(r, 100) == 0)
		sl->span.dropped_attributes_count = 1 + below(r, 4);
}

static void fill_span(span_slot *sl, const part *p, uint32_t j)
{
	uint64_t r = mix(mix(p->seed, p->key), (uint64_t)j << 1);
	pb_span *s = &sl->span;
	int root = p->has_root && j == 0, err = below(&r, 100) < 4;
	uint32_t kind;

	tempopb__trace__v1__span__init(s);
	sl->text_used = 0;
	sl->attrs.n = 0;
	span_id(sl->id, p->seed, p->key, j);
	s->trace_id = (ProtobufCBinaryData){ TC_ID_LEN, (uint8_t *)p->trace_id };
	s->span_id = (ProtobufCBinaryData){ 8, sl->id };
	if (!root) {
		if (j == 0)
			memcpy(sl->parent, p->root, 8);
		else
			span_id(sl->parent, p->seed, p->key, below(&r, j));
		s->parent_span_id = (ProtobufCBinaryData){ 8, sl->parent };
	}
	sl->svc = root ? p->svc[0] : p->svc[below(&r, p->nsvc)];
	if (j == 0) {
		s->start_time_unix_nano = (uint64_t)p->t0;
		s->end_time_unix_nano = (uint64_t)(p->t0 + p->dur);
	} else {
		uint64_t off = below64(&r, (uint64_t)p->dur);
		s->start_time_unix_nano = (uint64_t)p->t0 + off;
		s->end_time_unix_nano = s->start_time_unix_nano + 1 + below64(&r, (uint64_t)p->dur - off);
	}
	kind = root ? 2 : below(&r, 100);
	kind = root ? 2 : kind < 35 ? 3 : kind < 60 ? 1 : kind < 85 ? 2 : kind < 93 ? 4 : 5;
	s->kind = (Tempopb__Trace__V1__Span__SpanKind)kind;
	if (kind == TEMPOPB__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_SERVER)
		describe_server(sl, &r, err);
	else if (kind == TEMPOPB__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_CLIENT && below(&r, 2))
		describe_http_client(sl, &r, err);
	else if (kind == TEMPOPB__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_CLIENT)
		describe_db(sl, &r);
	else if (kind == TEMPOPB__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_INTERNAL)
		describe_internal(sl, &r);
	else
		describe_msg(sl, &r, kind == TEMPOPB__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_PRODUCER);
	if (p->big)
		add_body(sl, &r);
	add_status_and_events(sl, &r, err);
	add_extras(sl, &r);
	s->attributes = sl->attrs.p;
	s->n_attributes = sl->attrs.n;
}

/* ---- batches ---- */

/* Pods are fleet-wide (3 per service); which one served a trace depends on the trace. */
static void fill_resource(res_slot *rs, uint64_t trace_seed, uint32_t svc)
{
	const svc_def *sv = &svcs[svc];
	uint64_t r = mix(trace_seed, 1000 + svc), h;
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	char *pod = rs->text, *node, sfx[6];

	h = mix(svc, 7 + below(&r, 3));
	for (int i = 0; i < 5; i++)
		sfx[i] = alnum[(h >> (i * 6)) % (sizeof(alnum) - 1)];
	sfx[5] = '\0';
	snprintf(pod, 96, "%s-%s-%s", sv->name, sv->rs_hash, sfx);
	node = pod + strlen(pod) + 1;
	snprintf(node, 64, "ip-10-0-%u-%u.ec2.internal", (unsigned)(h >> 40) % 8,
		 (unsigned)(h >> 48) % 250 + 2);
	tempopb__resource__v1__resource__init(&rs->res);
	rs->attrs.n = 0;
	kv_str(&rs->attrs, "service.name", sv->name);
	kv_str(&rs->attrs, "service.namespace", "shop");
	kv_str(&rs->attrs, "service.version", sv->version);
	kv_str(&rs->attrs, "telemetry.sdk.language", sv->lang);
	kv_str(&rs->attrs, "telemetry.sdk.name", "opentelemetry");
	kv_str(&rs->attrs, "telemetry.sdk.version", sv->sdk_version);
	kv_str(&rs->attrs, "host.name", pod);
	kv_str(&rs->attrs, "k8s.namespace.name", "shop-prod");
	kv_str(&rs->attrs, "k8s.deployment.name", sv->name);
	kv_str(&rs->attrs, "k8s.pod.name", pod);
	kv_str(&rs->attrs, "k8s.node.name", node);
	kv_int(&rs->attrs, "process.pid", 1 + (int64_t)(h % 32767));
	rs->res.attributes = rs->attrs.p;
	rs->res.n_attributes = rs->attrs.n;
}

int tc_synth_gen_new(gen **out)
{
	gen *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (uint32_t s = 0; s < NSVC; s++) {
		snprintf(g->code_lib[s], sizeof(g->code_lib[s]), "shop/%s", svcs[s].name);
		for (uint32_t l = 0; l < NLIB; l++) {
			pb_lib *lib = &g->lib[s][l];
			tempopb__common__v1__instrumentation_library__init(lib);
			lib->name = l == LIB_CODE ? g->code_lib[s] : (char *)svcs[s].libs[l];
			lib->version = l == LIB_CODE ? (char *)svcs[s].version : (char *)svcs[s].lib_version;
		}
	}
	tc_buf_init(&g->packed, 0);
	*out = g;
	return TC_OK;
}

void tc_synth_gen_free(gen *g)
{
	if (!g)
		return;
	free(g->slots);
	free(g->spanp);
	tc_buf_dispose(&g->packed);
	free(g);
}

int tc_synth_gen_reserve(gen *g, size_t n)
{
	int rc;

	if ((rc = tc_array_reserve(g->slots, g->cap, n, 0)) < 0)
		return rc;
	return tc_array_reserve(g->spanp, g->spanp_cap, n, 0);
}

void tc_synth_gen_spans(gen *g, const part *p, uint32_t from, uint32_t count)
{
	for (uint32_t j = from; j < from + count; j++)
		fill_span(&g->slots[g->n++], p, j);
}

void tc_synth_gen_clear(gen *g)
{
	g->n = 0;
}

size_t tc_synth_gen_count(const gen *g)
{
	return g->n;
}

/* Groups the generated spans into one batch per service, one ILS per library. */
void tc_synth_build_trace(gen *g, uint64_t trace_seed)
{
	size_t cnt[NSVC][NLIB] = { { 0 } }, pos[NSVC][NLIB], at = 0, nb = 0;

	for (size_t i = 0; i < g->n; i++)
		cnt[g->slots[i].svc][g->slots[i].lib]++;
	for (uint32_t s = 0; s < NSVC; s++) {
		pb_rs *rs = &g->rs[nb];
		size_t nils = 0;
		for (uint32_t l = 0; l < NLIB; l++) {
			pb_ils *ils = &g->ils[s][l];
			if (!cnt[s][l])
				continue;
			tempopb__trace__v1__instrumentation_library_spans__init(ils);
			ils->instrumentation_library = &g->lib[s][l];
			ils->spans = &g->spanp[at];
			ils->n_spans = cnt[s][l];
			pos[s][l] = at;
			at += cnt[s][l];
			g->ilsp[s][nils++] = ils;
		}
		if (!nils)
			continue;
		fill_resource(&g->res[s], trace_seed, s);
		tempopb__trace__v1__resource_spans__init(rs);
		rs->resource = &g->res[s].res;
		rs->instrumentation_library_spans = g->ilsp[s];
		rs->n_instrumentation_library_spans = nils;
		g->rsp[nb++] = rs;
	}
	for (size_t i = 0; i < g->n; i++)
		g->spanp[pos[g->slots[i].svc][g->slots[i].lib]++] = &g->slots[i].span;
	tempopb__trace__init(&g->trace);
	g->trace.batches = g->rsp;
	g->trace.n_batches = nb;
}

void tc_synth_span_range(const gen *g, uint64_t *lo, uint64_t *hi)
{
	for (size_t i = 0; i < g->n; i++) {
		const pb_span *s = &g->slots[i].span;
		if (s->start_time_unix_nano < *lo)
			*lo = s->start_time_unix_nano;
		if (s->end_time_unix_nano > *hi)
			*hi = s->end_time_unix_nano;
	}
}

const Tempopb__Trace *tc_synth_gen_trace(const gen *g)
{
	return &g->trace;
}

tc_buf *tc_synth_gen_packed(gen *g)
{
	return &g->packed;
}
