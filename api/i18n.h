/* The pages' languages: Vietnamese (the default) and English, chosen by
 * the relying party's ui_locales, else the browser's Accept-Language. */
#ifndef EID_API_I18N_H
#define EID_API_I18N_H

enum eid_lang {
	EID_LANG_VI = 0,
	EID_LANG_EN,
};

/* X(id, English, Vietnamese) */
#define EID_MESSAGES(X)                                                       \
	X(MSG_SITE_NAME, "National electronic identity", "Định danh điện tử quốc gia") \
	X(MSG_LOGIN_TITLE, "Sign in", "Đăng nhập")                            \
	X(MSG_LOGIN_FOR, "to continue to", "để tiếp tục tới")                 \
	X(MSG_USERNAME, "Personal ID number (12 digits)", "Số định danh cá nhân (12 chữ số)") \
	X(MSG_PASSWORD, "Password", "Mật khẩu")                                \
	X(MSG_SUBMIT_LOGIN, "Sign in", "Đăng nhập")                           \
	X(MSG_CANCEL, "Cancel", "Hủy")                                        \
	X(MSG_BAD_CREDENTIALS, "The personal ID number or the password is wrong.", \
	  "Số định danh cá nhân hoặc mật khẩu không đúng.")                     \
	X(MSG_TOO_MANY, "Too many attempts. Try again later.",                 \
	  "Quá nhiều lần thử. Vui lòng thử lại sau.")                         \
	X(MSG_LOCKED, "This account is locked. Contact the police of your commune.", \
	  "Tài khoản này đang bị khóa. Vui lòng liên hệ công an cấp xã.")       \
	X(MSG_CONSENT_TITLE, "Share your information", "Chia sẻ thông tin")  \
	X(MSG_CONSENT_ASKS, "asks for the following information:",           \
	  "yêu cầu các thông tin sau:")                                         \
	X(MSG_APPROVE, "Allow", "Đồng ý")                                     \
	X(MSG_DENY, "Deny", "Từ chối")                                        \
	X(MSG_ERROR_TITLE, "Something went wrong", "Đã xảy ra lỗi")          \
	X(MSG_BAD_REQUEST, "The request cannot be completed.",                 \
	  "Không thể thực hiện yêu cầu.")                                       \
	X(MSG_SESSION_EXPIRED, "This page has expired. Start again from the service you came from.", \
	  "Trang này đã hết hạn. Vui lòng bắt đầu lại từ dịch vụ bạn đã sử dụng.") \
	X(MSG_SIGNED_OUT, "You are signed out.", "Bạn đã đăng xuất.")

enum eid_msg {
#define EID_MSG_ENUM(id, en, vi) EID_##id,
	EID_MESSAGES(EID_MSG_ENUM)
#undef EID_MSG_ENUM
	EID_MSG_COUNT
};

const char *eid_msg(enum eid_lang lang, enum eid_msg id);
const char *eid_lang_tag(enum eid_lang lang); /* "vi", "en" */

/* ui_locales (space-separated BCP 47 tags, first match wins) takes
 * precedence over Accept-Language (q-values honoured); either may be
 * NULL.  Vietnamese when nothing matches. */
enum eid_lang eid_lang_negotiate(const char *ui_locales,
				 const char *accept_language);

#endif
