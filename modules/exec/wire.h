/* SPDX-License-Identifier: MIT */
/* wire.h - what exec.so and practlink-module-host share of
 * practlink-exec(7)'s text. */
#ifndef PRACTLINK_WIRE_H
#define PRACTLINK_WIRE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* A growing byte buffer; wiped whenever it is emptied, for it may hold keys. */
struct buf {
	char *p;
	size_t len, cap;
};

bool buf_grow(struct buf *b, size_t more);
bool buf_add(struct buf *b, const char *s, size_t n);
bool buf_str(struct buf *b, const char *s);
/* s as a JSON string, quoted; NULL as null. */
bool buf_json(struct buf *b, const char *s);
/* Empties b, wiping what it held. */
void buf_clear(struct buf *b);
void buf_free(struct buf *b);

/* Wipes every string of a parsed message, then frees it. */
void wire_json_free(cJSON *j);
/* obj's string member name, or NULL. */
const char *wire_string(const cJSON *obj, const char *name);
/* src into dst fit for a terminal: control characters become '?'. */
void wire_printable(char *dst, size_t size, const char *src);

#endif
