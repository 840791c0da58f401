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

bool pl_secret_equal(const practlink_secret *a, const practlink_secret *b)
{
	unsigned char diff = 0;

	if (!a || !b || a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++)
		diff |= (unsigned char)(a->str[i] ^ b->str[i]);
	return diff == 0;
}

/* The length of the blank at s (before end) that copy and paste brings
 * along: ASCII white space, and the Unicode spaces and invisible marks of
 * web pages and password managers (no-break and narrow no-break space, the
 * zero-width space, joiners, word joiner, byte order mark, ...); 0 if none. */
static size_t blank_at(const char *s, const char *end)
{
	static const char *const blanks[] = {
		"\xc2\xa0",     /* U+00A0 no-break space */
		"\xe1\x9a\x80", /* U+1680 ogham space mark */
		"\xe1\xa0\x8e", /* U+180E Mongolian vowel separator */
		"\xe2\x80\xa8", /* U+2028 line separator */
		"\xe2\x80\xa9", /* U+2029 paragraph separator */
		"\xe2\x80\xaf", /* U+202F narrow no-break space */
		"\xe2\x81\x9f", /* U+205F medium mathematical space */
		"\xe2\x81\xa0", /* U+2060 word joiner */
		"\xe3\x80\x80", /* U+3000 ideographic space */
		"\xef\xbb\xbf", /* U+FEFF byte order mark */
	};
	const unsigned char *u = (const unsigned char *)s;
	size_t left = (size_t)(end - s);

	if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		return 1;
	/* U+2000 to U+200D: the typographic spaces, zero-width space, joiners. */
	if (left >= 3 && u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x80 && u[2] <= 0x8d)
		return 3;
	for (size_t i = 0; i < sizeof blanks / sizeof blanks[0]; i++) {
		size_t n = strlen(blanks[i]);
		if (left >= n && memcmp(s, blanks[i], n) == 0)
			return n;
	}
	return 0;
}

/* The blank that ends just before end, if any: its length. */
static size_t blank_before(const char *start, const char *end)
{
	for (size_t n = 1; n <= 3 && n <= (size_t)(end - start); n++)
		if (blank_at(end - n, end) == n)
			return n;
	return 0;
}

practlink_status pl_key_normalise(const char *in, size_t len, const char *what,
				  practlink_secret **out, pl_err *err)
{
	const char *end = in + len;
	size_t n;

	*out = NULL;
	/* The seed: "copy API keys exactly, without additional spaces". */
	while (in < end && (n = blank_at(in, end)))
		in += n;
	while (end > in && (n = blank_before(in, end)))
		end -= n;
	if (in == end)
		return pl_err_set(err, PRACTLINK_BAD_KEY, "the %s is empty", what);
	for (const char *c = in; c < end; c++) {
		unsigned char u = (unsigned char)*c;
		if (u <= ' ' || u >= 0x7f) {
			pl_err_set(err, PRACTLINK_BAD_KEY,
				   "the %s holds %s at character %zu; a key is one word of "
				   "printable ASCII",
				   what,
				   u == ' ' || u == '\t'  ? "a space"
				   : u < ' ' || u == 0x7f ? "a control character"
				   : blank_at(c, end)     ? "an invisible space"
							  : "a character that is not ASCII",
				   (size_t)(c - in) + 1);
			return PRACTLINK_BAD_KEY;
		}
	}
	if (!(*out = pl_secret_new(in, (size_t)(end - in))))
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	return PRACTLINK_OK;
}

/* Whether text nests no deeper than max, strings aside. */
