/*
 * Service-account credentials
 * (https://developers.google.com/identity/protocols/oauth2/service-account):
 * the key file's client_email, private_key and token_uri; a JWT signed
 * RS256 with the private key, exchanged at token_uri for an access token
 * (grant_type jwt-bearer), which is cached until near its expiry. Neither
 * the key nor a token is ever put into a message or a log line.
 */
#include "src/backend/gcs_impl.h"

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/util/log.h"
#include "src/util/utf8.h"

#define TOKEN_URI_DEFAULT "https://oauth2.googleapis.com/token"
#define JWT_LIFETIME_S 3600
/* A token is renewed this long before it expires (at most a quarter of its life). */
#define REFRESH_MARGIN_NS ((uint64_t)60 * 1000000000u)

struct tc_gcs_auth {
	tc_gcs_key key;
	pthread_mutex_t mu;  /* held across a fetch, so one thread fetches and the others wait */
	char token[4096];
	uint64_t refresh_at; /* tc_mono_ns() after which the token is renewed; 0 = none */
};

static char *dup_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && *v->valuestring ? strdup(v->valuestring) : NULL;
}

void tc_gcs_key_dispose(tc_gcs_key *k)
{
	if (!k)
		return;
	free(k->client_email);
	free(k->private_key_id);
	free(k->token_uri);
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

int tc_gcs_key_parse(tc_gcs_key *out, const char *json, const char *name)
{
	cJSON *root = cJSON_Parse(json), *type = NULL, *pem = NULL;
	BIO *bio = NULL;
	int err = TC_EINVALID;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(root)) {
		tc_error_set("gcs credentials %s: not a JSON object", name);
		goto cleanup;
	}
	type = cJSON_GetObjectItemCaseSensitive(root, "type");
	pem = cJSON_GetObjectItemCaseSensitive(root, "private_key");
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "service_account") != 0) {
		tc_error_set("gcs credentials %s: type \"%s\" is not supported (want a "
			     "service-account key, type \"service_account\")", name,
			     cJSON_IsString(type) ? tc_utf8_printable(type->valuestring, 64) : "");
		goto cleanup;
	}
	out->client_email = dup_str(root, "client_email");
	out->private_key_id = dup_str(root, "private_key_id");
	out->token_uri = dup_str(root, "token_uri");
	if (!out->token_uri)
		out->token_uri = strdup(TOKEN_URI_DEFAULT);
	if (!out->client_email || !cJSON_IsString(pem) || !out->token_uri) {
		tc_error_set("gcs credentials %s: client_email or private_key missing", name);
		goto cleanup;
	}
	if (strncmp(out->token_uri, "https://", 8) && strncmp(out->token_uri, "http://", 7)) {
		tc_error_set("gcs credentials %s: token_uri is not an http(s) URL", name);
		goto cleanup;
	}
	if (!(bio = BIO_new_mem_buf(pem->valuestring, -1)) ||
	    !(out->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) ||
	    EVP_PKEY_get_base_id(out->pkey) != EVP_PKEY_RSA) {
		tc_error_set("gcs credentials %s: private_key is not a PEM RSA private key", name);
		goto cleanup;
	}
	err = TC_OK;
cleanup:
	BIO_free(bio);
	if (cJSON_IsString(pem))
		OPENSSL_cleanse(pem->valuestring, strlen(pem->valuestring));
	cJSON_Delete(root);
	if (err < 0)
		tc_gcs_key_dispose(out);
	return err;
}

static int b64url(tc_buf *out, const void *data, size_t len)
{
	size_t n = 4 * ((len + 2) / 3) + 1, o;
	unsigned char *tmp = malloc(n);
	int err;

	if (!tmp) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	o = (size_t)EVP_EncodeBlock(tmp, data, (int)len);
	while (o && tmp[o - 1] == '=')
		o--;
	for (size_t i = 0; i < o; i++)
		tmp[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
	err = tc_buf_put(out, tmp, o);
	free(tmp);
	return err;
}

int tc_gcs_jwt_make(char **out, const tc_gcs_key *k, const char *scope, int64_t now)
{
	tc_buf head = TC_BUF_INIT, claims = TC_BUF_INIT, jwt = TC_BUF_INIT;
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int err;

	*out = NULL;
	if ((err = tc_buf_puts(&head, "{\"alg\":\"RS256\",\"typ\":\"JWT\"")) < 0)
		goto cleanup;
	if (k->private_key_id && ((err = tc_buf_puts(&head, ",\"kid\":")) < 0 ||
				  (err = tc_json_put_string(&head, k->private_key_id)) < 0))
		goto cleanup;
	if ((err = tc_buf_putc(&head, '}')) < 0 ||
	    (err = tc_buf_puts(&claims, "{\"iss\":")) < 0 ||
	    (err = tc_json_put_string(&claims, k->client_email)) < 0 ||
	    (err = tc_buf_puts(&claims, ",\"scope\":")) < 0 ||
	    (err = tc_json_put_string(&claims, scope)) < 0 ||
	    (err = tc_buf_puts(&claims, ",\"aud\":")) < 0 ||
	    (err = tc_json_put_string(&claims, k->token_uri)) < 0 ||
	    (err = tc_buf_printf(&claims, ",\"iat\":%lld,\"exp\":%lld}", (long long)now,
				 (long long)(now + JWT_LIFETIME_S))) < 0)
		goto cleanup;
	if ((err = b64url(&jwt, head.ptr, head.len)) < 0 || (err = tc_buf_putc(&jwt, '.')) < 0 ||
	    (err = b64url(&jwt, claims.ptr, claims.len)) < 0)
		goto cleanup;
	err = TC_ERROR;
	if (!(md = EVP_MD_CTX_new()) ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, jwt.ptr, jwt.len) != 1 ||
	    !(sig = malloc(siglen)) || EVP_DigestSign(md, sig, &siglen, jwt.ptr, jwt.len) != 1) {
		tc_error_set("gcs: cannot sign the token request (RS256)");
		goto cleanup;
	}
	if ((err = tc_buf_putc(&jwt, '.')) < 0 || (err = b64url(&jwt, sig, siglen)) < 0 ||
	    (err = tc_buf_cstr(&jwt)) < 0)
		goto cleanup;
	*out = (char *)jwt.ptr;
	jwt = (tc_buf)TC_BUF_INIT;
cleanup:
	EVP_MD_CTX_free(md);
	free(sig);
	tc_buf_dispose(&head);
	tc_buf_dispose(&claims);
	tc_buf_dispose(&jwt);
	return err;
}

int tc_gcs_auth_new(tc_gcs_auth **out, tc_gcs_key *key)
{
	tc_gcs_auth *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a || pthread_mutex_init(&a->mu, NULL) != 0) {
		free(a);
		tc_gcs_key_dispose(key);
		tc_error_set("out of memory creating the gcs credentials");
		return TC_ERROR;
	}
	a->key = *key;
	memset(key, 0, sizeof(*key));
	*out = a;
	return TC_OK;
}

void tc_gcs_auth_free(tc_gcs_auth *a)
{
	if (!a)
		return;
	tc_gcs_key_dispose(&a->key);
	OPENSSL_cleanse(a->token, sizeof(a->token));
	pthread_mutex_destroy(&a->mu);
	free(a);
}

/* POSTs a fresh JWT to token_uri; a->mu held. */
static int fetch(tc_gcs_auth *a, tc_gcs *g)
{
	tc_buf form = TC_BUF_INIT;
	char *jwt = NULL, where[512];
	const char *hdr[] = { "Content-Type: application/x-www-form-urlencoded" };
	tc_gcs_call c = { .method = "POST", .url = a->key.token_uri, .subject = "token",
			  .what = "OAuth2 access token for the service account", .headers = hdr,
			  .nheaders = 1, .anonymous = 1 };
	int64_t expires_in = 0;
	uint64_t now = tc_mono_ns(), margin;
	int err;

	if ((err = tc_gcs_jwt_make(&jwt, &a->key, TC_GCS_SCOPE, (int64_t)time(NULL))) < 0)
		goto cleanup;
	if ((err = tc_buf_puts(&form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3A"
				      "jwt-bearer&assertion=")) < 0 ||
	    (err = tc_buf_puts(&form, jwt)) < 0)
		goto cleanup;
	c.body = form.ptr;
	c.body_len = form.len;
	err = tc_gcs_http_do(g, &c);
	snprintf(where, sizeof(where), "gcs POST %s (token for %s)",
		 tc_utf8_printable(a->key.token_uri, 200), tc_utf8_printable(a->key.client_email, 120));
	if (err == TC_OK)
		err = tc_gcs_json_token(a->token, sizeof(a->token), &expires_in, &c.json,
					&(tc_where){ where, TC_WHERE_NO_OFFSET });
	if (err < 0)
		goto cleanup;
	margin = (uint64_t)expires_in * 1000000000u / 4;
	if (margin > REFRESH_MARGIN_NS)
		margin = REFRESH_MARGIN_NS;
	a->refresh_at = now + (uint64_t)expires_in * 1000000000u - margin;
	tc_log_debug("msg=\"gcs access token obtained\" account=%s expires_in=%llds",
		     tc_log_q(a->key.client_email), (long long)expires_in);
cleanup:
	if (jwt) {
		OPENSSL_cleanse(jwt, strlen(jwt));
		free(jwt);
	}
	if (form.ptr)
		OPENSSL_cleanse(form.ptr, form.len);
	if (c.json.ptr)
		OPENSSL_cleanse(c.json.ptr, c.json.len);
	tc_buf_dispose(&form);
	tc_gcs_call_dispose(&c);
	return err;
}

int tc_gcs_auth_token(char *out, size_t outsz, tc_gcs *g)
{
	tc_gcs_auth *a = g->auth;
	int err = TC_OK;

	pthread_mutex_lock(&a->mu);
	if (!a->refresh_at || tc_mono_ns() >= a->refresh_at) {
		a->refresh_at = 0;
		OPENSSL_cleanse(a->token, sizeof(a->token));
		err = fetch(a, g);
	}
	if (err == TC_OK)
		snprintf(out, outsz, "%s", a->token);
	pthread_mutex_unlock(&a->mu);
	return err;
}

void tc_gcs_auth_invalidate(tc_gcs_auth *a, const char *token)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	if (!strcmp(a->token, token))
		a->refresh_at = 0;
	pthread_mutex_unlock(&a->mu);
}
