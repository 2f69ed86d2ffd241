/*
 * What the bucket commands (list, view, query blocks, block, retention,
 * bucket) share: opening a tenant's bucket with the names checked,
 * tempo-cli's number and time formats, an aligned text table, and
 * --format.
 */
#ifndef TC_CLI_CLI_UTIL_H
#define TC_CLI_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "src/backend/backend.h"
#include "src/config/config.h"
#include "src/util/timeutil.h"

/*
 * Checks tenant (may be NULL: no tenant) and block (may be NULL) as keys,
 * then opens the bucket (tc_cli_open_bucket, never creating it). Prints
 * "<cmd>: <message>" to stderr on failure and returns the exit status to
 * use (2 for a bad name or flags, 1 otherwise); 0 on success. cfg must be
 * disposed by the caller either way.
 */
int tc_cli_open_checked(tc_backend **be, tc_config *cfg, const char *cmd, const char *path, const char *config,
			const char *tenant, const char *block);

/* --format: NULL or "text" -> 0, "json" -> 1, anything else -> -1 (message printed). */
int tc_cli_format_json(const char *cmd, const char *format);

/* Prints o indented, with a newline, and deletes it (NULL: out of memory). */
int tc_cli_print_json(cJSON *o);

/* go-humanize's Bytes: SI units, "83 MB", "9.5 kB", "7 B" (as tempo-cli prints sizes). */
void tc_cli_bytes(char *out, size_t outsz, uint64_t n);
/* go-humanize's Comma: "1,234,567". */
void tc_cli_comma(char *out, size_t outsz, int64_t n);
/* RFC 3339 to the second, in the offset the time was written with (Go's time.RFC3339). */
void tc_cli_time(char out[TC_TIME_STR_MAX], const tc_time *t);
/* b - a rounded to the second, as Go prints a Duration ("26h40m0s", "-5s"). */
void tc_cli_since(char *out, size_t outsz, const tc_time *a, const tc_time *b);
/* Unix nanoseconds of t. */
int64_t tc_cli_ns(const tc_time *t);

/* Rows of strings printed as left-aligned columns two spaces apart. */
typedef struct tc_cli_table tc_cli_table;
int tc_cli_table_new(tc_cli_table **out, size_t ncols, const char *const *header);
/* Copies ncols cells (NULL prints as empty). */
int tc_cli_table_add(tc_cli_table *t, const char *const *cells);
void tc_cli_table_print(FILE *f, const tc_cli_table *t);
void tc_cli_table_free(tc_cli_table *t);

#endif
