#include "idp/personal_id.h"

#include <stdio.h>
#include <string.h>

#include "crypto/error.h"

/* Circular 07/2016/TT-BCA, annex: codes of the provinces and centrally-run
 * cities where a birth is registered. */
static const struct eid_province provinces[] = {
	{ 1, "Hà Nội" },           { 2, "Hà Giang" },
	{ 4, "Cao Bằng" },         { 6, "Bắc Kạn" },
	{ 8, "Tuyên Quang" },      { 10, "Lào Cai" },
	{ 11, "Điện Biên" },       { 12, "Lai Châu" },
	{ 14, "Sơn La" },          { 15, "Yên Bái" },
	{ 17, "Hòa Bình" },        { 19, "Thái Nguyên" },
	{ 20, "Lạng Sơn" },        { 22, "Quảng Ninh" },
	{ 24, "Bắc Giang" },       { 25, "Phú Thọ" },
	{ 26, "Vĩnh Phúc" },       { 27, "Bắc Ninh" },
	{ 30, "Hải Dương" },       { 31, "Hải Phòng" },
	{ 33, "Hưng Yên" },        { 34, "Thái Bình" },
	{ 35, "Hà Nam" },          { 36, "Nam Định" },
	{ 37, "Ninh Bình" },       { 38, "Thanh Hóa" },
	{ 40, "Nghệ An" },         { 42, "Hà Tĩnh" },
	{ 44, "Quảng Bình" },      { 45, "Quảng Trị" },
	{ 46, "Thừa Thiên Huế" },  { 48, "Đà Nẵng" },
	{ 49, "Quảng Nam" },       { 51, "Quảng Ngãi" },
	{ 52, "Bình Định" },       { 54, "Phú Yên" },
	{ 56, "Khánh Hòa" },       { 58, "Ninh Thuận" },
	{ 60, "Bình Thuận" },      { 62, "Kon Tum" },
	{ 64, "Gia Lai" },         { 66, "Đắk Lắk" },
	{ 67, "Đắk Nông" },        { 68, "Lâm Đồng" },
	{ 70, "Bình Phước" },      { 72, "Tây Ninh" },
	{ 74, "Bình Dương" },      { 75, "Đồng Nai" },
	{ 77, "Bà Rịa - Vũng Tàu" }, { 79, "Hồ Chí Minh" },
	{ 80, "Long An" },         { 82, "Tiền Giang" },
	{ 83, "Bến Tre" },         { 84, "Trà Vinh" },
	{ 86, "Vĩnh Long" },       { 87, "Đồng Tháp" },
	{ 89, "An Giang" },        { 91, "Kiên Giang" },
	{ 92, "Cần Thơ" },         { 93, "Hậu Giang" },
	{ 94, "Sóc Trăng" },       { 95, "Bạc Liêu" },
	{ 96, "Cà Mau" },
};

#define PROVINCE_COUNT (sizeof(provinces) / sizeof(provinces[0]))

const struct eid_province *eid_province_table(size_t *ret_count)
{
	*ret_count = PROVINCE_COUNT;
	return provinces;
}

const char *eid_province_name(unsigned code)
{
	size_t lo = 0, hi = PROVINCE_COUNT;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (provinces[mid].code == code)
			return provinces[mid].name;
		if (provinces[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static unsigned digits_value(const char *s, size_t n)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

static int refuse(eid_buf *why, const char *reason)
{
	eid_buf_say(why, reason);
	return EID_EMALFORMED;
}

int eid_personal_id_parse_n(const char *s, size_t n,
			    struct eid_personal_id *ret, eid_buf *why)
{
	struct eid_personal_id id;
	unsigned c;

	if (s == NULL || n != EID_PERSONAL_ID_LEN)
		return refuse(why, "personal ID must be exactly 12 digits");
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return refuse(why,
				      "personal ID must be exactly 12 digits");
	memset(&id, 0, sizeof(id));
	memcpy(id.digits, s, n);
	id.province = digits_value(s, 3);
	if (eid_province_name(id.province) == NULL) {
		if (why != NULL)
			(void)eid_buf_printf(why,
				"personal ID has unknown province code %.3s",
				s);
		return EID_EMALFORMED;
	}
	c = digits_value(s + 3, 1);
	id.sex = (c % 2 == 0) ? EID_SEX_MALE : EID_SEX_FEMALE;
	id.birth_year = EID_PERSONAL_ID_MIN_YEAR + (int)(c / 2) * 100 +
			(int)digits_value(s + 4, 2);
	id.serial = digits_value(s + 6, 6);
	*ret = id;
	return EID_OK;
}

int eid_personal_id_parse(const char *s, struct eid_personal_id *ret)
{
	if (s == NULL)
		return EID_EMALFORMED;
	return eid_personal_id_parse_n(s, strnlen(s, EID_PERSONAL_ID_LEN + 1),
				       ret, NULL);
}

int eid_personal_id_check_birth(const struct eid_personal_id *id, int year,
				enum eid_sex sex)
{
	if (id->birth_year != year || id->sex != sex)
		return EID_EMISMATCH;
	return EID_OK;
}

int eid_personal_id_make(unsigned province, enum eid_sex sex, int birth_year,
			 uint32_t serial, char ret[EID_PERSONAL_ID_LEN + 1])
{
	char out[EID_PERSONAL_ID_LEN + 1];
	unsigned century;
	int yy;
	int n;

	if (eid_province_name(province) == NULL ||
	    birth_year < EID_PERSONAL_ID_MIN_YEAR ||
	    birth_year > EID_PERSONAL_ID_MAX_YEAR ||
	    serial > EID_PERSONAL_ID_MAX_SERIAL ||
	    (sex != EID_SEX_MALE && sex != EID_SEX_FEMALE))
		return EID_EINVAL;
	century = (unsigned)(birth_year - EID_PERSONAL_ID_MIN_YEAR) / 100;
	yy = birth_year % 100;
	n = snprintf(out, sizeof(out), "%03u%u%02d%06u", province,
		     century * 2 + (unsigned)sex, yy, (unsigned)serial);
	if (n != EID_PERSONAL_ID_LEN)
		return EID_EINTERNAL;
	memcpy(ret, out, sizeof(out));
	return EID_OK;
}

const char *eid_sex_name(enum eid_sex sex)
{
	return sex == EID_SEX_FEMALE ? "female" : "male";
}

int eid_sex_parse(const char *s, size_t n, enum eid_sex *ret)
{
	if (n == 4 && memcmp(s, "male", 4) == 0) {
		*ret = EID_SEX_MALE;
		return EID_OK;
	}
	if (n == 6 && memcmp(s, "female", 6) == 0) {
		*ret = EID_SEX_FEMALE;
		return EID_OK;
	}
	return EID_EMALFORMED;
}
