#!/bin/sh
# SPDX-License-Identifier: MIT
# The man pages are well-formed: groff has nothing to warn about, and the
# rendered text has no macro glued to a word (E.RB) and no option glued to
# its value (-iINTEGRATION), as a reader would see them.
set -eu
: "${PL_SRCDIR:?run from make check}"
n=0
for m in "$PL_SRCDIR"/man/*.[0-9]; do
	warnings=$(groff -t -man -ww -z "$m" 2>&1)
	if [ -n "$warnings" ]; then
		echo "$m:" >&2
		echo "$warnings" >&2
		exit 1
	fi
	text=$(groff -t -man -Tutf8 -P-cbou -rLL=200n "$m" 2>/dev/null)
	glued=$(printf '%s\n' "$text" | grep -nE '[A-Za-z]\.(B|I|R|BR|RB|BI|IB|IR|RI|TP|PP)\b|(^|[ [])-[a-z][A-Z]{3,}|--[a-z-]+[A-Z]{3,}' || true)
	if [ -n "$glued" ]; then
		echo "$m: glued in the rendered text:" >&2
		echo "$glued" >&2
		exit 1
	fi
	n=$((n + 1))
done
# The synopses a reader copies from must read as typed.
page=$(groff -t -man -Tutf8 -P-cbou -rLL=200n "$PL_SRCDIR/man/practlink.1" 2>/dev/null)
for want in \
	'practitioner add ID --first-name F --last-name L --email E [--pms-key-file FILE|-]' \
	'link (ID... | --all) [-i INTEGRATION] [-j JOBS] [--assisted] [--dry-run]' \
	'verify (ID... | --all) [-i INTEGRATION] [-j JOBS]' \
	'practitioner remove ID [--force]'; do
	if ! printf '%s\n' "$page" | grep -qF -- "$want"; then
		echo "practlink.1: the rendered page lacks: $want" >&2
		exit 1
	fi
	n=$((n + 1))
done
echo "man-lint: $n passed, 0 failed"
