/* SPDX-License-Identifier: MIT */
/*
 * practlink(1) - link practitioners' PMS profiles with exercise platforms.
 *
 * main() reads the global options, loads the configuration and hands over
 * to one cmd_* function. Output for people goes to stdout as a table, or
 * as one JSON document with --json; messages go to stderr. The exit code
 * is the status's, from practlink-status.def.
 */
#include "cli.h"

#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const struct command *cli_command;
struct opts cli_opts;
bool cli_json_printed;

static const struct command commands[] = {
	{ "practitioner", cmd_practitioner,
	  "practitioner add ID --first-name F --last-name L --email E [--pms-key-file FILE|-]\n"
	  "       practitioner import FILE.csv\n"
	  "       practitioner list [--ids] | show ID | remove ID [--force]",
	  "Manages the practitioners in the store. 'add' gives a new practitioner a\n"
	  "new PMS key unless --pms-key-file names the one the PMS holds (a file closed\n"
	  "to others, or - for standard input). 'import' reads a roster with the header\n"
	  "id,first_name,last_name,email[,pms_key]: each bad row is reported with its\n"
	  "line number and what is wrong, and skipped; the good rows go in, and rows\n"
	  "already in the store unchanged are counted as such. 'add' and 'import'\n"
	  "create the store; no other command does. 'list' shows everyone sorted by id\n"
	  "(--ids: the ids alone), 'show' one practitioner in detail, never a key.\n"
	  "'remove' refuses a practitioner who still has a link, unless --force, which\n"
	  "unlinks first." },
	{ "link", cmd_link,
	  "link (ID... | --all) [-i INTEGRATION] [-j JOBS] [--assisted] [--dry-run]\n"
	  "       [--backend-key-file FILE|-] [--backend-keys FILE.csv] [--metrics FILE]",
	  "Links practitioners with the platform: the PMS key goes to the platform,\n"
	  "the platform's key comes back, the pair is verified and saved. Steps the\n"
	  "platform has no API for are shown to you, in its words, with the PMS key to\n"
	  "paste (on the terminal only); the platform's key is read without echo, or\n"
	  "from --backend-key-file, or for many practitioners from --backend-keys\n"
	  "(columns id,backend_key); --all --assisted on a terminal walks through the\n"
	  "practitioners one by one. --dry-run lists, per practitioner, the steps a\n"
	  "link would take, automatic or by hand, and changes nothing. A link can be\n"
	  "run again at any time: it resumes." },
	{ "unlink", cmd_unlink, "unlink ID [-i INTEGRATION]",
	  "Revokes the link on the platform (or says how to, when it has no API for\n"
	  "it) and forgets the platform's key. The practitioner's PMS key stays.\n"
	  "Unlinking what is not linked does nothing and succeeds." },
	{ "verify", cmd_verify,
	  "verify (ID... | --all) [-i INTEGRATION] [-j JOBS] [--metrics FILE]",
	  "Proves each link with a real request to the platform that reads no patient\n"
	  "data, and records the result: the link health check, for cron. Without -i,\n"
	  "every enabled integration; a practitioner never linked there is not due.\n"
	  "Exits with the worst status of the links it checked. --metrics FILE writes\n"
	  "the outcome for Prometheus (node_exporter's textfile collector), atomically." },
	{ "rotate", cmd_rotate, "rotate ID [-i INTEGRATION]",
	  "Gives the practitioner a new PMS key, exchanges and verifies it; the old\n"
	  "keys stay in use if any step fails, and status says so." },
	{ "status", cmd_status, "status [ID] [-i INTEGRATION] [--state STATE]",
	  "Shows each practitioner's link on each integration, in id order: state,\n"
	  "platform user, when linked and verified, the platform key's last four\n"
	  "characters, and the last error with its hint. Never a key. --state shows\n"
	  "only the links in one state: unlinked, pending, linked or failed." },
	{ "doctor", cmd_doctor, "doctor [ID]",
	  "Checks every precondition of a link: the configuration files and their\n"
	  "permissions, the module folder, each integration (enabled, module loads,\n"
	  "settings valid, the platform answers), the store and its records, and with\n"
	  "ID that practitioner: profile, PMS key, user on the platform, and the link\n"
	  "itself. Says what to fix, and exits non-zero when a link cannot work. With\n"
	  "-q, only what is wrong." },
	{ "modules", cmd_modules, "modules [--names]",
	  "Lists each integration's module: its ABI, version and path, or why it\n"
	  "cannot be loaded. Exits non-zero when a module cannot be loaded. --names:\n"
	  "the integrations' names alone, loading nothing." },
	{ "keygen", cmd_keygen, "keygen",
	  "Prints one new PMS key: 40 letters (upper and lower case) and digits\n"
	  "from the kernel's random source." },
};

static const char *const level_words[] = {
	"", "", "", "error", "warning", "notice", "info", "debug"
};

static void log_to_stderr(void *data, int level, const char *msg)
{
	fprintf(stderr, "practlink: %s: ", level_words[level & 7]);
	cli_put_text(stderr, msg);
	fputc('\n', stderr);
}

/* What --json prints when a command fails before its own document. */
static void fail_json(practlink_status st, const char *msg, const char *hint)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "status", practlink_status_name(st));
	cJSON_AddNumberToObject(doc, "exit", practlink_exit_code(st));
	cJSON_AddStringToObject(doc, "message", msg);
	if (*hint)
		cJSON_AddStringToObject(doc, "hint", hint);
	else
		cJSON_AddNullToObject(doc, "hint");
	cli_print_json(doc);
}

int cli_fail_with(practlink_status st, const char *msg, const char *hint)
{
	if (!msg || !*msg)
		msg = practlink_strerror(st);
	fputs("practlink: ", stderr);
	cli_put_text(stderr, msg);
	fputc('\n', stderr);
	if (*hint) {
		fputs("practlink: hint: ", stderr);
		cli_put_text(stderr, hint);
		fputc('\n', stderr);
	}
	if (cli_opts.json && !cli_json_printed)
		fail_json(st, msg, hint);
	return practlink_exit_code(st);
}

int cli_fail(practlink_ctx *ctx, practlink_status st)
{
	/* The message and hint are the last failure's only if it is this one. */
	bool own = ctx && *practlink_errmsg(ctx);

	return cli_fail_with(st, own ? practlink_errmsg(ctx) : practlink_strerror(st),
			     own ? practlink_errhint(ctx) : practlink_hint(st));
}

int cli_usage(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "practlink: %s\n", msg);
	if (cli_command)
		fprintf(stderr, "usage: practlink %s\n", cli_command->usage);
	if (cli_opts.json && !cli_json_printed)
		fail_json(PRACTLINK_USAGE, msg, "");
	return practlink_exit_code(PRACTLINK_USAGE);
}

void cli_say(const char *fmt, ...)
{
	va_list ap;

	if (cli_opts.verbosity < 0 || cli_opts.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* The edit distance of a and b, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 64 || lb >= 64)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *cli_nearest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3; /* further than two edits is no longer a typo */

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, names[i]);
		if (strncmp(word, names[i], strlen(word)) == 0 && strlen(word) >= 3)
			d = 1; /* a prefix: "stat" for "status" */
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

/* The long options a command knows, and the global ones, as "--name". */
static const char *nearest_option(const char *word, const struct option *longopts)
{
	static const char *const globals[] = { "--config", "--module-dir", "--json",
					       "--quiet",  "--verbose",    "--help" };
	const char *names[48];
	static char spelled[48][40];
	size_t n = 0;
	char bare[64];

	snprintf(bare, sizeof bare, "%s", word);
	if (strchr(bare, '='))
		*strchr(bare, '=') = '\0';
	for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++)
		names[n++] = globals[i];
	for (const struct option *o = longopts; o && o->name && n < 48; o++) {
		snprintf(spelled[n], sizeof spelled[n], "--%s", o->name);
		names[n] = spelled[n];
		n++;
	}
	return cli_nearest(bare, names, n);
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	char spec[64];
	const char *near;
	int c;

	/* Options may follow the command's words: "link p1 -i mock". */
	snprintf(spec, sizeof spec, ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == '?') {
		const char *word = argv[optind - 1];
		near = strncmp(word, "--", 2) == 0 ? nearest_option(word, longopts) : NULL;
		if (near)
			cli_usage("%s: unknown option; did you mean '%s'?", word, near);
		else
			cli_usage("%s: unknown option", word);
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
	cli_json_printed = true;
}

void cli_stream_item(struct cli_stream *s, cJSON *item)
{
	char *text = cJSON_Print(item);

	if (text)
		printf("%s%s", s->n++ ? ", " : "[", text);
	free(text);
	cJSON_Delete(item);
	cli_json_printed = true;
}

void cli_stream_end(struct cli_stream *s)
{
	puts(s->n ? "]" : "[]");
	cli_json_printed = true;
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

/* A crash (in a module, most likely: they run in this process) ends
 * practlink with a sentence, not in silence; then as the signal would. */
static void on_crash(int sig)
{
	static const char msg[] =
		"practlink: crashed (a fatal signal, in a module or in practlink); "
		"what was being done for the practitioner in hand was not saved\n";

	if (write(2, msg, sizeof msg - 1) < 0) {
		/* nothing more can be said */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Keys pass through this process: no core dump may carry them out, and
 * no other process of the same user may read its memory. */
static void keep_keys_in(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	struct sigaction sa = { .sa_handler = on_crash, .sa_flags = SA_RESETHAND };
	struct rlimit none = { 0, 0 };

	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, NULL);

#ifndef __SANITIZE_ADDRESS__ /* LeakSanitizer must be able to ptrace us */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	setrlimit(RLIMIT_CORE, &none);
}

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void print_usage(FILE *f)
{
	fprintf(f, "usage: practlink [--config FILE] [--module-dir DIR] [--json] [-q|-v] "
		   "COMMAND ...\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "  help [COMMAND]\n\nGlobal options may stand before or after the command."
		   "\n'practlink help COMMAND' says more of each.\n");
}

static int unknown_command(const char *name)
{
	const char *names[N_COMMANDS + 1];
	const char *near;

	for (size_t i = 0; i < N_COMMANDS; i++)
		names[i] = commands[i].name;
	names[N_COMMANDS] = "help";
	near = cli_nearest(name, names, N_COMMANDS + 1);
	if (near)
		return cli_usage("unknown command '%s'; did you mean '%s'?", name, near);
	cli_usage("unknown command '%s'", name);
	print_usage(stderr);
	return practlink_exit_code(PRACTLINK_USAGE);
}

/* practlink help [COMMAND]. */
static int help(const char *name)
{
	const struct command *cmd;

	if (!name) {
		print_usage(stdout);
		return 0;
	}
	if (!(cmd = find_command(name)))
		return unknown_command(name);
	printf("usage: practlink %s\n\n%s\n", cmd->usage, cmd->help);
	return 0;
}

/* Options of any command that take a value as the next word: a global
 * option's look-alike there is that value, not an option. */
static bool takes_value(const char *word)
{
	static const char *const with_value[] = {
		"-i",
		"--integration",
		"-j",
		"--jobs",
		"--first-name",
		"--last-name",
		"--email",
		"--pms-key-file",
		"--backend-key-file",
		"--backend-keys",
		"--state",
		"--metrics",
	};

	for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++)
		if (strcmp(word, with_value[i]) == 0)
			return true;
	return false;
}

/* Takes the global options out of argv, wherever they stand, as git and
 * systemctl allow; what is left is the command and its own words. Returns
 * -1 to go on, else the exit code. */
static int global_options(int *argc, char **argv, struct opts *o, bool *want_help)
{
	int kept = 1;
	bool words_only = false;

	for (int i = 1; i < *argc; i++) {
		char *a = argv[i];
		const char *value = NULL;

		if (words_only || a[0] != '-' || strcmp(a, "-") == 0) {
			argv[kept++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			words_only = true;
			argv[kept++] = a;
			continue;
		}
		if (strcmp(a, "--config") == 0 || strcmp(a, "--module-dir") == 0) {
			if (i + 1 >= *argc)
				return cli_usage("%s needs a value", a);
			value = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0 ||
			   strncmp(a, "--module-dir=", 13) == 0) {
			value = strchr(a, '=') + 1;
		}
		if (value) {
			if (a[2] == 'c')
				o->config = value;
			else
				o->module_dir = value;
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			o->verbosity = -1;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			o->verbosity = 1;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			*want_help = true;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("practlink %s (module ABI %d)\n", PACKAGE_VERSION,
			       PRACTLINK_MODULE_ABI);
			return 0;
		} else {
			argv[kept++] = a;
			if (takes_value(a) && i + 1 < *argc)
				argv[kept++] = argv[++i];
		}
	}
	argv[kept] = NULL;
	*argc = kept;
	return -1;
}

int main(int argc, char **argv)
{
	practlink_ctx *ctx = NULL;
	practlink_status st;
	bool want_help = false;
	int rc;

	keep_keys_in();
	/* Names are UTF-8 whatever the terminal's locale says: measure and
	 * check them as such. */
	if (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");

	if ((rc = global_options(&argc, argv, &cli_opts, &want_help)) >= 0)
		return rc;
	if (argc < 2) {
		if (want_help)
			return help(NULL);
		print_usage(stderr);
		return practlink_exit_code(PRACTLINK_USAGE);
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc > 3)
			return cli_usage("help takes at most one COMMAND");
		return help(argc > 2 ? argv[2] : NULL);
	}
	if (!(cli_command = find_command(argv[1])))
		return unknown_command(argv[1]);
	if (want_help)
		return help(cli_command->name);

	if ((st = practlink_new(&ctx)) != PRACTLINK_OK)
		return cli_fail(NULL, st);
	practlink_set_log(ctx,
			  cli_opts.verbosity < 0   ? PRACTLINK_LOG_ERR
			  : cli_opts.verbosity > 0 ? PRACTLINK_LOG_DEBUG
						   : -1,
			  log_to_stderr, NULL);
	if (cli_opts.module_dir)
		practlink_set_module_dir(ctx, cli_opts.module_dir);
	/* doctor reports a broken configuration as one of its findings. */
	if (cli_command->run != cmd_doctor && cli_command->run != cmd_keygen &&
	    (st = practlink_load_config(ctx, cli_opts.config)) != PRACTLINK_OK) {
		rc = cli_fail(ctx, st);
		practlink_free(ctx);
		return rc;
	}
	optind = 0; /* 0, not 1: glibc starts its getopt afresh for the command */
	rc = cli_command->run(ctx, &cli_opts, argc - 1, argv + 1);
	practlink_free(ctx);
	return rc;
}
