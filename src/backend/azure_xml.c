/*
 * Azure's XML bodies through the safe parser of xml_impl.h: error
 * documents, List Blobs pages (EnumerationResults) and the Put Block List
 * body we send.
 */
#include "src/backend/azure_impl.h"
#include "src/backend/xml_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#define DTD_REFUSED "entity declarations refused (the response has a <!DOCTYPE>, which Azure never sends)"

int tc_azure_xml_error(char *code, size_t codesz, char *msg, size_t msgsz, const tc_buf *body)
{
	xmlDocPtr doc = tc_xml_parse(body, TC_AZURE_XML_MAX, DTD_REFUSED, NULL, 0, NULL);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	int found = 0;

	if (tc_xml_is_elem(root, "Error") && tc_xml_child(root, "Code")) {
		xmlNodePtr m = tc_xml_child(root, "Message");
		xmlChar *t = m ? xmlNodeGetContent(m) : NULL;

		tc_xml_text_show(code, codesz, tc_xml_child(root, "Code"));
		/* Azure's message goes on with "\nRequestId:...\nTime:...": keep the first line */
		if (t)
			t[strcspn((const char *)t, "\r\n")] = '\0';
		tc_xml_show(msg, msgsz, t ? (const char *)t : "", 300);
		xmlFree(t);
		found = 1;
	}
	xmlFreeDoc(doc);
	return found;
}

/* Encoded="true": the name was percent-encoded (it has characters XML cannot carry). */
static int encoded(xmlNodePtr name)
{
	xmlChar *v = xmlGetProp(name, BAD_CAST "Encoded");
	int r = v && !strcmp((const char *)v, "true");

	xmlFree(v);
	return r;
}

/* What changes when the blob is written again, from its Properties. */
static int add_stamp(tc_strlist *l, xmlNodePtr blob, const tc_where *w)
{
	static const char *const fields[] = { "Etag", "Last-Modified", "Content-Length" };
	xmlNodePtr props = tc_xml_child(blob, "Properties");
	char stamp[3 * 130];
	size_t o = 0;

	for (size_t i = 0; i < 3; i++) {
		xmlNodePtr f = props ? tc_xml_child(props, fields[i]) : NULL;
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

int tc_azure_xml_list(tc_azure_list_page *out, const tc_buf *body, const tc_where *w)
{
	char bad[256];
	int dtd, err = TC_OK, skipped;
	size_t entries = 0;
	xmlDocPtr doc = tc_xml_parse(body, TC_AZURE_XML_MAX, DTD_REFUSED, bad, sizeof(bad), &dtd);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL, blobs;

	memset(out, 0, sizeof(*out));
	if (!tc_xml_is_elem(root, "EnumerationResults")) {
		err = tc_xml_not_doc(w, "EnumerationResults", bad, dtd, DTD_REFUSED);
		goto cleanup;
	}
	blobs = tc_xml_child(root, "Blobs");
	for (xmlNodePtr n = blobs ? blobs->children : NULL; n && err == TC_OK; n = n->next) {
		xmlNodePtr name = tc_xml_child(n, "Name");
		if (!name)
			continue;
		if (tc_xml_is_elem(n, "Blob")) {
			err = tc_xml_add_name(&out->blobs, &out->bad, &out->bad_why, name,
					      encoded(name), &skipped, w);
			if (err == TC_OK && !skipped)
				err = add_stamp(&out->stamps, n, w);
		} else if (tc_xml_is_elem(n, "BlobPrefix"))
			err = tc_xml_add_name(&out->prefixes, &out->bad, &out->bad_why, name,
					      encoded(name), &skipped, w);
		else
			continue;
		if (err == TC_OK && ++entries > TC_AZURE_LIST_MAX) {
			tc_error_set_at(w, "more than %d entries in one page (maxresults is %d)",
					TC_AZURE_LIST_MAX, TC_AZURE_LIST_MAX);
			err = TC_ECORRUPT;
		}
	}
	if (err == TC_OK)
		err = tc_xml_dup_text(&out->next_marker, tc_xml_child(root, "NextMarker"), w);
cleanup:
	xmlFreeDoc(doc);
	if (err < 0)
		tc_azure_list_page_dispose(out);
	return err;
}

void tc_azure_list_page_dispose(tc_azure_list_page *p)
{
	if (!p)
		return;
	tc_strlist_dispose(&p->blobs);
	tc_strlist_dispose(&p->stamps);
	tc_strlist_dispose(&p->prefixes);
	tc_strlist_dispose(&p->bad);
	tc_strlist_dispose(&p->bad_why);
	free(p->next_marker);
	p->next_marker = NULL;
}

int tc_azure_xml_block_list(tc_buf *out, const tc_strlist *ids)
{
	/* IDs are base64 we made: nothing in them needs escaping */
	int err = tc_buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");

	for (size_t i = 0; i < ids->n && err == TC_OK; i++)
		err = tc_buf_printf(out, "<Latest>%s</Latest>", ids->items[i]);
	if (err == TC_OK)
		err = tc_buf_puts(out, "</BlockList>");
	return err;
}
