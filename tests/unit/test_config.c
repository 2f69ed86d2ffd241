#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test.h"

#include "src/config/config.h"
#include "src/config/tempo_keys.h"
#include "encoding/block_reader.h"

#define NS_S 1000000000LL

static const char *src_path(const char *rel)
{
	static char buf[4096];
	const char *root = getenv("TC_SRC");

	snprintf(buf, sizeof(buf), "%s/%s", root && *root ? root : ".", rel);
	return buf;
}

/* Loads yaml (a C string) named "t.yaml"; returns the code. */
static int load(tc_config *c, const char *yaml)
{
	return tc_config_load_string(c, yaml, strlen(yaml), "t.yaml");
}

/* The load must fail with TC_EINVALID and a message containing want. */
static int load_fails(const char *yaml, const char *want)
{
	tc_config c;
	int r = load(&c, yaml);

	tc_config_dispose(&c);
	if (r != TC_EINVALID) {
		tc_test_fail(__FILE__, __LINE__, "load of <<%s>> returned %d, want TC_EINVALID (%s)",
			     yaml, r, tc_error_last());
		return 0;
	}
	if (!strstr(tc_error_last(), want)) {
		tc_test_fail(__FILE__, __LINE__, "load of <<%s>>: message \"%s\" lacks \"%s\"",
			     yaml, tc_error_last(), want);
		return 0;
	}
	return 1;
}

static char *dump(const tc_config *c, int redact)
{
	tc_buf b = TC_BUF_INIT;

	if (tc_config_write_yaml(&b, c, redact) < 0 || tc_buf_cstr(&b) < 0) {
		tc_buf_dispose(&b);
		return NULL;
	}
	return (char *)tc_buf_detach(&b, NULL);
}

static void test_defaults(void)
{
	tc_config c;

	CHECK_OK(tc_config_default(&c));
	CHECK_STR(c.server.http_listen_address, "0.0.0.0");
	CHECK_EQ_U64(c.server.http_listen_port, 3200);
	CHECK_EQ_U64(c.server.graceful_shutdown_timeout_ns, 30 * NS_S);
	/* Tempo's server timeouts; the connection limits are ours. */
	CHECK_EQ_U64(c.server.http_server_read_timeout_ns, 30 * NS_S);
	CHECK_EQ_U64(c.server.http_server_write_timeout_ns, 30 * NS_S);
	CHECK_EQ_U64(c.server.http_server_idle_timeout_ns, 120 * NS_S);
	CHECK_EQ_U64(c.server.http_listen_conn_limit, 512);
	CHECK_EQ_U64(c.server.http_listen_conn_limit_per_ip, 32);
	CHECK_STR(c.server.log_level, "info");
	CHECK_EQ_U64(c.compactor.compaction.compaction_cycle_ns, 30 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.compaction_window_ns, 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.max_compaction_objects, 6000000);
	CHECK_EQ_U64(c.compactor.compaction.max_block_bytes, 107374182400ULL);
	CHECK_EQ_U64(c.compactor.compaction.block_retention_ns, 336 * 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.compacted_block_retention_ns, 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.retention_concurrency, 10);
	CHECK_EQ_U64(c.compactor.compaction.max_time_per_tenant_ns, 300 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.chunk_size_bytes, 5242880);
	CHECK_EQ_U64(c.compactor.compaction.flush_size_bytes, 20971520);
	CHECK_EQ_U64(c.compactor.compaction.iterator_buffer_size, 1000);
	CHECK_STR(c.storage.backend, "local");
	CHECK(c.storage.local_path == NULL);
	CHECK(c.storage.local_create == 0); /* a missing path is an error unless asked */
	CHECK_EQ_U64(c.storage.blocklist_poll_ns, 300 * NS_S);
	CHECK_EQ_U64(c.storage.blocklist_poll_concurrency, 50);
	CHECK(c.storage.block.encoding == TC_ENC_ZSTD);
	CHECK_EQ_U64(c.storage.block.index_downsample_bytes, 1048576);
	CHECK_EQ_U64(c.storage.block.index_page_size_bytes, 256000);
	CHECK(c.storage.block.bloom_fp == 0.01);
	CHECK_EQ_U64(c.storage.block.bloom_shard_size_bytes, 102400);
	CHECK_EQ_U64(c.storage.block.max_page_bytes, (uint64_t)1 << 30);
	CHECK_EQ_U64(c.storage.block.max_page_ratio, 16);
	CHECK(c.storage.s3.bucket == NULL && c.storage.s3.secret_key == NULL);
	CHECK(!c.storage.s3.insecure && !c.storage.s3.forcepathstyle);
	CHECK_EQ_U64(c.storage.s3.part_size, 0);
	CHECK_EQ_U64(c.storage.s3.max_retries, 5);
	CHECK_EQ_U64(c.overrides.block_retention_ns, 0);
	CHECK_EQ_U64(c.overrides.max_bytes_per_trace, 5000000);
	CHECK(c.overrides.per_tenant_override_config == NULL);
	CHECK_EQ_U64(c.overrides.per_tenant_override_period_ns, 10 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.concurrency, 1);
	CHECK_EQ_U64(c.storage.blocklist_poll_tenant_index_builders, 2);
	{
		/* The reader's built-in page limits are the config's defaults. */
		tc_page_limits from_cfg, builtin;
		tc_page_limits_from(&from_cfg, &c.storage.block, c.overrides.max_bytes_per_trace);
		tc_page_limits_default(&builtin);
		CHECK(memcmp(&from_cfg, &builtin, sizeof(builtin)) == 0);
	}
	tc_config_dispose(&c);
}

/* Tempo 1.5's compactor ring defaults (compactor_ring.go, dskit kv and etcd). */
static void test_ring_defaults(void)
{
	const tc_ring_config *r;
	char host[256] = "";
	tc_config c;

	CHECK_OK(tc_config_default(&c));
	r = &c.compactor.ring;
	CHECK(r->store == NULL); /* no ring: a single replica owns everything */
	CHECK_STR(r->prefix, "collectors/");
	CHECK_EQ_U64(r->etcd.endpoints.n, 0);
	CHECK_EQ_U64(r->etcd.dial_timeout_ns, 10 * NS_S);
	CHECK_EQ_U64(r->etcd.max_retries, 10);
	CHECK(!r->etcd.tls_enabled && !r->etcd.tls_insecure_skip_verify);
	CHECK(r->etcd.username == NULL && r->etcd.password == NULL && r->etcd.tls_ca_path == NULL);
	CHECK_EQ_U64(r->heartbeat_period_ns, 5 * NS_S);
	CHECK_EQ_U64(r->heartbeat_timeout_ns, 60 * NS_S);
	CHECK_EQ_U64(r->wait_stability_min_duration_ns, 60 * NS_S);
	CHECK_EQ_U64(r->wait_stability_max_duration_ns, 300 * NS_S);
	CHECK_EQ_U64(r->wait_active_instance_timeout_ns, 600 * NS_S);
	CHECK(gethostname(host, sizeof(host)) == 0 && *host);
	CHECK_STR(r->instance_id, host);
	CHECK(r->instance_addr == NULL);
	CHECK_EQ_U64(r->instance_port, 0);
	CHECK_EQ_U64(r->instance_interface_names.n, 2);
	if (r->instance_interface_names.n == 2) {
		CHECK_STR(r->instance_interface_names.items[0], "eth0");
		CHECK_STR(r->instance_interface_names.items[1], "en0");
	}
	CHECK_STR(c.compactor.override_ring_key, "compactor");
	CHECK_OK(tc_config_validate(&c));
	tc_config_dispose(&c);
}

/* A Tempo 1.5 compactor ring section, consul and multi included, loads. */
static const char ring_yaml[] =
	"compactor:\n"
	"  override_ring_key: compactor-b\n"
	"  ring:\n"
	"    kvstore:\n"
	"      store: etcd\n"
	"      prefix: tempo/\n"
	"      consul:\n"
	"        host: consul:8500\n"
	"        acl_token: c0nsul\n"
	"        http_client_timeout: 20s\n"
	"        consistent_reads: true\n"
	"        watch_rate_limit: 0.5\n"
	"        watch_burst_size: 2\n"
	"        cas_retry_delay: 2s\n"
	"      etcd:\n"
	"        endpoints:\n"
	"          - http://etcd-0:2379\n"
	"          - etcd-1:2379\n"
	"        dial_timeout: 3s\n"
	"        max_retries: 4\n"
	"        tls_enabled: true\n"
	"        tls_cert_path: /c.pem\n"
	"        tls_key_path: /k.pem\n"
	"        tls_ca_path: /ca.pem\n"
	"        tls_server_name: etcd.local\n"
	"        tls_insecure_skip_verify: true\n"
	"        username: tempo\n"
	"        password: hunter2\n"
	"      multi:\n"
	"        primary: consul\n"
	"        secondary: etcd\n"
	"        mirror_enabled: false\n"
	"        mirror_timeout: 2s\n"
	"    heartbeat_period: 2s\n"
	"    heartbeat_timeout: 10s\n"
	"    wait_stability_min_duration: 0s\n"
	"    wait_stability_max_duration: 30s\n"
	"    instance_id: compactor-0\n"
	"    instance_interface_names: [eth1, \"bond,0\"]\n"
	"    instance_port: 9095\n"
	"    instance_addr: 10.0.0.7\n"
	"    wait_active_instance_timeout: 1m\n"
	"  compaction:\n"
	"    concurrency: 3\n"
	"storage:\n"
	"  trace:\n"
	"    blocklist_poll_tenant_index_builders: 5\n";

static void test_ring_full(void)
{
	const tc_ring_config *r;
	tc_config c, back;
	char *plain = NULL, *red = NULL, *again = NULL;

	if (load(&c, ring_yaml) < 0) {
		tc_test_fail(__FILE__, __LINE__, "load: %s", tc_error_last());
		return;
	}
	r = &c.compactor.ring;
	CHECK_STR(r->store, "etcd");
	CHECK_STR(r->prefix, "tempo/");
	CHECK_EQ_U64(r->etcd.endpoints.n, 2);
	if (r->etcd.endpoints.n == 2) {
		CHECK_STR(r->etcd.endpoints.items[0], "http://etcd-0:2379");
		CHECK_STR(r->etcd.endpoints.items[1], "etcd-1:2379");
	}
	CHECK_EQ_U64(r->etcd.dial_timeout_ns, 3 * NS_S);
	CHECK_EQ_U64(r->etcd.max_retries, 4);
	CHECK(r->etcd.tls_enabled && r->etcd.tls_insecure_skip_verify);
	CHECK_STR(r->etcd.tls_cert_path, "/c.pem");
	CHECK_STR(r->etcd.tls_key_path, "/k.pem");
	CHECK_STR(r->etcd.tls_ca_path, "/ca.pem");
	CHECK_STR(r->etcd.username, "tempo");
	CHECK_STR(r->etcd.password, "hunter2");
	CHECK_EQ_U64(r->heartbeat_period_ns, 2 * NS_S);
	CHECK_EQ_U64(r->heartbeat_timeout_ns, 10 * NS_S);
	CHECK_EQ_U64(r->wait_stability_min_duration_ns, 0);
	CHECK_EQ_U64(r->wait_stability_max_duration_ns, 30 * NS_S);
	CHECK_STR(r->instance_id, "compactor-0");
	CHECK_EQ_U64(r->instance_interface_names.n, 2);
	if (r->instance_interface_names.n == 2) {
		CHECK_STR(r->instance_interface_names.items[0], "eth1");
		CHECK_STR(r->instance_interface_names.items[1], "bond,0");
	}
	CHECK_EQ_U64(r->instance_port, 9095);
	CHECK_STR(r->instance_addr, "10.0.0.7");
	CHECK_EQ_U64(r->wait_active_instance_timeout_ns, 60 * NS_S);
	CHECK_STR(c.compactor.override_ring_key, "compactor-b");
	CHECK_EQ_U64(c.compactor.compaction.concurrency, 3);
	CHECK_EQ_U64(c.storage.blocklist_poll_tenant_index_builders, 5);
	CHECK_OK(tc_config_validate(&c));

	plain = dump(&c, 0);
	red = dump(&c, 1);
	tc_config_dispose(&c);
	CHECK(plain && red);
	if (!plain || !red)
		goto out;
	/* The password is a secret like the S3 key: redacted, and the consul token is never shown. */
	CHECK_MSG(!strstr(red, "hunter2") && strstr(red, "password: \"<redacted>\""), "%s", red);
	CHECK(strstr(plain, "password: \"hunter2\"") != NULL);
	/* Accepted-and-ignored keys are not part of the effective config. */
	CHECK_MSG(!strstr(plain, "consul") && !strstr(plain, "multi:") && !strstr(plain, "c0nsul") &&
		  !strstr(plain, "tls_server_name"), "%s", plain);
	CHECK_MSG(strstr(plain, "  ring:\n    kvstore:\n      store: \"etcd\"\n") != NULL, "%s", plain);
	CHECK_MSG(strstr(plain, "        endpoints: [\"http://etcd-0:2379\", \"etcd-1:2379\"]\n") != NULL,
		  "%s", plain);
	CHECK_MSG(strstr(plain, "    instance_interface_names: [\"eth1\", \"bond,0\"]\n") != NULL,
		  "%s", plain);
	/* What is written reads back the same. */
	if (load(&back, plain) < 0) {
		tc_test_fail(__FILE__, __LINE__, "reload: %s\n%s", tc_error_last(), plain);
		goto out;
	}
	again = dump(&back, 0);
	tc_config_dispose(&back);
	CHECK_MSG(again && !strcmp(plain, again), "round trip differs:\n%s\n---\n%s", plain,
		  again ? again : "");
out:
	free(plain);
	free(red);
	free(again);
}

/* Tempo's other stores are refused by name, at load and as a flag. */
static void test_ring_store_unsupported(void)
{
	static const char *const stores[] = { "consul", "memberlist", "inmemory", "multi", "zookeeper" };
	char yaml[128], want[160];
	tc_config c;

	for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
		snprintf(yaml, sizeof(yaml), "compactor:\n  ring:\n    kvstore:\n      store: %s\n",
			 stores[i]);
		snprintf(want, sizeof(want),
			 "t.yaml:4: compactor.ring.kvstore.store: \"%s\" is not supported "
			 "(supported: etcd)", stores[i]);
		CHECK(load_fails(yaml, want));
	}
	CHECK_OK(tc_config_default(&c));
	CHECK_ERR(tc_config_set(&c, "compactor.ring.kvstore.store", "consul"), TC_EINVALID);
	CHECK_ERRMSG("compactor.ring.kvstore.store: \"consul\" is not supported (supported: etcd)");
	CHECK(c.compactor.ring.store == NULL);
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.store", "etcd"));
	CHECK_STR(c.compactor.ring.store, "etcd");
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.store", ""));
	CHECK(c.compactor.ring.store == NULL);
	tc_config_dispose(&c);
	/* Ignored keys are still checked for their type. */
	CHECK(load_fails("compactor:\n  ring:\n    kvstore:\n      consul:\n        "
			 "http_client_timeout: soon\n",
			 "t.yaml:5: compactor.ring.kvstore.consul.http_client_timeout: want a duration"));
	CHECK(load_fails("compactor:\n  ring:\n    kvstore:\n      consul:\n        acl_token: [x1]\n",
			 "t.yaml:5: compactor.ring.kvstore.consul.acl_token: want a single value"));
	CHECK(strstr(tc_error_last(), "x1") == NULL);
}

/* List keys: YAML sequences, and comma-separated values as flags. */
static void test_lists(void)
{
	tc_config c;
	const tc_strlist *eps = &c.compactor.ring.etcd.endpoints;
	const tc_strlist *ifs = &c.compactor.ring.instance_interface_names;

	CHECK_OK(load(&c, "compactor:\n  ring:\n    kvstore:\n      etcd:\n        endpoints: [a:1]\n"
			  "    instance_interface_names:\n"));
	CHECK_EQ_U64(eps->n, 1);
	CHECK_STR(eps->items[0], "a:1");
	CHECK_EQ_U64(ifs->n, 0); /* null is the empty list, as in Go */
	tc_config_dispose(&c);
	CHECK_OK(load(&c, "compactor:\n  ring:\n    instance_interface_names: []\n"));
	CHECK_EQ_U64(ifs->n, 0);
	tc_config_dispose(&c);

	CHECK(load_fails("compactor:\n  ring:\n    instance_interface_names: eth0\n",
			 "t.yaml:3: compactor.ring.instance_interface_names: want a sequence of "
			 "strings, got a scalar"));
	CHECK(load_fails("compactor:\n  ring:\n    instance_interface_names: {a: b}\n",
			 "want a sequence of strings, got a mapping"));
	CHECK(load_fails("compactor:\n  ring:\n    instance_interface_names:\n      - eth0\n"
			 "      - [eth1]\n",
			 "t.yaml:5: compactor.ring.instance_interface_names[1]: want a string, got a "
			 "sequence"));
	CHECK(load_fails("compactor:\n  ring:\n    instance_interface_names: [eth0, \"\"]\n",
			 "compactor.ring.instance_interface_names[1]: list items must not be empty"));
	CHECK(load_fails("compactor:\n  ring:\n    instance_interface_names: [eth0, ~]\n",
			 "compactor.ring.instance_interface_names[1]: list items must not be empty"));
	/* A scalar key given a list is still refused. */
	CHECK(load_fails("compactor:\n  ring:\n    instance_addr: [a]\n",
			 "compactor.ring.instance_addr: want a single value, got a sequence"));

	CHECK_OK(tc_config_default(&c));
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.etcd.endpoints",
			       "http://e0:2379, e1:2379,,e2:2379 "));
	CHECK_EQ_U64(eps->n, 3);
	if (eps->n == 3) {
		CHECK_STR(eps->items[0], "http://e0:2379");
		CHECK_STR(eps->items[1], "e1:2379");
		CHECK_STR(eps->items[2], "e2:2379");
	}
	/* A flag replaces the list; it does not append. */
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.etcd.endpoints", "e9:2379"));
	CHECK_EQ_U64(eps->n, 1);
	CHECK_STR(eps->items[0], "e9:2379");
	CHECK_OK(tc_config_set(&c, "compactor.ring.instance_interface_names", ""));
	CHECK_EQ_U64(ifs->n, 0);
	tc_config_dispose(&c);
}

/* The checks across keys that serve runs once flags are applied. */
static void test_validate(void)
{
	tc_config c;

	CHECK_OK(tc_config_default(&c));
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.store", "etcd"));
	CHECK_ERR(tc_config_validate(&c), TC_EINVALID);
	CHECK_ERRMSG("compactor.ring.kvstore.etcd.endpoints: must not be empty when "
		     "compactor.ring.kvstore.store is etcd");
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.etcd.endpoints", "127.0.0.1:2379"));
	CHECK_OK(tc_config_validate(&c));
	CHECK_OK(tc_config_set(&c, "compactor.ring.heartbeat_timeout", "5s"));
	CHECK_ERR(tc_config_validate(&c), TC_EINVALID);
	CHECK_ERRMSG("compactor.ring.heartbeat_timeout: must be longer than "
		     "compactor.ring.heartbeat_period");
	CHECK_OK(tc_config_set(&c, "compactor.ring.heartbeat_timeout", "6s"));
	CHECK_OK(tc_config_validate(&c));
	CHECK_OK(tc_config_set(&c, "compactor.ring.instance_id", ""));
	CHECK_ERR(tc_config_validate(&c), TC_EINVALID);
	CHECK_ERRMSG("compactor.ring.instance_id: must not be empty");
	CHECK_OK(tc_config_set(&c, "compactor.ring.instance_id", "c-1"));
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.etcd.tls_enabled", "true"));
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.etcd.tls_cert_path", "/c.pem"));
	CHECK_ERR(tc_config_validate(&c), TC_EINVALID);
	CHECK_ERRMSG("tls_cert_path and tls_key_path go together");
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.etcd.tls_key_path", "/k.pem"));
	CHECK_OK(tc_config_validate(&c));
	/* Without a ring none of it matters. */
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.store", ""));
	CHECK_OK(tc_config_set(&c, "compactor.ring.kvstore.etcd.endpoints", ""));
	CHECK_OK(tc_config_validate(&c));
	tc_config_dispose(&c);
}

static void test_empty_file_is_defaults(void)
{
	tc_config c;

	CHECK_OK(load(&c, ""));
	CHECK_EQ_U64(c.compactor.compaction.compaction_cycle_ns, 30 * NS_S);
	tc_config_dispose(&c);
	CHECK_OK(load(&c, "# only a comment\n"));
	CHECK_STR(c.storage.backend, "local");
	tc_config_dispose(&c);
	/* Empty sections, as Tempo configs often have. */
	CHECK_OK(load(&c, "compactor:\nstorage:\n  trace:\n    s3:\n"));
	CHECK_EQ_U64(c.storage.s3.max_retries, 5);
	tc_config_dispose(&c);
}

/*
 * The shipped config lists every key with its default, except the demo's
 * local bucket: ./data, created on the first start (README's first command).
 */
static void test_shipped_config_is_defaults(void)
{
	tc_config d, c;
	char *a = NULL, *b = NULL;

	CHECK_OK(tc_config_default(&d));
	CHECK_OK(tc_config_load_file(&c, src_path("configs/tracecompactor.yaml")));
	CHECK_STR(c.storage.local_path, "./data");
	CHECK(c.storage.local_create == 1);
	CHECK_OK(tc_config_set(&d, "storage.trace.local.path", "./data"));
	CHECK_OK(tc_config_set(&d, "storage.trace.local.create", "true"));
	a = dump(&d, 0);
	b = dump(&c, 0);
	tc_config_dispose(&d);
	tc_config_dispose(&c);
	if (!a || !b || strcmp(a, b) != 0) {
		tc_test_fail(__FILE__, __LINE__, "shipped config differs from defaults:\n%s\n---\n%s",
			     a ? a : "(null)", b ? b : "(null)");
	}
	free(a);
	free(b);
}

/* Every key the writer emits is present in the shipped config. */
static void test_shipped_config_lists_every_key(void)
{
	tc_config d;
	tc_buf file = TC_BUF_INIT;
	char *out, *line, *save = NULL;

	CHECK_OK(tc_config_default(&d));
	out = dump(&d, 0);
	tc_config_dispose(&d);
	CHECK(out != NULL);
	CHECK_OK(tc_test_read_file(&file, src_path("configs/tracecompactor.yaml")));
	CHECK_OK(tc_buf_cstr(&file));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[128];
		const char *s = line;
		size_t n;

		while (*s == ' ')
			s++;
		n = strcspn(s, ":");
		snprintf(key, sizeof(key), "%.*s:", (int)n, s);
		if (!strstr((char *)file.ptr, key)) {
			tc_test_fail(__FILE__, __LINE__, "configs/tracecompactor.yaml lacks %s", key);
			break;
		}
	}
	free(out);
	tc_buf_dispose(&file);
}

static const char full_yaml[] =
	"server:\n"
	"  http_listen_address: 127.0.0.1\n"
	"  http_listen_port: 3201\n"
	"  http_listen_conn_limit: 100\n"
	"  http_listen_conn_limit_per_ip: 0\n"
	"  graceful_shutdown_timeout: 1m\n"
	"  http_server_read_timeout: 10s\n"
	"  http_server_write_timeout: 1m\n"
	"  http_server_idle_timeout: 0s\n"
	"  log_level: debug\n"
	"compactor:\n"
	"  compaction:\n"
	"    compaction_cycle: 5s\n"
	"    compaction_window: 30m\n"
	"    max_compaction_objects: 1000\n"
	"    max_block_bytes: 1_000_000\n"
	"    block_retention: 48h\n"
	"    compacted_block_retention: 10m\n"
	"    retention_concurrency: 3\n"
	"    max_time_per_tenant: 1m30s\n"
	"    chunk_size_bytes: 1048576\n"
	"    flush_size_bytes: 2097152\n"
	"    iterator_buffer_size: 10\n"
	"storage:\n"
	"  trace:\n"
	"    backend: s3\n"
	"    blocklist_poll: 30s\n"
	"    blocklist_poll_concurrency: 4\n"
	"    local:\n"
	"      path: /var/tempo/traces\n"
	"      create: true\n"
	"    block:\n"
	"      version: v2\n"
	"      encoding: snappy\n"
	"      index_downsample_bytes: 2000\n"
	"      index_page_size_bytes: 1000\n"
	"      bloom_filter_false_positive: .05\n"
	"      bloom_filter_shard_size_bytes: 1000\n"
	"      max_page_bytes: 100000000\n"
	"      max_page_ratio: 40\n"
	"    s3:\n"
	"      bucket: tempo\n"
	"      prefix: pre\n"
	"      endpoint: minio:9000\n"
	"      region: us-east-1\n"
	"      access_key: AKID\n"
	"      secret_key: s3cr3t\n"
	"      session_token: t0k3n\n"
	"      insecure: true\n"
	"      insecure_skip_verify: yes\n"
	"      forcepathstyle: True\n"
	"      part_size: 16777216\n"
	"      max_retries: 2\n"
	"overrides:\n"
	"  block_retention: 2w\n"
	"  max_bytes_per_trace: 0\n"
	"  per_tenant_override_config: /etc/tempo/overrides.yaml\n"
	"  per_tenant_override_period: 1m\n";

static void test_full_file(void)
{
	tc_config c;
	char *path;

	path = malloc(strlen(tc_test_tmpdir()) + 32);
	CHECK(path != NULL);
	sprintf(path, "%s/full.yaml", tc_test_tmpdir());
	if (tc_test_write_file(path, full_yaml, strlen(full_yaml)) < 0) {
		free(path);
		CHECK(0);
	}
	if (tc_config_load_file(&c, path) < 0) {
		tc_test_fail(__FILE__, __LINE__, "load: %s", tc_error_last());
		free(path);
		return;
	}
	free(path);
	CHECK_STR(c.server.http_listen_address, "127.0.0.1");
	CHECK_EQ_U64(c.server.http_listen_port, 3201);
	CHECK_EQ_U64(c.server.graceful_shutdown_timeout_ns, 60 * NS_S);
	CHECK_EQ_U64(c.server.http_listen_conn_limit, 100);
	CHECK_EQ_U64(c.server.http_listen_conn_limit_per_ip, 0);
	CHECK_EQ_U64(c.server.http_server_read_timeout_ns, 10 * NS_S);
	CHECK_EQ_U64(c.server.http_server_write_timeout_ns, 60 * NS_S);
	CHECK_EQ_U64(c.server.http_server_idle_timeout_ns, 0);
	CHECK_STR(c.server.log_level, "debug");
	CHECK_EQ_U64(c.compactor.compaction.compaction_cycle_ns, 5 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.compaction_window_ns, 1800 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.max_compaction_objects, 1000);
	CHECK_EQ_U64(c.compactor.compaction.max_block_bytes, 1000000);
	CHECK_EQ_U64(c.compactor.compaction.block_retention_ns, 48 * 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.compacted_block_retention_ns, 600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.retention_concurrency, 3);
	CHECK_EQ_U64(c.compactor.compaction.max_time_per_tenant_ns, 90 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.chunk_size_bytes, 1048576);
	CHECK_EQ_U64(c.compactor.compaction.flush_size_bytes, 2097152);
	CHECK_EQ_U64(c.compactor.compaction.iterator_buffer_size, 10);
	CHECK_STR(c.storage.backend, "s3");
	CHECK_EQ_U64(c.storage.blocklist_poll_ns, 30 * NS_S);
	CHECK_EQ_U64(c.storage.blocklist_poll_concurrency, 4);
	CHECK_STR(c.storage.local_path, "/var/tempo/traces");
	CHECK(c.storage.local_create == 1);
	CHECK(c.storage.block.encoding == TC_ENC_SNAPPY);
	CHECK_EQ_U64(c.storage.block.index_downsample_bytes, 2000);
	CHECK_EQ_U64(c.storage.block.index_page_size_bytes, 1000);
	CHECK(c.storage.block.bloom_fp == 0.05);
	CHECK_EQ_U64(c.storage.block.bloom_shard_size_bytes, 1000);
	CHECK_EQ_U64(c.storage.block.max_page_bytes, 100000000);
	CHECK_EQ_U64(c.storage.block.max_page_ratio, 40);
	CHECK_STR(c.storage.s3.bucket, "tempo");
	CHECK_STR(c.storage.s3.prefix, "pre");
	CHECK_STR(c.storage.s3.endpoint, "minio:9000");
	CHECK_STR(c.storage.s3.region, "us-east-1");
	CHECK_STR(c.storage.s3.access_key, "AKID");
	CHECK_STR(c.storage.s3.secret_key, "s3cr3t");
	CHECK_STR(c.storage.s3.session_token, "t0k3n");
	CHECK(c.storage.s3.insecure == 1 && c.storage.s3.insecure_skip_verify == 1 &&
	      c.storage.s3.forcepathstyle == 1);
	CHECK_EQ_U64(c.storage.s3.part_size, 16777216);
	CHECK_EQ_U64(c.storage.s3.max_retries, 2);
	CHECK_EQ_U64(c.overrides.block_retention_ns, 14 * 86400 * NS_S);
	CHECK_EQ_U64(c.overrides.max_bytes_per_trace, 0);
	CHECK_STR(c.overrides.per_tenant_override_config, "/etc/tempo/overrides.yaml");
	CHECK_EQ_U64(c.overrides.per_tenant_override_period_ns, 60 * NS_S);
	tc_config_dispose(&c);
}

/* What the writer produces loads back to the same config. */
static void test_write_roundtrip(void)
{
	tc_config c, back;
	char *a, *b;
	int r;

	CHECK_OK(load(&c, full_yaml));
	a = dump(&c, 0);
	tc_config_dispose(&c);
	CHECK(a != NULL);
	r = load(&back, a);
	if (r < 0) {
		tc_test_fail(__FILE__, __LINE__, "reload of written config: %s\n%s", tc_error_last(), a);
		free(a);
		return;
	}
	b = dump(&back, 0);
	CHECK_STR(back.storage.s3.secret_key, "s3cr3t");
	tc_config_dispose(&back);
	if (!b || strcmp(a, b) != 0)
		tc_test_fail(__FILE__, __LINE__, "round trip differs:\n%s\n---\n%s", a, b ? b : "");
	free(a);
	free(b);
}

/*
 * Strings holding characters YAML cannot take raw inside double quotes (NEL,
 * LS and PS fold to spaces, C1 controls are refused) survive a write and
 * reload (found by tests/fuzz/fuzz_config.c).
 */
static void test_write_roundtrip_unicode(void)
{
	tc_config c, back;
	char *a;

	CHECK_OK(load(&c, "storage:\n  trace:\n    local:\n      path: \"/a\\Nb\\Lc\\Pd\\x80e\\u00e9\"\n"));
	CHECK_STR(c.storage.local_path, "/a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d\xc2\x80" "e\xc3\xa9");
	a = dump(&c, 0);
	CHECK(a != NULL);
	if (a && load(&back, a) == TC_OK) {
		CHECK_STR(back.storage.local_path, c.storage.local_path);
		tc_config_dispose(&back);
	} else {
		tc_test_fail(__FILE__, __LINE__, "reload of written config: %s", tc_error_last());
	}
	free(a);
	tc_config_dispose(&c);
}

static void test_redaction(void)
{
	tc_config c;
	char *red, *plain;

	CHECK_OK(load(&c, full_yaml));
	red = dump(&c, 1);
	plain = dump(&c, 0);
	tc_config_dispose(&c);
	CHECK(red && plain);
	CHECK_MSG(!strstr(red, "s3cr3t") && !strstr(red, "t0k3n"), "secret leaked:\n%s", red);
	CHECK(strstr(red, "secret_key: \"<redacted>\"") != NULL);
	CHECK(strstr(red, "session_token: \"<redacted>\"") != NULL);
	CHECK(strstr(red, "access_key: \"AKID\"") != NULL);
	CHECK(strstr(plain, "secret_key: \"s3cr3t\"") != NULL);
	free(red);
	free(plain);

	/* An unset secret is shown as unset. */
	CHECK_OK(tc_config_default(&c));
	red = dump(&c, 1);
	tc_config_dispose(&c);
	CHECK(red != NULL);
	CHECK(strstr(red, "secret_key: \"\"") != NULL);
	free(red);
}

static void test_written_layout(void)
{
	tc_config c;
	char *out;

	CHECK_OK(tc_config_default(&c));
	out = dump(&c, 1);
	tc_config_dispose(&c);
	CHECK(out != NULL);
	CHECK_MSG(strstr(out, "compactor:\n  compaction:\n    compaction_cycle: 30s\n") != NULL,
		  "layout:\n%s", out);
	CHECK_MSG(strstr(out, "    block_retention: 336h0m0s\n") != NULL, "layout:\n%s", out);
	CHECK_MSG(strstr(out, "    block:\n      version: \"v2\"\n      encoding: zstd\n") != NULL,
		  "layout:\n%s", out);
	CHECK_MSG(strstr(out, "bloom_filter_false_positive: 0.01\n") != NULL, "layout:\n%s", out);
	free(out);
}

static void test_aliases(void)
{
	tc_config c;

	CHECK_OK(load(&c, "compactor:\n"
			  "  compaction:\n"
			  "    v2_in_buffer_bytes: 111\n"
			  "    v2_out_buffer_bytes: 222\n"
			  "    v2_prefetch_traces_count: 333\n"));
	CHECK_EQ_U64(c.compactor.compaction.chunk_size_bytes, 111);
	CHECK_EQ_U64(c.compactor.compaction.flush_size_bytes, 222);
	CHECK_EQ_U64(c.compactor.compaction.iterator_buffer_size, 333);
	tc_config_dispose(&c);

	/* Both names of one setting in one file is a mistake. */
	CHECK(load_fails("compactor:\n"
			 "  compaction:\n"
			 "    chunk_size_bytes: 1\n"
			 "    v2_in_buffer_bytes: 2\n",
			 "t.yaml:4: compactor.compaction.v2_in_buffer_bytes: already set at line 3"));

	CHECK_OK(tc_config_default(&c));
	CHECK_OK(tc_config_set(&c, "compactor.compaction.v2_out_buffer_bytes", "4096"));
	CHECK_EQ_U64(c.compactor.compaction.flush_size_bytes, 4096);
	tc_config_dispose(&c);
}

static void test_unknown_keys(void)
{
	CHECK(load_fails("server:\n  http_listen_port: 1\n  grpc_listen_prot: 9095\n",
			 "t.yaml:3: server.grpc_listen_prot: unknown key"));
	CHECK(load_fails("targt: compactor\n", "t.yaml:1: targt: unknown key"));
	CHECK(load_fails("compactor:\n  compaction:\n    compaction_windw: 1h\n",
			 "t.yaml:3: compactor.compaction.compaction_windw: unknown key"));
	CHECK(load_fails("compactor:\n  ring:\n    kvstore:\n      stor: etcd\n",
			 "t.yaml:4: compactor.ring.kvstore.stor: unknown key"));
	CHECK(load_fails("memberlist:\n  join_member: [a]\n",
			 "t.yaml:2: memberlist.join_member: unknown key"));
	CHECK(load_fails("storage:\n  trace:\n    gcs:\n      bucket: x\n",
			 "t.yaml:4: storage.trace.gcs.bucket: unknown key"));
	CHECK(load_fails("compactor.compaction.compaction_cycle: 5s\n",
			 "t.yaml:1: compactor.compaction.compaction_cycle: unknown key"));
	CHECK(load_fails("server:\n  log_level: info\nserver:\n  log_level: warn\n",
			 "t.yaml:3: server: already set at line 1"));
}

static void test_wrong_types(void)
{
	CHECK(load_fails("compactor:\n  compaction:\n    compaction_window: 1 hour\n",
			 "t.yaml:3: compactor.compaction.compaction_window: want a duration"));
	/* A bare number is not a duration (Go would read nanoseconds). */
	CHECK(load_fails("compactor:\n  compaction:\n    compaction_cycle: 30\n",
			 "t.yaml:3: compactor.compaction.compaction_cycle: want a duration"));
	CHECK(load_fails("compactor:\n  compaction:\n    max_block_bytes: 10GB\n",
			 "t.yaml:3: compactor.compaction.max_block_bytes: want an unsigned integer"));
	CHECK(load_fails("storage:\n  trace:\n    s3:\n      insecure: maybe\n",
			 "t.yaml:4: storage.trace.s3.insecure: want true or false"));
	CHECK(load_fails("storage:\n  trace:\n    block:\n      bloom_filter_false_positive: low\n",
			 "t.yaml:4: storage.trace.block.bloom_filter_false_positive: want a number"));
	CHECK(load_fails("server:\n  http_listen_port: [1, 2]\n",
			 "t.yaml:2: server.http_listen_port: want a single value, got a sequence"));
	CHECK(load_fails("compactor: 5\n", "t.yaml:1: compactor: want a mapping, got a scalar"));
	CHECK(load_fails("compactor:\n  compaction:\n    block_retention:\n",
			 "compactor.compaction.block_retention: missing value"));
	CHECK(load_fails("compactor:\n  compaction:\n    max_compaction_objects: "
			 "99999999999999999999999\n",
			 "t.yaml:3: compactor.compaction.max_compaction_objects: number too large"));
}

/*
 * The main config takes the overrides file's duration syntax too (Tempo
 * reads Go's here and refuses "2w"): one superset for both files.
 */
static void test_durations_superset(void)
{
	tc_config c;

	CHECK_OK(load(&c, "compactor:\n  compaction:\n"
			  "    block_retention: 2w\n"
			  "    compacted_block_retention: 1h30m\n"
			  "    compaction_window: 1d12h\n"
			  "    max_time_per_tenant: 1.5h\n"
			  "    compaction_cycle: 300ms\n"
			  "server:\n  graceful_shutdown_timeout: 0s\n  http_listen_conn_limit: 0\n"
			  "overrides:\n  block_retention: 1y\n  per_tenant_override_period: 90s\n"));
	CHECK_EQ_U64(c.compactor.compaction.block_retention_ns, 14 * 24 * 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.compacted_block_retention_ns, 90 * 60 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.compaction_window_ns, 36 * 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.max_time_per_tenant_ns, 90 * 60 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.compaction_cycle_ns, 300000000);
	CHECK_EQ_U64(c.server.graceful_shutdown_timeout_ns, 0);
	/* A Tempo config's 0 (no limit there) loads, and means the default here. */
	CHECK_EQ_U64(c.server.http_listen_conn_limit, 512);
	CHECK_EQ_U64(c.overrides.block_retention_ns, 365 * 24 * 3600 * NS_S);
	tc_config_dispose(&c);
	/* The same on the command line. */
	CHECK_OK(tc_config_default(&c));
	CHECK_OK(tc_config_set(&c, "storage.trace.blocklist_poll", "2w"));
	CHECK_EQ_U64(c.storage.blocklist_poll_ns, 14 * 24 * 3600 * NS_S);
	CHECK_OK(tc_config_set(&c, "storage.trace.blocklist_poll", "1h30m"));
	CHECK_EQ_U64(c.storage.blocklist_poll_ns, 90 * 60 * NS_S);
	CHECK_ERR(tc_config_set(&c, "storage.trace.blocklist_poll", "2x"), TC_EINVALID);
	tc_config_dispose(&c);
	CHECK(load_fails("compactor:\n  compaction:\n    block_retention: 293y\n",
			 "t.yaml:3: compactor.compaction.block_retention: want a duration"));
	CHECK(load_fails("overrides:\n  block_retention: -2w\n",
			 "t.yaml:2: overrides.block_retention: must not be negative"));
}

static void test_impossible_values(void)
{
	CHECK(load_fails("compactor:\n  compaction:\n    compacted_block_retention: -1h\n",
			 "t.yaml:3: compactor.compaction.compacted_block_retention: must not be "
			 "negative"));
	CHECK(load_fails("compactor:\n  compaction:\n    compaction_cycle: 0s\n",
			 "t.yaml:3: compactor.compaction.compaction_cycle: must be greater than 0"));
	CHECK(load_fails("compactor:\n  compaction:\n    compaction_window: 500ms\n",
			 "t.yaml:3: compactor.compaction.compaction_window: must be at least 1s"));
	CHECK(load_fails("compactor:\n  compaction:\n    max_compaction_objects: -5\n",
			 "max_compaction_objects: must not be negative"));
	CHECK(load_fails("server:\n  http_listen_port: 65536\n",
			 "t.yaml:2: server.http_listen_port: must be at most 65535"));
	CHECK(load_fails("server:\n  http_listen_conn_limit: 65536\n",
			 "t.yaml:2: server.http_listen_conn_limit: must be at most 65535"));
	CHECK(load_fails("server:\n  log_level: loud\n",
			 "t.yaml:2: server.log_level: want one of debug|info|warn|warning|error"));
	CHECK(load_fails("storage:\n  trace:\n    backend: nfs\n",
			 "t.yaml:3: storage.trace.backend: want one of local|s3|gcs|azure"));
	CHECK(load_fails("storage:\n  trace:\n    block:\n      encoding: brotli\n",
			 "t.yaml:4: storage.trace.block.encoding: unknown encoding"));
	CHECK(load_fails("storage:\n  trace:\n    block:\n      encoding: s2\n",
			 "t.yaml:4: storage.trace.block.encoding: blocks cannot be written"));
	CHECK(load_fails("storage:\n  trace:\n    block:\n      version: vParquet\n",
			 "t.yaml:4: storage.trace.block.version: want one of v2"));
	CHECK(load_fails("storage:\n  trace:\n    block:\n      bloom_filter_false_positive: 0\n",
			 "bloom_filter_false_positive: must be between 0 and 1"));
	CHECK(load_fails("storage:\n  trace:\n    block:\n      bloom_filter_false_positive: 1\n",
			 "bloom_filter_false_positive: must be between 0 and 1"));
	CHECK(load_fails("storage:\n  trace:\n    block:\n      index_page_size_bytes: 10\n",
			 "index_page_size_bytes: must be at least 42"));
	CHECK(load_fails("storage:\n  trace:\n    blocklist_poll_concurrency: 0\n",
			 "t.yaml:3: storage.trace.blocklist_poll_concurrency: must be greater than 0"));
	CHECK(load_fails("storage:\n  trace:\n    s3:\n      part_size: 1000\n",
			 "t.yaml:4: storage.trace.s3.part_size: must be at least 5242880 (or 0)"));
	CHECK(load_fails("compactor:\n  compaction:\n    flush_size_bytes: 5000000000\n",
			 "flush_size_bytes: must be at most 4294967295"));
	CHECK(load_fails("overrides:\n  per_tenant_override_period: 0s\n",
			 "t.yaml:2: overrides.per_tenant_override_period: must be greater than 0"));
	CHECK(load_fails("compactor:\n  compaction:\n    concurrency: 0\n",
			 "t.yaml:3: compactor.compaction.concurrency: must be greater than 0"));
	CHECK(load_fails("compactor:\n  compaction:\n    concurrency: 65\n",
			 "t.yaml:3: compactor.compaction.concurrency: must be at most 64"));
	CHECK(load_fails("compactor:\n  ring:\n    heartbeat_period: 500ms\n",
			 "t.yaml:3: compactor.ring.heartbeat_period: must be at least 1s"));
	CHECK(load_fails("compactor:\n  ring:\n    instance_port: 70000\n",
			 "t.yaml:3: compactor.ring.instance_port: must be at most 65535"));
	CHECK(load_fails("compactor:\n  override_ring_key: \"\"\n",
			 "t.yaml:2: compactor.override_ring_key: must not be empty"));
	CHECK(load_fails("storage:\n  trace:\n    blocklist_poll_tenant_index_builders: 1001\n",
			 "blocklist_poll_tenant_index_builders: must be at most 1000"));
}

/* Where Tempo replaces 0 by the default, so do we. */
static void test_zero_means_default(void)
{
	tc_config c;

	CHECK_OK(load(&c, "compactor:\n  compaction:\n    retention_concurrency: 0\n"
			  "storage:\n  trace:\n    blocklist_poll: 0\n"
			  "    blocklist_poll_tenant_index_builders: 0\n"));
	CHECK_EQ_U64(c.compactor.compaction.retention_concurrency, 10);
	CHECK_EQ_U64(c.storage.blocklist_poll_ns, 300 * NS_S);
	CHECK_EQ_U64(c.storage.blocklist_poll_tenant_index_builders, 2);
	tc_config_dispose(&c);
}

static void test_garbage_yaml(void)
{
	CHECK(load_fails("server:\n  http_listen_port: [1, 2\n", "t.yaml:3: invalid YAML"));
	CHECK(load_fails("server:\n\thttp_listen_port: 1\n", "t.yaml:2: invalid YAML"));
	CHECK(load_fails("a: b: c\n", "t.yaml:1: invalid YAML"));
	CHECK(load_fails("just a string\n", "t.yaml:1: the config must be a mapping, got a scalar"));
	CHECK(load_fails("- server\n", "t.yaml:1: the config must be a mapping, got a sequence"));
	CHECK(load_fails("server: {}\n---\nserver: {}\n",
			 "t.yaml:3: only one YAML document is allowed"));
	CHECK(load_fails("? [a, b]\n: 1\n", "t.yaml:1: keys must be plain names"));
	{
		tc_config c;
		static const char nul[] = "server:\n  log_level: info\0\n";
		CHECK_ERR(tc_config_load_string(&c, nul, sizeof(nul) - 1, "t.yaml"), TC_EINVALID);
		CHECK_ERRMSG("t.yaml");
		tc_config_dispose(&c);
	}
}

static void test_yaml_features(void)
{
	tc_config c;

	/* Anchors, flow mappings, quoting and comments are plain YAML. */
	CHECK_ERR(load(&c, "x-common: &d 45m\n"), TC_EINVALID);
	CHECK_ERRMSG("x-common: unknown key");
	CHECK_OK(load(&c, "compactor: {compaction: {compaction_window: 2h, block_retention: '72h',\n"
			  "  max_time_per_tenant: &d 45m, compacted_block_retention: *d}}\n"
			  "server:\n  log_level: \"warn\" # comment\n"
			  "storage:\n  trace:\n    local: {path: '/data/traces'}\n"));
	CHECK_EQ_U64(c.compactor.compaction.compaction_window_ns, 7200 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.block_retention_ns, 72 * 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.compacted_block_retention_ns, 45 * 60 * NS_S);
	CHECK_STR(c.server.log_level, "warn");
	CHECK_STR(c.storage.local_path, "/data/traces");
	tc_config_dispose(&c);
}

static void test_set(void)
{
	tc_config c;

	CHECK_OK(tc_config_default(&c));
	CHECK_OK(tc_config_set(&c, "compactor.compaction.compaction_cycle", "5s"));
	CHECK_EQ_U64(c.compactor.compaction.compaction_cycle_ns, 5 * NS_S);
	CHECK_OK(tc_config_set(&c, "storage.trace.local.path", "/data"));
	CHECK_STR(c.storage.local_path, "/data");
	CHECK_OK(tc_config_set(&c, "storage.trace.local.path", "/other"));
	CHECK_STR(c.storage.local_path, "/other");
	CHECK_OK(tc_config_set(&c, "storage.trace.block.encoding", "LZ4-1M"));
	CHECK(c.storage.block.encoding == TC_ENC_LZ4_1M);
	CHECK_OK(tc_config_set(&c, "storage.trace.s3.forcepathstyle", "true"));
	CHECK(c.storage.s3.forcepathstyle == 1);
	CHECK_OK(tc_config_set(&c, "overrides.per_tenant_override_config", ""));
	CHECK(c.overrides.per_tenant_override_config == NULL);

	CHECK_ERR(tc_config_set(&c, "compactor.compaction.nope", "1"), TC_EINVALID);
	CHECK_ERRMSG("unknown config key \"compactor.compaction.nope\"");
	CHECK_ERR(tc_config_set(&c, "compactor.compaction", "1"), TC_EINVALID);
	CHECK_ERR(tc_config_set(&c, "compactor.compaction.compaction_cycle", "-5s"), TC_EINVALID);
	CHECK_ERRMSG("compactor.compaction.compaction_cycle: must not be negative");
	/* A failed set leaves the old value. */
	CHECK_EQ_U64(c.compactor.compaction.compaction_cycle_ns, 5 * NS_S);
	CHECK_ERR(tc_config_set(&c, "server.http_listen_port", "70000"), TC_EINVALID);
	CHECK_ERRMSG("server.http_listen_port: must be at most 65535");
	tc_config_dispose(&c);
}

static void test_file_errors(void)
{
	tc_config c;
	char path[4096];

	snprintf(path, sizeof(path), "%s/missing.yaml", tc_test_tmpdir());
	CHECK_ERR(tc_config_load_file(&c, path), TC_ENOTFOUND);
	CHECK_ERRMSG("missing.yaml");
	tc_config_dispose(&c);

	snprintf(path, sizeof(path), "%s/bad.yaml", tc_test_tmpdir());
	CHECK_OK(tc_test_write_file(path, "server:\n  http_listen_port: x\n", 30));
	CHECK_ERR(tc_config_load_file(&c, path), TC_EINVALID);
	CHECK_ERRMSG("bad.yaml:2: server.http_listen_port:");
	tc_config_dispose(&c);
}

/* A secret's value never appears in a message. */
static void test_secret_not_in_messages(void)
{
	CHECK(load_fails("storage:\n  trace:\n    s3:\n      secret_key: [hunter2]\n",
			 "t.yaml:4: storage.trace.s3.secret_key: want a single value"));
	CHECK(strstr(tc_error_last(), "hunter2") == NULL);
}

/* Repeats unit n times after prefix, then suffix; NULL on failure. */
static char *gen(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	tc_buf b = TC_BUF_INIT;
	int r = tc_buf_puts(&b, prefix);

	for (size_t i = 0; i < n && r >= 0; i++)
		r = tc_buf_puts(&b, unit);
	if (r < 0 || tc_buf_puts(&b, suffix) < 0 || tc_buf_cstr(&b) < 0) {
		tc_buf_dispose(&b);
		return NULL;
	}
	return (char *)tc_buf_detach(&b, NULL);
}

/* yaml (freed here) must be refused with TC_ELIMIT and a message containing want. */
static int load_limited(char *yaml, const char *want)
{
	tc_config c;
	int r, ok = 1;

	if (!yaml) {
		tc_test_fail(__FILE__, __LINE__, "out of memory generating YAML");
		return 0;
	}
	r = load(&c, yaml);
	tc_config_dispose(&c);
	if (r != TC_ELIMIT || !strstr(tc_error_last(), want)) {
		tc_test_fail(__FILE__, __LINE__, "load of %.40s... returned %d (%s), want %d with \"%s\"",
			     yaml, r, tc_error_last(), TC_ELIMIT, want);
		ok = 0;
	}
	free(yaml);
	return ok;
}

/*
 * libyaml's cost per token grows with the depth (100,000 '[' took over 30 s)
 * and its tree with the node count: both are refused while parsing.
 */
static void test_nesting_limit(void)
{
	char *y;

	CHECK(load_limited(gen("server: ", "[", 100000, "\n"),
			   "t.yaml:1: too deeply nested (limit 64)"));
	/* Block style nests as deep, one line per level. */
	{
		tc_buf b = TC_BUF_INIT;
		int r = tc_buf_puts(&b, "a:\n");
		for (int i = 1; i < 100 && r >= 0; i++)
			r = tc_buf_printf(&b, "%*sk%d:\n", i, "", i);
		CHECK(r >= 0 && tc_buf_cstr(&b) >= 0);
		/* The 65th mapping is k63's value, which starts on line 65. */
		CHECK(load_limited((char *)tc_buf_detach(&b, NULL),
				   "t.yaml:65: too deeply nested (limit 64)"));
	}
	/* 64 levels (the root mapping and 63 sequences) are allowed. */
	y = gen("x: ", "[", 63, "");
	CHECK(y != NULL);
	{
		char *z = gen(y, "]", 63, "\n");
		free(y);
		CHECK(z != NULL);
		CHECK(load_fails(z, "t.yaml:1: x: unknown key"));
		free(z);
	}
	CHECK(load_limited(gen("x: ", "[", 64, ""), "t.yaml:1: too deeply nested (limit 64)"));
}

static void test_node_limit(void)
{
	char *y;

	/* The root mapping, "x", the sequence and 249,997 items: 250,000 nodes. */
	y = gen("x: [", "1,", 249996, "1]\n");
	CHECK(y != NULL);
	CHECK(load_fails(y, "t.yaml:1: x: unknown key"));
	free(y);
	CHECK(load_limited(gen("x: [", "1,", 249997, "1]\n"),
			   "t.yaml:1: too many nodes (limit 250000)"));
	/* Empty collections and block style count alike; the message names the line. */
	CHECK(load_limited(gen("x:\n", "- []\n", 300000, ""),
			   "t.yaml:249999: too many nodes (limit 250000)"));
	/* Millions of tiny nodes stop at the limit, long before the file ends. */
	CHECK(load_limited(gen("x: [", "1,", 2000000, "1]\n"), "too many nodes (limit 250000)"));
}

/* Aliases are references to one node: a billion laughs costs its size, not 10^9 nodes. */
static void test_alias_bomb(void)
{
	tc_buf b = TC_BUF_INIT;
	char *y;
	int r = tc_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");

	for (int i = 1; i < 10 && r >= 0; i++) {
		r = tc_buf_printf(&b, "a%d: &a%d [", i, i);
		for (int j = 0; j < 10 && r >= 0; j++)
			r = tc_buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
		if (r >= 0)
			r = tc_buf_puts(&b, "]\n");
	}
	CHECK(r >= 0 && tc_buf_cstr(&b) >= 0);
	y = (char *)tc_buf_detach(&b, NULL);
	/* The tree was built (no limit hit); then the walk stops at the first unknown key. */
	CHECK(load_fails(y, "t.yaml:1: a0: unknown key"));
	free(y);

	CHECK(load_fails("server: &s {log_level: [*s]}\n",
			 "t.yaml:1: invalid YAML: alias *s inside the collection it names"));
	CHECK(load_fails("server: {log_level: *nope}\n",
			 "t.yaml:1: invalid YAML: alias *nope names no anchor before it"));
	/* A later anchor of the same name wins, as in Go's yaml.v2. */
	{
		tc_config c;
		CHECK_OK(load(&c, "compactor:\n  compaction:\n    compaction_window: &d 2h\n"
				  "    block_retention: &d 72h\n    compacted_block_retention: *d\n"));
		CHECK_EQ_U64(c.compactor.compaction.compacted_block_retention_ns,
			     72 * 3600 * NS_S);
		tc_config_dispose(&c);
	}
	/* Each anchor is looked up by name: their number is bounded. */
	y = gen("x: [", "&a 1, ", 300, "1]\n");
	CHECK(y != NULL);
	CHECK(load_fails(y, "t.yaml:1: x: unknown key"));
	free(y);
	{
		tc_buf a = TC_BUF_INIT;
		r = tc_buf_puts(&a, "x: [");
		for (int i = 0; i < 257 && r >= 0; i++)
			r = tc_buf_printf(&a, "&a%d 1, ", i);
		CHECK(r >= 0 && tc_buf_puts(&a, "1]\n") >= 0 && tc_buf_cstr(&a) >= 0);
		CHECK(load_limited((char *)tc_buf_detach(&a, NULL),
				   "t.yaml:1: too many anchors (limit 256)"));
	}
}

/* Only regular files, opened without blocking, up to 4 MiB. */
static void test_special_files(void)
{
	tc_config c;
	char path[4096];
	char *big;

	CHECK_ERR(tc_config_load_file(&c, tc_test_tmpdir()), TC_EINVALID);
	CHECK_ERRMSG(": not a regular file (a directory)");
	tc_config_dispose(&c);
	CHECK_ERR(tc_config_load_file(&c, "/dev/zero"), TC_EINVALID);
	CHECK_ERRMSG("/dev/zero: not a regular file (a character device)");
	tc_config_dispose(&c);

	/* Opening a FIFO without a writer would block here forever. */
	snprintf(path, sizeof(path), "%s/fifo.yaml", tc_test_tmpdir());
	CHECK(mkfifo(path, 0600) == 0);
	CHECK_ERR(tc_config_load_file(&c, path), TC_EINVALID);
	CHECK_ERRMSG("fifo.yaml: not a regular file (a FIFO)");
	tc_config_dispose(&c);

	/* 4 MiB is allowed (here all comment), one byte more is not. */
	big = gen("#", " ", ((size_t)4 << 20) - 2, "\n");
	CHECK(big != NULL);
	snprintf(path, sizeof(path), "%s/big.yaml", tc_test_tmpdir());
	if (tc_test_write_file(path, big, (size_t)4 << 20) < 0) {
		free(big);
		CHECK(0);
	}
	CHECK_OK(tc_config_load_file(&c, path));
	tc_config_dispose(&c);
	big[((size_t)4 << 20) - 1] = ' ';
	big[(size_t)4 << 20] = '\n';
	if (tc_test_write_file(path, big, ((size_t)4 << 20) + 1) < 0) {
		free(big);
		CHECK(0);
	}
	free(big);
	CHECK_ERR(tc_config_load_file(&c, path), TC_ELIMIT);
	CHECK_ERRMSG("big.yaml: file too large (limit 4194304 bytes)");
	tc_config_dispose(&c);
}

/* Keys and values from the file are echoed escaped: they cannot act on a terminal. */
static void test_messages_escape_controls(void)
{
	tc_config c;

	CHECK(load_fails("server:\n  \"evil\\e[31mkey\": 1\n",
			 "t.yaml:2: server.evil\\x1b[31mkey: unknown key"));
	CHECK(strchr(tc_error_last(), '\x1b') == NULL);
	CHECK(load_fails("server:\n  log_level: \"info\\r\\e[2K\"\n",
			 "got \"info\\r\\x1b[2K\""));
	CHECK(strpbrk(tc_error_last(), "\r\x1b") == NULL);
	CHECK(load_fails("storage:\n  trace:\n    backend: \"s3\\u009b\"\n", "got \"s3\\u009b\""));
	CHECK(load_fails("compactor:\n  ring:\n    kvstore:\n      store: \"x\\ny\"\n",
			 "\"x\\ny\" is not supported"));
	CHECK(load_fails("\"a\\tb\": 1\n", "t.yaml:1: a\\tb: unknown key"));
	CHECK(load_fails("server: {log_level: info}\n\"se\\arver\": {}\n", "se\\x07rver"));
	/* The file name too (it may come from a config value). */
	CHECK_ERR(tc_config_load_string(&c, "x: 1\n", 5, "a\x1b]0;b.yaml"), TC_EINVALID);
	CHECK_ERRMSG("a\\x1b]0;b.yaml:1: x: unknown key");
	tc_config_dispose(&c);
	/* Flags: tc_config_set. */
	CHECK_OK(tc_config_default(&c));
	CHECK_ERR(tc_config_set(&c, "server.\x1b[31m", "1"), TC_EINVALID);
	CHECK_ERRMSG("unknown config key \"server.\\x1b[31m\"");
	CHECK_ERR(tc_config_set(&c, "server.http_listen_port", "1\r2"), TC_EINVALID);
	CHECK_ERRMSG("got \"1\\r2\"");
	tc_config_dispose(&c);
}

/* ---- Tempo 1.5 configs (docs/CONFIG.md) ---- */

/* Whether the load listed key as ignored, at "t.yaml:<line>". */
static int ignored_at(const tc_config *c, const char *key, const char *at)
{
	for (size_t i = 0; i < c->src.ignored_keys.n; i++)
		if (!strcmp(c->src.ignored_keys.items[i], key))
			return !strcmp(c->src.ignored_at.items[i], at);
	return 0;
}

static void test_tempo_keys_table(void)
{
	CHECK(tc_tempo_keys_n > 500);
	/* bsearch needs strcmp order and no repeats. */
	for (size_t i = 1; i < tc_tempo_keys_n; i++)
		CHECK_MSG(strcmp(tc_tempo_keys[i - 1].path, tc_tempo_keys[i].path) < 0,
			  "tempo keys out of order at %s", tc_tempo_keys[i].path);
}

/* Appends path's sections, nested, and its leaf set to value. */
static int put_path(tc_buf *b, const char *path, const char *value)
{
	int depth = 0, error = TC_OK;
	const char *seg = path, *dot;

	while ((dot = strchr(seg, '.')) != NULL && error >= 0) {
		error = tc_buf_printf(b, "%*s%.*s:\n", 2 * depth, "", (int)(dot - seg), seg);
		seg = dot + 1;
		depth++;
	}
	return error < 0 ? error : tc_buf_printf(b, "%*s%s: %s\n", 2 * depth, "", seg, value);
}

/*
 * Every key of Tempo 1.5 loads, alone, with a value of its shape; those we
 * have no row for are listed as ignored with their line.
 */
static void test_every_tempo_key_loads(void)
{
	for (size_t i = 0; i < tc_tempo_keys_n; i++) {
		const tc_tempo_key *k = &tc_tempo_keys[i];
		tc_buf b = TC_BUF_INIT;
		tc_config c, d;
		int is_row, r;

		CHECK_OK(tc_config_default(&d));
		is_row = tc_config_set(&d, k->path, "") != TC_EINVALID ||
			 !strstr(tc_error_last(), "unknown config key");
		tc_config_dispose(&d);
		if (is_row)
			continue; /* its own tests check it, with values of its type */
		CHECK_OK(put_path(&b, k->path, k->kind == TC_TK_SCALAR ? "1"
					       : k->kind == TC_TK_SEQ ? "[a]"
					       : k->kind == TC_TK_MAP ? "{free: [form]}" : "{}"));
		r = tc_config_load_string(&c, (const char *)b.ptr, b.len, "t.yaml");
		tc_buf_dispose(&b);
		CHECK_MSG(r == TC_OK, "Tempo key %s refused: %s", k->path, tc_error_last());
		/* A section of ours ("compactor") is walked, not ignored. */
		CHECK_MSG(k->kind == TC_TK_SECTION || c.src.ignored_keys.n == 1,
			  "Tempo key %s not listed as ignored", k->path);
		CHECK_MSG(c.src.ignored_keys.n == 0 ||
				  !strcmp(c.src.ignored_keys.items[0], k->path),
			  "Tempo key %s not listed as ignored", k->path);
		tc_config_dispose(&c);
	}
}

static void test_tempo_keys_ignored_with_lines(void)
{
	tc_config c;

	CHECK_OK(load(&c, "target: compactor\n"
			  "storage:\n"
			  "  trace:\n"
			  "    wal:\n"
			  "      path: /w\n"
			  "    blocklist_poll_fallback: true\n"
			  "    blocklist_poll_tenant_index_builders: 1\n"
			  "    cache: redis\n"
			  "distributor:\n"
			  "  receivers:\n"
			  "    anything:\n"
			  "      deep: {x: [1, {y: 2}]}\n"
			  "memberlist:\n"
			  "ingester_client:\n"
			  "  grpc_client_config:\n"
			  "    max_send_msg_size: 1\n"));
	CHECK_STR(c.target, "compactor");
	CHECK(c.storage.blocklist_poll_tenant_index_builders == 1);
	CHECK(ignored_at(&c, "storage.trace.wal.path", "t.yaml:5"));
	CHECK(ignored_at(&c, "storage.trace.blocklist_poll_fallback", "t.yaml:6"));
	CHECK(ignored_at(&c, "storage.trace.cache", "t.yaml:8"));
	/* A free-form map (Go map) is one entry, whatever is inside. */
	CHECK(ignored_at(&c, "distributor.receivers", "t.yaml:10"));
	CHECK(ignored_at(&c, "memberlist", "t.yaml:13"));
	CHECK(ignored_at(&c, "ingester_client.grpc_client_config.max_send_msg_size", "t.yaml:16"));
	CHECK(c.src.ignored_keys.n == 6);
	CHECK_STR(tc_config_where(&c, "storage.trace.blocklist_poll_tenant_index_builders"),
		  "t.yaml:7");
	CHECK(tc_config_where(&c, "storage.trace.blocklist_poll") == NULL);
	CHECK_OK(tc_config_set(&c, "storage.trace.blocklist_poll_tenant_index_builders", "3"));
	CHECK_STR(tc_config_where(&c, "storage.trace.blocklist_poll_tenant_index_builders"),
		  "flag -storage.trace.blocklist_poll_tenant_index_builders");
	tc_config_dispose(&c);
}

static void test_tempo_keys_typos_and_shapes(void)
{
	/* Typos inside sections we ignore are still typos. */
	CHECK(load_fails("storage:\n  trace:\n    wal:\n      pth: /w\n",
			 "t.yaml:4: storage.trace.wal.pth: unknown key"));
	CHECK(load_fails("distributer:\n  receivers: {}\n", "t.yaml:1: distributer: unknown key"));
	CHECK(load_fails("ingester:\n  lifecycler:\n    ring:\n      replication_factr: 3\n",
			 "t.yaml:4: ingester.lifecycler.ring.replication_factr: unknown key"));
	CHECK(load_fails("storage:\n  trace:\n    blocklist_poll_falback: true\n",
			 "t.yaml:3: storage.trace.blocklist_poll_falback: unknown key"));
	/* The shape Tempo's struct gives the key. */
	CHECK(load_fails("storage:\n  trace:\n    pool: 5\n",
			 "t.yaml:3: storage.trace.pool: want a mapping, got a scalar"));
	CHECK(load_fails("memberlist:\n  join_members: a\n",
			 "t.yaml:2: memberlist.join_members: want a sequence, got a scalar"));
	CHECK(load_fails("storage:\n  trace:\n    wal:\n      path: [a]\n",
			 "t.yaml:4: storage.trace.wal.path: want a single value, got a sequence"));
	CHECK(load_fails("distributor:\n  receivers: [otlp]\n",
			 "t.yaml:2: distributor.receivers: want a mapping, got a sequence"));
}

static void test_target(void)
{
	static const char *const ok[] = { "all", "compactor", "scalable-single-binary" };
	tc_config c;

	CHECK_OK(tc_config_default(&c));
	CHECK_STR(c.target, "all");
	tc_config_dispose(&c);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char yaml[64];
		snprintf(yaml, sizeof(yaml), "target: %s\n", ok[i]);
		CHECK_OK(load(&c, yaml));
		CHECK_STR(c.target, ok[i]);
		tc_config_dispose(&c);
	}
	CHECK(load_fails("server:\n  http_listen_port: 1\ntarget: distributor\n",
			 "t.yaml:3: target: \"distributor\" is not supported (supported: all, "
			 "compactor, scalable-single-binary)"));
	CHECK(load_fails("target: querier\n", "t.yaml:1: target: \"querier\" is not supported"));
}

/* Every faulty key of a file is reported, each with its line; past 8, counted. */
static void test_every_problem_reported(void)
{
	tc_buf b = TC_BUF_INIT;
	tc_config c;

	CHECK(load_fails("a: 1\ncompactor:\n  compaction:\n    block_retenion: 1h\n"
			 "    compaction_window: 1x\nb: 2\n",
			 "t.yaml:1: a: unknown key\n"
			 "t.yaml:4: compactor.compaction.block_retenion: unknown key\n"
			 "t.yaml:5: compactor.compaction.compaction_window: want a duration"));
	CHECK(strstr(tc_error_last(), "\nt.yaml:6: b: unknown key") != NULL);
	for (int i = 0; i < 12; i++)
		CHECK_OK(tc_buf_printf(&b, "k%d: 1\n", i));
	CHECK_ERR(tc_config_load_string(&c, (const char *)b.ptr, b.len, "t.yaml"), TC_EINVALID);
	tc_buf_dispose(&b);
	CHECK(strstr(tc_error_last(), "t.yaml:8: k7: unknown key\nt.yaml: 4 more problems") != NULL);
}

static void test_validate_names_lines(void)
{
	tc_config c;

	CHECK_OK(load(&c, "compactor:\n  ring:\n    kvstore:\n      store: etcd\n"));
	CHECK_ERR(tc_config_validate(&c), TC_EINVALID);
	CHECK(strstr(tc_error_last(), "t.yaml:4: compactor.ring.kvstore.etcd.endpoints: must not be "
				      "empty") != NULL);
	tc_config_dispose(&c);
}

/* Loads tests/data/tempo-configs/<name>; the caller disposes. */
static int load_example(tc_config *c, const char *name)
{
	char path[4096];
	const char *data = getenv("TC_DATA");

	snprintf(path, sizeof(path), "%s/tempo-configs/%s", data && *data ? data : "tests/data",
		 name);
	return tc_config_load_file(c, path);
}

/* The effective compactor config of configs in the shape of Tempo's examples. */
static void test_tempo_example_configs(void)
{
	const tc_compaction_config *k;
	tc_config c;

	CHECK_OK(load_example(&c, "single-binary-local.yaml"));
	k = &c.compactor.compaction;
	CHECK_STR(c.target, "all");
	CHECK_EQ_U64(k->compaction_window_ns, 3600 * NS_S);
	CHECK_EQ_U64(k->max_block_bytes, 100000000);
	CHECK_EQ_U64(k->block_retention_ns, 3600 * NS_S);
	CHECK_EQ_U64(k->compacted_block_retention_ns, 600 * NS_S);
	CHECK_EQ_U64(k->max_compaction_objects, 6000000);
	CHECK(c.compactor.ring.store == NULL);
	CHECK_STR(c.storage.backend, "local");
	CHECK_STR(c.storage.local_path, "/tmp/tempo/blocks");
	CHECK_EQ_U64(c.storage.block.index_downsample_bytes, 1000);
	CHECK(c.storage.block.bloom_fp == 0.05);
	CHECK(c.storage.block.encoding == TC_ENC_ZSTD);
	CHECK(c.src.ignored_keys.n == 22);
	CHECK(strstr(c.src.ignored_at.items[c.src.ignored_keys.n - 1], "single-binary-local.yaml:") != NULL);
	CHECK_OK(tc_config_validate(&c));
	tc_config_dispose(&c);

	CHECK_OK(load_example(&c, "distributed-s3.yaml"));
	k = &c.compactor.compaction;
	CHECK_STR(c.target, "compactor");
	CHECK_EQ_U64(k->block_retention_ns, 48 * 3600 * NS_S);
	CHECK_EQ_U64(k->compacted_block_retention_ns, 30 * 60 * NS_S);
	CHECK_EQ_U64(k->compaction_window_ns, 30 * 60 * NS_S);
	CHECK_EQ_U64(k->max_compaction_objects, 1000000);
	CHECK_EQ_U64(k->max_block_bytes, 50000000000ULL);
	CHECK_STR(c.compactor.ring.store, "etcd");
	CHECK(c.compactor.ring.etcd.endpoints.n == 1);
	CHECK_STR(c.compactor.ring.etcd.endpoints.items[0], "etcd:2379");
	CHECK_EQ_U64(c.compactor.ring.heartbeat_timeout_ns, 30 * NS_S);
	CHECK_EQ_U64(c.compactor.ring.heartbeat_period_ns, 5 * NS_S);
	CHECK_STR(c.storage.backend, "s3");
	CHECK_STR(c.storage.s3.bucket, "tempo");
	CHECK_STR(c.storage.s3.endpoint, "minio:9000");
	CHECK_STR(c.storage.s3.access_key, "tempo");
	CHECK_STR(c.storage.s3.secret_key, "supersecret");
	CHECK(c.storage.s3.insecure == 1);
	CHECK_EQ_U64(c.storage.blocklist_poll_ns, 30 * NS_S);
	CHECK(c.storage.blocklist_poll_tenant_index_builders == 1);
	CHECK_STR(c.overrides.per_tenant_override_config, "/conf/overrides.yaml");
	CHECK_OK(tc_config_validate(&c));
	tc_config_dispose(&c);

	CHECK_OK(load_example(&c, "s3.yaml"));
	CHECK_STR(c.target, "all");
	CHECK_EQ_U64(c.compactor.compaction.flush_size_bytes, 5242880);
	CHECK_EQ_U64(c.compactor.compaction.block_retention_ns, 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.max_block_bytes, 100000000);
	CHECK_STR(c.storage.backend, "s3");
	CHECK_STR(c.storage.s3.endpoint, "minio:9000");
	CHECK(c.storage.s3.region == NULL);
	tc_config_dispose(&c);

	/* azure and gcs: Tempo's keys are ours (both verify: test_config_verify.sh). */
	CHECK_OK(load_example(&c, "azure.yaml"));
	CHECK_STR(c.storage.backend, "azure");
	CHECK_STR(c.storage.azure.container_name, "tempo");
	CHECK_STR(c.storage.azure.endpoint_suffix, "azurite:10000");
	CHECK_STR(c.storage.azure.storage_account_name, "devstoreaccount1");
	CHECK_STR(c.storage.azure.storage_account_key, "bm90LWEtcmVhbC1rZXk=");
	CHECK_EQ_U64(c.storage.azure.buffer_size, 3 << 20);
	CHECK(!c.storage.azure.use_managed_identity);
	CHECK_EQ_U64(c.compactor.compaction.compaction_window_ns, 2 * 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.block_retention_ns, 72 * 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.compacted_block_retention_ns, 600 * NS_S);
	tc_config_dispose(&c);
	CHECK_OK(load_example(&c, "gcs.yaml"));
	CHECK_STR(c.storage.backend, "gcs");
	CHECK_EQ_U64(c.compactor.compaction.block_retention_ns, 24 * 3600 * NS_S);
	CHECK_EQ_U64(c.compactor.compaction.flush_size_bytes, 5242880);
	CHECK_STR(c.storage.gcs.bucket_name, "tempo");
	CHECK_STR(c.storage.gcs.endpoint, "https://gcs:4443/storage/v1/");
	CHECK(c.storage.gcs.insecure == 1);
	CHECK(c.storage.gcs.object_metadata.n == 2);
	CHECK_STR(c.storage.gcs.object_metadata.items[1], "tracing");
	tc_config_dispose(&c);

	CHECK_OK(load_example(&c, "scalable-single-binary.yaml"));
	CHECK_STR(c.target, "scalable-single-binary");
	CHECK_STR(c.compactor.ring.store, "etcd");
	CHECK_STR(c.compactor.ring.prefix, "tempo/");
	CHECK(c.compactor.ring.etcd.endpoints.n == 2);
	CHECK_STR(c.compactor.ring.etcd.endpoints.items[1], "http://etcd-1:2379");
	CHECK_STR(c.compactor.ring.instance_id, "tempo1");
	CHECK_STR(c.compactor.ring.instance_addr, "10.0.0.1");
	CHECK_EQ_U64(c.compactor.ring.heartbeat_period_ns, 2 * NS_S);
	CHECK_EQ_U64(c.compactor.ring.heartbeat_timeout_ns, 20 * NS_S);
	CHECK(c.storage.blocklist_poll_tenant_index_builders == 3);
	CHECK_EQ_U64(c.compactor.compaction.block_retention_ns, 3600 * NS_S);
	CHECK_OK(tc_config_validate(&c));
	tc_config_dispose(&c);
}

/*
 * Tempo 1.5's whole default config, every key of every module as its
 * /status/config prints it, loads and gives our defaults: the compactor's
 * defaults are Tempo's.
 */
static void test_tempo_defaults_file(void)
{
	tc_config d, c;
	char *a = NULL, *b = NULL;

	CHECK_OK(load_example(&c, "tempo-1.5-defaults.yaml"));
	CHECK(c.src.ignored_keys.n > 300);
	CHECK_OK(tc_config_default(&d));
	/* The host it was dumped on named the ring's instance. */
	CHECK_OK(tc_config_set(&d, "compactor.ring.instance_id", c.compactor.ring.instance_id));
	/* Tempo 1.5's HTTP port is 80; ours is 3200, Tempo 2's. */
	CHECK(c.server.http_listen_port == 80);
	CHECK_OK(tc_config_set(&d, "server.http_listen_port", "80"));
	a = dump(&d, 0);
	b = dump(&c, 0);
	tc_config_dispose(&d);
	tc_config_dispose(&c);
	if (!a || !b || strcmp(a, b) != 0)
		tc_test_fail(__FILE__, __LINE__, "Tempo's defaults differ from ours:\n%s\n---\n%s",
			     a ? a : "(null)", b ? b : "(null)");
	free(a);
	free(b);
}

/* A typo in a whole Tempo config is refused with the file and line. */
static void test_typo_in_full_tempo_config(void)
{
	char path[4096];
	const char *data = getenv("TC_DATA");
	tc_buf f = TC_BUF_INIT;
	tc_config c;
	char *at, want[128];
	unsigned long line = 1;

	snprintf(path, sizeof(path), "%s/tempo-configs/distributed-s3.yaml",
		 data && *data ? data : "tests/data");
	CHECK_OK(tc_test_read_file(&f, path));
	CHECK_OK(tc_buf_cstr(&f));
	at = strstr((char *)f.ptr, "block_retention: 48h");
	CHECK(at != NULL);
	memcpy(at, "block_retenion:  48h", 20);
	for (char *p = (char *)f.ptr; p < at; p++)
		line += *p == '\n';
	CHECK_ERR(tc_config_load_string(&c, (const char *)f.ptr, f.len, "tempo.yaml"), TC_EINVALID);
	tc_buf_dispose(&f);
	snprintf(want, sizeof(want), "tempo.yaml:%lu: compactor.compaction.block_retenion: unknown key",
		 line);
	CHECK_MSG(strstr(tc_error_last(), want) != NULL, "message \"%s\" lacks \"%s\"",
		  tc_error_last(), want);
}

TC_TEST_MAIN(T(test_defaults), T(test_empty_file_is_defaults), T(test_shipped_config_is_defaults),
	     T(test_shipped_config_lists_every_key), T(test_full_file), T(test_write_roundtrip),
	     T(test_redaction), T(test_written_layout), T(test_aliases), T(test_unknown_keys),
	     T(test_wrong_types), T(test_durations_superset), T(test_impossible_values),
	     T(test_zero_means_default),
	     T(test_garbage_yaml), T(test_yaml_features), T(test_set), T(test_file_errors),
	     T(test_secret_not_in_messages), T(test_write_roundtrip_unicode), T(test_ring_defaults),
	     T(test_ring_full), T(test_ring_store_unsupported), T(test_lists), T(test_validate),
	     T(test_nesting_limit), T(test_node_limit), T(test_alias_bomb), T(test_special_files),
	     T(test_messages_escape_controls), T(test_tempo_keys_table), T(test_every_tempo_key_loads),
	     T(test_tempo_keys_ignored_with_lines), T(test_tempo_keys_typos_and_shapes), T(test_target),
	     T(test_every_problem_reported), T(test_validate_names_lines),
	     T(test_tempo_example_configs), T(test_tempo_defaults_file),
	     T(test_typo_in_full_tempo_config))
