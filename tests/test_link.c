/* SPDX-License-Identifier: MIT */
/* test_link.c - the link workflow through the host API, on mock.so: each
 * step's failure, resumption, idempotence, keys, assisted mode, rotation,
 * unlinking, the key index, a host's own store, and concurrent writers. */
#include "internal.h"
#include "testutil.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *clinic;
static practlink_ctx *ctx;

static void teardown(void)
{
	practlink_free(ctx);
	ctx = NULL;
	pl_test_rmrf(clinic);
	free(clinic);
	clinic = NULL;
}

/* A clinic with the mock's settings, and a context on it. */
static void open_clinic(const char *settings, int enabled)
{
	char *path;

	clinic = pl_test_clinic(settings, enabled);
	path = pl_test_path(clinic, "practlink.conf");
	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	practlink_set_module_dir(ctx, pl_test_env("PL_MODULE_DIR"));
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
	free(path);
}

/* Reloads the configuration after the test rewrote the mock's file. */
static void set_mock(const char *settings)
{
	char *text, *path = pl_test_path(clinic, "practlink.conf");

	ck_assert(
		asprintf(
			&text,
			"mock = { enabled = true; module = \"mock\"; create_missing_users = true;\n"
			"  settings = { state_dir = \"../mock-state\"; record_calls = true; %s }; "
			"};\n",
			settings) > 0);
	pl_test_write(clinic, "integrations.d/mock.conf", 0644, text);
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
	free(text);
	free(path);
}

static void add(const char *id)
{
	char email[128];
	practlink_person p = { id, "Ada", "Lovelace", email, NULL };

	snprintf(email, sizeof email, "%s@clinic.example", id);
	ck_assert_msg(practlink_practitioner_add(ctx, &p, NULL, 0) == PRACTLINK_OK, "%s",
		      practlink_errmsg(ctx));
}

/* The record of id as the store holds it; NULL if there is none. */
static char *record(const char *id)
{
	char *rel, *text;

	ck_assert(asprintf(&rel, "store/practitioners/%s.json", id) > 0);
	char *path = pl_test_path(clinic, rel);
	text = pl_test_read(path);
	free(rel);
	free(path);
	return text;
}

static pl_record *parsed(const char *id)
{
	char *text = record(id);
	pl_record *rec;
	pl_err err;

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(pl_record_parse(text, strlen(text), id, &rec, &err), PRACTLINK_OK);
	free(text);
	return rec;
}

static int calls(const char *prefix)
{
	return pl_test_count_lines(clinic, "mock-state/calls.log", prefix);
}

START_TEST(links_through_every_step)
{
	pl_record *rec;
	pl_link *l;

	open_clinic(NULL, 1);
	add("p1");
	ck_assert_msg(practlink_link(ctx, "p1", NULL, 0) == PRACTLINK_OK, "%s",
		      practlink_errmsg(ctx));
	rec = parsed("p1");
	l = pl_record_link(rec, "mock", false);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(l->state, PL_LINKED);
	ck_assert_ptr_nonnull(l->user_id);
	ck_assert_ptr_nonnull(l->backend_key);
	ck_assert_int_gt(l->linked_at, 0);
	ck_assert_int_eq(l->error, PRACTLINK_OK);
	ck_assert_int_eq(calls("create_user p1 "), 1);
	ck_assert_int_eq(calls("set_integration p1 "), 1);
	ck_assert_int_eq(calls("exchange p1 "), 1);
	pl_record_free(rec);
	ck_assert_int_eq(pl_test_count_lines(clinic, "store/audit.log", "{\"time\""), 2);
	ck_assert_int_eq(practlink_verify(ctx, "p1", "mock"), PRACTLINK_OK);
}
END_TEST

/* Every step's failure: its status, its message, and a record that is
 * as it was but for the error; then a clean run resumes it, with one user. */
START_TEST(each_step_fails_cleanly_and_resumes)
{
	static const struct {
		const char *step;
		const char *status;
		practlink_status st;
	} cases[] = {
		{ "find_user", "TRANSIENT", PRACTLINK_TRANSIENT },
		{ "create_user", "PERMISSION", PRACTLINK_PERMISSION },
		{ "set_integration", "PROTOCOL", PRACTLINK_PROTOCOL },
		{ "exchange", "BAD_KEY", PRACTLINK_BAD_KEY },
		{ "verify", "AUTH", PRACTLINK_AUTH },
	};

	open_clinic(NULL, 1);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char id[16], settings[128];
		pl_record *before, *after;
		pl_link *l;

		snprintf(id, sizeof id, "p%zu", i);
		add(id);
		before = parsed(id);
		snprintf(settings, sizeof settings, "fail_step = \"%s\"; fail_status = \"%s\";",
			 cases[i].step, cases[i].status);
		set_mock(settings);
		ck_assert_int_eq(practlink_link(ctx, id, NULL, 0), cases[i].st);
		ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), cases[i].step));
		ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "injected failure"));

		after = parsed(id);
		ck_assert_str_eq(after->first_name, before->first_name);
		ck_assert(pl_secret_equal(after->pms_key, before->pms_key));
		l = pl_record_link(after, "mock", false);
		ck_assert_ptr_nonnull(l);
		ck_assert_int_eq(l->error, cases[i].st);
		ck_assert_str_eq(l->error_step, cases[i].step);
		ck_assert_ptr_null(l->backend_key); /* nothing of the failed step kept */
		ck_assert_int_ne(l->state, PL_LINKED);
		pl_record_free(before);
		pl_record_free(after);

		set_mock("");
		ck_assert_msg(practlink_link(ctx, id, NULL, 0) == PRACTLINK_OK, "%s",
			      practlink_errmsg(ctx));
		after = parsed(id);
		l = pl_record_link(after, "mock", false);
		ck_assert_int_eq(l->state, PL_LINKED);
		ck_assert_int_eq(l->error, PRACTLINK_OK);
		pl_record_free(after);
		char prefix[32];
		snprintf(prefix, sizeof prefix, "create_user %s ", id);
		ck_assert_int_eq(calls(prefix), 1);
	}
}
END_TEST

START_TEST(linking_a_linked_one_changes_nothing)
{
	char *before, *after;

	open_clinic(NULL, 1);
	add("p1");
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 0), PRACTLINK_OK);
	before = record("p1");
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 0), PRACTLINK_OK);
	after = record("p1");
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(calls("exchange p1 "), 1);
	free(before);
	free(after);
}
END_TEST

START_TEST(disabled_unknown_and_no_user)
{
	char *path;

	open_clinic(NULL, 0);
	add("p1");
	ck_assert_int_eq(practlink_link(ctx, "p1", "mock", 0), PRACTLINK_DISABLED);
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "integration mock is disabled in"));
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 0), PRACTLINK_DISABLED);
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "no integration is enabled"));
	ck_assert_int_eq(calls(""), 0);

	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"mock\"; create_missing_users = false;\n"
		      "  settings = { state_dir = \"../mock-state\"; }; };\n");
	path = pl_test_path(clinic, "practlink.conf");
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
	free(path);
	ck_assert_int_eq(practlink_link(ctx, "ghost", NULL, 0), PRACTLINK_NOT_FOUND);
	ck_assert_int_eq(practlink_link(ctx, "../etc", NULL, 0), PRACTLINK_USAGE);
	ck_assert_int_eq(practlink_link(ctx, "p1", "nope", 0), PRACTLINK_USAGE);
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 0), PRACTLINK_NO_USER);
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "has no user on mock"));
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "create_missing_users is false"));
	ck_assert_int_eq(calls("create_user"), 0);
	ck_assert_int_eq(practlink_verify(ctx, "p1", NULL), PRACTLINK_NOT_LINKED);
}
END_TEST

START_TEST(empty_platform_key)
{
	open_clinic("empty_key = true;", 1);
	add("p1");
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 0), PRACTLINK_BAD_KEY);
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "generated no key"));
}
END_TEST

START_TEST(dry_run_changes_nothing)
{
	char *before, *after;

	open_clinic(NULL, 1);
	add("p1");
	before = record("p1");
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, PRACTLINK_LINK_DRY_RUN), PRACTLINK_OK);
	after = record("p1");
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(calls("create_user"), 0);
	free(before);
	free(after);
}
END_TEST

START_TEST(pms_key_rules)
{
	practlink_person p = { "p1", "Ada", "Lovelace", "ada@clinic.example", NULL };
	const char *good = "  KeyFromThePms0123456789abcdefXYZ \n";
	pl_record *rec;

	open_clinic(NULL, 1);
	ck_assert_int_eq(practlink_practitioner_add(ctx, &p, good, strlen(good)), PRACTLINK_OK);
	rec = parsed("p1");
	ck_assert_str_eq(rec->pms_key->str, "KeyFromThePms0123456789abcdefXYZ");
	pl_record_free(rec);

	p.id = "p2";
	p.email = "p2@clinic.example";
	ck_assert_int_eq(
		practlink_practitioner_add(ctx, &p, "KeyFromThe Pms0123456789abcdefXYZ", 33),
		PRACTLINK_BAD_KEY);
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "a space at character 11"));
	ck_assert_int_eq(
		practlink_practitioner_add(ctx, &p, "KeyFromThe\001Pms0123456789abcdefXY", 33),
		PRACTLINK_BAD_KEY);
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "control character"));
	ck_assert_int_eq(practlink_practitioner_add(ctx, &p, "short1A", 7), PRACTLINK_BAD_KEY);
	ck_assert_int_eq(practlink_practitioner_add(ctx, &p, " \t\n", 3), PRACTLINK_BAD_KEY);
	ck_assert_ptr_null(record("p2")); /* nothing half-added */

	/* A generated key meets the rules, and the same id cannot come twice. */
	ck_assert_int_eq(practlink_practitioner_add(ctx, &p, NULL, 0), PRACTLINK_OK);
	rec = parsed("p2");
	ck_assert(pl_key_is_strong(rec->pms_key->str, rec->pms_key->len));
	pl_record_free(rec);
	ck_assert_int_eq(practlink_practitioner_add(ctx, &p, NULL, 0), PRACTLINK_USAGE);
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "exists already"));
	p.email = "not-an-email";
	p.id = "p3";
	ck_assert_int_eq(practlink_practitioner_add(ctx, &p, NULL, 0), PRACTLINK_USAGE);
}
END_TEST

/* The operator's own key, as the platform would have generated it. */
static practlink_secret *platform_key_for(const char *id, const char *pms_key)
{
	pl_instance *inst;
	pl_err err;
	char email[128], uid[PRACTLINK_USER_ID_MAX];
	practlink_person p = { id, "Ada", "Lovelace", email, NULL };
	practlink_secret *pms = pl_secret_new(pms_key, strlen(pms_key)), *out = NULL;

	snprintf(email, sizeof email, "%s@clinic.example", id);
	ck_assert_int_eq(pl_instance_open(&ctx->env, pl_ctx_module(ctx, 0), &ctx->cfg->integ[0],
					  &inst, &err),
			 PRACTLINK_OK);
	if (pl_instance_find_user(inst, &p, uid) != PRACTLINK_OK)
		ck_assert_int_eq(pl_instance_create_user(inst, &p, uid), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_set_integration(inst, &p, "juvonno"), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_exchange(inst, &p, pms, &out), PRACTLINK_OK);
	pl_instance_close(inst);
	pl_secret_free(pms);
	return out;
}

START_TEST(assisted_link)
{
	practlink_assist *a;
	practlink_secret *key;
	pl_record *rec;
	char typed[256];

	open_clinic(NULL, 1);
	add("p1");
	ck_assert_int_eq(practlink_assist_begin(ctx, "p1", NULL, PRACTLINK_ASSIST_MANUAL, &a),
			 PRACTLINK_OK);
	ck_assert(practlink_assist_needs_key(a));
	ck_assert_uint_eq(practlink_assist_count(a), 4);
	ck_assert_str_eq(practlink_assist_step(a, 3), "exchange");
	ck_assert_ptr_nonnull(strstr(practlink_assist_text(a, 3), "PMS token"));
	rec = parsed("p1");
	ck_assert_str_eq(practlink_assist_pms_key(a), rec->pms_key->str);
	ck_assert_int_eq(pl_record_link(rec, "mock", false)->state, PL_PENDING);
	pl_record_free(rec);
	ck_assert_int_eq(calls(""), 0); /* the operator does the platform's part */

	/* The operator does it; a wrong key is refused and nothing is kept. */
	key = platform_key_for("p1", practlink_assist_pms_key(a));
	ck_assert_int_eq(practlink_assist_finish(ctx, a, "mk0000", 6), PRACTLINK_AUTH);
	rec = parsed("p1");
	ck_assert_ptr_null(pl_record_link(rec, "mock", false)->backend_key);
	pl_record_free(rec);
	ck_assert_int_eq(practlink_assist_finish(ctx, a, "mk 00", 5), PRACTLINK_BAD_KEY);
	/* Pasted with spaces around it: trimmed, verified, kept. */
	snprintf(typed, sizeof typed, "  %s \n", key->str);
	ck_assert_msg(practlink_assist_finish(ctx, a, typed, strlen(typed)) == PRACTLINK_OK, "%s",
		      practlink_errmsg(ctx));
	rec = parsed("p1");
	ck_assert_int_eq(pl_record_link(rec, "mock", false)->state, PL_LINKED);
	ck_assert_str_eq(pl_record_link(rec, "mock", false)->backend_key->str, key->str);
	pl_record_free(rec);
	pl_secret_free(key);
	practlink_assist_free(a);
	ck_assert_int_eq(practlink_verify(ctx, "p1", NULL), PRACTLINK_OK);
}
END_TEST

START_TEST(verify_records_what_it_finds)
{
	pl_record *rec;
	practlink_assist *manual;

	open_clinic(NULL, 1);
	add("p1");
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 0), PRACTLINK_OK);
	ck_assert_int_eq(practlink_verify(ctx, "p1", NULL), PRACTLINK_OK);
	/* Someone changes the link on the platform: verify sees it. */
	set_mock("fail_step = \"verify\"; fail_status = \"AUTH\";");
	ck_assert_int_eq(practlink_verify(ctx, "p1", NULL), PRACTLINK_AUTH);
	rec = parsed("p1");
	ck_assert_int_eq(pl_record_link(rec, "mock", false)->state, PL_FAILED);
	ck_assert_int_eq(pl_record_link(rec, "mock", false)->error, PRACTLINK_AUTH);
	pl_record_free(rec);
	set_mock("");
	ck_assert_int_eq(practlink_verify(ctx, "p1", NULL), PRACTLINK_OK);
	rec = parsed("p1");
	ck_assert_int_eq(pl_record_link(rec, "mock", false)->state, PL_LINKED);
	ck_assert_int_eq(pl_record_link(rec, "mock", false)->error, PRACTLINK_OK);
	pl_record_free(rec);

	ck_assert_int_eq(practlink_unlink(ctx, "p1", NULL, &manual), PRACTLINK_OK);
	ck_assert_ptr_null(manual); /* the mock revokes by API */
	ck_assert_int_eq(calls("revoke p1 "), 1);
	ck_assert_int_eq(practlink_verify(ctx, "p1", NULL), PRACTLINK_NOT_LINKED);
	ck_assert_int_eq(practlink_unlink(ctx, "p1", NULL, NULL), PRACTLINK_NOT_LINKED);
	rec = parsed("p1");
	ck_assert_ptr_null(pl_record_link(rec, "mock", false));
	ck_assert_ptr_nonnull(rec->pms_key);
	pl_record_free(rec);
	/* And it links again, with the same platform user. */
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 0), PRACTLINK_OK);
	ck_assert_int_eq(calls("create_user p1 "), 1);
}
END_TEST

START_TEST(rotate_replaces_both_keys)
{
	pl_record *before, *after;

	open_clinic(NULL, 1);
	add("p1");
	ck_assert_int_eq(practlink_rotate(ctx, "p1", NULL), PRACTLINK_NOT_LINKED);
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 0), PRACTLINK_OK);
	before = parsed("p1");
	ck_assert_msg(practlink_rotate(ctx, "p1", NULL) == PRACTLINK_OK, "%s",
		      practlink_errmsg(ctx));
	after = parsed("p1");
	ck_assert(!pl_secret_equal(before->pms_key, after->pms_key));
	ck_assert(!pl_secret_equal(pl_record_link(before, "mock", false)->backend_key,
				   pl_record_link(after, "mock", false)->backend_key));
	ck_assert_ptr_null(pl_record_link(after, "mock", false)->pending_pms_key);
	ck_assert_int_eq(practlink_verify(ctx, "p1", NULL), PRACTLINK_OK);
	pl_record_free(after);

	/* A failed rotation keeps the keys that work, and its new key, written
	 * before the platform saw it, for the run that finishes it. */
	pl_record_free(before);
	before = parsed("p1");
	set_mock("fail_step = \"exchange\";");
	ck_assert_int_eq(practlink_rotate(ctx, "p1", NULL), PRACTLINK_TRANSIENT);
	set_mock("");
	after = parsed("p1");
	ck_assert(pl_secret_equal(before->pms_key, after->pms_key));
	const practlink_secret *intent = pl_record_link(after, "mock", false)->pending_pms_key;
	ck_assert_ptr_nonnull(intent);
	ck_assert(pl_record_link(after, "mock", false)->rotation_pending);
	ck_assert_int_eq(practlink_verify(ctx, "p1", NULL), PRACTLINK_OK);
	ck_assert_int_eq(practlink_rotate(ctx, "p1", NULL), PRACTLINK_OK);
	pl_record *done = parsed("p1");
	ck_assert(pl_secret_equal(done->pms_key, intent));
	ck_assert_ptr_null(pl_record_link(done, "mock", false)->pending_pms_key);
	ck_assert(!pl_record_link(done, "mock", false)->rotation_pending);
	pl_record_free(done);
	pl_record_free(before);
	pl_record_free(after);
}
END_TEST

START_TEST(find_by_pms_key)
{
	const char *key = "KeyFromThePms0123456789abcdefXYZ";
	practlink_person p = { "p7", "Ada", "Lovelace", "ada@clinic.example", NULL };
	char id[65];

	open_clinic(NULL, 1);
	for (int i = 0; i < 50; i++) {
		char name[16];
		snprintf(name, sizeof name, "x%d", i);
		add(name);
	}
	ck_assert_int_eq(practlink_practitioner_add(ctx, &p, key, strlen(key)), PRACTLINK_OK);
	ck_assert_int_eq(practlink_find_by_pms_key(ctx, key, strlen(key), id), PRACTLINK_OK);
	ck_assert_str_eq(id, "p7");
	ck_assert_int_eq(practlink_find_by_pms_key(ctx, "KeyFromThePms0123456789abcdefXYW", 32, id),
			 PRACTLINK_NOT_FOUND);
	/* A rotation moves the practitioner to the new key. */
	ck_assert_int_eq(practlink_link(ctx, "p7", NULL, 0), PRACTLINK_OK);
	ck_assert_int_eq(practlink_rotate(ctx, "p7", NULL), PRACTLINK_OK);
	ck_assert_int_eq(practlink_find_by_pms_key(ctx, key, strlen(key), id), PRACTLINK_NOT_FOUND);
	ck_assert_int_eq(practlink_practitioner_remove(ctx, "x3"), PRACTLINK_OK);
	ck_assert_int_eq(practlink_practitioner_remove(ctx, "x3"), PRACTLINK_NOT_FOUND);
}
END_TEST

START_TEST(corrupt_record_left_untouched)
{
	char *path, *after;

	open_clinic(NULL, 1);
	add("p1");
	path = pl_test_path(clinic, "store/practitioners/p1.json");
	pl_test_write(clinic, "store/practitioners/p1.json", 0600, "{\"version\": 1, \"id\": ");
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 0), PRACTLINK_STORE);
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), path));
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "left untouched"));
	after = pl_test_read(path);
	ck_assert_str_eq(after, "{\"version\": 1, \"id\": ");
	free(after);
	/* A record open to others holds keys where others can read them. */
	add("p2");
	free(path);
	path = pl_test_path(clinic, "store/practitioners/p2.json");
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(practlink_link(ctx, "p2", NULL, 0), PRACTLINK_PERMISSION);
	ck_assert_ptr_nonnull(strstr(practlink_errmsg(ctx), "(mode 0644)"));
	free(path);
}
END_TEST

/* A host's own store: records in memory. */
struct memstore {
	char *ids[8];
	char *texts[8];
	int puts;
};

static practlink_status mem_get(void *data, const char *id, char **text, size_t *len, char *err,
				size_t size)
{
	struct memstore *m = data;

	for (int i = 0; i < 8; i++)
		if (m->ids[i] && strcmp(m->ids[i], id) == 0) {
			*text = strdup(m->texts[i]);
			*len = strlen(*text);
			return PRACTLINK_OK;
		}
	snprintf(err, size, "no %s", id);
	return PRACTLINK_NOT_FOUND;
}

static practlink_status mem_put(void *data, const char *id, const char *text, size_t len,
				unsigned flags, char *err, size_t size)
{
	struct memstore *m = data;
	int free_slot = -1;

	m->puts++;
	for (int i = 0; i < 8; i++) {
		if (m->ids[i] && strcmp(m->ids[i], id) == 0) {
			free(m->texts[i]);
			m->texts[i] = strndup(text, len);
			return PRACTLINK_OK;
		}
		if (!m->ids[i] && free_slot < 0)
			free_slot = i;
	}
	m->ids[free_slot] = strdup(id);
	m->texts[free_slot] = strndup(text, len);
	return PRACTLINK_OK;
}

static practlink_status mem_remove(void *data, const char *id, char *err, size_t size)
{
	return PRACTLINK_NOT_FOUND;
}

static practlink_status mem_list(void *data, practlink_status (*each)(void *, const char *),
				 void *arg, char *err, size_t size)
{
	struct memstore *m = data;

	for (int i = 0; i < 8; i++)
		if (m->ids[i])
			each(arg, m->ids[i]);
	return PRACTLINK_OK;
}

static practlink_status mem_lock(void *data, const char *id, void **token, char *err, size_t size)
{
	*token = NULL;
	return PRACTLINK_OK;
}

static void mem_unlock(void *data, void *token)
{
}

static void mem_close(void *data)
{
	struct memstore *m = data;

	for (int i = 0; i < 8; i++) {
		free(m->ids[i]);
		free(m->texts[i]);
	}
}

START_TEST(host_store)
{
	/* A table of version 1, as a host built before audit_line has: it
	 * still works. */
	static const practlink_store_ops ops = { .version = 1,
						 .get = mem_get,
						 .put = mem_put,
						 .remove = mem_remove,
						 .list = mem_list,
						 .lock = mem_lock,
						 .unlock = mem_unlock,
						 .close = mem_close };
	struct memstore m;

	memset(&m, 0, sizeof m);

	open_clinic(NULL, 1);
	ck_assert_int_eq(practlink_set_store(ctx, &ops, &m), PRACTLINK_OK);
	add("h1");
	ck_assert_int_eq(m.puts, 1);
	ck_assert_int_eq(practlink_link(ctx, "h1", NULL, 0), PRACTLINK_OK);
	ck_assert_int_eq(m.puts, 2); /* one write per link */
	ck_assert_ptr_nonnull(strstr(m.texts[0], "\"state\":\t\"linked\""));
	ck_assert_ptr_null(record("h1")); /* nothing went to the files store */
	practlink_free(ctx);
	ctx = NULL;
}
END_TEST

/* Links ids first..first+n-1 in a process of its own. */
static void link_in_child(int first, int n)
{
	char *path = pl_test_path(clinic, "practlink.conf");
	practlink_ctx *c;
	int bad = 0;

	practlink_new(&c);
	practlink_set_module_dir(c, pl_test_env("PL_MODULE_DIR"));
	practlink_load_config(c, path);
	for (int i = first; i < first + n; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%d", i % 20);
		bad += practlink_link(c, id, NULL, 0) != PRACTLINK_OK;
	}
	practlink_free(c);
	free(path);
	_exit(bad);
}

START_TEST(concurrent_processes_lose_nothing)
{
	pid_t kids[4];
	int status;

	open_clinic(NULL, 1);
	for (int i = 0; i < 20; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%d", i);
		add(id);
	}
	/* Four processes over the same twenty, in different orders. */
	for (int k = 0; k < 4; k++) {
		if ((kids[k] = fork()) == 0)
			link_in_child(k * 5, 20);
	}
	for (int k = 0; k < 4; k++) {
		ck_assert_int_eq(waitpid(kids[k], &status, 0), kids[k]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d: %d", k,
			      status);
	}
	for (int i = 0; i < 20; i++) {
		char id[16], prefix[32];
		snprintf(id, sizeof id, "c%d", i);
		pl_record *rec = parsed(id);
		ck_assert_int_eq(pl_record_link(rec, "mock", false)->state, PL_LINKED);
		pl_record_free(rec);
		snprintf(prefix, sizeof prefix, "create_user %s ", id);
		ck_assert_int_eq(calls(prefix), 1);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("link");
	TCase *tc = tcase_create("link");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, links_through_every_step);
	tcase_add_test(tc, each_step_fails_cleanly_and_resumes);
	tcase_add_test(tc, linking_a_linked_one_changes_nothing);
	tcase_add_test(tc, disabled_unknown_and_no_user);
	tcase_add_test(tc, empty_platform_key);
	tcase_add_test(tc, dry_run_changes_nothing);
	tcase_add_test(tc, pms_key_rules);
	tcase_add_test(tc, assisted_link);
	tcase_add_test(tc, verify_records_what_it_finds);
	tcase_add_test(tc, rotate_replaces_both_keys);
	tcase_add_test(tc, find_by_pms_key);
	tcase_add_test(tc, corrupt_record_left_untouched);
	tcase_add_test(tc, host_store);
	tcase_add_test(tc, concurrent_processes_lose_nothing);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
