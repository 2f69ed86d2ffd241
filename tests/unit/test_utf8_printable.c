/*
 * tc_utf8_escape / tc_utf8_printable: what messages use to echo names and
 * values from files and flags without letting them act on a terminal.
 */
#include <stdint.h>

#include "tests/test.h"
#include "src/util/utf8.h"

static void test_plain_text_unchanged(void)
{
	CHECK_STR(tc_utf8_printable("storage.trace.local.path", 256), "storage.trace.local.path");
	CHECK_STR(tc_utf8_printable("/data/traces 2", 256), "/data/traces 2");
	/* Printable UTF-8 stays readable. */
	CHECK_STR(tc_utf8_printable("t\xc3\xa9nant-\xe6\x97\xa5", 256), "t\xc3\xa9nant-\xe6\x97\xa5");
	CHECK_STR(tc_utf8_printable("", 256), "");
	CHECK_STR(tc_utf8_printable(NULL, 256), "");
}

static void test_controls_escaped(void)
{
	CHECK_STR(tc_utf8_printable("a\x1b[31mb", 256), "a\\x1b[31mb");
	CHECK_STR(tc_utf8_printable("x\ry\nz\t", 256), "x\\ry\\nz\\t");
	CHECK_STR(tc_utf8_printable("\x01\x7f", 256), "\\x01\\x7f");
	CHECK_STR(tc_utf8_printable("say \"hi\" C:\\d", 256), "say \\\"hi\\\" C:\\\\d");
	/* C1 CSI (U+009B), line separator, right-to-left override. */
	CHECK_STR(tc_utf8_printable("a\xc2\x9b" "b", 256), "a\\u009bb");
	CHECK_STR(tc_utf8_printable("a\xe2\x80\xa8" "b", 256), "a\\u2028b");
	CHECK_STR(tc_utf8_printable("a\xe2\x80\xae" "b", 256), "a\\u202eb");
	CHECK_STR(tc_utf8_printable("a\xe2\x81\xa6" "b", 256), "a\\u2066b");
	/* Not UTF-8: each byte shown. */
	CHECK_STR(tc_utf8_printable("a\xff\xc3(", 256), "a\\xff\\xc3(");
}

static void test_cuts(void)
{
	char out[8];

	/* max counts input bytes. */
	CHECK_STR(tc_utf8_printable("abcdef", 3), "abc");
	/* A character max would split is left out, not shown as stray bytes. */
	CHECK_STR(tc_utf8_printable("ab\xc3\xa9", 3), "ab");
	CHECK_STR(tc_utf8_printable("ab\xc3\xa9", 4), "ab\xc3\xa9");
	/* An escape that does not fit is left out whole. */
	CHECK_STR(tc_utf8_escape(out, sizeof(out), "abcd\x1b", SIZE_MAX), "abcd");
	CHECK_STR(tc_utf8_escape(out, sizeof(out), "abc\x1b", SIZE_MAX), "abc\\x1b");
	CHECK_STR(tc_utf8_escape(out, 1, "abc", SIZE_MAX), "");
}

static void test_ring_holds_several_arguments(void)
{
	char line[256];

	snprintf(line, sizeof(line), "%s %s %s %s", tc_utf8_printable("a\n", 8),
		 tc_utf8_printable("b\r", 8), tc_utf8_printable("c\t", 8),
		 tc_utf8_printable("d\x1b", 8));
	CHECK_STR(line, "a\\n b\\r c\\t d\\x1b");
	{
		/* 256 bytes that all need 4 characters still fit whole. */
		char in[257];
		const char *o;

		memset(in, 0x01, 256);
		in[256] = '\0';
		o = tc_utf8_printable(in, 256);
		CHECK_EQ_U64(strlen(o), 256 * 4);
	}
}

TC_TEST_MAIN(T(test_plain_text_unchanged), T(test_controls_escaped), T(test_cuts),
	     T(test_ring_holds_several_arguments))
