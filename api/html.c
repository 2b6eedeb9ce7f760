#include "api/html.h"

#include <string.h>

#include "crypto/error.h"

const char eid_html_css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"color:#1b1b1b;background:#f3f4f6}"
	"header{background:#a50e0e;color:#fff;padding:.8rem 1.2rem;font-weight:600}"
	"main{max-width:28rem;margin:2rem auto;background:#fff;padding:1.5rem;"
	"border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}"
	"h1{font-size:1.4rem;margin:0 0 1rem}"
	"label{display:block;margin:.8rem 0 .2rem;font-weight:500}"
	"input[type=text],input[type=password],input[type=tel],input[type=email]"
	"{width:100%;padding:.6rem;border:1px solid #9ca3af;border-radius:.3rem;font-size:1rem}"
	"button{margin-top:1.2rem;padding:.6rem 1.2rem;border:0;border-radius:.3rem;"
	"font-size:1rem;cursor:pointer;background:#a50e0e;color:#fff}"
	"button.secondary{background:#e5e7eb;color:#1b1b1b;margin-left:.5rem}"
	".error{background:#fde8e8;color:#7f1d1d;padding:.6rem;border-radius:.3rem}"
	".client{font-weight:600}.user-code{white-space:nowrap;letter-spacing:.1em}"
	"ul.claims{padding-left:1.2rem}"
	"footer{text-align:center;color:#6b7280;font-size:.85rem;margin:1rem}"
	/* the officer console and the account page */
	"table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .4rem;vertical-align:top}"
	"tr.bad{background:#fde8e8}tr.ok td:last-child{color:#166534}"
	".notice{background:#e8f5e9;padding:.6rem;border-radius:.3rem}"
	".code{font:600 2rem ui-monospace,monospace;letter-spacing:.2em;text-align:center}"
	"div.qr{text-align:center}pre{white-space:pre-wrap;word-break:break-all;font-size:.85rem}";

int eid_html_text(eid_buf *b, const char *s)
{
	size_t old = b->len;
	int r = EID_OK;

	for (; s != NULL && *s != '\0' && r == EID_OK; s++) {
		switch (*s) {
		case '&': r = eid_buf_put_str(b, "&amp;"); break;
		case '<': r = eid_buf_put_str(b, "&lt;"); break;
		case '>': r = eid_buf_put_str(b, "&gt;"); break;
		case '"': r = eid_buf_put_str(b, "&quot;"); break;
		case '\'': r = eid_buf_put_str(b, "&#39;"); break;
		default: r = eid_buf_put_u8(b, (uint8_t)*s); break;
		}
	}
	if (r != EID_OK)
		eid_buf_truncate(b, old);
	return r;
}

int eid_html_begin(eid_buf *b, enum eid_lang lang, const char *title)
{
	int r;

	if ((r = eid_buf_printf(b, "<!doctype html><html lang=\"%s\"><head>"
				   "<meta charset=\"utf-8\">"
				   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
				   "<title>", eid_lang_tag(lang))) != EID_OK ||
	    (r = eid_html_text(b, title)) != EID_OK ||
	    (r = eid_buf_put_str(b, " – ")) != EID_OK ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_SITE_NAME))) != EID_OK ||
	    (r = eid_buf_put_str(b, "</title><link rel=\"stylesheet\" href=\""
				    EID_HTML_CSS_PATH "\"></head><body><header>")) != EID_OK ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_SITE_NAME))) != EID_OK)
		return r;
	return eid_buf_put_str(b, "</header><main>");
}

int eid_html_end(eid_buf *b, enum eid_lang lang)
{
	(void)lang;
	return eid_buf_put_str(b, "</main></body></html>");
}

int eid_html_hidden(eid_buf *b, const char *name, const char *value)
{
	int r;

	if ((r = eid_buf_put_str(b, "<input type=\"hidden\" name=\"")) != EID_OK ||
	    (r = eid_html_text(b, name)) != EID_OK ||
	    (r = eid_buf_put_str(b, "\" value=\"")) != EID_OK ||
	    (r = eid_html_text(b, value)) != EID_OK)
		return r;
	return eid_buf_put_str(b, "\">");
}

int eid_html_alert(eid_buf *b, enum eid_lang lang, enum eid_msg msg)
{
	int r;

	if (msg == EID_MSG_COUNT)
		return EID_OK;
	if ((r = eid_buf_put_str(b, "<p class=\"error\" role=\"alert\">")) ||
	    (r = eid_html_text(b, eid_msg(lang, msg))))
		return r;
	return eid_buf_put_str(b, "</p>");
}

int eid_html_submit_cancel(eid_buf *b, enum eid_lang lang, enum eid_msg label)
{
	int r;

	if ((r = eid_buf_put_str(b, "<button type=\"submit\">")) ||
	    (r = eid_html_text(b, eid_msg(lang, label))) ||
	    (r = eid_buf_put_str(b, "</button><button type=\"submit\" "
				    "name=\"cancel\" value=\"1\" "
				    "class=\"secondary\" formnovalidate>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_CANCEL))))
		return r;
	return eid_buf_put_str(b, "</button></form>");
}
