/* Keys derived from the key-encryption key for one purpose each (HKDF-SHA256
 * with the purpose as info), so one secret from the operator yields many
 * independent keys and none of them is stored. */
#ifndef EID_KDF_H
#define EID_KDF_H

#include <stddef.h>
#include <stdint.h>

/* Derive n (1..64) bytes for purpose (a short fixed label such as
 * "eid subject v1").  EID_OK or EID_ECRYPTO / EID_EINVAL. */
int eid_kek_derive(const uint8_t kek[32], const char *purpose, uint8_t *out,
		   size_t n);

#endif
