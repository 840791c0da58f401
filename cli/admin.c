/* SPDX-License-Identifier: MIT */
/* admin.c - the commands about practlink itself: modules, doctor, keygen. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
	static const struct option longopts[] = { { "names", no_argument, NULL, 'n' }, { 0 } };
	practlink_status worst = PRACTLINK_OK;
	size_t n = practlink_integration_count(ctx);
	cJSON *doc;
	int c;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (c != 'n')
			return practlink_exit_code(PRACTLINK_USAGE);
		/* --names: the integrations' names only, for scripts and completion. */
		for (size_t i = 0; i < n; i++)
			puts(practlink_integration_name(ctx, i));
		return 0;
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	doc = o->json ? cJSON_CreateArray() : NULL;
	if (!o->json)
		printf("%-16s %-12s %-4s %-8s %s\n", "INTEGRATION", "MODULE", "ABI", "VERSION",
		       "PATH OR ERROR");
	for (size_t i = 0; i < n; i++) {
		practlink_integration_info in = { .size = sizeof in };

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
				cJSON_AddBoolToObject(m, "isolated", in.isolated);
				cJSON_AddNullToObject(m, "error");
			} else {
				cJSON_AddStringToObject(m, "error", in.load_error);
			}
			cJSON_AddItemToArray(doc, m);
		} else if (in.load_status == PRACTLINK_OK) {
			printf("%-16s %-12s %-4u %-8s %s%s\n", in.name, in.module, in.abi,
			       in.version, in.module_path,
			       in.isolated ? " (isolated: through practlink-module-host)" : "");
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
	bool quiet; /* -q: only what is wrong */
};

/* One finding; hint NULL: the status's own. */
static void check_hint(struct report *r, practlink_status st, bool fatal, const char *what,
		       const char *detail, const char *hint)
{
	const char *mark = st == PRACTLINK_OK ? "ok" : fatal ? "FAIL" : "warn";

	hint = st == PRACTLINK_OK ? "" : hint ? hint : practlink_hint(st);
	if (r->quiet && st == PRACTLINK_OK)
		return;

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
	printf("%-4s  ", mark);
	cli_put_text(stdout, what);
	printf(": ");
	cli_put_text(stdout, detail);
	printf("\n");
	if (*hint) {
		printf("      hint: ");
		cli_put_text(stdout, hint);
		printf("\n");
	}
}

static void check(struct report *r, practlink_status st, bool fatal, const char *what,
		  const char *detail)
{
	check_hint(r, st, fatal, what, detail, NULL);
}

/* A finding from the library: its message and the hint for its cause. */
static void check_ctx(struct report *r, practlink_ctx *ctx, practlink_status st, const char *what)
{
	check_hint(r, st, true, what, practlink_errmsg(ctx), practlink_errhint(ctx));
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
static void doctor_practitioner(practlink_ctx *ctx, struct report *r, const char *id,
				size_t enabled)
{
	char what[200], detail[1400], opt[80];
	bool profile_shown = false;

	for (size_t i = 0; i < practlink_integration_count(ctx); i++) {
		practlink_integration_info in = { .size = sizeof in };
		struct seen_link l = { "", "" };
		practlink_status st;

		practlink_integration_get(ctx, i, &in);
		if (!in.enabled)
			continue;
		/* The commands suggested must work as written. */
		snprintf(opt, sizeof opt, "%s%s", enabled > 1 ? " -i " : "",
			 enabled > 1 ? in.name : "");
		st = practlink_status_each(ctx, id, in.name, seen, &l);
		if (st != PRACTLINK_OK) {
			snprintf(what, sizeof what, "practitioner %s", id);
			check_ctx(r, ctx, st, what);
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
			practlink_assist *plan = NULL;
			st = practlink_link_plan(ctx, id, in.name, &plan);
			practlink_assist_free(plan);
			if (st == PRACTLINK_OK)
				snprintf(detail, sizeof detail,
					 "%s; ready to link: practlink link %s%s", l.state, id,
					 opt);
			else
				snprintf(detail, sizeof detail, "%s", practlink_errmsg(ctx));
			check_hint(r, st, true, what, detail, practlink_errhint(ctx));
		} else if (st == PRACTLINK_OK) {
			check(r, st, true, what, "linked, and the platform accepts the keys now");
		} else {
			check_ctx(r, ctx, st, what);
		}
		/* Where else the keys work, if the module can tell. */
		if (st == PRACTLINK_AUTH &&
		    practlink_diagnose(ctx, id, in.name, detail, sizeof detail) == PRACTLINK_OK &&
		    detail[0])
			check_hint(r, st, true, what, detail, practlink_errhint(ctx));
	}
}

/* The store: there, closed to others, and each record with it. */
static void doctor_store(practlink_ctx *ctx, struct report *r)
{
	const char *path = practlink_store_path(ctx);
	char detail[4400], sub[4200];
	size_t open_records = 0, records = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (!path)
		return; /* the host's own store */
	if (stat(path, &st) < 0) {
		/* Not made yet is a new clinic, not a fault; anything else is. */
		snprintf(detail, sizeof detail, "%s: %s", path,
			 errno == ENOENT ? "not created yet" : strerror(errno));
		check_hint(r, errno == ENOENT ? PRACTLINK_CONFIG : PRACTLINK_STORE, errno != ENOENT,
			   "store", detail,
			   "'practlink practitioner add' or 'practitioner import' creates it; "
			   "if the path is mistyped, correct store.path");
		return;
	}
	if (st.st_mode & 077) {
		snprintf(detail, sizeof detail, "%s: open to others (mode %04o); it holds keys",
			 path, (unsigned)st.st_mode & 07777);
		snprintf(sub, sizeof sub, "run: chmod 700 %s", path);
		check_hint(r, PRACTLINK_PERMISSION, true, "store", detail, sub);
		return;
	}
	snprintf(sub, sizeof sub, "%s/practitioners", path);
	if ((d = opendir(sub))) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			records++;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    (st.st_mode & 077))
				open_records++;
		}
		closedir(d);
	}
	if (open_records) {
		snprintf(detail, sizeof detail,
			 "%zu of %zu records in %s are open to others; they hold keys",
			 open_records, records, sub);
		snprintf(sub, sizeof sub, "run: chmod 600 %s/practitioners/*.json", path);
		check_hint(r, PRACTLINK_PERMISSION, true, "store", detail, sub);
		return;
	}
	snprintf(detail, sizeof detail, "%s (mode 0700, %zu practitioner%s)", path, records,
		 records == 1 ? "" : "s");
	check(r, PRACTLINK_OK, true, "store", detail);
	/* What a killed writer left: reported, and removed (it may hold keys). */
	size_t removed = 0;
	if (practlink_store_clean(ctx, &removed) == PRACTLINK_OK && removed) {
		snprintf(detail, sizeof detail,
			 "removed %zu temporary record%s left by an interrupted write", removed,
			 removed == 1 ? "" : "s");
		check(r, PRACTLINK_STORE, false, "store", detail);
	}
}

int cmd_doctor(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	struct report r = { o->json ? cJSON_CreateArray() : NULL, PRACTLINK_OK, o->verbosity < 0 };
	practlink_status st;
	const char *file;
	size_t n, enabled = 0;
	int rc;

	if ((rc = no_options(argc, argv, 1)) >= 0) {
		cJSON_Delete(r.checks);
		return rc;
	}
	st = practlink_load_config(ctx, o->config);
	if (st != PRACTLINK_OK) {
		check_ctx(&r, ctx, st, "configuration");
		goto out;
	}
	for (size_t i = 0; (file = practlink_config_file(ctx, i)); i++)
		check_path(&r, "config file", file);
	check_path(&r, "module_dir", practlink_module_dir(ctx));
	doctor_store(ctx, &r);
	n = practlink_integration_count(ctx);
	for (size_t i = 0; i < n; i++) {
		practlink_integration_info in = { .size = sizeof in };
		char what[128], detail[1200];

		practlink_integration_get(ctx, i, &in);
		snprintf(what, sizeof what, "integration %s", in.name);
		if (!in.enabled) {
			snprintf(detail, sizeof detail, "disabled in %s", in.file);
			check(&r, PRACTLINK_DISABLED, false, what, detail);
			continue;
		}
		enabled++;
		st = practlink_integration_check(ctx, i);
		if (st == PRACTLINK_OK) {
			snprintf(detail, sizeof detail, "enabled; module %s %s loads and opens",
				 in.module, in.version);
			check(&r, st, true, what, detail);
		} else {
			check_ctx(&r, ctx, st, what);
			continue;
		}
		/* Whether the platform answers at all, before any key is tried. */
		st = practlink_integration_probe(ctx, i, detail, sizeof detail);
		if (st != PRACTLINK_OK)
			check_ctx(&r, ctx, st, what);
		else if (detail[0])
			check(&r, st, true, what, detail);
	}
	if (enabled == 0)
		check_hint(&r, PRACTLINK_DISABLED, true, "integrations",
			   n ? "none is enabled: nothing can be linked"
			     : "none configured: add a file to integrations.d",
			   n ? NULL : "add NAME.conf to integrations.d (see practlink.conf(5))");
	if (optind < argc)
		doctor_practitioner(ctx, &r, argv[optind], enabled);
out:
	if (o->json)
		cli_print_json(r.checks);
	else if (r.quiet == false && r.worst == PRACTLINK_OK)
		printf("\nall checks passed\n");
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
