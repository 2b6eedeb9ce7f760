/* The citizen app's device keys (bindings).
 *
 * A device is a public ES256 key the e-ID app registered after a full
 * login and a one-time code to the account's phone.  Records live in the
 * durable EID_TABLE_DEVICES table as JSON:
 *   "d:<device id>"   {"v":1,"personal_id","jwk","jkt","created",
 *                      "status":"active"|"ended","level","ended"}
 *   "p:<personal id>" the id of the account's active device
 * One active device per account: binding a new one ends the old one.
 * "level" is the account's level when the key was bound: a QR login with
 * the key reaches level 2 only when it was 2 then and still is. */
#ifndef EID_DEVICE_H
#define EID_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/jose.h"
#include "idp/store.h"

#define EID_DEVICE_ID_LEN 22 /* base64url of 16 random bytes */

struct eid_device {
	char id[EID_DEVICE_ID_LEN + 1];
	char personal_id[13];
	char jkt[EID_THUMBPRINT_LEN + 1];
	json_t *jwk;        /* the public JWK (owned; eid_device_clear) */
	int64_t created_at;
	int64_t ended_at;   /* 0 while active */
	bool active;
	int level;          /* the account's level at binding */
};

void eid_device_clear(struct eid_device *d);

/* Check that jwk is a public EC P-256 key for ES256 (no private member);
 * ret_jkt (may be NULL) gets its thumbprint.  EID_EINVAL for a private
 * key, EID_EUNSUPPORTED for another kind, EID_EMALFORMED otherwise. */
int eid_device_check_jwk(const json_t *jwk,
			 char ret_jkt[EID_THUMBPRINT_LEN + 1]);

/* Bind jwk to the account (write txn): a new device id, the account's
 * previous device (if any) ended; its id goes to ret_old_id ("" when
 * none).  Audit: device.bind (and device.end for the old one). */
int eid_device_bind(eid_txn *t, const char *personal_id, const json_t *jwk,
		    int level, const char *remote, int64_t now,
		    struct eid_device *ret,
		    char ret_old_id[EID_DEVICE_ID_LEN + 1]);

/* The level an approval with d reaches today, the account being at
 * account_level: 2 only when it was 2 at binding and still is, else 1. */
int eid_device_level_now(const struct eid_device *d, int account_level);

/* A device by id (active or ended); EID_ENOTFOUND when unknown. */
int eid_device_get(eid_txn *t, const char *id, struct eid_device *ret);
/* The account's active device; EID_ENOTFOUND when none. */
int eid_device_active(eid_txn *t, const char *personal_id,
		      struct eid_device *ret);
/* Raise an active device's level (never lowers it): the device on
 * which the citizen proved level 2 by NFC (idp/level2_self.h) logs in at
 * level 2 from then on.  EID_ESTATE when ended, EID_ENOTFOUND. */
int eid_device_raise_level(eid_txn *t, const char *id, int level);
/* End the account's active device (lost phone).  Audit: device.end.
 * EID_ENOTFOUND when none. */
int eid_device_end(eid_txn *t, const char *personal_id, const char *actor,
		   int64_t now);

#endif
