#!/bin/sh
# SPDX-License-Identifier: MIT
# The systemd units are valid and hardened (exposure 2.0 or better), and a
# logrotate of the audit trail during a running link --all loses and
# doubles no line.
set -eu
: "${PL_SRCDIR:?run from make check}" "${PL_BUILDDIR:?}"
root=$(mktemp -d "${TMPDIR:-/tmp}/practlink-units.XXXXXX")
trap 'rm -rf "$root"' EXIT
fail() { echo "units.sh: $*" >&2; exit 1; }
n=0

# The units, with ExecStart on the practlink just built.
sed "s|^ExecStart=[^ ]*|ExecStart=$PL_BUILDDIR/cli/practlink|" \
	"$PL_BUILDDIR/contrib/systemd/practlink-verify.service" >"$root/practlink-verify.service"
cp "$PL_SRCDIR/contrib/systemd/practlink-verify.timer" "$root/"
out=$(systemd-analyze verify --man=no "$root/practlink-verify.service" \
	"$root/practlink-verify.timer" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify said: $out"
n=$((n + 1))
systemd-analyze security --offline=true --threshold=20 "$root/practlink-verify.service" \
	>"$root/security" 2>&1 || fail "exposure above 2.0: $(tail -n 1 "$root/security")"
grep 'Overall exposure level' "$root/security"
n=$((n + 1))

# A clinic linking 300 practitioners while logrotate moves its audit trail.
clinic="$root/clinic"
mkdir -p "$clinic/integrations.d"
printf 'pms_name = "juvonno";\nstore = { path = "store"; };\n' >"$clinic/practlink.conf"
printf 'mock = { enabled = true; module = "mock"; create_missing_users = true;\n  settings = { state_dir = "../mock"; latency_ms = 3; }; };\n' \
	>"$clinic/integrations.d/mock.conf"
chmod 644 "$clinic/practlink.conf" "$clinic/integrations.d/mock.conf"
pl="$PL_BUILDDIR/cli/practlink --config $clinic/practlink.conf --module-dir $PL_MODULE_DIR"
{
	echo id,first_name,last_name,email
	i=0
	while [ $i -lt 300 ]; do
		echo "r$i,Ada,Lovelace,r$i@clinic.example"
		i=$((i + 1))
	done
} >"$root/roster.csv"
$pl practitioner import "$root/roster.csv" >/dev/null
sed "s|@statedir@|$clinic/store|" "$PL_SRCDIR/contrib/logrotate/practlink.in" >"$root/logrotate.conf"
chmod 644 "$root/logrotate.conf"
$pl -q link --all -j 4 &
linker=$!
# Rotate once the run is well under way: some links written, most not.
i=0
while [ "$(grep -c '"action":"link"' "$clinic/store/audit.log" || true)" -lt 30 ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
logrotate -f -s "$root/logrotate.state" "$root/logrotate.conf" || fail "logrotate failed"
wait $linker || fail "link --all failed"
[ -f "$clinic/store/audit.log.1" ] || fail "no rotation happened"
links=$(cat "$clinic/store/audit.log" "$clinic/store/audit.log.1" | grep -c '"action":"link"')
unique=$(cat "$clinic/store/audit.log" "$clinic/store/audit.log.1" | grep '"action":"link"' |
	sed 's/.*"id":"\([^"]*\)".*/\1/' | sort -u | wc -l)
if [ "$links" -ne 300 ] || [ "$unique" -ne 300 ]; then
	fail "audit lines across the rotation: $links, of $unique practitioners; want 300 of 300"
fi
[ -s "$clinic/store/audit.log.1" ] && echo "rotated during the run: $(wc -l <"$clinic/store/audit.log.1") lines before, $(wc -l <"$clinic/store/audit.log") after"
n=$((n + 1))
echo "units.sh: $n passed, 0 failed"
