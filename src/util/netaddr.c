#include "src/util/netaddr.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "src/util/error.h"
#include "src/util/utf8.h"

static int link_local(const char *ip)
{
	return strncmp(ip, "169.254.", 8) == 0;
}

/*
 * dskit's filterIPs: the interface's first IPv4 address that is not
 * link-local, or else its last link-local one; "" when it has none.
 */
static void first_ipv4(char out[INET_ADDRSTRLEN], const struct ifaddrs *all, const char *name)
{
	out[0] = '\0';
	for (const struct ifaddrs *a = all; a; a = a->ifa_next) {
		char ip[INET_ADDRSTRLEN];

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || strcmp(a->ifa_name, name))
			continue;
		if (!inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)a->ifa_addr)->sin_addr,
			       ip, sizeof(ip)))
			continue;
		memcpy(out, ip, sizeof(ip));
		if (!link_local(ip))
			return;
	}
}

int tc_netaddr_instance(char out[TC_NETADDR_MAX], const char *configured, const tc_strlist *names)
{
	struct ifaddrs *all = NULL;
	char why[512] = "", fallback[INET_ADDRSTRLEN] = "";
	size_t used = 0;

	out[0] = '\0';
	if (configured && *configured) {
		if (strlen(configured) >= TC_NETADDR_MAX) {
			tc_error_set("instance address \"%s...\" is too long",
			     tc_utf8_printable(configured, 32));
			return TC_EINVALID;
		}
		strcpy(out, configured);
		return TC_OK;
	}
	if (getifaddrs(&all) < 0) {
		tc_error_set_os("listing network interfaces");
		return TC_ERROR;
	}
	for (size_t i = 0; i < names->n; i++) {
		const char *name = names->items[i];
		char ip[INET_ADDRSTRLEN];

		first_ipv4(ip, all, name);
		if (*ip && !link_local(ip)) {
			strcpy(out, ip);
			freeifaddrs(all);
			return TC_OK;
		}
		/* A link-local address is kept only in case no interface has a better one. */
		if (*ip)
			strcpy(fallback, ip);
		if (used < sizeof(why))
			used += (size_t)snprintf(why + used, sizeof(why) - used, "%s%s: %s",
						 used ? "; " : "", tc_utf8_printable(name, 64),
						 *ip ? "only a link-local address"
						 : if_nametoindex(name) ? "no IPv4 address"
						 : "no such interface");
	}
	freeifaddrs(all);
	if (*fallback) {
		strcpy(out, fallback);
		return TC_OK;
	}
	tc_error_set("no IPv4 address found on the interfaces %s",
		     names->n ? why : "(none given)");
	return TC_ENOTFOUND;
}
