/* SPDX-License-Identifier: MIT */
/* A module built for another ABI: the loader must refuse it. */
#include "practlink-module.h"

PRACTLINK_EXPORT const practlink_backend practlink_backend_v1 = {
	.abi = PRACTLINK_MODULE_ABI + 41,
	.size = sizeof(practlink_backend),
	.name = "bad_abi",
};
