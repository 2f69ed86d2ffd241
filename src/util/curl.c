#include "src/util/curl.h"

#include <pthread.h>
#include <stdlib.h>

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
