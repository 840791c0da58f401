/* SPDX-License-Identifier: MIT */
/* log.c - the library's one way out for messages: the host's callback, or
 * syslog when configured. The library never writes to stdout or stderr. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

static const struct {
	const char *name;
	int level;
} levels[] = {
	{ "error", PRACTLINK_LOG_ERR },     { "warning", PRACTLINK_LOG_WARNING },
	{ "notice", PRACTLINK_LOG_NOTICE }, { "info", PRACTLINK_LOG_INFO },
	{ "debug", PRACTLINK_LOG_DEBUG },
};

int pl_log_level_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (strcmp(levels[i].name, name) == 0)
			return levels[i].level;
	return -1;
}

const char *pl_log_level_name(int level)
{
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (levels[i].level == level)
			return levels[i].name;
	return "debug";
}

void pl_log_msgv(const pl_log *log, int level, const char *fmt, va_list ap)
{
	char line[1024];

	if (!log || level > log->level || (!log->fn && !log->syslog))
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	if (log->syslog)
		syslog(level, "%s", line);
	else
		log->fn(log->data, level, line);
}

void pl_log_msg(const pl_log *log, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pl_log_msgv(log, level, fmt, ap);
	va_end(ap);
}
