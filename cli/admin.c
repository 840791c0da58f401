/* admin.c - the commands about practlink itself: modules, doctor, keygen. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* For commands that take no options: -1 to go on, else the exit code. */
static int no_options(int argc, char **argv, int max_args)
{
	static const struct option none[] = { { 0 } };
	int c;

	while ((c = cli_getopt(argc, argv, "", none)) != -1)
		return practlink_exit_code(PRACTLINK_USAGE);
	if (argc - optind > max_args)
		return cli_usage("unexpected argument '%s'", argv[optind + max_args]);
	return -1;
}

int cmd_modules(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	practlink_status worst = PRACTLINK_OK;
	size_t n = practlink_integration_count(ctx);
	cJSON *doc = o->json ? cJSON_CreateArray() : NULL;
	int rc;

	if ((rc = no_options(argc, argv, 0)) >= 0)
		return rc;
	if (!o->json)
		printf("%-16s %-12s %-4s %-8s %s\n", "INTEGRATION", "MODULE", "ABI", "VERSION",
		       "PATH OR ERROR");
	for (size_t i = 0; i < n; i++) {
		practlink_integration_info in;

		practlink_integration_get(ctx, i, &in);
		if (in.load_status != PRACTLINK_OK &&
		    practlink_exit_code(in.load_status) > practlink_exit_code(worst))
			worst = in.load_status;
		if (o->json) {
			cJSON *m = cJSON_CreateObject();
			cJSON_AddStringToObject(m, "integration", in.name);
			cJSON_AddStringToObject(m, "module", in.module);
			cJSON_AddBoolToObject(m, "enabled", in.enabled);
			if (in.load_status == PRACTLINK_OK) {
				cJSON_AddNumberToObject(m, "abi", in.abi);
				cJSON_AddStringToObject(m, "version", in.version);
				cJSON_AddStringToObject(m, "description", in.description);
				cJSON_AddStringToObject(m, "path", in.module_path);
				cJSON_AddNullToObject(m, "error");
			} else {
				cJSON_AddStringToObject(m, "error", in.load_error);
			}
			cJSON_AddItemToArray(doc, m);
		} else if (in.load_status == PRACTLINK_OK) {
			printf("%-16s %-12s %-4u %-8s %s\n", in.name, in.module, in.abi, in.version,
			       in.module_path);
		} else {
			printf("%-16s %-12s %-4s %-8s error: %s\n", in.name, in.module, "-", "-",
			       in.load_error);
		}
	}
	if (o->json)
		cli_print_json(doc);
	else if (n == 0)
		printf("(no integrations configured)\n");
	return practlink_exit_code(worst);
}

/* One line of doctor's report, and its JSON twin. */
struct report {
	cJSON *checks;
	practlink_status worst;
};

static void check(struct report *r, practlink_status st, bool fatal, const char *what,
		  const char *detail)
{
	const char *hint = st == PRACTLINK_OK ? "" : practlink_hint(st);
	const char *mark = st == PRACTLINK_OK ? "ok" : fatal ? "FAIL" : "warn";

	if (fatal && practlink_exit_code(st) > practlink_exit_code(r->worst))
		r->worst = st;
	if (r->checks) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "check", what);
		cJSON_AddStringToObject(c, "result", mark);
		cJSON_AddStringToObject(c, "detail", detail);
		if (st != PRACTLINK_OK) {
			cJSON_AddStringToObject(c, "status", practlink_status_name(st));
			cJSON_AddStringToObject(c, "hint", hint);
		}
		cJSON_AddItemToArray(r->checks, c);
		return;
	}
	printf("%-4s  %s: %s\n", mark, what, detail);
	if (*hint)
		printf("      hint: %s\n", hint);
}

static void check_path(struct report *r, const char *what, const char *path)
{
	char detail[4200];
	struct stat st;

	if (lstat(path, &st) < 0) {
		snprintf(detail, sizeof detail, "%s: missing", path);
		check(r, PRACTLINK_CONFIG, true, what, detail);
		return;
	}
	snprintf(detail, sizeof detail, "%s (mode %04o, owner uid %u)", path,
		 (unsigned)st.st_mode & 07777, (unsigned)st.st_uid);
	check(r, PRACTLINK_OK, true, what, detail);
}

/* What doctor needs of one link, copied out of status's callback. */
struct seen_link {
	char state[16];
	char who[400];
};

static practlink_status seen(void *arg, const practlink_link_info *in)
{
	struct seen_link *l = arg;

	snprintf(l->state, sizeof l->state, "%s", in->state);
	snprintf(l->who, sizeof l->who, "%s %s <%s>", in->first_name, in->last_name, in->email);
	return PRACTLINK_OK;
}

/* The seed's preconditions for one practitioner on each enabled
 * integration: the right profile, a user on the platform, a working link. */
static void doctor_practitioner(practlink_ctx *ctx, struct report *r, const char *id)
{
	char what[200], detail[1400];
	bool profile_shown = false;

	for (size_t i = 0; i < practlink_integration_count(ctx); i++) {
		practlink_integration_info in;
		struct seen_link l = { "", "" };
		practlink_status st;

		practlink_integration_get(ctx, i, &in);
		if (!in.enabled)
			continue;
		st = practlink_status_each(ctx, id, in.name, seen, &l);
		if (st != PRACTLINK_OK) {
			snprintf(what, sizeof what, "practitioner %s", id);
			check(r, st, true, what, practlink_errmsg(ctx));
			return;
		}
		if (!profile_shown) {
			snprintf(what, sizeof what, "practitioner %s", id);
			check(r, PRACTLINK_OK, true, what, l.who);
			profile_shown = true;
		}
		snprintf(what, sizeof what, "%s on %s", id, in.name);
		/* A link is proved by the platform; anything else is dry-run. */
		st = strcmp(l.state, "linked") == 0 || strcmp(l.state, "failed") == 0
			     ? practlink_verify(ctx, id, in.name)
			     : PRACTLINK_NOT_LINKED;
		if (st == PRACTLINK_NOT_LINKED) {
			st = practlink_link(ctx, id, in.name, PRACTLINK_LINK_DRY_RUN);
			snprintf(detail, sizeof detail,
				 st == PRACTLINK_OK ? "%s; ready to link: practlink link %s" : "%s",
				 st == PRACTLINK_OK ? l.state : practlink_errmsg(ctx), id);
		} else {
			snprintf(detail, sizeof detail, "%s",
				 st == PRACTLINK_OK
					 ? "linked, and the platform accepts the keys now"
					 : practlink_errmsg(ctx));
		}
		check(r, st, true, what, detail);
		/* Where else the keys work, if the module can tell. */
		if (st == PRACTLINK_AUTH &&
		    practlink_diagnose(ctx, id, in.name, detail, sizeof detail) == PRACTLINK_OK &&
		    detail[0])
			check(r, st, true, what, detail);
	}
}

int cmd_doctor(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	struct report r = { o->json ? cJSON_CreateArray() : NULL, PRACTLINK_OK };
	practlink_status st;
	const char *file;
	size_t n;
	int rc;

	if ((rc = no_options(argc, argv, 1)) >= 0) {
		cJSON_Delete(r.checks);
		return rc;
	}
	st = practlink_load_config(ctx, o->config);
	if (st != PRACTLINK_OK) {
		check(&r, st, true, "configuration", practlink_errmsg(ctx));
		goto out;
	}
	for (size_t i = 0; (file = practlink_config_file(ctx, i)); i++)
		check_path(&r, "config file", file);
	check_path(&r, "module_dir", practlink_module_dir(ctx));
	n = practlink_integration_count(ctx);
	if (n == 0)
		check(&r, PRACTLINK_DISABLED, true, "integrations",
		      "none configured: add a file to integrations.d");
	for (size_t i = 0; i < n; i++) {
		practlink_integration_info in;
		char what[128], detail[1200];

		practlink_integration_get(ctx, i, &in);
		snprintf(what, sizeof what, "integration %s", in.name);
		if (!in.enabled) {
			snprintf(detail, sizeof detail, "disabled in %s", in.file);
			check(&r, PRACTLINK_DISABLED, false, what, detail);
			continue;
		}
		st = practlink_integration_check(ctx, i);
		if (st == PRACTLINK_OK)
			snprintf(detail, sizeof detail, "enabled; module %s %s loads and opens",
				 in.module, in.version);
		else
			snprintf(detail, sizeof detail, "%s", practlink_errmsg(ctx));
		check(&r, st, true, what, detail);
	}
	if (optind < argc)
		doctor_practitioner(ctx, &r, argv[optind]);
out:
	if (o->json)
		cli_print_json(r.checks);
	return practlink_exit_code(r.worst);
}

int cmd_keygen(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	char key[41];
	int rc;

	if ((rc = no_options(argc, argv, 0)) >= 0)
		return rc;
	if (practlink_keygen(key, sizeof key) != PRACTLINK_OK)
		return cli_fail(NULL, PRACTLINK_INTERNAL);
	if (o->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "pms_key", key);
		cli_print_json(doc);
	} else {
		puts(key);
	}
	explicit_bzero(key, sizeof key);
	return 0;
}
