/*
 * mock.c - mock.so, practlink's test double: a platform whose every step
 * has an API, with no network.
 *
 * It plays a remote platform: its users live in state_dir, one small file
 * each, so that they persist across processes and every operation costs
 * O(1). A user's id and keys are derived from its email and the keys it is
 * given, so runs are deterministic. Writes are atomic (rename) but not
 * fsynced: durability is the store's job, not the platform's. Read-modify-
 * write runs under a flock on state_dir/lock, so workers and processes can
 * share one state_dir. Every successful call is appended to
 * state_dir/calls.log ("create_user ID USER"), for tests to count.
 *
 * Settings: state_dir, latency_ms, fail_step, fail_status, fail_rate, seed,
 * and empty_key: exchange answers an empty key, as a platform does that
 * did not take the PMS key (the seed's "the API key did not appear").
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "practlink-module.h"

struct mock {
	const practlink_services *svc;
	char *state_dir;
	int dirfd;  /* state_dir */
	int lockfd; /* state_dir/lock */
	long long latency_ms;
	const char *fail_step;
	practlink_status fail_status;
	double fail_rate;
	uint64_t rng;
	uint64_t seed;
	int empty_key;
};

/* A user on the mock platform, as stored in users/ID. */
struct user {
	char id[PRACTLINK_USER_ID_MAX];
	char email[256];
	char pms_name[64];
	char pms_key[256];
	char backend_key[64];
};

static const char *const status_names[] = {
#define PRACTLINK_STATUS(name, exit, text, hint) #name,
#include "practlink-status.def"
#undef PRACTLINK_STATUS
};

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return h;
}

/* xorshift64*: a small, seeded, reproducible generator. */
static double next_uniform(struct mock *m)
{
	m->rng ^= m->rng >> 12;
	m->rng ^= m->rng << 25;
	m->rng ^= m->rng >> 27;
	return (double)((m->rng * 2685821657736338717u) >> 11) / 9007199254740992.0;
}

/* The latency and the failures the settings ask for, before any step. */
static practlink_status inject(struct mock *m, const char *step)
{
	if (m->latency_ms > 0) {
		struct timespec ts = { m->latency_ms / 1000, (m->latency_ms % 1000) * 1000000 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (m->fail_step && strcmp(m->fail_step, step) == 0) {
		m->svc->error(m->svc, "mock: injected failure at %s", step);
		return m->fail_status;
	}
	/* Random failures hit platform calls; open is not one. */
	if (m->fail_rate > 0 && strcmp(step, "open") != 0 && next_uniform(m) < m->fail_rate) {
		m->svc->error(m->svc, "mock: injected random failure at %s", step);
		return m->fail_status;
	}
	return PRACTLINK_OK;
}

static void user_id_for(const char *email, char id[PRACTLINK_USER_ID_MAX])
{
	char lower[256];
	size_t i;

	for (i = 0; email[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)(email[i] >= 'A' && email[i] <= 'Z' ? email[i] + 32 : email[i]);
	lower[i] = '\0';
	snprintf(id, PRACTLINK_USER_ID_MAX, "u%016" PRIx64, fnv1a(14695981039346656037u, lower));
}

static void field(char *dst, size_t size, const char *line, const char *key)
{
	size_t klen = strlen(key);

	if (strncmp(line, key, klen) == 0 && line[klen] == '=')
		snprintf(dst, size, "%s", line + klen + 1);
}

/* Reads users/ID into u: OK, NO_USER, or PROTOCOL for an unreadable file. */
static practlink_status user_read(struct mock *m, const char *id, struct user *u)
{
	char path[PRACTLINK_USER_ID_MAX + 8], buf[1024];
	FILE *f;

	memset(u, 0, sizeof *u);
	snprintf(path, sizeof path, "users/%s", id);
	int fd = openat(m->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return PRACTLINK_NO_USER;
		m->svc->error(m->svc, "mock: %s/%s: %s", m->state_dir, path, strerror(errno));
		return PRACTLINK_PROTOCOL;
	}
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return PRACTLINK_INTERNAL;
	}
	snprintf(u->id, sizeof u->id, "%s", id);
	while (fgets(buf, sizeof buf, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		field(u->email, sizeof u->email, buf, "email");
		field(u->pms_name, sizeof u->pms_name, buf, "pms_name");
		field(u->pms_key, sizeof u->pms_key, buf, "pms_key");
		field(u->backend_key, sizeof u->backend_key, buf, "backend_key");
	}
	fclose(f);
	return PRACTLINK_OK;
}

/* Writes u atomically: a new file renamed over users/ID, or, with
 * exclusive, linked there only if no user of that id exists. */
static practlink_status user_write(struct mock *m, const struct user *u, bool exclusive)
{
	char tmp[64], path[PRACTLINK_USER_ID_MAX + 8], text[1024];
	int fd, len, rc;

	len = snprintf(text, sizeof text, "email=%s\npms_name=%s\npms_key=%s\nbackend_key=%s\n",
		       u->email, u->pms_name, u->pms_key, u->backend_key);
	snprintf(tmp, sizeof tmp, "users/.tmp.%ld.%p", (long)getpid(), (void *)m);
	snprintf(path, sizeof path, "users/%s", u->id);
	fd = openat(m->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, (size_t)len) != len) {
		m->svc->error(m->svc, "mock: %s/%s: %s", m->state_dir, tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlinkat(m->dirfd, tmp, 0);
		return PRACTLINK_PROTOCOL;
	}
	close(fd);
	if (exclusive) {
		rc = linkat(m->dirfd, tmp, m->dirfd, path, 0);
		unlinkat(m->dirfd, tmp, 0);
	} else {
		rc = renameat(m->dirfd, tmp, m->dirfd, path);
	}
	if (rc < 0) {
		if (exclusive && errno == EEXIST) {
			m->svc->error(m->svc, "mock: a user with email %s already exists",
				      u->email);
			return PRACTLINK_PROTOCOL;
		}
		m->svc->error(m->svc, "mock: %s/%s: %s", m->state_dir, path, strerror(errno));
		unlinkat(m->dirfd, tmp, 0);
		return PRACTLINK_PROTOCOL;
	}
	return PRACTLINK_OK;
}

static void record_call(struct mock *m, const char *op, const practlink_person *p,
			const char *detail)
{
	char line[512];
	int fd = openat(m->dirfd, "calls.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	int len = snprintf(line, sizeof line, "%s %s %s\n", op, p->id, detail);

	/* One O_APPEND write per line keeps lines whole across processes. */
	if (fd >= 0 && len > 0 && write(fd, line, (size_t)len) != len)
		m->svc->log(m->svc, PRACTLINK_LOG_WARNING, "mock: calls.log: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void lock(struct mock *m)
{
	while (flock(m->lockfd, LOCK_EX) < 0 && errno == EINTR)
		;
}

static void unlock(struct mock *m)
{
	flock(m->lockfd, LOCK_UN);
}

/* The user p names: by user id when known, else by email. */
static practlink_status user_of(struct mock *m, const practlink_person *p, struct user *u)
{
	char id[PRACTLINK_USER_ID_MAX];

	if (p->user_id)
		return user_read(m, p->user_id, u);
	if (!p->email || !*p->email) {
		m->svc->error(m->svc,
			      "mock: practitioner %s has no email; users are found by email",
			      p->id);
		return PRACTLINK_NO_USER;
	}
	user_id_for(p->email, id);
	return user_read(m, id, u);
}

static practlink_status mock_find_user(void *h, const practlink_person *p,
				       char user_id[PRACTLINK_USER_ID_MAX])
{
	struct mock *m = h;
	struct user u;
	practlink_status st;

	if ((st = inject(m, "find_user")) != PRACTLINK_OK)
		return st;
	st = user_of(m, p, &u);
	if (st == PRACTLINK_OK)
		snprintf(user_id, PRACTLINK_USER_ID_MAX, "%s", u.id);
	else if (st == PRACTLINK_NO_USER)
		m->svc->error(m->svc, "mock: no user with email %s", p->email ? p->email : "");
	return st;
}

static practlink_status mock_create_user(void *h, const practlink_person *p,
					 char user_id[PRACTLINK_USER_ID_MAX])
{
	struct mock *m = h;
	struct user u;
	practlink_status st;

	if ((st = inject(m, "create_user")) != PRACTLINK_OK)
		return st;
	memset(&u, 0, sizeof u);
	if (!p->email || !*p->email || strchr(p->email, '\n')) {
		m->svc->error(m->svc, "mock: practitioner %s needs an email to be created", p->id);
		return PRACTLINK_PROTOCOL;
	}
	user_id_for(p->email, u.id);
	snprintf(u.email, sizeof u.email, "%s", p->email);
	st = user_write(m, &u, true);
	if (st == PRACTLINK_OK) {
		snprintf(user_id, PRACTLINK_USER_ID_MAX, "%s", u.id);
		record_call(m, "create_user", p, u.id);
	}
	return st;
}

/* Read-modify-write of p's user under the lock; change may fail it. */
static practlink_status update(struct mock *m, const practlink_person *p, const char *op,
			       practlink_status (*change)(struct mock *, struct user *,
							  const void *),
			       const void *arg)
{
	struct user u;
	practlink_status st;

	lock(m);
	st = user_of(m, p, &u);
	if (st == PRACTLINK_NO_USER)
		m->svc->error(m->svc, "mock: practitioner %s has no user", p->id);
	if (st == PRACTLINK_OK)
		st = change(m, &u, arg);
	if (st == PRACTLINK_OK)
		st = user_write(m, &u, false);
	unlock(m);
	if (st == PRACTLINK_OK)
		record_call(m, op, p, u.id);
	return st;
}

static practlink_status choose_pms(struct mock *m, struct user *u, const void *pms_name)
{
	snprintf(u->pms_name, sizeof u->pms_name, "%s", (const char *)pms_name);
	return PRACTLINK_OK;
}

static practlink_status mock_set_integration(void *h, const practlink_person *p,
					     const char *pms_name)
{
	struct mock *m = h;
	practlink_status st;

	if ((st = inject(m, "set_integration")) != PRACTLINK_OK)
		return st;
	return update(m, p, "set_integration", choose_pms, pms_name);
}

struct exchange_arg {
	const practlink_secret *pms_key;
	char backend_key[64];
};

static practlink_status take_pms_key(struct mock *m, struct user *u, const void *arg)
{
	struct exchange_arg *x = (struct exchange_arg *)arg;
	uint64_t h;

	if (!u->pms_name[0]) {
		m->svc->error(m->svc, "mock: no PMS chosen under \"Integrate with\" for user %s",
			      u->id);
		return PRACTLINK_AUTH;
	}
	if (x->pms_key->len == 0 || x->pms_key->len >= sizeof u->pms_key ||
	    strpbrk(x->pms_key->str, " \t\r\n")) {
		m->svc->error(m->svc, "mock: the PMS token is empty or malformed");
		return PRACTLINK_BAD_KEY;
	}
	/* A deterministic key: the same user and PMS key give the same one. */
	h = fnv1a(fnv1a(14695981039346656037u ^ m->seed, u->id), x->pms_key->str);
	snprintf(x->backend_key, sizeof x->backend_key, "mk%016" PRIx64 "%016" PRIx64, h,
		 fnv1a(h, u->pms_name));
	memcpy(u->pms_key, x->pms_key->str, x->pms_key->len + 1);
	snprintf(u->backend_key, sizeof u->backend_key, "%s", x->backend_key);
	return PRACTLINK_OK;
}

static practlink_status mock_exchange(void *h, const practlink_person *p,
				      const practlink_secret *pms_key,
				      practlink_secret **backend_key)
{
	struct mock *m = h;
	struct exchange_arg x = { pms_key, "" };
	practlink_status st;

	*backend_key = NULL;
	if ((st = inject(m, "exchange")) != PRACTLINK_OK)
		return st;
	st = update(m, p, "exchange", take_pms_key, &x);
	if (st == PRACTLINK_OK && m->empty_key)
		x.backend_key[0] = '\0';
	if (st == PRACTLINK_OK &&
	    !(*backend_key = m->svc->secret_new(x.backend_key, strlen(x.backend_key))))
		st = PRACTLINK_INTERNAL;
	memset(&x, 0, sizeof x);
	return st;
}

static practlink_status clear_link(struct mock *m, struct user *u, const void *arg)
{
	u->pms_name[0] = u->pms_key[0] = u->backend_key[0] = '\0';
	return PRACTLINK_OK;
}

static practlink_status mock_revoke(void *h, const practlink_person *p)
{
	struct mock *m = h;
	practlink_status st;

	if ((st = inject(m, "revoke")) != PRACTLINK_OK)
		return st;
	return update(m, p, "revoke", clear_link, NULL);
}

static bool same(const char *stored, const practlink_secret *given)
{
	return given && strlen(stored) == given->len && memcmp(stored, given->str, given->len) == 0;
}

static practlink_status mock_verify(void *h, const practlink_person *p,
				    const practlink_secret *pms_key,
				    const practlink_secret *backend_key)
{
	struct mock *m = h;
	struct user u;
	practlink_status st;

	if ((st = inject(m, "verify")) != PRACTLINK_OK)
		return st;
	st = user_of(m, p, &u);
	if (st == PRACTLINK_NO_USER) {
		m->svc->error(m->svc, "mock: Practitioner was not found");
		return PRACTLINK_AUTH;
	}
	if (st != PRACTLINK_OK)
		return st;
	if (strcmp(u.pms_name, m->svc->pms_name) != 0) {
		m->svc->error(m->svc, "mock: user %s is not integrated with %s", u.id,
			      m->svc->pms_name);
		st = PRACTLINK_AUTH;
	} else if (!u.backend_key[0] || !same(u.pms_key, pms_key) ||
		   !same(u.backend_key, backend_key)) {
		m->svc->error(m->svc, "mock: the keys do not match user %s", u.id);
		st = PRACTLINK_AUTH;
	}
	memset(&u, 0, sizeof u);
	return st;
}

static int mock_manual_step(void *h, practlink_step step, const practlink_person *p, char *buf,
			    size_t size)
{
	return -1; /* every step has an operation */
}

static practlink_status make_dir(struct mock *m, const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		m->svc->error(m->svc, "mock: cannot create %s: %s", path, strerror(errno));
		return PRACTLINK_CONFIG;
	}
	return PRACTLINK_OK;
}

static practlink_status read_settings(struct mock *m)
{
	const practlink_services *svc = m->svc;
	const char *status = "TRANSIENT";
	long long seed;
	practlink_status st;
	size_t i;

	if ((st = svc->setting_path(svc, "state_dir", "mock-state", &m->state_dir)) ||
	    (st = svc->setting_int(svc, "latency_ms", 0, &m->latency_ms)) ||
	    (st = svc->setting_string(svc, "fail_step", NULL, &m->fail_step)) ||
	    (st = svc->setting_string(svc, "fail_status", status, &status)) ||
	    (st = svc->setting_double(svc, "fail_rate", 0.0, &m->fail_rate)) ||
	    (st = svc->setting_int(svc, "seed", 1, &seed)) ||
	    (st = svc->setting_bool(svc, "empty_key", 0, &m->empty_key)))
		return st;
	for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
		if (strcmp(status_names[i], status) == 0)
			break;
	if (i == sizeof status_names / sizeof status_names[0] || i == PRACTLINK_OK) {
		svc->error(
			svc,
			"mock: fail_status \"%s\" is not a failure status (AUTH, TRANSIENT, ...)",
			status);
		return PRACTLINK_CONFIG;
	}
	m->fail_status = (practlink_status)i;
	if (m->fail_rate < 0 || m->fail_rate > 1 || m->latency_ms < 0) {
		svc->error(svc, "mock: fail_rate must lie in 0..1 and latency_ms be positive");
		return PRACTLINK_CONFIG;
	}
	m->seed = (uint64_t)seed;
	m->rng = (uint64_t)seed * 0x9E3779B97F4A7C15u | 1;
	return PRACTLINK_OK;
}

static void mock_close(void *h)
{
	struct mock *m = h;

	if (!m)
		return;
	if (m->lockfd >= 0)
		close(m->lockfd);
	if (m->dirfd >= 0)
		close(m->dirfd);
	m->svc->free(m->state_dir);
	free(m);
}

static practlink_status mock_open(const practlink_services *svc, void **out)
{
	struct mock *m = calloc(1, sizeof *m);
	practlink_status st;

	*out = NULL;
	if (!m)
		return PRACTLINK_INTERNAL;
	m->svc = svc;
	m->dirfd = m->lockfd = -1;
	st = read_settings(m);
	if (st == PRACTLINK_OK)
		st = inject(m, "open");
	if (st == PRACTLINK_OK && (st = make_dir(m, m->state_dir)) == PRACTLINK_OK) {
		m->dirfd = open(m->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (m->dirfd < 0 || (mkdirat(m->dirfd, "users", 0700) < 0 && errno != EEXIST) ||
		    (m->lockfd = openat(m->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600)) <
			    0) {
			svc->error(svc, "mock: %s: %s", m->state_dir, strerror(errno));
			st = PRACTLINK_CONFIG;
		}
	}
	if (st != PRACTLINK_OK) {
		mock_close(m);
		return st;
	}
	*out = m;
	return PRACTLINK_OK;
}

PRACTLINK_EXPORT const practlink_backend practlink_backend_v1 = {
	.abi = PRACTLINK_MODULE_ABI,
	.name = "mock",
	.version = PACKAGE_VERSION,
	.description = "test double: every step automatic, no network, faults on demand",
	.open = mock_open,
	.close = mock_close,
	.verify = mock_verify,
	.find_user = mock_find_user,
	.create_user = mock_create_user,
	.set_integration = mock_set_integration,
	.exchange = mock_exchange,
	.revoke = mock_revoke,
	.manual_step = mock_manual_step,
};
