#include "src/backend/xml_impl.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "src/util/ids.h"
#include "src/util/utf8.h"

#define PARSE_FLAGS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	xmlInitParser();
}

void tc_xml_init(void)
{
	pthread_once(&global_once, global_init_once);
}

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

xmlDocPtr tc_xml_parse(const tc_buf *b, size_t max, const char *dtd_msg, char *bad, size_t badsz,
		       int *dtd)
{
	xmlParserCtxtPtr ctxt;
	const xmlError *e;
	xmlDocPtr doc;

	if (bad && badsz)
		bad[0] = '\0';
	if (dtd)
		*dtd = 0;
	if (!b->ptr || b->len == 0 || b->len > max || !(ctxt = xmlNewParserCtxt()))
		return NULL;
	ctxt->sax->internalSubset = refuse_dtd;
	ctxt->_private = NULL;
	doc = xmlCtxtReadMemory(ctxt, (const char *)b->ptr, (int)b->len, "response.xml", NULL, PARSE_FLAGS);
	if (ctxt->_private == &dtd_seen) {
		/* stopped at the DOCTYPE: whatever was built is not the document */
		xmlFreeDoc(doc);
		doc = NULL;
		if (dtd)
			*dtd = 1;
		if (bad && badsz)
			snprintf(bad, badsz, " (%s)", dtd_msg);
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

int tc_xml_not_doc(const tc_where *w, const char *doc_name, const char *bad, int dtd,
		   const char *dtd_msg)
{
	if (dtd)
		tc_error_set_at(w, "%s", dtd_msg);
	else
		tc_error_set_at(w, "response is not a %s document%s", doc_name, bad);
	return TC_ECORRUPT;
}

int tc_xml_is_elem(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

xmlNodePtr tc_xml_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (tc_xml_is_elem(n, name))
			return n;
	return NULL;
}

/* First element named name in document order. */
xmlNodePtr tc_xml_find(xmlNodePtr n, const char *name)
{
	for (; n; n = n->next) {
		xmlNodePtr r;
		if (tc_xml_is_elem(n, name))
			return n;
		if ((r = tc_xml_find(n->children, name)))
			return r;
	}
	return NULL;
}

/*
 * Copies n's text into out for a message: control characters become '?'
 * and long texts are cut, so a hostile server cannot fill our messages
 * with terminal sequences.
 */
void tc_xml_text_show(char *out, size_t outsz, xmlNodePtr n)
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

void tc_xml_show(char *out, size_t outsz, const char *s, size_t max)
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

int tc_xml_add_name(tc_strlist *names, tc_strlist *bad, tc_strlist *bad_why, xmlNodePtr n,
		    int url, int *skipped, const tc_where *w)
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
	tc_xml_show(show, sizeof(show), (const char *)t, 160);
	len = strlen((const char *)t);
	if ((why = decode_name((char *)t, &len, url))) {
		*skipped = 1;
		err = tc_strlist_add(bad, show);
		if (err == TC_OK)
			err = tc_strlist_add(bad_why, why);
	} else {
		err = tc_strlist_addn(names, (const char *)t, len);
	}
	xmlFree(t);
	return err;
}

int tc_xml_truthy(xmlNodePtr n)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	int r = t && !strcmp((const char *)t, "true");
	xmlFree(t);
	return r;
}

int tc_xml_dup_text(char **out, xmlNodePtr n, const tc_where *w)
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
