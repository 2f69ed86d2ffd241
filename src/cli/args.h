/*
 * Flag parsing shared by the commands: "--name value", "--name=value",
 * "-name=value" (Tempo's single-dash spelling) and positionals.
 */
#ifndef TC_CLI_ARGS_H
#define TC_CLI_ARGS_H

#include <stddef.h>

typedef struct tc_arg_spec {
	const char *name;   /* without dashes */
	int takes_value;    /* 0: a boolean switch */
	const char **value; /* set to the value (or "1" for a switch) */
	const char *help;
} tc_arg_spec;

/*
 * Parses argv[1..]; positionals are collected into pos (up to max_pos).
 * Prints a message naming the bad flag to stderr and returns -1 on error,
 * 1 if --help was given (usage printed), 0 otherwise.
 */
int tc_args_parse(const tc_arg_spec *specs, size_t n_specs, int argc, char **argv, const char **pos,
		  size_t max_pos, size_t *n_pos, const char *usage);

#endif
