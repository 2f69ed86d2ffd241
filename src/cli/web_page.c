#include "src/cli/web_page.h"

#include "src/web/page.h"

int tc_cli_web_page(tc_buf *out, tc_service *svc, const tc_http_args *args)
{
	static const char *const names[] = { "tenant", "level", "from", "to", "compacted" };
	const char *v[5];
	tc_web_query q;
	tc_status st;
	int rc;

	for (size_t i = 0; i < 5; i++)
		if ((rc = tc_http_arg(&v[i], args, names[i])) < 0)
			return rc;
	if ((rc = tc_web_query_parse(&q, v[0], v[1], v[2], v[3], v[4])) < 0)
		return rc;
	if ((rc = tc_service_status(&st, svc, q.tenant)) == TC_OK)
		rc = tc_web_render(out, &st, &q);
	tc_status_dispose(&st);
	return rc;
}
