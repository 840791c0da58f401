/* SPDX-License-Identifier: MIT */
/* fuzz_config.c - practlink.conf, as a sysadmin might write it. */
#include "internal.h"

#include <stdint.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/practlink-fuzz-config.XXXXXX";
	static int made;
	char path[64];
	pl_config *cfg = NULL;
	pl_err err;
	FILE *f;

	if (!made && !(made = mkdtemp(dir) != NULL))
		return 0;
	snprintf(path, sizeof path, "%s/practlink.conf", dir);
	if (!(f = fopen(path, "w")))
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	chmod(path, 0644);
	if (pl_config_load(path, NULL, &cfg, &err) == PRACTLINK_OK)
		pl_config_free(cfg);
	return 0;
}
