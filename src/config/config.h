/*
 * The service configuration: YAML in Tempo's shape. Parsing is driven by one
 * table of rows (key path, type, default, offset, doc) in config.c, which
 * also rejects unknown keys, wrong types and impossible values with an error
 * naming the key and its line.
 */
#ifndef TC_CONFIG_H
#define TC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "encoding/block_writer.h"
#include "src/util/buf.h"
#include "src/util/strlist.h"

typedef struct tc_compaction_config {
	int64_t compaction_cycle_ns;          /* 30s */
	int64_t compaction_window_ns;         /* 1h */
	uint64_t max_compaction_objects;      /* 6000000 */
	uint64_t max_block_bytes;             /* 100 GiB */
	int64_t block_retention_ns;           /* 336h */
	int64_t compacted_block_retention_ns; /* 1h */
	int64_t partial_block_grace_ns;       /* 1h: age before a block without meta is removed */
	uint32_t retention_concurrency;       /* 10 */
	int64_t max_time_per_tenant_ns;       /* 5m */
	uint64_t chunk_size_bytes;            /* 5 MiB; alias v2_in_buffer_bytes */
	uint64_t flush_size_bytes;            /* 20 MiB; alias v2_out_buffer_bytes */
	uint32_t iterator_buffer_size;        /* 1000; alias v2_prefetch_traces_count */
	uint32_t concurrency;                 /* 1: jobs run at once (ours, not Tempo's) */
} tc_compaction_config;

/*
 * compactor.ring: Tempo 1.5's RingConfig (modules/compactor/compactor_ring.go)
 * with dskit's kv.Config and etcd.Config inside. No store means no ring: this
 * replica owns every job, as a single compactor does.
 */
typedef struct tc_ring_config {
	char *store;  /* kvstore.store: NULL (no ring) or "etcd" */
	char *prefix; /* kvstore.prefix: "collectors/" */
	struct {
		tc_strlist endpoints;
		int64_t dial_timeout_ns; /* 10s */
		uint32_t max_retries;    /* 10 */
		char *username;
		char *password;          /* never logged; redacted in /config */
		int tls_enabled;
		char *tls_cert_path;
		char *tls_key_path;
		char *tls_ca_path;
		int tls_insecure_skip_verify;
	} etcd;
	int64_t heartbeat_period_ns;             /* 5s */
	int64_t heartbeat_timeout_ns;            /* 1m */
	int64_t wait_stability_min_duration_ns;  /* 1m; 0 = do not wait */
	int64_t wait_stability_max_duration_ns;  /* 5m */
	char *instance_id;                       /* the hostname, resolved at load */
	char *instance_addr;                     /* NULL: from instance_interface_names at start */
	uint32_t instance_port;                  /* 0, as Tempo 1.5 */
	tc_strlist instance_interface_names;     /* eth0, en0 */
	int64_t wait_active_instance_timeout_ns; /* 10m */
} tc_ring_config;

typedef struct tc_s3_config {
	char *bucket;
	char *prefix;
	char *endpoint;
	char *region;
	char *access_key;
	char *secret_key;    /* never logged; redacted in /config */
	char *session_token; /* likewise */
	int insecure;
	int insecure_skip_verify;
	int forcepathstyle;
	uint64_t part_size;   /* 0 = 16 MiB */
	uint32_t max_retries; /* 5 */
	uint32_t max_list_pages; /* 100000 */
} tc_s3_config;

typedef struct tc_azure_config {
	char *container_name;
	char *storage_account_name;  /* empty: AZURE_STORAGE_ACCOUNT */
	char *storage_account_key;   /* empty: AZURE_STORAGE_KEY; never logged; redacted in /config */
	char *endpoint_suffix;       /* "blob.core.windows.net" */
	uint64_t buffer_size;        /* 3 MiB: bytes per Put Block */
	int use_managed_identity;    /* refused at start: not supported */
	char *user_assigned_id;      /* likewise */
} tc_azure_config;

/* storage.trace.gcs: Tempo 1.5's gcs.Config (hedging accepted and ignored). */
typedef struct tc_gcs_config {
	char *bucket_name;
	uint64_t chunk_buffer_size; /* 10 MiB */
	char *endpoint;             /* NULL: https://storage.googleapis.com/storage/v1/ */
	int insecure;               /* no authentication, no TLS verification (as Tempo) */
	char *object_cache_control;
	tc_strlist object_metadata; /* name, value, name, value, ... */
	uint32_t max_retries;       /* 5 (not a Tempo key) */
} tc_gcs_config;

/*
 * Where the file set what: for messages that name a key after loading
 * (tc_config_validate), and the Tempo keys the file had that we accept and
 * ignore (logged at debug level once the log level is known).
 */
typedef struct tc_config_source {
	tc_strlist keys;         /* row keys the file set (canonical names) */
	tc_strlist at;           /* "file:line" of each */
	tc_strlist ignored_keys; /* Tempo keys accepted but not acted on */
	tc_strlist ignored_at;   /* "file:line" of each */
} tc_config_source;

typedef struct tc_config {
	char *target; /* "all", "compactor" or "scalable-single-binary": all run the compactor */
	struct {
		char *http_listen_address;          /* "0.0.0.0" */
		uint32_t http_listen_port;          /* 3200 */
		uint32_t http_listen_conn_limit;    /* 512 */
		uint32_t http_listen_conn_limit_per_ip; /* 32; 0 = none */
		int64_t graceful_shutdown_timeout_ns; /* 30s */
		int64_t http_server_read_timeout_ns;  /* 30s; 0 = none */
		int64_t http_server_write_timeout_ns; /* 30s; 0 = none */
		int64_t http_server_idle_timeout_ns;  /* 2m; 0 = none */
		char *log_level;                    /* "info" */
	} server;
	struct {
		tc_compaction_config compaction;
		tc_ring_config ring;
		char *override_ring_key; /* "compactor": the ring's etcd key is prefix + this */
	} compactor;
	struct {
		char *backend;                       /* "local" | "s3" | "azure" | "gcs" */
		char *local_path;                    /* storage.trace.local.path */
		int local_create;                    /* storage.trace.local.create */
		int64_t blocklist_poll_ns;           /* 5m */
		uint32_t blocklist_poll_concurrency; /* 50 */
		uint32_t blocklist_poll_tenant_index_builders; /* 2 */
		uint32_t blocklist_poll_full_every;  /* 12: ours (docs/COMPACTOR.md#incremental-polling) */
		tc_block_config block;
		tc_s3_config s3;
		tc_azure_config azure;
		tc_gcs_config gcs;
	} storage;
	struct {
		/* Defaults for every tenant; per-tenant values come from the file. */
		int64_t block_retention_ns;     /* 0 = compactor's block_retention */
		uint64_t max_bytes_per_trace;   /* 5000000; 0 = unlimited */
		char *per_tenant_override_config; /* path or NULL */
		int64_t per_tenant_override_period_ns; /* 10s */
	} overrides;
	tc_config_source src;
} tc_config;

/* Fills every field with its default (Tempo's where Tempo has one). */
int tc_config_default(tc_config *out);
/*
 * Defaults, then the YAML file on top. Messages name path, key and line;
 * every faulty key is reported (one line each, the first few), not only
 * the first. Keys of Tempo 1.5's other modules and sections are accepted
 * and listed in out->src.ignored_*; keys Tempo 1.5 would refuse are refused.
 */
int tc_config_load_file(tc_config *out, const char *path);
/* Bits of tc_config_load_file_ex's flags. */
enum { TC_CONFIG_EXPAND_ENV = 1 };
/*
 * With TC_CONFIG_EXPAND_ENV, ${VAR} and ${VAR:-default} in the file's text
 * are replaced from the environment first, as Tempo's -config.expand-env
 * does (src/config/envsubst.h).
 */
int tc_config_load_file_ex(tc_config *out, const char *path, unsigned flags);
/* Same from memory; `name` stands for the file in messages. */
int tc_config_load_string(tc_config *out, const char *yaml, size_t len, const char *name);
/* "file:line" where the file set key (a row's dotted name), or NULL. */
const char *tc_config_where(const tc_config *c, const char *key);
/*
 * Sets one key by its dotted path from a string, as a command-line flag
 * would ("storage.trace.local.path", "/data"). Unknown key: TC_EINVALID.
 */
int tc_config_set(tc_config *c, const char *key, const char *value);
/*
 * The checks that span several keys, run once the file and the flags are
 * applied (serve start, -config.verify): a ring needs endpoints, an instance
 * ID and a heartbeat_timeout longer than heartbeat_period. TC_EINVALID naming
 * the keys, and the file and line that set them.
 */
int tc_config_validate(const tc_config *c);
/*
 * Appends the effective config as YAML, every key in table order; with
 * redact set, secrets are written as "<redacted>".
 */
int tc_config_write_yaml(tc_buf *out, const tc_config *c, int redact);
void tc_config_dispose(tc_config *c);

#endif
