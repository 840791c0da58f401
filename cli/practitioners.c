/* practitioners.c - practlink practitioner add | import | list | show | remove. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int add(practlink_ctx *ctx, int argc, char **argv)
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
		return practlink_exit_code(PRACTLINK_USAGE);
	st = practlink_practitioner_add(ctx, &p, len >= 0 ? key : NULL, len >= 0 ? (size_t)len : 0);
	explicit_bzero(key, sizeof key);
	if (st != PRACTLINK_OK)
		return cli_fail(ctx, st);
	printf("added %s (%s %s)%s\n", p.id, p.first_name, p.last_name,
	       key_file ? "" : " with a new PMS key");
	return 0;
}

struct import {
	practlink_ctx *ctx;
	const char *path;
	size_t added, failed;
	practlink_status worst;
};

static void import_row(void *arg, size_t line, size_t n, char **f)
{
	struct import *im = arg;
	practlink_status st;

	if (n < 4 || n > 5) {
		fprintf(stderr,
			"practlink: %s:%zu: expected 4 or 5 fields, found %zu; row skipped\n",
			im->path, line, n);
		im->failed++;
		im->worst = cli_worse(im->worst, PRACTLINK_USAGE);
		return;
	}
	practlink_person p = { f[0] ? f[0] : "", f[1], f[2], f[3], NULL };
	const char *key = n == 5 && f[4] && *f[4] ? f[4] : NULL;
	st = practlink_practitioner_add(im->ctx, &p, key, key ? strlen(key) : 0);
	if (st == PRACTLINK_OK) {
		im->added++;
		return;
	}
	fprintf(stderr, "practlink: %s:%zu: %s; row skipped\n", im->path, line,
		practlink_errmsg(im->ctx));
	im->failed++;
	im->worst = cli_worse(im->worst, st);
}

static int import(practlink_ctx *ctx, int argc, char **argv)
{
	static const char *const header[] = { "id", "first_name", "last_name", "email", "pms_key" };
	static const struct option none[] = { { 0 } };
	struct import im = { ctx, NULL, 0, 0, PRACTLINK_OK };

	if (cli_getopt(argc, argv, "", none) != -1)
		return practlink_exit_code(PRACTLINK_USAGE);
	if (argc - optind != 1)
		return cli_usage("practitioner import takes one FILE.csv");
	im.path = argv[optind];
	if (cli_csv_read(im.path, header, 4, 1, import_row, &im) < 0)
		return practlink_exit_code(PRACTLINK_USAGE);
	printf("imported %zu practitioner%s from %s", im.added, im.added == 1 ? "" : "s", im.path);
	if (im.failed)
		printf("; %zu row%s skipped (see above)", im.failed, im.failed == 1 ? "" : "s");
	printf("\n");
	return practlink_exit_code(im.worst);
}

/* Collects the status lines of one practitioner. */
struct listing {
	const struct opts *o;
	cJSON *doc;
	char last_id[80];
};

static practlink_status list_one(void *arg, const practlink_link_info *in)
{
	struct listing *l = arg;
	cJSON *p;

	if (strcmp(l->last_id, in->id) == 0) {
		if (l->o->json) {
			p = cJSON_GetArrayItem(l->doc, cJSON_GetArraySize(l->doc) - 1);
			cJSON_AddStringToObject(cJSON_GetObjectItem(p, "links"), in->integration,
						in->state);
		} else {
			printf(" %s=%s", in->integration, in->state);
		}
		return PRACTLINK_OK;
	}
	if (!l->o->json && l->last_id[0])
		printf("\n");
	snprintf(l->last_id, sizeof l->last_id, "%s", in->id);
	if (l->o->json) {
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "id", in->id);
		cJSON_AddStringToObject(p, "first_name", in->first_name ? in->first_name : "");
		cJSON_AddStringToObject(p, "last_name", in->last_name ? in->last_name : "");
		cJSON_AddStringToObject(p, "email", in->email ? in->email : "");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "links"), in->integration,
					in->state);
		cJSON_AddItemToArray(l->doc, p);
	} else {
		printf("%-16s %-28s %-32s %s=%s", in->id, in->first_name ? in->first_name : "?",
		       in->email ? in->email : "?", in->integration, in->state);
	}
	return PRACTLINK_OK;
}

static int list(practlink_ctx *ctx, const struct opts *o, const char *id)
{
	struct listing l = { o, o->json ? cJSON_CreateArray() : NULL, "" };
	practlink_status st;

	if (!o->json)
		printf("%-16s %-28s %-32s %s\n", "ID", "NAME", "EMAIL", "LINKS");
	st = practlink_status_each(ctx, id, NULL, list_one, &l);
	if (o->json)
		cli_print_json(l.doc);
	else if (l.last_id[0])
		printf("\n");
	return st == PRACTLINK_OK ? 0 : cli_fail(ctx, st);
}

int cmd_practitioner(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "add") == 0)
		return add(ctx, argc - 1, argv + 1);
	if (strcmp(sub, "import") == 0)
		return import(ctx, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0 && argc == 2)
		return list(ctx, o, NULL);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return list(ctx, o, argv[2]);
	if (strcmp(sub, "remove") == 0 && argc == 3) {
		practlink_status st = practlink_practitioner_remove(ctx, argv[2]);
		if (st != PRACTLINK_OK)
			return cli_fail(ctx, st);
		printf("removed %s\n", argv[2]);
		return 0;
	}
	return cli_usage("practitioner needs add, import, list, show ID or remove ID");
}
