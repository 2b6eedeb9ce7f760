/* Demo data for `eidd --demo` and `tools/dev.sh run`: a few registry
 * citizens (and, as the features land, their accounts and a relying
 * party), written once and left alone afterwards. */
#ifndef EID_TOOLS_DEMO_H
#define EID_TOOLS_DEMO_H

#include <stdint.h>

#include "idp/store.h"

/* Insert the demo records that are not there yet; ret_added (may be NULL)
 * counts what was written. */
int eid_demo_seed(eid_store *s, int64_t now, unsigned *ret_added);

#endif
