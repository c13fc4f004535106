#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit, integration, lab), then
# the fuzz targets (scripts/fuzz.sh) and the ASan+UBSan build with its unit tests and integration
# subset (scripts/sanitize.sh: a second full build at -O0; COPYLAB_TEST_SANITIZE=0 skips it).
# Every part runs even when an earlier one failed; the exit code is non-zero if any part failed,
# and the last line counts the tests of all parts together, in ctest's words.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$build"

logs=$(mktemp -d "${TMPDIR:-/tmp}/copylab-test.XXXXXX")
trap 'rm -rf "$logs"' EXIT
failed_parts=()
total=0
failed=0
part() {  # part NAME COMMAND...: runs it (output to the screen and to its log) and counts
  local name=$1 start=$SECONDS log="$logs/${#failed_parts[@]}-$SECONDS.log" ok=1 t f
  shift
  echo "== test.sh: $name"
  "$@" 2>&1 | tee "$log" || ok=0
  # ctest's closing lines, and fuzz.sh's, give the tests this part ran and how many failed.
  read -r t f < <(awk '
    /tests passed, [0-9]+ tests? failed out of [0-9]+$/ { t += $NF; f += $(NF-5) }
    /^fuzz: all [0-9]+ targets passed/ { t += $3 }
    /^fuzz: [0-9]+ of [0-9]+ targets failed/ { t += $4; f += $2 }
    END { print t + 0, f + 0 }' "$log")
  if [ $ok -eq 0 ] && [ "$f" -eq 0 ]; then  # failed before or after its tests (e.g. a build)
    t=$((t + 1))
    f=1
  fi
  total=$((total + t))
  failed=$((failed + f))
  if [ $ok -eq 1 ]; then
    echo "== test.sh: $name passed ($((SECONDS - start)) s)"
  else
    echo "== test.sh: $name FAILED ($((SECONDS - start)) s)"
    failed_parts+=("$name")
  fi
}
# Unit tests in parallel; tests that touch the kernel's network state one at a time.
part "unit tests" ctest --output-on-failure -L unit -j"$(nproc)"
part "integration and lab tests" ctest --output-on-failure -LE unit
part "fuzz targets" "$root/scripts/fuzz.sh"
# The ASan+UBSan build and subset (a second full build): on unless COPYLAB_TEST_SANITIZE=0.
if [ "${COPYLAB_TEST_SANITIZE:-1}" != 0 ]; then
  part "ASan+UBSan build and subset" "$root/scripts/sanitize.sh"
fi

[ ${#failed_parts[@]} -eq 0 ] || echo "test.sh: failed parts: ${failed_parts[*]}"
pct=$((total > 0 ? (total - failed) * 100 / total : 0))
[ "$failed" -eq 0 ] || [ "$pct" -lt 100 ] || pct=99
echo "test.sh, all parts: ${pct}% tests passed, ${failed} tests failed out of ${total}"
echo "total: $((total - failed)) passed, ${failed} failed"
[ ${#failed_parts[@]} -eq 0 ]
