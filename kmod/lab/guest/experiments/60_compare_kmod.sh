# shellcheck shell=sh
# `copylab compare --backend kmod` end to end on a kernel with modules and kprobes: copylab loads the
# prebuilt copyprobe.ko itself (finit_module, its own filters), resets its counters before each
# pair's traffic and reads them after, checks them against the tools' counts (COPY1/COPY4 of the
# payload once per datagram on the socket path, none on AF_XDP, the XSK copy sites once per frame),
# builds the verdict rows from them, and unloads the module at the end, after an interrupt too. It
# refuses politely to use a copyprobe someone else loaded. The guest has no kernel headers, so the
# module comes from --kmod-module (the lab built it against the guest's headers).
. /lab/tools.sh
COPYLAB=$(tool_path copylab) || { skip "copylab binary not in --bin-dir"; exit 0; }
command -v jq >/dev/null || { skip "jq is not on the host, so the guest cannot read copylab's JSON"; exit 0; }
# TCG is slow: a few hundred frames per pair, paced, no unpaced phase. One vCPU: both tools on CPU 0.
N=$((LAB_COUNT < 500 ? LAB_COUNT : 500)) SIZE=$LAB_SIZE FRAME=$((LAB_SIZE + 42))
KO=/lab/copyprobe.ko
ARGS="compare --backend kmod --kmod-module $KO --count $N --rate 2000 --no-unpaced --size $SIZE --cpu-tx 0 --cpu-rx 0"
cmpk() { $COPYLAB $ARGS "$@"; }
loaded() { grep -q '^copyprobe ' /proc/modules; }
our_netns() { ip netns list 2>/dev/null | grep -c '^cl-cmp-'; }
if loaded; then
  fail "copyprobe is loaded before the experiment (an earlier experiment left it): not touching it"
  exit 0
fi
dmesg_take /tmp/dmesg_before_cmpk.txt

# 1. The run.
t0=$(now)
cmpk --json /tmp/cmpk.json > /tmp/cmpk.txt 2>&1
rc=$?
info "copylab compare --backend kmod: $N x $SIZE B per pair in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }') s (guest clock)"
section compare-kmod < /tmp/cmpk.txt
check "copylab compare --backend kmod exit status (0: every check agrees)" $rc -eq 0
loaded && fail "copyprobe still loaded after copylab compare" ||
  pass "copyprobe unloaded after copylab compare (not in /proc/modules)"
check "namespaces left by copylab compare" "$(our_netns)" -eq 0
dmesg_take /tmp/dmesg_cmpk.txt
grep -q 'copyprobe: loaded' /tmp/dmesg_cmpk.txt && grep -q 'copyprobe: unloaded' /tmp/dmesg_cmpk.txt &&
  pass "dmesg: copylab loaded and unloaded copyprobe ($(grep -m1 'copyprobe: loaded' /tmp/dmesg_cmpk.txt | sed 's/.*copyprobe: loaded, //'))" ||
  fail "dmesg lacks copyprobe's load/unload lines"
check "dmesg [COPY1] lines of $SIZE B printed during the socket run (copyprobe's format)" \
  "$(grep -c '\[COPY1\] PID=.* comm=sock_sender .*len='"$SIZE"'$' /tmp/dmesg_cmpk.txt)" -gt 0

if [ -s /tmp/cmpk.json ]; then
  # One jq pass (jq is slow under TCG): every value the assertions need, one tab-separated row each.
  jq -r '
    "attached\t-\t\(.cross_check.attached)\t\(.cross_check.backend)",
    (.runs[] | .pair as $p |
      "backend\t\($p)\t\(.copy_evidence.backend)",
      "sent\t\($p)\t\(.sender.result.sent)",
      "received\t\($p)\t\(.receiver.result.received)",
      (.copy_evidence.lines[] | "line\t\($p)\t\(.)"),
      (.checks[] | select(.source == "kprobe module copyprobe") |
        "check\t\($p)\t\(.observed // "none")\t\(.expected // "none")\t\(.name)")),
    (.copies.rows[] | "verdict\t\(.id)\t\(.socket.copies_per_packet) \(.af_xdp.copies_per_packet) \(.verdict)\t\(.socket.measured)"),
    (.runs[] | .pair as $p | .copy_evidence.counters.sites[] | .site as $s | .lens[] |
      select(.[0] == $size or .[0] == $frame) | "raw\t\($p)/\($s):\(.[0])\t\(.[1])"),
    "summary\t-\t\(.copies.summary)"' --argjson size "$SIZE" --argjson frame "$FRAME" /tmp/cmpk.json > /tmp/cmpk.rows
  T=$(printf '\t')
  row() { awk -F"$T" -v k="$1" -v p="$2" '$1 == k && $2 == p { print $'"${3:-3}"'; exit }' /tmp/cmpk.rows; }
  check "cross_check.attached" "$(row attached -)" = true
  backend=$(row attached - 4)
  case "$backend" in "kprobe module copyprobe"*) pass "report names the backend: $(echo "$backend" | cut -c1-90)..." ;;
    *) fail "cross_check.backend is not the kprobe module: $backend" ;; esac
  for pair in 'socket->socket' 'af_xdp->af_xdp'; do
    TAG="[$pair]"
    check "copy_evidence.backend" "$(row backend "$pair")" = kmod
    for site in COPY1:_copy_from_iter COPY4:_copy_to_iter XSK_TX:skb_store_bits XSK_RX:__xsk_rcv; do
      s=${site%%:*} fn=${site#*:}
      line=$(awk -F"$T" -v p="$pair" -v s="$s " '$1 == "line" && $2 == p && index($3, s) == 1 { print $3 }' /tmp/cmpk.rows)
      case "$line" in *"exact at the copy function (kprobe module copyprobe: $fn)"*)
          pass "evidence line: $(echo "$line" | cut -c1-150)" ;;
        *) fail "no $s evidence line at $fn: '$line'" ;; esac
    done
    # Every check compare made from the module's counters, as a PASS/FAIL line of its own.
    n=0
    awk -F"$T" -v p="$pair" '$1 == "check" && $2 == p' /tmp/cmpk.rows > /tmp/kchecks.txt
    while IFS="$T" read -r _ _ observed expected name; do
      check "$name" "$observed" -eq "$expected"
      n=$((n + 1))
    done < /tmp/kchecks.txt
    check "checks from the module's counters" $n -ge 4
  done
  TAG=
  # The raw counters in the JSON against the tools' counts, independently of compare's own checks.
  check "raw counters, socket run: COPY1 calls of $SIZE B = datagrams sent" \
    "$(row raw "socket->socket/COPY1:$SIZE")" -eq "$(row sent 'socket->socket')"
  check "raw counters, socket run: COPY4 calls of $SIZE B = datagrams received" \
    "$(row raw "socket->socket/COPY4:$SIZE")" -eq "$(row received 'socket->socket')"
  check "raw counters, af_xdp run: XSK_TX copies of $FRAME B = frames sent" \
    "$(row raw "af_xdp->af_xdp/XSK_TX:$FRAME")" -eq "$(row sent 'af_xdp->af_xdp')"
  check "raw counters, af_xdp run: COPY1 calls of $SIZE B" "$(row raw "af_xdp->af_xdp/COPY1:$SIZE")" -eq 0
  v1=$(row verdict copy1) v4=$(row verdict copy4)
  case "$v1" in "1 0 moved to skb_store_bits"*) pass "verdict COPY #1: $v1" ;; *) fail "verdict COPY #1: '$v1'" ;; esac
  case "$v4" in "1 0 moved to __xsk_rcv"*) pass "verdict COPY #4: $v4" ;; *) fail "verdict COPY #4: '$v4'" ;; esac
  case "$(row verdict copy1 4)" in *"kprobe module copyprobe: _copy_from_iter"*) pass "verdict rows measured: $(row verdict copy1 4)" ;;
    *) fail "verdict rows not from the module: $(row verdict copy1 4)" ;; esac
  info "summary: $(row summary -)"
else
  fail "copylab compare wrote no JSON: $(tail -n 1 /tmp/cmpk.txt)"
fi

# 2. Someone else's copyprobe: copylab refuses and leaves it loaded.
TAG="[foreign module]"
if insmod $KO burst=0; then
  cmpk > /tmp/cmpk_foreign.txt 2>&1
  rc=$?
  check "copylab compare exit status with copyprobe already loaded" $rc -ne 0
  grep -q 'already loaded' /tmp/cmpk_foreign.txt &&
    pass "refused: $(grep -m1 'already loaded' /tmp/cmpk_foreign.txt | cut -c1-160)" ||
    fail "no 'already loaded' refusal: $(tail -n 1 /tmp/cmpk_foreign.txt)"
  loaded && pass "the foreign copyprobe is still loaded" || fail "copylab unloaded a module it did not load"
  check "namespaces left by the refused compare" "$(our_netns)" -eq 0
  rmmod copyprobe || fail "rmmod of the foreign copyprobe failed"
else
  fail "insmod $KO failed"
fi

# 3. SIGTERM while the module is loaded: copylab unwinds, unloads it, removes its namespaces.
TAG="[SIGTERM]"
# copylab itself in the background (not a shell function: $! must be copylab's pid).
$COPYLAB $ARGS > /tmp/cmpk_term.txt 2>&1 &
pid=$!
i=0
while [ ! -e /proc/copyprobe ] && kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if [ -e /proc/copyprobe ]; then
  sleep 0.5
  kill -TERM $pid
  wait_pid $pid 60; rc=$?
  # 128 + SIGTERM; 124 would mean wait_pid had to kill it (it did not unwind in 60 s).
  [ $rc -eq 143 ] && pass "copylab compare stopped on SIGTERM: exit 128+15, '$(tail -n 1 /tmp/cmpk_term.txt | cut -c1-100)'" ||
    fail "copylab compare after SIGTERM: exit $rc (expected 143)"
  loaded && fail "copyprobe still loaded after SIGTERM" || pass "copyprobe unloaded after SIGTERM"
  check "namespaces left after SIGTERM" "$(our_netns)" -eq 0
else
  wait_pid $pid 60
  fail "copyprobe never appeared: $(tail -n 1 /tmp/cmpk_term.txt)"
fi
TAG=
dmesg_take /tmp/dmesg_cmpk_rest.txt
