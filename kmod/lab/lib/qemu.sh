# shellcheck shell=bash
# Stage 4 of the lab: boot the guest and stream its console. KVM when /dev/kvm is usable, TCG
# otherwise (TCG's accelerator is a loadable qemu module: QEMU_MODULE_DIR must point into our root).
# Sourced by run.sh. Returns 0 when the guest reached "KLAB: END", 4 on timeout, 1 otherwise.

lab_boot() {
  local qemu="$LAB_ROOT/usr/bin/qemu-system-x86_64" accel rc=0 line
  CONSOLE="$WORK_DIR/console.log"
  if [[ -r /dev/kvm && -w /dev/kvm ]]; then
    accel=(-accel kvm -cpu host)
    LAB_ACCEL=kvm
  else
    accel=(-accel tcg -cpu max)
    LAB_ACCEL=tcg
  fi
  log "qemu: booting $LAB_KVER ($LAB_ACCEL, -smp $SMP, timeout ${TIMEOUT}s), console in $CONSOLE"
  local start
  start=$(date +%s.%N)
  : >"$CONSOLE"
  set +e
  QEMU_MODULE_DIR="$LAB_ROOT/usr/lib/x86_64-linux-gnu/qemu" \
    LD_LIBRARY_PATH="$LAB_ROOT/usr/lib/x86_64-linux-gnu:$LAB_ROOT/lib/x86_64-linux-gnu" \
    timeout -k 5 "$TIMEOUT" "$qemu" "${accel[@]}" -smp "$SMP" -m 1G -nodefaults -no-user-config \
    -display none -no-reboot -L "$LAB_ROOT/usr/share/qemu" -L "$LAB_ROOT/usr/share/seabios" \
    -kernel "$LAB_ROOT/boot/vmlinuz-$LAB_KVER" -initrd "$INITRAMFS" \
    -append "console=ttyS0 panic=-1 quiet" -serial stdio </dev/null 2>"$WORK_DIR/qemu.stderr" |
    while IFS= read -r line; do
      line=${line%$'\r'}
      printf '%s\n' "$line" >>"$CONSOLE"
      case $line in
        "KLAB: PASS"* | "KLAB: FAIL"* | "KLAB: SKIP"* | "KLAB: RUN"* | "KLAB: BEGIN"* | "KLAB: END "*) log "guest: ${line#KLAB: }" ;;
      esac
    done
  rc=${PIPESTATUS[0]}
  set -e
  LAB_QEMU_SECONDS=$(echo "$(date +%s.%N) - $start" | bc)
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
