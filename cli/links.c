/* links.c - practlink link | unlink | verify | rotate | status. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define KEY_MAX 1024

/* What a link or verify run is asked to do. */
struct run {
	practlink_ctx *ctx;
	const struct opts *o;
	const char *integration;
	bool all, assisted, dry_run;
	const char *key_file; /* --backend-key-file */
	const char *keys_csv; /* --backend-keys */
	unsigned jobs;        /* -j */
};

/* Shows the operator's steps and the PMS key, on the terminal only. */
static void show_steps(FILE *tty, const char *id, const practlink_assist *a)
{
	FILE *out = tty ? tty : stderr;

	fprintf(out, "\nLink %s: %zu step%s to do by hand on the platform:\n", id,
		practlink_assist_count(a), practlink_assist_count(a) == 1 ? "" : "s");
	for (size_t i = 0; i < practlink_assist_count(a); i++)
		fprintf(out, "  %zu. %s\n", i + 1, practlink_assist_text(a, i));
	if (tty)
		fprintf(tty, "\n  PMS key to paste: %s\n\n", practlink_assist_pms_key(a));
	else
		fprintf(stderr, "\n  (the PMS key is shown only on a terminal)\n\n");
}

/* An assisted link: the module's steps, the key from the operator. */
static practlink_status assisted(struct run *r, const char *id, unsigned flags)
{
	practlink_assist *a = NULL;
	char key[KEY_MAX];
	long len = -1;
	practlink_status st;
	FILE *tty = NULL;

	st = practlink_assist_begin(r->ctx, id, r->integration, flags, &a);
	if (st != PRACTLINK_OK || !practlink_assist_needs_key(a)) {
		practlink_assist_free(a);
		return st;
	}
	tty = cli_tty();
	show_steps(tty, id, a);
	if (r->key_file)
		len = cli_read_key_file(r->key_file, key, sizeof key);
	else if (tty)
		len = cli_read_hidden(tty, "Platform key (not shown as you type): ", key,
				      sizeof key);
	if (tty)
		fclose(tty);
	if (len < 0) {
		practlink_assist_free(a);
		explicit_bzero(key, sizeof key);
		return PRACTLINK_USAGE; /* the link waits, pending, for its key */
	}
	st = practlink_assist_finish(r->ctx, a, key, (size_t)len);
	explicit_bzero(key, sizeof key);
	practlink_assist_free(a);
	return st;
}

/* Parses the options link and verify share. Returns -1 to go on. */
static int parse_run(struct run *r, int argc, char **argv, bool is_link)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "integration", required_argument, NULL, 'i' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "assisted", no_argument, NULL, 'A' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "backend-key-file", required_argument, NULL, 'k' },
		{ "backend-keys", required_argument, NULL, 'K' },
		{ 0 },
	};
	int c;

	while ((c = cli_getopt(argc, argv, "i:j:", longopts)) != -1) {
		switch (c) {
		case 'a': r->all = true; break;
		case 'i': r->integration = optarg; break;
		case 'j':
			if (atoi(optarg) < 1 || atoi(optarg) > 256)
				return cli_usage("-j needs a number of jobs, 1 to 256");
			r->jobs = (unsigned)atoi(optarg);
			break;
		case 'A':
		case 'n':
		case 'k':
		case 'K':
			if (!is_link)
				return cli_usage("%s: unknown option", argv[optind - 1]);
			r->assisted |= c == 'A';
			r->dry_run |= c == 'n';
			if (c == 'k')
				r->key_file = optarg;
			if (c == 'K')
				r->keys_csv = optarg;
			break;
		default: return practlink_exit_code(PRACTLINK_USAGE);
		}
	}
	if (r->keys_csv && optind < argc)
		return cli_usage("--backend-keys names the practitioners itself");
	if (!r->keys_csv && r->all == (optind < argc))
		return cli_usage("name practitioners, or --all");
	if (r->key_file && (r->all || argc - optind != 1))
		return cli_usage("--backend-key-file goes with one practitioner");
	return -1;
}

/* Runs op over what the options named: many practitioners at once. */
static int run_bulk(struct run *r, unsigned op, int argc, char **argv)
{
	practlink_bulk b = { .op = op,
			     .integration = r->integration,
			     .jobs = r->jobs,
			     .flags = r->dry_run ? PRACTLINK_LINK_DRY_RUN : 0 };

	return cli_bulk(r->ctx, r->o, &b, r->all ? NULL : argv + optind,
			r->all ? 0 : (size_t)(argc - optind), r->keys_csv);
}

int cmd_link(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	struct run r = { .ctx = ctx, .o = o };
	practlink_status st;
	int rc;

	if ((rc = parse_run(&r, argc, argv, true)) >= 0)
		return rc;
	if (r.keys_csv)
		return run_bulk(&r, PRACTLINK_BULK_LINK_KEYS, argc, argv);
	if (r.all || argc - optind > 1 || r.dry_run)
		return run_bulk(&r, PRACTLINK_BULK_LINK, argc, argv);
	/* One practitioner: the operator may be asked to do steps by hand. */
	st = assisted(&r, argv[optind], r.assisted ? PRACTLINK_ASSIST_MANUAL : 0);
	if (st != PRACTLINK_OK) {
		if (st == PRACTLINK_USAGE && !r.key_file && !cli_tty())
			fprintf(stderr,
				"practlink: %s needs the operator: run on a terminal, or "
				"pass --backend-key-file\n",
				argv[optind]);
		return cli_fail(ctx, st);
	}
	if (o->verbosity >= 0)
		printf("%s: linked\n", argv[optind]);
	return 0;
}

int cmd_verify(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	struct run r = { .ctx = ctx, .o = o };
	int rc;

	if ((rc = parse_run(&r, argc, argv, false)) >= 0)
		return rc;
	return run_bulk(&r, PRACTLINK_BULK_VERIFY, argc, argv);
}

/* The ID and -i of unlink and rotate. Returns -1 to go on. */
static int one_id(int argc, char **argv, const char **integration)
{
	static const struct option longopts[] = {
		{ "integration", required_argument, NULL, 'i' },
		{ 0 },
	};
	int c;

	while ((c = cli_getopt(argc, argv, "i:", longopts)) != -1) {
		if (c != 'i')
			return practlink_exit_code(PRACTLINK_USAGE);
		*integration = optarg;
	}
	if (argc - optind != 1)
		return cli_usage("name one practitioner");
	return -1;
}

int cmd_unlink(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	const char *integration = NULL;
	practlink_assist *manual = NULL;
	practlink_status st;
	int rc;

	if ((rc = one_id(argc, argv, &integration)) >= 0)
		return rc;
	st = practlink_unlink(ctx, argv[optind], integration, &manual);
	if (st != PRACTLINK_OK)
		return cli_fail(ctx, st);
	printf("%s: unlinked\n", argv[optind]);
	if (practlink_assist_count(manual)) {
		printf("The platform has no API for this; please do it by hand:\n");
		for (size_t i = 0; i < practlink_assist_count(manual); i++)
			printf("  %zu. %s\n", i + 1, practlink_assist_text(manual, i));
	}
	practlink_assist_free(manual);
	return 0;
}

int cmd_rotate(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	struct run r = { .ctx = ctx, .o = o };
	practlink_status st;
	int rc;

	if ((rc = one_id(argc, argv, &r.integration)) >= 0)
		return rc;
	st = assisted(&r, argv[optind], PRACTLINK_ASSIST_ROTATE);
	if (st != PRACTLINK_OK)
		return cli_fail(ctx, st);
	printf("%s: new PMS key exchanged and verified\n", argv[optind]);
	return 0;
}

/* --- status ---------------------------------------------------------------- */

/* One link as DESIGN's status object. */
static cJSON *status_object(const practlink_link_info *in)
{
	cJSON *e, *x = cJSON_CreateObject();
	char t[32];

	cJSON_AddStringToObject(x, "id", in->id);
	cJSON_AddStringToObject(x, "integration", in->integration);
	cJSON_AddStringToObject(x, "state", in->state);
	if (in->user_id)
		cJSON_AddStringToObject(x, "user_id", in->user_id);
	else
		cJSON_AddNullToObject(x, "user_id");
	if (in->linked_at)
		cJSON_AddStringToObject(x, "linked_at", cli_time(in->linked_at, t));
	else
		cJSON_AddNullToObject(x, "linked_at");
	if (in->verified_at)
		cJSON_AddStringToObject(x, "verified_at", cli_time(in->verified_at, t));
	else
		cJSON_AddNullToObject(x, "verified_at");
	if (in->key_hint)
		cJSON_AddStringToObject(x, "key_hint", in->key_hint);
	else
		cJSON_AddNullToObject(x, "key_hint");
	if (in->error == PRACTLINK_OK) {
		cJSON_AddNullToObject(x, "error");
	} else {
		e = cJSON_AddObjectToObject(x, "error");
		cJSON_AddStringToObject(e, "status", practlink_status_name(in->error));
		cJSON_AddStringToObject(e, "message", in->error_message ? in->error_message : "");
		cJSON_AddStringToObject(e, "hint", practlink_hint(in->error));
	}
	return x;
}

struct rows {
	cJSON **v;
	size_t n, cap;
};

static practlink_status collect(void *arg, const practlink_link_info *in)
{
	struct rows *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		cJSON **v = realloc(r->v, cap * sizeof *v);
		if (!v)
			return PRACTLINK_INTERNAL;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = status_object(in);
	return PRACTLINK_OK;
}

static const char *str(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
	return s ? s : "-";
}

static int by_id(const void *a, const void *b)
{
	const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
	int c = strcmp(str(x, "id"), str(y, "id"));
	return c ? c : strcmp(str(x, "integration"), str(y, "integration"));
}

static void print_row(const cJSON *x)
{
	const cJSON *e = cJSON_GetObjectItem(x, "error");

	printf("%-16s %-12s %-9s %-20s %-20s %-20s %-4s %s\n", str(x, "id"), str(x, "integration"),
	       str(x, "state"), str(x, "user_id"), str(x, "linked_at"), str(x, "verified_at"),
	       str(x, "key_hint"), cJSON_IsObject(e) ? str(e, "status") : "");
	if (cJSON_IsObject(e))
		printf("%16s %s\n%16s hint: %s\n", "", str(e, "message"), "", str(e, "hint"));
}

int cmd_status(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "integration", required_argument, NULL, 'i' },
		{ 0 },
	};
	const char *integration = NULL;
	struct rows r = { NULL, 0, 0 };
	cJSON *doc = NULL;
	practlink_status st;
	int c;

	while ((c = cli_getopt(argc, argv, "i:", longopts)) != -1) {
		if (c != 'i')
			return practlink_exit_code(PRACTLINK_USAGE);
		integration = optarg;
	}
	if (argc - optind > 1)
		return cli_usage("status takes at most one ID");
	st = practlink_status_each(ctx, optind < argc ? argv[optind] : NULL, integration, collect,
				   &r);
	/* Sorted for people; the store hands them over in no order. */
	if (r.n)
		qsort(r.v, r.n, sizeof *r.v, by_id);
	if (o->json)
		doc = cJSON_CreateArray();
	else
		printf("%-16s %-12s %-9s %-20s %-20s %-20s %-4s %s\n", "ID", "INTEGRATION", "STATE",
		       "USER", "LINKED", "VERIFIED", "KEY", "ERROR");
	for (size_t i = 0; i < r.n; i++) {
		if (doc) {
			cJSON_AddItemToArray(doc, r.v[i]);
		} else {
			print_row(r.v[i]);
			cJSON_Delete(r.v[i]);
		}
	}
	free(r.v);
	if (doc)
		cli_print_json(doc);
	return st == PRACTLINK_OK ? 0 : cli_fail(ctx, st);
}
