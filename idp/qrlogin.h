/* QR cross-device login: handles shown on the login page and approved by
 * the citizen's e-ID app.
 *
 * A handle is 32 random bytes (base64url, 43 characters), kept in the
 * short-lived store only as its SHA-256, for EID_QR_TTL seconds, bound to
 * the browser interaction whose login page showed it.  The app decides
 * once (approve or deny; a second decision is refused), and the browser
 * that showed it, and only that one, takes the decision once. */
#ifndef EID_QRLOGIN_H
#define EID_QRLOGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "idp/device.h"
#include "idp/interaction.h"
#include "idp/store.h"

#define EID_QR_HANDLE_LEN 43
#define EID_QR_TTL 120
/* How long after the handle's expiry a decision may still be taken. */
#define EID_QR_TAKE_GRACE 60

enum eid_qr_status {
	EID_QR_PENDING,
	EID_QR_APPROVED,
	EID_QR_DENIED,
	EID_QR_EXPIRED,
};

const char *eid_qr_status_name(enum eid_qr_status st);

struct eid_qr {
	char interaction[EID_INTERACTION_ID_LEN + 1];
	enum eid_qr_status status;
	/* With EID_QR_APPROVED: who approved, with which device, the level
	 * the login reaches. */
	char personal_id[13];
	char device_id[EID_DEVICE_ID_LEN + 1];
	int level;
	uint64_t expires_at;
};

/* A new handle for interaction_id. */
int eid_qr_create(eid_store *s, const char *interaction_id, uint64_t now,
		  char ret_handle[EID_QR_HANDLE_LEN + 1]);

/* The handle's record and status (pending, approved or denied);
 * EID_ENOTFOUND when unknown or expired (also for a malformed handle). */
int eid_qr_get(eid_store *s, const char *handle, struct eid_qr *ret);

/* The app's decision.  EID_ENOTFOUND when unknown or expired, EID_ESTATE
 * when decided already. */
int eid_qr_decide(eid_store *s, const char *handle, bool approve,
		  const char *personal_id, const char *device_id, int level);

/* The status as the browser that showed the handle sees it (expired for
 * an unknown handle); EID_EPERM when interaction_id is not the handle's
 * (another browser). */
int eid_qr_status(eid_store *s, const char *handle,
		  const char *interaction_id, enum eid_qr_status *ret);

/* Take the decision for the browser of interaction_id, once: ret gets the
 * record (status approved or denied) and the handle is gone.
 * EID_EPERM: another browser's handle; EID_ESTATE: still pending;
 * EID_ENOTFOUND: expired, unknown or taken already. */
int eid_qr_take(eid_store *s, const char *handle, const char *interaction_id,
		struct eid_qr *ret);

#endif
