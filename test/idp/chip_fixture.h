/* The adult of the tests' registry (001090012345, Nguyễn Văn An) as a card
 * read that passed: PA and AA valid, DG13 as the registry has it. */
#ifndef EID_TEST_CHIP_FIXTURE_H
#define EID_TEST_CHIP_FIXTURE_H

#include "idp/activation.h"

#define CHIP_FIXTURE_ADULT "001090012345"

/* calloc'd (free it); fails the test when out of memory. */
struct eid_activation_chip *chip_fixture_adult(void);

#endif
