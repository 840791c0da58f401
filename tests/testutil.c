/* SPDX-License-Identifier: MIT */
/* testutil.c - see testutil.h. */
#define _GNU_SOURCE
#include "internal.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

char *pl_test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	ck_assert(asprintf(&path, "%s/practlink-test.XXXXXX", base && *base ? base : "/tmp") > 0);
	ck_assert_msg(mkdtemp(path) != NULL, "mkdtemp: %s", strerror(errno));
	return path;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void pl_test_rmrf(const char *path)
{
	if (path)
		nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *pl_test_path(const char *dir, const char *rel)
{
	char *path;

	ck_assert(asprintf(&path, "%s/%s", dir, rel) > 0);
	return path;
}

/*
 * With PL_TEST_BACKEND=exec, an integration on mock.so is written to run
 * on exec.so and examples/exec-backend/mockplatform.py instead: the same
 * platform, out of process, so that a suite written for mock.so runs
 * unchanged against exec.so. NULL when text is not such a file.
 */
static char *as_exec(const char *rel, const char *text)
{
	static const char mock[] = "module = \"mock\";";
	const char *backend = getenv("PL_TEST_BACKEND"), *at, *settings;
	char *out, *program;

	if (!backend || strcmp(backend, "exec") != 0 || strncmp(rel, "integrations.d/", 15) != 0 ||
	    !(at = strstr(text, mock)))
		return NULL;
	ck_assert(asprintf(&program, "program = \"%s/examples/exec-backend/mockplatform.py\";",
			   pl_test_env("PL_SRCDIR")) > 0);
	if ((settings = strstr(text, "settings = {")))
		ck_assert(asprintf(&out, "%.*smodule = \"exec\";%.*s%s %s", (int)(at - text), text,
				   (int)(settings + 12 - at - (sizeof mock - 1)),
				   at + sizeof mock - 1, program, settings + 12) > 0);
	else
		ck_assert(asprintf(&out, "%.*smodule = \"exec\"; settings = { %s };%s",
				   (int)(at - text), text, program, at + sizeof mock - 1) > 0);
	free(program);
	return out;
}

void pl_test_write(const char *dir, const char *rel, mode_t mode, const char *text)
{
	char *path = pl_test_path(dir, rel), *exec = as_exec(rel, text);
	size_t len;
	int fd;

	if (exec)
		text = exec;
	len = strlen(text);

	for (char *slash = strchr(path + strlen(dir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		ck_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert(write(fd, text, len) == (ssize_t)len);
	ck_assert(fchmod(fd, mode) == 0);
	close(fd);
	free(path);
	free(exec);
}

void pl_test_unlink(const char *dir, const char *rel)
{
	char *path = pl_test_path(dir, rel);

	ck_assert_msg(unlink(path) == 0, "%s: %s", path, strerror(errno));
	free(path);
}

char *pl_test_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

int pl_test_count_lines(const char *dir, const char *rel, const char *prefix)
{
	char *path = pl_test_path(dir, rel);
	char *text = pl_test_read(path);
	int n = 0;

	for (char *line = text; line && *line;) {
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
		char *nl = strchr(line, '\n');
		line = nl ? nl + 1 : line + strlen(line);
	}
	free(text);
	free(path);
	return n;
}

const char *pl_test_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v && *v, "%s is not set: run the tests with 'make check'", name);
	return v;
}

/* Reads both pipes to their end, so that neither child stream blocks. */
static void drain(int fds[2], FILE **streams)
{
	struct pollfd p[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
	int open_count = 2;

	while (open_count > 0) {
		if (poll(p, 2, -1) < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < 2; i++) {
			char chunk[4096];
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, chunk, sizeof chunk);
			if (n > 0) {
				fwrite(chunk, 1, (size_t)n, streams[i]);
				continue;
			}
			close(p[i].fd);
			p[i].fd = -1;
			open_count--;
		}
	}
	for (int i = 0; i < 2; i++)
		fclose(streams[i]);
}

long pl_test_last_maxrss_kib;

int pl_test_run(char *const argv[], const char *in, char **out, char **err)
{
	int o[2], e[2], i[2], status;
	char *bufs[2] = { NULL, NULL };
	size_t lens[2] = { 0, 0 };
	FILE *streams[2];
	pid_t pid;

	ck_assert(pipe2(o, O_CLOEXEC) == 0 && pipe2(e, O_CLOEXEC) == 0 && pipe2(i, O_CLOEXEC) == 0);
	fflush(NULL);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		dup2(i[0], 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	close(i[0]);
	if (in) {
		ssize_t n = write(i[1], in, strlen(in));
		(void)n;
	}
	close(i[1]);
	streams[0] = open_memstream(&bufs[0], &lens[0]);
	streams[1] = open_memstream(&bufs[1], &lens[1]);
	int fds[2] = { o[0], e[0] };
	drain(fds, streams);
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		ck_assert(errno == EINTR);
	pl_test_last_maxrss_kib = ru.ru_maxrss;
	if (out)
		*out = bufs[0];
	else
		free(bufs[0]);
	if (err)
		*err = bufs[1];
	else
		free(bufs[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

char **pl_test_practlink_argv(const char *clinic, const char *module_dir, va_list ap)
{
	static char *argv[40];
	static char conf[4200], prog[4200], mods[4200];
	int argc = 0;
	char *w;

	snprintf(conf, sizeof conf, "%s/practlink.conf", clinic);
	snprintf(prog, sizeof prog, "%s/cli/practlink", pl_test_env("PL_BUILDDIR"));
	snprintf(mods, sizeof mods, "%s", module_dir ? module_dir : pl_test_env("PL_MODULE_DIR"));
	argv[argc++] = prog;
	argv[argc++] = "--config";
	argv[argc++] = conf;
	argv[argc++] = "--module-dir";
	argv[argc++] = mods;
	while (argc < 39 && (w = va_arg(ap, char *)))
		argv[argc++] = w;
	argv[argc] = NULL;
	return argv;
}

int pl_test_practlink(const char *clinic, const char *module_dir, const char *in, char **out,
		      char **err, ...)
{
	char **argv;
	va_list ap;

	va_start(ap, err);
	argv = pl_test_practlink_argv(clinic, module_dir, ap);
	va_end(ap);
	free(*out);
	free(*err);
	return pl_test_run(argv, in, out, err);
}

char **pl_test_practlink_words(const char *clinic, ...)
{
	va_list ap;
	char **argv;

	va_start(ap, clinic);
	argv = pl_test_practlink_argv(clinic, NULL, ap);
	va_end(ap);
	return argv;
}

pid_t pl_test_spawn(char **argv)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int pl_test_slow(void)
{
	const char *v = getenv("PL_VALGRIND");

	return v && *v ? 10 : 1;
}

int pl_test_read_until(int fd, char *buf, size_t size, const char *frag)
{
	struct pollfd p = { fd, POLLIN, 0 };

	while (!strstr(buf, frag)) {
		size_t len = strlen(buf);
		if (poll(&p, 1, 10000 * pl_test_slow()) <= 0 || len + 1 >= size)
			return 0;
		ssize_t n = read(fd, buf + len, size - len - 1);
		if (n <= 0)
			return 0;
		buf[len + (size_t)n] = '\0';
	}
	return 1;
}

void pl_test_add(const char *clinic, const char *id)
{
	char email[96], *out = NULL, *err = NULL;
	int rc;

	snprintf(email, sizeof email, "%s@clinic.example", id);
	rc = pl_test_practlink(clinic, NULL, NULL, &out, &err, "practitioner", "add", id,
			       "--first-name", "Ada", "--last-name", "Lovelace", "--email", email,
			       (char *)NULL);
	ck_assert_msg(rc == 0, "adding %s: %s", id, err);
	free(out);
	free(err);
}

char *pl_test_record(const char *clinic, const char *id)
{
	char rel[128], *path, *text;

	snprintf(rel, sizeof rel, "store/practitioners/%s.json", id);
	path = pl_test_path(clinic, rel);
	text = pl_test_read(path);
	free(path);
	return text;
}

void pl_test_expect_in(const char *text, const char *frag)
{
	ck_assert_msg(text && strstr(text, frag), "'%s' lacks '%s'", text ? text : "(null)", frag);
}

void pl_test_expect_not_in(const char *text, const char *frag)
{
	ck_assert_msg(!text || !strstr(text, frag), "'%s' shows '%s'", text, frag);
}

char *pl_test_clinic(const char *mock_settings, int enabled)
{
	char *dir = pl_test_tmpdir(), *text;

	pl_test_write(dir, "practlink.conf", 0644,
		      "pms_name = \"juvonno\";\n"
		      "integrations_dir = \"integrations.d\";\n"
		      "store = { type = \"files\"; path = \"store\"; };\n");
	ck_assert(
		asprintf(
			&text,
			"mock = {\n"
			"  enabled = %s;\n"
			"  module = \"mock\";\n"
			"  create_missing_users = true;\n"
			"  settings = { state_dir = \"../mock-state\"; record_calls = true; %s };\n"
			"};\n",
			enabled ? "true" : "false", mock_settings ? mock_settings : "") > 0);
	pl_test_write(dir, "integrations.d/mock.conf", 0644, text);
	free(text);
	return dir;
}

int pl_test_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void pl_test_copy(const char *src, const char *dst, mode_t mode)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	ck_assert_msg(in >= 0 && out >= 0, "copy %s to %s: %s", src, dst, strerror(errno));
	while ((n = read(in, buf, sizeof buf)) > 0)
		ck_assert(write(out, buf, (size_t)n) == n);
	ck_assert(n == 0);
	ck_assert(fchmod(out, mode) == 0);
	close(in);
	close(out);
}

void pl_fake_start(pl_fake *f, const char *state)
{
	char *dir = pl_test_tmpdir(), *path, *prog, line[64] = "";
	int out[2];
	FILE *r;

	pl_test_write(dir, "state", 0600, state ? state : "");
	path = pl_test_path(dir, "state");
	prog = pl_test_path(pl_test_env("PL_BUILDDIR"), "tests/practlink-fake-physitrack");
	ck_assert(pipe(out) == 0);
	f->pid = fork();
	ck_assert(f->pid >= 0);
	if (f->pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		execl(prog, prog, "--port", "0", "--state", path, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	r = fdopen(out[0], "r");
	ck_assert_msg(fgets(line, sizeof line, r) && sscanf(line, "port %u", &f->port) == 1,
		      "the fake server did not start: '%s'", line);
	fclose(r);
	/* It has read its state: the folder can go. */
	pl_test_rmrf(dir);
	free(dir);
	free(path);
	free(prog);
}

void pl_fake_stop(pl_fake *f)
{
	int status;

	if (f->pid <= 0)
		return;
	kill(f->pid, SIGTERM);
	ck_assert_int_eq(waitpid(f->pid, &status, 0), f->pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the fake server: %d", status);
	f->pid = 0;
}

static size_t keep(char *data, size_t size, size_t n, void *p)
{
	fwrite(data, size, n, p);
	return size * n;
}

/* One request to the fake's control endpoint; returns the body. */
static char *control(pl_fake *f, const char *path, const char *body)
{
	char url[128], *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	CURL *c = curl_easy_init();

	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", f->port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, m);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	fclose(m);
	/* A fault the server did not take would leave the test testing nothing. */
	ck_assert_msg(code == 200, "%s %s: HTTP %ld: %s", path, body ? body : "", code, text);
	return text;
}

void pl_fake_fault(pl_fake *f, const char *spec)
{
	free(control(f, "/_control/fault", spec));
}

long pl_fake_count(pl_fake *f, const char *what)
{
	char *text = control(f, "/_control/stats", NULL), *at;
	long n = 0;

	for (at = text; at && (at = strstr(at, what)); at += strlen(what))
		if ((at == text || at[-1] == '\n') && at[strlen(what)] == ' ') {
			n = atol(at + strlen(what) + 1);
			break;
		}
	free(text);
	return n;
}

int pl_test_linked(const char *clinic, const char *prefix, int n)
{
	char *path = pl_test_path(clinic, "practlink.conf");
	practlink_ctx *ctx;
	int count = 0;

	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
	for (int i = 0; i < n; i++) {
		char id[32];
		pl_record *rec;
		pl_err e;
		snprintf(id, sizeof id, "%s%03d", prefix, i);
		ck_assert_msg(pl_store_load(ctx, id, &rec, &e) == PRACTLINK_OK, "%s", e.msg);
		const pl_link *l = pl_record_link(rec, "mock", false);
		count += l && l->state == PL_LINKED;
		pl_record_free(rec);
	}
	practlink_free(ctx);
	free(path);
	return count;
}
