#!/bin/sh
# SPDX-License-Identifier: MIT
# lib/ has layers: no file calls, through any other, a file that calls it.
set -eu
: "${PL_SRCDIR:?run from make check}" "${PL_BUILDDIR:?}"
if out=$(sh "$PL_SRCDIR/scripts/lib-graph" "$PL_BUILDDIR"); then
	echo "lib-graph: 1 passed, 0 failed"
else
	echo "$out" >&2
	echo "lib-graph: 0 passed, 1 failed"
	exit 1
fi
