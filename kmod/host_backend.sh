#!/usr/bin/env bash
# copylab's kmod backend on the host: builds copyprobe.ko against the RUNNING kernel's headers and
# loads it, where that kernel allows loadable modules and kprobes (a user's own machine). Where it
# does not, every command fails with one line naming the reason and the fix (exit 3).
#
#   host_backend.sh check                      "kmod backend: available ..." (0) or
#                                              "kmod backend: unavailable: <why>. Fix: <how>" (3)
#   host_backend.sh build [--out DIR]          build copyprobe.ko (default DIR: ~/.cache/copylab-kmod/<uname -r>)
#   host_backend.sh load [--comm a,b] [--pid N] [--burst N] [--out DIR]
#                                              check + build + insmod; prints /proc/copyprobe
#   host_backend.sh counters                   the exact per-site counters (/proc/copyprobe)
#   host_backend.sh reset                      zero the counters (between runs, with no traffic)
#   host_backend.sh unload                     rmmod; prints the final counters first
#
# /proc/copyprobe has one line per site: site= symbol= scope= state= calls= hits= bytes= printed=
# suppressed= nmissed= lens=<len>:<count>,... lens_other= (see kmod/copyprobe_stats.c).
set -euo pipefail

KMOD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KREL=$(uname -r)
OUT="${HOME:-/root}/.cache/copylab-kmod/$KREL"

unavailable() {
  echo "kmod backend: unavailable: $1. Fix: $2"
  exit 3
}

# Every reason this kernel cannot run copyprobe.ko, most fundamental first.
check() {
  [[ -e /proc/modules ]] ||
    unavailable "kernel $KREL has no loadable module support (CONFIG_MODULES is not set: /proc/modules is missing)" \
      "use 'copylab lab' (Debian's stock kernel in qemu) or the BPF backend"
  grep -q ' register_kprobe$' /proc/kallsyms 2>/dev/null ||
    unavailable "kernel $KREL has no kprobes (register_kprobe is not in /proc/kallsyms; CONFIG_KPROBES is not set)" \
      "use 'copylab lab' or a kernel built with CONFIG_KPROBES=y"
  if [[ $(cat /sys/module/module/parameters/sig_enforce 2>/dev/null) == Y ]]; then
    unavailable "kernel $KREL only loads signed modules (module.sig_enforce=Y) and copyprobe.ko is unsigned" \
      "sign it with your MOK key (kmodsign / scripts/sign-file) or boot without module.sig_enforce"
  fi
  local lockdown
  lockdown=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/security/lockdown 2>/dev/null || true)
  if [[ -n $lockdown && $lockdown != none ]]; then
    unavailable "kernel lockdown is '$lockdown', which refuses unsigned modules" \
      "disable Secure Boot lockdown or sign copyprobe.ko"
  fi
  [[ -f /lib/modules/$KREL/build/Makefile ]] ||
    unavailable "no headers for kernel $KREL in /lib/modules/$KREL/build" \
      "apt-get install linux-headers-$KREL"
  ((EUID == 0)) || unavailable "loading a module needs root (CAP_SYS_MODULE)" "run as root"
  echo "kmod backend: available (kernel $KREL, headers /lib/modules/$KREL/build)"
}

build() {
  mkdir -p "$OUT"
  cp "$KMOD_DIR/Kbuild" "$KMOD_DIR"/copyprobe*.[ch] "$OUT/"
  if ! make -s -C "/lib/modules/$KREL/build" M="$OUT" modules >"$OUT/build.log" 2>&1; then
    cat "$OUT/build.log" >&2
    echo "kmod backend: building copyprobe.ko against $KREL failed. Fix: see $OUT/build.log" >&2
    exit 1
  fi
  echo "$OUT/copyprobe.ko"
}

cmd=${1:-}
shift || true
COMM="" PID=0 BURST=10
while (($#)); do
  case $1 in
    --comm) COMM=$2; shift 2 ;;
    --pid) PID=$2; shift 2 ;;
    --burst) BURST=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "kmod backend: unknown option '$1'. Fix: see the usage at the top of $0" >&2; exit 2 ;;
  esac
done

case $cmd in
  check) check ;;
  build) check >&2; build ;;
  load)
    check >&2
    ko=$(build)
    grep -q '^copyprobe ' /proc/modules && rmmod copyprobe
    insmod "$ko" comm="$COMM" pid="$PID" burst="$BURST" ||
      { echo "kmod backend: insmod $ko failed (see dmesg). Fix: check 'dmesg | tail'" >&2; exit 1; }
    cat /proc/copyprobe
    ;;
  counters | reset | unload)
    [[ -e /proc/copyprobe ]] ||
      { echo "kmod backend: copyprobe is not loaded. Fix: $0 load" >&2; exit 1; }
    case $cmd in
      counters) cat /proc/copyprobe ;;
      reset) echo reset >/proc/copyprobe ;;
      unload) cat /proc/copyprobe; rmmod copyprobe ;;
    esac
    ;;
  *) echo "usage: $0 check|build|load|counters|reset|unload [--comm a,b] [--pid N] [--burst N] [--out DIR]" >&2; exit 2 ;;
esac
