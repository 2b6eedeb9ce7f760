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
	X(MSG_SMS_BUSY, "Too many text messages are waiting to be sent. Try again in a minute.", \
	  "Có quá nhiều tin nhắn đang chờ gửi. Vui lòng thử lại sau một phút.") \
	X(MSG_REGISTRY_UNAVAILABLE, "The population registry cannot be reached right now. Nothing was changed; please try again in a few minutes.", \
	  "Hiện không kết nối được với cơ sở dữ liệu quốc gia về dân cư. Chưa có thay đổi nào; vui lòng thử lại sau ít phút.") \
	X(MSG_LOCKED, "This account is locked. Contact the police of your commune.", \
	  "Tài khoản này đang bị khóa. Vui lòng liên hệ công an cấp xã.")       \
	X(MSG_STEPUP_TITLE, "Confirm it is you", "Xác nhận danh tính")        \
	X(MSG_STEPUP_TEXT, "This service asks for a level-2 sign-in. Enter the 6-digit code sent to your phone.", \
	  "Dịch vụ này yêu cầu đăng nhập mức 2. Nhập mã 6 chữ số đã gửi tới điện thoại của bạn.") \
	X(MSG_STEPUP_TOTP_TEXT, "This service asks for a level-2 sign-in. Enter the 6-digit code from your authenticator app, or one of your recovery codes.", \
	  "Dịch vụ này yêu cầu đăng nhập mức 2. Nhập mã 6 chữ số từ ứng dụng xác thực, hoặc một mã khôi phục của bạn.") \
	X(MSG_TOTP_CODE, "Authenticator code or recovery code", "Mã xác thực hoặc mã khôi phục") \
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
	X(MSG_SIGNED_OUT, "You are signed out.", "Bạn đã đăng xuất.")         \
	X(MSG_NOT_ACTIVE, "This account is not activated yet. Use your activation code first.", \
	  "Tài khoản này chưa được kích hoạt. Vui lòng dùng mã kích hoạt trước.") \
	X(MSG_FORBIDDEN, "This form has expired or was not sent from this site. Start again from the service you came from.", \
	  "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này. Vui lòng bắt đầu lại từ dịch vụ bạn đã sử dụng.") \
	X(MSG_UNKNOWN_CLIENT, "The service that sent you here is not known.", \
	  "Dịch vụ đã chuyển bạn tới đây không được đăng ký.")               \
	X(MSG_BAD_REDIRECT, "The service that sent you here gave an address that is not registered.", \
	  "Dịch vụ đã chuyển bạn tới đây dùng một địa chỉ chưa được đăng ký.") \
	X(MSG_ERROR_CODE, "Error code:", "Mã lỗi:")                         \
	X(MSG_CLAIM_SUB, "An identifier for you at this service", "Mã định danh của bạn tại dịch vụ này") \
	X(MSG_CLAIM_NAME, "Full name", "Họ và tên")                            \
	X(MSG_CLAIM_BIRTHDATE, "Date of birth", "Ngày sinh")                   \
	X(MSG_CLAIM_GENDER, "Sex", "Giới tính")                                \
	X(MSG_CLAIM_PHONE, "Phone number", "Số điện thoại")                    \
	X(MSG_CLAIM_EMAIL, "E-mail address", "Địa chỉ thư điện tử")            \
	X(MSG_CLAIM_ADDRESS, "Place of residence", "Nơi cư trú")               \
	X(MSG_CLAIM_PERSONAL_ID, "Personal ID number", "Số định danh cá nhân") \
	X(MSG_CLAIM_EID_LEVEL, "Level of your electronic identity", "Mức độ tài khoản định danh điện tử") \
	X(MSG_SCOPE_OFFLINE, "Keep access while you are away", "Duy trì quyền truy cập khi bạn không trực tuyến") \
	X(MSG_SCOPE_SIGN, "Ask you to sign documents", "Yêu cầu bạn ký số tài liệu") \
	X(MSG_CONSENT_REMEMBER, "You can withdraw this consent at any time.",   \
	  "Bạn có thể rút lại sự đồng ý này bất kỳ lúc nào.")                  \
	X(MSG_LOGOUT_TITLE, "Sign out", "Đăng xuất")                           \
	X(MSG_LOGOUT_CONFIRM, "Do you want to sign out of the national electronic identity?", \
	  "Bạn có muốn đăng xuất khỏi định danh điện tử quốc gia không?")      \
	X(MSG_LOGOUT_YES, "Sign out", "Đăng xuất")                             \
	X(MSG_LOGOUT_NO, "Stay signed in", "Giữ đăng nhập")                    \
	X(MSG_BAD_HINT, "The sign-out request is not valid.", "Yêu cầu đăng xuất không hợp lệ.") \
	X(MSG_REGISTER_TITLE, "Create an account", "Đăng ký tài khoản")        \
	X(MSG_REGISTER_INTRO, "Level 1: your details must match the population registry. A code will be sent to your phone.", \
	  "Mức 1: thông tin phải khớp với Cơ sở dữ liệu quốc gia về dân cư. Mã xác thực sẽ được gửi tới điện thoại của bạn.") \
	X(MSG_FULL_NAME, "Full name (as on your ID card)", "Họ, chữ đệm và tên (như trên thẻ căn cước)") \
	X(MSG_BIRTHDATE, "Date of birth", "Ngày sinh")                       \
	X(MSG_PHONE, "Mobile phone number", "Số điện thoại di động")          \
	X(MSG_EMAIL_OPTIONAL, "E-mail (optional)", "Thư điện tử (không bắt buộc)") \
	X(MSG_PORTRAIT, "Portrait photo (JPEG, at most 200 KB)", "Ảnh chân dung (JPEG, tối đa 200 KB)") \
	X(MSG_SUBMIT_REGISTER, "Continue", "Tiếp tục")                       \
	X(MSG_REGISTER_REJECTED, "The details do not match the population registry, or an account exists already.", \
	  "Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư, hoặc tài khoản đã tồn tại.") \
	X(MSG_GUARDIAN_REQUIRED, "Citizens under 14 are registered through a guardian's level-2 account.", \
	  "Công dân dưới 14 tuổi được đăng ký thông qua tài khoản mức 2 của người giám hộ.") \
	X(MSG_INVALID_INPUT, "Some details are not valid:", "Một số thông tin không hợp lệ:") \
	X(MSG_CONFIRM_TITLE, "Confirm your phone number", "Xác nhận số điện thoại") \
	X(MSG_CODE_SENT, "Enter the 6-digit code sent to your phone, and choose a password.", \
	  "Nhập mã 6 chữ số đã gửi tới điện thoại của bạn và chọn mật khẩu.") \
	X(MSG_CODE, "Code", "Mã xác thực")                                   \
	X(MSG_NEW_PASSWORD, "New password (at least 12 characters)", "Mật khẩu mới (tối thiểu 12 ký tự)") \
	X(MSG_SUBMIT_CONFIRM, "Create the account", "Tạo tài khoản")          \
	X(MSG_CODE_WRONG, "The code is wrong, expired or already used.", "Mã xác thực không đúng, đã hết hạn hoặc đã được sử dụng.") \
	X(MSG_WEAK_PASSWORD, "The password cannot be used:", "Không thể dùng mật khẩu này:") \
	X(MSG_REGISTERED_TITLE, "Your account is ready", "Tài khoản đã được tạo") \
	X(MSG_REGISTERED_TEXT, "Your level-1 account is active. You can now sign in with your personal ID number and password.", \
	  "Tài khoản mức 1 của bạn đã được kích hoạt. Bạn có thể đăng nhập bằng số định danh cá nhân và mật khẩu.") \
	X(MSG_QR_SCAN, "Or scan this code with the national e-ID app:", "Hoặc quét mã này bằng ứng dụng định danh điện tử:") \
	X(MSG_QR_CONTINUE, "I approved on my phone: continue", "Tôi đã đồng ý trên điện thoại: tiếp tục") \
	X(MSG_QR_PENDING, "The sign-in has not been approved on the phone yet. Scan the new code.", \
	  "Chưa có xác nhận đăng nhập trên điện thoại. Vui lòng quét mã mới.") \
	X(MSG_QR_DENIED, "The sign-in was refused on the phone.", "Đăng nhập đã bị từ chối trên điện thoại.") \
	X(MSG_PASSKEY_LOGIN, "Sign in with a passkey", "Đăng nhập bằng khóa truy cập") \
	X(MSG_PASSKEY_FAILED, "The passkey could not be verified. Try again, or sign in with your password.", \
	  "Không xác minh được khóa truy cập. Vui lòng thử lại hoặc đăng nhập bằng mật khẩu.") \
	X(MSG_DEVICE_TITLE, "Connect a device", "Kết nối thiết bị")          \
	X(MSG_DEVICE_ENTER, "Enter the code shown on the TV or kiosk screen.", \
	  "Nhập mã hiển thị trên màn hình TV hoặc ki-ốt.")                     \
	X(MSG_DEVICE_CODE, "Code (8 letters)", "Mã (8 chữ cái)")             \
	X(MSG_DEVICE_NEXT, "Continue", "Tiếp tục")                           \
	X(MSG_DEVICE_WRONG, "This code is wrong or has expired. Check the code on the device screen.", \
	  "Mã không đúng hoặc đã hết hạn. Vui lòng kiểm tra mã trên màn hình thiết bị.") \
	X(MSG_DEVICE_CONFIRM, "Only continue if this code is shown on a device in front of you. Someone else may have sent you this link.", \
	  "Chỉ tiếp tục nếu mã này đang hiển thị trên thiết bị trước mặt bạn. Có thể người khác đã gửi đường dẫn này cho bạn.") \
	X(MSG_DEVICE_WANTS, "wants to sign you in on a device showing the code", \
	  "muốn đăng nhập cho bạn trên thiết bị đang hiển thị mã")              \
	X(MSG_DEVICE_DONE, "Done. You can go back to your device.", "Hoàn tất. Bạn có thể quay lại thiết bị của mình.") \
	X(MSG_DEVICE_DENIED, "The device was not signed in.", "Thiết bị chưa được đăng nhập.")

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
