#include "src/metrics/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/util/array.h"
#include "src/util/error.h"

#define MAX_LABELS 4

typedef enum fam_type { COUNTER, GAUGE, HISTOGRAM } fam_type;

typedef struct family_def {
	const char *name;
	fam_type type;
	const char *help;
	const char *labels[MAX_LABELS]; /* NULL past the last */
	const double *buckets;          /* histogram upper bounds, ascending, +Inf implied */
	size_t nbuckets;
} family_def;

/* Tempo's buckets (docs/COMPACTOR.md#metrics), written out so the le values print exactly. */
static const double retention_buckets[] = { 0.25, 0.5, 1, 2, 4, 8 };
static const double poll_buckets[] = { 0, 60, 120, 180, 240 };
static const double request_buckets[] = { 0.005, 0.02, 0.08, 0.32, 1.28, 5.12 };
static const double compaction_buckets[] = { 1, 5, 15, 60, 300, 900, 3600 };

#define NB(a) (sizeof(a) / sizeof((a)[0]))
#define HIST(b) HISTOGRAM, .buckets = (b), .nbuckets = NB(b)

static const family_def defs[TC_M_COUNT] = {
	[TC_M_COMPACTION_BLOCKS_TOTAL] = { "tempodb_compaction_blocks_total", COUNTER,
		"Total number of blocks compacted.", { "level" } },
	[TC_M_COMPACTION_OBJECTS_WRITTEN_TOTAL] = { "tempodb_compaction_objects_written_total",
		COUNTER, "Total number of objects written to backend during compaction.",
		{ "level" } },
	[TC_M_COMPACTION_BYTES_WRITTEN_TOTAL] = { "tempodb_compaction_bytes_written_total",
		COUNTER, "Total number of bytes written to backend during compaction.",
		{ "level" } },
	[TC_M_COMPACTION_OBJECTS_COMBINED_TOTAL] = { "tempodb_compaction_objects_combined_total",
		COUNTER, "Total number of objects combined during compaction.", { "level" } },
	[TC_M_COMPACTION_ERRORS_TOTAL] = { "tempodb_compaction_errors_total", COUNTER,
		"Total number of errors occurring during compaction.", { NULL } },
	[TC_M_COMPACTION_OUTSTANDING_BLOCKS] = { "tempodb_compaction_outstanding_blocks", GAUGE,
		"Number of blocks remaining to be compacted before next maintenance cycle",
		{ "tenant" } },
	[TC_M_COMPACTION_DURATION_SECONDS] = { "tracecompactor_compaction_duration_seconds",
		HIST(compaction_buckets), .help = "Time taken by one compaction job." },
	[TC_M_COMPACTION_SPANS_DEDUPED_TOTAL] = { "tracecompactor_compaction_spans_deduped_total",
		COUNTER, "Total number of duplicate spans dropped while combining traces.",
		{ "tenant" } },
	[TC_M_COMPACTION_SPANS_DISCARDED_TOTAL] = { "tempodb_compaction_spans_discarded_total",
		COUNTER, "Total number of spans discarded during compaction.", { "tenant" } },
	[TC_M_COMPACTION_PARTIAL_BLOCKS_CLEANED_TOTAL] = {
		"tempodb_compaction_partial_blocks_cleaned_total", COUNTER,
		"Total number of partial blocks left by failed compactions that were removed.",
		{ "tenant" } },
	[TC_M_COMPACTION_BLOCKS_QUARANTINED_TOTAL] = {
		"tempodb_compaction_blocks_quarantined_total", COUNTER,
		"Total number of unreadable blocks excluded from compaction.", { "tenant" } },
	[TC_M_COMPACTION_JOBS_ABANDONED_TOTAL] = { "tracecompactor_compaction_jobs_abandoned_total",
		COUNTER, "Total number of compaction jobs this replica owned but did not run or finish "
		"because of the ring: another replica held the job's lock (lock_held), the lock was "
		"lost (lock_lost) or the ring's store could not be reached (ring_unavailable).",
		{ "reason" } },
	[TC_M_DISCARDED_SPANS_TOTAL] = { "tempo_discarded_spans_total", COUNTER,
		"The total number of samples that were discarded.", { "reason", "tenant" } },
	[TC_M_RETENTION_DURATION_SECONDS] = { "tempodb_retention_duration_seconds",
		HIST(retention_buckets),
		.help = "Records the amount of time to perform retention tasks." },
	[TC_M_RETENTION_ERRORS_TOTAL] = { "tempodb_retention_errors_total", COUNTER,
		"Total number of times an error occurred while performing retention tasks.",
		{ NULL } },
	[TC_M_RETENTION_MARKED_TOTAL] = { "tempodb_retention_marked_for_deletion_total", COUNTER,
		"Total number of blocks marked for deletion.", { NULL } },
	[TC_M_RETENTION_DELETED_TOTAL] = { "tempodb_retention_deleted_total", COUNTER,
		"Total number of blocks deleted.", { NULL } },
	[TC_M_RETENTION_EXPIRED_BLOCKS] = { "tracecompactor_retention_expired_blocks", GAUGE,
		"Number of blocks past their retention at the last poll: live blocks past block_retention "
		"and compacted blocks past compacted_block_retention.", { "tenant" } },
	[TC_M_POLL_DURATION_SECONDS] = { "tempodb_blocklist_poll_duration_seconds",
		HIST(poll_buckets),
		.help = "Records the amount of time to poll and update the blocklist." },
	[TC_M_POLL_ERRORS_TOTAL] = { "tempodb_blocklist_poll_errors_total", COUNTER,
		"Total number of times an error occurred while polling the blocklist.",
		{ "tenant" } },
	[TC_M_BLOCKLIST_LENGTH] = { "tempodb_blocklist_length", GAUGE,
		"Total number of blocks per tenant.", { "tenant" } },
	[TC_M_TENANT_INDEX_ERRORS_TOTAL] = { "tempodb_blocklist_tenant_index_errors_total",
		COUNTER,
		"Total number of times an error occurred while retrieving or building the tenant index.",
		{ "tenant" } },
	[TC_M_TENANT_INDEX_BUILDER] = { "tempodb_blocklist_tenant_index_builder", GAUGE,
		"A value of 1 indicates this instance of tempodb is building the tenant index.",
		{ "tenant" } },
	[TC_M_TENANT_INDEX_AGE_SECONDS] = { "tempodb_blocklist_tenant_index_age_seconds", GAUGE,
		"Age in seconds of the last pulled tenant index.", { "tenant" } },
	[TC_M_BACKEND_OBJECTS_TOTAL] = { "tempodb_backend_objects_total", GAUGE,
		"Total number of objects (traces) in the backend", { "tenant", "status" } },
	[TC_M_BACKEND_BYTES_TOTAL] = { "tempodb_backend_bytes_total", GAUGE,
		"Total number of bytes in the backend.", { "tenant", "status" } },
	[TC_M_BACKEND_REQUEST_DURATION_SECONDS] = { "tempodb_backend_request_duration_seconds",
		HIST(request_buckets), .help = "Time spent doing backend storage requests.",
		.labels = { "operation", "status_code" } },
	[TC_M_BACKEND_RETRIES_TOTAL] = { "tracecompactor_backend_retries_total", COUNTER,
		"Total number of backend requests retried after a transient failure.",
		{ "operation" } },
	/* dskit's ring metric under Tempo 1.5's namespace, and under later Tempo's */
	[TC_M_RING_MEMBERS] = { "cortex_ring_members", GAUGE, "Number of members in the ring",
		{ "name", "state" } },
	[TC_M_RING_MEMBERS_TEMPO] = { "tempo_ring_members", GAUGE, "Number of members in the ring",
		{ "name", "state" } },
	[TC_M_BUILD_INFO] = { "tracecompactor_build_info", GAUGE,
		"A metric with a constant '1' value labeled by version and revision from which "
		"tracecompactor was built.", { "version", "revision" } },
	/* Tempo's own build info, which the tempo-mixin counts compactor replicas by */
	[TC_M_BUILD_INFO_TEMPO] = { "tempo_build_info", GAUGE,
		"A metric with a constant '1' value labeled by version, revision, branch, and goversion "
		"from which tempo was built.", { "version", "revision", "branch", "goversion" } },
	[TC_M_OVERRIDES_RELOAD_ERRORS_TOTAL] = { "tracecompactor_overrides_reload_errors_total",
		COUNTER, "Total number of failed reloads of the per-tenant overrides file.",
		{ NULL } },
	[TC_M_HTTP_CONNECTIONS_CUT_TOTAL] = { "tracecompactor_http_connections_cut_total", COUNTER,
		"Total number of HTTP connections the server closed: read_timeout, write_timeout "
		"or conn_limit.", { "reason" } },
};

typedef struct series {
	char *lv[MAX_LABELS]; /* label values in the family's label order */
	double v;             /* counter/gauge value; histogram sum */
	uint64_t count;       /* histogram observations */
	uint64_t *bucket;     /* histogram: observations per bucket, not cumulative */
} series;

/*
 * Series are kept sorted in the order the exposition prints them (label
 * values compared in label-name order, as Go's client does), so lookup is a
 * binary search and rendering needs no sort.
 */
typedef struct family {
	pthread_mutex_t mu;
	series *s;
	size_t n, cap;
} family;

struct tc_metrics {
	family f[TC_M_COUNT];
	int order[TC_M_COUNT]; /* family ids sorted by name */
};

static size_t nlabels(const family_def *d)
{
	size_t n = 0;

	while (n < MAX_LABELS && d->labels[n])
		n++;
	return n;
}

/* The k-th label index in label-name order (labels print sorted by name; names are distinct). */
static size_t label_at(const family_def *d, size_t k)
{
	size_t n = nlabels(d);

	for (size_t i = 0; i < n; i++) {
		size_t below = 0;
		for (size_t j = 0; j < n; j++)
			below += strcmp(d->labels[j], d->labels[i]) < 0;
		if (below == k)
			return i;
	}
	return k;
}

/* What a series is looked up by: its family and its label values. */
typedef struct series_key {
	const family_def *d;
	const char *const *lv; /* MAX_LABELS values in the family's label order */
} series_key;

/* A series_key against a series, label values in label-name order (tc_array_search's cmp). */
static int cmp_key(const void *key, const void *elem)
{
	const series_key *k = key;
	const series *s = elem;
	size_t n = nlabels(k->d);

	for (size_t j = 0; j < n; j++) {
		size_t i = label_at(k->d, j);
		int c = strcmp(k->lv[i], s->lv[i]);
		if (c != 0)
			return c;
	}
	return 0;
}

static void series_dispose(series *s)
{
	for (size_t i = 0; i < MAX_LABELS; i++)
		free(s->lv[i]);
	free(s->bucket);
}

static int series_init(series *s, const family_def *d, const char *const key[MAX_LABELS])
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < nlabels(d); i++) {
		if (!(s->lv[i] = strdup(key[i])))
			goto fail;
	}
	if (d->type == HISTOGRAM && !(s->bucket = calloc(d->nbuckets, sizeof(uint64_t))))
		goto fail;
	return TC_OK;
fail:
	series_dispose(s);
	tc_error_set("metrics: out of memory");
	return TC_ERROR;
}

/* The series for the label values lv, created if absent; called with f->mu held. NULL if out of memory. */
static series *lookupv(tc_metrics *m, tc_metric_id id, const char *const lv[MAX_LABELS], int create)
{
	const family_def *d = &defs[id];
	family *f = &m->f[id];
	const char *key[MAX_LABELS];
	series_key k = { d, key };
	series s;
	size_t at;

	for (size_t i = 0; i < MAX_LABELS; i++)
		key[i] = lv && lv[i] ? lv[i] : "";
	if (tc_array_search(&at, f->s, f->n, sizeof(*f->s), &k, cmp_key))
		return &f->s[at];
	if (!create)
		return NULL;
	if (tc_array_reserve(f->s, f->cap, f->n + 1, 0) < 0)
		return NULL;
	if (series_init(&s, d, key) < 0)
		return NULL;
	memmove(&f->s[at + 1], &f->s[at], (f->n - at) * sizeof(series));
	f->s[at] = s;
	f->n++;
	return &f->s[at];
}

static series *lookup(tc_metrics *m, tc_metric_id id, const char *l1, const char *l2, int create)
{
	const char *lv[MAX_LABELS] = { l1, l2 };

	return lookupv(m, id, lv, create);
}

static int valid(const tc_metrics *m, tc_metric_id id)
{
	return m && (unsigned)id < TC_M_COUNT;
}

static int cmp_family_name(const void *a, const void *b)
{
	return strcmp(defs[*(const int *)a].name, defs[*(const int *)b].name);
}

int tc_metrics_new(tc_metrics **out)
{
	tc_metrics *m;

	*out = NULL;
	if (!(m = calloc(1, sizeof(*m)))) {
		tc_error_set("metrics: out of memory");
		return TC_ERROR;
	}
	for (int i = 0; i < TC_M_COUNT; i++) {
		pthread_mutex_init(&m->f[i].mu, NULL);
		m->order[i] = i;
	}
	qsort(m->order, TC_M_COUNT, sizeof(int), cmp_family_name);
	/* Like Go's client, a family without labels shows its zero series from the start. */
	for (int i = 0; i < TC_M_COUNT; i++) {
		if (nlabels(&defs[i]) == 0 && !lookup(m, (tc_metric_id)i, NULL, NULL, 1)) {
			tc_metrics_free(m);
			tc_error_set("metrics: out of memory");
			return TC_ERROR;
		}
	}
	*out = m;
	return TC_OK;
}

void tc_metrics_free(tc_metrics *m)
{
	if (!m)
		return;
	for (int i = 0; i < TC_M_COUNT; i++) {
		for (size_t j = 0; j < m->f[i].n; j++)
			series_dispose(&m->f[i].s[j]);
		free(m->f[i].s);
		pthread_mutex_destroy(&m->f[i].mu);
	}
	free(m);
}

/*
 * The updates return nothing: a metric that cannot get memory for a new
 * series is dropped rather than failing the work being measured. Calls that
 * do not fit the family's type (add on a histogram, a negative counter
 * increment, which Go's client would panic on) are ignored.
 */
void tc_metrics_add(tc_metrics *m, tc_metric_id id, double v, const char *l1, const char *l2)
{
	series *s;

	if (!valid(m, id) || defs[id].type == HISTOGRAM || (defs[id].type == COUNTER && !(v >= 0)))
		return;
	pthread_mutex_lock(&m->f[id].mu);
	if ((s = lookup(m, id, l1, l2, 1)))
		s->v += v;
	pthread_mutex_unlock(&m->f[id].mu);
}

void tc_metrics_set(tc_metrics *m, tc_metric_id id, double v, const char *l1, const char *l2)
{
	series *s;

	if (!valid(m, id) || defs[id].type == HISTOGRAM)
		return;
	pthread_mutex_lock(&m->f[id].mu);
	if ((s = lookup(m, id, l1, l2, 1)))
		s->v = v;
	pthread_mutex_unlock(&m->f[id].mu);
}

void tc_metrics_setv(tc_metrics *m, tc_metric_id id, double v, const char *const lv[])
{
	const char *key[MAX_LABELS] = { NULL };
	series *s;

	if (!valid(m, id) || defs[id].type == HISTOGRAM)
		return;
	for (size_t i = 0; i < nlabels(&defs[id]); i++)
		key[i] = lv[i];
	pthread_mutex_lock(&m->f[id].mu);
	if ((s = lookupv(m, id, key, 1)))
		s->v = v;
	pthread_mutex_unlock(&m->f[id].mu);
}

void tc_metrics_observe(tc_metrics *m, tc_metric_id id, double v, const char *l1, const char *l2)
{
	const family_def *d;
	series *s;
	size_t b;

	if (!valid(m, id) || defs[id].type != HISTOGRAM)
		return;
	d = &defs[id];
	/* Go's rule: the first bucket whose upper bound is >= v; past the last is +Inf only. */
	for (b = 0; b < d->nbuckets && !(v <= d->buckets[b]); b++)
		;
	pthread_mutex_lock(&m->f[id].mu);
	if ((s = lookup(m, id, l1, l2, 1))) {
		if (b < d->nbuckets)
			s->bucket[b]++;
		s->count++;
		s->v += v;
	}
	pthread_mutex_unlock(&m->f[id].mu);
}

void tc_metrics_touch(tc_metrics *m, tc_metric_id id, const char *l1, const char *l2)
{
	if (!valid(m, id))
		return;
	pthread_mutex_lock(&m->f[id].mu);
	lookup(m, id, l1, l2, 1);
	pthread_mutex_unlock(&m->f[id].mu);
}

void tc_metrics_forget(tc_metrics *m, tc_metric_id id, const char *l1)
{
	family *f;
	size_t keep = 0;

	if (!valid(m, id) || nlabels(&defs[id]) == 0)
		return;
	if (!l1)
		l1 = "";
	f = &m->f[id];
	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->s[i].lv[0], l1) == 0)
			series_dispose(&f->s[i]);
		else
			f->s[keep++] = f->s[i];
	}
	f->n = keep;
	pthread_mutex_unlock(&f->mu);
}

static int in_sorted(const tc_strlist *l, const char *v)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->items[mid], v);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void tc_metrics_forget_tenants(tc_metrics *m, const tc_strlist *tenants)
{
	if (!m || !tenants->n)
		return;
	for (size_t id = 0; id < TC_M_COUNT; id++) {
		const family_def *d = &defs[id];
		family *f = &m->f[id];
		size_t n = nlabels(d), k, keep = 0;

		for (k = 0; k < n && strcmp(d->labels[k], "tenant") != 0; k++)
			;
		if (k == n)
			continue;
		/* One pass per family, however many tenants went: 10,000 may go at once. */
		pthread_mutex_lock(&f->mu);
		for (size_t i = 0; i < f->n; i++) {
			if (in_sorted(tenants, f->s[i].lv[k]))
				series_dispose(&f->s[i]);
			else
				f->s[keep++] = f->s[i];
		}
		f->n = keep;
		pthread_mutex_unlock(&f->mu);
	}
}

double tc_metrics_get(tc_metrics *m, tc_metric_id id, const char *l1, const char *l2)
{
	series *s;
	double v = 0;

	if (!valid(m, id))
		return 0;
	pthread_mutex_lock(&m->f[id].mu);
	if ((s = lookup(m, id, l1, l2, 0)))
		v = defs[id].type == HISTOGRAM ? (double)s->count : s->v;
	pthread_mutex_unlock(&m->f[id].mu);
	return v;
}

/*
 * Formats v as Go's client does (strconv 'g' with the shortest digits that
 * read back exactly: exponent form below 1e-4 and from 1e6 on).
 */
static void fmt_float(char *out, size_t n, double v)
{
	char e[40];
	int p, exp;
	const char *x;

	if (isnan(v)) {
		snprintf(out, n, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, n, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		snprintf(out, n, "0");
		return;
	}
	for (p = 1; p < 17; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", p - 1, v);
	x = strchr(e, 'e');
	exp = x ? atoi(x + 1) : 0;
	if (exp < -4 || exp >= 6)
		snprintf(out, n, "%s", e);
	else
		snprintf(out, n, "%.*f", p - 1 - exp > 0 ? p - 1 - exp : 0, v);
}

static int put_float(tc_buf *out, double v)
{
	char s[48];

	fmt_float(s, sizeof(s), v);
	return tc_buf_puts(out, s);
}

static int put_escaped(tc_buf *out, const char *s, int quotes)
{
	int r = TC_OK;

	for (; *s && r >= 0; s++) {
		if (*s == '\\')
			r = tc_buf_puts(out, "\\\\");
		else if (*s == '\n')
			r = tc_buf_puts(out, "\\n");
		else if (*s == '"' && quotes)
			r = tc_buf_puts(out, "\\\"");
		else
			r = tc_buf_putc(out, (uint8_t)*s);
	}
	return r;
}

static int put_header(tc_buf *out, const char *name, const char *help, const char *type)
{
	int r;

	if ((r = tc_buf_printf(out, "# HELP %s ", name)) < 0 ||
	    (r = put_escaped(out, help, 0)) < 0)
		return r;
	return tc_buf_printf(out, "\n# TYPE %s %s\n", name, type);
}

/* One sample line: name+suffix, labels sorted by name, then le for buckets. */
static int put_sample(tc_buf *out, const family_def *d, const series *s, const char *suffix,
		      const char *le, double v)
{
	size_t n = nlabels(d);
	int r;

	if ((r = tc_buf_printf(out, "%s%s", d->name, suffix)) < 0)
		return r;
	if (n > 0 || le) {
		const char *sep = "{";
		for (size_t k = 0; k < n; k++) {
			size_t i = label_at(d, k);
			if ((r = tc_buf_printf(out, "%s%s=\"", sep, d->labels[i])) < 0 ||
			    (r = put_escaped(out, s->lv[i], 1)) < 0 ||
			    (r = tc_buf_putc(out, '"')) < 0)
				return r;
			sep = ",";
		}
		if (le && (r = tc_buf_printf(out, "%sle=\"%s\"", sep, le)) < 0)
			return r;
		if ((r = tc_buf_putc(out, '}')) < 0)
			return r;
	}
	if ((r = tc_buf_putc(out, ' ')) < 0 || (r = put_float(out, v)) < 0)
		return r;
	return tc_buf_putc(out, '\n');
}

static int put_histogram(tc_buf *out, const family_def *d, const series *s)
{
	uint64_t cum = 0;
	char le[48];
	int r;

	for (size_t b = 0; b < d->nbuckets; b++) {
		cum += s->bucket[b];
		fmt_float(le, sizeof(le), d->buckets[b]);
		if ((r = put_sample(out, d, s, "_bucket", le, (double)cum)) < 0)
			return r;
	}
	if ((r = put_sample(out, d, s, "_bucket", "+Inf", (double)s->count)) < 0 ||
	    (r = put_sample(out, d, s, "_sum", NULL, s->v)) < 0)
		return r;
	return put_sample(out, d, s, "_count", NULL, (double)s->count);
}

static int render_family(tc_buf *out, tc_metrics *m, int id)
{
	static const char *type_names[] = { "counter", "gauge", "histogram" };
	const family_def *d = &defs[id];
	family *f = &m->f[id];
	int r = TC_OK;

	pthread_mutex_lock(&f->mu);
	if (f->n == 0)
		goto done; /* Go leaves out families with no series, HELP and TYPE too */
	if ((r = put_header(out, d->name, d->help, type_names[d->type])) < 0)
		goto done;
	for (size_t i = 0; i < f->n && r >= 0; i++) {
		if (d->type == HISTOGRAM)
			r = put_histogram(out, d, &f->s[i]);
		else
			r = put_sample(out, d, &f->s[i], "", NULL, f->s[i].v);
	}
done:
	pthread_mutex_unlock(&f->mu);
	return r;
}

typedef struct proc_stats {
	int have_stat, have_status;
	double cpu_seconds, start_time;
	double rss, hwm;
} proc_stats;

/* The "<key>: <n> kB" line of /proc/self/status, in bytes. */
static int status_kb(const char *text, const char *key, double *out)
{
	const char *p = strstr(text, key);
	unsigned long long kb;

	if (!p || sscanf(p + strlen(key), " %llu", &kb) != 1)
		return 0;
	*out = (double)kb * 1024.0;
	return 1;
}

static size_t read_small(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t got;

	if (!f)
		return 0;
	got = fread(buf, 1, n - 1, f);
	fclose(f);
	buf[got] = '\0';
	return got;
}

/* Best effort, like Go's process collector: a missing /proc only drops these lines. */
static void read_proc(proc_stats *ps)
{
	char buf[4096];
	long tck = sysconf(_SC_CLK_TCK);
	const char *p;
	unsigned long long utime, stime, start, btime;

	memset(ps, 0, sizeof(*ps));
	if (tck <= 0)
		tck = 100;
	/* Fields after the ")" that ends comm: utime and stime are 14-15, starttime 22. */
	if (read_small("/proc/self/stat", buf, sizeof(buf)) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
			   "%*d %*d %llu", &utime, &stime, &start) == 3) {
		ps->cpu_seconds = (double)(utime + stime) / (double)tck;
		if (read_small("/proc/stat", buf, sizeof(buf)) && (p = strstr(buf, "\nbtime ")) &&
		    sscanf(p + 7, "%llu", &btime) == 1) {
			ps->start_time = (double)btime + (double)start / (double)tck;
			ps->have_stat = 1;
		}
	}
	if (read_small("/proc/self/status", buf, sizeof(buf)))
		ps->have_status = status_kb(buf, "\nVmRSS:", &ps->rss) &&
				  status_kb(buf, "\nVmHWM:", &ps->hwm);
}

static int put_simple(tc_buf *out, const char *name, const char *type, const char *help, double v)
{
	int r;

	if ((r = put_header(out, name, help, type)) < 0 ||
	    (r = tc_buf_printf(out, "%s ", name)) < 0 || (r = put_float(out, v)) < 0)
		return r;
	return tc_buf_putc(out, '\n');
}

static int render_process(tc_buf *out)
{
	proc_stats ps;
	int r = TC_OK;

	read_proc(&ps);
	/* Sorted by name, and all before the table's families (which sort after "process_"). */
	if (ps.have_stat)
		r = put_simple(out, "process_cpu_seconds_total", "counter",
			       "Total user and system CPU time spent in seconds.", ps.cpu_seconds);
	if (r >= 0 && ps.have_status)
		r = put_simple(out, "process_max_resident_memory_bytes", "gauge",
			       "Maximum resident memory size in bytes.", ps.hwm);
	if (r >= 0 && ps.have_status)
		r = put_simple(out, "process_resident_memory_bytes", "gauge",
			       "Resident memory size in bytes.", ps.rss);
	if (r >= 0 && ps.have_stat)
		r = put_simple(out, "process_start_time_seconds", "gauge",
			       "Start time of the process since unix epoch in seconds.",
			       ps.start_time);
	return r;
}

int tc_metrics_render(tc_buf *out, tc_metrics *m)
{
	int r;

	if ((r = render_process(out)) < 0)
		return r;
	if (!m)
		return TC_OK;
	for (int i = 0; i < TC_M_COUNT; i++)
		if ((r = render_family(out, m, m->order[i])) < 0)
			return r;
	return TC_OK;
}
