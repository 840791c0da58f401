/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - a run's outcome for Prometheus, in the text format that
 * node_exporter's textfile collector reads: written to a temporary file
 * beside FILE, flushed, and renamed over it, so that the collector never
 * reads half a file. Never a key, a name or an email: integrations,
 * states, statuses and times only.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_INTEGRATIONS 64

/* What status_each says of the store after the run. */
struct census {
	struct {
		char name[PRACTLINK_ID_MAX];
		size_t states[4];
		long long oldest_verified; /* 0: none */
	} integ[MAX_INTEGRATIONS];
	size_t n;
};

static const char *const states[] = { "unlinked", "pending", "linked", "failed" };

static practlink_status count(void *arg, const practlink_link_info *in)
{
	struct census *c = arg;
	size_t i;

	for (i = 0; i < c->n && strcmp(c->integ[i].name, in->integration) != 0; i++)
		;
	if (i == c->n) {
		if (c->n == MAX_INTEGRATIONS)
			return PRACTLINK_OK;
		snprintf(c->integ[i].name, sizeof c->integ[i].name, "%s", in->integration);
		c->n++;
	}
	for (size_t s = 0; s < 4; s++)
		if (strcmp(in->state, states[s]) == 0)
			c->integ[i].states[s]++;
	if (strcmp(in->state, "linked") == 0 && in->verified_at &&
	    (!c->integ[i].oldest_verified || in->verified_at < c->integ[i].oldest_verified))
		c->integ[i].oldest_verified = in->verified_at;
	return PRACTLINK_OK;
}

/* The last success of command in the file as it was, or 0. */
static long long last_success(const char *path, const char *command)
{
	char line[256], want[128];
	long long t = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	snprintf(want, sizeof want, "practlink_run_last_success_timestamp_seconds{command=\"%s\"} ",
		 command);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, want, strlen(want)) == 0)
			t = atoll(line + strlen(want));
	fclose(f);
	return t;
}

int cli_metrics_write(practlink_ctx *ctx, const char *path, const char *command,
		      const struct cli_failure_count *failures, size_t n_failures, bool ok,
		      double seconds)
{
	struct census c = { .n = 0 };
	char tmp[4200], msg[4400];
	long long success = ok ? (long long)time(NULL) : last_success(path, command);
	int fd;
	FILE *f;

	practlink_status_each(ctx, NULL, NULL, count, &c);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(msg, sizeof msg, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return cli_fail_with(PRACTLINK_STORE, msg, "");
	}
	fprintf(f, "# HELP practlink_links Links by integration and state, after the last run.\n"
		   "# TYPE practlink_links gauge\n");
	for (size_t i = 0; i < c.n; i++)
		for (size_t s = 0; s < 4; s++)
			fprintf(f, "practlink_links{integration=\"%s\",state=\"%s\"} %zu\n",
				c.integ[i].name, states[s], c.integ[i].states[s]);
	fprintf(f, "# HELP practlink_run_failures Practitioners the last run failed, by "
		   "integration and status.\n"
		   "# TYPE practlink_run_failures gauge\n");
	for (size_t i = 0; i < n_failures; i++)
		fprintf(f, "practlink_run_failures{integration=\"%s\",status=\"%s\"} %zu\n",
			failures[i].integration, practlink_status_name(failures[i].status),
			failures[i].count);
	fprintf(f,
		"# HELP practlink_run_last_success_timestamp_seconds When the command last ran "
		"without a failure.\n"
		"# TYPE practlink_run_last_success_timestamp_seconds gauge\n"
		"practlink_run_last_success_timestamp_seconds{command=\"%s\"} %lld\n"
		"# HELP practlink_run_duration_seconds How long the last run took.\n"
		"# TYPE practlink_run_duration_seconds gauge\n"
		"practlink_run_duration_seconds{command=\"%s\"} %.3f\n"
		"# HELP practlink_oldest_verified_timestamp_seconds The oldest last proof of a "
		"linked practitioner's keys, by integration.\n"
		"# TYPE practlink_oldest_verified_timestamp_seconds gauge\n",
		command, success, command, seconds);
	for (size_t i = 0; i < c.n; i++)
		if (c.integ[i].oldest_verified)
			fprintf(f,
				"practlink_oldest_verified_timestamp_seconds{integration=\"%s\"} "
				"%lld\n",
				c.integ[i].name, c.integ[i].oldest_verified);
	if (fflush(f) != 0 || fsync(fd) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
		snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return cli_fail_with(PRACTLINK_STORE, msg, "");
	}
	return 0;
}
