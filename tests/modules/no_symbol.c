/* SPDX-License-Identifier: MIT */
/* A shared object that is not a practlink module: no entry symbol. */
#include "practlink-module.h"

PRACTLINK_EXPORT int not_a_backend(void);

int not_a_backend(void)
{
	return 0;
}
