/* SPDX-License-Identifier: MIT */
/* The smallest module, built several times for the tests: as bad_name.so
 * with a table that names another module, which the loader must refuse;
 * as bad_status.so, whose verify answers a status outside the enum, which
 * the core must treat as INTERNAL; as exiting.so and crashing.so, whose
 * verify ends the process (exit(0), SIGSEGV), which the core must not
 * report as success; and as aborting.so and hanging.so, for modules
 * isolated in practlink-module-host. */
#include "practlink-module.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static practlink_status op_open(const practlink_services *svc, void **instance)
{
	*instance = NULL;
	return PRACTLINK_OK;
}

static void op_close(void *instance)
{
}

static practlink_status op_verify(void *instance, const practlink_person *p,
				  const practlink_secret *pms_key,
				  const practlink_secret *backend_key)
{
#ifdef VERIFY_EXITS
	exit(0);
#endif
#ifdef VERIFY_CRASHES
	raise(SIGSEGV);
#endif
#ifdef VERIFY_ABORTS
	abort();
#endif
#ifdef VERIFY_HANGS
	for (;;)
		pause();
#endif
	return (practlink_status)VERIFY_RESULT;
}

static int op_manual_step(void *instance, practlink_step step, const practlink_person *p, char *buf,
			  size_t size)
{
	return -1;
}

static practlink_status op_probe(void *instance, char *buf, size_t size)
{
	snprintf(buf, size, "%s answers", TABLE_NAME);
	return PRACTLINK_OK;
}

#define OPERATIONS                                                                                 \
	.name = TABLE_NAME, .version = "0", .open = op_open, .close = op_close,                    \
	.verify = op_verify, .manual_step = op_manual_step, .probe = op_probe

#if defined(TABLE_TINY)
/* Shorter than any table of this ABI: refused before a field is read. */
PRACTLINK_EXPORT const practlink_backend practlink_backend_v1 = {
	.abi = PRACTLINK_MODULE_ABI,
	.size = 8,
	OPERATIONS,
};
#elif defined(TABLE_SHORT)
/* Built before probe was appended: its table ends at manual_step, and the
 * core must not read past it (probe is then NULL to the core). */
PRACTLINK_EXPORT const practlink_backend practlink_backend_v1 = {
	.abi = PRACTLINK_MODULE_ABI,
	.size = PRACTLINK_BACKEND_MIN_SIZE,
	OPERATIONS,
};
#elif defined(TABLE_LONG)
/* Built by a newer practlink-module.h, with an operation this core does
 * not know appended: the core ignores it. */
struct newer_backend {
	practlink_backend known;
	practlink_status (*from_the_future)(void *instance);
};
static practlink_status op_future(void *instance)
{
	return PRACTLINK_INTERNAL;
}
PRACTLINK_EXPORT const struct newer_backend practlink_backend_v1 = {
	.known = { .abi = PRACTLINK_MODULE_ABI, .size = sizeof(struct newer_backend), OPERATIONS },
	.from_the_future = op_future,
};
#else
PRACTLINK_EXPORT const practlink_backend practlink_backend_v1 = {
	.abi = PRACTLINK_MODULE_ABI,
	.size = sizeof(practlink_backend),
	OPERATIONS,
};
#endif
