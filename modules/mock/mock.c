/* SPDX-License-Identifier: MIT */
/*
 * mock.c - mock.so, practlink's test double: a platform whose every step
 * has an API, with no network.
 *
 * It plays a remote platform: its users live in state_dir/users.db, one
 * fixed slot each at the hash of their email, so that they persist across
 * processes and every operation costs O(1). A user's id and keys are
 * derived from its email and the keys it is given, so runs are
 * deterministic. A slot is read and written whole under a byte-range lock
 * of its own, so workers and processes share one state_dir safely; nothing
 * is renamed or fsynced: durability is the store's job, not the platform's
 * (and the benchmark measures the store). With record_calls, every
 * successful call is appended to state_dir/calls.log ("create_user ID
 * USER"), for tests to count.
 *
 * Settings: state_dir, latency_ms, fail_step, fail_status, fail_rate, seed,
 * record_calls, slots (users the platform can hold: 262,144 by default; a
 * state_dir keeps the number it was made with),
 * and empty_key: exchange answers an empty key, as a platform does that
 * did not take the PMS key (the seed's "the API key did not appear").
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "practlink-module.h"

struct mock {
	const practlink_services *svc;
	char *state_dir;
	int dbfd;    /* state_dir/users.db */
	int callsfd; /* state_dir/calls.log, with record_calls */
	int record_calls;
	int random_keys; /* a new platform key each exchange */
	long long latency_ms;
	const char *fail_step;
	practlink_status fail_status;
	double fail_rate;
	uint64_t rng;
	uint64_t seed;
	int empty_key;
	long long slots; /* users the platform holds: users.db's size */
};

/* A user on the mock platform: one slot of state_dir/users.db. */
#define SLOT_SIZE 1024
#define SLOTS (1u << 18) /* by default; the setting slots makes room for more */
struct user {
	char used;
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
		m->svc->error(m->svc, "injected failure at %s", step);
		return m->fail_status;
	}
	/* Random failures hit platform calls; open is not one. */
	if (m->fail_rate > 0 && strcmp(step, "open") != 0 && next_uniform(m) < m->fail_rate) {
		m->svc->error(m->svc, "injected random failure at %s", step);
		return m->fail_status;
	}
	return PRACTLINK_OK;
}

/* A user's slot: at the hash of its email, or the next free one after. */
static uint64_t email_hash(const char *email)
{
	char lower[256];
	size_t i;

	for (i = 0; email[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)tolower((unsigned char)email[i]);
	lower[i] = '\0';
	return fnv1a(14695981039346656037u, lower);
}

static void slot_lock(struct mock *m, size_t slot, short type)
{
	struct flock fl = { .l_type = type,
			    .l_whence = SEEK_SET,
			    .l_start = (off_t)(slot * SLOT_SIZE),
			    .l_len = SLOT_SIZE };

	while (fcntl(m->dbfd, F_OFD_SETLKW, &fl) < 0 && errno == EINTR)
		;
}

static void slot_unlock(struct mock *m, size_t slot)
{
	slot_lock(m, slot, F_UNLCK);
}

static practlink_status slot_io(struct mock *m, size_t slot, struct user *u, bool write)
{
	off_t at = (off_t)(slot * SLOT_SIZE);
	ssize_t n = write ? pwrite(m->dbfd, u, sizeof *u, at) : pread(m->dbfd, u, sizeof *u, at);

	if (n < 0) {
		m->svc->error(m->svc, "%s/users.db: %s", m->state_dir, strerror(errno));
		return PRACTLINK_PROTOCOL;
	}
	if (!write && (size_t)n < sizeof *u)
		memset((char *)u + n, 0, sizeof *u - (size_t)n);
	u->id[sizeof u->id - 1] = u->email[sizeof u->email - 1] = '\0';
	u->pms_name[sizeof u->pms_name - 1] = u->pms_key[sizeof u->pms_key - 1] = '\0';
	u->backend_key[sizeof u->backend_key - 1] = '\0';
	return PRACTLINK_OK;
}

/*
 * Finds p's user (by user id when known, else by email) and returns its
 * slot locked, in *u; or, when there is none, the free slot where it
 * would go, locked, with *found false. O(1): the slot is the hash's.
 */
static practlink_status locate(struct mock *m, const practlink_person *p, size_t *slot,
			       struct user *u, bool *found)
{
	uint64_t h;

	if (p->user_id) {
		if (sscanf(p->user_id, "u%16" SCNx64, &h) != 1) {
			m->svc->error(m->svc, "no user %s", p->user_id);
			return PRACTLINK_NO_USER;
		}
	} else if (p->email && *p->email && !strchr(p->email, '\n')) {
		h = email_hash(p->email);
	} else {
		m->svc->error(m->svc, "practitioner %s has no email; users are found by email",
			      p->id);
		return PRACTLINK_NO_USER;
	}
	for (size_t i = 0; i < (size_t)m->slots; i++) {
		*slot = (size_t)((h + i) % (uint64_t)m->slots);
		slot_lock(m, *slot, F_WRLCK);
		if (slot_io(m, *slot, u, false) != PRACTLINK_OK) {
			slot_unlock(m, *slot);
			return PRACTLINK_PROTOCOL;
		}
		*found = u->used && (p->user_id ? strcmp(u->id, p->user_id) == 0
						: strcasecmp(u->email, p->email) == 0);
		if (*found || !u->used)
			return PRACTLINK_OK;
		slot_unlock(m, *slot);
	}
	m->svc->error(m->svc, "the platform is full");
	return PRACTLINK_PROTOCOL;
}

static void record_call(struct mock *m, const char *op, const practlink_person *p,
			const char *detail)
{
	char line[512];
	int len;

	if (!m->record_calls)
		return;
	len = snprintf(line, sizeof line, "%s %s %s\n", op, p->id, detail);
	/* One O_APPEND write per line keeps lines whole across processes. */
	if (len > 0 && write(m->callsfd, line, (size_t)len) != len)
		m->svc->log(m->svc, PRACTLINK_LOG_WARNING, "calls.log: %s", strerror(errno));
}

static practlink_status mock_find_user(void *h, const practlink_person *p,
				       char user_id[PRACTLINK_USER_ID_MAX])
{
	struct mock *m = h;
	struct user u;
	size_t slot;
	bool found;
	practlink_status st;

	if ((st = inject(m, "find_user")) || (st = locate(m, p, &slot, &u, &found)))
		return st;
	slot_unlock(m, slot);
	if (!found) {
		m->svc->error(m->svc, "no user with email %s", p->email ? p->email : "");
		return PRACTLINK_NO_USER;
	}
	snprintf(user_id, PRACTLINK_USER_ID_MAX, "%s", u.id);
	return PRACTLINK_OK;
}

static practlink_status mock_create_user(void *h, const practlink_person *p,
					 char user_id[PRACTLINK_USER_ID_MAX])
{
	struct mock *m = h;
	practlink_person by_email = *p;
	struct user u;
	size_t slot;
	bool found;
	practlink_status st;

	by_email.user_id = NULL;
	if ((st = inject(m, "create_user")) || (st = locate(m, &by_email, &slot, &u, &found)))
		return st;
	if (found) {
		slot_unlock(m, slot);
		/* The platform's emails are unique. */
		m->svc->error(m->svc, "a user with email %s already exists", p->email);
		return PRACTLINK_PROTOCOL;
	}
	memset(&u, 0, sizeof u);
	u.used = 1;
	snprintf(u.id, sizeof u.id, "u%016" PRIx64, email_hash(p->email));
	snprintf(u.email, sizeof u.email, "%s", p->email);
	st = slot_io(m, slot, &u, true);
	slot_unlock(m, slot);
	if (st == PRACTLINK_OK) {
		snprintf(user_id, PRACTLINK_USER_ID_MAX, "%s", u.id);
		record_call(m, "create_user", p, u.id);
	}
	return st;
}

/* Read-modify-write of p's user under its slot's lock. */
static practlink_status update(struct mock *m, const practlink_person *p, const char *op,
			       practlink_status (*change)(struct mock *, struct user *,
							  const void *),
			       const void *arg)
{
	struct user u;
	size_t slot;
	bool found;
	practlink_status st;

	if ((st = locate(m, p, &slot, &u, &found)))
		return st;
	if (!found) {
		m->svc->error(m->svc, "practitioner %s has no user", p->id);
		st = PRACTLINK_NO_USER;
	}
	if (st == PRACTLINK_OK)
		st = change(m, &u, arg);
	if (st == PRACTLINK_OK)
		st = slot_io(m, slot, &u, true);
	slot_unlock(m, slot);
	if (st == PRACTLINK_OK)
		record_call(m, op, p, u.id);
	explicit_bzero(&u, sizeof u);
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
		m->svc->error(m->svc, "no PMS chosen under \"Integrate with\" for user %s", u->id);
		return PRACTLINK_AUTH;
	}
	if (x->pms_key->len == 0 || x->pms_key->len >= sizeof u->pms_key ||
	    strpbrk(x->pms_key->str, " \t\r\n")) {
		m->svc->error(m->svc, "the PMS token is empty or malformed");
		return PRACTLINK_BAD_KEY;
	}
	/* A deterministic key: the same user and PMS key give the same one;
	 * with random_keys, a new one each time, as a real platform may, so
	 * that a lost update shows as keys that no longer match. */
	h = fnv1a(fnv1a(14695981039346656037u ^ m->seed, u->id), x->pms_key->str);
	if (m->random_keys && getrandom(&h, sizeof h, 0) != sizeof h)
		return PRACTLINK_INTERNAL;
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
	size_t slot;
	bool found;
	practlink_status st;

	if ((st = inject(m, "verify")) || (st = locate(m, p, &slot, &u, &found)))
		return st == PRACTLINK_NO_USER ? PRACTLINK_AUTH : st;
	slot_unlock(m, slot);
	if (!found) {
		m->svc->error(m->svc, "Practitioner was not found");
		st = PRACTLINK_AUTH;
	} else if (strcmp(u.pms_name, m->svc->pms_name) != 0) {
		m->svc->error(m->svc, "user %s is not integrated with %s", u.id, m->svc->pms_name);
		st = PRACTLINK_AUTH;
	} else if (!u.backend_key[0] || !same(u.pms_key, pms_key) ||
		   !same(u.backend_key, backend_key)) {
		m->svc->error(m->svc, "the keys do not match user %s", u.id);
		st = PRACTLINK_AUTH;
	} else {
		record_call(m, "verify", p, u.id);
	}
	explicit_bzero(&u, sizeof u);
	return st;
}

static int mock_manual_step(void *h, practlink_step step, const practlink_person *p, char *buf,
			    size_t size)
{
	return -1; /* every step has an operation */
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
	    (st = svc->setting_bool(svc, "empty_key", 0, &m->empty_key)) ||
	    (st = svc->setting_bool(svc, "record_calls", 0, &m->record_calls)) ||
	    (st = svc->setting_bool(svc, "random_keys", 0, &m->random_keys)) ||
	    (st = svc->setting_int(svc, "slots", SLOTS, &m->slots)))
		return st;
	if (m->slots < 1024 || m->slots > (1 << 26)) {
		svc->error(svc, "slots must lie in 1024..67108864");
		return PRACTLINK_CONFIG;
	}
	for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
		if (strcmp(status_names[i], status) == 0)
			break;
	if (i == sizeof status_names / sizeof status_names[0] || i == PRACTLINK_OK) {
		svc->error(svc, "fail_status \"%s\" is not a failure status (AUTH, TRANSIENT, ...)",
			   status);
		return PRACTLINK_CONFIG;
	}
	m->fail_status = (practlink_status)i;
	if (m->fail_rate < 0 || m->fail_rate > 1 || m->latency_ms < 0) {
		svc->error(svc, "fail_rate must lie in 0..1 and latency_ms be positive");
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
	if (m->dbfd >= 0)
		close(m->dbfd);
	if (m->callsfd >= 0)
		close(m->callsfd);
	m->svc->free(m->state_dir);
	free(m);
}

/* Opens state_dir/name, making the folder if need be. */
static int open_state(struct mock *m, const char *name, int flags)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof path, "%s/%s", m->state_dir, name);
	fd = open(path, flags | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* The first instance makes the folder; others may race it there. */
	if (fd < 0 && errno == ENOENT && (mkdir(m->state_dir, 0700) == 0 || errno == EEXIST))
		fd = open(path, flags | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		m->svc->error(m->svc, "%s: %s", path, strerror(errno));
	return fd;
}

/* The platform answers: it is a folder here, so it always does, unless a
 * test makes it fail (fail_step = "probe"). */
static practlink_status mock_probe(void *h, char *buf, size_t size)
{
	struct mock *m = h;
	practlink_status st = inject(m, "probe");

	if (st == PRACTLINK_OK)
		snprintf(buf, size, "the mock platform answers (its state is in %s)", m->state_dir);
	return st;
}

static practlink_status mock_open(const practlink_services *svc, void **out)
{
	struct mock *m = calloc(1, sizeof *m);
	practlink_status st;

	*out = NULL;
	if (!m)
		return PRACTLINK_INTERNAL;
	m->svc = svc;
	m->dbfd = m->callsfd = -1;
	st = read_settings(m);
	if (st == PRACTLINK_OK)
		st = inject(m, "open");
	/* Each instance has descriptors of its own: its slot locks then
	 * exclude the other workers' and processes' alike. */
	if (st == PRACTLINK_OK &&
	    ((m->dbfd = open_state(m, "users.db", O_RDWR)) < 0 ||
	     (m->record_calls &&
	      (m->callsfd = open_state(m, "calls.log", O_WRONLY | O_APPEND)) < 0)))
		st = PRACTLINK_CONFIG;
	if (st != PRACTLINK_OK) {
		mock_close(m);
		return st;
	}
	*out = m;
	return PRACTLINK_OK;
}

PRACTLINK_EXPORT const practlink_backend practlink_backend_v1 = {
	.abi = PRACTLINK_MODULE_ABI,
	.size = sizeof(practlink_backend),
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
	.probe = mock_probe,
};
