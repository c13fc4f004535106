# shellcheck shell=bash
# Stage 4 of the lab: boot the guest and stream its console. Sourced by run.sh. Returns 0 when the
# guest reached "KLAB: END", 4 on timeout, 1 otherwise.
#
# Accelerators are tried in order: KVM (-accel kvm -cpu host) when the KVM device is readable and
# writable, then TCG (-accel tcg -cpu max; TCG's accelerator is a loadable qemu module, so
# QEMU_MODULE_DIR points into the lab's root). When qemu exits non-zero before the guest printed
# its first "KLAB:" line (e.g. KVM on a host whose CPU model qemu cannot program: "failed to set
# MSR 0x10a", an assertion in kvm_buf_set_msrs), that accelerator failed to start: one line says
# so with qemu's last stderr line, and the next accelerator boots the guest. A failure after the
# guest started is the guest's result and is never retried. LAB_ACCEL and LAB_ACCEL_WHY name the
# accelerator used and why (the report prints both).
#
# Environment (tests and hosts that need them):
#   COPYLAB_LAB_ACCELS        accelerators to try, in order, comma-separated (default kvm,tcg;
#                             "tcg" never touches KVM)
#   COPYLAB_LAB_KVM_DEV       the KVM device whose access decides whether KVM is tried
#                             (default /dev/kvm)
#   COPYLAB_LAB_QEMU_WRAPPER  a command qemu runs under: `WRAPPER QEMU ARGS...` (default none);
#                             the fallback test uses one that fails "-accel kvm" like the broken
#                             host does and execs the real qemu otherwise

# LAB_ACCELS: the accelerators from COPYLAB_LAB_ACCELS, in order; exits 2 on a bad list.
lab_accels() {
  local list=${COPYLAB_LAB_ACCELS:-kvm,tcg} a
  LAB_ACCELS=()
  for a in ${list//,/ }; do
    [[ $a == kvm || $a == tcg ]] ||
      die "COPYLAB_LAB_ACCELS='$list': unknown accelerator '$a'" "use kvm and/or tcg, e.g. kvm,tcg" 2
    LAB_ACCELS+=("$a")
  done
  ((${#LAB_ACCELS[@]})) || die "COPYLAB_LAB_ACCELS='$list' names no accelerator" "use kvm,tcg or tcg" 2
}

# qemu's last non-empty stderr line, timeout(1)'s own notes left out (or "no message on stderr").
lab_qemu_last_error() {
  local last
  last=$(grep -v -e '^[[:space:]]*$' -e '^timeout: ' "$1" 2>/dev/null | tail -n 1 || true)
  echo "${last:-no message on stderr}"
}

# One boot with accelerator $1; stderr into $2. Returns qemu's exit status (124/137: timeout).
# no_timer_check: the guest kernel's check that the IO-APIC timer ticks (check_timer() in
# arch/x86/kernel/apic/io_apic.c) counts ticks against a busy-wait, which an emulated CPU on a busy
# host can fail ("IO-APIC + timer doesn't work!", a panic at boot); the option skips it.
lab_qemu_run() {
  local accel=$1 stderr=$2 qemu="$LAB_ROOT/usr/bin/qemu-system-x86_64" line rc
  local -a accel_args wrapper=()
  [[ -n ${COPYLAB_LAB_QEMU_WRAPPER:-} ]] && wrapper=("$COPYLAB_LAB_QEMU_WRAPPER")
  case $accel in
    kvm) accel_args=(-accel kvm -cpu host) ;;
    *) accel_args=(-accel tcg -cpu max) ;;
  esac
  : >"$CONSOLE"
  set +e
  # In a subshell whose own stderr is dropped: a qemu killed by a signal (SIGABRT from a failed
  # assertion) is then an exit status, not bash's job notice with the whole command line.
  (
    QEMU_MODULE_DIR="$LAB_ROOT/usr/lib/x86_64-linux-gnu/qemu" \
      LD_LIBRARY_PATH="$LAB_ROOT/usr/lib/x86_64-linux-gnu:$LAB_ROOT/lib/x86_64-linux-gnu" \
      timeout -k 5 "$TIMEOUT" "${wrapper[@]}" "$qemu" "${accel_args[@]}" -smp "$SMP" -m 1G \
      -nodefaults -no-user-config -display none -no-reboot -L "$LAB_ROOT/usr/share/qemu" \
      -L "$LAB_ROOT/usr/share/seabios" -kernel "$LAB_ROOT/boot/vmlinuz-$LAB_KVER" \
      -initrd "$INITRAMFS" "${LAB_NIC_ARGS[@]}" -append "console=ttyS0 panic=-1 quiet no_timer_check" -serial stdio \
      </dev/null 2>"$stderr"
    exit $?
  ) 2>/dev/null |
    while IFS= read -r line; do
      line=${line%$'\r'}
      printf '%s\n' "$line" >>"$CONSOLE"
      case $line in
        "KLAB: PASS"* | "KLAB: FAIL"* | "KLAB: SKIP"* | "KLAB: RUN"* | "KLAB: BEGIN"* | "KLAB: END "*) log "guest: ${line#KLAB: }" ;;
      esac
    done
  rc=${PIPESTATUS[0]}
  set -e
  return "$rc"
}

# LAB_NIC_ARGS: the guest's NICs (none unless LAB_NICS is set). With --kernel 6.12 (LAB_NICS=2)
# two virtio-net-pci devices on one qemu hub (-netdev hubport, hubid 0): a frame one sends arrives at the other, nothing reaches
# the host's network. MACs 52:54:00:00:00:0{1,2}. COPYLAB_LAB_NIC_PROPS appends device properties
# (e.g. iommu_platform=on,mrg_rxbuf=off) to both.
# COPYLAB_LAB_NIC_LINK=socket joins the two NICs with a TCP stream on the host's loopback instead
# (-netdev socket listen/connect, a free port): no hub, so no second queue between them. When the
# receiving NIC has no RX buffer, qemu queues a frame in that NIC's own queue and the frames after
# it in the hub port's, and on the NIC's next RX kick flushes the hub port first (net/net.c,
# qemu_flush_or_purge_queued_packets; net/queue.c, qemu_net_queue_send_iov delivers a new frame
# ahead of the ones queued): frames arrive out of order. The socket link keeps their order.
lab_free_port() {
  local port used
  used=$(ss -Htln 2>/dev/null | awk '{ sub(/.*:/, "", $4); print $4 }')
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    grep -qx "$port" <<<"$used" || { echo "$port"; return 0; }
  done
  return 1
}

lab_nic_args() {
  local i props=${COPYLAB_LAB_NIC_PROPS:+,$COPYLAB_LAB_NIC_PROPS} link=${COPYLAB_LAB_NIC_LINK:-hub} port=""
  LAB_NIC_ARGS=()
  if [[ $link == socket ]] && ((${LAB_NICS:-0} > 0)); then port=$(lab_free_port) || return 1; fi
  for ((i = 1; i <= ${LAB_NICS:-0}; i++)); do
    case $link:$i in
      hub:*) LAB_NIC_ARGS+=(-netdev "hubport,id=nic$i,hubid=0") ;;
      socket:1) LAB_NIC_ARGS+=(-netdev "socket,id=nic$i,listen=127.0.0.1:$port") ;;
      socket:*) LAB_NIC_ARGS+=(-netdev "socket,id=nic$i,connect=127.0.0.1:$port") ;;
    esac
    LAB_NIC_ARGS+=(-device "virtio-net-pci,netdev=nic$i,mac=52:54:00:00:00:0$i,romfile=$props")
  done
}

lab_boot() {
  lab_nic_args || die "no free TCP port on 127.0.0.1 for COPYLAB_LAB_NIC_LINK=socket" \
    "free one, or leave COPYLAB_LAB_NIC_LINK unset (the NICs then share a qemu hub)"
  local kvm_dev=${COPYLAB_LAB_KVM_DEV:-/dev/kvm} why="" rc=1 start i err
  lab_accels
  local -a accels=("${LAB_ACCELS[@]}")
  CONSOLE="$WORK_DIR/console.log"
  LAB_ACCEL="" LAB_ACCEL_WHY=""
  for ((i = 0; i < ${#accels[@]}; i++)); do
    LAB_ACCEL=${accels[i]}
    if [[ $LAB_ACCEL == kvm ]] && ! [[ -r $kvm_dev && -w $kvm_dev ]]; then
      if [[ -e $kvm_dev ]]; then why="$kvm_dev not readable and writable"; else why="no $kvm_dev"; fi
      LAB_ACCEL=""
      continue
    fi
    case $LAB_ACCEL in
      kvm) LAB_ACCEL_WHY="$kvm_dev usable" ;;
      *) LAB_ACCEL_WHY=${why:-${COPYLAB_LAB_ACCELS:+COPYLAB_LAB_ACCELS=$COPYLAB_LAB_ACCELS}} ;;
    esac
    log "qemu: accel $LAB_ACCEL (${LAB_ACCEL_WHY:-first in the list}); booting $LAB_KVER" \
      "(-smp $SMP, timeout ${TIMEOUT}s$( ((${LAB_NICS:-0} > 0)) && echo ", $LAB_NICS virtio-net NICs joined by ${COPYLAB_LAB_NIC_LINK:-hub}")), console in $CONSOLE"
    start=$(date +%s.%N)
    rc=0
    lab_qemu_run "$LAB_ACCEL" "$WORK_DIR/qemu-$LAB_ACCEL.stderr" || rc=$?
    LAB_QEMU_SECONDS=$(echo "$(date +%s.%N) - $start" | bc)
    cp "$WORK_DIR/qemu-$LAB_ACCEL.stderr" "$WORK_DIR/qemu.stderr"
    # Started and failed, timed out, or the last accelerator: this boot is the result.
    if ((rc == 0 || rc == 124 || rc == 137 || i + 1 == ${#accels[@]})) ||
      grep -q '^KLAB: ' "$CONSOLE"; then
      break
    fi
    err=$(lab_qemu_last_error "$WORK_DIR/qemu-$LAB_ACCEL.stderr")
    why="$LAB_ACCEL failed: $err"
    # Said even with --quiet: the lab runs on a slower accelerator than the host offers.
    echo "copylab lab: qemu with $LAB_ACCEL exited with status $rc before the guest started" \
      "($err); booting again with ${accels[i + 1]} (stderr: $WORK_DIR/qemu-$LAB_ACCEL.stderr)" >&2
  done
  if [[ -z $LAB_ACCEL ]]; then
    LAB_ACCEL=none LAB_ACCEL_WHY=$why
    die "no accelerator left to boot the guest ($why)" "add tcg to COPYLAB_LAB_ACCELS" 3
  fi
  if ((rc == 124 || rc == 137)); then
    log "qemu: timed out after ${TIMEOUT}s"
    return 4
  fi
  if ((rc != 0)); then
    log "qemu: exited with status $rc: $(tail -n 3 "$WORK_DIR/qemu.stderr")"
    return 1
  fi
  grep -q '^KLAB: END ' "$CONSOLE" || { log "qemu: guest never reached KLAB: END (panic?)"; return 1; }
}
