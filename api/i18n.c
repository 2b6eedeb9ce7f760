#include "api/i18n.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const messages_en[EID_MSG_COUNT] = {
#define EID_MSG_EN(id, en, vi) [EID_##id] = en,
	EID_MESSAGES(EID_MSG_EN)
#undef EID_MSG_EN
};

static const char *const messages_vi[EID_MSG_COUNT] = {
#define EID_MSG_VI(id, en, vi) [EID_##id] = vi,
	EID_MESSAGES(EID_MSG_VI)
#undef EID_MSG_VI
};

const char *eid_msg(enum eid_lang lang, enum eid_msg id)
{
	if ((unsigned)id >= EID_MSG_COUNT)
		return "";
	return lang == EID_LANG_EN ? messages_en[id] : messages_vi[id];
}

const char *eid_lang_tag(enum eid_lang lang)
{
	return lang == EID_LANG_EN ? "en" : "vi";
}

/* A language tag (n bytes) whose primary subtag is one of ours. */
static bool match_tag(const char *p, size_t n, enum eid_lang *ret)
{
	size_t primary = 0;

	while (primary < n && p[primary] != '-' && p[primary] != '_')
		primary++;
	if (primary == 2 && strncasecmp(p, "vi", 2) == 0) {
		*ret = EID_LANG_VI;
		return true;
	}
	if (primary == 2 && strncasecmp(p, "en", 2) == 0) {
		*ret = EID_LANG_EN;
		return true;
	}
	return false;
}

static bool from_ui_locales(const char *s, enum eid_lang *ret)
{
	while (s && *s) {
		size_t n;
		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (n > 0 && match_tag(s, n, ret))
			return true;
		s += n;
	}
	return false;
}

/* q as thousandths; a malformed q counts as 0 (ignored). */
static int parse_q(const char *p, size_t n)
{
	int q = 0, digits = 0;

	while (n > 0 && *p == ' ') {
		p++;
		n--;
	}
	if (n < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
		return 1000; /* another parameter: q defaults to 1 */
	p += 2;
	n -= 2;
	if (n == 0 || (p[0] != '0' && p[0] != '1'))
		return 0;
	q = (p[0] - '0') * 1000;
	if (n > 1 && p[1] == '.') {
		for (size_t i = 2; i < n && digits < 3; i++, digits++) {
			if (p[i] < '0' || p[i] > '9')
				return 0;
			q += (p[i] - '0') * (digits == 0 ? 100 : digits == 1 ? 10 : 1);
		}
	}
	return q > 1000 ? 1000 : q;
}

static bool from_accept_language(const char *s, enum eid_lang *ret)
{
	int best_q = 0;
	bool found = false;

	while (s && *s) {
		size_t n = strcspn(s, ","), tag;
		const char *semi;
		enum eid_lang l;
		int q = 1000;

		while (n > 0 && *s == ' ') {
			s++;
			n--;
		}
		semi = memchr(s, ';', n);
		tag = semi ? (size_t)(semi - s) : n;
		if (semi)
			q = parse_q(semi + 1, n - tag - 1);
		while (tag > 0 && s[tag - 1] == ' ')
			tag--;
		if (q > best_q && match_tag(s, tag, &l)) {
			best_q = q;
			*ret = l;
			found = true;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return found;
}

enum eid_lang eid_lang_negotiate(const char *ui_locales,
				 const char *accept_language)
{
	enum eid_lang l = EID_LANG_VI;

	if (from_ui_locales(ui_locales, &l))
		return l;
	if (from_accept_language(accept_language, &l))
		return l;
	return EID_LANG_VI;
}
