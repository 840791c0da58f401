/* SPDX-License-Identifier: MIT */
/* status.c - the tables generated from practlink-status.def. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

struct status_info {
	const char *name;
	int exit_code;
	const char *text;
	const char *hint;
};

static const struct status_info statuses[] = {
#define PRACTLINK_STATUS(name, exit, text, hint) { #name, exit, text, hint },
#include "practlink-status.def"
#undef PRACTLINK_STATUS
};

#define N_STATUSES (sizeof statuses / sizeof statuses[0])

practlink_status pl_status_check(int status)
{
	if (status < 0 || (size_t)status >= N_STATUSES)
		return PRACTLINK_INTERNAL;
	return (practlink_status)status;
}

static const struct status_info *info(practlink_status status)
{
	return &statuses[pl_status_check((int)status)];
}

const char *practlink_version(void)
{
	return PACKAGE_VERSION;
}

const char *practlink_strerror(practlink_status status)
{
	return info(status)->text;
}

const char *practlink_hint(practlink_status status)
{
	return info(status)->hint;
}

const char *practlink_status_name(practlink_status status)
{
	return info(status)->name;
}

int practlink_exit_code(practlink_status status)
{
	return info(status)->exit_code;
}

int practlink_status_from_name(const char *name)
{
	return_val_if_fail(name != NULL, -1);
	for (size_t i = 0; i < N_STATUSES; i++)
		if (strcmp(statuses[i].name, name) == 0)
			return (int)i;
	return -1;
}

practlink_status pl_err_setv(pl_err *err, practlink_status status, const char *fmt, va_list ap)
{
	if (err) {
		err->status = status;
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		err->hint[0] = '\0';
	}
	return status;
}

practlink_status pl_err_hint(pl_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return PRACTLINK_OK;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof err->hint, fmt, ap);
	va_end(ap);
	return err->status;
}

const char *pl_err_hint_of(const pl_err *err)
{
	return err->hint[0] ? err->hint : practlink_hint(err->status);
}

practlink_status pl_err_set(pl_err *err, practlink_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pl_err_setv(err, status, fmt, ap);
	va_end(ap);
	return status;
}
