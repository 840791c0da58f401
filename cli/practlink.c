/*
 * practlink(1) - link practitioners' PMS profiles with exercise platforms.
 *
 * main() reads the global options, loads the configuration the command
 * needs and hands over to one cmd_* function. Output for people goes to
 * stdout as a table, or as one JSON document with --json; messages go to
 * stderr. The exit code is the status's, from practlink-status.def.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "practlink.h"

struct opts {
	const char *config;
	const char *module_dir;
	bool json;
	int verbosity; /* -1 quiet, 0, 1 verbose */
};

struct command {
	const char *name;
	int (*run)(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);
	const char *usage;
	const char *help;
	bool needs_config;
};

static const char *const level_words[] = {
	"", "", "", "error", "warning", "notice", "info", "debug"
};

static void log_to_stderr(void *data, int level, const char *msg)
{
	fprintf(stderr, "practlink: %s: %s\n", level_words[level & 7], msg);
}

static int fail(practlink_ctx *ctx, practlink_status st)
{
	const char *hint = practlink_hint(st);

	fprintf(stderr, "practlink: %s\n", ctx ? practlink_errmsg(ctx) : practlink_strerror(st));
	if (*hint)
		fprintf(stderr, "practlink: hint: %s\n", hint);
	return practlink_exit_code(st);
}

static int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "practlink: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: practlink %s\n", cmd->usage);
	return practlink_exit_code(PRACTLINK_USAGE);
}

/* Prints doc and returns JSON to stdout; frees it. */
static void print_json(cJSON *doc)
{
	char *text = cJSON_Print(doc);

	if (text)
		puts(text);
	free(text);
	cJSON_Delete(doc);
}

/* Checks the arguments of a command that takes no options (main has
 * answered --help already). Returns -1 to go on, else the exit code. */
static int command_options(const struct command *cmd, int argc, char **argv, int max_args)
{
	optind = 1;
	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--") != 0)
		return usage_error(cmd, "%s: unknown option", argv[1]);
	if (argc > 1 && strcmp(argv[1], "--") == 0)
		optind = 2;
	if (argc - optind > max_args)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind + max_args]);
	return -1;
}

static const struct command *find_command(const char *name);

static int cmd_modules(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	practlink_status worst = PRACTLINK_OK;
	size_t n = practlink_integration_count(ctx);
	cJSON *doc = o->json ? cJSON_CreateArray() : NULL;
	int rc;

	if ((rc = command_options(find_command("modules"), argc, argv, 0)) >= 0)
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
		print_json(doc);
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

static int cmd_doctor(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	struct report r = { o->json ? cJSON_CreateArray() : NULL, PRACTLINK_OK };
	practlink_status st;
	const char *file;
	size_t n;
	int rc;

	if ((rc = command_options(find_command("doctor"), argc, argv, 0)) >= 0) {
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
out:
	if (o->json)
		print_json(r.checks);
	return practlink_exit_code(r.worst);
}

static int cmd_keygen(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	char key[41];
	int rc;

	if ((rc = command_options(find_command("keygen"), argc, argv, 0)) >= 0)
		return rc;
	if (practlink_keygen(key, sizeof key) != PRACTLINK_OK)
		return fail(NULL, PRACTLINK_INTERNAL);
	if (o->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "pms_key", key);
		print_json(doc);
	} else {
		puts(key);
	}
	explicit_bzero(key, sizeof key);
	return 0;
}

static const struct command commands[] = {
	{ "modules", cmd_modules, "modules",
	  "Lists each integration's module: its ABI, version and path, or why it\n"
	  "cannot be loaded. Exits non-zero when a module cannot be loaded.",
	  true },
	{ "doctor", cmd_doctor, "doctor",
	  "Checks every precondition of a link: the configuration files and their\n"
	  "permissions, the module folder, and each integration (enabled, module\n"
	  "loads, settings valid). Says what to fix.",
	  false },
	{ "keygen", cmd_keygen, "keygen",
	  "Prints one new PMS key: 40 letters (upper and lower case) and digits\n"
	  "from the kernel's random source.",
	  false },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void print_usage(FILE *f)
{
	fprintf(f, "usage: practlink [--config FILE] [--module-dir DIR] [--json] [-q|-v] "
		   "COMMAND ...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\n'practlink COMMAND --help' says more of each.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "module-dir", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct opts o = { 0 };
	const struct command *cmd;
	practlink_ctx *ctx = NULL;
	practlink_status st;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'm': o.module_dir = optarg; break;
		case 'j': o.json = true; break;
		case 'q': o.verbosity = -1; break;
		case 'v': o.verbosity = 1; break;
		case 'h': print_usage(stdout); return 0;
		case 'V':
			printf("practlink %s (module ABI %d)\n", PACKAGE_VERSION,
			       PRACTLINK_MODULE_ABI);
			return 0;
		default: print_usage(stderr); return practlink_exit_code(PRACTLINK_USAGE);
		}
	}
	if (optind >= argc) {
		print_usage(stderr);
		return practlink_exit_code(PRACTLINK_USAGE);
	}
	if (!(cmd = find_command(argv[optind]))) {
		fprintf(stderr, "practlink: unknown command '%s'\n", argv[optind]);
		print_usage(stderr);
		return practlink_exit_code(PRACTLINK_USAGE);
	}

	for (int i = optind + 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: practlink %s\n\n%s\n", cmd->usage, cmd->help);
			return 0;
		}

	if ((st = practlink_new(&ctx)) != PRACTLINK_OK)
		return fail(NULL, st);
	practlink_set_log(ctx,
			  o.verbosity < 0   ? PRACTLINK_LOG_ERR
			  : o.verbosity > 0 ? PRACTLINK_LOG_DEBUG
					    : -1,
			  log_to_stderr, NULL);
	if (o.module_dir)
		practlink_set_module_dir(ctx, o.module_dir);
	if (cmd->needs_config && (st = practlink_load_config(ctx, o.config)) != PRACTLINK_OK) {
		rc = fail(ctx, st);
		practlink_free(ctx);
		return rc;
	}
	rc = cmd->run(ctx, &o, argc - optind, argv + optind);
	practlink_free(ctx);
	return rc;
}
