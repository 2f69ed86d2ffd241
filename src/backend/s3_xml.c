/*
 * S3's XML bodies through libxml2: error documents, ListObjectsV2 and
 * ListMultipartUploads pages, DeleteObjects results, and the two request
 * bodies we send (CompleteMultipartUpload, Delete). Elements are matched by
 * local name, so the S3 namespace may or may not be declared. The parser
 * never touches the network and does not expand entities.
 */
#include "src/backend/s3_impl.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "src/util/error.h"
#include "src/util/ids.h"

#define PARSE_FLAGS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

/*
 * The document in b, or NULL. With bad set, a body that is not well-formed
 * XML gets libxml2's reason and the line and column it stopped at there
 * (empty for an empty body); control bytes become '?' as in text_show.
 */
static xmlDocPtr parse_why(const tc_buf *b, char *bad, size_t badsz)
{
	xmlParserCtxtPtr ctxt;
	const xmlError *e;
	xmlDocPtr doc;

	if (bad && badsz)
		bad[0] = '\0';
	if (!b->ptr || b->len == 0 || b->len > TC_S3_XML_MAX || !(ctxt = xmlNewParserCtxt()))
		return NULL;
	doc = xmlCtxtReadMemory(ctxt, (const char *)b->ptr, (int)b->len, "s3.xml", NULL, PARSE_FLAGS);
	if (!doc && bad && badsz && (e = xmlCtxtGetLastError(ctxt)) && e->message) {
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
	return parse_why(b, NULL, 0);
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

/*
 * Adds n's text to l, URL-decoded when url is set (S3 form-encodes: '+' is a
 * space). A decoded NUL or a bad escape is corrupt.
 */
static int add_text(tc_strlist *l, xmlNodePtr n, int url, const tc_where *w)
{
	xmlChar *t = xmlNodeGetContent(n);
	size_t len, o = 0;
	char *d;
	int err;

	if (!t) {
		tc_error_set_at(w, "out of memory reading XML");
		return TC_ERROR;
	}
	len = strlen((const char *)t);
	if (!url) {
		err = tc_strlist_addn(l, (const char *)t, len);
		xmlFree(t);
		return err;
	}
	d = (char *)t; /* decoding only shrinks: in place */
	for (size_t i = 0; i < len; i++) {
		int c = d[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 2 < len ? tc_hex_digit(d[i + 1]) : -1;
			int lo = i + 2 < len ? tc_hex_digit(d[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				tc_error_set_at(w, "bad URL encoding in listed name");
				xmlFree(t);
				return TC_ECORRUPT;
			}
			c = hi * 16 + lo;
			i += 2;
		}
		d[o++] = (char)c;
	}
	err = tc_strlist_addn(l, d, o);
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
	xmlDocPtr doc = parse_why(body, bad, sizeof(bad));
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

int tc_s3_xml_list(tc_s3_list_page *out, const tc_buf *body, const tc_where *w)
{
	char bad[256];
	xmlDocPtr doc = parse_why(body, bad, sizeof(bad));
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	int err = TC_OK, url;

	memset(out, 0, sizeof(*out));
	if (!is_elem(root, "ListBucketResult")) {
		tc_error_set_at(w, "response is not a ListBucketResult document%s", bad);
		err = TC_ECORRUPT;
		goto cleanup;
	}
	url = url_encoded(root);
	for (xmlNodePtr n = root->children; n && err == TC_OK; n = n->next) {
		xmlNodePtr v;
		if (is_elem(n, "Contents") && (v = child(n, "Key")))
			err = add_text(&out->keys, v, url, w);
		else if (is_elem(n, "CommonPrefixes") && (v = child(n, "Prefix")))
			err = add_text(&out->prefixes, v, url, w);
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
	xmlDocPtr doc = parse_why(body, bad, sizeof(bad));
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	int err = TC_OK, url;

	memset(out, 0, sizeof(*out));
	*next_upload_id = NULL;
	if (!is_elem(root, "ListMultipartUploadsResult")) {
		tc_error_set_at(w, "response is not a ListMultipartUploadsResult document%s", bad);
		err = TC_ECORRUPT;
		goto cleanup;
	}
	url = url_encoded(root);
	for (xmlNodePtr n = root->children; n && err == TC_OK; n = n->next) {
		xmlNodePtr v;
		xmlNodePtr id, when;
		/* An upload without an ID or a start time cannot be aborted or aged: left alone. */
		if (is_elem(n, "Upload") && (v = child(n, "Key")) && (id = child(n, "UploadId")) &&
		    (when = child(n, "Initiated"))) {
			err = add_text(&out->keys, v, url, w);
			if (err == TC_OK)
				err = add_text(&out->upload_ids, id, 0, w);
			if (err == TC_OK)
				err = add_text(&out->initiated, when, 0, w);
		}
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
	tc_strlist_dispose(&p->prefixes);
	tc_strlist_dispose(&p->upload_ids);
	tc_strlist_dispose(&p->initiated);
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
