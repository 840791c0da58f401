/* SPDX-License-Identifier: MIT */
/*
 * exec.c - exec.so: a backend whose platform code is a program in any
 * language, run out of process and spoken to in line-delimited JSON on its
 * stdin and stdout (practlink-exec(7)), as pam_exec runs a program and
 * p11-kit a module behind its RPC.
 *
 * Each instance (one per worker) starts the program once and keeps it for
 * the run. Whatever the program does - hang, crash, exit, flood, answer
 * garbage or out of order - costs the operation under way a status and
 * never the core: the program is killed with its process group, and
 * started again for the next operation. Keys travel only on the socket,
 * never in argv or the environment; what the program says (answers and
 * stderr) reaches practlink's log and messages only through the services
 * table, which withholds the operation's keys.
 *
 * Settings: program (an absolute path, checked as modules are), args
 * (words split at blanks), timeout_ms (per call), and the settings the
 * program declares in its handshake, read with the core's typed getters.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "practlink-module.h"
#include "wire.h"

#define PROTOCOL_VERSION 1
#define ANSWER_MAX 65536      /* one answer line, its newline included */
#define LOG_LINE_MAX 1000     /* bytes of one stderr line that are logged */
#define LOG_LINES_PER_CALL 64 /* stderr lines logged per call */
#define KEY_MAX 4096

enum op {
	OP_VERIFY,
	OP_FIND_USER,
	OP_CREATE_USER,
	OP_SET_INTEGRATION,
	OP_EXCHANGE,
	OP_REVOKE,
	OP_DIAGNOSE,
	OP_PROBE,
	OP_MANUAL_STEP,
	N_OPS
};
static const char *const op_names[N_OPS] = {
	"verify", "find_user", "create_user", "set_integration", "exchange",
	"revoke", "diagnose",  "probe",       "manual_step",
};
/* The operation of each step, and the step's name in the protocol. */
static const enum op step_op[] = {
	[PRACTLINK_STEP_FIND_USER] = OP_FIND_USER,
	[PRACTLINK_STEP_CREATE_USER] = OP_CREATE_USER,
	[PRACTLINK_STEP_SET_INTEGRATION] = OP_SET_INTEGRATION,
	[PRACTLINK_STEP_EXCHANGE] = OP_EXCHANGE,
	[PRACTLINK_STEP_VERIFY] = OP_VERIFY,
	[PRACTLINK_STEP_REVOKE] = OP_REVOKE,
};
#define N_STEPS (sizeof step_op / sizeof step_op[0])

static const char *const status_names[] = {
#define PRACTLINK_STATUS(name, exit, text, hint) #name,
#include "practlink-status.def"
#undef PRACTLINK_STATUS
};
#define N_STATUSES (sizeof status_names / sizeof status_names[0])

/* Settings the program may not declare: exec.so's and the core's. */
static const char *const reserved[] = { "program", "args", "timeout_ms", "allow_insecure_http" };

struct exec {
	const practlink_services *svc;
	char *program;
	char **argv; /* argv[0] is program */
	char *words; /* the storage of argv[1..] */
	long long timeout_ms;
	char *settings; /* the open request's settings, as JSON: no key in it */

	pid_t pid; /* 0: not running; else also its process group */
	int io;    /* our end of its stdin and stdout */
	int err;   /* its stderr */
	struct buf in;
	char errline[LOG_LINE_MAX + 1];
	size_t errlen;
	unsigned logged; /* stderr lines logged during this call */
	unsigned long seq;
	long long deadline;
	bool offered[N_OPS];
	char *manual[N_STEPS];
	char name[64];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the program's process --------------------------------------------------- */

static void log_stderr_line(struct exec *x)
{
	const char *line = x->errline;
	char clean[LOG_LINE_MAX + 1];
	int level = PRACTLINK_LOG_DEBUG;

	x->errline[x->errlen] = '\0';
	x->errlen = 0;
	if (x->logged++ > LOG_LINES_PER_CALL)
		return;
	if (x->logged > LOG_LINES_PER_CALL) {
		x->svc->log(x->svc, PRACTLINK_LOG_DEBUG,
			    "%s: more than %d lines on stderr; the rest are not logged", x->name,
			    LOG_LINES_PER_CALL);
		return;
	}
	/* "<N>" first, as sd-daemon(3): the line's syslog level. */
	if (line[0] == '<' && line[1] >= '0' && line[1] <= '7' && line[2] == '>') {
		level = line[1] - '0' < PRACTLINK_LOG_ERR ? PRACTLINK_LOG_ERR : line[1] - '0';
		line += 3;
	}
	wire_printable(clean, sizeof clean, line);
	x->svc->log(x->svc, level, "%s: %s", x->name, clean);
}

/* Reads what the program wrote to stderr, logging whole lines. */
static void drain_stderr(struct exec *x)
{
	char chunk[4096];
	ssize_t n = -1;

	while (x->err >= 0 && (n = read(x->err, chunk, sizeof chunk)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] == '\n')
				log_stderr_line(x);
			else if (x->errlen < LOG_LINE_MAX)
				x->errline[x->errlen++] = chunk[i];
		}
	}
	if (x->err >= 0 && n == 0) { /* closed: the last line, unended */
		if (x->errlen)
			log_stderr_line(x);
		close(x->err);
		x->err = -1;
	}
}

/* Kills the program's process group and reaps it; *status gets how it
 * ended (when it had ended by itself within grace_ms). */
static void stop(struct exec *x, int grace_ms, int *status)
{
	siginfo_t info;
	int wstatus;

	if (status)
		*status = -1;
	if (!x->pid)
		return;
	if (x->io >= 0) /* end of its input: a polite program exits */
		close(x->io);
	x->io = -1;
	for (int waited = 0;; waited += 10) {
		memset(&info, 0, sizeof info);
		/* Not reaped yet: its group id cannot be reused under us. */
		if (waitid(P_PID, (id_t)x->pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    info.si_pid == x->pid || waited >= grace_ms)
			break;
		drain_stderr(x);
		poll(NULL, 0, 10);
	}
	kill(-x->pid, SIGKILL); /* it, and whatever it started */
	while (waitpid(x->pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (status && info.si_pid == x->pid)
		*status = wstatus;
	drain_stderr(x);
	if (x->err >= 0)
		close(x->err);
	x->err = -1;
	x->pid = 0;
	x->errlen = 0;
	buf_clear(&x->in);
}

/* How the program ended, in words: "exited with status 3". */
static void ended(int status, char *buf, size_t size)
{
	if (status >= 0 && WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (status >= 0 && WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "closed its output without exiting; killed");
}

/* What the operator does about it, when the core takes hints. */
static void hint(const struct exec *x, const char *text)
{
	if (x->svc->version >= 2 && x->svc->hint)
		x->svc->hint(x->svc, "%s", text);
}

/* The program stopped answering on its own: what it did, as MODULE. */
static practlink_status died(struct exec *x, const char *what)
{
	char how[128];
	int status;

	stop(x, 1000, &status);
	ended(status, how, sizeof how);
	x->svc->error(x->svc, "backend program %s %s during %s", x->program, how, what);
	hint(x, "the backend program ended unexpectedly ('practlink -v' shows what it wrote to "
		"stderr); it is started again for the next practitioner");
	return PRACTLINK_MODULE;
}

/* A protocol failure: the program is stopped and restarted next time. */
static practlink_status broken(struct exec *x, practlink_status st, const char *fmt, ...)
	PRACTLINK_PRINTF(3, 4);
static practlink_status broken(struct exec *x, practlink_status st, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	stop(x, 0, NULL);
	x->svc->error(x->svc, "backend program %s %s", x->program, msg);
	if (st == PRACTLINK_TRANSIENT)
		hint(x, "try again; if it persists, raise timeout_ms or ask why the backend "
			"program is slow ('practlink -v' shows its stderr)");
	else
		hint(x, "the backend program does not follow practlink-exec(7): report this to "
			"its authors; it is started again for the next practitioner");
	return st;
}

static bool cancelled(const struct exec *x)
{
	return x->svc->version >= 3 && x->svc->cancelled && x->svc->cancelled(x->svc);
}

/* Waits for fd to be ready for events, reading stderr meanwhile: 1 when
 * it is, 0 when the deadline passed or the core cancels. */
static int wait_for(struct exec *x, int fd, short events)
{
	for (;;) {
		struct pollfd pfd[2] = { { fd, events, 0 }, { x->err, POLLIN, 0 } };
		long long left = x->deadline - now_ms();
		int n;

		if (left <= 0 || cancelled(x))
			return 0;
		n = poll(pfd, x->err >= 0 ? 2 : 1, left < 100 ? (int)left : 100);
		if (n < 0 && errno != EINTR)
			return 0;
		if (n > 0 && pfd[1].revents)
			drain_stderr(x);
		if (n > 0 && pfd[0].revents)
			return 1;
	}
}

static practlink_status timed_out(struct exec *x, const char *what)
{
	if (cancelled(x))
		return broken(x, PRACTLINK_TRANSIENT, "was stopped during %s: the run is ending",
			      what);
	return broken(x, PRACTLINK_TRANSIENT, "did not answer %s within %lld ms; killed", what,
		      x->timeout_ms);
}

/* Sends req, then waits for the answer to it: a JSON object with the same
 * id, in *out (freed with wire_json_free). */
static practlink_status call(struct exec *x, const struct buf *req, const char *what, cJSON **out)
{
	size_t sent = 0;
	char *nl;

	*out = NULL;
	x->logged = 0;
	x->deadline = now_ms() + x->timeout_ms;
	drain_stderr(x);
	while (sent < req->len) {
		ssize_t n = send(x->io, req->p + sent, req->len - sent, MSG_NOSIGNAL);
		if (n > 0)
			sent += (size_t)n;
		else if (n < 0 && errno == EAGAIN) {
			if (!wait_for(x, x->io, POLLOUT))
				return timed_out(x, what);
		} else if (n < 0 && errno != EINTR)
			return died(x, what);
	}
	while (!(nl = x->in.len ? memchr(x->in.p, '\n', x->in.len) : NULL)) {
		ssize_t n;
		if (x->in.len >= ANSWER_MAX)
			return broken(
				x, PRACTLINK_PROTOCOL,
				"wrote more than %d bytes without a newline during %s; killed",
				ANSWER_MAX, what);
		if (!wait_for(x, x->io, POLLIN))
			return timed_out(x, what);
		if (!buf_grow(&x->in, ANSWER_MAX))
			return broken(x, PRACTLINK_INTERNAL, "could not be read: out of memory");
		n = read(x->io, x->in.p + x->in.len, ANSWER_MAX - x->in.len);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return died(x, what);
		if (n > 0)
			x->in.len += (size_t)n;
	}

	/* One line, taken out of the buffer and wiped there. */
	size_t len = (size_t)(nl - x->in.p);
	cJSON *j = cJSON_ParseWithLength(x->in.p, len);
	const cJSON *id;
	explicit_bzero(x->in.p, len + 1);
	memmove(x->in.p, nl + 1, x->in.len - len - 1);
	x->in.len -= len + 1;
	if (!cJSON_IsObject(j)) {
		wire_json_free(j);
		return broken(x, PRACTLINK_PROTOCOL,
			      "answered %s with a line of %zu bytes that is not a JSON object",
			      what, len);
	}
	id = cJSON_GetObjectItemCaseSensitive(j, "id");
	if (!cJSON_IsNumber(id) || id->valuedouble != (double)x->seq) {
		wire_json_free(j);
		return broken(x, PRACTLINK_PROTOCOL,
			      "answered out of order: request %lu (%s) got an answer whose id is "
			      "not %lu",
			      x->seq, what, x->seq);
	}
	*out = j;
	return PRACTLINK_OK;
}

/* The status an answer carries, its message and hint passed on. */
static practlink_status answer_status(struct exec *x, const cJSON *a, const char *what)
{
	const char *name = wire_string(a, "status"), *msg = wire_string(a, "message"),
		   *hint = wire_string(a, "hint");
	char clean[512];
	size_t i;

	if (!name)
		return broken(x, PRACTLINK_PROTOCOL, "answered %s without a status", what);
	for (i = 0; i < N_STATUSES && strcmp(status_names[i], name) != 0; i++)
		;
	if (i == N_STATUSES) {
		wire_printable(clean, 64, name);
		return broken(x, PRACTLINK_PROTOCOL,
			      "answered %s with status \"%s\", which practlink does not know", what,
			      clean);
	}
	if (msg && *msg) {
		wire_printable(clean, sizeof clean, msg);
		x->svc->error(x->svc, "%s", clean);
	}
	if (hint && *hint && x->svc->version >= 2 && x->svc->hint) {
		wire_printable(clean, sizeof clean, hint);
		x->svc->hint(x->svc, "%s", clean);
	}
	return (practlink_status)i;
}

/* --- starting: checks, spawn, handshake, open ----------------------------- */

/* The program and every folder above it: owned by root or by us, and
 * writable by nobody else (a folder by others only when sticky, as /tmp);
 * the program a regular file, not a symbolic link, that we may run. */
static practlink_status check_program(struct exec *x)
{
	const char *path = x->program;
	char dir[PATH_MAX];
	struct stat st;
	uid_t me = geteuid();

	if (path[0] != '/')
		goto relative;
	for (const char *slash = path; (slash = strchr(slash + 1, '/'));) {
		size_t n = (size_t)(slash - path);
		snprintf(dir, sizeof dir, "%.*s", (int)(n ? n : 1), path);
		if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			x->svc->error(x->svc, "program %s: %s is not a folder", path, dir);
			return PRACTLINK_CONFIG;
		}
		if ((st.st_uid != 0 && st.st_uid != me) ||
		    ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
			x->svc->error(x->svc,
				      "program %s: the folder %s is owned or writable by someone "
				      "else; only root or you may own it and write to it",
				      path, dir);
			return PRACTLINK_PERMISSION;
		}
	}
	if (lstat(path, &st) < 0) {
		x->svc->error(x->svc, "program %s: %s", path, strerror(errno));
		return PRACTLINK_CONFIG;
	}
	if (!S_ISREG(st.st_mode)) {
		x->svc->error(x->svc, "program %s is not a regular file%s", path,
			      S_ISLNK(st.st_mode) ? " (a symbolic link: name its target)" : "");
		return PRACTLINK_CONFIG;
	}
	if ((st.st_uid != 0 && st.st_uid != me) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		x->svc->error(x->svc,
			      "program %s is owned or writable by someone else; only root or you "
			      "may own it, and only its owner write to it",
			      path);
		return PRACTLINK_PERMISSION;
	}
	if (access(path, X_OK) < 0) {
		x->svc->error(x->svc, "program %s cannot be run: %s", path, strerror(errno));
		return PRACTLINK_PERMISSION;
	}
	return PRACTLINK_OK;
relative:
	x->svc->error(x->svc, "program \"%s\" must be an absolute path", path);
	return PRACTLINK_CONFIG;
}

/* Starts the program in a process group of its own, with a socket for
 * its stdin and stdout, a pipe for its stderr, no other descriptor, its
 * signals at their defaults, and only the documented environment. */
static practlink_status spawn(struct exec *x)
{
	static const int defaults[] = { SIGPIPE, SIGINT,  SIGTERM, SIGQUIT, SIGHUP,
					SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2 };
	char integration[128];
	char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C.UTF-8", integration,
			 "PRACTLINK_EXEC_PROTOCOL=1", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int sv[2], ep[2], rc;

	snprintf(integration, sizeof integration, "PRACTLINK_INTEGRATION=%s", x->svc->integration);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		goto no_pipe;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close(sv[0]);
		close(sv[1]);
		goto no_pipe;
	}
	sigemptyset(&none);
	sigemptyset(&dfl);
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		sigaddset(&dfl, defaults[i]);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	rc = posix_spawn(&x->pid, x->program, &fa, &at, x->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	close(ep[1]);
	if (rc != 0) {
		x->pid = 0;
		close(sv[0]);
		close(ep[0]);
		x->svc->error(x->svc, "backend program %s could not be started: %s", x->program,
			      strerror(rc));
		return PRACTLINK_MODULE;
	}
	x->io = sv[0];
	x->err = ep[0];
	fcntl(x->io, F_SETFL, O_NONBLOCK);
	fcntl(x->err, F_SETFL, O_NONBLOCK);
	return PRACTLINK_OK;
no_pipe:
	x->svc->error(x->svc, "backend program %s: no pipe: %s", x->program, strerror(errno));
	return PRACTLINK_INTERNAL;
}

static bool is_reserved(const char *name)
{
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (strcmp(reserved[i], name) == 0)
			return true;
	return false;
}

/* One declared setting, read with the core's getter of its type, added to
 * b as "name":value; an absent one takes the declared default, or is left
 * out (the program's own default). */
static practlink_status read_setting(struct exec *x, const char *name, const char *type,
				     const cJSON *def, struct buf *b)
{
	const practlink_services *svc = x->svc;
	char num[64] = "";
	const char *str = NULL;
	char *path = NULL;
	long long i;
	double d;
	int flag;
	practlink_status st;
	bool ok = true;

	if (strcmp(type, "string") == 0) {
		st = svc->setting_string(svc, name, cJSON_GetStringValue(def), &str);
	} else if (strcmp(type, "path") == 0) {
		st = svc->setting_path(svc, name, cJSON_GetStringValue(def), &path);
		str = path;
	} else if (strcmp(type, "int") == 0) {
		i = cJSON_IsNumber(def) ? (long long)def->valuedouble : LLONG_MIN;
		if (!(st = svc->setting_int(svc, name, i, &i)) && i != LLONG_MIN)
			snprintf(num, sizeof num, "%lld", i);
	} else if (strcmp(type, "number") == 0) {
		d = cJSON_IsNumber(def) ? def->valuedouble : NAN;
		if (!(st = svc->setting_double(svc, name, d, &d)) && !isnan(d))
			snprintf(num, sizeof num, "%.17g", d);
	} else if (strcmp(type, "bool") == 0) {
		flag = cJSON_IsBool(def) ? cJSON_IsTrue(def) : -1;
		if (!(st = svc->setting_bool(svc, name, flag, &flag)) && flag >= 0)
			snprintf(num, sizeof num, "%s", flag ? "true" : "false");
	} else {
		char clean[32];
		wire_printable(clean, sizeof clean, type);
		svc->error(svc,
			   "backend program %s declares setting %s of type \"%s\"; the types are "
			   "string, path, int, number and bool",
			   x->program, name, clean);
		return PRACTLINK_MODULE;
	}
	if (st == PRACTLINK_OK && (str || num[0]))
		ok = buf_str(b, b->len > 1 ? "," : "") && buf_json(b, name) && buf_str(b, ":") &&
		     (str ? buf_json(b, str) : buf_str(b, num));
	svc->free(path);
	return st ? st : ok ? PRACTLINK_OK : PRACTLINK_INTERNAL;
}

/* The settings the program declares, read once: the open request's. */
static practlink_status read_declared(struct exec *x, const cJSON *declared)
{
	struct buf b = { 0 };
	practlink_status st = PRACTLINK_OK;
	const cJSON *s;

	if (declared && !cJSON_IsObject(declared))
		return broken(x, PRACTLINK_PROTOCOL, "declares settings that are not an object");
	if (!buf_str(&b, "{"))
		return PRACTLINK_INTERNAL;
	cJSON_ArrayForEach(s, declared)
	{
		if (is_reserved(s->string)) {
			x->svc->error(x->svc,
				      "backend program %s declares setting %s, which is exec.so's",
				      x->program, s->string);
			st = PRACTLINK_MODULE;
		} else if (!cJSON_IsString(s) && !wire_string(s, "type")) {
			st = broken(x, PRACTLINK_PROTOCOL, "declares setting %s without a type",
				    s->string);
		} else if (cJSON_IsString(s)) {
			st = read_setting(x, s->string, s->valuestring, NULL, &b);
		} else {
			st = read_setting(x, s->string, wire_string(s, "type"),
					  cJSON_GetObjectItemCaseSensitive(s, "default"), &b);
		}
		if (st != PRACTLINK_OK)
			break;
	}
	if (st == PRACTLINK_OK && !buf_str(&b, "}"))
		st = PRACTLINK_INTERNAL;
	if (st == PRACTLINK_OK)
		x->settings = b.p;
	else
		free(b.p);
	return st;
}

/* The program's hello: its protocol, operations, manual steps and
 * settings. */
static practlink_status take_hello(struct exec *x, const cJSON *a)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "protocol"), *op, *steps;
	const char *name = wire_string(a, "name");

	if (!cJSON_IsNumber(v) || v->valuedouble != PROTOCOL_VERSION)
		return broken(x, PRACTLINK_MODULE,
			      "speaks another protocol than practlink-exec %d (its hello says "
			      "\"protocol\": %g)",
			      PROTOCOL_VERSION, cJSON_IsNumber(v) ? v->valuedouble : 0);
	wire_printable(x->name, sizeof x->name, name ? name : "program");
	memset(x->offered, 0, sizeof x->offered);
	cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(a, "operations"))
	{
		for (size_t i = 0; cJSON_IsString(op) && i < N_OPS; i++)
			if (strcmp(op_names[i], op->valuestring) == 0)
				x->offered[i] =
					true; /* names it does not know: a newer program's */
	}
	if (!x->offered[OP_VERIFY])
		return broken(x, PRACTLINK_MODULE,
			      "does not offer verify, which every backend must");
	steps = cJSON_GetObjectItemCaseSensitive(a, "manual_steps");
	for (size_t i = 1; i < N_STEPS; i++) {
		const char *words = wire_string(steps, op_names[step_op[i]]);
		free(x->manual[i]);
		x->manual[i] = NULL;
		if (words && !(x->manual[i] = strdup(words)))
			return PRACTLINK_INTERNAL;
	}
	if (!x->settings)
		return read_declared(x, cJSON_GetObjectItemCaseSensitive(a, "settings"));
	return PRACTLINK_OK;
}

/* A request's first members: {"id":N,"op":"NAME" */
static bool request(struct exec *x, struct buf *b, const char *op)
{
	char id[32];

	snprintf(id, sizeof id, "%lu", ++x->seq);
	buf_clear(b);
	return buf_str(b, "{\"id\":") && buf_str(b, id) && buf_str(b, ",\"op\":") &&
	       buf_json(b, op);
}

/* Starts the program when it is not running: hello, then open. */
static practlink_status start(struct exec *x)
{
	struct buf b = { 0 };
	cJSON *a = NULL;
	practlink_status st;

	if (x->pid)
		return PRACTLINK_OK;
	if ((st = spawn(x)))
		return st;
	if (!request(x, &b, "hello") || !buf_str(&b, ",\"protocol\":1,\"integration\":") ||
	    !buf_json(&b, x->svc->integration) || !buf_str(&b, ",\"pms_name\":") ||
	    !buf_json(&b, x->svc->pms_name) || !buf_str(&b, ",\"config\":") ||
	    !buf_json(&b, x->svc->version >= 3 ? x->svc->config_file : NULL) ||
	    !buf_str(&b, ",\"module_dir\":") ||
	    !buf_json(&b, x->svc->version >= 3 ? x->svc->module_dir : NULL) || !buf_str(&b, "}\n"))
		st = PRACTLINK_INTERNAL;
	if (!st && !(st = call(x, &b, "hello", &a)))
		st = take_hello(x, a);
	wire_json_free(a);
	a = NULL;
	if (!st && (!request(x, &b, "open") || !buf_str(&b, ",\"settings\":") ||
		    !buf_str(&b, x->settings) || !buf_str(&b, "}\n")))
		st = PRACTLINK_INTERNAL;
	if (!st && !(st = call(x, &b, "open", &a)))
		st = answer_status(x, a, "open");
	wire_json_free(a);
	buf_free(&b);
	if (st != PRACTLINK_OK)
		stop(x, 0, NULL);
	return st;
}

/* --- operations --------------------------------------------------------- */

static bool add_person(struct buf *b, const practlink_person *p)
{
	return buf_str(b, ",\"person\":{\"id\":") && buf_json(b, p->id) &&
	       buf_str(b, ",\"first_name\":") && buf_json(b, p->first_name) &&
	       buf_str(b, ",\"last_name\":") && buf_json(b, p->last_name) &&
	       buf_str(b, ",\"email\":") && buf_json(b, p->email) && buf_str(b, ",\"user_id\":") &&
	       buf_json(b, p->user_id) && buf_str(b, "}");
}

static bool add_key(struct buf *b, const char *name, const practlink_secret *key)
{
	return !key || (buf_str(b, ",\"") && buf_str(b, name) && buf_str(b, "\":") &&
			buf_json(b, key->str));
}

/* The parts of one request; unused ones NULL. */
struct req {
	enum op op;
	const practlink_person *p;
	const practlink_secret *pms_key, *backend_key;
	const char *pms_name, *step;
};

/* Runs one operation: the program started if need be, the request sent,
 * the answer's status returned and the answer in *out when it is OK. */
static practlink_status run(struct exec *x, const struct req *r, cJSON **out)
{
	const char *what = op_names[r->op];
	struct buf b = { 0 };
	cJSON *a = NULL;
	practlink_status st;

	*out = NULL;
	if ((st = start(x)))
		return st;
	if (!request(x, &b, what) || (r->p && !add_person(&b, r->p)) ||
	    !add_key(&b, "pms_key", r->pms_key) || !add_key(&b, "backend_key", r->backend_key) ||
	    (r->pms_name && (!buf_str(&b, ",\"pms_name\":") || !buf_json(&b, r->pms_name))) ||
	    (r->step && (!buf_str(&b, ",\"step\":") || !buf_json(&b, r->step))) ||
	    !buf_str(&b, "}\n"))
		st = PRACTLINK_INTERNAL;
	if (!st)
		st = call(x, &b, what, &a);
	buf_free(&b);
	if (!st && (st = answer_status(x, a, what)) == PRACTLINK_OK)
		*out = a;
	else
		wire_json_free(a);
	return st;
}

static practlink_status exec_verify(void *h, const practlink_person *p,
				    const practlink_secret *pms_key,
				    const practlink_secret *backend_key)
{
	struct req r = { .op = OP_VERIFY, .p = p, .pms_key = pms_key, .backend_key = backend_key };
	cJSON *a;
	practlink_status st = run(h, &r, &a);

	wire_json_free(a);
	return st;
}

/* find_user and create_user: the user id the answer names, checked. */
static practlink_status user_op(struct exec *x, enum op op, const practlink_person *p,
				char user_id[PRACTLINK_USER_ID_MAX])
{
	struct req r = { .op = op, .p = p };
	cJSON *a;
	practlink_status st = run(x, &r, &a);
	const char *id = a ? wire_string(a, "user_id") : NULL;
	size_t n = id ? strlen(id) : 0;
	bool ok = n > 0 && n < PRACTLINK_USER_ID_MAX;

	for (size_t i = 0; ok && i < n; i++)
		ok = id[i] > ' ' && id[i] < 0x7f;
	if (st == PRACTLINK_OK && ok)
		memcpy(user_id, id, n + 1);
	else if (st == PRACTLINK_OK)
		st = broken(
			x, PRACTLINK_PROTOCOL,
			"answered %s without a user_id of 1 to %d wire_printable ASCII characters",
			op_names[op], PRACTLINK_USER_ID_MAX - 1);
	wire_json_free(a);
	return st;
}

static practlink_status exec_find_user(void *h, const practlink_person *p,
				       char user_id[PRACTLINK_USER_ID_MAX])
{
	return user_op(h, OP_FIND_USER, p, user_id);
}

static practlink_status exec_create_user(void *h, const practlink_person *p,
					 char user_id[PRACTLINK_USER_ID_MAX])
{
	return user_op(h, OP_CREATE_USER, p, user_id);
}

static practlink_status exec_set_integration(void *h, const practlink_person *p,
					     const char *pms_name)
{
	struct req r = { .op = OP_SET_INTEGRATION, .p = p, .pms_name = pms_name };
	cJSON *a;
	practlink_status st = run(h, &r, &a);

	wire_json_free(a);
	return st;
}

static practlink_status exec_exchange(void *h, const practlink_person *p,
				      const practlink_secret *pms_key,
				      practlink_secret **backend_key)
{
	struct exec *x = h;
	struct req r = { .op = OP_EXCHANGE, .p = p, .pms_key = pms_key };
	cJSON *a;
	practlink_status st = run(x, &r, &a);
	const char *key = a ? wire_string(a, "backend_key") : NULL;

	*backend_key = NULL;
	if (st == PRACTLINK_OK && (!key || strlen(key) > KEY_MAX))
		st = broken(x, PRACTLINK_PROTOCOL,
			    "answered exchange without a backend_key of at most %d bytes", KEY_MAX);
	else if (st == PRACTLINK_OK && !(*backend_key = x->svc->secret_new(key, strlen(key))))
		st = PRACTLINK_INTERNAL;
	wire_json_free(a);
	return st;
}

static practlink_status exec_revoke(void *h, const practlink_person *p)
{
	struct req r = { .op = OP_REVOKE, .p = p };
	cJSON *a;
	practlink_status st = run(h, &r, &a);

	wire_json_free(a);
	return st;
}

/* probe, diagnose and manual_step: the answer's "text" into buf. */
static practlink_status text_op(struct exec *x, const struct req *r, char *buf, size_t size,
				int *len)
{
	cJSON *a;
	practlink_status st = run(x, r, &a);
	const char *text = a ? wire_string(a, "text") : NULL;

	*len = -1;
	if (st == PRACTLINK_OK && text && *text) {
		wire_printable(buf, size, text);
		*len = (int)strlen(text);
	}
	wire_json_free(a);
	return st;
}

static int exec_diagnose(void *h, const practlink_person *p, const practlink_secret *pms_key,
			 const practlink_secret *backend_key, char *buf, size_t size)
{
	struct exec *x = h;
	struct req r = {
		.op = OP_DIAGNOSE, .p = p, .pms_key = pms_key, .backend_key = backend_key
	};
	int len = -1;

	if (x->offered[OP_DIAGNOSE])
		text_op(x, &r, buf, size, &len);
	return len;
}

static practlink_status exec_probe(void *h, char *buf, size_t size)
{
	struct exec *x = h;
	struct req r = { .op = OP_PROBE };
	int len;

	buf[0] = '\0';
	return x->offered[OP_PROBE] ? text_op(x, &r, buf, size, &len) : PRACTLINK_OK;
}

static int exec_manual_step(void *h, practlink_step step, const practlink_person *p, char *buf,
			    size_t size)
{
	struct exec *x = h;
	struct req r = { .op = OP_MANUAL_STEP, .p = p };
	int len = -1;

	if ((size_t)step >= N_STEPS || !step_op[step])
		return -1;
	r.step = op_names[step_op[step]];
	if (x->offered[OP_MANUAL_STEP] && text_op(x, &r, buf, size, &len) == PRACTLINK_OK)
		return len;
	if (!x->manual[step])
		return -1;
	wire_printable(buf, size, x->manual[step]);
	return (int)strlen(x->manual[step]);
}

static int exec_offers(void *h, practlink_step step)
{
	const struct exec *x = h;

	return (size_t)step < N_STEPS && x->offered[step_op[step]];
}

/* --- open and close ------------------------------------------------------ */

static void exec_close(void *h)
{
	struct exec *x = h;

	if (!x)
		return;
	stop(x, 1000, NULL);
	buf_free(&x->in);
	for (size_t i = 0; i < N_STEPS; i++)
		free(x->manual[i]);
	free(x->program);
	free(x->argv);
	free(x->words);
	free(x->settings);
	free(x);
}

/* argv: the program, then args split at blanks. */
static practlink_status split_args(struct exec *x, const char *args)
{
	size_t n = 2;

	if (!(x->words = strdup(args ? args : "")))
		return PRACTLINK_INTERNAL;
	for (const char *c = x->words; *c; c++)
		n += *c == ' ' || *c == '\t';
	if (!(x->argv = calloc(n + 1, sizeof *x->argv)))
		return PRACTLINK_INTERNAL;
	n = 0;
	x->argv[n++] = x->program;
	for (char *save = NULL, *w = strtok_r(x->words, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save))
		x->argv[n++] = w;
	return PRACTLINK_OK;
}

static practlink_status exec_open(const practlink_services *svc, void **out)
{
	struct exec *x = calloc(1, sizeof *x);
	const char *program, *args;
	practlink_status st;

	*out = NULL;
	if (!x)
		return PRACTLINK_INTERNAL;
	x->svc = svc;
	x->io = x->err = -1;
	if ((st = svc->setting_string(svc, "program", NULL, &program)) ||
	    (st = svc->setting_string(svc, "args", NULL, &args)) ||
	    (st = svc->setting_int(svc, "timeout_ms", 30000, &x->timeout_ms)))
		goto fail;
	if (!program) {
		svc->error(svc, "settings.program is missing: the backend program's absolute path");
		st = PRACTLINK_CONFIG;
		goto fail;
	}
	if (!(x->program = strdup(program))) {
		st = PRACTLINK_INTERNAL;
		goto fail;
	}
	if (x->timeout_ms < 1 || x->timeout_ms > 3600000) {
		svc->error(svc, "timeout_ms must lie in 1..3600000");
		st = PRACTLINK_CONFIG;
		goto fail;
	}
	if ((st = check_program(x)) || (st = split_args(x, args)) || (st = start(x)))
		goto fail;
	*out = x;
	return PRACTLINK_OK;
fail:
	exec_close(x);
	return st;
}

PRACTLINK_EXPORT const practlink_backend practlink_backend_v1 = {
	.abi = PRACTLINK_MODULE_ABI,
	.size = sizeof(practlink_backend),
	.name = "exec",
	.version = PACKAGE_VERSION,
	.description = "a backend program in any language, out of process (practlink-exec(7))",
	.open = exec_open,
	.close = exec_close,
	.verify = exec_verify,
	.find_user = exec_find_user,
	.create_user = exec_create_user,
	.set_integration = exec_set_integration,
	.exchange = exec_exchange,
	.revoke = exec_revoke,
	.diagnose = exec_diagnose,
	.manual_step = exec_manual_step,
	.probe = exec_probe,
	.offers = exec_offers,
};
