/* SPDX-License-Identifier: MIT */
/*
 * practlink-fake-physitrack - a Physitrack API server for tests, the
 * benchmark and a host's CI. Loopback only.
 *
 * It answers the v2 reads practlink and a PMS use (exercises, clients,
 * one client, templates) with the authentication rules and the answers of
 * doc/design.md, for the practitioners it is told about, per
 * region (/REGION/api/v2/..., and /api/v2/... for --region). What the real
 * API leaves undocumented is marked GUESS below and kept out of practlink.
 *
 *   practlink-fake-physitrack [--port N] [--region R] [--state FILE] [--fault SPEC]
 *
 * With --port 0 (the default) it picks a free port and prints "port N".
 * A state file has one practitioner per line:
 *   REGION API_KEY PMS_NAME PMS_KEY [CLIENTS]   (PMS_NAME and PMS_KEY "-" for PT Direct)
 * Control, outside /api/:
 *   POST /_control/practitioners   lines as in a state file
 *   POST /_control/fault           one SPEC, for the next /api/ requests:
 *        latency MS | status CODE N | retry-after SECONDS N | hang N | reset N |
 *        ratelimit N/s (429 with Retry-After past N answers a second; stays) |
 *        truncated N | malformed N | oversized N BYTES | redirect N | echo N | none
 *   GET  /_control/stats           "requests PATH N" lines and "connections N"
 * SIGTERM or SIGINT stops it cleanly.
 */
#include "config.h"

#include <errno.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PRACTITIONERS 100000
#define MAX_PATHS 32
#define CONTROL_MAX 65536

struct practitioner {
	char region[16];
	char api_key[128];
	char pms_name[64];
	char pms_key[128];
	int clients;
};

enum fault_kind {
	F_NONE,
	F_STATUS,
	F_RETRY_AFTER,
	F_HANG,
	F_RESET,
	F_TRUNCATED,
	F_MALFORMED,
	F_OVERSIZED,
	F_REDIRECT,
	F_ECHO
};

static struct {
	pthread_mutex_t lock;
	struct practitioner *people;
	size_t n_people;
	const char *region;
	enum fault_kind fault;
	long fault_arg;  /* status code, seconds or bytes */
	long fault_left; /* how many more requests it hits */
	long latency_ms;
	/* ratelimit N/s: at most N answers a second (a window per second of
	 * the clock), the rest 429 with Retry-After; 0: no limit. */
	long rate_limit;
	long long window;
	long in_window, ratelimited;
	struct {
		char path[64];
		long n;
	} paths[MAX_PATHS];
	long connections;
	unsigned port;
	volatile sig_atomic_t stop;
} fake = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* A small exercise library: content, not patient data. */
static const struct {
	int id;
	const char *name;
	const char *difficulty;
} library[] = {
	{ 11757, "Bridging", "intermediate" },   { 11758, "Clam shell", "beginner" },
	{ 11759, "Heel raise", "beginner" },     { 11760, "Side plank", "advanced" },
	{ 11761, "Wall squat", "intermediate" }, { 11762, "Bird dog", "beginner" },
};

static void count_path(const char *path)
{
	pthread_mutex_lock(&fake.lock);
	for (int i = 0; i < MAX_PATHS; i++) {
		if (!fake.paths[i].path[0])
			snprintf(fake.paths[i].path, sizeof fake.paths[i].path, "%s", path);
		if (strcmp(fake.paths[i].path, path) == 0) {
			fake.paths[i].n++;
			break;
		}
	}
	pthread_mutex_unlock(&fake.lock);
}

/* Parses practitioner lines into the table; returns how many were added. */
static int add_people(const char *text)
{
	char line[512];
	int added = 0;

	while (*text) {
		size_t len = strcspn(text, "\n");
		struct practitioner p = { .clients = 0 };
		snprintf(line, sizeof line, "%.*s", (int)len, text);
		text += len + (text[len] == '\n');
		if (line[0] == '#' || sscanf(line, "%15s %127s %63s %127s %d", p.region, p.api_key,
					     p.pms_name, p.pms_key, &p.clients) < 4)
			continue;
		pthread_mutex_lock(&fake.lock);
		if (fake.n_people < MAX_PRACTITIONERS) {
			fake.people[fake.n_people++] = p;
			added++;
		}
		pthread_mutex_unlock(&fake.lock);
	}
	return added;
}

/* Sets the fault that spec names; false, changing nothing, when spec is
 * not one. */
static bool set_fault(const char *spec)
{
	static const struct {
		const char *kind;
		int args;
	} kinds[] = { { "latency", 1 },  { "status", 2 }, { "retry-after", 2 }, { "oversized", 2 },
		      { "hang", 1 },     { "reset", 1 },  { "truncated", 1 },   { "malformed", 1 },
		      { "redirect", 1 }, { "echo", 1 },   { "none", 0 } };
	char kind[32] = "", extra[2];
	long a = 0, b = 0;
	int n = sscanf(spec, "%31s %ld %ld %1s", kind, &a, &b, extra);
	bool known = false;

	if (sscanf(spec, "ratelimit %ld/s%1s", &a, extra) == 1 && a >= 0) {
		pthread_mutex_lock(&fake.lock);
		fake.rate_limit = a;
		pthread_mutex_unlock(&fake.lock);
		return true;
	}

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kind, kinds[i].kind) == 0 && n == kinds[i].args + 1 && a >= 0 && b >= 0)
			known = true;
	if (!known)
		return false;
	pthread_mutex_lock(&fake.lock);
	if (strcmp(kind, "none") == 0)
		fake.rate_limit = 0;
	fake.fault = F_NONE;
	fake.fault_left = a;
	fake.fault_arg = 0;
	if (n >= 2 && strcmp(kind, "latency") == 0)
		fake.latency_ms = a;
	else if (n == 3 && strcmp(kind, "status") == 0)
		fake.fault = F_STATUS, fake.fault_arg = a, fake.fault_left = b;
	else if (n == 3 && strcmp(kind, "retry-after") == 0)
		fake.fault = F_RETRY_AFTER, fake.fault_arg = a, fake.fault_left = b;
	else if (n == 3 && strcmp(kind, "oversized") == 0)
		fake.fault = F_OVERSIZED, fake.fault_arg = b;
	else if (n == 2 && strcmp(kind, "hang") == 0)
		fake.fault = F_HANG;
	else if (n == 2 && strcmp(kind, "reset") == 0)
		fake.fault = F_RESET;
	else if (n == 2 && strcmp(kind, "truncated") == 0)
		fake.fault = F_TRUNCATED;
	else if (n == 2 && strcmp(kind, "malformed") == 0)
		fake.fault = F_MALFORMED;
	else if (n == 2 && strcmp(kind, "redirect") == 0)
		fake.fault = F_REDIRECT;
	else if (n == 2 && strcmp(kind, "echo") == 0)
		fake.fault = F_ECHO;
	pthread_mutex_unlock(&fake.lock);
	return true;
}

static bool known_region(const char *r)
{
	static const char *const regions[] = { "us", "uk", "ca", "au", "nz", "staging" };

	for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
		if (strcmp(regions[i], r) == 0)
			return true;
	return false;
}

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: practlink-fake-physitrack [--port N] [--region R] [--state FILE] "
		   "[--fault SPEC]\n"
		   "  R: us, uk, ca, au, nz or staging; SPEC: latency MS | status CODE N |\n"
		   "  retry-after SECONDS N | hang N | reset N | truncated N | malformed N |\n"
		   "  oversized N BYTES | redirect N | echo N | ratelimit N/s | none (see "
		   "practlink-fake-physitrack(1))\n");
	return rc;
}

/* Whether this request is one too many for the current second; then the
 * seconds until the next one, for Retry-After. */
static long over_rate(void)
{
	struct timespec ts;
	long long now_ms;
	long wait = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pthread_mutex_lock(&fake.lock);
	if (fake.rate_limit > 0) {
		if (now_ms / 1000 != fake.window) {
			fake.window = now_ms / 1000;
			fake.in_window = 0;
		}
		if (++fake.in_window > fake.rate_limit) {
			fake.ratelimited++;
			wait = 1; /* the next second, rounded up as Retry-After is */
		}
	}
	pthread_mutex_unlock(&fake.lock);
	return wait;
}

/* The fault for this request, used up as it is taken. */
static enum fault_kind take_fault(long *arg)
{
	enum fault_kind f = F_NONE;

	pthread_mutex_lock(&fake.lock);
	if (fake.fault != F_NONE && fake.fault_left > 0) {
		f = fake.fault;
		*arg = fake.fault_arg;
		if (--fake.fault_left == 0)
			fake.fault = F_NONE;
	}
	pthread_mutex_unlock(&fake.lock);
	return f;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !fake.stop)
		;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, const char *body,
			      const char *extra_name, const char *extra_value)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
	if (extra_name)
		MHD_add_response_header(r, extra_name, extra_value);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result errors(struct MHD_Connection *c, unsigned code, const char *message)
{
	char body[256];

	snprintf(body, sizeof body, "{\"errors\":[\"%s\"]}", message);
	return answer(c, code, body, NULL, NULL);
}

/* A body of size bytes that may stop early (truncated), from a callback. */
struct stream {
	long size, sent, stop_at;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;

	if (s->sent >= s->stop_at)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = (size_t)(s->stop_at - s->sent) < max ? (size_t)(s->stop_at - s->sent) : max;
	memset(buf, ' ', n);
	if (s->sent == 0 && n > 0)
		buf[0] = '{';
	s->sent += (long)n;
	return (ssize_t)n;
}

static enum MHD_Result streamed(struct MHD_Connection *c, long size, long stop_at)
{
	struct stream *s = malloc(sizeof *s);
	struct MHD_Response *r;
	enum MHD_Result ret;

	*s = (struct stream){ size, 0, stop_at };
	r = MHD_create_response_from_callback((uint64_t)size, 32 * 1024, stream_read, s, free);
	MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* The practitioner the headers authenticate on region, or NULL. */
static const struct practitioner *authenticate(struct MHD_Connection *c, const char *region)
{
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-Key");
	const char *name = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-PMS-Name");
	const char *pms = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-PMS-Key");
	const struct practitioner *found = NULL;

	if (!key)
		return NULL;
	pthread_mutex_lock(&fake.lock);
	for (size_t i = 0; i < fake.n_people && !found; i++) {
		const struct practitioner *p = &fake.people[i];
		if (strcmp(p->region, region) != 0 || strcmp(p->api_key, key) != 0)
			continue;
		/* PT Direct: the key alone. With a PMS, all three must match:
		 * GUESS, Physitrack does not document a wrong PMS name or key. */
		if (strcmp(p->pms_name, "-") == 0 ||
		    (name && pms && strcmp(p->pms_name, name) == 0 && strcmp(p->pms_key, pms) == 0))
			found = p;
	}
	pthread_mutex_unlock(&fake.lock);
	return found;
}

static enum MHD_Result exercises(struct MHD_Connection *c)
{
	const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
	char body[2048] = "{\"exercises\":[";
	bool first = true;

	for (size_t i = 0; i < sizeof library / sizeof library[0]; i++) {
		if (name && !strcasestr(library[i].name, name))
			continue;
		size_t len = strlen(body);
		snprintf(body + len, sizeof body - len,
			 "%s{\"id\":%d,\"name\":\"%s\",\"difficulty\":\"%s\"}", first ? "" : ",",
			 library[i].id, library[i].name, library[i].difficulty);
		first = false;
	}
	strcat(body, "]}");
	return answer(c, MHD_HTTP_OK, body, NULL, NULL);
}

/* GUESS: the list's wrapper object; the client objects are documented. */
static enum MHD_Result clients(struct MHD_Connection *c, const struct practitioner *p)
{
	const char *page_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "page");
	long page = page_s ? atol(page_s) : 1;
	long first = (page - 1) * 200, last = first + 200;
	size_t cap = 256 + 200 * 300, len;
	char *body = malloc(cap);
	enum MHD_Result ret;

	if (page < 1)
		page = 1, first = 0, last = 200;
	if (last > p->clients)
		last = p->clients;
	len = (size_t)snprintf(body, cap, "{\"clients\":[");
	for (long i = first; i < last; i++)
		len += (size_t)snprintf(
			body + len, cap - len,
			"%s{\"id\":%ld,\"external_id\":\"1-%ld\",\"first_name\":\"Client\","
			"\"last_name\":\"%ld\",\"year_of_birth\":1977,\"gender\":\"m\",\"email\":"
			"null,"
			"\"mobile_phone\":null,\"last_seen\":null,\"current_access_code\":"
			"\"jccnkbas\","
			"\"program_end_date\":null}",
			i > first ? "," : "", 7961 + i, 100 + i, i);
	snprintf(body + len, cap - len, "]}");
	ret = answer(c, MHD_HTTP_OK, body, NULL, NULL);
	free(body);
	return ret;
}

static enum MHD_Result api(struct MHD_Connection *c, const char *region, const char *path)
{
	const struct practitioner *p;
	enum fault_kind f;
	long arg = 0;
	char location[128], secs[32];

	if (fake.latency_ms > 0)
		sleep_ms(fake.latency_ms);
	if ((arg = over_rate()) > 0) {
		snprintf(secs, sizeof secs, "%ld", arg);
		return answer(c, 429, "{\"errors\":[\"Rate limit exceeded\"]}", "Retry-After",
			      secs);
	}
	switch ((f = take_fault(&arg))) {
	case F_STATUS: return errors(c, (unsigned)arg, "Service unavailable");
	case F_RETRY_AFTER:
		snprintf(secs, sizeof secs, "%ld", arg);
		return answer(c, 429, "{\"errors\":[\"Too many requests\"]}", "Retry-After", secs);
	case F_HANG:
		for (int i = 0; i < 600 && !fake.stop; i++)
			sleep_ms(100);
		return MHD_NO;
	case F_RESET: return MHD_NO; /* closes the connection without an answer */
	case F_TRUNCATED: return streamed(c, 4096, 100);
	case F_MALFORMED: return answer(c, MHD_HTTP_OK, "{\"exercises\": [", NULL, NULL);
	case F_OVERSIZED: return streamed(c, arg, arg);
	case F_REDIRECT:
		snprintf(location, sizeof location, "http://127.0.0.1:%u/_redirected", fake.port);
		return answer(c, MHD_HTTP_FOUND, "{}", "Location", location);
	case F_ECHO: {
		/* A hostile or careless platform: the keys sent, in its error. */
		const char *k = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-Key");
		const char *pk = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-PMS-Key");
		char body[1024];
		snprintf(body, sizeof body, "{\"errors\":[\"bad key %s\",\"pms key %s unknown\"]}",
			 k ? k : "", pk ? pk : "");
		return answer(c, MHD_HTTP_UNAUTHORIZED, body, NULL, NULL);
	}
	case F_NONE: break;
	}
	if (strcmp(region, "us") && strcmp(region, "uk") && strcmp(region, "ca") &&
	    strcmp(region, "au") && strcmp(region, "nz") && strcmp(region, "staging"))
		return errors(c, MHD_HTTP_NOT_FOUND, "Not found");
	if (!(p = authenticate(c, region)))
		return errors(c, MHD_HTTP_UNAUTHORIZED, "Practitioner was not found");
	if (strcmp(path, "/api/v2/exercises") == 0)
		return exercises(c);
	if (strcmp(path, "/api/v2/clients") == 0)
		return clients(c, p);
	if (strncmp(path, "/api/v2/clients/", 16) == 0) {
		long id = atol(path + 16) - 7961;
		if (id < 0 || id >= p->clients)
			return errors(c, MHD_HTTP_NOT_FOUND, "Client with given id does not exist");
		return answer(c, MHD_HTTP_OK, "{\"id\":7961,\"external_id\":\"1-100\"}", NULL,
			      NULL);
	}
	if (strcmp(path, "/api/v2/templates") == 0) /* GUESS: the wrapper */
		return answer(c, MHD_HTTP_OK, "{\"templates\":[]}", NULL, NULL);
	return errors(c, MHD_HTTP_NOT_FOUND, "Not found");
}

static enum MHD_Result stats(struct MHD_Connection *c)
{
	char body[4096];
	size_t len = 0;

	pthread_mutex_lock(&fake.lock);
	for (int i = 0; i < MAX_PATHS && fake.paths[i].path[0]; i++)
		len += (size_t)snprintf(body + len, sizeof body - len, "requests %s %ld\n",
					fake.paths[i].path, fake.paths[i].n);
	snprintf(body + len, sizeof body - len, "connections %ld\nratelimited %ld\n",
		 fake.connections, fake.ratelimited);
	pthread_mutex_unlock(&fake.lock);
	return answer(c, MHD_HTTP_OK, body, NULL, NULL);
}

struct upload {
	char *text;
	size_t len;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **state)
{
	struct upload *up = *state;
	char region[16];

	if (!up) { /* first call: headers only */
		if (!(up = calloc(1, sizeof *up)))
			return MHD_NO;
		*state = up;
		return MHD_YES;
	}
	if (*size) { /* a control request's body */
		if (up->len + *size < CONTROL_MAX &&
		    (up->text = realloc(up->text, up->len + *size + 1))) {
			memcpy(up->text + up->len, data, *size);
			up->len += *size;
			up->text[up->len] = '\0';
		}
		*size = 0;
		return MHD_YES;
	}
	if (strncmp(url, "/_control/", 10) == 0) {
		if (strcmp(url, "/_control/stats") == 0)
			return stats(c);
		if (strcmp(method, "POST") == 0 && strcmp(url, "/_control/practitioners") == 0) {
			add_people(up->text ? up->text : "");
			return answer(c, MHD_HTTP_OK, "{}", NULL, NULL);
		}
		if (strcmp(method, "POST") == 0 && strcmp(url, "/_control/fault") == 0) {
			if (!set_fault(up->text ? up->text : "none"))
				return errors(c, MHD_HTTP_BAD_REQUEST, "unknown fault spec");
			return answer(c, MHD_HTTP_OK, "{}", NULL, NULL);
		}
		return errors(c, MHD_HTTP_NOT_FOUND, "Not found");
	}
	count_path(url);
	if (strcmp(method, "GET") != 0)
		return errors(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed");
	if (strncmp(url, "/api/", 5) == 0)
		return api(c, fake.region, url);
	/* /REGION/api/...: the same API as REGION.physitrack.com would give. */
	const char *slash = strchr(url + 1, '/');
	if (slash && strncmp(slash, "/api/", 5) == 0 && (size_t)(slash - url - 1) < sizeof region) {
		snprintf(region, sizeof region, "%.*s", (int)(slash - url - 1), url + 1);
		return api(c, region, slash);
	}
	return errors(c, MHD_HTTP_NOT_FOUND, "Not found");
}

static void done(void *cls, struct MHD_Connection *c, void **state,
		 enum MHD_RequestTerminationCode why)
{
	struct upload *up = *state;

	if (up)
		free(up->text);
	free(up);
	*state = NULL;
}

static void connected(void *cls, struct MHD_Connection *c, void **socket_context,
		      enum MHD_ConnectionNotificationCode code)
{
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&fake.lock);
	fake.connections++;
	pthread_mutex_unlock(&fake.lock);
}

static void on_signal(int sig)
{
	fake.stop = 1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&text, &len);
	int ch;
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(m);
	fclose(f);
	return text;
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned port = 0;
	const union MHD_DaemonInfo *info;

	fake.region = "uk";
	if (!(fake.people = calloc(MAX_PRACTITIONERS, sizeof *fake.people)))
		return 1;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--help") == 0)
			return usage(stdout, 0);
		if (strcmp(argv[i], "--port") == 0 && v && strspn(v, "0123456789") == strlen(v) &&
		    *v && atoi(v) <= 65535) {
			port = (unsigned)atoi(v), i++;
		} else if (strcmp(argv[i], "--region") == 0 && v) {
			if (!known_region(v)) {
				fprintf(stderr, "practlink-fake-physitrack: unknown region '%s'\n",
					v);
				return usage(stderr, 64);
			}
			fake.region = v, i++;
		} else if (strcmp(argv[i], "--fault") == 0 && v) {
			if (!set_fault(v)) {
				fprintf(stderr, "practlink-fake-physitrack: unknown fault '%s'\n",
					v);
				return usage(stderr, 64);
			}
			i++;
		} else if (strcmp(argv[i], "--state") == 0 && v) {
			char *text = slurp(v);
			if (!text) {
				fprintf(stderr, "practlink-fake-physitrack: %s: %s\n", v,
					strerror(errno));
				return 1;
			}
			add_people(text);
			free(text);
			i++;
		} else {
			return usage(stderr, 64);
		}
	}
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
	d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
		(uint16_t)port, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &addr,
		MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_NOTIFY_CONNECTION, connected,
		NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "practlink-fake-physitrack: cannot listen on 127.0.0.1:%u\n", port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	fake.port = info ? info->port : port;
	printf("port %u\n", fake.port);
	fflush(stdout);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!fake.stop)
		pause();
	MHD_stop_daemon(d);
	free(fake.people);
	return 0;
}
