#!/bin/sh
# SPDX-License-Identifier: MIT
# Every source file says its licence in its first lines.
set -eu
: "${PL_SRCDIR:?run from make check}"
n=0
missing=
for f in $(cd "$PL_SRCDIR" && find include lib cli modules tests examples fuzz bench scripts man conf contrib \
	-type f \( -name '*.[ch]' -o -name '*.def' -o -name '*.sh' -o -name '*.conf' -o -name '*.in' \
	-o -name '*.[0-9]' -o -name run -o -name smoke -o -name test-all -o -name install-deps \) \
	! -path '*/corpus/*' ! -path '*/regressions/*' 2>/dev/null) Makefile.am configure.ac; do
	if head -n 3 "$PL_SRCDIR/$f" | grep -q 'SPDX-License-Identifier: MIT'; then
		n=$((n + 1))
	else
		missing="$missing $f"
	fi
done
if [ -n "$missing" ]; then
	echo "spdx: no SPDX-License-Identifier in:$missing" >&2
	exit 1
fi
echo "spdx: $n passed, 0 failed"
