/* SPDX-License-Identifier: MIT */
/* text.c - text from outside (rosters, records, the network) on a
 * terminal: escaped so that it cannot move the cursor or retitle the
 * window, and measured in columns so that tables line up. */
#include "cli.h"

#include <string.h>
#include <stdlib.h>
#include <wchar.h>
#include <wctype.h>

/* The next character of s: its length in bytes (0 at the end), and in
 * *wc the character, or -1 for a byte that is not UTF-8 or not printable. */
static size_t next_char(const char *s, wchar_t *wc)
{
	mbstate_t ps;
	size_t n;

	if (!*s)
		return 0;
	memset(&ps, 0, sizeof ps);
	n = mbrtowc(wc, s, MB_CUR_MAX, &ps);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0 || !iswprint((wint_t)*wc)) {
		*wc = -1;
		return 1;
	}
	return n;
}

/* Columns of one character; an escaped byte takes four (\xHH). */
static size_t columns(wchar_t wc)
{
	int w = wc < 0 ? 4 : wcwidth(wc);
	return w < 0 ? 4 : (size_t)w;
}

void cli_put_text(FILE *f, const char *text)
{
	wchar_t wc;
	size_t n;

	for (const char *s = text ? text : ""; (n = next_char(s, &wc)); s += n) {
		if (wc < 0)
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fwrite(s, 1, n, f);
	}
}

size_t cli_width(const char *text)
{
	size_t cols = 0, n;
	wchar_t wc;

	for (const char *s = text ? text : ""; (n = next_char(s, &wc)); s += n)
		cols += columns(wc);
	return cols;
}

void cli_put_cell(const char *text, size_t width)
{
	size_t used = cli_width(text);

	cli_put_text(stdout, text);
	for (; used < width; used++)
		putchar(' ');
}
