#!/bin/sh
# SPDX-License-Identifier: MIT
# make install into a scratch root, then use it as a host would: the
# layout, pkg-config, the man pages, bash completion, examples/host.c built
# against the installed library, a module built from the template, and
# make uninstall removing what install added.
set -eu
: "${PL_BUILDDIR:?run from make check}" "${PL_SRCDIR:?}" "${MAKE:=make}"
root=$(mktemp -d "${TMPDIR:-/tmp}/practlink-install.XXXXXX")
fake_pid=
trap 'test -z "$fake_pid" || kill "$fake_pid"; rm -rf "$root"' EXIT
fail() { echo "install.sh: $*" >&2; exit 1; }

$MAKE -s -C "$PL_BUILDDIR" install DESTDIR="$root/dest" >/dev/null
prefix=$(sed -n 's/^prefix=//p' "$PL_BUILDDIR/practlink.pc")
libdir=$(PKG_CONFIG_PATH= pkg-config --define-variable=prefix="$prefix" \
	--variable=libdir "$PL_BUILDDIR/practlink.pc")
moduledir=$(pkg-config --variable=moduledir "$PL_BUILDDIR/practlink.pc")
sysconfdir=$(pkg-config --variable=sysconfdir "$PL_BUILDDIR/practlink.pc")
d="$root/dest"

for f in "$prefix/bin/practlink" "$prefix/bin/practlink-fake-physitrack" \
	"$libdir/libpractlink.so.0" "$prefix/include/practlink.h" \
	"$prefix/include/practlink-module.h" "$prefix/include/practlink-status.def" \
	"$libdir/pkgconfig/practlink.pc" "$moduledir/mock.so" "$moduledir/physitrack.so" \
	"$sysconfdir/practlink/practlink.conf" "$sysconfdir/practlink/integrations.d/mock.conf" \
	"$sysconfdir/practlink/integrations.d/physitrack.conf" \
	"$prefix/share/man/man1/practlink.1" "$prefix/share/man/man5/practlink.conf.5" \
	"$prefix/share/man/man7/practlink-module.7" \
	"$prefix/share/bash-completion/completions/practlink" \
	"$prefix/lib/systemd/system/practlink-verify.service" \
	"$prefix/lib/systemd/system/practlink-verify.timer" "$sysconfdir/logrotate.d/practlink"; do
	test -e "$d$f" || fail "not installed: $f"
done
test ! -e "$d$moduledir/mock.la" || fail "libtool's .la files are not for modules"
state=$(find "$d" -type d -path '*/lib/practlink' ! -path '*/modules*' | head -n 1)
test -n "$state" && test "$(stat -c %a "$state")" = 700 || fail "no 0700 state folder"
readelf -d "$d$libdir/libpractlink.so.0" | grep -q 'SONAME.*libpractlink.so.0' ||
	fail "no soname"
# Its symbols are versioned, and only practlink_* are there.
syms=$(objdump -T "$d$libdir/libpractlink.so.0" | awk '$2 == "g" && $4 == ".text"')
echo "$syms" | grep -q 'PRACTLINK_0 *practlink_link$' || fail "practlink_link is not in PRACTLINK_0"
! echo "$syms" | awk '{ print $NF }' | grep -v '^practlink_' | grep -q . ||
	fail "exported beside practlink_*: $(echo "$syms" | awk '{ print $NF }' | grep -v '^practlink_')"

# The configuration shows this install's own defaults.
conf="$d$sysconfdir/practlink/practlink.conf"
grep -qF "# module_dir = \"$moduledir\";" "$conf" ||
	fail "practlink.conf does not show this install's module_dir ($moduledir)"
grep -qF "path = \"${state#"$d"}\"" "$conf" ||
	fail "practlink.conf does not show this install's store (${state#"$d"})"
! grep -q '@[a-z]*@' "$conf" || fail "practlink.conf kept a placeholder"
grep -q "^ExecStart=$prefix/bin/practlink -q verify --all" \
	"$d$prefix/lib/systemd/system/practlink-verify.service" ||
	fail "the service does not run this install's practlink"

# The man pages render.
for m in "$d$prefix"/share/man/man*/*; do
	man -l "$m" >/dev/null 2>&1 || fail "$m does not render"
done

# The completion offers the commands.
words=$(bash -c ". '$d$prefix/share/bash-completion/completions/practlink'
	COMP_WORDS=(practlink li); COMP_CWORD=1; _practlink; echo \${COMPREPLY[*]}")
test "$words" = link || fail "completion of 'li' gave '$words'"

# A host built against the installed library, with pkg-config.
export PKG_CONFIG_PATH="$d$libdir/pkgconfig"
pc="pkg-config --define-variable=prefix=$d$prefix"
# (In the sanitizer build, the host is built as the library was.)
cc -Wall ${PL_SANITIZER_FLAGS:-} -o "$root/host" "$PL_SRCDIR/examples/host.c" \
	$($pc --cflags --libs practlink)
export LD_LIBRARY_PATH="$d$libdir"
export PRACTLINK_MODULE_DIR="$d$moduledir"
clinic="$root/clinic"
mkdir -p "$clinic/integrations.d"
printf 'pms_name = "juvonno";\nstore = { path = "store"; };\n' >"$clinic/practlink.conf"
printf 'mock = { enabled = true; module = "mock"; create_missing_users = true;\n  settings = { state_dir = "../mock"; }; };\n' \
	>"$clinic/integrations.d/mock.conf"
chmod 644 "$clinic/practlink.conf" "$clinic/integrations.d/mock.conf"
out=$("$root/host" "$clinic/practlink.conf" p1 Ada Lovelace ada@clinic.example </dev/null)
echo "$out" | grep -q '^p1 on mock: linked, platform key ending ' || fail "host: $out"

# The host's assisted link, against the fake Physitrack server.
printf 'uk PtKey0123456789 juvonno PmsKey0123456789abcdefghijKLMNOP\n' >"$root/state"
"$d$prefix/bin/practlink-fake-physitrack" --state "$root/state" >"$root/port" &
fake_pid=$!
i=0
while [ ! -s "$root/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
port=$(awk '{ print $2 }' "$root/port")
printf 'physitrack = { enabled = true; module = "physitrack";\n  settings = { region = "uk"; base_url = "http://127.0.0.1:%s/{region}"; allow_insecure_http = true; }; };\n' \
	"$port" >"$clinic/integrations.d/physitrack.conf"
printf 'mock = { enabled = false; module = "mock"; };\n' >"$clinic/integrations.d/mock.conf"
chmod 644 "$clinic/integrations.d/"*.conf
printf 'PmsKey0123456789abcdefghijKLMNOP\n' >"$root/pms"
chmod 600 "$root/pms"
"$d$prefix/bin/practlink" --config "$clinic/practlink.conf" practitioner add p2 \
	--first-name Grace --last-name Hopper --email grace@clinic.example --pms-key-file "$root/pms" >/dev/null
out=$(echo ' PtKey0123456789 ' | "$root/host" "$clinic/practlink.conf" p2 Grace Hopper grace@clinic.example)
echo "$out" | grep -q 'PMS key to paste: PmsKey0123456789abcdefghijKLMNOP' || fail "host showed: $out"
echo "$out" | grep -q 'Integrate with' || fail "host showed no manual steps: $out"
echo "$out" | grep -q '^p2 on physitrack: linked, platform key ending 6789' || fail "host: $out"
kill "$fake_pid"
wait "$fake_pid" || true
fake_pid=

# A module built from the template, loaded, and linked through.
cp -R "$PL_SRCDIR/examples/module-template" "$root/tpl"
chmod -R u+w "$root/tpl"
$MAKE -s -C "$root/tpl" PKG_CONFIG="$pc" >/dev/null
mkdir -m 755 "$root/mods"
cp "$root/tpl/template.so" "$root/mods/"
chmod 644 "$root/mods/template.so"
printf 'template = { enabled = true; module = "template"; };\n' >"$clinic/integrations.d/template.conf"
printf 'physitrack = { enabled = false; module = "physitrack"; };\n' >"$clinic/integrations.d/physitrack.conf"
chmod 644 "$clinic/integrations.d/"*.conf
pl="$d$prefix/bin/practlink --config $clinic/practlink.conf --module-dir $root/mods"
$pl modules | grep -q '^template .* 2    1.0 ' || fail "template not listed: $($pl modules)"
$pl link p1 | grep -q 'p1: linked' || fail "no link through the template"
$pl verify p1 >/dev/null || fail "the template's link does not verify"

# The completion offers the names this clinic has: integrations after -i,
# practitioners' ids where an ID goes.
complete_words() {
	PATH="$d$prefix/bin:$PATH" bash -c ". '$d$prefix/share/bash-completion/completions/practlink'
		COMP_WORDS=($*); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _practlink
		echo \${COMPREPLY[*]}"
}
words=$(complete_words practlink --config "$clinic/practlink.conf" link -i '""')
test "$words" = "mock physitrack template" || fail "completion of -i gave '$words'"
words=$(complete_words practlink --config "$clinic/practlink.conf" practitioner show p)
test "$words" = "p1 p2" || fail "completion of an id gave '$words'"

# What install added, uninstall removes.
$MAKE -s -C "$PL_BUILDDIR" uninstall DESTDIR="$root/dest" >/dev/null
left=$(find "$root/dest" -type f | head -n 5)
test -z "$left" || fail "left after uninstall: $left"
echo "install.sh: 1 passed, 0 failed"
