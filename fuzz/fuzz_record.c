/* SPDX-License-Identifier: MIT */
/* fuzz_record.c - a store record, as the store hands it back. */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pl_record *rec = NULL;
	pl_err err;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (pl_record_parse(text, size, "fuzz", &rec, &err) == PRACTLINK_OK) {
		/* What parses must format and parse again. */
		char *again = pl_record_format(rec);
		pl_record *rec2 = NULL;
		if (!again ||
		    pl_record_parse(again, strlen(again), "fuzz", &rec2, &err) != PRACTLINK_OK)
			abort();
		pl_record_free(rec2);
		free(again);
	}
	pl_record_free(rec);
	free(text);
	return 0;
}
