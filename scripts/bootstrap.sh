#!/usr/bin/env bash
# Fresh Debian 12 machine → the main job: installs the packages, builds, and runs
# `copylab compare` on its default experiment (its own namespaces, removed afterwards).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
exec "${BUILD_DIR:-$root/build}/bin/copylab" compare "$@"
