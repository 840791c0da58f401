/* SPDX-License-Identifier: MIT */
/*
 * batched - the disk's bound for an import: N new files of BYTES each,
 * made durable as the files store's import makes them (written whole to
 * temporary names; every BATCH, one syncfs, a link each, one fsync of the
 * folder), by a bare loop.
 *
 *   batched FOLDER N BYTES BATCH    prints: per_s=R
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	char tmp[64], name[64], *buf;
	long n, batch;
	size_t bytes;
	int dir;

	if (argc != 5 || (n = atol(argv[2])) < 1 || (batch = atol(argv[4])) < 1)
		return 64;
	bytes = (size_t)atol(argv[3]);
	if (!(buf = malloc(bytes)) || (dir = open(argv[1], O_RDONLY | O_DIRECTORY)) < 0)
		fail(argv[1]);
	memset(buf, 'x', bytes);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long first = 0; first < n; first += batch) {
		long last = first + batch < n ? first + batch : n;
		for (long i = first; i < last; i++) {
			snprintf(tmp, sizeof tmp, ".b%07ld.json.tmp", i);
			int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (fd < 0 || write(fd, buf, bytes) != (ssize_t)bytes || close(fd) < 0)
				fail("write");
		}
		if (syncfs(dir) < 0)
			fail("syncfs");
		for (long i = first; i < last; i++) {
			snprintf(tmp, sizeof tmp, ".b%07ld.json.tmp", i);
			snprintf(name, sizeof name, "b%07ld.json", i);
			if (linkat(dir, tmp, dir, name, 0) < 0 || unlinkat(dir, tmp, 0) < 0)
				fail("link");
		}
		if (fsync(dir) < 0)
			fail("fsync");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("per_s=%.1f\n", (double)n / ((double)(t1.tv_sec - t0.tv_sec) +
					    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	free(buf);
	close(dir);
	return 0;
}
