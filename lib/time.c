/* SPDX-License-Identifier: MIT */
/* time.c - times as practlink keeps them: Unix seconds, RFC 3339 UTC. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

long long pl_now(void)
{
	return (long long)time(NULL);
}

void pl_time_format(long long t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long long pl_time_parse(const char *s)
{
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;

	return end && !*end ? (long long)timegm(&tm) : -1;
}
