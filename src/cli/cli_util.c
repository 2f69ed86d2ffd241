#include "src/cli/cli_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/cli_backend.h"
#include "src/util/array.h"
#include "src/util/ids.h"
#include "src/util/utf8.h"

int tc_cli_open_checked(tc_backend **be, tc_config *cfg, const char *cmd, const char *path, const char *config,
			const char *tenant, const char *block)
{
	int rc;

	*be = NULL;
	memset(cfg, 0, sizeof(*cfg));
	/* Names become keys: a hostile one ("..", "a/b") never reaches the backend. */
	if (tenant && tc_tenant_validate(tenant) < 0) {
		fprintf(stderr, "%s: %s\n", cmd, tc_error_last());
		return 2;
	}
	if (block && !tc_uuid_is_valid(block)) {
		fprintf(stderr, "%s: \"%s\" is not a block ID\n", cmd, tc_utf8_printable(block, 64));
		return 2;
	}
	if ((rc = tc_cli_open_bucket(be, cfg, path, config, 0)) < 0) {
		fprintf(stderr, "%s: %s\n", cmd, tc_error_last());
		return rc == TC_EINVALID ? 2 : 1;
	}
	return 0;
}

int tc_cli_format_json(const char *cmd, const char *format)
{
	if (!format || !strcmp(format, "text"))
		return 0;
	if (!strcmp(format, "json"))
		return 1;
	fprintf(stderr, "%s: --format must be text or json, not \"%s\"\n", cmd, tc_utf8_printable(format, 32));
	return -1;
}

int tc_cli_print_json(cJSON *o)
{
	char *s = o ? cJSON_Print(o) : NULL;

	cJSON_Delete(o);
	if (!s) {
		tc_error_set("out of memory writing JSON");
		return TC_ERROR;
	}
	puts(s);
	free(s);
	return TC_OK;
}

void tc_cli_bytes(char *out, size_t outsz, uint64_t n)
{
	static const char *const sizes[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double e, val;

	if (n < 10) {
		snprintf(out, outsz, "%llu B", (unsigned long long)n);
		return;
	}
	e = floor(log((double)n) / log(1000.0));
	if (e > 6)
		e = 6;
	val = floor((double)n / pow(1000.0, e) * 10 + 0.5) / 10;
	snprintf(out, outsz, val < 10 ? "%.1f %s" : "%.0f %s", val, sizes[(int)e]);
}

void tc_cli_comma(char *out, size_t outsz, int64_t n)
{
	char digits[32], buf[48];
	size_t len, o = 0;
	uint64_t a = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;

	snprintf(digits, sizeof(digits), "%llu", (unsigned long long)a);
	len = strlen(digits);
	if (n < 0)
		buf[o++] = '-';
	for (size_t i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	snprintf(out, outsz, "%s", buf);
}

void tc_cli_time(char out[TC_TIME_STR_MAX], const tc_time *t)
{
	tc_time s = *t;

	s.nsec = 0;
	tc_time_format(out, &s);
}

int64_t tc_cli_ns(const tc_time *t)
{
	return t->sec * 1000000000LL + t->nsec;
}

void tc_cli_since(char *out, size_t outsz, const tc_time *a, const tc_time *b)
{
	int64_t d = tc_cli_ns(b) - tc_cli_ns(a), r = d % 1000000000LL;

	/* Go's Round: halves away from zero. */
	d -= r;
	if (r >= 500000000LL)
		d += 1000000000LL;
	else if (r <= -500000000LL)
		d -= 1000000000LL;
	tc_duration_format(out, outsz, d);
}

struct tc_cli_table {
	size_t ncols;
	char **cells; /* rows * ncols */
	size_t nrows, cap;
};

int tc_cli_table_new(tc_cli_table **out, size_t ncols, const char *const *header)
{
	tc_cli_table *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	t->ncols = ncols;
	if (tc_cli_table_add(t, header) < 0) {
		tc_cli_table_free(t);
		return TC_ERROR;
	}
	*out = t;
	return TC_OK;
}

int tc_cli_table_add(tc_cli_table *t, const char *const *cells)
{
	size_t base = t->nrows * t->ncols;
	int rc;

	if ((rc = tc_array_reserve(t->cells, t->cap, base + t->ncols, 0)) < 0)
		return rc;
	for (size_t i = 0; i < t->ncols; i++) {
		if (!(t->cells[base + i] = strdup(cells[i] ? cells[i] : ""))) {
			for (size_t k = 0; k < i; k++)
				free(t->cells[base + k]);
			tc_error_set("out of memory");
			return TC_ERROR;
		}
	}
	t->nrows++;
	return TC_OK;
}

void tc_cli_table_print(FILE *f, const tc_cli_table *t)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(*w));

	if (!w)
		return;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t len = strlen(t->cells[r * t->ncols + c]);
			if (len > w[c])
				w[c] = len;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		size_t last = t->ncols;
		/* No trailing blanks: a line ends with its last non-empty cell. */
		while (last > 0 && !*t->cells[r * t->ncols + last - 1])
			last--;
		for (size_t c = 0; c < last; c++)
			fprintf(f, "%-*s%s", c + 1 < last ? (int)w[c] : 0, t->cells[r * t->ncols + c],
				c + 1 < last ? "  " : "");
		fputc('\n', f);
	}
	free(w);
}

void tc_cli_table_free(tc_cli_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
