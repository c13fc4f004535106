#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit, integration, lab).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$build"
# Unit tests in parallel; tests that touch the kernel's network state one at a time.
ctest --output-on-failure -L unit -j"$(nproc)"
ctest --output-on-failure -LE unit
