/*
 * Our Shared Key signer (src/backend/azure_sign.c) against signatures
 * Microsoft's SDK computed: tests/data/azure/sign-vectors.json holds fixed
 * requests and the Authorization each must get, written by
 * tests/tools/azure/sign.js with @azure/storage-blob's own policy (ctest
 * azure/sign_vectors re-checks the file against the SDK).
 */
#include "tests/test.h"

#include <cjson/cJSON.h>

#include "src/backend/azure_sign.h"

#define MAXP 16

static cJSON *load_vectors(void)
{
	tc_buf b = TC_BUF_INIT;
	cJSON *j = NULL;

	if (tc_test_read_file(&b, tc_test_data("azure/sign-vectors.json")) == 0)
		j = cJSON_ParseWithLength((const char *)b.ptr, b.len);
	tc_buf_dispose(&b);
	return j;
}

static void test_sdk_vectors(void)
{
	cJSON *v = load_vectors(), *r;
	const char *account, *date;
	uint8_t key[TC_AZURE_KEY_MAX];
	size_t keylen = 0;
	int n = 0;

	CHECK(v != NULL);
	if (!v)
		return;
	account = cJSON_GetObjectItem(v, "account")->valuestring;
	date = cJSON_GetObjectItem(v, "date")->valuestring;
	CHECK_OK(tc_azure_key_decode(key, &keylen, cJSON_GetObjectItem(v, "key")->valuestring));
	CHECK_EQ_U64(keylen, 64);
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(v, "requests"))
	{
		tc_sigv4_pair q[MAXP], h[MAXP];
		tc_azure_sign_request req = { .query = q, .headers = h };
		cJSON *e, *bl = cJSON_GetObjectItem(r, "body_len");
		char auth[TC_AZURE_AUTH_MAX];

		req.method = cJSON_GetObjectItem(r, "method")->valuestring;
		req.path = cJSON_GetObjectItem(r, "path")->valuestring;
		req.content_length = bl ? (uint64_t)bl->valuedouble : 0;
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "query"))
			q[req.nquery++] = (tc_sigv4_pair){ cJSON_GetArrayItem(e, 0)->valuestring,
							   cJSON_GetArrayItem(e, 1)->valuestring };
		h[req.nheaders++] = (tc_sigv4_pair){ "x-ms-date", date };
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "headers"))
			h[req.nheaders++] = (tc_sigv4_pair){ e->string, e->valuestring };
		CHECK_OK(tc_azure_sign(auth, &req, account, key, keylen));
		CHECK_MSG(!strcmp(auth, cJSON_GetObjectItem(r, "expect")->valuestring),
			  "%s: got %s, the SDK %s", cJSON_GetObjectItem(r, "name")->valuestring, auth,
			  cJSON_GetObjectItem(r, "expect")->valuestring);
		n++;
	}
	CHECK(n >= 10);
	cJSON_Delete(v);
}

/* The string to sign, spelled out for one request, as the documentation lays it out. */
static void test_string_to_sign(void)
{
	tc_sigv4_pair q[] = { { "restype", "container" }, { "Comp", "list" }, { "prefix", "a b/" } };
	tc_sigv4_pair h[] = { { "X-MS-Version", "2020-10-02" }, { "x-ms-date", "D" },
			      { "Content-Type", "text/plain" }, { "Host", "ignored" },
			      { "x-ms-blob-type", "  BlockBlob" } };
	tc_azure_sign_request r = { .method = "PUT", .path = "/acct/c/x y", .query = q, .nquery = 3,
				    .headers = h, .nheaders = 5, .content_length = 5 };
	tc_buf b = TC_BUF_INIT;

	CHECK_OK(tc_azure_string_to_sign(&b, &r, "acct"));
	CHECK_OK(tc_buf_cstr(&b));
	CHECK_STR((const char *)b.ptr, "PUT\n\n\n5\n\ntext/plain\n\n\n\n\n\n\n"
				       "x-ms-blob-type:BlockBlob\nx-ms-date:D\nx-ms-version:2020-10-02\n"
				       "/acct/acct/c/x%20y\ncomp:list\nprefix:a b/\nrestype:container");
	tc_buf_dispose(&b);
}

static void test_key_decode(void)
{
	uint8_t key[TC_AZURE_KEY_MAX];
	size_t n;

	CHECK_OK(tc_azure_key_decode(key, &n, "AAEC"));
	CHECK(n == 3 && key[0] == 0 && key[1] == 1 && key[2] == 2);
	CHECK_OK(tc_azure_key_decode(key, &n, "AAE="));
	CHECK_EQ_U64(n, 2);
	CHECK_OK(tc_azure_key_decode(key, &n, "AA=="));
	CHECK_EQ_U64(n, 1);
	CHECK_ERR(tc_azure_key_decode(key, &n, "not a key!"), TC_EINVALID);
	CHECK_ERRMSG("not base64");
	/* the message never shows the key */
	CHECK(strstr(tc_error_last(), "not a key") == NULL);
	CHECK_ERR(tc_azure_key_decode(key, &n, ""), TC_EINVALID);
	CHECK_ERR(tc_azure_key_decode(key, &n, "A*=="), TC_EINVALID);
}

TC_TEST_MAIN(T(test_sdk_vectors), T(test_string_to_sign), T(test_key_decode))
