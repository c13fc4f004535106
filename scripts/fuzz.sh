#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang in a build of their own and runs each for
# a bounded time. Every input under tests/fuzz/corpus/<target>/ (seeds and the crashers found so
# far, kept as regression cases) is replayed first; new coverage goes to a scratch corpus, never
# into the source tree. A crash leaves its input in the scratch directory, named in the output.
#   FUZZ_BUILD_DIR (default build-fuzz), FUZZ_SECONDS per target (default 10).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-10}
targets=(fuzz_frame fuzz_options fuzz_kallsyms fuzz_hist fuzz_counters)

if ! command -v clang++ >/dev/null; then
  echo "fuzz: error: clang++ not found. Fix: apt-get install clang libclang-rt-14-dev" >&2
  exit 1
fi
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCOPYLAB_FUZZ=ON "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/copylab-fuzz.XXXXXX")
failed=()
for t in "${targets[@]}"; do
  seeds="$root/tests/fuzz/corpus/$t"
  mkdir -p "$scratch/$t" "$scratch/$t-crash"
  if "$build/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$scratch/$t-crash/" "$scratch/$t" "$seeds" >"$scratch/$t.log" 2>&1; then
    echo "fuzz: $t: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$t.log" \
      | grep -o '[0-9]*$') runs in ${seconds}s, $(find "$seeds" -type f | wc -l) corpus inputs replayed, no crash"
  else
    echo "fuzz: $t: FAILED; its log: $scratch/$t.log, the input: $(ls "$scratch/$t-crash/"* 2>/dev/null | head -1)"
    echo "      Fix the bug, then keep the input as a regression case in tests/fuzz/corpus/$t/"
    tail -n 30 "$scratch/$t.log" | sed 's/^/      /'
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
  exit 1
fi
rm -rf "$scratch"
echo "fuzz: all ${#targets[@]} targets passed"
