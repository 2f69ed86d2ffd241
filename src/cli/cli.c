#include "src/cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "src/cli/commands.h"
#include "src/util/log.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "serve", tc_cmd_serve, "run the compactor service (-config.file=FILE)" },
	{ "compact", tc_cmd_compact, "compact blocks of one tenant of a local bucket" },
	{ "gen", tc_cmd_gen, "write synthetic level-0 blocks into a local bucket" },
	{ "inspect", tc_cmd_inspect, "validate one block and print a summary" },
	{ "block", tc_cmd_block, "list, mark (no-compact), unquarantine a block; rebuild its index or bloom" },
	{ "query", tc_cmd_query, "find a trace by ID and print it as OTLP JSON (query blocks: per block)" },
	{ "list", tc_cmd_list, "tempo-cli listings: blocks, block, compaction-summary, index" },
	{ "view", tc_cmd_view, "tempo-cli view index: every index record of a block" },
	{ "retention", tc_cmd_retention, "retention --dry-run: each block's retention decision and why" },
	{ "bucket", tc_cmd_bucket, "bucket verify: check every block of every tenant" },
	{ "ring", tc_cmd_ring, "print the compactor ring's members as JSON (ring dump)" },
	{ "web", tc_cmd_web, "serve the bucket page for a bucket, read-only (--path ROOT | --config FILE)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tracecompactor <command> [flags]\n"
		   "       tracecompactor -config.file=FILE [-config.expand-env=true] [-config.verify] "
		   "[-key=value ...]\n"
		   "           (as Tempo's image: runs the service; flags in any order; "
		   "`tracecompactor serve --help`)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-10s %s\n", "version", "print the version");
}

int tc_cli_main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("tracecompactor %s\n", TC_VERSION);
		return 0;
	}
	/*
	 * Tempo's spelling: flags without a command run the service, in any
	 * order (`tracecompactor -config.verify -config.file=FILE`).
	 */
	if (argv[1][0] == '-')
		return tc_cmd_serve(argc, argv);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "tracecompactor: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
