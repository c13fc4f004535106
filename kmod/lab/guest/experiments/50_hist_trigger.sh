# shellcheck shell=sh
# copylab's own tracefs hist triggers (evidence/hist_trigger.hpp) on a kernel that has them: `copylab hist`
# arms `hist:keys=<stack key>:vals=len:sort=hitcount:pause` in a private instance, switched per process
# by enable_hist/disable_hist on sched_process_exec/exit, saves the kernel's output and compares its
# hitcount with copylab's BPF histogram. Asserts on copylab's SAVED trigger output: the known transmit stacks,
# hitcount == BPF hits == frames sent, and that no trigger or instance is left afterwards (also after
# SIGINT).
. /lab/tools.sh
net_up || { fail "netns/veth setup failed"; exit 0; }
COPYLAB=$(tool_path copylab) || { skip "copylab binary not in --bin-dir"; exit 0; }
command -v jq >/dev/null || { skip "jq is not on the host, so the guest cannot read copylab's JSON"; exit 0; }
N=$LAB_COUNT SIZE=$LAB_SIZE

# chain_hits FILE FN...: summed hitcount of the entries of a saved hist whose stack holds FN... in
# this order, innermost first (as ftrace prints them).
chain_hits() {
  f=$1; shift
  awk -v chain="$*" '
    BEGIN { n = split(chain, c, " ") }
    /^\{ / { want = 1; next }
    /^\} hitcount:/ { if (want > n) s += $3; want = 0; next }
    want > 0 && want <= n { fn = $1; sub(/\+.*/, "", fn); if (fn == c[want]) want++ }
    END { print s + 0 }' "$f"
}
# check_stacks FILE WHAT FN...: every frame sent is in a stack holding FN... (the sender's own
# softirq) or in one run by ksoftirqd (softirq deferred: the sender's frames are not on that stack),
# and most are in the sender's own.
check_stacks() {
  f=$1 what=$2; shift 2
  own=$(chain_hits "$f" "$@") deferred=$(chain_hits "$f" run_ksoftirqd)
  check "$what: hits of stacks $(echo "$*" | sed 's/ / <- /g') + $deferred deferred to ksoftirqd == frames sent" \
    $((own + deferred)) -eq "$N"
  check "$what: most frames in the sender's own stack" "$own" -ge $((N / 2))
}
# bpf_hits JSON EVENT / trig_hits JSON EVENT: hits of copylab's BPF / trigger histogram of EVENT.
bpf_hits() { jq -r --arg e "$2" '[.[0].histograms[] | select(.event == $e) | .hits] | first // "none"' "$1"; }
trig_hits() { jq -r --arg e "$2" '[.[0].hist_trigger.histograms[] | select(.event == $e) | .hits_reported] | first // "none"' "$1"; }
# no_leftovers WHAT: no copylab-* instance and no trigger on the top-level events copylab uses.
no_leftovers() {
  inst=$(ls $TRACING/instances 2>/dev/null | grep '^copylab-' | tr '\n' ' ')
  trig=$(for e in net/netif_receive_skb net/net_dev_start_xmit xdp/xdp_redirect sched/sched_process_exec sched/sched_process_exit; do
           grep -v '^#' $TRACING/events/$e/trigger | sed "s#^#$e: #"; done | head -n 3 | tr '\n' ' ')
  [ -z "$inst" ] && [ -z "$trig" ] && pass "$1: no copylab-* instance, no trigger left in tracefs" ||
    fail "$1: left behind: instances '$inst' triggers '$trig'"
}

for run in socket generic native; do
  if [ $run = socket ]; then
    sock_tools_select >/dev/null || { skip "$run: sock_sender/sock_receiver not in --bin-dir"; continue; }
    [ "$SOCK_STANDIN" = 1 ] && { skip "$run: needs copylab's own tools"; continue; }
  else
    xdp_tools_select >/dev/null || { skip "$run: xdp_sender/xdp_receiver not in --bin-dir"; continue; }
  fi
  TAG="[$run]" out=/tmp/ht_$run
  rm -rf $out; mkdir -p $out
  # --scope window: copylab's BPF side counts every event while the command runs, the scope the
  # trigger has (exec..exit of the command). With --scope pids a frame that the kernel defers to
  # ksoftirqd is outside the pid tree: the trigger counts it, BPF does not (copylab reports that).
  $COPYLAB hist --scope window --json $out/hist.json --out $out -- sh /lab/pair.sh $run "$N" > $out/stdout.txt 2>&1
  rc=$?
  section hist-trigger-$run < $out/stdout.txt
  check "copylab hist -- sh /lab/pair.sh $run $N: exit status" $rc -eq 0
  no_leftovers "after the run"
  [ -s $out/hist.json ] || { fail "copylab wrote no JSON: $(tail -n 1 $out/stdout.txt)"; continue; }
  check "copylab used its hist trigger: $(jq -r '.[0].hist_trigger.status' $out/hist.json | cut -c1-160)" \
    "$(jq -r '.[0].hist_trigger.used' $out/hist.json)" = true
  sent=$(json_sent /tmp/pair_tx.out.json)
  check "frames sent by the run's sender" "${sent:-none}" -eq "$N"
  nrs=$out/hist-trigger.command.netif_receive_skb.txt
  [ -s $nrs ] && pass "saved trigger output: $nrs ($(wc -l < $nrs) lines)" || { fail "no saved trigger output $nrs"; continue; }
  key=$(sed -n 's/^# trigger info: hist:keys=\([a-z_]*\):.*/\1/p' $nrs)
  check "stack key in copylab's trigger == the one this kernel takes ($(hist_key))" "$key" = "$(hist_key)"
  check "netif_receive_skb: trigger hits == copylab BPF hits" "$(trig_hits $out/hist.json net:netif_receive_skb)" -eq "$(bpf_hits $out/hist.json net:netif_receive_skb)"
  check "net_dev_start_xmit: trigger hits == copylab BPF hits" "$(trig_hits $out/hist.json net:net_dev_start_xmit)" -eq "$(bpf_hits $out/hist.json net:net_dev_start_xmit)"
  check "xdp_redirect: trigger hits == copylab BPF hits" "$(trig_hits $out/hist.json xdp:xdp_redirect)" -eq "$(bpf_hits $out/hist.json xdp:xdp_redirect)"
  # Same stacks: every frame of the kernel's saved hists is in copylab's BPF stacks (JSON).
  awk '/^[[:space:]]+[A-Za-z_.0-9]+\+0x/ { print $1 }' $out/hist-trigger.command.*.txt | sort -u > $out/frames_trigger.txt
  jq -r '.[0].histograms[].entries[].frames[]' $out/hist.json | sort -u > $out/frames_bpf.txt
  missing=$(grep -vxFf $out/frames_bpf.txt $out/frames_trigger.txt | head -n 3 | tr '\n' ' ')
  [ -s $out/frames_trigger.txt ] && [ -z "$missing" ] &&
    pass "every frame of the kernel's hist stacks is in copylab's BPF stacks ($(wc -l < $out/frames_trigger.txt) frames)" ||
    fail "frames in the kernel's hist but not in copylab's BPF stacks: '$missing'"
  # Stack by stack: each of the kernel's stacks has the same hitcount in copylab's BPF histogram.
  for ev in net:netif_receive_skb net:net_dev_start_xmit xdp:xdp_redirect; do
    [ "$(trig_hits $out/hist.json $ev)" = 0 ] && continue
    check "$ev: kernel stacks found in copylab's BPF histogram with the same hitcount" \
      "$(jq -r --arg e $ev '.[0].hist_trigger.agreement[] | select(.event == $e) | .stacks_equal' $out/hist.json)" -eq \
      "$(jq -r --arg e $ev '.[0].hist_trigger.agreement[] | select(.event == $e) | .stacks' $out/hist.json)"
  done
  case $run in
    socket)
      check "saved netif_receive_skb hist: Hits == frames sent" "$(hist_hits $nrs)" -eq "$N"
      check_stacks $nrs "saved netif_receive_skb hist" __dev_queue_xmit ip_send_skb udp_sendmsg
      check "saved netif_receive_skb hist: len sum == frames x (payload + 28)" "$(hist_len_sum $nrs)" -eq $((N * (SIZE + 28)))
      check "saved net_dev_start_xmit hist: Hits == frames sent" "$(hist_hits $out/hist-trigger.command.net_dev_start_xmit.txt)" -eq "$N"
      ;;
    generic)
      check "saved netif_receive_skb hist: Hits == frames sent" "$(hist_hits $nrs)" -eq "$N"
      check_stacks $nrs "saved netif_receive_skb hist" __dev_direct_xmit __xsk_generic_xmit xsk_sendmsg
      check "saved netif_receive_skb hist: no udp_sendmsg stack" "$(chain_hits $nrs udp_sendmsg)" -eq 0
      check "saved xdp_redirect hist: Hits == frames sent" "$(hist_hits $out/hist-trigger.command.xdp_redirect.txt)" -eq "$N"
      ;;
    native)
      # veth's native XDP redirects in veth_poll, before the stack: no netif_receive_skb at all.
      check "saved netif_receive_skb hist: Hits (native XDP redirects before the stack)" "$(hist_hits $nrs)" -eq 0
      check "saved xdp_redirect hist: Hits == frames sent" "$(hist_hits $out/hist-trigger.command.xdp_redirect.txt)" -eq "$N"
      check_stacks $out/hist-trigger.command.xdp_redirect.txt "saved xdp_redirect hist" \
        veth_xdp_rcv_skb __dev_direct_xmit __xsk_generic_xmit xsk_sendmsg
      ;;
  esac
done

# `copylab hist --path socket`: copylab's own tools in copylab's own namespaces.
TAG="[--path socket]" out=/tmp/ht_path
rm -rf $out; mkdir -p $out
$COPYLAB hist --path socket --count "$N" --event netif_receive_skb --json $out/hist.json > $out/stdout.txt 2>&1
rc=$?
section hist-trigger-path-socket < $out/stdout.txt
check "copylab hist --path socket: exit status" $rc -eq 0
no_leftovers "after --path socket"
f=$out/hist.hist-trigger.socket.netif_receive_skb.txt
grep -q '^# tracefs hist trigger: armed in instances/copylab-' $out/stdout.txt &&
  pass "stdout says the trigger was armed in a private instance" || fail "stdout does not say the trigger was armed"
check_stacks $f "saved next to --json" __dev_queue_xmit ip_send_skb udp_sendmsg
# The namespaces copylab made keep IPv6 on, so its DAD/MLD frames may fall in one scope and not the
# other: the totals are reported, the assertion is on the transmit stack above.
info "--path socket: $(grep '^# hitcount agreement' $out/stdout.txt | head -n 1)"

# SIGINT while the triggers are armed: copylab unwinds and removes them and the instance.
TAG="[SIGINT]"
$COPYLAB hist -- sleep 30 > /tmp/ht_sigint.txt 2>&1 &
pid=$!
# armed_in PID: the first trigger line on netif_receive_skb in one of PID's instances (empty: none).
armed_in() { cat $TRACING/instances/copylab-$1-*/events/net/netif_receive_skb/trigger 2>/dev/null | grep -v '^#' | head -n 1; }
i=0
while [ -z "$(armed_in $pid)" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
armed=$(armed_in $pid)
[ -n "$armed" ] && pass "armed in instances/copylab-$pid-*: $armed" || fail "copylab never armed its trigger: $(tail -n 2 /tmp/ht_sigint.txt)"
kill -INT $pid
wait_pid $pid 15; rc=$?
check "copylab hist stopped by SIGINT: exit status 128+2" $rc -eq 130
no_leftovers "after SIGINT"
TAG=
