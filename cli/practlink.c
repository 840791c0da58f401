/*
 * practlink(1) - link practitioners' PMS profiles with exercise platforms.
 *
 * main() reads the global options, loads the configuration and hands over
 * to one cmd_* function. Output for people goes to stdout as a table, or
 * as one JSON document with --json; messages go to stderr. The exit code
 * is the status's, from practlink-status.def.
 */
#include "cli.h"

#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct command *cli_command;

static const struct command commands[] = {
	{ "practitioner", cmd_practitioner,
	  "practitioner add ID --first-name F --last-name L --email E [--pms-key-file FILE|-]\n"
	  "       practitioner import FILE.csv\n"
	  "       practitioner list | show ID | remove ID",
	  "Manages the practitioners in the store. 'add' gives a new practitioner a\n"
	  "new PMS key unless --pms-key-file names the one the PMS holds (a file closed\n"
	  "to others, or - for standard input). 'import' reads a roster with the header\n"
	  "id,first_name,last_name,email[,pms_key]: each bad row is reported with its\n"
	  "line number and skipped, and the good rows go in." },
	{ "link", cmd_link,
	  "link (ID... | --all) [-i INTEGRATION] [-j JOBS] [--assisted] [--dry-run]\n"
	  "       [--backend-key-file FILE|-] [--backend-keys FILE.csv]",
	  "Links practitioners with the platform: the PMS key goes to the platform,\n"
	  "the platform's key comes back, the pair is verified and saved. Steps the\n"
	  "platform has no API for are shown to you, in its words, with the PMS key to\n"
	  "paste (on the terminal only); the platform's key is read without echo, or\n"
	  "from --backend-key-file, or for many practitioners from --backend-keys\n"
	  "(columns id,backend_key). --dry-run checks every precondition and changes\n"
	  "nothing. A link can be run again at any time: it resumes." },
	{ "unlink", cmd_unlink, "unlink ID [-i INTEGRATION]",
	  "Revokes the link on the platform (or says how to, when it has no API for\n"
	  "it) and forgets the platform's key. The practitioner's PMS key stays." },
	{ "verify", cmd_verify, "verify (ID... | --all) [-i INTEGRATION] [-j JOBS]",
	  "Proves each link with a real request to the platform that reads no patient\n"
	  "data, and records the result: the link health check, for cron." },
	{ "rotate", cmd_rotate, "rotate ID [-i INTEGRATION]",
	  "Gives the practitioner a new PMS key, exchanges and verifies it; the old\n"
	  "keys stay in use if any step fails." },
	{ "status", cmd_status, "status [ID] [-i INTEGRATION]",
	  "Shows each practitioner's link on each integration: state, platform user,\n"
	  "when linked and verified, the platform key's last four characters, and\n"
	  "the last error with its hint. Never a key." },
	{ "doctor", cmd_doctor, "doctor [ID]",
	  "Checks every precondition of a link: the configuration files and their\n"
	  "permissions, the module folder, each integration (enabled, module loads,\n"
	  "settings valid), and with ID that practitioner: profile, PMS key, user on\n"
	  "the platform, and the link itself. Says what to fix." },
	{ "modules", cmd_modules, "modules",
	  "Lists each integration's module: its ABI, version and path, or why it\n"
	  "cannot be loaded. Exits non-zero when a module cannot be loaded." },
	{ "keygen", cmd_keygen, "keygen",
	  "Prints one new PMS key: 40 letters (upper and lower case) and digits\n"
	  "from the kernel's random source." },
};

static const char *const level_words[] = {
	"", "", "", "error", "warning", "notice", "info", "debug"
};

static void log_to_stderr(void *data, int level, const char *msg)
{
	fprintf(stderr, "practlink: %s: %s\n", level_words[level & 7], msg);
}

int cli_fail(practlink_ctx *ctx, practlink_status st)
{
	const char *hint = practlink_hint(st);
	const char *msg = ctx ? practlink_errmsg(ctx) : "";

	fprintf(stderr, "practlink: %s\n", *msg ? msg : practlink_strerror(st));
	if (*hint)
		fprintf(stderr, "practlink: hint: %s\n", hint);
	return practlink_exit_code(st);
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "practlink: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cli_command)
		fprintf(stderr, "\nusage: practlink %s\n", cli_command->usage);
	else
		fprintf(stderr, "\n");
	return practlink_exit_code(PRACTLINK_USAGE);
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	char spec[64];
	int c;

	/* Options may follow the command's words: "link p1 -i mock". */
	snprintf(spec, sizeof spec, ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == '?') {
		cli_usage("%s: unknown option", argv[optind - 1]);
	} else if (c == ':') {
		cli_usage("%s needs a value", argv[optind - 1]);
		c = '?';
	}
	return c;
}

void cli_print_json(cJSON *doc)
{
	char *text = cJSON_Print(doc);

	if (text)
		puts(text);
	free(text);
	cJSON_Delete(doc);
}

practlink_status cli_worse(practlink_status a, practlink_status b)
{
	return practlink_exit_code(b) > practlink_exit_code(a) ? b : a;
}

const char *cli_time(long long t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0)
		return "-";
	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* Keys pass through this process: no core dump may carry them out, and
 * no other process of the same user may read its memory. */
static void keep_keys_in(void)
{
	struct rlimit none = { 0, 0 };

#ifndef __SANITIZE_ADDRESS__ /* LeakSanitizer must be able to ptrace us */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	setrlimit(RLIMIT_CORE, &none);
}

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
		{ "json", no_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct opts o = { 0 };
	practlink_ctx *ctx = NULL;
	practlink_status st;
	int c, rc;

	keep_keys_in();

	while ((c = getopt_long(argc, argv, "+qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'm': o.module_dir = optarg; break;
		case 'J': o.json = true; break;
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
	if (!(cli_command = find_command(argv[optind]))) {
		fprintf(stderr, "practlink: unknown command '%s'\n", argv[optind]);
		print_usage(stderr);
		return practlink_exit_code(PRACTLINK_USAGE);
	}
	for (int i = optind + 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: practlink %s\n\n%s\n", cli_command->usage,
			       cli_command->help);
			return 0;
		}

	if ((st = practlink_new(&ctx)) != PRACTLINK_OK)
		return cli_fail(NULL, st);
	practlink_set_log(ctx,
			  o.verbosity < 0   ? PRACTLINK_LOG_ERR
			  : o.verbosity > 0 ? PRACTLINK_LOG_DEBUG
					    : -1,
			  log_to_stderr, NULL);
	if (o.module_dir)
		practlink_set_module_dir(ctx, o.module_dir);
	/* doctor reports a broken configuration as one of its findings. */
	if (cli_command->run != cmd_doctor && cli_command->run != cmd_keygen &&
	    (st = practlink_load_config(ctx, o.config)) != PRACTLINK_OK) {
		rc = cli_fail(ctx, st);
		practlink_free(ctx);
		return rc;
	}
	int first = optind;
	optind = 0; /* 0, not 1: glibc starts its getopt afresh for the command */
	rc = cli_command->run(ctx, &o, argc - first, argv + first);
	practlink_free(ctx);
	return rc;
}
