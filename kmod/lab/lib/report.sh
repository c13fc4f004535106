# shellcheck shell=bash
# Stage 5 of the lab: the report file from the guest's console (verdicts, then each section the
# guest emitted, the ftrace hists next to copylab's BPF hists), the verdict summary on the terminal
# (the report stays in its file), and the exit code. Sourced by run.sh.

# section NAME: the lines the guest framed as section NAME (last occurrence wins).
lab_section() {
  awk -v name="$1" '
    $0 == "KLAB: SECTION " name { inside = 1; buf = ""; next }
    inside && $0 == "KLAB: ENDSECTION" { inside = 0; out = buf; next }
    inside && substr($0, 1, 6) == "KLAB| " { buf = buf substr($0, 7) "\n" }
    END { printf "%s", out }' "$CONSOLE"
}

lab_sections() { sed -n 's/^KLAB: SECTION //p' "$CONSOLE" | awk '!seen[$0]++'; }

lab_write_report() {
  local boot_rc=$1 name bpf note
  {
    echo "copylab kernel lab report"
    echo "guest kernel: $LAB_KVER (Debian stock), -smp $SMP"
    # A pin that left Debian's archive was replaced (lib/resolve.sh): the versions differ from the list.
    for note in "${LAB_PACKAGE_NOTES[@]}"; do echo "packages: resolved, not pinned: $note"; done
    echo "qemu: accel ${LAB_ACCEL:-?}${LAB_ACCEL_WHY:+ ($LAB_ACCEL_WHY)}"
    echo "host: $(uname -r), date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "copylab binaries: ${BIN_DIR:-not given}: found ${LAB_TOOLS_FOUND:-?}; missing ${LAB_TOOLS_MISSING:-?}"
    echo "stand-in allowed: $((STANDIN)); count=$COUNT flood=$FLOOD size=$SIZE (payload bytes)"
    echo "module: copyprobe.ko built against linux-headers-$LAB_KVER; counters from /proc/copyprobe are exact,"
    echo "        dmesg lines are rate limited (the counters say how many were suppressed)"
    printf 'wall clock: qemu %.1f s, whole lab %.1f s\n' "${LAB_QEMU_SECONDS:-0}" \
      "$(echo "$(date +%s.%N) - $T0" | bc)"
    case $boot_rc in
      0) echo "guest: ran to the end" ;;
      4) echo "guest: TIMEOUT after ${TIMEOUT}s" ;;
      *) echo "guest: did not finish (status $boot_rc; see $CONSOLE)" ;;
    esac
    echo
    echo "== Verdicts =="
    grep -E '^KLAB: (PASS|FAIL|SKIP|INFO)' "$CONSOLE" | sed 's/^KLAB: //' || true
    echo
    printf 'Summary: %d PASS, %d FAIL, %d SKIP\n' "$(grep -c '^KLAB: PASS' "$CONSOLE")" \
      "$(grep -c '^KLAB: FAIL' "$CONSOLE")" "$(grep -c '^KLAB: SKIP' "$CONSOLE")"
    for name in $(lab_sections); do
      case $name in
        bpf-hist-*) continue ;;  # printed next to its ftrace hist
        dmesg) continue ;;       # last: long
      esac
      echo
      echo "== $name =="
      bpf="bpf-${name}"
      if [[ $name == hist-* ]] && grep -qx "KLAB: SECTION $bpf" "$CONSOLE"; then
        echo "(left: ftrace hist trigger in the guest kernel | right: copylab's BPF histogram, same traffic)"
        pr -m -t -w 200 <(lab_section "$name" | expand) <(lab_section "$bpf" | expand) | expand
      else
        lab_section "$name"
      fi
    done
    echo
    echo "== full guest dmesg =="
    lab_section dmesg
  } >"$REPORT"
}

# The verdict summary the terminal gets (the report file has everything): the run's facts, one
# line per experiment with its counts, every FAIL line, the totals and where the report is.
lab_summary() {
  grep -E '^(guest|packages|qemu|wall clock):' "$REPORT" || true
  awk '/^KLAB: (PASS|FAIL|SKIP) / {
         x = $3; sub(/:$/, "", x)
         if (!(x in seen)) { seen[x] = 1; order[++n] = x }
         count[x, $2]++
       }
       END {
         for (i = 1; i <= n; i++) {
           e = order[i]
           printf "  %-16s %3d PASS, %d FAIL, %d SKIP\n", e, count[e, "PASS"], count[e, "FAIL"],
             count[e, "SKIP"]
         }
       }' "$CONSOLE"
  grep -E '^FAIL ' "$REPORT" || true
  grep '^Summary:' "$REPORT"
  echo "report (every verdict, the sections, the hists, the guest's dmesg): $REPORT"
}

lab_report() {
  local boot_rc=$1 fails
  lab_write_report "$boot_rc"
  fails=$(grep -c '^KLAB: FAIL' "$CONSOLE" || true)
  if ((QUIET)); then
    grep -E '^(FAIL|guest:|packages:|qemu:)' "$REPORT" || true
    grep '^Summary:' "$REPORT"
    echo "report: $REPORT"
  else
    lab_summary
  fi
  ((boot_rc == 4)) && exit 4
  ((boot_rc != 0)) && exit 1
  ((fails > 0)) && exit 1
  # Nothing but the environment ran (copylab's tools absent): skipped, not passed.
  # (one awk pass: `grep | grep -q` under pipefail fails when -q closes the pipe early.)
  if ! awk '/^KLAB: PASS / && !/^KLAB: PASS (env|final):/ { n++ } END { exit n == 0 }' "$CONSOLE"; then
    log "no traffic experiment ran (copylab's tools missing): exit 77 (skipped)"
    exit 77
  fi
  exit 0
}
