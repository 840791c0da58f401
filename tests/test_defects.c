/* SPDX-License-Identifier: MIT */
/* test_defects.c - what an attack and a review found, each reproduced:
 * contracts a host can break, the network's numbers and bodies, the
 * store's other files, and input that must never reach a record or a
 * terminal. Each test failed before its fix. */
#include "internal.h"
#include "internal.h" /* twice: the guard must cover the whole header */
#include "testutil.h"

#include <cjson/cJSON.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *clinic, *out, *err;
static practlink_ctx *ctx;

#define run(...) pl_test_practlink(clinic, NULL, NULL, &out, &err, __VA_ARGS__, (char *)NULL)
#define expect_in pl_test_expect_in
#define expect_not_in pl_test_expect_not_in

static void setup(void)
{
	clinic = pl_test_clinic(NULL, 1);
	out = err = NULL;
	ctx = NULL;
}

static void teardown(void)
{
	practlink_free(ctx);
	pl_test_rmrf(clinic);
	free(clinic);
	free(out);
	free(err);
}

/* A context on the clinic, with the built modules. */
static practlink_ctx *open_ctx(void)
{
	char *path = pl_test_path(clinic, "practlink.conf");

	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	practlink_set_module_dir(ctx, pl_test_env("PL_MODULE_DIR"));
	ck_assert_msg(practlink_load_config(ctx, path) == PRACTLINK_OK, "%s",
		      practlink_errmsg(ctx));
	free(path);
	return ctx;
}

/* Host structs carry their size: one from before a field was appended
 * is taken, and only its own bytes are written. */
START_TEST(host_structs_by_size)
{
	struct {
		practlink_integration_info info;
		char guard[64];
	} older;

	open_ctx();
	memset(&older, 0x5a, sizeof older);
	older.info.size = offsetof(practlink_integration_info, automatic) + sizeof(int);
	ck_assert_int_eq(practlink_integration_get(ctx, 0, &older.info), PRACTLINK_OK);
	ck_assert_str_eq(older.info.name, "mock");
	for (size_t i = 0; i < sizeof older.guard; i++)
		ck_assert_int_eq(older.guard[i], 0x5a);
	older.info.size = 3;
	ck_assert_int_eq(practlink_integration_get(ctx, 0, &older.info), PRACTLINK_USAGE);
	expect_in(practlink_errmsg(ctx), "practlink_integration_info.size is 3");
}
END_TEST

/* 4. The empty assist of an automatic link has nothing to finish. */
START_TEST(finishing_an_empty_assist)
{
	practlink_assist *a = NULL;

	pl_test_add(clinic, "p1");
	open_ctx();
	ck_assert_int_eq(practlink_assist_begin(ctx, "p1", NULL, 0, &a), PRACTLINK_OK);
	ck_assert_ptr_nonnull(a);
	ck_assert(!practlink_assist_needs_key(a));
	ck_assert_int_eq(practlink_assist_finish(ctx, a, "key", 3), PRACTLINK_USAGE);
	expect_in(practlink_errmsg(ctx), "waits for no key");
	practlink_assist_free(a);
}
END_TEST

/* 5. A caller's errno must not turn a refused folder into "none". */
START_TEST(stale_errno_is_not_read)
{
	char *dir = pl_test_path(clinic, "integrations.d");
	char *path = pl_test_path(clinic, "practlink.conf");

	ck_assert_int_eq(chmod(dir, 0775), 0);
	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	errno = ENOENT;
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_CONFIG);
	expect_in(practlink_errmsg(ctx), "group-writable (mode 0775)");
	free(dir);
	free(path);
}
END_TEST

/* 6. An empty integrations.d: no integration, and no qsort of NULL. */
START_TEST(empty_integrations_folder)
{
	pl_test_unlink(clinic, "integrations.d/mock.conf");
	open_ctx();
	ck_assert_uint_eq(practlink_integration_count(ctx), 0);
}
END_TEST

static void count_outcome(void *arg, const practlink_outcome *o)
{
	(*(int *)arg)++;
}

/* 8. A host's struct is validated: a zeroed one runs nothing. */
START_TEST(zeroed_bulk_is_refused)
{
	practlink_bulk b = { 0 };
	int outcomes = 0;

	pl_test_add(clinic, "p1");
	open_ctx();
	b.done = count_outcome;
	b.done_arg = &outcomes;
	ck_assert_int_eq(practlink_bulk_run(ctx, &b), PRACTLINK_USAGE);
	expect_in(practlink_errmsg(ctx), "practlink_bulk.size is 0");
	b.size = sizeof b;
	ck_assert_int_eq(practlink_bulk_run(ctx, &b), PRACTLINK_USAGE);
	expect_in(practlink_errmsg(ctx), "op 0 is none of");
	b.op = 99;
	ck_assert_int_eq(practlink_bulk_run(ctx, &b), PRACTLINK_USAGE);
	b.op = PRACTLINK_BULK_VERIFY;
	b.flags = 1u << 7;
	ck_assert_int_eq(practlink_bulk_run(ctx, &b), PRACTLINK_USAGE);
	expect_in(practlink_errmsg(ctx), "unknown flags 0x80");
	ck_assert_int_eq(outcomes, 0);
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 1u << 5), PRACTLINK_USAGE);
	char *rec = pl_test_record(clinic, "p1");
	expect_not_in(rec, "\"linked\"");
	free(rec);
}
END_TEST

/* 21. An id that a listing would not show is never accepted. */
START_TEST(hidden_ids_are_refused)
{
	ck_assert_int_eq(run("practitioner", "add", ".hidden", "--first-name", "A", "--last-name",
			     "B", "--email", "a@b.c"),
			 64);
	expect_in(err, "beginning with a letter or a digit");
	ck_assert_int_eq(run("practitioner", "add", "-x", "--first-name", "A", "--last-name", "B",
			     "--email", "a@b.c"),
			 64);
	ck_assert_int_eq(practlink_id_is_valid("_x"), 0);
	ck_assert_int_eq(practlink_id_is_valid("x.y-z_1"), 1);
}
END_TEST

/* --- the network's numbers and bodies -------------------------------------- */

/* A raw HTTP server on loopback: answers each request with reply and
 * keeps what it was sent. One connection per request. */
struct raw_server {
	int fd;
	unsigned port;
	pthread_t thread;
	const char *reply;
	char got[16384];
	size_t len;
	int requests;
};

static void *serve(void *arg)
{
	struct raw_server *r = arg;
	int c;

	while ((c = accept(r->fd, NULL, NULL)) >= 0) {
		char buf[4096];
		ssize_t n;
		/* A head, and a body of its Content-Length, if any. */
		size_t start = r->len;
		for (;;) {
			n = read(c, buf, sizeof buf);
			if (n <= 0)
				break;
			if (r->len + (size_t)n < sizeof r->got - 1) {
				memcpy(r->got + r->len, buf, (size_t)n);
				r->len += (size_t)n;
				r->got[r->len] = '\0';
			}
			const char *end = strstr(r->got + start, "\r\n\r\n");
			const char *cl = strcasestr(r->got + start, "content-length:");
			if (end && (!cl || cl > end ||
				    r->len - (size_t)(end + 4 - r->got) >= (size_t)atol(cl + 15)))
				break;
		}
		r->requests++;
		if (write(c, r->reply, strlen(r->reply)) < 0)
			break;
		close(c);
	}
	return NULL;
}

static void raw_start(struct raw_server *r, const char *reply)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;

	memset(r, 0, sizeof *r);
	r->reply = reply;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), 0);
	ck_assert_int_eq(bind(r->fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(r->fd, 8), 0);
	ck_assert_int_eq(getsockname(r->fd, (struct sockaddr *)&a, &len), 0);
	r->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&r->thread, NULL, serve, r), 0);
}

static void raw_stop(struct raw_server *r)
{
	shutdown(r->fd, SHUT_RDWR);
	close(r->fd);
	pthread_join(r->thread, NULL);
}

static const pl_http_conf test_http = { 1000, 2000, 3, 1048576, 0, NULL, NULL };

/* An HTTP client for tests, plain HTTP to loopback allowed. */
static pl_http *client(pl_http_share **share)
{
	pl_http *h = NULL;
	pl_err e;

	ck_assert_int_eq(pl_http_share_new(share, &e), PRACTLINK_OK);
	ck_assert_int_eq(pl_http_new(*share, &test_http, NULL, NULL, true, NULL, &h, &e),
			 PRACTLINK_OK);
	return h;
}

/* 1. A request without a body after a POST sends no body: every option
 * is set afresh. */
START_TEST(no_body_after_a_post)
{
	struct raw_server r;
	pl_http_share *share;
	pl_http *h = client(&share);
	practlink_http_response resp;
	char url[64];
	pl_err e;

	raw_start(&r, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	snprintf(url, sizeof url, "http://127.0.0.1:%u/x", r.port);
	char *body = strdup("SECRETBODY0123456789");
	practlink_http_request post = { "POST", url, NULL, 0, body, strlen(body), 0 };
	ck_assert_int_eq(pl_http_request(h, &post, &resp, &e), PRACTLINK_OK);
	free(resp.body);
	free(resp.content_type);
	free(body); /* the caller's body is gone: nothing may read it again */
	size_t first = r.len;
	practlink_http_request del = { "DELETE", url, NULL, 0, NULL, 0, 0 };
	ck_assert_int_eq(pl_http_request(h, &del, &resp, &e), PRACTLINK_OK);
	free(resp.body);
	free(resp.content_type);
	raw_stop(&r);
	ck_assert_int_eq(r.requests, 2);
	const char *second = r.got + first;
	ck_assert_msg(strncmp(second, "DELETE ", 7) == 0, "%s", second);
	ck_assert_msg(!strcasestr(second, "content-length") ||
			      strcasestr(second, "content-length: 0\r\n"),
		      "a body went with DELETE: %s", second);
	ck_assert_ptr_null(strstr(second, "SECRETBODY"));
	pl_http_free(h);
	pl_http_share_free(share);
}
END_TEST

/* 2. Retry-After as large as the number goes: no overflow, no sleep past
 * the timeout; TRANSIENT, saying when to try again. */
START_TEST(huge_retry_after)
{
	static const char *const values[] = { "9223372036854775807", "4611686018427387904", "3" };
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		struct raw_server r;
		pl_http_share *share;
		pl_http *h = client(&share);
		practlink_http_response resp;
		char url[64], reply[256];
		pl_err e = { 0 };

		snprintf(reply, sizeof reply,
			 "HTTP/1.1 503 Busy\r\nRetry-After: %s\r\nContent-Length: 0\r\n"
			 "Connection: close\r\n\r\n",
			 values[i]);
		raw_start(&r, reply);
		snprintf(url, sizeof url, "http://127.0.0.1:%u/x", r.port);
		practlink_http_request get = { "GET", url, NULL, 0, NULL, 0, 1 };
		ck_assert_int_eq(pl_http_request(h, &get, &resp, &e), PRACTLINK_TRANSIENT);
		expect_in(e.msg, "asks to be asked again in ");
		expect_in(e.msg, values[i]);
		expect_in(e.hint, "try again after ");
		raw_stop(&r);
		ck_assert_int_eq(r.requests, 1); /* no retry that could not be waited for */
		pl_http_free(h);
		pl_http_share_free(share);
	}
}
END_TEST

/* 3. Plain HTTP goes only to a loopback address, not to a name that
 * begins like one: nothing is resolved or sent. */
START_TEST(loopback_means_an_address)
{
	static const char *const urls[] = { "http://127.attacker.example:8/x",
					    "http://127.0.0.1.example:8/x",
					    "http://localhost.attacker.example:8/x" };
	pl_http_share *share;
	pl_http *h = client(&share);
	practlink_http_response resp;

	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		practlink_http_request get = { "GET", urls[i], NULL, 0, NULL, 0, 1 };
		pl_err e = { 0 };
		ck_assert_int_eq(pl_http_request(h, &get, &resp, &e), PRACTLINK_CONFIG);
		expect_in(e.msg, "only https is allowed (plain http only to a loopback address");
	}
	pl_http_free(h);
	pl_http_share_free(share);
}
END_TEST

#ifndef __SANITIZE_ADDRESS__ /* see defects_suite */
/* Whether any writable anonymous memory of this process (the heap, other
 * arenas) holds needle: a key left behind in memory freed unwiped. */
static bool in_heap(const char *needle)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	char line[512];
	bool found = false;

	ck_assert_ptr_nonnull(maps);
	while (!found && fgets(line, sizeof line, maps)) {
		unsigned long lo, hi;
		char perms[8], path[256] = "";
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms, path) < 3)
			continue;
		if (strncmp(perms, "rw", 2) != 0 || (path[0] && strcmp(path, "[heap]") != 0))
			continue;
		found = memmem((void *)lo, hi - lo, needle, strlen(needle)) != NULL;
	}
	fclose(maps);
	return found;
}

#define HEAP_PMS "PmsHeapScan0123456789abcdefGHIJ"
#define HEAP_PT "PtHeapScanKey0123456789zz"

/* 13. After a link and verifies against Physitrack (the fake, on
 * loopback), no copy of either key is left in freed memory: libcurl's
 * header copies and the answers' buffers are wiped. */
START_TEST(no_key_left_in_freed_memory)
{
	practlink_person p = { "p1", "Ada", "Lovelace", "p1@clinic.example", NULL };
	practlink_assist *a = NULL;
	char settings[512];
	pl_fake fake;

	pl_fake_start(&fake, "uk " HEAP_PT " juvonno " HEAP_PMS "\n");
	snprintf(settings, sizeof settings,
		 "physitrack = { enabled = true; module = \"physitrack\";\n"
		 "  settings = { region = \"uk\"; base_url = \"http://127.0.0.1:%u/{region}\";\n"
		 "    allow_insecure_http = true; }; };\n",
		 fake.port);
	pl_test_write(clinic, "integrations.d/physitrack.conf", 0644, settings);
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = false; module = \"mock\"; };\n");
	open_ctx();
	ck_assert_int_eq(practlink_practitioner_add(ctx, &p, HEAP_PMS, strlen(HEAP_PMS)),
			 PRACTLINK_OK);
	ck_assert_int_eq(practlink_assist_begin(ctx, "p1", NULL, 0, &a), PRACTLINK_OK);
	ck_assert_int_eq(practlink_assist_finish(ctx, a, HEAP_PT, strlen(HEAP_PT)), PRACTLINK_OK);
	practlink_assist_free(a);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(practlink_verify(ctx, "p1", NULL), PRACTLINK_OK);
	practlink_free(ctx);
	ctx = NULL;
	pl_fake_stop(&fake);
	ck_assert_msg(!in_heap(HEAP_PT), "the platform key is left in memory");
	ck_assert_msg(!in_heap(HEAP_PMS), "the PMS key is left in memory");
}
END_TEST

#endif

/* cJSON's allocations, failing from the n-th on. */
static int allocations_left = -1;

static void *failing_malloc(size_t size)
{
	if (allocations_left == 0)
		return NULL;
	if (allocations_left > 0)
		allocations_left--;
	return malloc(size);
}

/* 13. Out of memory while a record is made is no record, never one that
 * lacks a field. */
START_TEST(record_out_of_memory)
{
	cJSON_Hooks hooks = { failing_malloc, free };
	practlink_secret *pms = pl_secret_new("PmsKey0123456789abcdefghijKLMNOP", 32);
	practlink_secret *key = pl_secret_new("PlatformKey0123456789", 21);
	pl_link link = { .integration = "mock",
			 .state = PL_LINKED,
			 .user_id = "u1",
			 .backend_key = key,
			 .linked_at = 1,
			 .verified_at = 2,
			 .updated_at = 3,
			 .error = PRACTLINK_AUTH,
			 .error_step = "verify",
			 .error_message = "no",
			 .error_hint = "hint" };
	pl_record rec = { "p1", "Ada", "Lovelace", "p1@clinic.example", pms, 1, &link, 1 };
	int failures = 0;

	cJSON_InitHooks(&hooks);
	for (int n = 0; n < 200; n++) {
		allocations_left = n;
		char *text = pl_record_format(&rec);
		allocations_left = -1;
		if (!text) {
			failures++;
			continue;
		}
		/* Whatever came out is the whole record. */
		pl_record *back = NULL;
		pl_err e;
		ck_assert_msg(pl_record_parse(text, strlen(text), "p1", &back, &e) == PRACTLINK_OK,
			      "after %d allocations: %s", n, e.msg);
		ck_assert_ptr_nonnull(strstr(text, "\"created_at\""));
		ck_assert_ptr_nonnull(strstr(text, "\"hint\":\t\"hint\""));
		ck_assert_ptr_nonnull(strstr(text, "\"updated_at\""));
		pl_record_free(back);
		free(text);
	}
	cJSON_InitHooks(NULL);
	ck_assert_int_gt(failures, 10);
	pl_secret_free(pms);
	pl_secret_free(key);
}
END_TEST

/* --- the store's files ------------------------------------------------------- */

/* 15. A FIFO in a record's place, or the audit trail's, hangs nothing. */
START_TEST(fifos_in_the_store)
{
	pl_test_add(clinic, "p1");
	char *fifo = pl_test_path(clinic, "store/practitioners/p2.json");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(run("status"), 74);
	expect_in(err, "p2.json: not a regular file");
	ck_assert_int_eq(run("status", "p2"), 74);
	ck_assert_int_eq(run("link", "p2"), 74);
	ck_assert_int_eq(run("link", "--all"), 74);
	expect_in(out, "1 linked");
	ck_assert_int_eq(run("verify", "--all"), 74);
	ck_assert_int_eq(run("doctor", "p2"), 74);
	/* The id's lock was let go: p2 can be repaired at once. */
	ck_assert_int_eq(unlink(fifo), 0);
	pl_test_add(clinic, "p2");

	char *audit = pl_test_path(clinic, "store/audit.log");
	ck_assert_int_eq(unlink(audit), 0);
	ck_assert_int_eq(mkfifo(audit, 0600), 0);
	ck_assert_int_eq(run("link", "p2"), 74);
	expect_in(err, "audit.log: not a regular file");
	free(audit);
	free(fifo);
}
END_TEST

/* 25. The audit trail and the lock file are trusted as records are. */
START_TEST(audit_and_lock_are_checked)
{
	pl_test_add(clinic, "p1");
	char *audit = pl_test_path(clinic, "store/audit.log");
	char *lock = pl_test_path(clinic, "store/lock");

	ck_assert_int_eq(chmod(audit, 0620), 0);
	ck_assert_int_eq(run("link", "p1"), 74);
	expect_in(err, "audit.log: group-writable (mode 0620)");
	ck_assert_int_eq(chmod(audit, 0600), 0);
	ck_assert_int_eq(chown(audit, 65534, 65534), 0);
	ck_assert_int_eq(run("link", "p1"), 74);
	expect_in(err, "audit.log: owned by uid 65534");
	ck_assert_int_eq(chown(audit, getuid(), getgid()), 0);
	ck_assert_int_eq(chmod(lock, 0666), 0);
	ck_assert_int_eq(run("link", "p1"), 74);
	expect_in(err, "lock: world-writable (mode 0666)");
	ck_assert_int_eq(chmod(lock, 0600), 0);
	ck_assert_int_eq(run("link", "p1"), 0);
	free(audit);
	free(lock);
}
END_TEST

/* 25. A lock file removed mid-run: the writer that held the old one must
 * not undo what a later process did under the new one. */
START_TEST(replaced_lock_file_undoes_nothing)
{
	pl_test_rmrf(clinic);
	free(clinic);
	clinic = pl_test_clinic("latency_ms = 700;", 1);
	pl_test_add(clinic, "p1");
	pid_t slow = pl_test_spawn(pl_test_practlink_words(clinic, "link", "p1", (char *)NULL));
	/* It holds p1's lock once the platform has made the user. */
	for (int i = 0;
	     i < 200 && pl_test_count_lines(clinic, "mock-state/calls.log", "create_user") == 0;
	     i++)
		usleep(50000);
	ck_assert_int_eq(pl_test_count_lines(clinic, "mock-state/calls.log", "create_user"), 1);
	pl_test_unlink(clinic, "store/lock");
	ck_assert_int_eq(run("practitioner", "remove", "p1"), 0);
	int status;
	ck_assert_int_eq(waitpid(slow, &status, 0), slow);
	/* The link found its lock gone and wrote nothing: p1 stays removed. */
	ck_assert_ptr_null(pl_test_record(clinic, "p1"));
}
END_TEST

/* 16. A writer killed mid-write leaves a temporary record holding keys:
 * the next lock of that id removes it, doctor reports and removes older
 * ones, and remove leaves none. */
START_TEST(stale_temporaries_are_removed)
{
	pl_test_add(clinic, "p1");
	pl_test_add(clinic, "p2");
	char *rec = pl_test_record(clinic, "p1");
	pl_test_write(clinic, "store/practitioners/.p1.json.tmp", 0600, rec);
	pl_test_write(clinic, "store/practitioners/.p2.json.0123456789ab.tmp", 0600, rec);
	ck_assert_int_eq(run("link", "p1"), 0);
	char *left = pl_test_path(clinic, "store/practitioners/.p1.json.tmp");
	ck_assert_int_eq(access(left, F_OK), -1);
	ck_assert_int_eq(run("doctor"), 0);
	expect_in(out, "removed 1 temporary record left by an interrupted write");
	char *old = pl_test_path(clinic, "store/practitioners/.p2.json.0123456789ab.tmp");
	ck_assert_int_eq(access(old, F_OK), -1);
	pl_test_write(clinic, "store/practitioners/.p2.json.tmp", 0600, rec);
	ck_assert_int_eq(run("practitioner", "remove", "p2"), 0);
	char *p2 = pl_test_path(clinic, "store/practitioners/.p2.json.tmp");
	ck_assert_int_eq(access(p2, F_OK), -1);
	free(p2);
	free(old);
	free(left);
	free(rec);
}
END_TEST

/* --- input ---------------------------------------------------------------------- */

/* Writes len bytes of data to clinic/rel, mode. */
static void write_bytes(const char *rel, mode_t mode, const char *data, size_t len)
{
	char *path = pl_test_path(clinic, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert(write(fd, data, len) == (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	free(path);
}

/* 7. Lists of keys are key files: closed to others, ours, no symlink. */
START_TEST(key_lists_are_key_files)
{
	char *keys = pl_test_path(clinic, "keys.csv"), *roster = pl_test_path(clinic, "r.csv");
	char *link = pl_test_path(clinic, "link.csv");

	pl_test_add(clinic, "p1");
	pl_test_write(clinic, "keys.csv", 0644, "id,backend_key\np1,SomeKey0123456789\n");
	ck_assert_int_eq(run("link", "--backend-keys", keys), 77);
	expect_in(err, "keys.csv: holds keys (a backend_key column) and is open to others "
		       "(mode 0644)");
	expect_in(err, "hint: run: chmod 600 ");
	ck_assert_int_eq(chmod(keys, 0600), 0);
	ck_assert_int_eq(symlink(keys, link), 0);
	ck_assert_int_eq(run("link", "--backend-keys", link), 77);
	expect_in(err, "is a symbolic link");
	ck_assert_int_eq(chown(keys, 65534, 65534), 0);
	ck_assert_int_eq(run("link", "--backend-keys", keys), 77);
	expect_in(err, "owned by uid 65534");
	/* A roster: held to it only when it has a pms_key column. */
	pl_test_write(clinic, "r.csv", 0644,
		      "id,first_name,last_name,email,pms_key\n"
		      "r1,Ada,Lovelace,r1@clinic.example,PmsKey0123456789abcdefghijKLMNOP\n");
	ck_assert_int_eq(run("practitioner", "import", roster), 77);
	expect_in(err, "holds keys (a pms_key column)");
	ck_assert_ptr_null(pl_test_record(clinic, "r1"));
	pl_test_write(clinic, "r.csv", 0644,
		      "id,first_name,last_name,email\nr1,Ada,Lovelace,r1@clinic.example\n");
	ck_assert_int_eq(run("practitioner", "import", roster), 0);
	free(link);
	free(keys);
	free(roster);
}
END_TEST

/* 20. A NUL, an unclosed quote, a field too long: refused with the line,
 * and the store stays readable. */
START_TEST(roster_cells_are_bounded)
{
	char *roster = pl_test_path(clinic, "r.csv");
	static const char nul[] = "id,first_name,last_name,email\n"
				  "n1,Ada\0evil,Lovelace,n1@clinic.example\n"
				  "n2,Grace,Hopper,n2@clinic.example\n";

	write_bytes("r.csv", 0644, nul, sizeof nul - 1);
	ck_assert_int_eq(run("practitioner", "import", roster), 65);
	expect_in(err, "r.csv:2: field 2 (first_name) holds a NUL byte; row skipped");
	ck_assert_ptr_null(pl_test_record(clinic, "n1"));
	char *n2 = pl_test_record(clinic, "n2");
	ck_assert_ptr_nonnull(n2);
	free(n2);

	pl_test_write(clinic, "r.csv", 0644,
		      "id,first_name,last_name,email\n"
		      "q1,Ada,Lovelace,q1@clinic.example\n"
		      "q2,\"Grace,Hopper,q2@clinic.example\n"
		      "q3,Alan,Turing,q3@clinic.example\n");
	ck_assert_int_eq(run("practitioner", "import", roster), 65);
	expect_in(err, "r.csv:3: a quote opened on this line is never closed");

	size_t big = 1 << 20;
	char *huge = malloc(big + 128);
	int n = snprintf(huge, 128, "id,first_name,last_name,email\nh1,");
	memset(huge + n, 'A', big);
	snprintf(huge + n + big, 64, ",Lovelace,h1@clinic.example\n");
	pl_test_write(clinic, "r.csv", 0644, huge);
	ck_assert_int_eq(run("practitioner", "import", roster), 65);
	expect_in(err, "the first name of h1 is 1048576 bytes long; at most 256 are kept");
	ck_assert_int_eq(run("status"), 0);
	free(huge);
	free(roster);
}
END_TEST

/* 22. A NUL in practlink.conf, and numbers out of their range. */
START_TEST(config_nul_and_ranges)
{
	static const char text[] =
		"pms_name = \"juvonno\";\n\0store = { path = \"elsewhere\"; };\n";
	char *path = pl_test_path(clinic, "practlink.conf");

	write_bytes("practlink.conf", 0644, text, sizeof text - 1);
	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_CONFIG);
	expect_in(practlink_errmsg(ctx), "practlink.conf:2: holds a NUL byte");
	static const char *const numbers[] = { "99999999999999999999", "9223372036854775807L", "-5",
					       "0" };
	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		char conf[256];
		snprintf(conf, sizeof conf,
			 "pms_name = \"juvonno\";\nhttp = { timeout_ms = %s; };\n", numbers[i]);
		pl_test_write(clinic, "practlink.conf", 0644, conf);
		practlink_status st = practlink_load_config(ctx, path);
		ck_assert_msg(st == PRACTLINK_CONFIG, "%s loaded", numbers[i]);
		if (strstr(practlink_errmsg(ctx), "'http.timeout_ms'"))
			expect_in(practlink_errmsg(ctx),
				  "'http.timeout_ms' must be a whole number from 1 to 3600000");
	}
	free(path);
}
END_TEST

/* 18. Emails are unique per store, in any case: a platform finds its user
 * by email, and two practitioners with one would share a user. */
START_TEST(emails_are_unique)
{
	char *roster = pl_test_path(clinic, "r.csv");

	ck_assert_int_eq(run("practitioner", "add", "p1", "--first-name", "Ada", "--last-name",
			     "Lovelace", "--email", "Ada@Clinic.example"),
			 0);
	ck_assert_int_eq(run("practitioner", "add", "p2", "--first-name", "Ada", "--last-name",
			     "Byron", "--email", "ada@clinic.EXAMPLE"),
			 64);
	expect_in(err, "the email address \"ada@clinic.EXAMPLE\" of p2 is p1's already");
	ck_assert_ptr_null(pl_test_record(clinic, "p2"));
	pl_test_write(clinic, "r.csv", 0644,
		      "id,first_name,last_name,email\n"
		      "r1,Grace,Hopper,grace@clinic.example\n"
		      "r2,Grace,Murray,GRACE@clinic.example\n"
		      "p1,Ada,Lovelace,Ada@Clinic.example\n");
	ck_assert_int_eq(run("practitioner", "import", roster), 64);
	expect_in(err, "r.csv:3: the email address \"GRACE@clinic.example\" of r2 is r1's already");
	expect_in(out, "1 unchanged");
	free(roster);
}
END_TEST

/* 23. A module that calls exit() inside verify, or crashes there: never
 * "linked", always a sentence. */
START_TEST(a_module_that_ends_the_process)
{
	char *key = pl_test_path(clinic, "key");
	const char *mods = pl_test_env("PL_TEST_MODULE_DIR");

	pl_test_add(clinic, "p1");
	pl_test_write(clinic, "key", 0600, "PlatformKey0123456789\n");
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"exiting\"; };\n");
	int rc = pl_test_practlink(clinic, mods, NULL, &out, &err, "link", "p1",
				   "--backend-key-file", key, (char *)NULL);
	ck_assert_int_eq(rc, 70);
	expect_in(err, "module exiting ended the process during verify; nothing of it was saved");
	expect_not_in(out, "linked");
	char *rec = pl_test_record(clinic, "p1");
	expect_not_in(rec, "\"linked\"");
	free(rec);

	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"crashing\"; };\n");
	rc = pl_test_practlink(clinic, mods, NULL, &out, &err, "link", "p1", "--backend-key-file",
			       key, (char *)NULL);
	ck_assert_int_eq(rc, 128 + SIGSEGV);
	expect_in(err, "practlink: crashed (a fatal signal, in a module or in practlink)");
	free(key);
}
END_TEST

/* 24. A folder anyone may write, above module_dir, the configuration or
 * the store, lets anyone swap what is below it: refused, as OpenSSH does. */
START_TEST(unsafe_ancestors)
{
	char *open_dir = pl_test_path(clinic, "open");
	char *mods = pl_test_path(clinic, "open/mods");
	char *src = pl_test_path(pl_test_env("PL_MODULE_DIR"), "mock.so");
	char *dst = pl_test_path(clinic, "open/mods/mock.so");
	char *link = pl_test_path(clinic, "linked-mods");

	ck_assert_int_eq(mkdir(open_dir, 0755), 0);
	ck_assert_int_eq(chmod(open_dir, 0777), 0);
	ck_assert_int_eq(mkdir(mods, 0755), 0);
	pl_test_copy(src, dst, 0644);
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(
		pl_test_practlink(clinic, mods, NULL, &out, &err, "link", "p1", (char *)NULL), 69);
	expect_in(err, "open: world-writable (mode 0777): anyone who may write there could "
		       "replace ");
	/* The same through a symlink: the real folders are checked too. */
	ck_assert_int_eq(symlink(mods, link), 0);
	ck_assert_int_eq(
		pl_test_practlink(clinic, link, NULL, &out, &err, "link", "p1", (char *)NULL), 69);
	expect_in(err, "world-writable (mode 0777)");
	/* Sticky and ours below, as /tmp: fine. */
	ck_assert_int_eq(chmod(open_dir, 01777), 0);
	ck_assert_int_eq(
		pl_test_practlink(clinic, mods, NULL, &out, &err, "link", "p1", (char *)NULL), 0);
	/* The store, below a group-writable folder. */
	ck_assert_int_eq(chmod(open_dir, 0775), 0);
	pl_test_write(clinic, "practlink.conf", 0644,
		      "pms_name = \"juvonno\";\nstore = { path = \"open/store\"; };\n");
	ck_assert_int_eq(run("practitioner", "add", "p2", "--first-name", "A", "--last-name", "B",
			     "--email", "p2@clinic.example"),
			 77);
	expect_in(err, "open: group-writable (mode 0775)");
	/* The configuration, in such a folder. */
	pl_test_write(clinic, "open/practlink.conf", 0644, "pms_name = \"juvonno\";\n");
	char *conf = pl_test_path(clinic, "open/practlink.conf");
	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	ck_assert_int_eq(practlink_load_config(ctx, conf), PRACTLINK_CONFIG);
	expect_in(practlink_errmsg(ctx), "open: group-writable (mode 0775)");
	ck_assert_int_eq(chmod(open_dir, 0755), 0);
	free(conf);
	free(link);
	free(dst);
	free(src);
	free(mods);
	free(open_dir);
}
END_TEST

/* --- TLS: which check failed ------------------------------------------------- */

/* Runs a shell command line, asserting that it succeeded. */
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* A port no one listens on now. */
static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* openssl s_server on 127.0.0.1 with cert (in dir) and extra options;
 * returns its pid once it accepts. */
static pid_t tls_server(const char *dir, const char *cert, const char *extra, unsigned port)
{
	char cmd[4096];
	int fds[2];
	pid_t pid;

	snprintf(cmd, sizeof cmd,
		 "exec openssl s_server -quiet -accept 127.0.0.1:%u -cert %s/%s.pem "
		 "-key %s/key.pem -www %s 2>&1",
		 port, dir, cert, dir, extra);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* -quiet says nothing when ready: wait until the port answers. */
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		close(fd);
		if (ok)
			break;
		usleep(50000);
	}
	close(fds[0]);
	return pid;
}

/* One GET to url with http.ca_file ca (NULL: the system's). */
static practlink_status tls_get(const char *url, const char *ca, pl_err *e)
{
	pl_http_conf conf = { 2000, 4000, 0, 1048576, 0, (char *)ca, NULL };
	pl_http_share *share;
	pl_http *h = NULL;
	practlink_http_response resp;
	practlink_http_request get = { "GET", url, NULL, 0, NULL, 0, 1 };
	practlink_status st;

	ck_assert_int_eq(pl_http_share_new(&share, e), PRACTLINK_OK);
	ck_assert_int_eq(pl_http_new(share, &conf, NULL, NULL, false, NULL, &h, e), PRACTLINK_OK);
	memset(e, 0, sizeof *e);
	st = pl_http_request(h, &get, &resp, e);
	if (st == PRACTLINK_OK) {
		free(resp.body);
		free(resp.content_type);
	}
	pl_http_free(h);
	pl_http_share_free(share);
	return st;
}

/* 12. Each way a TLS server can be refused says which, with the fix. */
START_TEST(tls_failures_say_which)
{
	char *dir = pl_test_tmpdir(), url[128], ca[4200];
	pl_err e;
	int status;

	sh("cd %s && openssl ecparam -name prime256v1 -genkey -noout -out key.pem 2>/dev/null",
	   dir);
	/* localhost's own; another host's; one expired yesterday. */
	sh("cd %s && openssl req -x509 -key key.pem -subj /CN=localhost "
	   "-addext subjectAltName=DNS:localhost -days 2 -out good.pem 2>/dev/null",
	   dir);
	sh("cd %s && openssl req -x509 -key key.pem -subj /CN=elsewhere.example "
	   "-addext subjectAltName=DNS:elsewhere.example -days 2 -out other.pem 2>/dev/null",
	   dir);
	sh("cd %s && openssl req -new -key key.pem -subj /CN=localhost -out req.csr 2>/dev/null && "
	   "printf 'subjectAltName=DNS:localhost\\n' > ext && openssl x509 -req -in req.csr "
	   "-signkey key.pem -days -1 -extfile ext -out expired.pem 2>/dev/null",
	   dir);

	static const struct {
		const char *cert, *server, *ca; /* ca: NULL for the system's */
		practlink_status st;
		const char *says, *hint;
	} cases[] = {
		{ "good", "", NULL, PRACTLINK_CONFIG,
		  "the server's certificate is signed by an authority this system does not know",
		  "http.ca_file" },
		{ "good", "", "good", PRACTLINK_OK, NULL, NULL },
		{ "other", "", "other", PRACTLINK_CONFIG,
		  "the server's certificate is for another host name", "base_url" },
		{ "expired", "", "expired", PRACTLINK_CONFIG,
		  "the server's certificate has expired", "renew" },
		{ "good", "-tls1_1 -cipher DEFAULT:@SECLEVEL=0", "good", PRACTLINK_PROTOCOL,
		  "the server offers only TLS 1.0 or 1.1", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned port = free_port();
		pid_t srv = tls_server(dir, cases[i].cert, cases[i].server, port);

		snprintf(url, sizeof url, "https://localhost:%u/", port);
		snprintf(ca, sizeof ca, "%s/%s.pem", dir, cases[i].ca ? cases[i].ca : "");
		ck_assert_int_eq(tls_get(url, cases[i].ca ? ca : NULL, &e), cases[i].st);
		if (cases[i].says)
			expect_in(e.msg, cases[i].says);
		if (cases[i].hint)
			expect_in(e.hint, cases[i].hint);
		kill(srv, SIGTERM);
		waitpid(srv, &status, 0);
	}
	pl_test_rmrf(dir);
	free(dir);
}
END_TEST

/* 11. An audit line that cannot be written (a full disk) is said and
 * counted; a change whose line is missing is not reported as a success. */
START_TEST(audit_failures_are_reported)
{
	char *shim = pl_test_path(pl_test_env("PL_TEST_MODULE_DIR"), "failwrite.so");

	pl_test_add(clinic, "p1");
	pl_test_add(clinic, "p2");
	ck_assert_int_eq(run("link", "p2"), 0);
	setenv("LD_PRELOAD", shim, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	setenv("PL_FAIL", "write", 1);
	setenv("PL_FAIL_MATCH", "audit.log", 1);
	int link_rc = run("link", "p1");
	char *link_err = strdup(err);
	int verify_rc = run("verify", "--all");
	unsetenv("LD_PRELOAD");
	unsetenv("PL_FAIL");
	ck_assert_int_eq(link_rc, 74);
	expect_in(link_err, "link of p1 was done, but its audit line could not be written");
	expect_in(link_err, "No space left on device");
	/* A verify's line is not required: said and counted, not failed. */
	ck_assert_int_eq(verify_rc, 0);
	expect_in(err, "warning: the audit trail could not be written");
	expect_in(out, "audit lines not written: 2");
	free(link_err);
	free(shim);
}
END_TEST

/* Runs practlink with the store's writes failing as a full disk does. */
static int run_on_a_full_disk(const char *a, const char *b, const char *c)
{
	char *shim = pl_test_path(pl_test_env("PL_TEST_MODULE_DIR"), "failwrite.so");
	int rc;

	setenv("LD_PRELOAD", shim, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	setenv("PL_FAIL", "write", 1);
	setenv("PL_FAIL_MATCH", "/store/practitioners", 1);
	rc = c ? run(a, b, c) : run(a, b);
	unsetenv("LD_PRELOAD");
	unsetenv("PL_FAIL");
	free(shim);
	return rc;
}

/* 10. On a full disk, rotate and unlink tell the platform nothing the
 * store has not written down first: no link is silently broken, status
 * stays true, and the summary counts no unsaved link as linked. */
START_TEST(full_disk_breaks_no_link)
{
	pl_test_add(clinic, "p1");
	pl_test_add(clinic, "p2");
	ck_assert_int_eq(run("link", "p1"), 0);
	int exchanges = pl_test_count_lines(clinic, "mock-state/calls.log", "exchange");

	ck_assert_int_eq(run_on_a_full_disk("rotate", "p1", NULL), 74);
	ck_assert_int_eq(pl_test_count_lines(clinic, "mock-state/calls.log", "exchange"),
			 exchanges);
	ck_assert_int_eq(run("verify", "p1"), 0); /* the link still works */

	ck_assert_int_eq(run_on_a_full_disk("unlink", "p1", NULL), 74);
	ck_assert_int_eq(pl_test_count_lines(clinic, "mock-state/calls.log", "revoke"), 0);
	ck_assert_int_eq(run("verify", "p1"), 0);
	ck_assert_int_eq(run("status", "p1"), 0);
	expect_in(out, " linked ");

	ck_assert_int_eq(run_on_a_full_disk("link", "--all", "-j1"), 74);
	expect_not_in(out, "2 linked");
	expect_in(out, "1 linked"); /* p1, linked before; p2's link was never saved */
	ck_assert_int_eq(run("status", "p2"), 0);
	expect_in(out, "p2 mock        unlinked ");
	/* The disk healed: every command completes. */
	ck_assert_int_eq(run("rotate", "p1"), 0);
	ck_assert_int_eq(run("unlink", "p1"), 0);
	ck_assert_int_eq(run("link", "p2"), 0);
}
END_TEST

static Suite *defects_suite(void)
{
	Suite *s = suite_create("defects");
	TCase *tc = tcase_create("defects");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120 * pl_test_slow());
	tcase_add_test(tc, host_structs_by_size);
	tcase_add_test(tc, finishing_an_empty_assist);
	tcase_add_test(tc, stale_errno_is_not_read);
	tcase_add_test(tc, empty_integrations_folder);
	tcase_add_test(tc, zeroed_bulk_is_refused);
	tcase_add_test(tc, hidden_ids_are_refused);
	tcase_add_test(tc, no_body_after_a_post);
	tcase_add_test(tc, huge_retry_after);
	tcase_add_test(tc, loopback_means_an_address);
#ifndef __SANITIZE_ADDRESS__
	/* ASan keeps its own heap and shadow: a scan of all writable memory
	 * reads its poisoned and unmapped parts. The plain build runs it. */
	tcase_add_test(tc, no_key_left_in_freed_memory);
#endif
	tcase_add_test(tc, record_out_of_memory);
	tcase_add_test(tc, fifos_in_the_store);
	tcase_add_test(tc, audit_and_lock_are_checked);
	tcase_add_test(tc, replaced_lock_file_undoes_nothing);
	tcase_add_test(tc, stale_temporaries_are_removed);
	tcase_add_test(tc, key_lists_are_key_files);
	tcase_add_test(tc, roster_cells_are_bounded);
	tcase_add_test(tc, config_nul_and_ranges);
	tcase_add_test(tc, emails_are_unique);
	tcase_add_test(tc, a_module_that_ends_the_process);
	tcase_add_test(tc, unsafe_ancestors);
	tcase_add_test(tc, tls_failures_say_which);
	tcase_add_test(tc, audit_failures_are_reported);
	tcase_add_test(tc, full_disk_breaks_no_link);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return pl_test_main(defects_suite());
}
