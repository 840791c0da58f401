/* SPDX-License-Identifier: MIT */
/* fuzz_physitrack.c - the JSON answers physitrack.so reads from the
 * network: an error list, and the exercises answer. */
#include "../modules/physitrack/physitrack.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256], *body = malloc(size + 1);
	practlink_http_response r = { 200, body, size, (char *)"application/json", -1 };

	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	errors_text(body, size, why, sizeof why);
	for (const char *c = why; *c; c++)
		if (!isprint((unsigned char)*c))
			abort(); /* what goes into messages is printable */
	exercises_answer(&r);
	free(body);
	return 0;
}
