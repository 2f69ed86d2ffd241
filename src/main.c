#include <malloc.h>

#include "src/cli/cli.h"

int main(int argc, char **argv)
{
	/*
	 * Page buffers are megabytes and come and go with every job. Served
	 * by mmap they go back to the system when freed, so a long-running
	 * service keeps the footprint of one job instead of glibc's high-water
	 * mark; and two arenas are plenty for our few threads.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	mallopt(M_ARENA_MAX, 2);
	return tc_cli_main(argc, argv);
}
