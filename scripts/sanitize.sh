#!/usr/bin/env bash
# Builds copylab with AddressSanitizer and UndefinedBehaviorSanitizer (g++, build-asan/) and runs
# the unit tests and a representative integration subset under them: the AF_XDP and socket
# datapaths (transfer, echo, refusals, cleanup, the xskxceiver-style failure rows), the tools as a
# user runs them (the traffic and 100k-frame accounting tables, bad input, signals, crafted
# frames), one compare --all-pairs run and one latency run. Any sanitizer report stops the
# process (halt_on_error) and fails its test; leaks are reported at exit (detect_leaks).
#   ASAN_BUILD_DIR (default build-asan), ASAN_TESTS: ctest -R regex of the integration subset
#   (test names, with or without a parameterized suite's "Prefix/").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ASAN_BUILD_DIR:-$root/build-asan}
subset=${ASAN_TESTS:-'^([A-Za-z]+/)?(AfXdpTransfer|AfXdpEcho|AfXdpRefusals|AfXdpCleanup|AfXdpTx|AfXdpSteer|XskFillStarvation|XskRxRingFull|XskCompletionBacklog|XskInvalidTxDescs|SockPair|SockEcho|SockBadInput|ToolsTest|ToolsBadInput|TrafficTable|AccountingTable|CraftedFrames|CompareTest\.(AllPairsEndToEnd|MissingNamespace)|LatencyCommand\.(EndToEnd|BadCpu))'}

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
# -O0 -g1: the build is most of this script's time, and an ASan+UBSan object at -O2 -g costs 2.7
# times the CPU of one at -O0 -g1 (line tables are all a sanitizer's stack trace needs).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOPYLAB_WERROR=OFF \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
echo "sanitize: unit tests under ASan+UBSan"
ctest --output-on-failure -L unit -j"$(nproc)"
echo "sanitize: integration subset under ASan+UBSan: $subset"
ctest --output-on-failure -L integration -R "$subset"
