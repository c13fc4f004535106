#!/usr/bin/env bash
# The kernel lab's accelerator choice (kmod/lab/lib/qemu.sh): KVM when its device is usable, and
# TCG again when qemu cannot start with KVM, with one line naming qemu's error and the report
# naming the accelerator and why.
#
#   lab_accel_test.sh functions
#       lab_boot against a fake qemu (tests/integration/lab_accel/fake_qemu.sh) and a stand-in KVM
#       device: fallback, no device, KVM working, a guest that fails after it started (never
#       booted again), COPYLAB_LAB_ACCELS, the report line; and the summary `copylab lab` prints
#       for a console the size of a real run's. Seconds; needs nothing but bash.
#   lab_accel_test.sh boot BIN_DIR WORK_DIR
#       the real lab (kmod/lab/run.sh --only env) with the real qemu behind kvm_fails_wrapper.sh,
#       which fails "-accel kvm" as a broken KVM host does; the guest must boot under TCG and the
#       report must say why. Exit 77 (skipped) when the lab cannot run here (run.sh exit 3).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
FAILS=0

# Every program this run starts carries LAB_ACCEL_TEST_TMP=$TMP in its environment, so the EXIT
# trap finds the ones bash does not wait for (a qemu, fake or real, whose parent ended first, or
# any left by an interrupted run), kills them and waits until they are gone before it removes
# $TMP: nothing writes into it while or after it is removed, and a failed removal says so.
lab_accel_pids() {
  local p kv
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} != "$$" ]] || continue
    while IFS= read -r -d '' kv; do
      [[ $kv == "LAB_ACCEL_TEST_TMP=$1" ]] && echo "${p#/proc/}" && break
    done 2>/dev/null <"$p/environ" || true
  done
}

lab_accel_cleanup() {
  local pids i
  [[ -n ${KEEP:-} ]] && return
  for ((i = 0; i < 100; i++)); do
    pids=$(lab_accel_pids "$TMP")
    [[ -n $pids ]] || break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
  done
  [[ -z $pids ]] || echo "lab_accel_test: processes $pids outlived SIGKILL; $TMP may not be removed" >&2
  rm -rf "$TMP" || echo "lab_accel_test: could not remove $TMP" >&2
}

# A run killed outright (SIGKILL, a ctest timeout) leaves its directory: the next run removes the
# ones whose owner (pid and start time, from /proc/<pid>/stat) is gone, one line each.
lab_accel_start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
for old in "${TMPDIR:-/tmp}"/copylab-lab-accel.*; do
  [[ -f $old/owner ]] || continue
  read -r pid start <"$old/owner" || continue
  [[ -n $pid && $(lab_accel_start_time "$pid") == "$start" ]] && continue
  [[ -n $(lab_accel_pids "$old") ]] && continue
  rm -rf "$old" && echo "lab_accel_test: removed $old of run $pid (no longer running)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/copylab-lab-accel.XXXXXX")
trap lab_accel_cleanup EXIT
echo "$$ $(lab_accel_start_time $$)" >"$TMP/owner"
export LAB_ACCEL_TEST_TMP="$TMP"

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
expect_eq() { [[ $2 == "$3" ]] || fail "$1: expected '$3', got '$2'"; }
expect_match() { [[ $2 =~ $3 ]] || fail "$1: '$2' does not match /$3/"; }

# One lab_boot in a subshell (die exits) with the environment given as NAME=VALUE arguments.
# Leaves rc, accel, why, calls (one line of qemu arguments per boot) and stderr in $TMP/case/.
boot_case() {
  local dir="$TMP/case"
  rm -rf "$dir" && mkdir -p "$dir/work"
  : >"$dir/calls"
  set +e
  (
    for kv in "$@"; do export "${kv?}"; done
    export LAB_ACCEL_TEST_CALLS="$dir/calls"
    # What run.sh defines before it sources qemu.sh (read there, hence SC2034/SC2317).
    # shellcheck disable=SC2034
    LAB_ROOT="$TMP/root" WORK_DIR="$dir/work" TIMEOUT=30 SMP=1 LAB_KVER=fake INITRAMFS=/dev/null
    # shellcheck disable=SC2317
    log() { echo "$*" >>"$dir/log"; }
    # shellcheck disable=SC2317
    die() { echo "copylab lab: $1.${2:+ Fix: $2}" >&2; exit "${3:-3}"; }
    # shellcheck disable=SC1091
    . "$SRC/kmod/lab/lib/qemu.sh"
    rc=0
    lab_boot || rc=$?
    echo "$LAB_ACCEL" >"$dir/accel"
    echo "$LAB_ACCEL_WHY" >"$dir/why"
    exit "$rc"
  ) 2>"$dir/stderr"
  echo $? >"$dir/rc"
  set -e
  rc=$(cat "$dir/rc")
  accel=$(cat "$dir/accel" 2>/dev/null || echo "")
  why=$(cat "$dir/why" 2>/dev/null || echo "")
  calls=$(cat "$dir/calls")
  err=$(cat "$dir/stderr")
}

functions_test() {
  # The fake qemu sits where the lab's extracted qemu would; without a wrapper it "boots" with any
  # accelerator, and it records its arguments through the wrapper below when one is set.
  mkdir -p "$TMP/root/usr/bin"
  cat >"$TMP/root/usr/bin/qemu-system-x86_64" <<EOF
#!/usr/bin/env bash
[[ -n \${COPYLAB_LAB_QEMU_WRAPPER:-} ]] || echo "\$*" >>"\$LAB_ACCEL_TEST_CALLS"
exec "$HERE/fake_qemu.sh" "\$@"
EOF
  chmod +x "$TMP/root/usr/bin/qemu-system-x86_64"
  local kvm="$TMP/kvm" kvm_fails="$HERE/kvm_fails_wrapper.sh"
  : >"$kvm"
  chmod 600 "$kvm"

  # KVM usable but qemu aborts with it: one line says so, the guest boots with TCG.
  boot_case COPYLAB_LAB_KVM_DEV="$kvm" COPYLAB_LAB_QEMU_WRAPPER="$kvm_fails"
  expect_eq "fallback: lab_boot status" "$rc" 0
  expect_eq "fallback: accelerator" "$accel" tcg
  expect_match "fallback: why" "$why" "^kvm failed: .*kvm_buf_set_msrs: Assertion"
  expect_eq "fallback: qemu runs" "$(wc -l <<<"$calls")" 2
  expect_match "fallback: first run" "$(sed -n 1p <<<"$calls")" "^-accel kvm -cpu host "
  expect_match "fallback: second run" "$(sed -n 2p <<<"$calls")" "^-accel tcg -cpu max "
  expect_eq "fallback: lines on stderr" "$(wc -l <<<"$err")" 1
  expect_match "fallback: the line" "$err" \
    "qemu with kvm exited with status 134 before the guest started \(.*kvm_buf_set_msrs.*\); booting again with tcg"
  expect_match "fallback: console is the TCG boot's" "$(cat "$TMP/case/work/console.log")" \
    "BEGIN kernel=fake accel-args=tcg"
  expect_match "fallback: kvm stderr kept" "$(cat "$TMP/case/work/qemu-kvm.stderr")" "failed to set MSR 0x10a"

  # The report and --quiet's summary say which accelerator and why.
  (
    LAB_KVER=fake SMP=1 LAB_ACCEL=tcg LAB_ACCEL_WHY="$why" BIN_DIR="" STANDIN=0 COUNT=1 FLOOD=1
    SIZE=40 TIMEOUT=30 T0=$(date +%s.%N) CONSOLE="$TMP/case/work/console.log" REPORT="$TMP/report"
    # shellcheck disable=SC1091
    . "$SRC/kmod/lab/lib/report.sh"
    lab_write_report 0
  )
  expect_match "report: accelerator line" "$(grep '^qemu: ' "$TMP/report")" \
    "^qemu: accel tcg \(kvm failed: .*kvm_buf_set_msrs.*\)$"

  # No KVM device: TCG straight away, and the reason says so.
  boot_case COPYLAB_LAB_KVM_DEV="$TMP/nonexistent" COPYLAB_LAB_QEMU_WRAPPER="$kvm_fails"
  expect_eq "no device: status" "$rc" 0
  expect_eq "no device: accelerator" "$accel" tcg
  expect_eq "no device: why" "$why" "no $TMP/nonexistent"
  expect_eq "no device: qemu runs" "$(wc -l <<<"$calls")" 1
  expect_eq "no device: nothing on stderr" "$err" ""

  # KVM that works is used.
  boot_case COPYLAB_LAB_KVM_DEV="$kvm"
  expect_eq "kvm works: status" "$rc" 0
  expect_eq "kvm works: accelerator" "$accel" kvm
  expect_eq "kvm works: why" "$why" "$kvm usable"
  expect_eq "kvm works: qemu runs" "$(wc -l <<<"$calls")" 1

  # A guest that started and then failed is the result: never booted again.
  boot_case COPYLAB_LAB_KVM_DEV="$kvm" FAKE_QEMU_AFTER_BEGIN=fail
  expect_eq "failed after start: status" "$rc" 1
  expect_eq "failed after start: accelerator" "$accel" kvm
  expect_eq "failed after start: qemu runs" "$(wc -l <<<"$calls")" 1

  # COPYLAB_LAB_ACCELS: tcg only never runs KVM; kvm only has nothing to fall back to.
  boot_case COPYLAB_LAB_KVM_DEV="$kvm" COPYLAB_LAB_ACCELS=tcg
  expect_eq "tcg only: accelerator" "$accel" tcg
  expect_eq "tcg only: why" "$why" "COPYLAB_LAB_ACCELS=tcg"
  expect_match "tcg only: qemu run" "$calls" "^-accel tcg -cpu max "
  boot_case COPYLAB_LAB_KVM_DEV="$kvm" COPYLAB_LAB_ACCELS=kvm COPYLAB_LAB_QEMU_WRAPPER="$kvm_fails"
  expect_eq "kvm only, failing: status" "$rc" 1
  expect_eq "kvm only, failing: qemu runs" "$(wc -l <<<"$calls")" 1
  boot_case COPYLAB_LAB_KVM_DEV="$TMP/nonexistent" COPYLAB_LAB_ACCELS=kvm
  expect_eq "kvm only, no device: status" "$rc" 3
  expect_match "kvm only, no device: message" "$err" "no accelerator left to boot the guest \(no .*nonexistent\)"
  expect_eq "kvm only, no device: qemu runs" "$calls" ""
  boot_case COPYLAB_LAB_KVM_DEV="$kvm" COPYLAB_LAB_ACCELS=kvm,hvf
  expect_eq "bad list: status" "$rc" 2
  expect_match "bad list: message" "$err" "unknown accelerator 'hvf'.*Fix: use kvm and/or tcg"
  expect_eq "bad list: qemu runs" "$calls" ""
}

# What `copylab lab` prints at the end (lab_report, not --quiet) for a guest console the size of a
# real run's (hundreds of verdicts, long sections, a long dmesg): the summary, not the report.
# Sets out (stdout and stderr) and rc; the report is in $TMP/summary/report.txt.
report_case() {
  local dir="$TMP/summary" fails=$1 e i
  rm -rf "$dir" && mkdir -p "$dir"
  {
    echo "KLAB: BEGIN kernel=fake accel-args=tcg"
    for e in env socket xdp flood bpf kprobe_ledger hist_trigger compare_kmod; do
      for i in $(seq 40); do echo "KLAB: PASS $e: check $i: $i = $i"; done
      echo "KLAB: SKIP $e: something absent"
      echo "KLAB: INFO $e: a fact"
      echo "KLAB: SECTION $e"
      for i in $(seq 100); do echo "KLAB| $e section line $i"; done
      echo "KLAB: ENDSECTION"
    done
    for i in $(seq "$fails"); do echo "KLAB: FAIL socket: check $i: got '1', expected = 2"; done
    echo "KLAB: SECTION dmesg"
    for i in $(seq 1500); do echo "KLAB| [ $i.0] kernel line $i"; done
    echo "KLAB: ENDSECTION"
    echo "KLAB: END t=1.0"
  } >"$dir/console.log"
  set +e
  out=$(
    LAB_KVER=fake SMP=1 LAB_ACCEL=tcg LAB_ACCEL_WHY="no /dev/kvm" BIN_DIR="" STANDIN=0 COUNT=1
    FLOOD=1 SIZE=40 TIMEOUT=30 QUIET=0 T0=$(date +%s.%N) CONSOLE="$dir/console.log"
    REPORT="$dir/report.txt"
    # shellcheck disable=SC2317
    log() { echo "$*" >&2; }
    # shellcheck disable=SC1091
    . "$SRC/kmod/lab/lib/report.sh"
    lab_report 0 2>&1
  )
  rc=$?
  set -e
}

summary_test() {
  report_case 0
  expect_eq "summary: exit" "$rc" 0
  (($(wc -l <<<"$out") < 60)) || fail "summary: $(wc -l <<<"$out") lines printed (want < 60)"
  (($(wc -l <"$TMP/summary/report.txt") > 1500)) || fail "summary: the report file lost lines"
  expect_match "summary: totals" "$out" "Summary: 320 PASS, 0 FAIL, 8 SKIP"
  expect_match "summary: per experiment" "$out" "  socket +40 PASS, 0 FAIL, 1 SKIP"
  expect_match "summary: report path" "$out" "report .*: $TMP/summary/report.txt"
  [[ $out != *"kernel line"* && $out != *"section line"* ]] || fail "summary: printed the report"
  report_case 3
  expect_eq "summary with FAILs: exit" "$rc" 1
  expect_eq "summary with FAILs: FAIL lines" "$(grep -c "^FAIL socket: check" <<<"$out")" 3
  expect_match "summary with FAILs: totals" "$out" "Summary: 320 PASS, 3 FAIL, 8 SKIP"
}

boot_test() {
  local bin_dir=$1 work_dir=$2 kvm="$TMP/kvm" rc=0 report
  : >"$kvm"
  chmod 600 "$kvm"
  rm -f "$work_dir/report.txt"
  LAB_ACCEL_TEST_CALLS="$TMP/calls" COPYLAB_LAB_KVM_DEV="$kvm" \
    COPYLAB_LAB_QEMU_WRAPPER="$HERE/kvm_fails_wrapper.sh" \
    "$SRC/kmod/lab/run.sh" --bin-dir "$bin_dir" --work-dir "$work_dir" --only env --quiet \
    >"$TMP/out" 2>"$TMP/err" || rc=$?
  cat "$TMP/out" "$TMP/err"
  if ((rc == 3)); then
    echo "the lab cannot run here (run.sh exit 3): skipped"
    exit 77
  fi
  # --only env runs no traffic experiment, so a clean run is 77 ("skipped") by run.sh's rules.
  ((rc == 0 || rc == 77)) || fail "run.sh exited $rc"
  report="$work_dir/report.txt"
  [[ -f $report ]] || { fail "no report at $report"; return; }
  expect_match "boot: the guest ran" "$(grep '^guest: ' "$report")" "^guest: ran to the end$"
  expect_match "boot: report's accelerator" "$(grep '^qemu: ' "$report")" \
    "^qemu: accel tcg \(kvm failed: .*kvm_buf_set_msrs.*\)$"
  expect_match "boot: summary" "$(grep '^Summary: ' "$report")" "^Summary: [1-9][0-9]* PASS, 0 FAIL"
  expect_match "boot: the fallback line" "$(cat "$TMP/err")" \
    "qemu with kvm exited with status 134 before the guest started .*booting again with tcg"
  expect_eq "boot: qemu runs" "$(wc -l <"$TMP/calls")" 2
}

case ${1:-} in
  functions)
    functions_test
    summary_test
    ;;
  boot)
    (($# == 3)) || { echo "usage: $0 boot BIN_DIR WORK_DIR" >&2; exit 2; }
    boot_test "$2" "$3"
    ;;
  *) echo "usage: $0 functions | boot BIN_DIR WORK_DIR" >&2; exit 2 ;;
esac
if ((FAILS)); then
  echo "$FAILS check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
