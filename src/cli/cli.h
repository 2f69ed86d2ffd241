/* The command line: `tracecompactor <command> [flags]`. */
#ifndef TC_CLI_H
#define TC_CLI_H

/* Returns the process exit status. */
int tc_cli_main(int argc, char **argv);

#endif
