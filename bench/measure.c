/* SPDX-License-Identifier: MIT */
/*
 * measure - runs a command and prints how long it took and the most
 * memory it held: "wall_s=S peak_rss_kib=K rc=C". Its output goes where
 * the benchmark sends it.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status;
	pid_t pid;

	if (argc < 2)
		return 64;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return 70;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "wall_s=%.3f peak_rss_kib=%ld rc=%d\n",
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
