#include "tests/test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encoding/block_verify.h"
#include "src/compactor/blocklist.h"

int tc_test_failures;

static char tmp_roots[64][4096];
static int n_tmp_roots;

void tc_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	tc_test_failures++;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static void cleanup_tmp(void)
{
	if (getenv("TC_KEEP_TMP"))
		return;
	for (int i = 0; i < n_tmp_roots; i++)
		nftw(tmp_roots[i], rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int tc_test_run(const tc_test_case *cases, size_t n, int argc, char **argv)
{
	int ran = 0;
	atexit(cleanup_tmp);
	for (size_t i = 0; i < n; i++) {
		int before = tc_test_failures;
		if (argc > 1 && strstr(cases[i].name, argv[1]) == NULL)
			continue;
		tc_error_clear();
		cases[i].fn();
		ran++;
		fprintf(stderr, "%s %s\n", tc_test_failures == before ? "ok  " : "FAIL", cases[i].name);
	}
	fprintf(stderr, "%d tests, %d failures\n", ran, tc_test_failures);
	return tc_test_failures ? 1 : (ran ? 0 : 1);
}

const char *tc_test_data(const char *rel)
{
	static _Thread_local char paths[8][4096];
	static _Thread_local int next;
	const char *root = getenv("TC_DATA");
	char *p = paths[next++ % 8];
	struct stat st;

	if (!root) {
		fprintf(stderr, "TC_DATA is not set (run the tests through ctest, "
				"or set it to the repository's tests/data)\n");
		exit(2);
	}
	snprintf(p, 4096, "%s/%s", root, rel);
	if (stat(p, &st) != 0) {
		fprintf(stderr, "missing test data %s: %s (tests/data/README.md)\n", p,
			strerror(errno));
		exit(2);
	}
	return p;
}

const char *tc_test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;
	if (n_tmp_roots >= 64) {
		fprintf(stderr, "too many temporary directories\n");
		exit(2);
	}
	p = tmp_roots[n_tmp_roots];
	snprintf(p, 4096, "%s/tctest-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(p)) {
		fprintf(stderr, "mkdtemp %s: %s\n", p, strerror(errno));
		exit(2);
	}
	n_tmp_roots++;
	return p;
}

static const char *copy_src, *copy_dst;

static int copy_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	char dst[4096];
	tc_buf b = TC_BUF_INIT;
	int rc = 0;
	(void)ftw;
	snprintf(dst, sizeof(dst), "%s%s", copy_dst, path + strlen(copy_src));
	if (flag == FTW_D)
		return mkdir(dst, 0755) == 0 || errno == EEXIST ? 0 : -1;
	if (flag != FTW_F)
		return 0;
	(void)sb;
	if (tc_test_read_file(&b, path) < 0 || tc_test_write_file(dst, b.ptr, b.len) < 0)
		rc = -1;
	tc_buf_dispose(&b);
	return rc;
}

int tc_test_copy_tree(const char *src, const char *dst)
{
	copy_src = src;
	copy_dst = dst;
	return nftw(src, copy_cb, 16, FTW_PHYS) == 0 ? 0 : -1;
}

int tc_test_read_file(tc_buf *out, const char *path)
{
	char tmp[65536];
	ssize_t r;
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		tc_error_set_os("open %s", path);
		return TC_ERROR;
	}
	while ((r = read(fd, tmp, sizeof(tmp))) > 0)
		if (tc_buf_put(out, tmp, (size_t)r) < 0) {
			close(fd);
			return TC_ERROR;
		}
	close(fd);
	return r < 0 ? TC_ERROR : TC_OK;
}

int tc_test_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	const uint8_t *p = data;
	if (fd < 0) {
		tc_error_set_os("open %s", path);
		return TC_ERROR;
	}
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w <= 0) {
			close(fd);
			tc_error_set_os("write %s", path);
			return TC_ERROR;
		}
		p += w;
		len -= (size_t)w;
	}
	return close(fd) == 0 ? TC_OK : TC_ERROR;
}

uint64_t tc_test_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static long inspect_tenant(const char *file, int line, tc_backend *be, const char *tenant)
{
	tc_blocklist bl = TC_BLOCKLIST_INIT;
	tc_block_verify_stats st;
	long n = 0;
	int rc;

	if (tc_blocklist_read_tenant(&bl, be, tenant) < 0) {
		tc_test_fail(file, line, "listing tenant %s: %s", tenant, tc_error_last());
		return -1;
	}
	if (bl.skipped > 0) {
		/* a meta the poller cannot read hides its block from everyone: a block we wrote must not */
		tc_test_fail(file, line, "tenant %s: %zu block(s) skipped as unreadable", tenant, bl.skipped);
		n = -1;
	}
	for (size_t i = 0; i < bl.n_live && n >= 0; i++) {
		if (tc_blocklist_is_quarantined(&bl, bl.live[i].block_id))
			continue;
		if ((rc = tc_block_verify(&st, be, &bl.live[i], NULL, NULL, NULL)) < 0) {
			tc_test_fail(file, line, "live block %s/%s fails inspect: %s", tenant, bl.live[i].block_id,
				     tc_error_last());
			n = -1;
		} else {
			n++;
		}
	}
	tc_blocklist_dispose(&bl);
	return n;
}

long tc_test_inspect_live_blocks(const char *file, int line, tc_backend *be)
{
	tc_strlist tenants = TC_STRLIST_INIT;
	long total = 0;

	if (tc_blocklist_tenants(&tenants, be) < 0) {
		tc_test_fail(file, line, "listing tenants: %s", tc_error_last());
		return -1;
	}
	for (size_t t = 0; t < tenants.n && total >= 0; t++) {
		long n = inspect_tenant(file, line, be, tenants.items[t]);
		total = n < 0 ? -1 : total + n;
	}
	tc_strlist_dispose(&tenants);
	return total;
}
