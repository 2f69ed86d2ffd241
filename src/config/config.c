/*
 * The config's row table (key, type, default, field, doc, limits) and
 * setting, defaults and cross-key checks; loading a file is
 * config_load.c, writing it back config_write.c.
 */
#include "src/config/config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encoding/codec.h"
#include "src/util/error.h"
#include "src/util/timeutil.h"
#include "src/util/utf8.h"
#include "src/config/config_impl.h"
#include "src/config/yamlnode.h"

#define SEC ((uint64_t)1000000000)
#define F(field) offsetof(tc_config, field)
/* Designated initializers, so rows name only the limits and flags they use. */
#define ROW(k, t, d, o, doc_, ...) { .key = k, .type = t, .def = d, .off = o, .doc = doc_, __VA_ARGS__ }

/* The order here is the order of tc_config_write_yaml. */
static const cfg_row rows[] = {
	ROW("target", CT_STRING, "all", F(target),
	  "Tempo's module to run; every accepted value runs the compactor (the other modules' "
	  "sections are accepted and ignored).",
	  .choices = "all|compactor|scalable-single-binary", .flags = CF_UNSUPPORTED),
	ROW("server.http_listen_address", CT_STRING, "0.0.0.0", F(server.http_listen_address),
	  "Address the HTTP server (metrics, /config, /ready) listens on; empty means 0.0.0.0 "
	  "(every address, as in Tempo).", .flags = CF_ZERO_IS_DEFAULT),
	ROW("server.http_listen_port", CT_U32, "3200", F(server.http_listen_port),
	  "HTTP port; 0 picks a free one.", .max = 65535),
	ROW("server.http_listen_conn_limit", CT_U32, "512", F(server.http_listen_conn_limit),
	  "Most HTTP connections at once; a new one beyond it closes the one that has waited "
	  "longest for its request. 0 means 512 (Tempo: no limit; here each connection is a thread).",
	  .max = 65535, .flags = CF_ZERO_IS_DEFAULT),
	ROW("server.http_listen_conn_limit_per_ip", CT_U32, "32",
	  F(server.http_listen_conn_limit_per_ip),
	  "Most HTTP connections from one client address; more are closed at once. 0: no limit "
	  "(not a Tempo key)."),
	ROW("server.graceful_shutdown_timeout", CT_DURATION, "30s",
	  F(server.graceful_shutdown_timeout_ns),
	  "How long a shutdown waits for the running compaction job."),
	ROW("server.http_server_read_timeout", CT_DURATION, "30s",
	  F(server.http_server_read_timeout_ns),
	  "An HTTP request, header and body, must arrive within this long of the connection's "
	  "accept, however slowly it trickles in; else the connection is closed. 0: no limit."),
	ROW("server.http_server_write_timeout", CT_DURATION, "30s",
	  F(server.http_server_write_timeout_ns),
	  "An HTTP request must be answered (handled and its response sent) within this long of "
	  "its arrival; else the connection is closed. 0: no limit."),
	ROW("server.http_server_idle_timeout", CT_DURATION, "2m",
	  F(server.http_server_idle_timeout_ns),
	  "An HTTP connection with no traffic either way for this long is closed (whole seconds, "
	  "rounded up). 0: no limit."),
	ROW("server.log_level", CT_STRING, "info", F(server.log_level),
	  "debug, info, warn or error.", .choices = "debug|info|warn|warning|error"),

	ROW("compactor.compaction.compaction_cycle", CT_DURATION, "30s",
	  F(compactor.compaction.compaction_cycle_ns),
	  "Period of the compaction loop (one tenant per cycle).", .min = 1),
	ROW("compactor.compaction.compaction_window", CT_DURATION, "1h",
	  F(compactor.compaction.compaction_window_ns),
	  "Width of the time windows blocks are grouped in (whole seconds).", .min = SEC),
	ROW("compactor.compaction.max_compaction_objects", CT_U64, "6000000",
	  F(compactor.compaction.max_compaction_objects),
	  "Most objects (traces) in one compacted block.", .min = 1),
	ROW("compactor.compaction.max_block_bytes", CT_U64, "107374182400",
	  F(compactor.compaction.max_block_bytes), "Largest compacted block (100 GiB).", .min = 1),
	ROW("compactor.compaction.block_retention", CT_DURATION, "336h",
	  F(compactor.compaction.block_retention_ns),
	  "Blocks whose end time is older than this are deleted (per-tenant overrides win).",
	  .min = 1),
	ROW("compactor.compaction.compacted_block_retention", CT_DURATION, "1h",
	  F(compactor.compaction.compacted_block_retention_ns),
	  "How long compacted (replaced) blocks are kept before deletion."),
	ROW("compactor.compaction.partial_block_grace", CT_DURATION, "1h",
	  F(compactor.compaction.partial_block_grace_ns),
	  "Block directories without meta.json untouched for this long are removed "
	  "(leftovers of a crashed writer); keep it above your longest ingester flush.",
	  .min = SEC),
	ROW("compactor.compaction.retention_concurrency", CT_U32, "10",
	  F(compactor.compaction.retention_concurrency),
	  "Tenants processed in parallel by retention; 0 means 10.",
	  .flags = CF_ZERO_IS_DEFAULT),
	ROW("compactor.compaction.max_time_per_tenant", CT_DURATION, "5m",
	  F(compactor.compaction.max_time_per_tenant_ns),
	  "Stop working on a tenant after this long (checked after each job)."),
	ROW("compactor.compaction.chunk_size_bytes", CT_U64, "5242880",
	  F(compactor.compaction.chunk_size_bytes),
	  "Input read size (alias v2_in_buffer_bytes).", .min = 1, .max = UINT32_MAX),
	ROW("compactor.compaction.flush_size_bytes", CT_U64, "20971520",
	  F(compactor.compaction.flush_size_bytes),
	  "Output buffered before appending to the data object (alias v2_out_buffer_bytes).",
	  .min = 1, .max = UINT32_MAX),
	ROW("compactor.compaction.iterator_buffer_size", CT_U32, "1000",
	  F(compactor.compaction.iterator_buffer_size),
	  "Accepted for Tempo configs (alias v2_prefetch_traces_count); no effect: the merge streams one object at a time.",
	  .min = 1, .max = INT32_MAX),
	ROW("compactor.compaction.concurrency", CT_U32, "1", F(compactor.compaction.concurrency),
	  "Compaction jobs run at once, from different tenants where possible (not a Tempo key).",
	  .min = 1, .max = 64),

	/*
	 * The ring: Tempo 1.5's compactor RingConfig with dskit's kv.Config. Its
	 * consul and multi sections are accepted and ignored, so a Tempo config
	 * loads; only the etcd store is supported.
	 */
	ROW("compactor.ring.kvstore.store", CT_STRING, "", F(compactor.ring.store),
	  "Where the ring lives: empty for no ring (this replica does every job), or etcd.",
	  .choices = "|etcd", .flags = CF_UNSUPPORTED),
	ROW("compactor.ring.kvstore.prefix", CT_STRING, "collectors/", F(compactor.ring.prefix),
	  "Prefix of the ring's keys in the store."),
	ROW("compactor.ring.kvstore.consul.host", CT_STRING, "localhost:8500", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED),
	ROW("compactor.ring.kvstore.consul.acl_token", CT_STRING, "", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED | CF_SECRET),
	ROW("compactor.ring.kvstore.consul.http_client_timeout", CT_DURATION, "20s", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED),
	ROW("compactor.ring.kvstore.consul.consistent_reads", CT_BOOL, "false", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED),
	ROW("compactor.ring.kvstore.consul.watch_rate_limit", CT_FLOAT, "1", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED),
	ROW("compactor.ring.kvstore.consul.watch_burst_size", CT_U32, "1", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED),
	ROW("compactor.ring.kvstore.consul.cas_retry_delay", CT_DURATION, "1s", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED),
	ROW("compactor.ring.kvstore.etcd.endpoints", CT_LIST, "", F(compactor.ring.etcd.endpoints),
	  "etcd client URLs or host:port, tried in turn."),
	ROW("compactor.ring.kvstore.etcd.dial_timeout", CT_DURATION, "10s",
	  F(compactor.ring.etcd.dial_timeout_ns), "Connect timeout of one etcd request.", .min = 1),
	ROW("compactor.ring.kvstore.etcd.max_retries", CT_U32, "10", F(compactor.ring.etcd.max_retries),
	  "Retries of a failed etcd operation, compare-and-swap conflicts included."),
	ROW("compactor.ring.kvstore.etcd.tls_enabled", CT_BOOL, "false",
	  F(compactor.ring.etcd.tls_enabled), "Talk to etcd over TLS."),
	ROW("compactor.ring.kvstore.etcd.tls_cert_path", CT_STRING, "",
	  F(compactor.ring.etcd.tls_cert_path), "Client certificate (PEM)."),
	ROW("compactor.ring.kvstore.etcd.tls_key_path", CT_STRING, "",
	  F(compactor.ring.etcd.tls_key_path), "Key of the client certificate (PEM)."),
	ROW("compactor.ring.kvstore.etcd.tls_ca_path", CT_STRING, "",
	  F(compactor.ring.etcd.tls_ca_path), "CA bundle to verify etcd with; empty: the system's."),
	ROW("compactor.ring.kvstore.etcd.tls_server_name", CT_STRING, "", 0,
	  "Accepted for Tempo configs; ignored: the endpoint's host name is verified.",
	  .flags = CF_IGNORED),
	ROW("compactor.ring.kvstore.etcd.tls_insecure_skip_verify", CT_BOOL, "false",
	  F(compactor.ring.etcd.tls_insecure_skip_verify), "Do not verify etcd's certificate."),
	ROW("compactor.ring.kvstore.etcd.username", CT_STRING, "", F(compactor.ring.etcd.username),
	  "etcd user; empty: no authentication."),
	ROW("compactor.ring.kvstore.etcd.password", CT_STRING, "", F(compactor.ring.etcd.password),
	  "Password of the etcd user.", .flags = CF_SECRET),
	ROW("compactor.ring.kvstore.multi.primary", CT_STRING, "", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED),
	ROW("compactor.ring.kvstore.multi.secondary", CT_STRING, "", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED),
	ROW("compactor.ring.kvstore.multi.mirror_enabled", CT_BOOL, "false", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED),
	ROW("compactor.ring.kvstore.multi.mirror_timeout", CT_DURATION, "2s", 0,
	  "Accepted for Tempo configs; ignored.", .flags = CF_IGNORED),
	ROW("compactor.ring.heartbeat_period", CT_DURATION, "5s", F(compactor.ring.heartbeat_period_ns),
	  "How often this replica rewrites its heartbeat in the ring.", .min = SEC),
	ROW("compactor.ring.heartbeat_timeout", CT_DURATION, "1m",
	  F(compactor.ring.heartbeat_timeout_ns),
	  "A replica whose heartbeat is older is unhealthy; after twice this it is forgotten.",
	  .min = SEC),
	ROW("compactor.ring.wait_stability_min_duration", CT_DURATION, "1m",
	  F(compactor.ring.wait_stability_min_duration_ns),
	  "At start, how long the ring must stay unchanged before compacting; 0: do not wait."),
	ROW("compactor.ring.wait_stability_max_duration", CT_DURATION, "5m",
	  F(compactor.ring.wait_stability_max_duration_ns),
	  "At start, the longest wait for a stable ring; then compaction starts anyway."),
	ROW("compactor.ring.instance_id", CT_STRING, "", F(compactor.ring.instance_id),
	  "This replica's name in the ring; default: the host name.", .flags = CF_HOSTNAME),
	ROW("compactor.ring.instance_interface_names", CT_LIST, "eth0,en0",
	  F(compactor.ring.instance_interface_names),
	  "Interfaces whose first IPv4 address is used when instance_addr is empty."),
	ROW("compactor.ring.instance_port", CT_U32, "0", F(compactor.ring.instance_port),
	  "Port advertised in the ring (with instance_addr); it only identifies the replica.",
	  .max = 65535),
	ROW("compactor.ring.instance_addr", CT_STRING, "", F(compactor.ring.instance_addr),
	  "Address advertised in the ring; empty: from instance_interface_names."),
	ROW("compactor.ring.wait_active_instance_timeout", CT_DURATION, "10m",
	  F(compactor.ring.wait_active_instance_timeout_ns),
	  "At start, the longest wait to see this replica ACTIVE in the ring.", .min = 1),
	ROW("compactor.override_ring_key", CT_STRING, "compactor", F(compactor.override_ring_key),
	  "Name of the ring's key under kvstore.prefix.", .flags = CF_NONEMPTY),

	ROW("storage.trace.backend", CT_STRING, "local", F(storage.backend),
	  "Where blocks live: local, s3, azure or gcs; empty means local.",
	  .choices = "local|s3|gcs|azure", .flags = CF_ZERO_IS_DEFAULT),
	ROW("storage.trace.blocklist_poll", CT_DURATION, "5m", F(storage.blocklist_poll_ns),
	  "Period of the blocklist poll and of retention; 0 means 5m.",
	  .flags = CF_ZERO_IS_DEFAULT),
	ROW("storage.trace.blocklist_poll_concurrency", CT_U32, "50",
	  F(storage.blocklist_poll_concurrency), "Parallel meta.json reads per tenant.",
	  .min = 1),
	ROW("storage.trace.blocklist_poll_full_every", CT_U32, "12", F(storage.blocklist_poll_full_every),
	  "Ours, not Tempo's: every Nth blocklist poll re-reads every block's meta to heal what an "
	  "incremental poll cannot see (a meta rewritten in place); 1 re-reads on every poll, as "
	  "Tempo does.", .min = 1),
	ROW("storage.trace.blocklist_poll_tenant_index_builders", CT_U32, "2",
	  F(storage.blocklist_poll_tenant_index_builders),
	  "With a ring, how many replicas write each tenant's index; 0 means 2.", .max = 1000,
	  .flags = CF_ZERO_IS_DEFAULT),
	ROW("storage.trace.local.path", CT_STRING, "", F(storage.local_path),
	  "Directory of the local backend."),
	ROW("storage.trace.local.create", CT_BOOL, "false", F(storage.local_create),
	  "Create the local path (and its parents) when it does not exist, for a first start; "
	  "off, a path that does not exist stops the start, so a typo never becomes a new, "
	  "empty bucket."),
	ROW("storage.trace.block.version", CT_STRING, "v2", 0,
	  "Block format; only v2 is written.", .choices = "v2", .flags = CF_NOSTORE),
	ROW("storage.trace.block.encoding", CT_ENCODING, "zstd", F(storage.block.encoding),
	  "Page compression of compacted blocks: none, gzip, lz4-64k, lz4-256k, lz4-1M, lz4, "
	  "snappy or zstd."),
	ROW("storage.trace.block.index_downsample_bytes", CT_U32, "1048576",
	  F(storage.block.index_downsample_bytes),
	  "Uncompressed bytes per data page (one index record each).", .min = 1,
	  .max = INT32_MAX),
	ROW("storage.trace.block.index_page_size_bytes", CT_U32, "256000",
	  F(storage.block.index_page_size_bytes),
	  "Size of one index page; must hold a 14-byte header and one 28-byte record.",
	  .min = 42, .max = INT32_MAX),
	ROW("storage.trace.block.bloom_filter_false_positive", CT_FLOAT, "0.01",
	  F(storage.block.bloom_fp), "Bloom filter false-positive rate, between 0 and 1.",
	  .flags = CF_OPEN01),
	ROW("storage.trace.block.bloom_filter_shard_size_bytes", CT_U32, "102400",
	  F(storage.block.bloom_shard_size_bytes), "Size of one bloom filter shard.", .min = 1,
	  .max = INT32_MAX),
	ROW("storage.trace.block.max_page_bytes", CT_U64, "1073741824",
	  F(storage.block.max_page_bytes),
	  "Most bytes one data page read may decompress to, whatever else allows (not a Tempo key).",
	  .min = 65536, .max = (uint64_t)1 << 40),
	ROW("storage.trace.block.max_page_ratio", CT_U32, "16", F(storage.block.max_page_ratio),
	  "A page larger than index_downsample_bytes + 1.25 x max_bytes_per_trace may still "
	  "decompress to this many bytes per byte it takes in the data file (not a Tempo key).",
	  .min = 1, .max = 1u << 20),

	ROW("storage.trace.s3.bucket", CT_STRING, "", F(storage.s3.bucket), "Bucket name."),
	ROW("storage.trace.s3.prefix", CT_STRING, "", F(storage.s3.prefix),
	  "Key prefix inside the bucket (not in Tempo 1.5; leave empty to share its bucket)."),
	ROW("storage.trace.s3.endpoint", CT_STRING, "", F(storage.s3.endpoint),
	  "host[:port], no scheme."),
	ROW("storage.trace.s3.region", CT_STRING, "", F(storage.s3.region),
	  "Signing region; empty means us-east-1."),
	ROW("storage.trace.s3.access_key", CT_STRING, "", F(storage.s3.access_key),
	  "Static access key id."),
	ROW("storage.trace.s3.secret_key", CT_STRING, "", F(storage.s3.secret_key),
	  "Static secret key.", .flags = CF_SECRET),
	ROW("storage.trace.s3.session_token", CT_STRING, "", F(storage.s3.session_token),
	  "Session token for temporary credentials.", .flags = CF_SECRET),
	ROW("storage.trace.s3.insecure", CT_BOOL, "false", F(storage.s3.insecure),
	  "Use http:// instead of https://."),
	ROW("storage.trace.s3.insecure_skip_verify", CT_BOOL, "false",
	  F(storage.s3.insecure_skip_verify), "Do not verify the TLS certificate."),
	ROW("storage.trace.s3.forcepathstyle", CT_BOOL, "false", F(storage.s3.forcepathstyle),
	  "Always use path-style URLs (https://endpoint/bucket/key)."),
	ROW("storage.trace.s3.part_size", CT_U64, "0", F(storage.s3.part_size),
	  "Multipart part size for whole-object writes; 0 means 16 MiB.",
	  .min = (uint64_t)5 << 20, .max = (uint64_t)5 << 30, .flags = CF_ZERO_OK),
	ROW("storage.trace.s3.max_retries", CT_U32, "5", F(storage.s3.max_retries),
	  "Retries of a failed request."),
	ROW("storage.trace.s3.max_list_pages", CT_U32, "100000", F(storage.s3.max_list_pages),
	  "Most pages (of up to 1000 names) one listing may take; a store still answering "
	  "IsTruncated=true after that many is refused (a tenant of a million blocks takes "
	  "1000). A repeated or empty continuation token is refused at once.", .min = 1),

	ROW("storage.trace.azure.container-name", CT_STRING, "", F(storage.azure.container_name),
	  "Container of the azure backend (Tempo 1.5's key)."),
	ROW("storage.trace.azure.storage-account-name", CT_STRING, "",
	  F(storage.azure.storage_account_name),
	  "Storage account; empty: the environment's AZURE_STORAGE_ACCOUNT."),
	ROW("storage.trace.azure.storage-account-key", CT_STRING, "",
	  F(storage.azure.storage_account_key),
	  "Shared Key of the account (base64); empty: the environment's AZURE_STORAGE_KEY.",
	  .flags = CF_SECRET),
	ROW("storage.trace.azure.endpoint-suffix", CT_STRING, "blob.core.windows.net",
	  F(storage.azure.endpoint_suffix),
	  "blob.core.* means https://<account>.<suffix>/<container>; anything else (an emulator's "
	  "host:port) http://<suffix>/<account>/<container>. Empty means blob.core.windows.net.",
	  .flags = CF_ZERO_IS_DEFAULT),
	ROW("storage.trace.azure.max-buffers", CT_U32, "4", 0,
	  "Accepted for Tempo configs; ignored: the blocks of an upload go one at a time.",
	  .flags = CF_IGNORED),
	ROW("storage.trace.azure.buffer-size", CT_U64, "3145728", F(storage.azure.buffer_size),
	  "Bytes per Put Block of a data file; smaller files are one Put Blob. 0 means 3 MiB.",
	  .max = (uint64_t)4000 << 20, .flags = CF_ZERO_IS_DEFAULT),
	ROW("storage.trace.azure.hedge-requests-at", CT_DURATION, "0", 0,
	  "Accepted for Tempo configs; ignored (no hedged requests).", .flags = CF_IGNORED),
	ROW("storage.trace.azure.hedge-requests-up-to", CT_U32, "2", 0,
	  "Accepted for Tempo configs; ignored (no hedged requests).", .flags = CF_IGNORED),
	ROW("storage.trace.azure.use-managed-identity", CT_BOOL, "false",
	  F(storage.azure.use_managed_identity),
	  "Managed identities are not supported: true stops the start; use a Shared Key."),
	ROW("storage.trace.azure.user-assigned-id", CT_STRING, "", F(storage.azure.user_assigned_id),
	  "User-assigned managed identities are not supported: a value stops the start."),

	ROW("storage.trace.gcs.bucket_name", CT_STRING, "", F(storage.gcs.bucket_name),
	  "Bucket name (the bucket holds tenants at its top level)."),
	ROW("storage.trace.gcs.chunk_buffer_size", CT_U64, "10485760",
	  F(storage.gcs.chunk_buffer_size),
	  "Bytes per resumable-upload chunk, rounded up to a multiple of 256 KiB; objects up to "
	  "this size go up in one request. 0 means 10 MiB.", .max = (uint64_t)1 << 30,
	  .flags = CF_ZERO_IS_DEFAULT),
	ROW("storage.trace.gcs.endpoint", CT_STRING, "", F(storage.gcs.endpoint),
	  "JSON API base URL; empty means https://storage.googleapis.com/storage/v1/. Without "
	  "GOOGLE_APPLICATION_CREDENTIALS requests to it are anonymous (an emulator)."),
	ROW("storage.trace.gcs.insecure", CT_BOOL, "false", F(storage.gcs.insecure),
	  "As Tempo: send no credentials and do not verify the TLS certificate."),
	ROW("storage.trace.gcs.object_cache_control", CT_STRING, "",
	  F(storage.gcs.object_cache_control), "Cache-Control of every object written."),
	ROW("storage.trace.gcs.object_metadata", CT_MAP, "", F(storage.gcs.object_metadata),
	  "Custom metadata (name: value) of every object written."),
	ROW("storage.trace.gcs.hedge_requests_at", CT_DURATION, "0", 0,
	  "Tempo's hedged reads: accepted and ignored (the compactor's reads are not latency "
	  "bound).", .flags = CF_IGNORED),
	ROW("storage.trace.gcs.hedge_requests_up_to", CT_U32, "2", 0,
	  "Accepted and ignored, as hedge_requests_at.", .flags = CF_IGNORED),
	ROW("storage.trace.gcs.max_retries", CT_U32, "5", F(storage.gcs.max_retries),
	  "Retries of a failed request (not a Tempo key)."),

	ROW("overrides.block_retention", CT_DURATION, "0", F(overrides.block_retention_ns),
	  "Default per-tenant block retention; 0 uses compactor.compaction.block_retention."),
	ROW("overrides.max_bytes_per_trace", CT_U64, "5000000", F(overrides.max_bytes_per_trace),
	  "Largest compacted trace: spans past it are discarded (in input order); 0 is unlimited."),
	ROW("overrides.per_tenant_override_config", CT_STRING, "",
	  F(overrides.per_tenant_override_config), "Per-tenant overrides file, or empty."),
	ROW("overrides.per_tenant_override_period", CT_DURATION, "10s",
	  F(overrides.per_tenant_override_period_ns), "How often the overrides file is re-read.",
	  .min = 1),
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

const cfg_row *tc_config_rows(size_t *n)
{
	*n = NROWS;
	return rows;
}

/* Tempo 2.x names of the same settings. */
static const struct { const char *alias, *key; } aliases[] = {
	{ "compactor.compaction.v2_in_buffer_bytes", "compactor.compaction.chunk_size_bytes" },
	{ "compactor.compaction.v2_out_buffer_bytes", "compactor.compaction.flush_size_bytes" },
	{ "compactor.compaction.v2_prefetch_traces_count",
	  "compactor.compaction.iterator_buffer_size" },
};

const cfg_row *tc_config_row_find(const char *key)
{
	for (size_t i = 0; i < NROWS; i++)
		if (!strcmp(rows[i].key, key))
			return &rows[i];
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(aliases[i].alias, key))
			return tc_config_row_find(aliases[i].key);
	return NULL;
}

/* Whether key names a mapping that holds rows ("storage.trace.s3"). */
int tc_config_row_is_section(const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < NROWS; i++)
		if (!strncmp(rows[i].key, key, n) && rows[i].key[n] == '.')
			return 1;
	return 0;
}

static int in_choices(const char *choices, const char *s)
{
	size_t n = strlen(s);
	const char *p = choices;

	while (*p) {
		const char *e = strchr(p, '|');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, s, n))
			return 1;
		p += l + (e ? 1 : 0);
	}
	return 0;
}

/* Sets "<where>: <why>, got "<value>"" (value left out for secrets). */
static int bad(const cfg_row *r, const char *where, const char *value, const char *why)
{
	if (r->flags & CF_SECRET)
		tc_error_set("%s: %s", where, why);
	else
		tc_error_set("%s: %s, got \"%s\"", where, why, tc_utf8_printable(value, 64));
	return TC_EINVALID;
}

static int check_range(const cfg_row *r, const char *where, const char *s, uint64_t v,
		       uint64_t typemax)
{
	uint64_t max = r->max ? r->max : typemax;
	char msg[96], d[48];

	if (v == 0 && (r->flags & CF_ZERO_OK))
		return TC_OK;
	if (v < r->min) {
		if (r->min == 1)
			snprintf(msg, sizeof(msg), "must be greater than 0");
		else if (r->type == CT_DURATION) {
			tc_duration_format(d, sizeof(d), (int64_t)r->min);
			snprintf(msg, sizeof(msg), "must be at least %s", d);
		} else
			snprintf(msg, sizeof(msg), "must be at least %" PRIu64 "%s", r->min,
				 (r->flags & CF_ZERO_OK) ? " (or 0)" : "");
		return bad(r, where, s, msg);
	}
	if (v > max) {
		snprintf(msg, sizeof(msg), "must be at most %" PRIu64, max);
		return bad(r, where, s, msg);
	}
	return TC_OK;
}

/* "want one of a|b", or for CF_UNSUPPORTED rows ""x" is not supported (supported: a, b)". */
static int bad_choice(const cfg_row *r, const char *where, const char *s)
{
	char msg[160], list[128] = "";
	size_t used = 0;

	if (!(r->flags & CF_UNSUPPORTED)) {
		snprintf(msg, sizeof(msg), "want one of %s", r->choices);
		return bad(r, where, s, msg);
	}
	for (const char *p = r->choices; *p;) {
		size_t l = strcspn(p, "|");
		if (l && used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%.*s",
						 used ? ", " : "", (int)l, p);
		p += l + (p[l] == '|');
	}
	tc_error_set("%s: \"%s\" is not supported (supported: %s)", where,
		     tc_utf8_printable(s, 64), list);
	return TC_EINVALID;
}

static int set_string(char **dst, const cfg_row *r, const char *where, const char *s)
{
	char *dup = NULL;

	if (r->choices && !in_choices(r->choices, s))
		return bad_choice(r, where, s);
	if ((r->flags & CF_NONEMPTY) && !*s)
		return bad(r, where, s, "must not be empty");
	/* Empty strings are stored as NULL: "not set". */
	if (*s && !(dup = strdup(s))) {
		tc_error_set("%s: out of memory", where);
		return TC_ERROR;
	}
	free(*dst);
	*dst = dup;
	return TC_OK;
}

/* Adds one list item, checked; the caller installs the list when all are in. */
int tc_config_list_add(tc_strlist *l, const char *where, const char *item)
{
	if (!*item) {
		tc_error_set("%s: list items must not be empty", where);
		return TC_EINVALID;
	}
	if (l->n >= LIST_MAX) {
		tc_error_set("%s: more than %d items", where, LIST_MAX);
		return TC_EINVALID;
	}
	return tc_strlist_add(l, item);
}

/* Replaces *dst by l (taken over). */
void tc_config_list_install(tc_strlist *dst, tc_strlist *l)
{
	tc_strlist_dispose(dst);
	*dst = *l;
	*l = (tc_strlist)TC_STRLIST_INIT;
}

/* A flag or a default: items separated by commas, blanks around them dropped. */
static int set_list(tc_strlist *dst, const char *where, const char *s)
{
	tc_strlist l = TC_STRLIST_INIT;
	int error = TC_OK;

	while (*s && error >= 0) {
		size_t n = strcspn(s, ","), b = 0, e = n;
		char item[256];

		while (b < e && (s[b] == ' ' || s[b] == '\t'))
			b++;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		if (e - b >= sizeof(item)) {
			tc_error_set("%s: list item \"%s...\" too long", where,
				     tc_utf8_printable(s + b, 32));
			error = TC_EINVALID;
		} else if (e > b) {
			snprintf(item, sizeof(item), "%.*s", (int)(e - b), s + b);
			error = tc_config_list_add(&l, where, item);
		}
		s += n + (s[n] == ',');
	}
	if (error >= 0)
		tc_config_list_install(dst, &l);
	tc_strlist_dispose(&l);
	return error;
}

/* A flag or a default for a map: "name=value" items separated by commas. */
static int set_map(tc_strlist *dst, const char *where, const char *s)
{
	tc_strlist l = TC_STRLIST_INIT;
	int error = TC_OK;

	while (*s && error >= 0) {
		size_t n = strcspn(s, ","), eq = strcspn(s, "=");
		char name[256], value[1024];

		if (eq >= n || eq == 0 || eq >= sizeof(name) || n - eq - 1 >= sizeof(value)) {
			tc_error_set("%s: want name=value items, got \"%s\"", where,
				     tc_utf8_printable(s, 64));
			error = TC_EINVALID;
			break;
		}
		snprintf(name, sizeof(name), "%.*s", (int)eq, s);
		snprintf(value, sizeof(value), "%.*s", (int)(n - eq - 1), s + eq + 1);
		if ((error = tc_config_list_add(&l, where, name)) >= 0)
			error = tc_strlist_add(&l, value);
		s += n + (s[n] == ',');
	}
	if (error >= 0)
		tc_config_list_install(dst, &l);
	tc_strlist_dispose(&l);
	return error;
}

/* Where a row's value goes: rows without a field parse into a scratch. */
typedef union scratch {
	char *s;
	int64_t d;
	uint64_t u;
	double f;
	int b;
	tc_encoding e;
	tc_strlist l;
} scratch;

int tc_config_row_stores(const cfg_row *r)
{
	return !(r->flags & (CF_NOSTORE | CF_IGNORED));
}

/* Parses s as row r's type, checks it and stores it in dst; messages start with where. */
static int row_store(void *dst, const cfg_row *r, const char *where, const char *s)
{
	const char *why = NULL;
	uint64_t u;
	int64_t d;
	double f;
	int b, error;
	tc_encoding enc;

	switch (r->type) {
	case CT_STRING:
		if (!*s && (r->flags & CF_ZERO_IS_DEFAULT))
			s = r->def;
		return set_string((char **)dst, r, where, s);
	case CT_LIST:
		return set_list((tc_strlist *)dst, where, s);
	case CT_MAP:
		return set_map((tc_strlist *)dst, where, s);
	case CT_DURATION:
		if (tc_cfgyaml_parse_duration(&d, s, &why) < 0)
			return bad(r, where, s, why);
		if (d == 0 && (r->flags & CF_ZERO_IS_DEFAULT))
			return row_store(dst, r, where, r->def);
		if ((error = check_range(r, where, s, (uint64_t)d, INT64_MAX)) < 0)
			return error;
		*(int64_t *)dst = d;
		return TC_OK;
	case CT_U32:
	case CT_U64:
		if (tc_cfgyaml_parse_uint(&u, s, &why) < 0)
			return bad(r, where, s, why);
		if (u == 0 && (r->flags & CF_ZERO_IS_DEFAULT))
			return row_store(dst, r, where, r->def);
		error = check_range(r, where, s, u, r->type == CT_U32 ? UINT32_MAX : UINT64_MAX);
		if (error < 0)
			return error;
		if (r->type == CT_U32)
			*(uint32_t *)dst = (uint32_t)u;
		else
			*(uint64_t *)dst = u;
		return TC_OK;
	case CT_BOOL:
		if (tc_cfgyaml_parse_bool(&b, s, &why) < 0)
			return bad(r, where, s, why);
		*(int *)dst = b;
		return TC_OK;
	case CT_FLOAT:
		if (tc_cfgyaml_parse_float(&f, s, &why) < 0)
			return bad(r, where, s, why);
		if ((r->flags & CF_OPEN01) && !(f > 0.0 && f < 1.0))
			return bad(r, where, s, "must be between 0 and 1 (exclusive)");
		*(double *)dst = f;
		return TC_OK;
	case CT_ENCODING:
		if (tc_encoding_from_name(&enc, s) < 0)
			return bad(r, where, s,
				   "unknown encoding (want none, gzip, lz4-64k, lz4-256k, lz4-1M, "
				   "lz4, snappy or zstd)");
		if (!tc_encoding_can_write(enc))
			return bad(r, where, s, "blocks cannot be written in this encoding");
		*(tc_encoding *)dst = enc;
		return TC_OK;
	}
	tc_error_set("%s: internal error: bad row type", where);
	return TC_ERROR;
}

static void scratch_dispose(scratch *x, const cfg_row *r)
{
	if (r->type == CT_STRING)
		free(x->s);
	else if (r->type == CT_LIST || r->type == CT_MAP)
		tc_strlist_dispose(&x->l);
}

/* Sets row r of c from s; a row without a field is only checked. */
int tc_config_row_set(tc_config *c, const cfg_row *r, const char *where, const char *s)
{
	scratch x;
	int error;

	if (tc_config_row_stores(r))
		return row_store(field(c, r), r, where, s);
	memset(&x, 0, sizeof(x));
	error = row_store(&x, r, where, s);
	scratch_dispose(&x, r);
	return error;
}

/* The host name, for CF_HOSTNAME defaults; "" if the system has none. */
static void hostname(char *out, size_t size)
{
	if (gethostname(out, size) < 0)
		out[0] = '\0';
	out[size - 1] = '\0';
}

int tc_config_default(tc_config *out)
{
	char host[256];

	memset(out, 0, sizeof(*out));
	hostname(host, sizeof(host));
	for (size_t i = 0; i < NROWS; i++) {
		const char *def = (rows[i].flags & CF_HOSTNAME) ? host : rows[i].def;
		int error = tc_config_row_set(out, &rows[i], rows[i].key, def);
		if (error < 0) {
			tc_config_dispose(out);
			return error;
		}
	}
	return TC_OK;
}

int tc_config_set(tc_config *c, const char *key, const char *value)
{
	const cfg_row *r = tc_config_row_find(key);
	char at[PATH_MAX_LEN + 16];
	int error;

	if (!r) {
		tc_error_set("unknown config key \"%s\"", tc_utf8_printable(key, 128));
		return TC_EINVALID;
	}
	if ((error = tc_config_row_set(c, r, key, value)) < 0)
		return error;
	/* A flag wins over the file: messages then name the flag, not the file's line. */
	snprintf(at, sizeof(at), "flag -%s", r->key);
	if (tc_strlist_add(&c->src.keys, r->key) < 0 || tc_strlist_add(&c->src.at, at) < 0) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	return TC_OK;
}

/* "file:line: " where the file set key, or "" when a default or a flag did. */
static const char *where_prefix(char *out, size_t size, const tc_config *c, const char *key)
{
	const char *at = tc_config_where(c, key);

	snprintf(out, size, "%s%s", at ? at : "", at ? ": " : "");
	return out;
}

int tc_config_validate(const tc_config *c)
{
	const tc_ring_config *r = &c->compactor.ring;
	char at[TC_CFGYAML_NAME_SIZE + 32];

	if (!r->store)
		return TC_OK;
	if (r->etcd.endpoints.n == 0) {
		tc_error_set("%scompactor.ring.kvstore.etcd.endpoints: must not be empty when "
			     "compactor.ring.kvstore.store is %s",
			     where_prefix(at, sizeof(at), c, "compactor.ring.kvstore.store"),
			     r->store);
		return TC_EINVALID;
	}
	if (!r->instance_id) {
		tc_error_set("%scompactor.ring.instance_id: must not be empty when "
			     "compactor.ring.kvstore.store is %s",
			     where_prefix(at, sizeof(at), c, "compactor.ring.instance_id"), r->store);
		return TC_EINVALID;
	}
	/* A replica would be unhealthy between two of its own heartbeats. */
	if (r->heartbeat_timeout_ns <= r->heartbeat_period_ns) {
		tc_error_set("%scompactor.ring.heartbeat_timeout: must be longer than "
			     "compactor.ring.heartbeat_period",
			     where_prefix(at, sizeof(at), c, "compactor.ring.heartbeat_timeout"));
		return TC_EINVALID;
	}
	if (r->etcd.tls_enabled && !r->etcd.tls_cert_path != !r->etcd.tls_key_path) {
		tc_error_set("%scompactor.ring.kvstore.etcd: tls_cert_path and tls_key_path go "
			     "together (one is set, the other is empty)",
			     where_prefix(at, sizeof(at), c, r->etcd.tls_cert_path
						     ? "compactor.ring.kvstore.etcd.tls_cert_path"
						     : "compactor.ring.kvstore.etcd.tls_key_path"));
		return TC_EINVALID;
	}
	return TC_OK;
}

void tc_config_dispose(tc_config *c)
{
	if (!c)
		return;
	tc_strlist_dispose(&c->src.keys);
	tc_strlist_dispose(&c->src.at);
	tc_strlist_dispose(&c->src.ignored_keys);
	tc_strlist_dispose(&c->src.ignored_at);
	for (size_t i = 0; i < NROWS; i++) {
		if (!tc_config_row_stores(&rows[i]))
			continue;
		if (rows[i].type == CT_STRING) {
			free(*(char **)field(c, &rows[i]));
			*(char **)field(c, &rows[i]) = NULL;
		} else if (rows[i].type == CT_LIST || rows[i].type == CT_MAP) {
			tc_strlist_dispose((tc_strlist *)field(c, &rows[i]));
		}
	}
}
