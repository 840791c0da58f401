#!/bin/sh
# SPDX-License-Identifier: MIT
# The suites written for mock.so (every operation, link, rotate, unlink,
# bulk runs with -j 8, SIGKILL at random moments, fault injection) run
# unchanged against exec.so and examples/exec-backend/mockplatform.py:
# testutil rewrites each integration on mock.so to run that program.
set -eu
: "${PL_SRCDIR:?run from make check}" "${PL_BUILDDIR:?}"
command -v python3 >/dev/null || { echo "exec.sh: python3 is needed" >&2; exit 1; }
PL_TEST_BACKEND=exec
export PL_TEST_BACKEND
failed=0
for t in test_mock test_link test_cli_link test_bulk test_hostile; do
	echo "exec.sh: $t on exec.so + mockplatform.py"
	"$PL_BUILDDIR/tests/$t" || failed=1
done
exit $failed
