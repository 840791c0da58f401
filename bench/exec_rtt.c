/* SPDX-License-Identifier: MIT */
/*
 * exec_rtt - the bound of the exec-link scenario: how many protocol round
 * trips (practlink-exec(7)) a backend program answers per second when it
 * does no work, driven by a bare loop with nothing of practlink around it.
 *   exec_rtt PROGRAM JOBS N
 * JOBS copies of PROGRAM, each opened with {"no_work": true}, answer N
 * verify requests in all; prints per_s=R.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *program;
static long per_job;

/* Sends line, reads one line back; exits on any failure. */
static void round_trip(int fd, const char *line)
{
	char buf[4096];
	size_t len = strlen(line), got = 0;

	if (write(fd, line, len) != (ssize_t)len)
		exit(1);
	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof buf - got);
		if (n <= 0)
			exit(1);
		got += (size_t)n;
		if (buf[got - 1] == '\n')
			return;
		if (got == sizeof buf)
			exit(1);
	}
}

static void *job(void *arg)
{
	char line[512];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || (pid = fork()) < 0)
		exit(1);
	if (pid == 0) {
		char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C.UTF-8", NULL };
		dup2(sv[1], 0);
		dup2(sv[1], 1);
		close(sv[0]);
		execle(program, program, (char *)NULL, envp);
		_exit(127);
	}
	close(sv[1]);
	round_trip(sv[0], "{\"id\":1,\"op\":\"hello\",\"protocol\":1,\"integration\":\"bench\","
			  "\"pms_name\":\"juvonno\"}\n");
	round_trip(sv[0], "{\"id\":2,\"op\":\"open\",\"settings\":{\"no_work\":true}}\n");
	for (long i = 0; i < per_job; i++) {
		snprintf(line, sizeof line,
			 "{\"id\":%ld,\"op\":\"verify\",\"person\":{\"id\":\"bench%06ld\","
			 "\"first_name\":\"Ada\",\"last_name\":\"Lovelace\",\"email\":"
			 "\"bench%06ld@clinic.example\",\"user_id\":\"u0123456789abcdef\"},"
			 "\"pms_key\":\"PmsKey0123456789abcdefghijKLMNOP\",\"backend_key\":"
			 "\"mk0123456789abcdef0123456789abcdef\"}\n",
			 i + 3, i, i);
		round_trip(sv[0], line);
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t *t;
	int jobs;
	long n;

	if (argc != 4 || (jobs = atoi(argv[2])) < 1 || (n = atol(argv[3])) < jobs) {
		fprintf(stderr, "usage: exec_rtt PROGRAM JOBS N\n");
		return 64;
	}
	program = argv[1];
	per_job = n / jobs;
	t = calloc((size_t)jobs, sizeof *t);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < jobs; i++)
		pthread_create(&t[i], NULL, job, NULL);
	for (int i = 0; i < jobs; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("per_s=%.1f\n",
	       (double)(per_job * jobs) /
		       ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	free(t);
	return 0;
}
