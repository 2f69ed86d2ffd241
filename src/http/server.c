#include "src/http/server.h"

#include <arpa/inet.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "src/util/error.h"
#include "src/util/log.h"
#include "src/util/timeutil.h"
#include "src/util/utf8.h"

#define CT_TEXT "text/plain; charset=utf-8"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CT_JSON "application/json"
#define CT_YAML "text/yaml"
#define CT_HTML "text/html; charset=utf-8"

#define RING_PATH "/compactor/ring"
/* A Forget form is one short field; anything much bigger is not one. */
#define MAX_POST_BYTES 65536
#define MAX_INSTANCE_ID 4096

#define NS_PER_S 1000000000ull
/*
 * MHD's connection limit is ours plus this: over ours, make_room closes
 * one connection, and MHD must still accept the newcomer meanwhile.
 */
#define ROOM_TO_EVICT 8u

/* The config's defaults, for callers that pass no options. */
static const tc_http_options default_options = {
	.read_timeout_ns = 30 * (int64_t)NS_PER_S,
	.write_timeout_ns = 30 * (int64_t)NS_PER_S,
	.idle_timeout_ns = 120 * (int64_t)NS_PER_S,
	.conn_limit = TC_HTTP_CONN_LIMIT,
	.conn_limit_per_ip = 32,
};

/*
 * What a connection waits for: its request (since the accept, or on a
 * kept-alive connection the end of the previous response), or its answer
 * (since the request was complete: the handler's work and sending the
 * response, like Go's WriteTimeout). libmicrohttpd 0.9.75 closes every
 * connection after its response, since we answer in the first call, so
 * today each connection carries one request.
 */
typedef enum conn_phase { PH_READ, PH_ANSWER } conn_phase;

/*
 * One connection, from MHD's STARTED notification to its CLOSED one, which
 * MHD sends before it closes the socket: while the record is listed under
 * mu, fd is this connection's and shutting it down is safe from any thread
 * (MHD stops its own connection threads the same way).
 */
typedef struct conn {
	struct conn *prev, *next;
	tc_http *srv;
	int fd;
	conn_phase phase;
	uint64_t since_ns;
	int cut; /* shut down by us; MHD sees the end of the stream and closes it */
	char peer[INET6_ADDRSTRLEN + 8];
} conn;

struct tc_http {
	struct MHD_Daemon *d;
	tc_http_handlers h;
	uint16_t port;
	/* MHD's first complaint while starting, for the error message. */
	pthread_mutex_t err_mu;
	int starting;
	char start_err[256];
	/*
	 * The connections, and the watchdog thread that cuts each one whose
	 * phase outlasts its limit: MHD's own timeout is an idle timeout, which
	 * a client sending a byte now and then resets forever.
	 */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC: a new deadline, or stop */
	conn *conns;
	unsigned live; /* listed and not cut */
	uint64_t read_ns, write_ns;
	unsigned conn_limit;
	int stopping;
	int sync_ready; /* mu and cv initialised */
	int watchdog_started;
	pthread_t watchdog;
};

/* MHD reports through a printf-style logger; keep the start-up reason, log the rest at debug. */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	tc_http *s = cls;
	char msg[256];
	size_t n;
	int starting;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	pthread_mutex_lock(&s->err_mu);
	starting = s->starting;
	if (starting && !s->start_err[0])
		snprintf(s->start_err, sizeof(s->start_err), "%s", msg);
	pthread_mutex_unlock(&s->err_mu);
	if (!starting)
		tc_log_debug("msg=\"http server\" detail=%s", tc_log_q(msg));
}

static const char *const cut_reasons[] = { "read_timeout", "write_timeout", "conn_limit" };

/* Caller holds mu. MHD's connection thread reads the end of the stream and closes the connection. */
static void cut_conn(tc_http *s, conn *k, const char *reason, const char *why)
{
	shutdown(k->fd, SHUT_RDWR);
	k->cut = 1;
	s->live--;
	/* One line per cut would let an attacker fill the log: the counter is what to watch. */
	tc_log_debug("msg=\"http connection closed\" client=%s reason=%s", tc_log_q(k->peer), tc_log_q(why));
	tc_metrics_add(s->h.metrics, TC_M_HTTP_CONNECTIONS_CUT_TOTAL, 1, reason, NULL);
}

static void *watchdog_main(void *arg)
{
	tc_http *s = arg;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		uint64_t now = tc_mono_ns(), next = 0;

		for (conn *k = s->conns; k; k = k->next) {
			uint64_t limit = k->phase == PH_READ ? s->read_ns : s->write_ns, due;

			if (k->cut || limit == 0)
				continue;
			due = k->since_ns + limit;
			if (due <= now)
				cut_conn(s, k, k->phase == PH_READ ? "read_timeout" : "write_timeout",
					 k->phase == PH_READ ? "request not received within http_server_read_timeout"
							     : "request not answered within http_server_write_timeout");
			else if (!next || due < next)
				next = due;
		}
		if (!next) {
			pthread_cond_wait(&s->cv, &s->mu);
		} else {
			struct timespec ts = { .tv_sec = (time_t)(next / NS_PER_S),
					       .tv_nsec = (long)(next % NS_PER_S) };
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/*
 * Over the limit, the connection that has waited longest for its request
 * goes: a real client sends its request within milliseconds of
 * connecting, so that is a slow or idle one, and this way a full server
 * still answers a new client at once instead of after a read timeout.
 * Caller holds mu.
 */
static void make_room(tc_http *s, conn *fresh)
{
	conn *oldest = NULL;

	for (conn *k = s->conns; k; k = k->next)
		if (k != fresh && !k->cut && k->phase == PH_READ &&
		    (!oldest || k->since_ns < oldest->since_ns))
			oldest = k;
	/* Every other one is busy answering: refuse the newcomer. */
	cut_conn(s, oldest ? oldest : fresh, "conn_limit", "http_listen_conn_limit reached");
}

static void conn_started(tc_http *s, struct MHD_Connection *c, void **socket_context)
{
	const union MHD_ConnectionInfo *fdi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ai = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	conn *k;

	if (!fdi)
		return;
	/* A connection nobody watches could be held open forever: refuse it. */
	if (!(k = calloc(1, sizeof(*k)))) {
		shutdown(fdi->connect_fd, SHUT_RDWR);
		return;
	}
	k->srv = s;
	k->fd = fdi->connect_fd;
	k->phase = PH_READ;
	k->since_ns = tc_mono_ns();
	if (ai && ai->client_addr) {
		const struct sockaddr *sa = ai->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, k->peer,
				  sizeof(k->peer));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, k->peer,
				  sizeof(k->peer));
	}
	pthread_mutex_lock(&s->mu);
	k->next = s->conns;
	if (s->conns)
		s->conns->prev = k;
	s->conns = k;
	s->live++;
	if (s->live > s->conn_limit)
		make_room(s, k);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	*socket_context = k;
}

static void conn_closed(tc_http *s, void **socket_context)
{
	conn *k = *socket_context;

	if (!k)
		return;
	pthread_mutex_lock(&s->mu);
	if (k->prev)
		k->prev->next = k->next;
	else
		s->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	if (!k->cut)
		s->live--;
	pthread_mutex_unlock(&s->mu);
	free(k);
	*socket_context = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(cls, c, socket_context);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		conn_closed(cls, socket_context);
}

/* Called on the connection's own thread, so its socket context is stable. */
static void set_phase(struct MHD_Connection *c, conn_phase phase)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	conn *k = i ? i->socket_context : NULL;
	tc_http *s;

	if (!k)
		return;
	s = k->srv;
	pthread_mutex_lock(&s->mu);
	k->phase = phase;
	k->since_ns = tc_mono_ns();
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/*
 * Queues body (taken from b, which is left empty) with the given status and
 * type, and header name: value when name is set.
 */
static enum MHD_Result reply_buf_h(struct MHD_Connection *c, unsigned status, const char *ctype,
				   tc_buf *b, const char *name, const char *value)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	uint8_t *p = tc_buf_detach(b, &len);

	r = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(p);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES ||
	    (name && MHD_add_response_header(r, name, value) != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_buf(struct MHD_Connection *c, unsigned status, const char *ctype,
				 tc_buf *b)
{
	return reply_buf_h(c, status, ctype, b, NULL, NULL);
}

/* text may quote the request (a tenant, an instance ID): it goes out escaped. */
static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	tc_buf b = TC_BUF_INIT;
	size_t n = strlen(text);
	/* an escape is at most four bytes per input byte (\xNN) */
	char *esc = n < SIZE_MAX / 4 ? malloc(4 * n + 1) : NULL;

	if (!esc)
		return MHD_NO;
	tc_utf8_escape_controls(esc, 4 * n + 1, text, n);
	if (tc_buf_puts(&b, esc) < 0 || tc_buf_putc(&b, '\n') < 0) {
		free(esc);
		tc_buf_dispose(&b);
		return MHD_NO;
	}
	free(esc);
	return reply_buf(c, status, CT_TEXT, &b);
}

/*
 * Maps a callback's result to a response: TC_ENOTFOUND 404, TC_EINVALID
 * 400, any other failure 500, each with the callback's message.
 */
static enum MHD_Result reply_result(struct MHD_Connection *c, const char *url, int r,
				    const char *ctype, tc_buf *b)
{
	unsigned status;

	if (r >= 0)
		return reply_buf(c, MHD_HTTP_OK, ctype, b);
	tc_buf_dispose(b);
	switch (r) {
	case TC_ENOTFOUND:
		status = MHD_HTTP_NOT_FOUND;
		break;
	case TC_EINVALID:
		status = MHD_HTTP_BAD_REQUEST;
		break;
	default:
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		/* The request is the top level for this failure, so it is logged here, once. */
		tc_log_warn("msg=\"http request failed\" path=%s err=%s", tc_log_q(url),
			    tc_log_q(tc_error_last()));
		break;
	}
	return reply_text(c, status, tc_error_last());
}

static enum MHD_Result reply_text_h(struct MHD_Connection *c, unsigned status, const char *text,
				    const char *name, const char *value)
{
	tc_buf b = TC_BUF_INIT;

	if (tc_buf_puts(&b, text) < 0 || tc_buf_putc(&b, '\n') < 0) {
		tc_buf_dispose(&b);
		return MHD_NO;
	}
	return reply_buf_h(c, status, CT_TEXT, &b, name, value);
}

typedef enum route { R_NONE, R_PAGE, R_METRICS, R_READY, R_BLOCKLIST, R_CONFIG, R_RING } route;

struct tc_http_args {
	struct MHD_Connection *c;
};

int tc_http_arg(const char **out, const tc_http_args *args, const char *name)
{
	const char *v = NULL;
	size_t len = 0;

	*out = NULL;
	if (MHD_lookup_connection_value_n(args->c, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v, &len) != MHD_YES ||
	    !v)
		return TC_OK;
	if (strlen(v) != len) {
		tc_error_set("%s parameter contains a NUL byte", name);
		return TC_EINVALID;
	}
	*out = v;
	return TC_OK;
}

static route route_of(const tc_http *s, const char *url)
{
	if (strcmp(url, "/") == 0 && s->h.page_html)
		return R_PAGE;
	if (strcmp(url, "/metrics") == 0 && s->h.metrics)
		return R_METRICS;
	if (strcmp(url, "/ready") == 0)
		return R_READY;
	if (strcmp(url, "/status/blocklist") == 0 && s->h.blocklist_json)
		return R_BLOCKLIST;
	if (strcmp(url, "/config") == 0 && s->h.config_yaml)
		return R_CONFIG;
	if (strcmp(url, RING_PATH) == 0 && s->h.ring_status && s->h.ring_forget)
		return R_RING;
	return R_NONE;
}

/* A POST body being read: the first "forget" form field, as the form parser hands it over. */
typedef struct post_state {
	struct MHD_PostProcessor *pp;
	tc_buf id;
	size_t body_bytes;
	unsigned fields; /* "forget" fields seen */
	int too_big;     /* the body */
	int bad_form;    /* the form parser gave up */
	int id_too_long;
} post_state;

static void post_free(post_state *p)
{
	if (!p)
		return;
	if (p->pp)
		MHD_destroy_post_processor(p->pp);
	tc_buf_dispose(&p->id);
	free(p);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)toe;
	post_free(*con_cls);
	*con_cls = NULL;
	/* A kept-alive connection waits for its next request: the read timeout applies again. */
	set_phase(c, PH_READ);
}

/* Like Go's FormValue: the first field of that name counts. */
static enum MHD_Result on_post_field(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *filename, const char *content_type,
				     const char *transfer_encoding, const char *data, uint64_t off,
				     size_t size)
{
	post_state *p = cls;

	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	if (strcmp(key, "forget") != 0)
		return MHD_YES;
	if (off == 0)
		p->fields++;
	if (p->fields == 1 && size > 0 && tc_buf_put(&p->id, data, size) < 0)
		p->id_too_long = 1;
	return MHD_YES;
}

/*
 * The instance ID a Forget form names: the body's field, else a query
 * argument (Go's FormValue reads both). An ID is any bytes but NUL, which
 * no ring entry can hold; 400 otherwise.
 */
static enum MHD_Result ring_forget(tc_http *s, struct MHD_Connection *c, post_state *p)
{
	const char *id = NULL;
	size_t len = 0;
	int r;

	if (p->too_big)
		return reply_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	if (p->bad_form)
		return reply_text(c, MHD_HTTP_BAD_REQUEST, "malformed form body");
	if (p->fields > 0) {
		if (p->id_too_long || p->id.len > MAX_INSTANCE_ID)
			return reply_text(c, MHD_HTTP_BAD_REQUEST, "forget: instance ID too long");
		if (tc_buf_cstr(&p->id) < 0)
			return MHD_NO;
		id = (const char *)p->id.ptr;
		len = p->id.len;
	} else if (MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, "forget", 6, &id, &len) == MHD_YES &&
		   id) {
		/* With its length: a %00 in the query must not cut the ID short. */
		if (len > MAX_INSTANCE_ID)
			return reply_text(c, MHD_HTTP_BAD_REQUEST, "forget: instance ID too long");
	}
	if (!id || len == 0)
		return reply_text(c, MHD_HTTP_BAD_REQUEST,
				  "missing form field forget (the ID of the instance to remove)");
	if (memchr(id, '\0', len) || strlen(id) != len)
		return reply_text(c, MHD_HTTP_BAD_REQUEST, "forget: instance ID contains a NUL byte");
	r = s->h.ring_forget(s->h.ctx, id);
	if (r < 0) {
		tc_buf b = TC_BUF_INIT;
		return reply_result(c, RING_PATH, r, CT_TEXT, &b);
	}
	/* Post/Redirect/Get: a reload shows the page instead of posting again. */
	return reply_text_h(c, MHD_HTTP_SEE_OTHER, "forgotten; see " RING_PATH, MHD_HTTP_HEADER_LOCATION,
			    RING_PATH);
}

/*
 * POST /compactor/ring arrives in several calls: the first sets up the form
 * parser, the middle ones feed it the body, the last answers.
 */
static enum MHD_Result ring_post(tc_http *s, struct MHD_Connection *c, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	post_state *p = *con_cls;

	if (!p) {
		if (!(p = calloc(1, sizeof(*p))))
			return MHD_NO;
		/* Room for the NUL tc_buf_cstr adds. */
		tc_buf_init(&p->id, MAX_INSTANCE_ID + 1);
		/* NULL for bodies that are not a form: then only the query can name the instance. */
		p->pp = MHD_create_post_processor(c, 4096, on_post_field, p);
		*con_cls = p;
		return MHD_YES;
	}
	if (*upload_data_size) {
		p->body_bytes += *upload_data_size;
		if (p->body_bytes > MAX_POST_BYTES)
			p->too_big = 1;
		else if (p->pp && !p->bad_form && MHD_post_process(p->pp, upload_data, *upload_data_size) != MHD_YES)
			p->bad_form = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	set_phase(c, PH_ANSWER);
	return ring_forget(s, c, p);
}

/* Like dskit's pages: JSON for a client that asks for it anywhere in Accept, HTML for browsers. */
static int wants_json(struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);

	return accept && strcasestr(accept, "application/json") != NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	tc_http *s = cls;
	tc_buf b = TC_BUF_INIT;
	const char *tenant = NULL;
	size_t tenant_len = 0;
	route rt = route_of(s, url);
	int r;

	(void)version;
	/* Every request but the ring's POST is complete at the first call; that one ends in ring_post. */
	if (!(rt == R_RING && strcmp(method, MHD_HTTP_METHOD_POST) == 0))
		set_phase(c, PH_ANSWER);
	if (rt == R_NONE)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "404 page not found");
	/* A message left on this worker thread by an earlier request must not leak into this one. */
	tc_error_clear();
	if (rt == R_RING && strcmp(method, MHD_HTTP_METHOD_POST) == 0)
		return ring_post(s, c, upload_data, upload_data_size, con_cls);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text_h(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
				    MHD_HTTP_HEADER_ALLOW, rt == R_RING ? "GET, HEAD, POST" : "GET, HEAD");
	switch (rt) {
	case R_PAGE: {
		tc_http_args args = { c };
		r = s->h.page_html(&b, s->h.ctx, &args);
		return reply_result(c, url, r, CT_HTML, &b);
	}
	case R_METRICS:
		r = tc_metrics_render(&b, s->h.metrics);
		return reply_result(c, url, r, CT_METRICS, &b);
	case R_READY:
		if (s->h.ready && !s->h.ready(s->h.ctx))
			return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready");
		return reply_text(c, MHD_HTTP_OK, "ready");
	case R_BLOCKLIST:
		/* With its length: a %00 would otherwise cut the name short and name another tenant. */
		if (MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, "tenant", 6, &tenant, &tenant_len) !=
			    MHD_YES ||
		    !tenant || tenant_len == 0)
			return reply_text(c, MHD_HTTP_BAD_REQUEST, "missing tenant parameter");
		if (strlen(tenant) != tenant_len)
			return reply_text(c, MHD_HTTP_BAD_REQUEST, "tenant parameter contains a NUL byte");
		r = s->h.blocklist_json(&b, s->h.ctx, tenant);
		return reply_result(c, url, r, CT_JSON, &b);
	case R_CONFIG:
		r = s->h.config_yaml(&b, s->h.ctx);
		return reply_result(c, url, r, CT_YAML, &b);
	case R_RING: {
		int json = wants_json(c);
		r = s->h.ring_status(&b, s->h.ctx, json);
		return reply_result(c, url, r, json ? CT_JSON : CT_HTML, &b);
	}
	case R_NONE:
		break;
	}
	return MHD_NO;
}

/* Fills sa from an IPv4 or IPv6 literal (brackets allowed); NULL or "" means 0.0.0.0. */
static int parse_address(struct sockaddr_storage *sa, int *v6, const char *address,
			 uint16_t port)
{
	char host[INET6_ADDRSTRLEN + 2];
	size_t n;

	memset(sa, 0, sizeof(*sa));
	*v6 = 0;
	if (!address || !*address)
		address = "0.0.0.0";
	n = strlen(address);
	if (n >= 2 && address[0] == '[' && address[n - 1] == ']') {
		address++;
		n -= 2;
	}
	if (n >= sizeof(host))
		goto bad;
	memcpy(host, address, n);
	host[n] = '\0';
	{
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
			in->sin_family = AF_INET;
			in->sin_port = htons(port);
			return TC_OK;
		}
	}
	{
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(port);
			*v6 = 1;
			return TC_OK;
		}
	}
bad:
	tc_error_set("http: listen address \"%s\" is not an IPv4 or IPv6 address", address);
	return TC_EINVALID;
}

/* MHD counts in whole seconds, 0 for none; a fraction rounds up so a timeout never ends early. */
static unsigned idle_seconds(int64_t ns)
{
	uint64_t sec;

	if (ns <= 0)
		return 0;
	sec = ((uint64_t)ns + NS_PER_S - 1) / NS_PER_S;
	return sec > UINT_MAX ? UINT_MAX : (unsigned)sec;
}

static int start_watchdog(tc_http *s)
{
	pthread_condattr_t ca;
	int e;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	e = pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (e != 0) {
		tc_error_set("http: cannot create a condition variable: %s", strerror(e));
		return TC_ERROR;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->sync_ready = 1;
	if ((e = pthread_create(&s->watchdog, NULL, watchdog_main, s)) != 0) {
		tc_error_set("http: cannot start the connection watchdog: %s", strerror(e));
		return TC_ERROR;
	}
	s->watchdog_started = 1;
	return TC_OK;
}

int tc_http_start(tc_http **out, const char *address, uint16_t port, const tc_http_handlers *h,
		  const tc_http_options *opt)
{
	struct sockaddr_storage sa;
	const union MHD_DaemonInfo *info;
	/*
	 * A thread per connection: a slow handler (the ring page asks etcd)
	 * holds up its own client only. poll, not select, so descriptors past
	 * FD_SETSIZE work.
	 */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
			     MHD_USE_ERROR_LOG;
	tc_http *s;
	int v6, r;

	*out = NULL;
	if (!opt)
		opt = &default_options;
	if ((r = parse_address(&sa, &v6, address, port)) < 0)
		return r;
	/* Like Go's listener on "[::]": IPv6 wildcards take IPv4 connections too. */
	if (v6)
		flags |= MHD_USE_DUAL_STACK;
	if (!(s = calloc(1, sizeof(*s)))) {
		tc_error_set("http: out of memory");
		return TC_ERROR;
	}
	if (h)
		s->h = *h;
	for (size_t i = 0; i < sizeof(cut_reasons) / sizeof(cut_reasons[0]); i++)
		tc_metrics_touch(s->h.metrics, TC_M_HTTP_CONNECTIONS_CUT_TOTAL, cut_reasons[i], NULL);
	s->read_ns = opt->read_timeout_ns > 0 ? (uint64_t)opt->read_timeout_ns : 0;
	s->write_ns = opt->write_timeout_ns > 0 ? (uint64_t)opt->write_timeout_ns : 0;
	s->conn_limit = opt->conn_limit ? opt->conn_limit : TC_HTTP_CONN_LIMIT;
	if (s->conn_limit > UINT_MAX - ROOM_TO_EVICT)
		s->conn_limit = UINT_MAX - ROOM_TO_EVICT;
	pthread_mutex_init(&s->err_mu, NULL);
	if ((r = start_watchdog(s)) < 0) {
		tc_http_stop(s);
		return r;
	}
	s->starting = 1;
	/*
	 * The logger goes first so MHD reports option errors through it as
	 * well. MHD's own limit leaves room for the newcomers make_room admits.
	 */
	s->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_LIMIT, s->conn_limit + ROOM_TO_EVICT,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, opt->conn_limit_per_ip,
				MHD_OPTION_CONNECTION_TIMEOUT, idle_seconds(opt->idle_timeout_ns),
				MHD_OPTION_END);
	pthread_mutex_lock(&s->err_mu);
	s->starting = 0;
	pthread_mutex_unlock(&s->err_mu);
	if (!s->d) {
		tc_error_set("http: cannot listen on %s port %u: %s",
			     address && *address ? address : "0.0.0.0", (unsigned)port,
			     s->start_err[0] ? s->start_err : "libmicrohttpd failed to start");
		tc_http_stop(s);
		return TC_ERROR;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	*out = s;
	return TC_OK;
}

uint16_t tc_http_port(const tc_http *s)
{
	return s ? s->port : 0;
}

void tc_http_stop(tc_http *s)
{
	if (!s)
		return;
	/* First: MHD closes every connection, and its CLOSED notifications empty the list. */
	if (s->d)
		MHD_stop_daemon(s->d);
	if (s->watchdog_started) {
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->watchdog, NULL);
	}
	if (s->sync_ready) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
	}
	pthread_mutex_destroy(&s->err_mu);
	free(s);
}
