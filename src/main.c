#include <stdio.h>
#include <string.h>

#include "src/cli/cli.h"

int main(int argc, char **argv)
{
	return tc_cli_main(argc, argv);
}
