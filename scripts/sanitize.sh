#!/usr/bin/env bash
# Builds copylab with AddressSanitizer and UndefinedBehaviorSanitizer (g++, build-asan/) and runs
# the unit tests and a representative integration subset under them: the AF_XDP and socket
# datapaths, the tools as a user runs them (frames, bad input, signals, crafted frames) and a
# compare run. Any sanitizer report stops the process (halt_on_error) and fails its test.
#   ASAN_BUILD_DIR (default build-asan), ASAN_TESTS: ctest -R regex of the integration subset.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ASAN_BUILD_DIR:-$root/build-asan}
subset=${ASAN_TESTS:-'^(AfXdpTransfer|AfXdpEcho|AfXdpRefusals|AfXdpCleanup|SockPair|SockEcho|SockBadInput|ToolsTest|ToolsBadInput|CraftedFrames|CompareTest\.MissingNamespace|LatencyCommand\.BadCpu)'}

flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# Test discovery runs the test binaries at build time: they need the same options.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_init_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# -Werror off: with -fsanitize, g++ 12 reports false maybe-uninitialized warnings inside
# libstdc++ (std::regex's std::function moves), which the normal build keeps as errors.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOPYLAB_WERROR=OFF \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
echo "sanitize: unit tests under ASan+UBSan"
ctest --output-on-failure -L unit -j"$(nproc)"
echo "sanitize: integration subset under ASan+UBSan: $subset"
ctest --output-on-failure -L integration -R "$subset"
