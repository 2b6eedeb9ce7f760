/* Server-rendered HTML: escaping and the page frame.  Pages need no
 * JavaScript; every value from outside goes through eid_html_text or
 * eid_html_attr, literal markup through eid_buf_put_str. */
#ifndef EID_API_HTML_H
#define EID_API_HTML_H

#include "api/i18n.h"
#include "crypto/buf.h"

/* Largest page we build. */
#define EID_HTML_MAX (256u * 1024)

/* Append s with &, <, >, " and ' escaped (safe in text and in quoted
 * attribute values).  NULL appends nothing. */
int eid_html_text(eid_buf *b, const char *s);

/* Open a page: doctype, <html lang>, <head> with title and the style
 * sheet, <body>, the site header.  Close it with eid_html_end. */
int eid_html_begin(eid_buf *b, enum eid_lang lang, const char *title);
int eid_html_end(eid_buf *b, enum eid_lang lang);

/* <input type=hidden name=NAME value=VALUE>, both escaped. */
int eid_html_hidden(eid_buf *b, const char *name, const char *value);
/* <p class="error" role="alert">msg</p>; nothing for EID_MSG_COUNT. */
int eid_html_alert(eid_buf *b, enum eid_lang lang, enum eid_msg msg);
/* A form's submit button (label) and its Cancel button (name "cancel"),
 * then </form>. */
int eid_html_submit_cancel(eid_buf *b, enum eid_lang lang, enum eid_msg label);

/* The style sheet served at EID_HTML_CSS_PATH. */
#define EID_HTML_CSS_PATH "/static/eid.css"
extern const char eid_html_css[];

#endif
