#!/bin/sh
# SPDX-License-Identifier: MIT
# Memory flat in the number of practitioners: each command's peak RSS at
# 20,000 practitioners is at most 1.25 x its peak at 2,000 (make
# bench-scale measures the same at 1,000,000). A test of memory, never of
# time.
set -eu
: "${PL_SRCDIR:?run from make check}" "${PL_BUILDDIR:?}" "${PL_MODULE_DIR:?}"
if [ -n "${PL_SANITIZER_FLAGS:-}" ]; then
	# ASan's quarantine keeps what is freed: its RSS measures ASan.
	echo "scale-memory.sh: SKIP: the plain build measures memory"
	exit 77
fi
root=$(mktemp -d "${TMPDIR:-/tmp}/practlink-scale.XXXXXX")
trap 'rm -rf "$root"' EXIT
fail() { echo "scale-memory.sh: $*" >&2; exit 1; }
practlink="$PL_BUILDDIR/cli/.libs/practlink"
LD_LIBRARY_PATH="$PL_BUILDDIR/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH

# Peak RSS (KiB) of practlink on clinic $1 running the rest.
rss() {
	dir=$1
	shift
	out=$("$PL_BUILDDIR/bench/measure" "$practlink" --config "$dir/practlink.conf" \
		--module-dir "$PL_MODULE_DIR" -q "$@" 2>&1 >/dev/null | tail -n 1)
	case "$out" in
	*" rc=0") ;;
	*) fail "practlink $* on $dir: $out" ;;
	esac
	echo "$out" | sed 's/.*peak_rss_kib=\([0-9]*\).*/\1/'
}

commands="link:link --all
verify:verify --all
status:status
json-status:--json status
list:practitioner list
json-list:--json practitioner list
ids:practitioner list --ids
doctor:doctor"

for n in 2000 20000; do
	dir="$root/c$n"
	mkdir -p "$dir/integrations.d"
	printf 'pms_name = "juvonno";\nstore = { path = "store"; };\n' >"$dir/practlink.conf"
	printf 'mock = { enabled = true; module = "mock"; create_missing_users = true;\n  settings = { state_dir = "../mock"; }; };\n' \
		>"$dir/integrations.d/mock.conf"
	chmod 644 "$dir/practlink.conf" "$dir/integrations.d/mock.conf"
	"$PL_BUILDDIR/bench/mkstore" "$dir/store" $n
	echo "$commands" | while IFS=: read -r name cmd; do
		# shellcheck disable=SC2086
		echo "$name $(rss "$dir" $cmd)"
	done >"$root/rss$n"
done
checks=0
while read -r name small; do
	large=$(awk -v n="$name" '$1 == n { print $2 }' "$root/rss20000")
	echo "scale-memory $name: 2,000: $small KiB, 20,000: $large KiB"
	awk -v s="$small" -v l="$large" 'BEGIN { exit !(l <= 1.25 * s) }' ||
		fail "$name grows with the store: $small KiB at 2,000, $large KiB at 20,000"
	checks=$((checks + 1))
done <"$root/rss2000"
echo "scale-memory.sh: $checks checks passed"
