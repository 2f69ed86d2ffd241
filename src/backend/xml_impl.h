/*
 * What the HTTP backends (S3, Azure) share about reading a store's XML
 * responses through libxml2: a parser that never touches the network and
 * refuses a document with a DOCTYPE before its internal subset is read
 * (entity declarations are how a body expands to gigabytes: billion
 * laughs), lookups by local name (so a namespace may or may not be
 * declared), and how listed names become keys or are skipped. Private to
 * src/backend.
 */
#ifndef TC_BACKEND_XML_IMPL_H
#define TC_BACKEND_XML_IMPL_H

#include <stddef.h>

#include <libxml/tree.h>

#include "src/util/buf.h"
#include "src/util/error.h"
#include "src/util/strlist.h"

/* libxml2's global init, once per process. */
void tc_xml_init(void);

/*
 * The document in b (at most max bytes), or NULL. With bad set, a body
 * that is not well-formed XML gets libxml2's reason and the line and
 * column it stopped at there, as " (...)" (empty for an empty body), and
 * a refused DOCTYPE " (<dtd_msg>)"; *dtd (if not NULL) is set then.
 */
xmlDocPtr tc_xml_parse(const tc_buf *b, size_t max, const char *dtd_msg, char *bad, size_t badsz,
		       int *dtd);
/* The message for a body that is not the document doc_name; TC_ECORRUPT. */
int tc_xml_not_doc(const tc_where *w, const char *doc_name, const char *bad, int dtd,
		   const char *dtd_msg);

int tc_xml_is_elem(xmlNodePtr n, const char *name);
/* The first child element named name, or NULL. */
xmlNodePtr tc_xml_child(xmlNodePtr parent, const char *name);
/* The first element named name in document order from n on, or NULL. */
xmlNodePtr tc_xml_find(xmlNodePtr n, const char *name);
/* n's text for a message: control characters become '?', long texts are cut. */
void tc_xml_text_show(char *out, size_t outsz, xmlNodePtr n);
/* 1 if n's text is "true". */
int tc_xml_truthy(xmlNodePtr n);
/* n's text as a new string; NULL (and TC_OK) when n is missing or empty. */
int tc_xml_dup_text(char **out, xmlNodePtr n, const tc_where *w);

/*
 * s for a message: at most max bytes of it, then "..."; quotes, backslashes
 * and bytes outside printable ASCII escaped (\", \\, \xNN), so a hostile
 * server can neither fill a message nor send a terminal sequence through it.
 */
void tc_xml_show(char *out, size_t outsz, const char *s, size_t max);

/*
 * Adds n's text (a listed name), URL-decoded when url is set ('+' is a
 * space), to names; a name that cannot be one of our keys (a bad
 * %-escape, a NUL or other control character, invalid UTF-8) goes to bad
 * instead (shown with tc_xml_show) with the reason in bad_why, and
 * *skipped is set: one stray object must not hide every other name.
 */
int tc_xml_add_name(tc_strlist *names, tc_strlist *bad, tc_strlist *bad_why, xmlNodePtr n,
		    int url, int *skipped, const tc_where *w);

#endif
