/* SPDX-License-Identifier: MIT */
/* time.c - times as practlink keeps them: Unix seconds, RFC 3339 UTC;
 * milliseconds where runs must tell one moment from the next. */
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

long long pl_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pl_time_format_ms(long long ms, char buf[32])
{
	char s[32];

	pl_time_format(ms / 1000, s);
	snprintf(buf, 32, "%.19s.%03lldZ", s, ms % 1000);
}

long long pl_time_parse_ms(const char *s)
{
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	long long ms = 0, scale = 100;

	if (!end)
		return -1;
	if (*end == '.') { /* a fraction: its first three digits count */
		if (!(end[1] >= '0' && end[1] <= '9'))
			return -1;
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			ms += scale ? (*end - '0') * scale : 0;
	}
	if (strcmp(end, "Z") != 0)
		return -1;
	return (long long)timegm(&tm) * 1000 + ms;
}
