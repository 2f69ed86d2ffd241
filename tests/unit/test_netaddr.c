/* The ring's instance address: configured, or the first IPv4 of the named interfaces. */
#include "tests/test.h"

#include "src/util/netaddr.h"

static void list(tc_strlist *l, const char *csv)
{
	tc_strlist_dispose(l);
	CHECK_OK(tc_strlist_split(l, csv, ','));
}

static void configured_wins(void)
{
	tc_strlist names = TC_STRLIST_INIT;
	char out[TC_NETADDR_MAX];

	list(&names, "nosuch0");
	CHECK_OK(tc_netaddr_instance(out, "10.1.2.3", &names));
	CHECK_STR(out, "10.1.2.3");
	/* Any text: it only has to be what other replicas see in the ring. */
	CHECK_OK(tc_netaddr_instance(out, "compactor-0.compactor", &names));
	CHECK_STR(out, "compactor-0.compactor");
	tc_strlist_dispose(&names);
}

static void loopback(void)
{
	tc_strlist names = TC_STRLIST_INIT;
	char out[TC_NETADDR_MAX];

	list(&names, "lo");
	CHECK_OK(tc_netaddr_instance(out, NULL, &names));
	CHECK_STR(out, "127.0.0.1");
	/* Interfaces without an address are passed over, in order. */
	list(&names, "nosuch0,lo");
	CHECK_OK(tc_netaddr_instance(out, "", &names));
	CHECK_STR(out, "127.0.0.1");
	tc_strlist_dispose(&names);
}

static void nothing_found(void)
{
	tc_strlist names = TC_STRLIST_INIT;
	char out[TC_NETADDR_MAX];

	list(&names, "nosuch0,nosuch1");
	CHECK_ERR(tc_netaddr_instance(out, NULL, &names), TC_ENOTFOUND);
	CHECK_ERRMSG("nosuch0: no such interface; nosuch1: no such interface");
	CHECK_STR(out, "");
	tc_strlist_dispose(&names);
	CHECK_ERR(tc_netaddr_instance(out, NULL, &names), TC_ENOTFOUND);
	CHECK_ERRMSG("(none given)");
}

/* Names from the config are echoed with their control characters escaped. */
static void messages_escape_controls(void)
{
	tc_strlist names = TC_STRLIST_INIT;
	char out[TC_NETADDR_MAX], addr[TC_NETADDR_MAX + 8];

	list(&names, "eth\x1b[31m9");
	CHECK_ERR(tc_netaddr_instance(out, NULL, &names), TC_ENOTFOUND);
	CHECK_ERRMSG("eth\\x1b[31m9: no such interface");
	memset(addr, 'a', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = '\0';
	addr[1] = '\r';
	CHECK_ERR(tc_netaddr_instance(out, addr, &names), TC_EINVALID);
	CHECK_ERRMSG("instance address \"a\\raaa");
	tc_strlist_dispose(&names);
}

TC_TEST_MAIN(T(configured_wins), T(loopback), T(nothing_found), T(messages_escape_controls))
