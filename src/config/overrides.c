#include "src/config/overrides.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/error.h"
#include "src/util/utf8.h"
#include "src/config/yamlnode.h"

/*
 * One tenant's limits. As in Tempo 1.5 an entry is taken whole: a field it
 * leaves out is 0 for that tenant (block_retention 0 then means the
 * compactor's retention, max_bytes_per_trace 0 means unlimited); it does not
 * fall back to "*" or the defaults field by field.
 */
typedef struct ov_limits {
	int64_t block_retention_ns;
	uint64_t max_bytes_per_trace;
} ov_limits;

typedef struct ov_entry {
	char *tenant;
	ov_limits l;
} ov_entry;

typedef struct ov_table {
	ov_entry *v; /* sorted by tenant */
	size_t n;
} ov_table;

struct tc_overrides {
	pthread_rwlock_t lock; /* guards table and generation */
	pthread_mutex_t reload_mu; /* one reload at a time */
	char *path;            /* NULL: no file */
	ov_limits defaults;
	int64_t compactor_retention_ns;
	ov_table *table;
	uint64_t generation;
};

/*
 * Every field of Tempo 1.5's Limits, so a Tempo overrides file loads; the
 * ones the compactor does not use are checked for nothing but their name.
 */
static const char *const tempo_limits[] = {
	"ingestion_rate_strategy", "ingestion_rate_limit_bytes", "ingestion_burst_size_bytes",
	"search_tags_allow_list", "max_traces_per_user", "max_global_traces_per_user",
	"max_search_bytes_per_trace", "metrics_generator_ring_size",
	"metrics_generator_processors", "metrics_generator_max_active_series",
	"metrics_generator_collection_interval", "metrics_generator_disable_collection",
	"metrics_generator_forwarder_queue_size", "metrics_generator_forwarder_workers",
	"metrics_generator_processor_service_graphs_histogram_buckets",
	"metrics_generator_processor_service_graphs_dimensions",
	"metrics_generator_processor_span_metrics_histogram_buckets",
	"metrics_generator_processor_span_metrics_dimensions", "max_bytes_per_tag_values_query",
	"max_search_duration", "per_tenant_override_config", "per_tenant_override_period",
};

static void table_free(ov_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].tenant);
	free(t->v);
	free(t);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const ov_entry *)a)->tenant, ((const ov_entry *)b)->tenant);
}

typedef struct parse_ctx {
	yaml_document_t *doc;
	const char *name;
} parse_ctx;

static int parse_limits(ov_limits *out, const parse_ctx *pc, const char *tenant_raw,
			yaml_node_t *map)
{
	char tenant[4 * 128 + 1]; /* as messages show it */
	const char *why;

	memset(out, 0, sizeof(*out));
	tc_utf8_escape(tenant, sizeof(tenant), tenant_raw, 128);
	if (map->type != YAML_MAPPING_NODE) {
		tc_error_set("%s:%lu: overrides.%s: want a mapping, got %s", pc->name,
			     tc_cfgyaml_line(map), tenant, tc_cfgyaml_kind(map));
		return TC_EINVALID;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(pc->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(pc->doc, p->value);
		const char *ks = tc_cfgyaml_scalar(k), *vs = tc_cfgyaml_scalar(v);
		int known = 0;

		if (!ks) {
			tc_error_set("%s:%lu: overrides.%s: keys must be plain names", pc->name,
				     tc_cfgyaml_line(k), tenant);
			return TC_EINVALID;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *qk = yaml_document_get_node(pc->doc, q->key);
			const char *qs = tc_cfgyaml_scalar(qk);
			if (qs && !strcmp(qs, ks)) {
				tc_error_set("%s:%lu: overrides.%s.%s: already set at line %lu",
					     pc->name, tc_cfgyaml_line(k), tenant,
					     tc_utf8_printable(ks, 128),
					     tc_cfgyaml_line(qk));
				return TC_EINVALID;
			}
		}
		if (!strcmp(ks, "block_retention") || !strcmp(ks, "max_bytes_per_trace")) {
			int error;

			if (tc_cfgyaml_is_null(v))
				continue; /* null is Go's zero value, which 0 already is */
			if (!vs) {
				tc_error_set("%s:%lu: overrides.%s.%s: want a single value, got %s",
					     pc->name, tc_cfgyaml_line(v), tenant, ks,
					     tc_cfgyaml_kind(v));
				return TC_EINVALID;
			}
			if (ks[0] == 'b')
				error = tc_cfgyaml_parse_duration(&out->block_retention_ns, vs, &why);
			else
				error = tc_cfgyaml_parse_uint(&out->max_bytes_per_trace, vs, &why);
			if (error < 0) {
				tc_error_set("%s:%lu: overrides.%s.%s: %s, got \"%s\"", pc->name,
					     tc_cfgyaml_line(v), tenant, ks, why,
					     tc_utf8_printable(vs, 64));
				return TC_EINVALID;
			}
			continue;
		}
		for (size_t i = 0; i < sizeof(tempo_limits) / sizeof(tempo_limits[0]); i++)
			known |= !strcmp(ks, tempo_limits[i]);
		if (!known) {
			tc_error_set("%s:%lu: overrides.%s.%s: unknown key", pc->name,
				     tc_cfgyaml_line(k), tenant, tc_utf8_printable(ks, 128));
			return TC_EINVALID;
		}
	}
	return TC_OK;
}

typedef struct ov_key {
	const char *name;
	size_t idx;
} ov_key;

static int key_cmp(const void *a, const void *b)
{
	const ov_key *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * For each pair of the tenant map, the index of the first earlier pair with
 * the same tenant name, or SIZE_MAX. Sorted, not pair by pair: a file of
 * 100,000 tenants would cost billions of comparisons (minutes) the naive way,
 * every reload period.
 */
static int find_repeats(size_t *first, const parse_ctx *pc, yaml_node_t *map, size_t n)
{
	ov_key *keys = n ? calloc(n, sizeof(*keys)) : NULL;
	size_t m = 0;

	if (n && !keys) {
		tc_error_set("%s: out of memory", pc->name);
		return TC_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = tc_cfgyaml_scalar(
			yaml_document_get_node(pc->doc, map->data.mapping.pairs.start[i].key));

		first[i] = SIZE_MAX;
		if (name)
			keys[m++] = (ov_key){ name, i };
	}
	if (m)
		qsort(keys, m, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < m; i++) {
		size_t g = i - 1;

		while (i < m && !strcmp(keys[i].name, keys[g].name))
			first[keys[i++].idx] = keys[g].idx;
	}
	free(keys);
	return TC_OK;
}

static int parse_tenants(ov_table *t, const parse_ctx *pc, yaml_node_t *map)
{
	size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	size_t *first = NULL;
	int error = TC_OK;

	if (n && (!(t->v = calloc(n, sizeof(*t->v))) || !(first = calloc(n, sizeof(*first))))) {
		tc_error_set("%s: out of memory", pc->name);
		return TC_ERROR;
	}
	if ((error = find_repeats(first, pc, map, n)) < 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		yaml_node_pair_t *p = &map->data.mapping.pairs.start[i];
		yaml_node_t *k = yaml_document_get_node(pc->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(pc->doc, p->value);
		const char *tenant = tc_cfgyaml_scalar(k);
		ov_entry *e;

		if (!tenant || !*tenant) {
			tc_error_set("%s:%lu: overrides: tenant names must be non-empty strings",
				     pc->name, tc_cfgyaml_line(k));
			error = TC_EINVALID;
			goto cleanup;
		}
		if (first[i] != SIZE_MAX) {
			yaml_node_t *qk = yaml_document_get_node(
				pc->doc, map->data.mapping.pairs.start[first[i]].key);
			tc_error_set("%s:%lu: overrides.%s: tenant already listed at line %lu",
				     pc->name, tc_cfgyaml_line(k), tc_utf8_printable(tenant, 128),
				     tc_cfgyaml_line(qk));
			error = TC_EINVALID;
			goto cleanup;
		}
		/* Tempo treats a tenant with no limits (null) as not listed. */
		if (tc_cfgyaml_is_null(v))
			continue;
		e = &t->v[t->n];
		if ((error = parse_limits(&e->l, pc, tenant, v)) < 0)
			goto cleanup;
		if (!(e->tenant = strdup(tenant))) {
			tc_error_set("%s: out of memory", pc->name);
			error = TC_ERROR;
			goto cleanup;
		}
		t->n++;
	}
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), entry_cmp);
cleanup:
	free(first);
	return error;
}

/* Parses a whole overrides file into a new table. */
static int table_parse(ov_table **out, const char *yaml, size_t len, const char *path)
{
	char name[TC_CFGYAML_NAME_SIZE];
	yaml_document_t doc;
	parse_ctx pc = { &doc, name };
	ov_table *t;
	yaml_node_t *root, *tenants = NULL;
	int has_root, error = TC_OK;

	*out = NULL;
	tc_cfgyaml_shown_name(name, path);
	if ((error = tc_cfgyaml_load(&doc, &has_root, yaml, len, name)) < 0)
		return error;
	if (!(t = calloc(1, sizeof(*t)))) {
		yaml_document_delete(&doc);
		tc_error_set("%s: out of memory", name);
		return TC_ERROR;
	}
	root = yaml_document_get_root_node(&doc);
	/*
	 * Like Tempo, an empty file is an error: it is most likely a file
	 * caught mid-write, and keeping the last good table is the safe side.
	 */
	if (!root || tc_cfgyaml_is_null(root)) {
		tc_error_set("%s:1: overrides file is empty (want \"overrides:\" with a tenant map)",
			     name);
		error = TC_EINVALID;
		goto cleanup;
	}
	if (root->type != YAML_MAPPING_NODE) {
		tc_error_set("%s:%lu: want a mapping with the key \"overrides\", got %s", name,
			     tc_cfgyaml_line(root), tc_cfgyaml_kind(root));
		error = TC_EINVALID;
		goto cleanup;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		const char *ks = tc_cfgyaml_scalar(k);

		if (!ks || strcmp(ks, "overrides") != 0) {
			tc_error_set("%s:%lu: %s: unknown key (the tenants go under \"overrides:\")",
				     name, tc_cfgyaml_line(k),
				     ks ? tc_utf8_printable(ks, 128) : "(non-string key)");
			error = TC_EINVALID;
			goto cleanup;
		}
		if (tenants) {
			tc_error_set("%s:%lu: overrides: already set at line %lu", name,
				     tc_cfgyaml_line(k), tc_cfgyaml_line(tenants));
			error = TC_EINVALID;
			goto cleanup;
		}
		tenants = yaml_document_get_node(&doc, p->value);
		if (tc_cfgyaml_is_null(tenants))
			continue;
		if (tenants->type != YAML_MAPPING_NODE) {
			tc_error_set("%s:%lu: overrides: want a mapping of tenants, got %s", name,
				     tc_cfgyaml_line(tenants), tc_cfgyaml_kind(tenants));
			error = TC_EINVALID;
			goto cleanup;
		}
		if ((error = parse_tenants(t, &pc, tenants)) < 0)
			goto cleanup;
	}
cleanup:
	yaml_document_delete(&doc);
	if (error < 0)
		table_free(t);
	else
		*out = t;
	return error;
}

static int table_load_file(ov_table **out, const char *path)
{
	tc_buf b;
	int error;

	*out = NULL;
	if ((error = tc_cfgyaml_read_file(&b, path)) < 0)
		return error;
	error = table_parse(out, (const char *)b.ptr, b.len, path);
	tc_buf_dispose(&b);
	return error;
}

int tc_overrides_check(const char *yaml, size_t len, const char *name)
{
	ov_table *t;
	int error = table_parse(&t, yaml, len, name);

	table_free(t);
	return error;
}

int tc_overrides_new(tc_overrides **out, const tc_config *cfg)
{
	tc_overrides *o;
	const char *path = cfg->overrides.per_tenant_override_config;
	int error;

	*out = NULL;
	if (!(o = calloc(1, sizeof(*o)))) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	o->defaults.block_retention_ns = cfg->overrides.block_retention_ns;
	o->defaults.max_bytes_per_trace = cfg->overrides.max_bytes_per_trace;
	o->compactor_retention_ns = cfg->compactor.compaction.block_retention_ns;
	/*
	 * glibc's rwlock prefers readers by default: with compaction workers
	 * reading limits all the time, a reload could wait indefinitely.
	 */
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	int lrc = pthread_rwlock_init(&o->lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	if (lrc != 0) {
		free(o);
		tc_error_set("overrides: cannot create lock");
		return TC_ERROR;
	}
	if (pthread_mutex_init(&o->reload_mu, NULL) != 0) {
		pthread_rwlock_destroy(&o->lock);
		free(o);
		tc_error_set("overrides: cannot create lock");
		return TC_ERROR;
	}
	if (path && *path && !(o->path = strdup(path))) {
		tc_overrides_free(o);
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	if (o->path && (error = tc_overrides_reload(o)) < 0) {
		tc_overrides_free(o);
		return error;
	}
	*out = o;
	return TC_OK;
}

int tc_overrides_reload(tc_overrides *o)
{
	ov_table *t, *old;
	int error;

	if (!o->path)
		return TC_OK;
	pthread_mutex_lock(&o->reload_mu);
	if ((error = table_load_file(&t, o->path)) >= 0) {
		pthread_rwlock_wrlock(&o->lock);
		old = o->table;
		o->table = t;
		o->generation++;
		pthread_rwlock_unlock(&o->lock);
		table_free(old);
	}
	pthread_mutex_unlock(&o->reload_mu);
	return error;
}

/* Tempo's getOverridesForUser: the tenant's entry, else "*", else defaults. */
static ov_limits lookup_from(tc_overrides *o, const char *tenant, tc_overrides_source *from)
{
	ov_limits l = o->defaults;
	ov_entry key, *e = NULL;

	*from = TC_OVERRIDES_FROM_DEFAULTS;
	pthread_rwlock_rdlock(&o->lock);
	if (o->table && o->table->n) {
		key.tenant = (char *)(tenant ? tenant : "");
		e = bsearch(&key, o->table->v, o->table->n, sizeof(*e), entry_cmp);
		if (e) {
			*from = TC_OVERRIDES_FROM_TENANT;
		} else {
			key.tenant = "*";
			e = bsearch(&key, o->table->v, o->table->n, sizeof(*e), entry_cmp);
			if (e)
				*from = TC_OVERRIDES_FROM_WILDCARD;
		}
		if (e)
			l = e->l;
	}
	pthread_rwlock_unlock(&o->lock);
	return l;
}

static ov_limits lookup(tc_overrides *o, const char *tenant)
{
	tc_overrides_source from;

	return lookup_from(o, tenant, &from);
}

int64_t tc_overrides_block_retention_from(tc_overrides *o, const char *tenant, tc_overrides_source *from)
{
	ov_limits l = lookup_from(o, tenant, from);

	if (l.block_retention_ns)
		return l.block_retention_ns;
	*from = TC_OVERRIDES_FROM_COMPACTOR;
	return o->compactor_retention_ns;
}

int64_t tc_overrides_block_retention_ns(tc_overrides *o, const char *tenant)
{
	tc_overrides_source from;

	return tc_overrides_block_retention_from(o, tenant, &from);
}

int tc_overrides_entries(tc_strlist *out, tc_overrides *o)
{
	int rc = TC_OK;

	pthread_rwlock_rdlock(&o->lock);
	for (size_t i = 0; o->table && i < o->table->n && rc == TC_OK; i++)
		rc = tc_strlist_add(out, o->table->v[i].tenant);
	pthread_rwlock_unlock(&o->lock);
	return rc;
}

uint64_t tc_overrides_max_bytes_per_trace(tc_overrides *o, const char *tenant)
{
	return lookup(o, tenant).max_bytes_per_trace;
}

uint64_t tc_overrides_generation(tc_overrides *o)
{
	uint64_t g;

	pthread_rwlock_rdlock(&o->lock);
	g = o->generation;
	pthread_rwlock_unlock(&o->lock);
	return g;
}

void tc_overrides_free(tc_overrides *o)
{
	if (!o)
		return;
	table_free(o->table);
	free(o->path);
	pthread_mutex_destroy(&o->reload_mu);
	pthread_rwlock_destroy(&o->lock);
	free(o);
}
