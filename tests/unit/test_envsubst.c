/*
 * -config.expand-env against drone/envsubst as Tempo 1.5 vendors it: every
 * expected output below is what envsubst.EvalEnv printed for the input,
 * with A=alpha, E set and empty, U unset (docs/CONFIG.md).
 */
#include <stdlib.h>
#include <unistd.h>

#include "tests/test.h"

#include "src/config/config.h"
#include "src/config/envsubst.h"

static int expands(const char *in, const char *want)
{
	tc_buf out = TC_BUF_INIT;
	int r = tc_envsubst(&out, in, strlen(in), "t.yaml"), ok;

	if (r < 0) {
		tc_test_fail(__FILE__, __LINE__, "<<%s>>: %s", in, tc_error_last());
		tc_buf_dispose(&out);
		return 0;
	}
	ok = out.len == strlen(want) && (out.len == 0 || !memcmp(out.ptr, want, out.len));
	if (!ok)
		tc_test_fail(__FILE__, __LINE__, "<<%s>> gave <<%.*s>>, want <<%s>>", in,
			     (int)out.len, out.ptr ? (const char *)out.ptr : "", want);
	tc_buf_dispose(&out);
	return ok;
}

static int refused(const char *in, const char *want)
{
	tc_buf out = TC_BUF_INIT;
	int r = tc_envsubst(&out, in, strlen(in), "t.yaml");

	tc_buf_dispose(&out);
	if (r != TC_EINVALID || !strstr(tc_error_last(), want)) {
		tc_test_fail(__FILE__, __LINE__, "<<%s>>: returned %d (%s), want TC_EINVALID with \"%s\"",
			     in, r, tc_error_last(), want);
		return 0;
	}
	return 1;
}

static void env(void)
{
	setenv("A", "alpha", 1);
	setenv("E", "", 1);
	unsetenv("U");
}

static void test_braced(void)
{
	env();
	CHECK(expands("${A}", "alpha"));
	CHECK(expands("p: ${A}${A}", "p: alphaalpha"));
	CHECK(expands("${U}", ""));
	CHECK(expands("${1A}", ""));
	CHECK(expands("${A}}", "alpha}"));
	CHECK(expands("{A}", "{A}"));
	CHECK(expands("", ""));
}

static void test_defaults(void)
{
	env();
	CHECK(expands("${U:-d}", "d"));
	CHECK(expands("${E:-d}", "d"));
	CHECK(expands("${A:-d}", "alpha"));
	CHECK(expands("${A:-}", "alpha"));
	CHECK(expands("${U:-}", ""));
	CHECK(expands("${U=d}", "d"));
	CHECK(expands("${U:=d}", "d"));
	/* envsubst reads :+ and :? as defaults too, unlike a shell. */
	CHECK(expands("${U:+d}", "d"));
	CHECK(expands("${A:+d}", "alpha"));
	CHECK(expands("${U:?m}", "m"));
	CHECK(expands("${U:-${A}}", "alpha"));
	CHECK(expands("${U:-${U:-z}}", "z"));
	CHECK(expands("${U:-x${A}y}", "xalphay"));
	CHECK(expands("${U:-${A:-q}r}", "alphar"));
	CHECK(expands("${A:-${U}x}", "alpha"));
	/* A default is taken as written: no escapes in it. */
	CHECK(expands("${U:-a$$b}", "a$$b"));
	CHECK(expands("${U:-a\\\\b}", "a\\\\b"));
	CHECK(expands("${U:-a b:c}", "a b:c"));
	CHECK(expands("${U:-x:y}", "x:y"));
	CHECK(expands("${U:--d}", "-d"));
	CHECK(expands("${U:-$A}", "$A"));
	CHECK(expands("${U:-$}", "$"));
	CHECK(expands("${U:-a{b}", "a{b"));
	CHECK(expands("${U:-a}b}", "ab}"));
	CHECK(expands("${U:-\\}}", "\\}"));
	CHECK(expands("${U:-a$${A}}", "a$alpha"));
	CHECK(expands("${U:-a\nb}", "a\nb"));
}

static void test_escapes_and_bare_dollar(void)
{
	env();
	CHECK(expands("$A", "$A"));
	CHECK(expands("x$$y", "x$y"));
	CHECK(expands("$${A}", "${A}"));
	CHECK(expands("$$$A", "$$A"));
	CHECK(expands("$$$${A}", "$${A}"));
	CHECK(expands("a\\\\b", "a\\b"));
	CHECK(expands("a\\/b", "a/b"));
	CHECK(expands("a\\nb", "a\\nb"));
	CHECK(expands("\\${A}", "\\alpha"));
	CHECK(expands("\\\\${A}", "\\alpha"));
	CHECK(expands("$", "$"));
	CHECK(expands("a$", "a$"));
	CHECK(expands("$\\\\", "$\\"));
	CHECK(expands("\\\\$", "\\$"));
}

static void test_refused(void)
{
	env();
	CHECK(refused("${}", "t.yaml:1: -config.expand-env: unable to parse variable name"));
	CHECK(refused("x: 1\ny: ${A", "t.yaml:2: -config.expand-env: missing closing brace"));
	CHECK(refused("${A:-x", "unable to parse substitution within function"));
	CHECK(refused("${U-d}", "missing closing brace"));
	CHECK(refused("${A }", "missing closing brace"));
	CHECK(refused("${ A}", "unable to parse variable name"));
	CHECK(refused("${U:-${A}", "unable to parse substitution within function"));
	/* envsubst's string functions: refused rather than half-done. */
	CHECK(refused("${#A}", "(length) is not supported"));
	CHECK(refused("${A,}", "string functions are not supported"));
	CHECK(refused("${A^^}", "string functions are not supported"));
	CHECK(refused("${A:1}", "string functions are not supported"));
	CHECK(refused("${A/a/b}", "string functions are not supported"));
	CHECK(refused("${A%a}", "string functions are not supported"));
	CHECK(refused("${A#a}", "string functions are not supported"));
}

static void test_limits(void)
{
	tc_buf in = TC_BUF_INIT, out = TC_BUF_INIT;
	char *big;

	env();
	for (int i = 0; i < 40; i++)
		CHECK_OK(tc_buf_puts(&in, "${U:-"));
	for (int i = 0; i < 40; i++)
		CHECK_OK(tc_buf_puts(&in, "}"));
	CHECK_ERR(tc_envsubst(&out, (const char *)in.ptr, in.len, "t.yaml"), TC_ELIMIT);
	CHECK(strstr(tc_error_last(), "nested") != NULL);
	tc_buf_dispose(&in);
	tc_buf_dispose(&out);

	/* A value that blows the expanded text past the config's size limit. */
	big = malloc((3u << 20) + 1);
	CHECK(big != NULL);
	memset(big, 'x', 3u << 20);
	big[3u << 20] = '\0';
	setenv("BIG", big, 1);
	free(big);
	CHECK_ERR(tc_envsubst(&out, "a: ${BIG}\nb: ${BIG}\n", 20, "t.yaml"), TC_ELIMIT);
	tc_buf_dispose(&out);
	unsetenv("BIG");
}

/* The whole path: a file loaded with TC_CONFIG_EXPAND_ENV, and without it. */
static void test_load_file_expands(void)
{
	char path[] = "/tmp/tc-envsubst-XXXXXX";
	int fd = mkstemp(path);
	const char *yaml = "storage:\n  trace:\n"
			   "    local:\n      path: ${TC_T_DIR}/blocks\n"
			   "    s3:\n      region: ${TC_T_REGION:-eu-west-1}\n"
			   "      bucket: \"$${literal}\"\n";
	tc_config c;

	CHECK(fd >= 0);
	CHECK(write(fd, yaml, strlen(yaml)) == (ssize_t)strlen(yaml));
	close(fd);
	setenv("TC_T_DIR", "/srv/tempo", 1);
	unsetenv("TC_T_REGION");
	CHECK_OK(tc_config_load_file_ex(&c, path, TC_CONFIG_EXPAND_ENV));
	CHECK_STR(c.storage.local_path, "/srv/tempo/blocks");
	CHECK_STR(c.storage.s3.region, "eu-west-1");
	CHECK_STR(c.storage.s3.bucket, "${literal}");
	tc_config_dispose(&c);
	/* Without the flag the text is YAML as it stands. */
	CHECK_OK(tc_config_load_file(&c, path));
	CHECK_STR(c.storage.local_path, "${TC_T_DIR}/blocks");
	CHECK_STR(c.storage.s3.region, "${TC_T_REGION:-eu-west-1}");
	CHECK_STR(c.storage.s3.bucket, "$${literal}");
	tc_config_dispose(&c);
	/* A value is text in the YAML: it can change its shape, and the line is named. */
	setenv("TC_T_REGION", "[x, y]", 1);
	CHECK_ERR(tc_config_load_file_ex(&c, path, TC_CONFIG_EXPAND_ENV), TC_EINVALID);
	CHECK(strstr(tc_error_last(), ":6: storage.trace.s3.region: want a single value") != NULL);
	tc_config_dispose(&c);
	unsetenv("TC_T_REGION");
	unlink(path);
}

TC_TEST_MAIN(T(test_braced), T(test_defaults), T(test_escapes_and_bare_dollar), T(test_refused),
	     T(test_limits), T(test_load_file_expands))
