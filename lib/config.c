/* SPDX-License-Identifier: MIT */
/*
 * config.c - practlink.conf and integrations.d/NAME.conf.
 *
 * Each file is opened by practlink itself (no symlink, checked with fstat)
 * and its text handed to libconfig, so libconfig never opens a file: an
 * @include line is refused before parsing, since libconfig 1.5 follows
 * includes anywhere and exits the process on some of them. Everything is
 * parsed into a new pl_config that the caller swaps in only on success.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES (1024 * 1024)

enum kind { K_STRING, K_INT, K_BOOL, K_GROUP };

struct field {
	const char *name;
	enum kind kind;
};

struct parse {
	const char *file; /* as shown in messages */
	const pl_log *log;
	pl_err *err;
};

static const struct field main_fields[] = {
	{ "pms_name", K_STRING },    { "module_dir", K_STRING }, { "integrations_dir", K_STRING },
	{ "store", K_GROUP },        { "http", K_GROUP },        { "log", K_GROUP },
	{ "module_host", K_STRING },
};
static const struct field store_fields[] = { { "type", K_STRING }, { "path", K_STRING } };
static const struct field http_fields[] = {
	{ "connect_timeout_ms", K_INT }, { "timeout_ms", K_INT }, { "retries", K_INT },
	{ "max_response_bytes", K_INT }, { "ca_file", K_STRING }, { "proxy", K_STRING },
	{ "max_rate", K_INT },
};
static const struct field log_fields[] = { { "level", K_STRING }, { "target", K_STRING } };
static const struct field integration_fields[] = {
	{ "enabled", K_BOOL },   { "module", K_STRING }, { "create_missing_users", K_BOOL },
	{ "settings", K_GROUP }, { "isolate", K_BOOL },  { "isolate_timeout_ms", K_INT },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *kind_words(enum kind k)
{
	switch (k) {
	case K_STRING: return "a string in double quotes";
	case K_INT: return "a whole number";
	case K_BOOL: return "true or false";
	case K_GROUP: return "a group { ... }";
	}
	return "?";
}

static bool kind_matches(const config_setting_t *s, enum kind k)
{
	int t = config_setting_type(s);

	switch (k) {
	case K_STRING: return t == CONFIG_TYPE_STRING;
	case K_INT: return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
	case K_BOOL: return t == CONFIG_TYPE_BOOL;
	case K_GROUP: return t == CONFIG_TYPE_GROUP;
	}
	return false;
}

static int line_of(const config_setting_t *s)
{
	return (int)config_setting_source_line(s);
}

/* Checks every member of group against fields: an unknown one is a
 * warning, one of the wrong type an error naming file, line and setting. */
static practlink_status check_group(struct parse *p, const config_setting_t *group,
				    const char *prefix, const struct field *fields, size_t n)
{
	int count = config_setting_length(group);

	for (int i = 0; i < count; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct field *f = NULL;

		for (size_t j = 0; j < n; j++)
			if (strcmp(fields[j].name, name) == 0)
				f = &fields[j];
		if (!f) {
			pl_log_msg(p->log, PRACTLINK_LOG_WARNING,
				   "%s:%d: unknown setting '%s%s' (ignored)", p->file, line_of(s),
				   prefix, name);
			continue;
		}
		if (!kind_matches(s, f->kind))
			return pl_err_set(p->err, PRACTLINK_CONFIG, "%s:%d: '%s%s' must be %s",
					  p->file, line_of(s), prefix, name, kind_words(f->kind));
	}
	return PRACTLINK_OK;
}

/* A checked group member, or NULL when absent. */
static const config_setting_t *member(const config_setting_t *g, const char *name)
{
	return g ? config_setting_get_member(g, name) : NULL;
}

static const char *string_of(const config_setting_t *g, const char *name, const char *def)
{
	const config_setting_t *s = member(g, name);
	return s ? config_setting_get_string(s) : def;
}

/* A whole number within its documented range: a number too large for
 * libconfig comes out of it wrapped, and is refused here all the same. */
static practlink_status int_of(struct parse *p, const config_setting_t *g, const char *prefix,
			       const char *name, long long def, long long min, long long max,
			       long long *out)
{
	const config_setting_t *s = member(g, name);

	*out = s ? config_setting_get_int64(s) : def;
	if (*out < min || *out > max)
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s:%d: '%s%s' must be a whole number from %lld to %lld", p->file,
				  line_of(s), prefix, name, min, max);
	return PRACTLINK_OK;
}

/* Reads a trusted file's text and parses it into cf. */
static practlink_status parse_file(struct parse *p, int dirfd, const char *name, config_t *cf)
{
	size_t text_len = 0;
	char *text = NULL;
	practlink_status st;
	int fd;

	fd = pl_file_open_trusted(dirfd, name, p->file, false, PRACTLINK_CONFIG, p->err);
	if (fd < 0)
		return p->err->status;
	st = pl_file_read_all(fd, p->file, CONFIG_MAX_BYTES, &text, &text_len, p->err);
	close(fd);
	if (st != PRACTLINK_OK)
		return st;
	/* libconfig reads a string: a NUL would silently end the file there. */
	if (strlen(text) != text_len) {
		int nul_line = 1;
		for (const char *c = text; *c; c++)
			nul_line += *c == '\n';
		st = pl_err_set(p->err, PRACTLINK_CONFIG,
				"%s:%d: holds a NUL byte; a configuration is text", p->file,
				nul_line);
		goto out;
	}

	/* libconfig's scanner takes a directive where a line starts with @;
	 * nothing else in its grammar does. */
	int line = 1;
	for (const char *c = text; *c; c++) {
		const char *q = c;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '@') {
			st = pl_err_set(p->err, PRACTLINK_CONFIG,
					"%s:%d: @include and other directives are not allowed; "
					"put each integration in its own file in integrations.d",
					p->file, line);
			goto out;
		}
		c = strchr(q, '\n');
		if (!c)
			break;
		line++;
	}

	config_init(cf);
	if (config_read_string(cf, text) != CONFIG_TRUE) {
		st = pl_err_set(p->err, PRACTLINK_CONFIG, "%s:%d: %s", p->file,
				config_error_line(cf), config_error_text(cf));
		config_destroy(cf);
		goto out;
	}
	st = PRACTLINK_OK;
out:
	free(text);
	return st;
}

static bool pms_name_ok(const char *s)
{
	/* Lower case words joined by '_', as platforms expect ("juvonno"). */
	if (!*s || *s == '_')
		return false;
	for (const char *c = s; *c; c++) {
		bool alnum = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9');
		if (!alnum && !(*c == '_' && c[1] && c[1] != '_'))
			return false;
	}
	return true;
}

static practlink_status dup_path(struct parse *p, const char *base, const char *value, char **out)
{
	*out = value && *value ? pl_path_resolve(base, value) : NULL;
	if (value && *value && !*out)
		return pl_err_set(p->err, PRACTLINK_INTERNAL, "out of memory");
	return PRACTLINK_OK;
}

static practlink_status read_main(struct parse *p, config_t *cf, const char *dir, pl_config *cfg)
{
	const config_setting_t *root = config_root_setting(cf);
	const config_setting_t *store, *http, *log;
	const char *s;
	practlink_status st;

	if ((st = check_group(p, root, "", main_fields, N(main_fields))) != PRACTLINK_OK)
		return st;
	store = member(root, "store");
	http = member(root, "http");
	log = member(root, "log");
	if ((store && (st = check_group(p, store, "store.", store_fields, N(store_fields)))) ||
	    (http && (st = check_group(p, http, "http.", http_fields, N(http_fields)))) ||
	    (log && (st = check_group(p, log, "log.", log_fields, N(log_fields)))))
		return st;

	s = string_of(root, "pms_name", NULL);
	if (!s)
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s: 'pms_name' is missing: how this PMS names itself to "
				  "platforms, e.g. pms_name = \"juvonno\";",
				  p->file);
	if (!pms_name_ok(s))
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s:%d: 'pms_name' \"%s\" must be lower case words joined by "
				  "'_' (e.g. \"juvonno\"): platforms compare it exactly",
				  p->file, line_of(member(root, "pms_name")), s);
	if (!(cfg->pms_name = strdup(s)))
		return pl_err_set(p->err, PRACTLINK_INTERNAL, "out of memory");

	s = string_of(store, "type", "files");
	if (strcmp(s, "files") != 0)
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s:%d: 'store.type' \"%s\" is unknown; the built-in store is "
				  "\"files\" (a host may hand its own through the API)",
				  p->file, line_of(member(store, "type")), s);
	cfg->store_type = strdup(s);
	if ((st = dup_path(p, dir, string_of(root, "module_dir", MODULEDIR), &cfg->module_dir)) ||
	    (st = dup_path(p, dir, string_of(root, "module_host", MODULEHOST),
			   &cfg->module_host)) ||
	    (st = dup_path(p, dir, string_of(root, "integrations_dir", "integrations.d"),
			   &cfg->integrations_dir)) ||
	    (st = dup_path(p, dir, string_of(store, "path", STATEDIR), &cfg->store_path)) ||
	    (st = dup_path(p, dir, string_of(http, "ca_file", NULL), &cfg->http.ca_file)))
		return st;
	if ((member(store, "path")
		     ? asprintf(&cfg->store_where, "%s:%d", p->file, line_of(member(store, "path")))
		     : asprintf(&cfg->store_where, "the default; not set in %s", p->file)) < 0) {
		cfg->store_where = NULL;
		return pl_err_set(p->err, PRACTLINK_INTERNAL, "out of memory");
	}
	s = string_of(http, "proxy", NULL);
	if (s && *s && !(cfg->http.proxy = strdup(s)))
		return pl_err_set(p->err, PRACTLINK_INTERNAL, "out of memory");
	if (!cfg->store_type)
		return pl_err_set(p->err, PRACTLINK_INTERNAL, "out of memory");

	if ((st = int_of(p, http, "http.", "connect_timeout_ms", 5000, 1, 600000,
			 &cfg->http.connect_timeout_ms)) ||
	    (st = int_of(p, http, "http.", "timeout_ms", 15000, 1, 3600000,
			 &cfg->http.timeout_ms)) ||
	    (st = int_of(p, http, "http.", "retries", 3, 0, 20, &cfg->http.retries)) ||
	    (st = int_of(p, http, "http.", "max_response_bytes", 1048576, 1024, 1073741824,
			 &cfg->http.max_response_bytes)) ||
	    (st = int_of(p, http, "http.", "max_rate", 0, 0, 1000000, &cfg->http.max_rate)))
		return st;

	s = string_of(log, "level", "info");
	if ((cfg->log_level = pl_log_level_from_name(s)) < 0)
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s:%d: 'log.level' \"%s\" is unknown: use error, warning, "
				  "notice, info or debug",
				  p->file, line_of(member(log, "level")), s);
	s = string_of(log, "target", "stderr");
	if (strcmp(s, "stderr") != 0 && strcmp(s, "syslog") != 0)
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s:%d: 'log.target' \"%s\" is unknown: use stderr or syslog",
				  p->file, line_of(member(log, "target")), s);
	cfg->log_syslog = strcmp(s, "syslog") == 0;
	return PRACTLINK_OK;
}

/*
 * An isolated module runs in practlink-module-host through exec.so: the
 * settings exec.so reads are made here, in a tree of their own. The
 * module's own settings stay where they are, for the host to read.
 */
static practlink_status isolate(struct parse *p, const config_setting_t *g, const char *prefix,
				const char *module_host, pl_integration *ig)
{
	config_setting_t *group, *s;
	long long timeout_ms;
	practlink_status st;

	ig->isolate = member(g, "isolate") && config_setting_get_bool(member(g, "isolate"));
	if ((st = int_of(p, g, prefix, "isolate_timeout_ms", 30000, 1, 3600000, &timeout_ms)) ||
	    !ig->isolate)
		return st;
	if (!(ig->host_cf = malloc(sizeof *ig->host_cf)))
		return pl_err_set(p->err, PRACTLINK_INTERNAL, "out of memory");
	config_init(ig->host_cf);
	group = config_setting_add(config_root_setting(ig->host_cf), "settings", CONFIG_TYPE_GROUP);
	if (!group || !(s = config_setting_add(group, "program", CONFIG_TYPE_STRING)) ||
	    !config_setting_set_string(s, module_host) ||
	    !(s = config_setting_add(group, "timeout_ms", CONFIG_TYPE_INT64)) ||
	    !config_setting_set_int64(s, timeout_ms))
		return pl_err_set(p->err, PRACTLINK_INTERNAL, "out of memory");
	ig->host_settings = group;
	return PRACTLINK_OK;
}

/* Fills ig from integrations.d/<fname>, whose parse tree ig takes over. */
static practlink_status read_integration(struct parse *p, config_t *cf, const char *fname,
					 const char *module_host, pl_integration *ig)
{
	const config_setting_t *root = config_root_setting(cf);
	const config_setting_t *g, *mod;
	size_t stem = strlen(fname) - strlen(".conf");
	const char *name;
	char prefix[96];
	practlink_status st;

	if (config_setting_length(root) != 1 ||
	    config_setting_type(g = config_setting_get_elem(root, 0)) != CONFIG_TYPE_GROUP)
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s: must hold exactly one group, named after the file: "
				  "%.*s = { enabled = true; module = \"...\"; };",
				  p->file, (int)stem, fname);
	name = config_setting_name(g);
	if (strlen(name) != stem || strncmp(name, fname, stem) != 0)
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s:%d: the group is named '%s' but the file is '%s'; name "
				  "the group after the file",
				  p->file, line_of(g), name, fname);
	if (!pl_name_is_bare(name))
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s:%d: integration name '%s' may hold only a-z, 0-9, '_' and "
				  "'-' (at most 64)",
				  p->file, line_of(g), name);
	snprintf(prefix, sizeof prefix, "%s.", name);
	if ((st = check_group(p, g, prefix, integration_fields, N(integration_fields))))
		return st;
	mod = member(g, "module");
	if (!mod)
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s:%d: '%smodule' is missing: the backend module's name, "
				  "e.g. module = \"physitrack\";",
				  p->file, line_of(g), prefix);
	if (!pl_name_is_bare(config_setting_get_string(mod)))
		return pl_err_set(p->err, PRACTLINK_CONFIG,
				  "%s:%d: '%smodule' \"%s\" must be a bare module name "
				  "([a-z0-9_-], no '/' and no \".so\"): modules are only loaded "
				  "from module_dir",
				  p->file, line_of(mod), prefix, config_setting_get_string(mod));

	ig->name = strdup(name);
	ig->module = strdup(config_setting_get_string(mod));
	ig->file = strdup(p->file);
	ig->dir = pl_path_dirname(p->file);
	ig->line = line_of(g);
	ig->enabled = member(g, "enabled") && config_setting_get_bool(member(g, "enabled"));
	ig->create_missing_users = member(g, "create_missing_users") &&
				   config_setting_get_bool(member(g, "create_missing_users"));
	ig->settings = (config_setting_t *)member(g, "settings");
	if (!ig->name || !ig->module || !ig->file || !ig->dir)
		return pl_err_set(p->err, PRACTLINK_INTERNAL, "out of memory");
	return isolate(p, g, prefix, module_host, ig);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_conf_name(const char *n)
{
	size_t len = strlen(n);
	return n[0] != '.' && len > 5 && strcmp(n + len - 5, ".conf") == 0;
}

static practlink_status add_file(pl_config *cfg, const char *path, pl_err *err)
{
	char **files = realloc(cfg->files, (cfg->n_files + 1) * sizeof *files);

	if (!files || !(files[cfg->n_files] = strdup(path))) {
		if (files)
			cfg->files = files;
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	}
	cfg->files = files;
	cfg->n_files++;
	return PRACTLINK_OK;
}

/* Reads every NAME.conf of the integrations folder, in name order, the way
 * /etc/pam.d is read. A missing folder means no integrations. */
static practlink_status read_integrations(const pl_log *log, pl_config *cfg, pl_err *err)
{
	const char *dir = cfg->integrations_dir;
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	practlink_status st = PRACTLINK_OK;
	DIR *d = NULL;
	int dfd;

	dfd = pl_file_open_trusted(AT_FDCWD, dir, dir, true, PRACTLINK_CONFIG, err);
	if (dfd < 0) {
		/* errno is the open's, or 0 when the folder was refused. */
		if (errno == ENOENT) {
			pl_log_msg(log, PRACTLINK_LOG_NOTICE, "%s: no such folder: no integrations",
				   dir);
			return PRACTLINK_OK;
		}
		return err->status;
	}
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return pl_err_set(err, PRACTLINK_CONFIG, "%s: %s", dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		if (!is_conf_name(de->d_name))
			continue;
		char **more = realloc(names, (n + 1) * sizeof *names);
		if (!more || !(more[n] = strdup(de->d_name))) {
			names = more ? more : names;
			st = pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
			goto out;
		}
		names = more;
		n++;
	}
	if (n)
		qsort(names, n, sizeof *names, compare_names);

	cfg->integ = calloc(n ? n : 1, sizeof *cfg->integ);
	if (!cfg->integ) {
		st = pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && st == PRACTLINK_OK; i++) {
		char *path = pl_path_resolve(dir, names[i]);
		pl_integration *ig = &cfg->integ[cfg->n_integ];
		struct parse p = { path, log, err };

		if (!path || !(ig->cf = malloc(sizeof *ig->cf))) {
			free(path);
			st = pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
			break;
		}
		st = parse_file(&p, dirfd(d), names[i], ig->cf);
		if (st != PRACTLINK_OK) {
			free(ig->cf);
			ig->cf = NULL;
		} else {
			cfg->n_integ++; /* owns ig->cf from here */
			st = read_integration(&p, ig->cf, names[i], cfg->module_host, ig);
			if (st == PRACTLINK_OK)
				st = add_file(cfg, path, err);
		}
		free(path);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return st;
}

practlink_status pl_config_load(const char *path, const pl_log *log, pl_config **out, pl_err *err)
{
	struct parse p = { path, log, err };
	pl_config *cfg;
	config_t cf;
	char *dir;
	practlink_status st;

	return_val_if_fail(path != NULL && out != NULL, PRACTLINK_USAGE);
	*out = NULL;
	if (!(cfg = calloc(1, sizeof *cfg)) || !(dir = pl_path_dirname(path))) {
		free(cfg);
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	}
	st = pl_path_check_ancestors(path, PRACTLINK_CONFIG, err);
	if (st == PRACTLINK_OK)
		st = parse_file(&p, AT_FDCWD, path, &cf);
	if (st == PRACTLINK_OK) {
		st = read_main(&p, &cf, dir, cfg);
		config_destroy(&cf);
	}
	if (st == PRACTLINK_OK)
		st = add_file(cfg, path, err);
	if (st == PRACTLINK_OK)
		st = read_integrations(log, cfg, err);
	free(dir);
	if (st != PRACTLINK_OK) {
		pl_config_free(cfg);
		return st;
	}
	*out = cfg;
	return PRACTLINK_OK;
}

void pl_config_free(pl_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_integ; i++) {
		pl_integration *ig = &cfg->integ[i];
		free(ig->name);
		free(ig->module);
		free(ig->file);
		free(ig->dir);
		if (ig->cf) {
			config_destroy(ig->cf);
			free(ig->cf);
		}
		if (ig->host_cf) {
			config_destroy(ig->host_cf);
			free(ig->host_cf);
		}
	}
	free(cfg->integ);
	for (size_t i = 0; i < cfg->n_files; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg->pms_name);
	free(cfg->module_dir);
	free(cfg->module_host);
	free(cfg->integrations_dir);
	free(cfg->store_type);
	free(cfg->store_path);
	free(cfg->store_where);
	free(cfg->http.ca_file);
	free(cfg->http.proxy);
	free(cfg);
}
