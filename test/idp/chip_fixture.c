#include "chip_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct eid_activation_chip *chip_fixture_adult(void)
{
	struct eid_activation_chip *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->pa = c->aa = EID_ACHECK_VALID;
	c->has_dg13 = true;
	strcpy(c->dg13.personal_id, CHIP_FIXTURE_ADULT);
	strcpy(c->dg13.full_name, "Nguyễn Văn An");
	strcpy(c->dg13.birthdate, "1990-03-15");
	strcpy(c->dg13.sex, "Nam");
	strcpy(c->dg13.card_issued, "2021-04-10");
	strcpy(c->dg13.card_expires, "2030-03-15");
	return c;
}
