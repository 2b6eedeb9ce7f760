#include "tools/demo.h"

#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/citizen.h"
#include "idp/officers.h"
#include "idp/registry.h"

#define DEMO_ACTOR "operator:demo"

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

/* Accounts for the two adults (phone numbers as in the README). */
static const struct {
	const char *personal_id;
	const char *phone;
} demo_accounts[] = {
	{ "001090012345", "+84912345678" },
	{ "079195012346", "+84987654321" },
};

static int seed_account(eid_txn *t, const struct eid_account_policy *pol,
			size_t i, int64_t now, bool *ret_added)
{
	struct eid_account_new n = {
		.personal_id = demo_accounts[i].personal_id,
		.phone = demo_accounts[i].phone,
		.level = 1,
		.password = EID_DEMO_PASSWORD,
	};
	struct eid_account a;
	int r = eid_account_get(t, n.personal_id, &a);

	eid_account_clear(&a);
	*ret_added = false;
	if (r != EID_ENOTFOUND)
		return r;
	*ret_added = true;
	return eid_account_create(t, pol, &n, now, DEMO_ACTOR, NULL);
}

static int seed_officer(eid_txn *t, const struct eid_account_policy *pol,
			const struct eid_cred_keys *k, int64_t now,
			struct eid_demo_result *res)
{
	struct eid_officer_new n = {
		.id = EID_DEMO_OFFICER,
		.name = "Trần Văn Công",
		.unit = EID_DEMO_OFFICER_UNIT,
		.role = EID_OFFICER_ROLE_OFFICER,
		.password = EID_DEMO_OFFICER_PASSWORD,
		.enroll_totp = true,
	};
	struct eid_officer o;
	int r = eid_officer_get(t, n.id, &o);

	eid_officer_clear(&o);
	if (r != EID_ENOTFOUND)
		return r;
	r = eid_officer_add(t, pol, k, &n, now, DEMO_ACTOR, res->officer_totp,
			    NULL);
	if (r == EID_OK) {
		res->officer_created = true;
		res->added++;
	}
	return r;
}

static int seed_all(eid_txn *t, const struct eid_account_policy *pol,
		    const struct eid_cred_keys *k, int64_t now,
		    struct eid_demo_result *res)
{
	size_t i;
	int r = EID_OK;

	for (i = 0; r == EID_OK &&
		    i < sizeof(demo_citizens) / sizeof(demo_citizens[0]); i++) {
		bool one = false;
		r = seed_citizen(t, demo_citizens[i], now, &one);
		res->added += one;
	}
	for (i = 0; r == EID_OK &&
		    i < sizeof(demo_accounts) / sizeof(demo_accounts[0]); i++) {
		bool one = false;
		r = seed_account(t, pol, i, now, &one);
		res->added += one;
	}
	if (r == EID_OK)
		r = seed_officer(t, pol, k, now, res);
	return r;
}

int eid_demo_seed(eid_store *s, const struct eid_account_policy *pol,
		  const struct eid_cred_keys *k, int64_t now,
		  struct eid_demo_result *ret)
{
	struct eid_demo_result res;
	eid_txn *t = NULL;
	int r;

	memset(&res, 0, sizeof(res));
	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	if ((r = seed_all(t, pol, k, now, &res)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
	if (r == EID_OK && ret != NULL)
		*ret = res;
out:
	eid_txn_abort(t);
	eid_wipe(&res, sizeof(res));
	return r;
}
