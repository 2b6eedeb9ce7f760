/* Inside the activation module: shared by activation.c and
 * activation_minor.c, never included elsewhere. */
#ifndef EID_ACTIVATION_PRIV_H
#define EID_ACTIVATION_PRIV_H

#include <stdbool.h>

#include "idp/activation.h"

/* Write the case (replacing the stored one). */
int eid_activation_put(eid_txn *t, const struct eid_activation *c);
/* Write the case and append its audit event (details consumed). */
int eid_activation_save(eid_txn *t, const struct eid_activation *c,
			const char *type, const char *actor, json_t *details,
			int64_t now);
/* "officer:<id>"; EID_EINVAL for a missing or too long ID. */
int eid_activation_actor(const char *officer_id, char out[EID_ACTOR_MAX + 1]);
/* A card read against a registry record: the verdicts and DG13 fields
 * into c, state CHIP_OK or CHIP_FAILED with the refusal. */
void eid_activation_judge(struct eid_activation *c,
			  const struct eid_activation_chip *chip,
			  const struct eid_citizen *cz);
/* One field of the record against what was presented. */
void eid_activation_add_field(struct eid_activation *c, const char *name,
			      const char *registry, const char *shown,
			      bool match);
/* Names compared in NFC with their blanks collapsed. */
bool eid_activation_same_name(const char *a, const char *b);

/* A citizen under 14 (activation.start): the registry names a guardian
 * whose account is active at level 2 and whose card is valid; the
 * guardian's ID into ret_guardian.  EID_EPERM or EID_ESTATE with the
 * reason in why. */
int eid_activation_minor_check(eid_txn *t, const struct eid_citizen *minor,
			       int64_t now,
			       char ret_guardian[EID_PERSONAL_ID_LEN + 1],
			       eid_buf *why);
/* The minor's part of the attestation (see eid_activation_attest): the
 * guardian verified and consenting and still level 2, the minor's
 * account at level 2 pending, the consent audited; a->ret_sms_to set. */
int eid_activation_minor_attest(eid_txn *t, const struct eid_activation *c,
				struct eid_activation_attest *a,
				const char *actor, int64_t now, eid_buf *why);

#endif
