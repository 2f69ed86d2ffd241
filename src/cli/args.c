#include "src/cli/args.h"

#include <stdio.h>
#include <string.h>

static void print_usage(FILE *f, const char *usage, const tc_arg_spec *specs, size_t n)
{
	fprintf(f, "usage: %s\n", usage);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  --%-22s %s\n", specs[i].name, specs[i].help);
}

int tc_args_parse(const tc_arg_spec *specs, size_t n_specs, int argc, char **argv, const char **pos,
		  size_t max_pos, size_t *n_pos, const char *usage)
{
	*n_pos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq;
		size_t len;
		const tc_arg_spec *s = NULL;

		if (a[0] != '-' || a[1] == '\0') {
			if (*n_pos >= max_pos) {
				fprintf(stderr, "unexpected argument \"%s\"\n", a);
				print_usage(stderr, usage, specs, n_specs);
				return -1;
			}
			pos[(*n_pos)++] = a;
			continue;
		}
		name = a + (a[1] == '-' ? 2 : 1);
		if (!strcmp(name, "help") || !strcmp(name, "h")) {
			print_usage(stdout, usage, specs, n_specs);
			return 1;
		}
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		for (size_t k = 0; k < n_specs; k++)
			if (strlen(specs[k].name) == len && !strncmp(specs[k].name, name, len))
				s = &specs[k];
		if (!s) {
			fprintf(stderr, "unknown flag \"%s\"\n", a);
			print_usage(stderr, usage, specs, n_specs);
			return -1;
		}
		if (!s->takes_value) {
			*s->value = "1";
		} else if (eq) {
			*s->value = eq + 1;
		} else if (i + 1 < argc) {
			*s->value = argv[++i];
		} else {
			fprintf(stderr, "flag --%s needs a value\n", s->name);
			return -1;
		}
	}
	return 0;
}
