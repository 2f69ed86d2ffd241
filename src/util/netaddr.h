/*
 * The address a replica advertises in the compactor ring when
 * compactor.ring.instance_addr is empty: dskit's GetInstanceAddr, which
 * Tempo 1.5 calls with the ring's instance_interface_names.
 */
#ifndef TC_UTIL_NETADDR_H
#define TC_UTIL_NETADDR_H

#include <stddef.h>

#include "src/util/strlist.h"

/* Room for a dotted IPv4 address or a configured address of any sane length. */
#define TC_NETADDR_MAX 256

/*
 * configured when it is non-empty (copied as is), else the first IPv4
 * address of the first interface in names that has one, skipping link-local
 * 169.254.0.0/16 unless nothing else is found (as dskit does). TC_ENOTFOUND,
 * with a message naming each interface and why it gave nothing, when no
 * interface has an IPv4 address; TC_EINVALID for a configured address that
 * does not fit out.
 */
int tc_netaddr_instance(char out[TC_NETADDR_MAX], const char *configured, const tc_strlist *names);

#endif
