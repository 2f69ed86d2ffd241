/*
 * S3's XML bodies through libxml2 (the safe parser and lookups of
 * xml_impl.h): error documents, ListObjectsV2 and ListMultipartUploads
 * pages, DeleteObjects results, and the two request bodies we send
 * (CompleteMultipartUpload, Delete).
 */
#include "src/backend/s3_impl.h"
#include "src/backend/xml_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "src/util/error.h"
#include "src/util/ids.h"
#include "src/util/utf8.h"

/* What S3 never sends and we refuse, for messages. */
#define DTD_REFUSED "entity declarations refused (the response has a <!DOCTYPE>, which S3 never sends)"

static xmlDocPtr parse_why(const tc_buf *b, char *bad, size_t badsz, int *dtd)
{
	return tc_xml_parse(b, TC_S3_XML_MAX, DTD_REFUSED, bad, badsz, dtd);
}

static xmlDocPtr parse(const tc_buf *b)
{
	return parse_why(b, NULL, 0, NULL);
}

static int not_doc(const tc_where *w, const char *doc_name, const char *bad, int dtd)
{
	return tc_xml_not_doc(w, doc_name, bad, dtd, DTD_REFUSED);
}

#define is_elem tc_xml_is_elem
#define child tc_xml_child
#define find tc_xml_find
#define text_show tc_xml_text_show
#define truthy tc_xml_truthy
#define dup_text tc_xml_dup_text

void tc_s3_show(char *out, size_t outsz, const char *s, size_t max)
{
	tc_xml_show(out, outsz, s, max);
}

/* Adds n's text as it is (upload IDs, times). */
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

static int add_name(tc_strlist *l, tc_s3_list_page *out, xmlNodePtr n, int url, int *skipped,
		    const tc_where *w)
{
	return tc_xml_add_name(l, &out->bad, &out->bad_why, n, url, skipped, w);
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
