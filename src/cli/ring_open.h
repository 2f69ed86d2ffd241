/*
 * The compactor ring a config names (compactor.ring): its kv store and this
 * replica's membership, built for serve and for `ring dump`.
 */
#ifndef TC_CLI_RING_OPEN_H
#define TC_CLI_RING_OPEN_H

#include "src/config/config.h"
#include "src/metrics/metrics.h"
#include "src/ring/kv.h"
#include "src/ring/ring.h"
#include "src/util/netaddr.h"

/* The ring's key in the store: kvstore.prefix + override_ring_key ("collectors/compactor"). */
#define TC_CLI_RING_KEY_MAX 1100

typedef struct tc_cli_ring {
	tc_kv *kv;
	tc_ring *ring;
	char addr[TC_NETADDR_MAX + 8]; /* "instance_addr:instance_port", as written to the ring */
	int started;
} tc_cli_ring;

/*
 * The store of compactor.ring.kvstore (etcd; connects lazily). *out is NULL
 * and TC_OK when no store is configured. Faults of the config's keys are
 * TC_EINVALID or TC_EUNSUPPORTED.
 */
int tc_cli_kv_open(tc_kv **out, const tc_config *cfg);
/* prefix + override_ring_key into key. */
int tc_cli_ring_key(char key[TC_CLI_RING_KEY_MAX], const tc_config *cfg);

/*
 * Builds the ring (without joining it) when compactor.ring.kvstore.store is
 * set; leaves r zeroed otherwise. cfg and metrics must outlive r. Faults
 * of the config (or of an address it leaves to the interfaces) are
 * TC_EINVALID or TC_ENOTFOUND.
 */
int tc_cli_ring_open(tc_cli_ring *r, const tc_config *cfg, tc_metrics *metrics);
/* Joins (tc_ring_start); the store unreachable at start is TC_ERROR. */
int tc_cli_ring_start(tc_cli_ring *r);
/* Leaves the ring if joining was tried (it may have been written), and frees everything. */
void tc_cli_ring_close(tc_cli_ring *r);

#endif
