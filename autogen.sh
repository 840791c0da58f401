#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerate the build system from a git checkout; tarballs do not need this.
set -e
cd "$(dirname "$0")"
mkdir -p m4
autoreconf --force --install
