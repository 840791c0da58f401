/* SPDX-License-Identifier: MIT */
/* wire.c - the text of practlink-exec(7): JSON written by hand into
 * buffers that are wiped, and answers wiped before they are freed. Built
 * into exec.so and practlink-module-host alike. */
#include "config.h"

#include <string.h>
#include <stdlib.h>

#include "wire.h"

bool buf_grow(struct buf *b, size_t more)
{
	char *p;
	size_t cap;

	if (b->cap - b->len > more)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len <= more)
		cap *= 2;
	if (!(p = malloc(cap)))
		return false;
	if (b->p) {
		memcpy(p, b->p, b->len);
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
	return true;
}

bool buf_add(struct buf *b, const char *s, size_t n)
{
	if (!buf_grow(b, n))
		return false;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

bool buf_str(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* s as a JSON string, quoted; NULL as null. */
bool buf_json(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	bool ok;

	if (!s)
		return buf_str(b, "null");
	ok = buf_add(b, "\"", 1);
	for (; ok && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		if (c == '"' || c == '\\')
			ok = buf_add(b, "\\", 1) && buf_add(b, (const char *)&c, 1);
		else if (c < 0x20 || c == 0x7f)
			ok = buf_add(b, esc, sizeof esc);
		else
			ok = buf_add(b, (const char *)&c, 1);
	}
	return ok && buf_add(b, "\"", 1);
}

void buf_clear(struct buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	b->len = 0;
}

void buf_free(struct buf *b)
{
	buf_clear(b);
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Wipes every string of a parsed answer before it is freed. */
static void wipe(cJSON *j)
{
	for (cJSON *c = j->child; c; c = c->next)
		wipe(c);
	if (j->valuestring)
		explicit_bzero(j->valuestring, strlen(j->valuestring));
}

void wire_json_free(cJSON *j)
{
	if (!j)
		return;
	wipe(j);
	cJSON_Delete(j);
}

const char *wire_string(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A copy of what the program said, fit for a terminal: control
 * characters become '?'. */
void wire_printable(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < size; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[i] = '\0';
}
