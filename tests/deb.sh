#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages: built from what 'make dist' ships, clean under
# lintian, split as designed, and working from a root made by dpkg-deb -x
# alone: practlink --version, practlink modules, and the demo clinic.
set -eu
: "${PL_SRCDIR:?run from make check}" "${PL_BUILDDIR:?}" "${MAKE:=make}"
fail() { echo "deb.sh: $*" >&2; exit 1; }

# Not from inside the package build itself; not twice (the sanitizer
# build makes the same packages).
if [ -n "${PL_PACKAGE_BUILD:-}" ] || [ -n "${PL_SANITIZER_FLAGS:-}" ]; then
	echo "deb.sh: SKIP: the plain build's make check builds the packages"
	exit 77
fi
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null ||
	! command -v lintian >/dev/null; then
	# CI installs them (scripts/install-deps): a missing tool is a failure.
	[ -z "${CI:-}" ] || fail "dpkg-buildpackage, debhelper and lintian are needed"
	echo "deb.sh: SKIP: dpkg-buildpackage, debhelper or lintian is not installed"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/practlink-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$PL_BUILDDIR/Makefile")
src="$work/practlink-$version"
$MAKE -s -C "$PL_BUILDDIR" distdir distdir="$src" >/dev/null
DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck \
	"$PL_SRCDIR/scripts/build-deb" "$src" >"$work/build.log" 2>&1 ||
	{ tail -n 30 "$work/build.log" >&2; fail "the packages did not build or lintian objected"; }
n=1

# Each file in the package Debian's split puts it in.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
has() { # PACKAGE PATH
	dpkg-deb -c "$work/$1_${version}_"*.deb | awk '{ print $6 }' | grep -qx "./$2" ||
		fail "$1 does not ship /$2"
}
has libpractlink0 "usr/lib/$arch/libpractlink.so.0"
has libpractlink-dev "usr/include/practlink.h"
has libpractlink-dev "usr/lib/$arch/libpractlink.so"
has libpractlink-dev "usr/lib/$arch/pkgconfig/practlink.pc"
has libpractlink-dev "usr/share/man/man7/practlink-module.7.gz"
has libpractlink-dev "usr/share/doc/libpractlink-dev/examples/module-template/template.c"
has practlink "usr/bin/practlink"
has practlink "usr/lib/$arch/practlink/modules/exec.so"
has practlink "usr/libexec/practlink/practlink-module-host"
has practlink "etc/practlink/practlink.conf"
has practlink "lib/systemd/system/practlink-verify.timer"
has practlink "etc/logrotate.d/practlink"
has practlink "usr/share/bash-completion/completions/practlink"
has practlink "var/lib/practlink/"
has practlink-module-physitrack "usr/lib/$arch/practlink/modules/physitrack.so"
has practlink-dev-tools "usr/lib/$arch/practlink/modules/mock.so"
has practlink-dev-tools "usr/bin/practlink-fake-physitrack"
n=$((n + 1))
# The fake server's libmicrohttpd is pulled only by practlink-dev-tools.
for p in libpractlink0 practlink practlink-module-physitrack; do
	case "$(dpkg-deb -f "$work/${p}_${version}_"*.deb Depends)" in
	*libmicrohttpd*) fail "$p pulls in libmicrohttpd" ;;
	esac
done
# What the sysadmin edits survives upgrades.
dpkg-deb -e "$work/practlink_${version}_"*.deb "$work/control"
grep -qx /etc/practlink/practlink.conf "$work/control/conffiles" ||
	fail "/etc/practlink/practlink.conf is not a conffile"
grep -q -- '--home /var/lib/practlink practlink' "$work/control/postinst" || fail "postinst makes no practlink user"
n=$((n + 1))

# A root holding nothing but the packages' files.
root="$work/root"
for deb in "$work"/*.deb; do
	case "$deb" in *-dbgsym_*) continue ;; esac
	dpkg-deb -x "$deb" "$root"
done
export LD_LIBRARY_PATH="$root/usr/lib/$arch"
pl="$root/usr/bin/practlink --module-dir $root/usr/lib/$arch/practlink/modules"
lib=$(ldd "$root/usr/bin/practlink" | awk '/libpractlink/ { print $3 }')
[ "$lib" = "$root/usr/lib/$arch/libpractlink.so.0" ] || fail "practlink loads $lib"
$pl --version | grep -q "practlink $version" || fail "practlink --version: $($pl --version)"
mods=$($pl --config "$root/etc/practlink/practlink.conf" modules --names)
[ "$mods" = "$(printf 'mock\nphysitrack')" ] || fail "practlink modules: $mods"
n=$((n + 1))

cp -R "$root/usr/share/practlink/demo" "$work/demo"
demo="$pl --config $work/demo/practlink.conf"
$demo doctor >"$work/doctor" 2>&1 || { cat "$work/doctor" >&2; fail "doctor on the demo"; }
$demo practitioner import "$work/demo/roster.csv" >/dev/null
$demo -q link --all
linked=$($demo --json status | grep -o '"state":[[:space:]]*"linked"' | wc -l)
rows=$(($(wc -l <"$work/demo/roster.csv") - 1))
[ "$linked" -eq "$rows" ] || fail "the demo linked $linked of $rows"
n=$((n + 1))
echo "deb.sh: $n checks passed; the packages:"
ls "$work"/*.deb | sed 's|.*/|  |'
