/* What the WebAuthn fuzz targets expect, and gen_webauthn_seeds builds
 * its seeds for, so that good seeds pass every check. */
#ifndef EID_FUZZ_WEBAUTHN_H
#define EID_FUZZ_WEBAUTHN_H

#define FUZZ_WA_RP "localhost"
#define FUZZ_WA_ORIGIN "http://localhost:8080"
/* 32 bytes of 0x42, and its clientDataJSON for both ceremonies. */
#define FUZZ_WA_CHALLENGE_BYTE 0x42
#define FUZZ_WA_CHALLENGE_B64 "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI"
#define FUZZ_WA_CLIENT_DATA(type)                                          \
	"{\"type\":\"" type "\",\"challenge\":\"" FUZZ_WA_CHALLENGE_B64       \
	"\",\"origin\":\"" FUZZ_WA_ORIGIN "\",\"crossOrigin\":false}"

#endif
