/* SPDX-License-Identifier: MIT */
/*
 * replay.c - runs a fuzz target over its seed corpus and every input that
 * once crashed it, without libFuzzer: part of make check, with gcc and
 * the sanitizers of the build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[4096];
		FILE *f;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		char *buf = NULL;
		size_t len = 0, cap = 0, got;
		char chunk[4096];
		while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
			if (len + got > cap) {
				cap = (len + got) * 2;
				buf = realloc(buf, cap);
			}
			memcpy(buf + len, chunk, got);
			len += got;
		}
		fclose(f);
		LLVMFuzzerTestOneInput((const uint8_t *)(buf ? buf : ""), len);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

int main(void)
{
	const char *src = getenv("PL_SRCDIR");
	char dir[4096];
	int n = 0;

	if (!src)
		return 99;
	snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", src, TARGET);
	n += replay_dir(dir);
	snprintf(dir, sizeof dir, "%s/fuzz/regressions/%s", src, TARGET);
	n += replay_dir(dir);
	printf("replay %s: %d passed, 0 failed\n", TARGET, n);
	return n > 0 ? 0 : 1;
}
