/* SPDX-License-Identifier: MIT */
/* secret.c - keys in memory: allocated apart, wiped on free, generated from
 * the kernel's random source. */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

practlink_secret *pl_secret_new(const char *data, size_t len)
{
	practlink_secret *s;

	return_val_if_fail(data != NULL || len == 0, NULL);
	if (len > SIZE_MAX - sizeof *s - 1)
		return NULL;
	/* One block, so one wipe covers the header and the bytes. */
	s = malloc(sizeof *s + len + 1);
	if (!s)
		return NULL;
	s->len = len;
	s->str = (char *)(s + 1);
	if (len)
		memcpy(s->str, data, len);
	s->str[len] = '\0';
	return s;
}

void pl_secret_wipe(practlink_secret *secret)
{
	if (secret)
		explicit_bzero(secret->str, secret->len);
}

void pl_secret_free(practlink_secret *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, sizeof *secret + secret->len + 1);
	free(secret);
}

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool pl_key_is_strong(const char *s, size_t len)
{
	bool upper = false, lower = false, digit = false;

	if (len < PRACTLINK_PMS_KEY_MIN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			upper = true;
		else if (c >= 'a' && c <= 'z')
			lower = true;
		else if (c >= '0' && c <= '9')
			digit = true;
		else
			return false;
	}
	return upper && lower && digit;
}

static int fill_random(unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

practlink_status practlink_keygen(char *buf, size_t size)
{
	/* 62 * 4 = 248: bytes at or above it are dropped so that every
	 * character of the alphabet is equally likely. */
	enum { LIMIT = (sizeof alphabet - 1) * 4 };
	unsigned char pool[64];
	size_t len, have = 0, used = sizeof pool;

	return_val_if_fail(buf != NULL, PRACTLINK_USAGE);
	return_val_if_fail(size > PRACTLINK_PMS_KEY_MIN, PRACTLINK_USAGE);
	len = size - 1;
	do {
		for (have = 0; have < len;) {
			if (used == sizeof pool) {
				if (fill_random(pool, sizeof pool) < 0)
					return PRACTLINK_INTERNAL;
				used = 0;
			}
			unsigned char b = pool[used++];
			if (b < LIMIT)
				buf[have++] = alphabet[b % (sizeof alphabet - 1)];
		}
		buf[len] = '\0';
	} while (!pl_key_is_strong(buf, len)); /* rare: a class is missing */
	explicit_bzero(pool, sizeof pool);
	return PRACTLINK_OK;
}

void pl_redact(char *text, size_t size, const practlink_secret *key)
{
	static const char mark[] = "[key withheld]";
	size_t marklen = sizeof mark - 1;
	char *at;

	/* Keys shorter than this are no keys a platform hands out, and would
	 * match ordinary words. */
	if (!text || !key || key->len < 8)
		return;
	while ((at = strstr(text, key->str))) {
		size_t tail = strlen(at + key->len) + 1;
		if ((size_t)(at - text) + marklen + tail > size)
			tail = size - (size_t)(at - text) - marklen; /* cut, never overflow */
		memmove(at + marklen, at + key->len, tail);
		memcpy(at, mark, marklen);
		text[size - 1] = '\0';
	}
}
