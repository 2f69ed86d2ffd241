#include "src/util/curl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/util/array.h"
#include "src/util/error.h"

struct tc_curl_pool {
	pthread_mutex_t mu;
	CURL **idle;
	size_t n, cap, max;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void tc_curl_global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

int tc_curl_pool_new(tc_curl_pool **out, size_t max)
{
	tc_curl_pool *p;

	*out = NULL;
	tc_curl_global_init();
	if (!(p = calloc(1, sizeof(*p)))) {
		tc_error_set("out of memory creating a curl handle pool");
		return TC_ERROR;
	}
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		tc_error_set("cannot create a curl handle pool's mutex");
		return TC_ERROR;
	}
	p->max = max;
	*out = p;
	return TC_OK;
}

void tc_curl_pool_free(tc_curl_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		curl_easy_cleanup(p->idle[i]);
	free(p->idle);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

CURL *tc_curl_pool_get(tc_curl_pool *p)
{
	CURL *h = NULL;

	pthread_mutex_lock(&p->mu);
	if (p->n)
		h = p->idle[--p->n];
	pthread_mutex_unlock(&p->mu);
	return h ? h : curl_easy_init();
}

void tc_curl_pool_put(tc_curl_pool *p, CURL *h)
{
	/* no option may keep pointing into the frame of the request that set it */
	curl_easy_reset(h);
	pthread_mutex_lock(&p->mu);
	/* Best effort: a full pool, or one that cannot grow, closes the handle instead. */
	if (p->n < p->max)
		(void)tc_array_reserve(p->idle, p->cap, p->n + 1, p->max);
	if (p->n < p->cap) {
		p->idle[p->n++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	if (h)
		curl_easy_cleanup(h);
}

void tc_curl_setup(CURL *h, const char *url, struct curl_slist *headers, char *errbuf,
		   int insecure)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

int tc_curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return 1;
	default:
		return 0;
	}
}

static int is_2xx(long st)
{
	return st >= 200 && st < 300;
}

size_t tc_curl_on_body(char *p, size_t sz, size_t n, void *ud)
{
	tc_curl_sink *k = ud;
	size_t len = sz * n;

	if (*k->status == 0)
		curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, k->status);
	if (is_2xx(*k->status) && k->out) {
		int err = tc_buf_put(k->out, p, len);
		if (err < 0) {
			k->out_err = err;
			return 0;
		}
		*k->got += len;
		return len;
	}
	if (is_2xx(*k->status) && k->fixed) {
		if (len > k->fixed_len - *k->got) {
			k->overflow = 1;
			return 0;
		}
		memcpy(k->fixed + *k->got, p, len);
		*k->got += len;
		return len;
	}
	if (k->other->len + len > k->other_max || tc_buf_put(k->other, p, len) < 0) {
		k->other_full = 1;
		return 0;
	}
	return len;
}

int tc_curl_header_value(char *out, size_t outsz, const char *line, size_t len, const char *name)
{
	size_t nlen = strlen(name), o = 0;
	const char *v, *end = line + len;

	if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
		return 0;
	for (v = line + nlen + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (; v < end && o + 1 < outsz; v++)
		out[o++] = (*v < 0x20 || *v == 0x7f) ? '?' : *v;
	out[o] = '\0';
	return 1;
}
