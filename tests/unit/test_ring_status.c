/*
 * The ring page (tc_ring_status) and Forget, over the in-memory kv store
 * (tests/ring_fixture.h): every member shown, every string from the ring
 * escaped in HTML and JSON, Unhealthy members, ownership shares.
 */
#include "tests/ring_fixture.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "src/util/timeutil.h"

/* ---- the ring page ---- */

static void test_status(void)
{
	tc_kv *store = NULL;
	rf_member a, b;
	tc_buf out = TC_BUF_INIT;
	tc_ring_desc *d = NULL;
	tc_ring_instance inst;
	cJSON *j = NULL, *shards;
	double sum = 0;
	const char *s;
	uint32_t tok = 7;

	CHECK_OK(tc_kv_mem_new(&store));
	rf_log_capture();
	CHECK_OK(rf_member_start(&a, store, "<script>alert(1)</script>", 1));
	CHECK_OK(rf_member_start(&b, store, "compactor-b", 2));
	/* a member someone else wrote, with an address that is not UTF-8, silent for 3 s */
	{
		tc_kv_value v = TC_KV_VALUE_INIT;
		tc_buf enc = TC_BUF_INIT;
		int rc;
		do {
			CHECK_OK(tc_kv_get(&v, store, RING_KEY));
			CHECK_OK(tc_ring_desc_decode(&d, v.data.ptr, v.data.len, NULL));
			CHECK_OK(tc_ring_desc_set(d, "z\"&'", "bad\xff:1", TC_RING_ACTIVE,
						  tc_time_now().sec - 3, &tok, 1));
			enc.len = 0;
			CHECK_OK(tc_ring_desc_encode(&enc, d));
			tc_ring_desc_free(d);
			d = NULL;
			rc = tc_kv_cas(store, RING_KEY, v.version, enc.ptr, enc.len);
		} while (rc == TC_ECONFLICT);
		CHECK_OK(rc);
		tc_kv_value_dispose(&v);
		tc_buf_dispose(&enc);
	}
	CHECK(rf_wait_members(&a, 2, 1, 3000));
	/* b must have seen z too, or it has no leaving of z to log below */
	CHECK(rf_wait_members(&b, 2, 1, 3000));

	CHECK_OK(tc_ring_status(&out, a.ring, 0));
	tc_buf_cstr(&out);
	s = (const char *)out.ptr;
	CHECK(strncmp(s, "<!DOCTYPE html>", 15) == 0);
	CHECK(!strstr(s, "<script>"));
	CHECK(strstr(s, "<td>&lt;script&gt;alert(1)&lt;/script&gt; (this instance)</td>"));
	CHECK(strstr(s, "name=\"forget\" value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
	CHECK(strstr(s, "<form method=\"post\"><input type=\"hidden\" name=\"forget\" "
			"value=\"compactor-b\"><button type=\"submit\">Forget</button></form>"));
	CHECK(strstr(s, "<td>z&quot;&amp;&#39;</td>"));
	CHECK(strstr(s, "bad\xef\xbf\xbd:1"));
	CHECK(strstr(s, "<td>Unhealthy</td>"));
	CHECK(strstr(s, "<td>ACTIVE</td><td>10.0.0.2:9095</td>"));
	CHECK(strstr(s, " ago)</td><td>512</td><td>"));

	out.len = 0;
	CHECK_OK(tc_ring_status(&out, a.ring, 1));
	tc_buf_cstr(&out);
	s = (const char *)out.ptr;
	CHECK(!strstr(s, "<script>"));
	CHECK(strstr(s, "\"id\":\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\""));
	CHECK(strstr(s, "\"address\":\"bad\\ufffd:1\""));
	CHECK((j = cJSON_Parse(s)) != NULL);
	shards = cJSON_GetObjectItem(j, "shards");
	CHECK(cJSON_GetArraySize(shards) == 3);
	for (int i = 0; i < 3; i++) {
		cJSON *sh = cJSON_GetArrayItem(shards, i);
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(sh, "id"));
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(sh, "state"));
		int n = cJSON_GetArraySize(cJSON_GetObjectItem(sh, "tokens"));
		CHECK(id && state);
		CHECK_STR(state, strcmp(id, "z\"&'") == 0 ? "Unhealthy" : "ACTIVE");
		CHECK(n == (strcmp(id, "z\"&'") == 0 ? 1 : 512));
		CHECK(cJSON_GetObjectItem(sh, "num_tokens")->valuedouble == n);
		sum += cJSON_GetObjectItem(sh, "ownership")->valuedouble;
		CHECK(cJSON_IsString(cJSON_GetObjectItem(sh, "timestamp")));
		CHECK(cJSON_IsString(cJSON_GetObjectItem(sh, "registered_timestamp")));
	}
	CHECK_MSG(sum > 99.99 && sum < 100.01, "ownership sums to %f", sum);
	CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "now")));
	cJSON_Delete(j);

	/* Forget: gone from the value; an unknown ID is not found */
	CHECK_OK(tc_ring_forget(a.ring, "z\"&'"));
	CHECK((d = rf_stored(store)) != NULL);
	CHECK_ERR(tc_ring_desc_get(&inst, d, "z\"&'"), TC_ENOTFOUND);
	CHECK_EQ_U64(tc_ring_desc_count(d), 2);
	tc_ring_desc_free(d);
	CHECK_ERR(tc_ring_forget(a.ring, "nobody"), TC_ENOTFOUND);
	CHECK(rf_wait_members(&a, 2, 0, 3000));
	CHECK_EQ_U64(rf_log_count("forgot ring member", "forgotten on the ring page"), 1);

	/* forgetting a live member: it adds itself back at its next heartbeat */
	CHECK_OK(tc_ring_forget(a.ring, "compactor-b"));
	CHECK(rf_wait_members(&a, 1, 0, 1000));
	CHECK(rf_wait_members(&a, 2, 0, 3000));
	CHECK_EQ_U64(rf_log_count("missing from the ring", NULL), 1);
	/* b saw z leave; a logged its forgetting instead */
	CHECK_EQ_U64(rf_wait_log("ring member left", NULL, 1, 5000), 1);
	CHECK_EQ_U64(rf_log_count("ring member left", "z"), 1);

	tc_buf_dispose(&out);
	rf_member_free(&a);
	rf_member_free(&b);
	tc_kv_free(store);
}

TC_TEST_MAIN(T(test_status))
