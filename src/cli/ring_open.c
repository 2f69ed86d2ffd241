#include "src/cli/ring_open.h"

#include <stdio.h>
#include <string.h>

#include "src/util/log.h"

int tc_cli_kv_open(tc_kv **out, const tc_config *cfg)
{
	const tc_ring_config *rc = &cfg->compactor.ring;
	tc_kv_etcd_options o;

	*out = NULL;
	if (!rc->store || !*rc->store)
		return TC_OK;
	if (strcmp(rc->store, "etcd") != 0) {
		tc_error_set("compactor.ring.kvstore.store: \"%s\" is not supported (supported: etcd)", rc->store);
		return TC_EUNSUPPORTED;
	}
	memset(&o, 0, sizeof(o));
	o.endpoints = (const char *const *)rc->etcd.endpoints.items;
	o.n_endpoints = rc->etcd.endpoints.n;
	o.dial_timeout_ns = rc->etcd.dial_timeout_ns;
	/*
	 * A request slower than a heartbeat period is of no use to the ring and
	 * would hold the heartbeat (and a shutdown waiting for it) for 2 x
	 * dial_timeout against a hung etcd: bound it by the period, at least 2s.
	 */
	o.request_timeout_ns = rc->heartbeat_period_ns > 2000000000LL ? rc->heartbeat_period_ns : 2000000000LL;
	if (o.request_timeout_ns > 2 * o.dial_timeout_ns)
		o.request_timeout_ns = 2 * o.dial_timeout_ns;
	o.max_retries = rc->etcd.max_retries;
	o.username = rc->etcd.username;
	o.password = rc->etcd.password;
	o.tls_enabled = rc->etcd.tls_enabled;
	o.tls_cert_path = rc->etcd.tls_cert_path;
	o.tls_key_path = rc->etcd.tls_key_path;
	o.tls_ca_path = rc->etcd.tls_ca_path;
	o.tls_insecure_skip_verify = rc->etcd.tls_insecure_skip_verify;
	return tc_kv_etcd_new(out, &o);
}

int tc_cli_ring_key(char key[TC_CLI_RING_KEY_MAX], const tc_config *cfg)
{
	const char *prefix = cfg->compactor.ring.prefix ? cfg->compactor.ring.prefix : "";
	const char *name = cfg->compactor.override_ring_key ? cfg->compactor.override_ring_key : "compactor";
	int n = snprintf(key, TC_CLI_RING_KEY_MAX, "%s%s", prefix, name);

	if (n < 0 || n >= TC_CLI_RING_KEY_MAX) {
		tc_error_set("compactor.ring.kvstore.prefix + compactor.override_ring_key: key too long");
		return TC_EINVALID;
	}
	return TC_OK;
}

int tc_cli_ring_open(tc_cli_ring *r, const tc_config *cfg, tc_metrics *metrics)
{
	const tc_ring_config *rc = &cfg->compactor.ring;
	tc_ring_options o;
	char host[TC_NETADDR_MAX];
	int err;

	memset(r, 0, sizeof(*r));
	if ((err = tc_cli_kv_open(&r->kv, cfg)) < 0 || !r->kv)
		return err;
	if ((err = tc_netaddr_instance(host, rc->instance_addr, &rc->instance_interface_names)) < 0)
		goto fail;
	/* dskit writes "%s:%d" whatever the address, so an IPv6 one goes unbracketed too. */
	snprintf(r->addr, sizeof(r->addr), "%s:%u", host, (unsigned)rc->instance_port);
	if (rc->instance_port == 0)
		tc_log_warn("msg=\"compactor.ring.instance_port is 0 (Tempo's default): replicas on one host "
			    "must each set a distinct instance_port (or instance_addr), or they share the ring "
			    "address %s and each takes every job that address owns\" instance_id=%s",
			    tc_log_q(r->addr), tc_log_q(rc->instance_id));
	memset(&o, 0, sizeof(o));
	o.prefix = rc->prefix ? rc->prefix : "";
	o.key = cfg->compactor.override_ring_key;
	o.instance_id = rc->instance_id;
	o.instance_addr = r->addr;
	o.heartbeat_period_ns = rc->heartbeat_period_ns;
	o.heartbeat_timeout_ns = rc->heartbeat_timeout_ns;
	o.wait_stability_min_ns = rc->wait_stability_min_duration_ns;
	o.wait_stability_max_ns = rc->wait_stability_max_duration_ns;
	o.wait_active_instance_timeout_ns = rc->wait_active_instance_timeout_ns;
	o.max_cas_retries = rc->etcd.max_retries;
	o.metrics = metrics;
	if ((err = tc_ring_new(&r->ring, r->kv, &o)) < 0)
		goto fail;
	return TC_OK;
fail:
	tc_cli_ring_close(r);
	return err;
}

int tc_cli_ring_start(tc_cli_ring *r)
{
	int err;

	if (!r->ring)
		return TC_OK;
	/* A join that failed half way may still have been written: stop leaves then too. */
	r->started = 1;
	if ((err = tc_ring_start(r->ring)) < 0)
		return err;
	return TC_OK;
}

void tc_cli_ring_close(tc_cli_ring *r)
{
	if (r->started)
		tc_ring_stop(r->ring);
	tc_ring_free(r->ring);
	tc_kv_free(r->kv);
	memset(r, 0, sizeof(*r));
}
