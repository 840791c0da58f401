/* SPDX-License-Identifier: MIT */
/* practitioners.c - practlink practitioner add | import | list | show | remove. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int add(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "first-name", required_argument, NULL, 'f' },
		{ "last-name", required_argument, NULL, 'l' },
		{ "email", required_argument, NULL, 'e' },
		{ "pms-key-file", required_argument, NULL, 'k' },
		{ 0 },
	};
	practlink_person p = { 0 };
	const char *key_file = NULL;
	char key[1024];
	long len = -1;
	practlink_status st;
	int c;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'f': p.first_name = optarg; break;
		case 'l': p.last_name = optarg; break;
		case 'e': p.email = optarg; break;
		case 'k': key_file = optarg; break;
		default: return practlink_exit_code(PRACTLINK_USAGE);
		}
	}
	if (argc - optind != 1)
		return cli_usage("practitioner add takes one ID");
	p.id = argv[optind];
	if (!p.first_name || !p.last_name || !p.email)
		return cli_usage("practitioner add needs --first-name, --last-name and --email");
	if (key_file && (len = cli_read_key_file(key_file, key, sizeof key)) < 0)
		return (int)-len;
	st = practlink_practitioner_add(ctx, &p, len >= 0 ? key : NULL, len >= 0 ? (size_t)len : 0);
	explicit_bzero(key, sizeof key);
	if (st != PRACTLINK_OK)
		return cli_fail(ctx, st);
	if (o->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "added", p.id);
		cJSON_AddBoolToObject(doc, "new_pms_key", !key_file);
		cli_print_json(doc);
	}
	cli_say("added %s (", p.id);
	if (o->verbosity >= 0 && !o->json) {
		cli_put_text(stdout, p.first_name);
		putchar(' ');
		cli_put_text(stdout, p.last_name);
	}
	cli_say(")%s\n", key_file ? "" : " with a new PMS key");
	return 0;
}

struct import {
	practlink_ctx *ctx;
	const char *path;
	size_t added, unchanged, failed;
	practlink_status worst;
	cJSON *rows; /* --json: the rows skipped */
};

static void skipped(struct import *im, size_t line, practlink_status st, const char *msg,
		    const char *hint)
{
	im->failed++;
	im->worst = cli_worse(im->worst, st);
	fprintf(stderr, "practlink: %s:%zu: ", im->path, line);
	cli_put_text(stderr, msg);
	fprintf(stderr, "; row skipped\n");
	if (im->rows) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "line", (double)line);
		cJSON_AddStringToObject(r, "status", practlink_status_name(st));
		cJSON_AddStringToObject(r, "message", msg);
		cJSON_AddStringToObject(r, "hint", hint);
		cJSON_AddItemToArray(im->rows, r);
	}
}

static void import_row(void *arg, size_t line, size_t n, char **f, const char *problem)
{
	struct import *im = arg;
	practlink_status st;
	char msg[128];
	int same = 0;

	if (problem)
		return skipped(im, line, PRACTLINK_BAD_DATA, problem, "");
	if (n < 4 || n > 5) {
		snprintf(msg, sizeof msg, "expected 4 or 5 fields, found %zu", n);
		return skipped(im, line, PRACTLINK_USAGE, msg, "");
	}
	practlink_person p = { f[0] ? f[0] : "", f[1], f[2], f[3], NULL };
	const char *key = n == 5 && f[4] && *f[4] ? f[4] : NULL;
	st = practlink_practitioner_import(im->ctx, &p, key, key ? strlen(key) : 0, &same);
	if (st != PRACTLINK_OK)
		return skipped(im, line, st, practlink_errmsg(im->ctx), practlink_errhint(im->ctx));
	if (same)
		im->unchanged++;
	else
		im->added++;
}

static int import(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	static const char *const header[] = { "id", "first_name", "last_name", "email", "pms_key" };
	static const struct option none[] = { { 0 } };
	struct import im = { ctx, NULL, 0, 0, 0, PRACTLINK_OK, NULL };
	int rc;

	if (cli_getopt(argc, argv, "", none) != -1)
		return practlink_exit_code(PRACTLINK_USAGE);
	if (argc - optind != 1)
		return cli_usage("practitioner import takes one FILE.csv");
	im.path = argv[optind];
	im.rows = o->json ? cJSON_CreateArray() : NULL;
	size_t lost = 0;
	practlink_status st = practlink_import_begin(ctx);
	if (st != PRACTLINK_OK) {
		cJSON_Delete(im.rows);
		return cli_fail(ctx, st);
	}
	/* Made durable a batch at a time; all of it once commit returns. */
	rc = cli_csv_read(im.path, header, 4, 1, "pms_key", import_row, &im);
	st = practlink_import_commit(ctx, &lost);
	if (rc > 0) {
		cJSON_Delete(im.rows);
		return rc;
	}
	if (st != PRACTLINK_OK) {
		cJSON_Delete(im.rows);
		im.added -= lost < im.added ? lost : im.added;
		fprintf(stderr, "practlink: %zu practitioner%s imported before this\n", im.added,
			im.added == 1 ? "" : "s");
		return cli_fail(ctx, st);
	}
	if (o->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "file", im.path);
		cJSON_AddNumberToObject(doc, "added", (double)im.added);
		cJSON_AddNumberToObject(doc, "unchanged", (double)im.unchanged);
		cJSON_AddNumberToObject(doc, "skipped", (double)im.failed);
		cJSON_AddItemToObject(doc, "failed", im.rows);
		cli_print_json(doc);
	}
	cli_say("imported %zu practitioner%s from %s", im.added, im.added == 1 ? "" : "s", im.path);
	if (im.unchanged)
		cli_say("; %zu unchanged", im.unchanged);
	if (im.failed)
		cli_say("; %zu row%s skipped (see above)", im.failed, im.failed == 1 ? "" : "s");
	cli_say("\n");
	return practlink_exit_code(im.worst);
}

/* --- list and show ----------------------------------------------------------- */

/* Every practitioner with their links, as cJSON objects sorted by id. */
struct people {
	cJSON *all; /* array */
	const char *integration;
};

static cJSON *link_object(const practlink_link_info *in)
{
	cJSON *l = cJSON_CreateObject();
	char t[32];

	cJSON_AddStringToObject(l, "state", in->state);
	if (in->unlink_pending)
		cJSON_AddStringToObject(l, "note", "unlink pending: run practlink unlink again");
	else if (in->rotation_pending)
		cJSON_AddStringToObject(l, "note", "rotation pending; old keys in use");
	if (in->user_id)
		cJSON_AddStringToObject(l, "user_id", in->user_id);
	if (in->linked_at)
		cJSON_AddStringToObject(l, "linked_at", cli_time(in->linked_at, t));
	if (in->verified_at)
		cJSON_AddStringToObject(l, "verified_at", cli_time(in->verified_at, t));
	if (in->key_hint)
		cJSON_AddStringToObject(l, "key_hint", in->key_hint);
	if (in->error != PRACTLINK_OK) {
		cJSON *e = cJSON_AddObjectToObject(l, "error");
		cJSON_AddStringToObject(e, "status", practlink_status_name(in->error));
		if (in->error_step)
			cJSON_AddStringToObject(e, "step", in->error_step);
		cJSON_AddStringToObject(e, "message", in->error_message ? in->error_message : "");
		cJSON_AddStringToObject(e, "hint", in->error_hint ? in->error_hint : "");
	}
	return l;
}

static practlink_status gather(void *arg, const practlink_link_info *in)
{
	struct people *pp = arg;
	int n = cJSON_GetArraySize(pp->all);
	cJSON *p = n ? cJSON_GetArrayItem(pp->all, n - 1) : NULL;
	char t[32];

	if (!p || strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "id")), in->id) != 0) {
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "id", in->id);
		cJSON_AddStringToObject(p, "first_name", in->first_name ? in->first_name : "");
		cJSON_AddStringToObject(p, "last_name", in->last_name ? in->last_name : "");
		cJSON_AddStringToObject(p, "email", in->email ? in->email : "");
		if (in->created_at)
			cJSON_AddStringToObject(p, "created_at", cli_time(in->created_at, t));
		cJSON_AddObjectToObject(p, "links");
		cJSON_AddItemToArray(pp->all, p);
	}
	cJSON_AddItemToObject(cJSON_GetObjectItem(p, "links"), in->integration, link_object(in));
	return PRACTLINK_OK;
}

static const char *text_of(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
	return s ? s : "-";
}

static void full_name(const cJSON *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s", text_of(p, "first_name"), text_of(p, "last_name"));
}

static practlink_status print_id(void *arg, const char *id)
{
	return puts(id) == EOF ? PRACTLINK_INTERNAL : PRACTLINK_OK;
}

/* list --ids: ids only, in order, without reading a record. */
static int list_ids(practlink_ctx *ctx)
{
	practlink_status st = practlink_practitioner_each(ctx, print_id, NULL);

	return st == PRACTLINK_OK ? 0 : cli_fail(ctx, st);
}

/* The list is printed a practitioner at a time, as their links come in id
 * order: the table in two passes, the first for its widths; none kept. */
struct listing {
	struct people pp; /* the practitioner in hand, in pp.all */
	struct cli_stream json;
	bool json_out, widths_only;
	size_t w_id, w_name, w_email, people;
};

/* Shows (or measures) the practitioner in hand, and lets go of them. */
static void flush_person(struct listing *ls)
{
	cJSON *p = cJSON_DetachItemFromArray(ls->pp.all, 0), *l;
	char name[600];

	if (!p)
		return;
	ls->people++;
	full_name(p, name, sizeof name);
	if (ls->widths_only) {
		ls->w_id = cli_width(text_of(p, "id")) > ls->w_id ? cli_width(text_of(p, "id"))
								  : ls->w_id;
		ls->w_name = cli_width(name) > ls->w_name ? cli_width(name) : ls->w_name;
		ls->w_email = cli_width(text_of(p, "email")) > ls->w_email
				      ? cli_width(text_of(p, "email"))
				      : ls->w_email;
	} else if (ls->json_out) {
		cli_stream_item(&ls->json, p);
		return;
	} else {
		cli_put_cell(text_of(p, "id"), ls->w_id + 2);
		cli_put_cell(name, ls->w_name + 2);
		cli_put_cell(text_of(p, "email"), ls->w_email + 2);
		cJSON_ArrayForEach(l, cJSON_GetObjectItem(p, "links"))
		{
			printf("%s%s=%s", l == cJSON_GetObjectItem(p, "links")->child ? "" : " ",
			       l->string, text_of(l, "state"));
		}
		printf("\n");
	}
	cJSON_Delete(p);
}

static practlink_status list_link(void *arg, const practlink_link_info *in)
{
	struct listing *ls = arg;
	const cJSON *p = cJSON_GetArrayItem(ls->pp.all, 0);

	if (p && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "id")), in->id) != 0)
		flush_person(ls);
	return gather(&ls->pp, in);
}

static practlink_status list_pass(practlink_ctx *ctx, struct listing *ls)
{
	practlink_status st = practlink_status_each(ctx, NULL, NULL, list_link, ls);

	flush_person(ls);
	return st;
}

static int list(practlink_ctx *ctx, const struct opts *o)
{
	struct listing ls = { .pp = { cJSON_CreateArray(), NULL },
			      .json_out = o->json,
			      .w_id = 2,
			      .w_name = 4,
			      .w_email = 5 };
	practlink_status st = PRACTLINK_OK;

	if (!o->json) {
		ls.widths_only = true;
		st = list_pass(ctx, &ls);
		if (st != PRACTLINK_OK && ls.people == 0) {
			cJSON_Delete(ls.pp.all);
			return cli_fail(ctx, st); /* nothing to show: only why */
		}
		ls.widths_only = false;
		ls.people = 0;
		cli_put_cell("ID", ls.w_id + 2);
		cli_put_cell("NAME", ls.w_name + 2);
		cli_put_cell("EMAIL", ls.w_email + 2);
		printf("LINKS\n");
	}
	st = list_pass(ctx, &ls);
	if (o->json && (st == PRACTLINK_OK || ls.people))
		cli_stream_end(&ls.json);
	cJSON_Delete(ls.pp.all);
	return st == PRACTLINK_OK ? 0 : cli_fail(ctx, st);
}

static void show_line(const char *label, const char *value)
{
	printf("  %-12s ", label);
	cli_put_text(stdout, value);
	printf("\n");
}

static int show(practlink_ctx *ctx, const struct opts *o, const char *id)
{
	struct people pp = { cJSON_CreateArray(), NULL };
	practlink_status st = practlink_status_each(ctx, id, NULL, gather, &pp);
	const cJSON *p = cJSON_GetArrayItem(pp.all, 0), *l, *e;
	char name[600];

	if (st != PRACTLINK_OK || !p) {
		cJSON_Delete(pp.all);
		return cli_fail(ctx, st != PRACTLINK_OK ? st : PRACTLINK_NOT_FOUND);
	}
	if (o->json) {
		cli_print_json(cJSON_DetachItemFromArray(pp.all, 0));
		cJSON_Delete(pp.all);
		return 0;
	}
	full_name(p, name, sizeof name);
	show_line("id", text_of(p, "id"));
	show_line("name", name);
	show_line("email", text_of(p, "email"));
	show_line("created", text_of(p, "created_at"));
	cJSON_ArrayForEach(l, cJSON_GetObjectItem(p, "links"))
	{
		printf("%s:\n", l->string);
		show_line("state", text_of(l, "state"));
		if (cJSON_GetObjectItem(l, "note"))
			show_line("note", text_of(l, "note"));
		show_line("user", text_of(l, "user_id"));
		show_line("linked", text_of(l, "linked_at"));
		show_line("verified", text_of(l, "verified_at"));
		show_line("key", cJSON_GetObjectItem(l, "key_hint") ? text_of(l, "key_hint") : "-");
		if ((e = cJSON_GetObjectItem(l, "error"))) {
			char what[1200];
			snprintf(what, sizeof what, "%s: %s", text_of(e, "status"),
				 text_of(e, "message"));
			show_line("last error", what);
			if (*text_of(e, "hint") && strcmp(text_of(e, "hint"), "-") != 0)
				show_line("hint", text_of(e, "hint"));
		}
	}
	cJSON_Delete(pp.all);
	return 0;
}

/* --- remove ------------------------------------------------------------------ */

struct linked {
	char names[8][65];
	size_t n;
};

static practlink_status note_linked(void *arg, const practlink_link_info *in)
{
	struct linked *ln = arg;

	if (strcmp(in->state, "unlinked") != 0 && ln->n < 8)
		snprintf(ln->names[ln->n++], sizeof ln->names[0], "%s", in->integration);
	return PRACTLINK_OK;
}

static int remove_one(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	struct linked ln = { .n = 0 };
	practlink_status st;
	bool force = false;
	char msg[1024];
	int c;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (c != 'f')
			return practlink_exit_code(PRACTLINK_USAGE);
		force = true;
	}
	if (argc - optind != 1)
		return cli_usage("practitioner remove takes one ID");
	const char *id = argv[optind];
	if ((st = practlink_status_each(ctx, id, NULL, note_linked, &ln)) != PRACTLINK_OK)
		return cli_fail(ctx, st);
	if (ln.n && !force) {
		snprintf(msg, sizeof msg,
			 "%s still has a link on %s; removing it would leave the platform "
			 "holding keys no one can revoke",
			 id, ln.names[0]);
		return cli_fail_with(PRACTLINK_USAGE, msg,
				     "unlink first (practlink unlink ID -i INTEGRATION), or remove "
				     "with --force, which unlinks every link first");
	}
	for (size_t i = 0; i < ln.n; i++) {
		practlink_assist *manual = NULL;
		if ((st = practlink_unlink(ctx, id, ln.names[i], &manual)) != PRACTLINK_OK)
			return cli_fail(ctx, st);
		if (practlink_assist_count(manual) && !o->json) {
			fprintf(stderr, "%s has no API to revoke the link of %s; do it by hand:\n",
				ln.names[i], id);
			for (size_t k = 0; k < practlink_assist_count(manual); k++)
				fprintf(stderr, "  %zu. %s\n", k + 1,
					practlink_assist_text(manual, k));
		}
		practlink_assist_free(manual);
	}
	if ((st = practlink_practitioner_remove(ctx, id)) != PRACTLINK_OK)
		return cli_fail(ctx, st);
	if (o->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "removed", id);
		cJSON_AddNumberToObject(doc, "links_removed", (double)ln.n);
		cli_print_json(doc);
	}
	cli_say("removed %s\n", id);
	return 0;
}

int cmd_practitioner(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	static const char *const subs[] = { "add", "import", "list", "show", "remove" };
	const char *sub = argc > 1 ? argv[1] : "";
	const char *near;

	if (strcmp(sub, "add") == 0)
		return add(ctx, o, argc - 1, argv + 1);
	if (strcmp(sub, "import") == 0)
		return import(ctx, o, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0 && argc == 2)
		return list(ctx, o);
	if (strcmp(sub, "list") == 0 && argc == 3 && strcmp(argv[2], "--ids") == 0)
		return list_ids(ctx);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return show(ctx, o, argv[2]);
	if (strcmp(sub, "remove") == 0)
		return remove_one(ctx, o, argc - 1, argv + 1);
	if (*sub && (near = cli_nearest(sub, subs, sizeof subs / sizeof subs[0])) &&
	    strcmp(near, sub) != 0)
		return cli_usage("unknown 'practitioner %s'; did you mean '%s'?", sub, near);
	return cli_usage("practitioner needs add, import, list, show ID or remove ID");
}
