/* SPDX-License-Identifier: MIT */
/* json.c - a look at JSON text before cJSON parses it. */
#include "internal.h"

bool pl_json_depth_ok(const char *text, size_t len, int max)
{
	int depth = 0;
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return false;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return true;
}
