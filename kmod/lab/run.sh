#!/usr/bin/env bash
# copylab kernel lab: boots Debian's stock 6.1 (or, with --kernel 6.12, Debian 13's 6.12) kernel under qemu (KVM when /dev/kvm is usable, TCG
# otherwise or when qemu cannot start with KVM; lib/qemu.sh lists the COPYLAB_LAB_* overrides) with
# copylab's kprobe module and copylab's own binaries, runs the copy experiments inside the guest,
# and turns the guest's PASS/FAIL/SKIP lines into an exit code and a report file.
#
# Nothing is installed on the host: the kernel, headers, qemu and busybox come from `apt-get download`
# into a cache and are extracted with dpkg-deb. See kmod/README.md.
#
# Exit codes: 0 all experiments passed (SKIPs allowed), 1 a guest assertion failed or the guest
# reported BUG/WARNING/Oops, 2 usage, 3 the lab cannot run here (no qemu/apt), 4 timeout,
# 77 no traffic experiment could run (copylab's tools missing): skipped.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KMOD_DIR=$(cd "$LAB_DIR/../module" && pwd)  # the module sources (Kbuild, copyprobe*.[ch])

usage() {
  cat <<EOF
usage: $0 [options]
  --kernel K        guest kernel: 6.1 (Debian 12, default), 6.12 (Debian 13; the guest also gets two
                    virtio-net NICs joined by a qemu hub) or 7.3 (Debian 13 backports, the same NICs
                    with VIRTIO_F_ACCESS_PLATFORM: its virtio_net binds AF_XDP zero-copy)
  --bin-dir DIR     copylab binaries (sock_sender, sock_receiver, xdp_sender, xdp_receiver, copylab).
                    Experiments whose binary is missing report SKIP. Default: none (stand-ins only)
  --work-dir DIR    build output: module, initramfs, console log, report (default: ./copylab-lab)
  --cache-dir DIR   package cache (default: \$COPYLAB_LAB_CACHE or ~/.cache/copylab-lab)
  --report FILE     report file (default: WORK/report.txt)
  --only LIST       comma-separated experiments (default: all): $(ls "$LAB_DIR/guest/experiments" | sed 's/^[0-9]*_//; s/\.sh$//' | paste -sd, -)
  --count N         datagrams per experiment (default 1000)
  --flood N         datagrams in the flood experiment (default 100000)
  --size N          UDP payload bytes (default 200)
  --timeout SEC     kill qemu after SEC seconds (default 600)
  --smp N           guest CPUs (default 1; TCG is faster with 1)
  --standin        when a copylab tool is missing, run the socket experiments with the stand-in
                    kmod/lab/standin/udpx.c instead of skipping them (lines are marked [stand-in])
  --fetch-only      download and extract the packages, then stop
  --resolve-only    print the package specs the lab would use (a pin that left Debian's archive
                    replaced by the archive's current version), download nothing, stop
  --packages FILE   use FILE instead of the kernel's package list (tests: a list with stale pins)
  --quiet           print only the FAIL lines, the totals and the report path (no progress)
EOF
}

BIN_DIR="" WORK_DIR="$PWD/copylab-lab" REPORT="" ONLY="" COUNT=1000 FLOOD=100000 SIZE=200
TIMEOUT=600 SMP=1 FETCH_ONLY=0 QUIET=0 STANDIN=0 KERNEL=6.1 PACKAGES="" LAB_RESOLVE_ONLY=0
LAB_CACHE=${COPYLAB_LAB_CACHE:-${HOME:-/root}/.cache/copylab-lab}
while (($#)); do
  case $1 in
    --kernel) KERNEL=$2; shift 2 ;;
    --bin-dir) BIN_DIR=$2; shift 2 ;;
    --work-dir) WORK_DIR=$2; shift 2 ;;
    --cache-dir) LAB_CACHE=$2; shift 2 ;;
    --report) REPORT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --flood) FLOOD=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --smp) SMP=$2; shift 2 ;;
    --fetch-only) FETCH_ONLY=1; shift ;;
    --resolve-only) LAB_RESOLVE_ONLY=1; shift ;;
    --packages) PACKAGES=$2; shift 2 ;;
    --standin) STANDIN=1; shift ;;
    --quiet) QUIET=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "copylab lab: unknown option '$1'. Fix: see $0 --help" >&2; exit 2 ;;
  esac
done
if [[ -n $BIN_DIR ]]; then
  [[ -d $BIN_DIR ]] || { echo "copylab lab: --bin-dir $BIN_DIR is not a directory. Fix: pass copylab's <build>/bin" >&2; exit 2; }
  BIN_DIR=$(cd "$BIN_DIR" && pwd)
fi
for n in COUNT FLOOD SIZE TIMEOUT SMP; do
  [[ ${!n} =~ ^[0-9]+$ ]] || { echo "copylab lab: --${n,,} '${!n}' is not a number. Fix: pass a positive integer" >&2; exit 2; }
done
for e in ${ONLY//,/ }; do
  compgen -G "$LAB_DIR/guest/experiments/[0-9]*_$e.sh" >/dev/null ||
    { echo "copylab lab: --only: no experiment '$e'. Fix: choose from $(ls "$LAB_DIR/guest/experiments" | sed 's/^[0-9]*_//; s/\.sh$//' | paste -sd, -)" >&2; exit 2; }
done
((SIZE >= 40 && SIZE <= 1400)) || { echo "copylab lab: --size $SIZE out of range. Fix: use 40..1400 bytes" >&2; exit 2; }
case ${COPYLAB_LAB_NIC_LINK:-hub} in
  hub | socket) ;;
  *) echo "copylab lab: COPYLAB_LAB_NIC_LINK='$COPYLAB_LAB_NIC_LINK' is not a NIC link. Fix: hub (default) or socket" >&2; exit 2 ;;
esac

T0=$(date +%s.%N)
log() { ((QUIET)) || printf '[lab %6.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*" >&2; }
die() { echo "copylab lab: $1.${2:+ Fix: $2}" >&2; exit "${3:-3}"; }
# note: a line the terminal gets even with --quiet (what the lab used instead of what was asked).
note() { if ((QUIET)); then echo "copylab lab: $*" >&2; else log "$*"; fi; }

# The package lists: the kernel's first (lib/fetch.sh takes every line of it and the non-kernel
# lines of the others: qemu, firmware and busybox are shared).
case $KERNEL in
  6.1) LAB_PACKAGE_LISTS=("$LAB_DIR/packages.txt") LAB_NICS=0 ;;
  6.12) LAB_PACKAGE_LISTS=("$LAB_DIR/packages-6.12.txt" "$LAB_DIR/packages.txt") LAB_NICS=2 ;;
  7.3) LAB_PACKAGE_LISTS=("$LAB_DIR/packages-7.3.txt" "$LAB_DIR/packages.txt") LAB_NICS=2
    COPYLAB_LAB_NIC_PROPS=${COPYLAB_LAB_NIC_PROPS:-disable-legacy=on,iommu_platform=on} ;;
  *) echo "copylab lab: --kernel '$KERNEL' is not a lab kernel. Fix: use 6.1, 6.12 or 7.3" >&2; exit 2 ;;
esac
if [[ -n $PACKAGES ]]; then
  [[ -f $PACKAGES ]] || { echo "copylab lab: --packages $PACKAGES is not a file. Fix: pass a package list" >&2; exit 2; }
  LAB_PACKAGE_LISTS[0]=$(cd "$(dirname "$PACKAGES")" && pwd)/$(basename "$PACKAGES")
fi
mkdir -p "$WORK_DIR" "$LAB_CACHE"
WORK_DIR=$(cd "$WORK_DIR" && pwd)
REPORT=${REPORT:-$WORK_DIR/report.txt}

for tool in apt-get dpkg-deb make gcc bc flock strip; do
  command -v "$tool" >/dev/null || die "'$tool' not found" "run on Debian/Ubuntu with build-essential and bc installed"
done

# shellcheck source=lib/fetch.sh
. "$LAB_DIR/lib/fetch.sh"
# Two labs sharing a cache (ctest -j, copylab lab) must not download or extract at the same time.
exec 9>"$LAB_CACHE/.lock"
flock 9
lab_fetch
if ((LAB_RESOLVE_ONLY)); then
  lab_package_specs
  exit 0
fi
# The guest kernel's release (its boot/vmlinuz-<release>, the headers' directory, the root's name)
# from the specs the fetch used: the pinned image, or the one that replaced it.
LAB_KVER=$(lab_package_specs | sed -n 's/^linux-image-\([^=]*\)=.*/\1/p' | head -n1)
[[ -n $LAB_KVER ]] || die "no linux-image line in ${LAB_PACKAGE_LISTS[0]}" "pin the guest kernel's image" 2
LAB_ROOT="$LAB_CACHE/root-$LAB_KVER"
lab_extract
flock -u 9
((FETCH_ONLY)) && { log "fetch-only: done"; exit 0; }

# shellcheck source=lib/build.sh
. "$LAB_DIR/lib/build.sh"
# shellcheck source=lib/initramfs.sh
. "$LAB_DIR/lib/initramfs.sh"
# shellcheck source=lib/qemu.sh
. "$LAB_DIR/lib/qemu.sh"
# shellcheck source=lib/report.sh
. "$LAB_DIR/lib/report.sh"

lab_build_module
lab_build_standins
lab_pack_initramfs
rc=0
lab_boot || rc=$?
lab_report "$rc"
