/*
 * S3's XML bodies through libxml2: error documents, ListObjectsV2 and
 * ListMultipartUploads pages, DeleteObjects results, and the two request
 * bodies we send (CompleteMultipartUpload, Delete). Elements are matched by
 * local name, so the S3 namespace may or may not be declared. The parser
 * never touches the network, and a document with a DOCTYPE is refused
 * before its internal subset is read: S3 never sends one, and entity
 * declarations are how a body expands to gigabytes (billion laughs).
 */
#include "src/backend/s3_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "src/util/error.h"
#include "src/util/ids.h"
#include "src/util/utf8.h"

#define PARSE_FLAGS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

/* Marks a context whose document declared a DOCTYPE (ctxt->_private). */
static int dtd_seen;

/* SAX internalSubset: called at "<!DOCTYPE name", before any declaration in it is parsed. */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
		       const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name;
	(void)external_id;
	(void)system_id;
	ctxt->_private = &dtd_seen;
	xmlStopParser(ctxt);
}

/* What parse_why found wrong with the body, for the caller's message. */
#define DTD_REFUSED "entity declarations refused (the response has a <!DOCTYPE>, which S3 never sends)"

/*
 * The document in b, or NULL. With bad set, a body that is not well-formed
 * XML gets libxml2's reason and the line and column it stopped at there
 * (empty for an empty body); control bytes become '?' as in text_show.
 * *dtd (if dtd is not NULL) is set when the body was refused for its DOCTYPE.
 */
static xmlDocPtr parse_why(const tc_buf *b, char *bad, size_t badsz, int *dtd)
{
	xmlParserCtxtPtr ctxt;
	const xmlError *e;
	xmlDocPtr doc;

	if (bad && badsz)
		bad[0] = '\0';
	if (dtd)
		*dtd = 0;
	if (!b->ptr || b->len == 0 || b->len > TC_S3_XML_MAX || !(ctxt = xmlNewParserCtxt()))
		return NULL;
	ctxt->sax->internalSubset = refuse_dtd;
	ctxt->_private = NULL;
	doc = xmlCtxtReadMemory(ctxt, (const char *)b->ptr, (int)b->len, "s3.xml", NULL, PARSE_FLAGS);
	if (ctxt->_private == &dtd_seen) {
		/* stopped at the DOCTYPE: whatever was built is not the document */
		xmlFreeDoc(doc);
		doc = NULL;
		if (dtd)
			*dtd = 1;
		if (bad && badsz)
			snprintf(bad, badsz, " (%s)", DTD_REFUSED);
	} else if (!doc && bad && badsz && (e = xmlCtxtGetLastError(ctxt)) && e->message) {
		int n = snprintf(bad, badsz, " (not well-formed XML at line %d, column %d: %s", e->line,
				 e->int2, e->message);
		size_t len = n < 0 ? 0 : (size_t)n < badsz ? (size_t)n : badsz - 1;

		while (len > 0 && (bad[len - 1] == '\n' || bad[len - 1] == ' '))
			len--;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)bad[i] < 0x20 || bad[i] == 0x7f)
				bad[i] = '?';
		if (len + 1 < badsz)
			bad[len++] = ')';
		bad[len] = '\0';
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

static xmlDocPtr parse(const tc_buf *b)
{
	return parse_why(b, NULL, 0, NULL);
}

/*
 * The message for a body that is not the document expected: a refused
 * DOCTYPE says so, anything else names the document it is not.
 */
static int not_doc(const tc_where *w, const char *doc_name, const char *bad, int dtd)
{
	if (dtd)
		tc_error_set_at(w, "%s", DTD_REFUSED);
	else
		tc_error_set_at(w, "response is not a %s document%s", doc_name, bad);
	return TC_ECORRUPT;
}

static int is_elem(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

/* First element named name in document order. */
static xmlNodePtr find(xmlNodePtr n, const char *name)
{
	for (; n; n = n->next) {
		xmlNodePtr r;
		if (is_elem(n, name))
			return n;
		if ((r = find(n->children, name)))
			return r;
	}
	return NULL;
}

/*
 * Copies n's text into out for a message: control characters become '?'
 * and long texts are cut, so a hostile server cannot fill our messages
 * with terminal sequences.
 */
static void text_show(char *out, size_t outsz, xmlNodePtr n)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	size_t o = 0;

	if (outsz == 0)
		return;
	for (const unsigned char *p = t; p && *p && o + 1 < outsz; p++)
		out[o++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
	out[o] = '\0';
	xmlFree(t);
}

void tc_s3_show(char *out, size_t outsz, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;

	if (outsz == 0)
		return;
	for (; s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o + 5 >= outsz)
			break;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	if (s[i] && o + 4 <= outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Adds n's text to l as it is (upload IDs, times). */
static int add_text(tc_strlist *l, xmlNodePtr n, const tc_where *w)
{
	xmlChar *t = xmlNodeGetContent(n);
	int err;

	if (!t) {
		tc_error_set_at(w, "out of memory reading XML");
		return TC_ERROR;
	}
	err = tc_strlist_add(l, (const char *)t);
	xmlFree(t);
	return err;
}

/*
 * Decodes the listed name d[0..*len) in place when url is set (S3
 * form-encodes: '+' is a space) and says why the result cannot be one of
 * our keys, or NULL. Such names are skipped, not fatal: one stray object
 * must not hide every other name of the listing.
 */
static const char *decode_name(char *d, size_t *len, int url)
{
	size_t o = 0;

	for (size_t i = 0; i < *len; i++) {
		int c = (unsigned char)d[i];
		if (url && c == '+') {
			c = ' ';
		} else if (url && c == '%') {
			int hi = i + 2 < *len ? tc_hex_digit(d[i + 1]) : -1;
			int lo = i + 2 < *len ? tc_hex_digit(d[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return "bad URL encoding";
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0)
			return "NUL byte";
		if (c < 0x20 || c == 0x7f)
			return "control character";
		d[o++] = (char)c;
	}
	*len = o;
	for (size_t i = 0; i < o;) {
		uint32_t cp;
		size_t n = tc_utf8_seq((const uint8_t *)d + i, o - i, &cp);
		if (n == 0)
			return "invalid UTF-8";
		i += n;
	}
	return NULL;
}

/*
 * Adds n's text, decoded, to l; a name that cannot be a key goes to
 * out->bad instead (shown as listed) and *skipped is set.
 */
static int add_name(tc_strlist *l, tc_s3_list_page *out, xmlNodePtr n, int url, int *skipped,
		    const tc_where *w)
{
	xmlChar *t = xmlNodeGetContent(n);
	char show[256];
	const char *why;
	size_t len;
	int err;

	*skipped = 0;
	if (!t) {
		tc_error_set_at(w, "out of memory reading XML");
		return TC_ERROR;
	}
	tc_s3_show(show, sizeof(show), (const char *)t, 160);
	len = strlen((const char *)t);
	if ((why = decode_name((char *)t, &len, url))) {
		*skipped = 1;
		err = tc_strlist_add(&out->bad, show);
		if (err == TC_OK)
			err = tc_strlist_add(&out->bad_why, why);
	} else {
		err = tc_strlist_addn(l, (const char *)t, len);
	}
	xmlFree(t);
	return err;
}

int tc_s3_xml_error(char *code, size_t codesz, char *msg, size_t msgsz, const tc_buf *body)
{
	xmlDocPtr doc = parse(body);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	int found = 0;

	if (is_elem(root, "Error") && child(root, "Code")) {
		text_show(code, codesz, child(root, "Code"));
		text_show(msg, msgsz, child(root, "Message"));
		found = 1;
	}
	xmlFreeDoc(doc);
	return found;
}

int tc_s3_xml_text(char *out, size_t outsz, const tc_buf *body, const char *name,
		   const tc_where *w)
{
	char bad[256];
	xmlDocPtr doc = parse_why(body, bad, sizeof(bad), NULL);
	xmlNodePtr n = doc ? find(xmlDocGetRootElement(doc), name) : NULL;
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	int err = TC_OK;

	if (!t) {
		tc_error_set_at(w, "response has no <%s>%s", name, bad);
		err = TC_ECORRUPT;
	} else if (strlen((const char *)t) >= outsz || !*t) {
		tc_error_set_at(w, "<%s> is empty or longer than %zu bytes", name, outsz - 1);
		err = TC_ECORRUPT;
	} else {
		memcpy(out, t, strlen((const char *)t) + 1);
	}
	xmlFree(t);
	xmlFreeDoc(doc);
	return err;
}

static int truthy(xmlNodePtr n)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	int r = t && !strcmp((const char *)t, "true");
	xmlFree(t);
	return r;
}

static int dup_text(char **out, xmlNodePtr n, const tc_where *w)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;

	*out = NULL;
	if (!t || !*t) {
		xmlFree(t);
		return TC_OK;
	}
	*out = strdup((const char *)t);
	xmlFree(t);
	if (!*out) {
		tc_error_set_at(w, "out of memory");
		return TC_ERROR;
	}
	return TC_OK;
}

static int url_encoded(xmlNodePtr root)
{
	xmlChar *t;
	int r;
	xmlNodePtr n = child(root, "EncodingType");
	if (!n)
		return 0;
	t = xmlNodeGetContent(n);
	r = t && !strcmp((const char *)t, "url");
	xmlFree(t);
	return r;
}

/* A page with more entries than we asked for is not S3's answer to our request. */
static int too_many(const tc_where *w, size_t n)
{
	tc_error_set_at(w, "more than %d entries in one page (%zu; max-keys is %d)",
			TC_S3_LIST_MAX_KEYS, n, TC_S3_LIST_MAX_KEYS);
	return TC_ECORRUPT;
}

/*
 * What tells a rewritten object from the one listed before: its ETag, time
 * and size as the store lists them (docs/STORAGE.md#block-listing).
 */
static int add_stamp(tc_strlist *l, xmlNodePtr contents, const tc_where *w)
{
	static const char *const fields[] = { "ETag", "LastModified", "Size" };
	char stamp[3 * 130];
	size_t o = 0;

	for (size_t i = 0; i < 3; i++) {
		xmlNodePtr f = child(contents, fields[i]);
		xmlChar *t = f ? xmlNodeGetContent(f) : NULL;
		o += (size_t)snprintf(stamp + o, sizeof(stamp) - o, "%s%.128s", i ? " " : "",
				      t ? (const char *)t : "");
		xmlFree(t);
	}
	if (tc_strlist_add(l, stamp) < 0) {
		tc_error_set_at(w, "out of memory");
		return TC_ERROR;
	}
	return TC_OK;
}

int tc_s3_xml_list(tc_s3_list_page *out, const tc_buf *body, const tc_where *w)
{
	char bad[256];
	int dtd, err = TC_OK, url, skipped;
	xmlDocPtr doc = parse_why(body, bad, sizeof(bad), &dtd);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

	memset(out, 0, sizeof(*out));
	if (!is_elem(root, "ListBucketResult")) {
		err = not_doc(w, "ListBucketResult", bad, dtd);
		goto cleanup;
	}
	url = url_encoded(root);
	for (xmlNodePtr n = root->children; n && err == TC_OK; n = n->next) {
		xmlNodePtr v;
		if (is_elem(n, "Contents") && (v = child(n, "Key"))) {
			err = add_name(&out->keys, out, v, url, &skipped, w);
			if (err == TC_OK && !skipped)
				err = add_stamp(&out->stamps, n, w);
		} else if (is_elem(n, "CommonPrefixes") && (v = child(n, "Prefix")))
			err = add_name(&out->prefixes, out, v, url, &skipped, w);
		else
			continue;
		if (err == TC_OK && ++out->entries > TC_S3_LIST_MAX_KEYS)
			err = too_many(w, out->entries);
	}
	out->truncated = truthy(child(root, "IsTruncated"));
	if (err == TC_OK)
		err = dup_text(&out->next_token, child(root, "NextContinuationToken"), w);
cleanup:
	xmlFreeDoc(doc);
	if (err < 0)
		tc_s3_list_page_dispose(out);
	return err;
}

int tc_s3_xml_uploads(tc_s3_list_page *out, char **next_upload_id, const tc_buf *body,
		      const tc_where *w)
{
	char bad[256];
	int dtd, err = TC_OK, url, skipped;
	xmlDocPtr doc = parse_why(body, bad, sizeof(bad), &dtd);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

	memset(out, 0, sizeof(*out));
	*next_upload_id = NULL;
	if (!is_elem(root, "ListMultipartUploadsResult")) {
		err = not_doc(w, "ListMultipartUploadsResult", bad, dtd);
		goto cleanup;
	}
	url = url_encoded(root);
	for (xmlNodePtr n = root->children; n && err == TC_OK; n = n->next) {
		xmlNodePtr v, id, when;
		if (!is_elem(n, "Upload"))
			continue;
		if (++out->entries > TC_S3_LIST_MAX_KEYS) {
			err = too_many(w, out->entries);
			break;
		}
		/* An upload without an ID or a start time cannot be aborted or aged: left alone. */
		if (!(v = child(n, "Key")) || !(id = child(n, "UploadId")) ||
		    !(when = child(n, "Initiated")))
			continue;
		/* keys, upload_ids and initiated stay parallel: a skipped key skips its upload */
		err = add_name(&out->keys, out, v, url, &skipped, w);
		if (err == TC_OK && !skipped)
			err = add_text(&out->upload_ids, id, w);
		if (err == TC_OK && !skipped)
			err = add_text(&out->initiated, when, w);
	}
	out->truncated = truthy(child(root, "IsTruncated"));
	if (err == TC_OK)
		err = dup_text(&out->next_token, child(root, "NextKeyMarker"), w);
	if (err == TC_OK)
		err = dup_text(next_upload_id, child(root, "NextUploadIdMarker"), w);
cleanup:
	xmlFreeDoc(doc);
	if (err < 0) {
		tc_s3_list_page_dispose(out);
		free(*next_upload_id);
		*next_upload_id = NULL;
	}
	return err;
}

void tc_s3_list_page_dispose(tc_s3_list_page *p)
{
	if (!p)
		return;
	tc_strlist_dispose(&p->keys);
	tc_strlist_dispose(&p->stamps);
	tc_strlist_dispose(&p->prefixes);
	tc_strlist_dispose(&p->upload_ids);
	tc_strlist_dispose(&p->initiated);
	tc_strlist_dispose(&p->bad);
	tc_strlist_dispose(&p->bad_why);
	free(p->next_token);
	p->next_token = NULL;
}

int tc_s3_xml_delete_error(char *key, size_t keysz, char *code, size_t codesz, char *msg,
			   size_t msgsz, const tc_buf *body)
{
	xmlDocPtr doc = parse(body);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlNodePtr e = is_elem(root, "DeleteResult") ? child(root, "Error") : NULL;

	if (e) {
		text_show(key, keysz, child(e, "Key"));
		text_show(code, codesz, child(e, "Code"));
		text_show(msg, msgsz, child(e, "Message"));
	}
	xmlFreeDoc(doc);
	return e != NULL;
}

/* ---- request bodies ---- */

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

static int dump(tc_buf *out, xmlDocPtr doc)
{
	xmlChar *mem = NULL;
	int size = 0, err;

	xmlDocDumpMemory(doc, &mem, &size);
	if (!mem || size <= 0) {
		xmlFree(mem);
		tc_error_set("s3: cannot serialize an XML request body");
		return TC_ERROR;
	}
	err = tc_buf_put(out, mem, (size_t)size);
	xmlFree(mem);
	return err;
}

static xmlDocPtr new_doc(const char *root_name, xmlNodePtr *root)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");

	*root = doc ? xmlNewNode(NULL, BAD_CAST root_name) : NULL;
	if (!*root) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, *root);
	xmlNewNs(*root, BAD_CAST S3_NS, NULL);
	return doc;
}

int tc_s3_xml_complete(tc_buf *out, const tc_strlist *etags)
{
	xmlNodePtr root;
	xmlDocPtr doc = new_doc("CompleteMultipartUpload", &root);
	int err = TC_OK;

	if (!doc) {
		tc_error_set("s3: out of memory building CompleteMultipartUpload");
		return TC_ERROR;
	}
	for (size_t i = 0; i < etags->n; i++) {
		char num[24];
		xmlNodePtr part = xmlNewChild(root, NULL, BAD_CAST "Part", NULL);
		snprintf(num, sizeof(num), "%zu", i + 1);
		if (!part || !xmlNewTextChild(part, NULL, BAD_CAST "PartNumber", BAD_CAST num) ||
		    !xmlNewTextChild(part, NULL, BAD_CAST "ETag", BAD_CAST etags->items[i])) {
			tc_error_set("s3: out of memory building CompleteMultipartUpload");
			err = TC_ERROR;
			break;
		}
	}
	if (err == TC_OK)
		err = dump(out, doc);
	xmlFreeDoc(doc);
	return err;
}

int tc_s3_xml_delete(tc_buf *out, char *const *keys, size_t n)
{
	xmlNodePtr root;
	xmlDocPtr doc = new_doc("Delete", &root);
	int err = TC_OK;

	if (!doc || !xmlNewTextChild(root, NULL, BAD_CAST "Quiet", BAD_CAST "true")) {
		xmlFreeDoc(doc);
		tc_error_set("s3: out of memory building a Delete request");
		return TC_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		xmlNodePtr obj = xmlNewChild(root, NULL, BAD_CAST "Object", NULL);
		if (!obj || !xmlNewTextChild(obj, NULL, BAD_CAST "Key", BAD_CAST keys[i])) {
			tc_error_set("s3: out of memory building a Delete request");
			err = TC_ERROR;
			break;
		}
	}
	if (err == TC_OK)
		err = dump(out, doc);
	xmlFreeDoc(doc);
	return err;
}
