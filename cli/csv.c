/* csv.c - rosters and key lists, read with libcsv. A row's problems are
 * the caller's to report, by line number; the file's are reported here. */
#include "cli.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
};

static void on_field(void *data, size_t len, void *p)
{
	struct reader *r = p;

	if (r->n < MAX_FIELDS) {
		r->fields[r->n] = strndup(data ? data : "", len);
		r->n++;
	} else {
		r->overflow = true;
	}
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
}

static void on_row(int end, void *p)
{
	struct reader *r = p;

	if (!r->header_done) {
		r->header_done = true;
		for (size_t i = 0; i < r->required + r->optional; i++) {
			if (i >= r->n && i < r->required)
				r->bad_header = true;
			if (i < r->n && (!r->fields[i] || strcmp(r->fields[i], r->header[i]) != 0))
				r->bad_header = true;
		}
		if (r->n > r->required + r->optional)
			r->bad_header = true;
	} else if (!r->bad_header && !(r->n == 1 && r->fields[0] && !*r->fields[0])) {
		r->row(r->arg, r->line, r->overflow ? MAX_FIELDS + 1 : r->n, r->fields);
	}
	clear(r);
	/* Rows end on their newline, before the caller counts it. */
	r->line = r->next_line + 1;
}

int cli_csv_read(const char *path, const char *const *header, size_t required, size_t optional,
		 cli_csv_row row, void *arg)
{
	struct reader r = { .path = path,
			    .header = header,
			    .required = required,
			    .optional = optional,
			    .row = row,
			    .arg = arg };
	struct csv_parser p;
	char buf[4096];
	size_t n;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	int rc = 0;

	if (!f) {
		fprintf(stderr, "practlink: %s: %s\n", path, strerror(errno));
		return -1;
	}
	csv_init(&p, CSV_APPEND_NULL | CSV_EMPTY_IS_NULL);
	r.line = r.next_line = 1;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		/* Feed line by line, so that each record knows where it began. */
		for (size_t off = 0; off < n;) {
			char *nl = memchr(buf + off, '\n', n - off);
			size_t chunk = nl ? (size_t)(nl - (buf + off)) + 1 : n - off;
			if (csv_parse(&p, buf + off, chunk, on_field, on_row, &r) != chunk) {
				fprintf(stderr, "practlink: %s:%zu: %s\n", path, r.next_line,
					csv_strerror(csv_error(&p)));
				rc = -1;
				goto out;
			}
			if (nl)
				r.next_line++;
			off += chunk;
		}
	}
	csv_fini(&p, on_field, on_row, &r);
	if (r.bad_header || !r.header_done) {
		fprintf(stderr, "practlink: %s:1: the header must be ", path);
		for (size_t i = 0; i < required + optional; i++)
			fprintf(stderr, "%s%s%s%s", i ? "," : "", i == required ? "[" : "",
				header[i], i + 1 == required + optional && optional ? "]" : "");
		fprintf(stderr, "\n");
		rc = -1;
	}
out:
	clear(&r);
	explicit_bzero(buf, sizeof buf);
	csv_free(&p);
	if (f != stdin)
		fclose(f);
	return rc;
}
