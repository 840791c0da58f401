#!/bin/sh
# The man pages are well-formed: groff has nothing to warn about.
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
	n=$((n + 1))
done
echo "man-lint: $n passed, 0 failed"
