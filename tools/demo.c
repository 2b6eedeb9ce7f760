#include "tools/demo.h"

#include <string.h>

#include "crypto/error.h"
#include "idp/citizen.h"
#include "idp/registry.h"

/* Three citizens: an adult man, an adult woman, and the man's child (a
 * minor, who can only be registered through his guardian). */
static const char *const demo_citizens[] = {
	"{\"personal_id\":\"001090012345\",\"full_name\":\"Nguyễn Văn An\","
	"\"birthdate\":\"1990-03-15\",\"sex\":\"male\",\"ethnicity\":\"Kinh\","
	"\"religion\":\"Không\",\"place_of_origin\":\"Đông Anh, Hà Nội\","
	"\"residence\":\"12 Phố Huế, Hai Bà Trưng, Hà Nội\","
	"\"card_number\":\"001090012345\",\"card_issued\":\"2021-04-10\","
	"\"card_expires\":\"2030-03-15\"}",
	"{\"personal_id\":\"079195012346\",\"full_name\":\"Trần Thị Bích\","
	"\"birthdate\":\"1995-11-02\",\"sex\":\"female\",\"ethnicity\":\"Kinh\","
	"\"religion\":\"Phật giáo\",\"place_of_origin\":\"Quận 3, TP. Hồ Chí Minh\","
	"\"residence\":\"45 Lê Lợi, Quận 1, TP. Hồ Chí Minh\","
	"\"card_number\":\"079195012346\",\"card_issued\":\"2022-01-20\","
	"\"card_expires\":\"2035-11-02\"}",
	"{\"personal_id\":\"001216000777\",\"full_name\":\"Nguyễn Minh Khang\","
	"\"birthdate\":\"2016-06-01\",\"sex\":\"male\",\"ethnicity\":\"Kinh\","
	"\"place_of_origin\":\"Đông Anh, Hà Nội\","
	"\"residence\":\"12 Phố Huế, Hai Bà Trưng, Hà Nội\","
	"\"guardian_id\":\"001090012345\"}",
};

static int seed_citizen(eid_txn *t, const char *json, int64_t now,
			bool *ret_added)
{
	struct eid_citizen c, old;
	int r;

	r = eid_citizen_parse_json(json, strlen(json), now, &c, NULL);
	if (r != EID_OK)
		return r;
	r = eid_registry_get(t, c.personal_id, &old);
	if (r == EID_OK) {
		*ret_added = false;
		return EID_OK;
	}
	if (r != EID_ENOTFOUND)
		return r;
	c.updated_at = now;
	*ret_added = true;
	return eid_registry_put(t, &c);
}

int eid_demo_seed(eid_store *s, int64_t now, unsigned *ret_added)
{
	eid_txn *t = NULL;
	unsigned added = 0;
	int r;

	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	for (size_t i = 0; i < sizeof(demo_citizens) / sizeof(demo_citizens[0]);
	     i++) {
		bool one = false;
		if ((r = seed_citizen(t, demo_citizens[i], now, &one)) != EID_OK)
			goto out;
		added += one;
	}
	r = eid_txn_commit(t);
	t = NULL;
	if (r == EID_OK && ret_added != NULL)
		*ret_added = added;
out:
	eid_txn_abort(t);
	return r;
}
