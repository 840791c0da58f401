/* SPDX-License-Identifier: MIT */
/*
 * durable - the physical bound of the mock-link benchmark: how many atomic
 * durable writes per second the store's folder takes, done as the files
 * store does them (O_EXCL temporary file, write, fsync, rename, fsync of
 * the folder), by jobs writers at once.
 *
 *   durable FOLDER N JOBS BYTES    prints: per_s=R
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *folder;
static long per_writer;
static size_t bytes;

static void *writer(void *arg)
{
	long w = (long)arg;
	char tmp[64], name[64], *buf = malloc(bytes);
	int dir = open(folder, O_RDONLY | O_DIRECTORY);

	memset(buf, 'x', bytes);
	for (long i = 0; i < per_writer; i++) {
		snprintf(tmp, sizeof tmp, ".bench-%ld-%ld.tmp", w, i);
		snprintf(name, sizeof name, "bench-%ld-%ld.json", w, i % 64);
		int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || write(fd, buf, bytes) != (ssize_t)bytes || fsync(fd) < 0 ||
		    close(fd) < 0 || renameat(dir, tmp, dir, name) < 0 || fsync(dir) < 0) {
			perror("durable");
			exit(1);
		}
	}
	for (long i = 0; i < 64 && i < per_writer; i++) {
		snprintf(name, sizeof name, "bench-%ld-%ld.json", w, i);
		unlinkat(dir, name, 0);
	}
	close(dir);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t threads[256];
	long n, jobs;

	if (argc != 5)
		return 64;
	folder = argv[1];
	n = atol(argv[2]);
	jobs = atol(argv[3]);
	bytes = (size_t)atol(argv[4]);
	if (jobs < 1 || jobs > 256 || n < jobs)
		return 64;
	per_writer = n / jobs;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < jobs; i++)
		pthread_create(&threads[i], NULL, writer, (void *)i);
	for (long i = 0; i < jobs; i++)
		pthread_join(threads[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("per_s=%.1f\n", (double)(per_writer * jobs) / s);
	return 0;
}
