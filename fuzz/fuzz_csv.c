/* SPDX-License-Identifier: MIT */
/* fuzz_csv.c - a roster or key list, through practlink(1)'s reader. */
#include "../cli/cli.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reader reports a bad file through the command's failure path;
 * here only the parsing is under test. */
int cli_fail_with(practlink_status st, const char *msg, const char *hint)
{
	return 64;
}

static void row(void *arg, size_t line, size_t n, char **fields, const char *problem)
{
	for (size_t i = 0; i < n && i < 8; i++)
		if (fields[i])
			(*(size_t *)arg) += strlen(fields[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const header[] = { "id", "first_name", "last_name", "email", "pms_key" };
	static char dir[] = "/tmp/practlink-fuzz-csv.XXXXXX";
	static int made;
	char path[64];
	size_t total = 0;
	int saved, null;
	FILE *f;

	if (!made && !(made = mkdtemp(dir) != NULL))
		return 0;
	snprintf(path, sizeof path, "%s/roster.csv", dir);
	if (!(f = fopen(path, "w")))
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	/* The reader reports bad files on stderr: not here. */
	saved = dup(2);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 2);
	cli_csv_read(path, header, 4, 1, NULL, row, &total);
	dup2(saved, 2);
	close(saved);
	close(null);
	return 0;
}
