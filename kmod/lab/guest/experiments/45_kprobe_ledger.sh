# shellcheck shell=sh
# copylab's kprobe backend (BPF kprobes on the copy functions themselves, evidence/copy_kprobes.bpf.c)
# against the copyprobe module on the same traffic as 40_bpf: copyprobe.ko loaded AND `copylab hist
# --ledger` attached. The kprobe ledger lines must equal the module's exact counters to the packet:
# COPY1 == datagrams on the socket path, no payload-sized COPY1/COPY4 on AF_XDP (native and
# generic), and the AF_XDP copy sites equal to the module's XSK_TX/XSK_RX where both attached.
# A site the kernel did not let copylab attach is a SKIP with copylab's reason, never a 0.
# native-threaded runs the receiving veth's NAPI in a kthread, so no receive copy happens on the
# pair's time: the AF_XDP receive copies must still be counted (attributed by socket, not by task).
. /lab/tools.sh
net_up || { fail "netns/veth setup failed"; exit 0; }
COPYLAB=$(tool_path copylab) || { skip "copylab binary not in --bin-dir"; exit 0; }
command -v jq >/dev/null || { skip "jq is not on the host, so the guest cannot read copylab's JSON"; exit 0; }
N=$LAB_COUNT SIZE=$LAB_SIZE FRAME=$((LAB_SIZE + 42))

# The doctor lists the kprobe backend as available on this kernel.
if $COPYLAB doctor --json - --no-device > /tmp/kp_doctor.json 2>/tmp/kp_doctor.err; then
  avail=$(jq -r '[.backends[] | select(.name | test("kprobe BPF")) | .available] | first // "none"' /tmp/kp_doctor.json)
  why=$(jq -r '[.backends[] | select(.name | test("kprobe BPF")) | .why] | first // ""' /tmp/kp_doctor.json)
  [ "$avail" = true ] && pass "copylab doctor: kprobe backend available ($why)" ||
    fail "copylab doctor: kprobe backend not available on a kernel with kprobes: $why"
else
  fail "copylab doctor --json - failed: $(tail -n 1 /tmp/kp_doctor.err)"
fi

J=
# kp_field ID FIELD: a field of one ledger line of copylab's JSON ("null" when unavailable)
kp_field() { jq -r --arg id "$1" --arg f "$2" '[.[0].cross_check.ledger.lines[] | select(.id == $id) | (.[$f] | tostring)] | first // "none"' "$J"; }
# kp_len ID LEN: calls of that line that copied exactly LEN bytes (0 when none did)
kp_len() { jq -r --arg id "$1" --arg l "$2" '[.[0].cross_check.ledger.lines[] | select(.id == $id) | (.lens // {})[$l] // 0] | first // 0' "$J"; }
# kp_vs ID WHAT EXPECTED [LEN]: the line (or its LEN-byte calls) must equal EXPECTED; a line
# copylab could not attach is a SKIP carrying its reason.
kp_vs() {
  count=$(kp_field "$1" count)
  if [ "$count" = none ]; then
    fail "copylab's ledger has no line $1"
  elif [ "$count" = null ]; then
    skip "$run: $1 not measurable here: $(kp_field "$1" unavailable) ($2: $3)"
  elif [ -n "$4" ]; then
    check "kprobe $1 [$(kp_field "$1" measured)] calls of $4 bytes == $2" "$(kp_len "$1" "$4")" -eq "$3"
  else
    check "kprobe $1 [$(kp_field "$1" measured)] == $2" "$count" -eq "$3"
  fi
}

for run in socket native generic native-threaded; do
  if [ $run = socket ]; then
    sock_tools_select >/dev/null || { skip "$run: sock_sender/sock_receiver not in --bin-dir"; continue; }
    [ "$SOCK_STANDIN" = 1 ] && { skip "$run: the cross-check is only meaningful with copylab's own tools"; continue; }
    comms=$SOCK_COMMS
  else
    xdp_tools_select >/dev/null || { skip "$run: xdp_sender/xdp_receiver not in --bin-dir"; continue; }
    comms=$XDP_COMMS
  fi
  TAG="[$run]" J=/tmp/kp_$run.json
  mod_load comm="$comms" burst=0 || continue
  mod_reset
  $COPYLAB hist --event netif_receive_skb --scope pids --ledger --json $J \
    -- sh /lab/pair.sh $run "$N" > /tmp/kp_$run.txt 2>&1
  rc=$?
  cat /proc/copyprobe > /tmp/kp_counters_$run.txt
  mod_unload
  if [ $run = native-threaded ]; then
    # `threaded` outlives the NAPI instance: a fresh pair for the experiments after this one.
    net_down
    net_up || fail "recreating the netns/veth pair failed"
    if [ $rc -eq 4 ]; then
      skip "$run: threaded NAPI not available on veth here: $(cat /tmp/pair_threaded.err)"
      continue
    fi
  fi
  CP_FILE=/tmp/kp_counters_$run.txt
  section kprobe-ledger-$run < /tmp/kp_$run.txt
  section kprobe-counters-$run < /tmp/kp_counters_$run.txt
  check "copylab hist --ledger -- (traffic) exit status" $rc -eq 0
  if [ ! -s $J ]; then
    fail "copylab wrote no JSON: $(tail -n 1 /tmp/kp_$run.txt)"
    continue
  fi
  backend=$(jq -r '[.[0].cross_check.backends[] | select(.name | test("kprobe"))] | first | "\(.active) \(.detail)"' $J)
  case $backend in
    true*) pass "kprobe backend active: ${backend#true }" ;;
    *) fail "kprobe backend not active on a kernel with kprobes: ${backend#* }" ;;
  esac
  rx=$(json_received /tmp/pair_rx.out.json)
  if [ $run = socket ]; then
    check "module COPY1 calls of $SIZE bytes == datagrams" "$(cp_len COPY1 "$SIZE")" -eq "$N"
    kp_vs kprobe_copy1 "datagrams sent" "$N"
    kp_vs kprobe_copy1 "module COPY1 calls of $SIZE bytes" "$(cp_len COPY1 "$SIZE")" "$SIZE"
    kp_vs kprobe_copy4 "datagrams received ($rx)" "${rx:-none}"
    kp_vs kprobe_copy4 "module COPY4 calls of $SIZE bytes" "$(cp_len COPY4 "$SIZE")" "$SIZE"
    kp_vs kprobe_xsk_tx_copy "AF_XDP TX copies on the socket path" 0
    kp_vs kprobe_xsk_rx_copy "AF_XDP RX copies on the socket path" 0
  else
    check "module COPY1 calls of $SIZE bytes == 0" "$(cp_len COPY1 "$SIZE")" -eq 0
    check "module COPY4 calls of $SIZE bytes == 0" "$(cp_len COPY4 "$SIZE")" -eq 0
    kp_vs kprobe_copy1 "0 (AF_XDP: no COPY #1)" 0
    kp_vs kprobe_copy1 "module COPY1 calls of $SIZE bytes (0)" "$(cp_len COPY1 "$SIZE")" "$SIZE"
    kp_vs kprobe_copy_from_iter_other "module COPY1 calls of $SIZE bytes (0)" "$(cp_len COPY1 "$SIZE")" "$SIZE"
    kp_vs kprobe_copy4 "0 (AF_XDP: no COPY #4)" 0
    kp_vs kprobe_copy4 "module COPY4 calls of $SIZE bytes (0)" "$(cp_len COPY4 "$SIZE")" "$SIZE"
    kp_vs kprobe_copy_to_iter_other "module COPY4 calls of $SIZE bytes (0)" "$(cp_len COPY4 "$SIZE")" "$SIZE"
    kp_vs kprobe_xsk_tx_copy "frames sent" "$N"
    kp_vs kprobe_xsk_tx_copy "module XSK_TX copies of $FRAME bytes" "$(cp_len XSK_TX "$FRAME")" "$FRAME"
    kp_vs kprobe_xsk_rx_copy "frames received ($rx)" "${rx:-none}"
    kp_vs kprobe_xsk_rx_copy "module XSK_RX copies of $FRAME bytes" "$(cp_len XSK_RX "$FRAME")" "$FRAME"
  fi
  CP_FILE=
done
TAG=

# `copylab compare` with the default backend on a kernel with kprobes: the kprobe lines are used
# automatically, checked against the tools' counts, and the verdict rows cite them.
TAG="[compare]"
N=$((LAB_COUNT < 500 ? LAB_COUNT : 500))
$COPYLAB compare --count $N --rate 2000 --no-unpaced --size $SIZE --cpu-tx 0 --cpu-rx 0 \
  --json /tmp/cmp_auto.json > /tmp/cmp_auto.txt 2>&1
rc=$?
section compare-auto < /tmp/cmp_auto.txt
check "copylab compare (default backend) exit status" $rc -eq 0
if [ -s /tmp/cmp_auto.json ]; then
  jq -r '(.runs[] | .pair as $p |
           "sent\t\($p)\t\(.sender.result.sent)",
           "received\t\($p)\t\(.receiver.result.received)",
           (.copy_evidence.ledger.lines[] | select(.id | startswith("kprobe_")) |
             "kp\t\($p)/\(.id)\t\(.count // "none")")),
         (.copies.rows[] | "measured\t\(.id)\t\(.socket.measured) | \(.af_xdp.measured)")' \
    /tmp/cmp_auto.json > /tmp/cmp_auto.rows
  T=$(printf '\t')
  arow() { awk -F"$T" -v k="$1" -v p="$2" '$1 == k && $2 == p { print $3; exit }' /tmp/cmp_auto.rows; }
  sock_sent=$(arow sent "socket->socket") xsk_sent=$(arow sent "af_xdp->af_xdp")
  check "compare socket->socket: kprobe_copy1 == datagrams sent" "$(arow kp "socket->socket/kprobe_copy1")" = "$sock_sent"
  check "compare socket->socket: kprobe_copy4 == datagrams received" "$(arow kp "socket->socket/kprobe_copy4")" = "$(arow received "socket->socket")"
  check "compare af_xdp->af_xdp: kprobe_copy1 == 0" "$(arow kp "af_xdp->af_xdp/kprobe_copy1")" = 0
  check "compare af_xdp->af_xdp: kprobe_copy4 == 0" "$(arow kp "af_xdp->af_xdp/kprobe_copy4")" = 0
  check "compare af_xdp->af_xdp: kprobe_xsk_tx_copy == frames sent" "$(arow kp "af_xdp->af_xdp/kprobe_xsk_tx_copy")" = "$xsk_sent"
  for id in copy1 copy4; do
    m=$(arow measured $id)
    case $m in
      *kprobe*) pass "verdict $id cites the kprobe evidence: $(echo "$m" | cut -c1-120)" ;;
      *) fail "verdict $id does not cite the kprobe evidence: $m" ;;
    esac
  done
else
  fail "copylab compare wrote no JSON: $(tail -n 1 /tmp/cmp_auto.txt)"
fi
TAG=
