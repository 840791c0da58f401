/* SPDX-License-Identifier: MIT */
/* csv.c - rosters and key lists, read with libcsv. A row's problems are
 * the caller's to report, by line number; the file's are reported here.
 * Spreadsheets' habits are accepted: a UTF-8 byte order mark, CRLF. */
#include "cli.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FIELDS 8

struct reader {
	const char *path;
	const char *const *header;
	size_t required, optional;
	cli_csv_row row;
	void *arg;
	char *fields[MAX_FIELDS];
	size_t n;
	size_t line;      /* the line the current record started on */
	size_t next_line; /* the line the parser is on */
	bool header_done;
	bool bad_header;
	bool overflow;
	/* A file with a column of keys is held to the rules of a key file. */
	const char *secret;    /* that column's name, or NULL */
	const struct stat *st; /* the file as opened */
	bool is_link;
	bool refused;
	char problem[160]; /* what makes the current record unusable */
};

static void on_field(void *data, size_t len, void *p)
{
	struct reader *r = p;
	const char *name = r->n < r->required + r->optional ? r->header[r->n] : "extra";

	if (r->n >= MAX_FIELDS) {
		r->overflow = true;
		return;
	}
	if (!r->problem[0] && data && memchr(data, '\0', len))
		snprintf(r->problem, sizeof r->problem, "field %zu (%s) holds a NUL byte", r->n + 1,
			 name);
	r->fields[r->n] = strndup(data ? data : "", len);
	r->n++;
}

static void clear(struct reader *r)
{
	for (size_t i = 0; i < r->n && i < MAX_FIELDS; i++) {
		/* A field may be a key: wipe it. */
		if (r->fields[i])
			explicit_bzero(r->fields[i], strlen(r->fields[i]));
		free(r->fields[i]);
	}
	r->n = 0;
	r->overflow = false;
	r->problem[0] = '\0';
}

/* A file that holds keys must be a key file: not a symbolic link, a
 * regular file, owned by root or you, closed to others. Says why not. */
static bool keys_may_be_read(const struct reader *r)
{
	char msg[4300], hint[4200] = "";

	if (r->is_link)
		snprintf(msg, sizeof msg,
			 "%s: holds keys (a %s column) and is a symbolic link; "
			 "name the real file",
			 r->path, r->secret);
	else if (!S_ISREG(r->st->st_mode))
		snprintf(msg, sizeof msg, "%s: holds keys (a %s column) and is not a regular file",
			 r->path, r->secret);
	else if (r->st->st_uid != 0 && r->st->st_uid != getuid())
		snprintf(msg, sizeof msg,
			 "%s: holds keys (a %s column) and is owned by uid %u, neither root nor "
			 "you",
			 r->path, r->secret, (unsigned)r->st->st_uid);
	else if (r->st->st_mode & 077) {
		snprintf(msg, sizeof msg,
			 "%s: holds keys (a %s column) and is open to others (mode %04o)", r->path,
			 r->secret, (unsigned)r->st->st_mode & 07777);
		snprintf(hint, sizeof hint, "run: chmod 600 %s", r->path);
	} else
		return true;
	cli_fail_with(PRACTLINK_PERMISSION, msg, hint);
	return false;
}

static void on_row(int end, void *p)
{
	struct reader *r = p;

	if (r->refused) {
		clear(r);
		return;
	}
	if (!r->header_done) {
		r->header_done = true;
		for (size_t i = 0; r->secret && i < r->n; i++)
			if (r->fields[i] && strcmp(r->fields[i], r->secret) == 0 &&
			    !keys_may_be_read(r))
				r->refused = true;
		for (size_t i = 0; i < r->required + r->optional; i++) {
			if (i >= r->n && i < r->required)
				r->bad_header = true;
			if (i < r->n && (!r->fields[i] || strcmp(r->fields[i], r->header[i]) != 0))
				r->bad_header = true;
		}
		if (r->n > r->required + r->optional)
			r->bad_header = true;
	} else if (!r->bad_header && !(r->n == 1 && r->fields[0] && !*r->fields[0])) {
		r->row(r->arg, r->line, r->overflow ? MAX_FIELDS + 1 : r->n, r->fields,
		       r->problem[0] ? r->problem : NULL);
	}
	clear(r);
	/* Rows end on their newline, before the caller counts it. */
	r->line = r->next_line + 1;
}

/* Feeds n bytes of buf, line by line, so that each record knows where it
 * began. Returns false after reporting a parse error. */
static bool feed(struct csv_parser *p, struct reader *r, const char *buf, size_t n)
{
	for (size_t off = 0; off < n;) {
		const char *nl = memchr(buf + off, '\n', n - off);
		size_t chunk = nl ? (size_t)(nl - (buf + off)) + 1 : n - off;
		if (csv_parse(p, buf + off, chunk, on_field, on_row, r) != chunk) {
			char msg[4200];
			snprintf(msg, sizeof msg, "%s:%zu: %s", r->path, r->next_line,
				 csv_strerror(csv_error(p)));
			cli_fail_with(PRACTLINK_USAGE, msg, "");
			return false;
		}
		if (nl)
			r->next_line++;
		off += chunk;
	}
	return true;
}

int cli_csv_read(const char *path, const char *const *header, size_t required, size_t optional,
		 const char *secret, cli_csv_row row, void *arg)
{
	struct reader r = { .path = path,
			    .header = header,
			    .required = required,
			    .optional = optional,
			    .row = row,
			    .arg = arg,
			    .secret = secret };
	struct csv_parser p;
	struct stat st, link;
	char buf[4096], msg[4200];
	size_t n, skip;
	bool first = true;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	int rc = 0;

	if (!f) {
		snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
		return cli_fail_with(errno == ENOENT || errno == EACCES ? PRACTLINK_NO_INPUT
									: PRACTLINK_STORE,
				     msg, practlink_hint(PRACTLINK_NO_INPUT));
	}
	if (fstat(fileno(f), &st) < 0) {
		snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
		if (f != stdin)
			fclose(f);
		return cli_fail_with(PRACTLINK_NO_INPUT, msg, "");
	}
	r.st = &st;
	r.is_link = f != stdin && lstat(path, &link) == 0 && S_ISLNK(link.st_mode);
	if (f == stdin) { /* a pipe of ours */
		st.st_mode = S_IFREG | 0600;
		st.st_uid = getuid();
	}
	/* Strict: a stray quote is an error named by its line, and one never
	 * closed is too (CSV_STRICT_FINI), not a field that swallowed the rest
	 * of the file. */
	csv_init(&p, CSV_APPEND_NULL | CSV_EMPTY_IS_NULL | CSV_STRICT | CSV_STRICT_FINI);
	r.line = r.next_line = 1;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		/* A spreadsheet's byte order mark is not part of the header. */
		skip = first && n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
		first = false;
		if (!feed(&p, &r, buf + skip, n - skip)) {
			rc = practlink_exit_code(PRACTLINK_USAGE);
			goto out;
		}
		if (r.refused)
			break;
	}
	if (r.refused) {
		rc = practlink_exit_code(PRACTLINK_PERMISSION);
		goto out;
	}
	if (csv_fini(&p, on_field, on_row, &r) != 0) {
		snprintf(msg, sizeof msg, "%s:%zu: a quote opened on this line is never closed",
			 path, r.line);
		rc = cli_fail_with(PRACTLINK_BAD_DATA, msg,
				   "close the quote, or remove it: a quoted field ends with \"");
		goto out;
	}
	if (r.bad_header || !r.header_done) {
		int used = snprintf(msg, sizeof msg, "%s:1: the header must be ", path);
		for (size_t i = 0; i < required + optional && used > 0 && (size_t)used < sizeof msg;
		     i++)
			used += snprintf(msg + used, sizeof msg - (size_t)used, "%s%s%s%s",
					 i ? "," : "", i == required ? "[" : "", header[i],
					 i + 1 == required + optional && optional ? "]" : "");
		rc = cli_fail_with(PRACTLINK_USAGE, msg, "");
	}
out:
	clear(&r);
	explicit_bzero(buf, sizeof buf);
	csv_free(&p);
	if (f != stdin)
		fclose(f);
	return rc;
}
