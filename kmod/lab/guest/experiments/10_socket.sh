# shellcheck shell=sh
# Socket path under the module: one COPY1 and one COPY4 per datagram for the experiment's processes,
# COPY2 per frame with skb_len = payload + 42 (at __dev_queue_xmit the Ethernet header is already
# pushed: 14 + 20 IPv4 + 8 UDP), no AF_XDP copy site touched; the netif_receive_skb hist scoped to
# the sender's exec..exit counts one receive per datagram.
. /lab/tools.sh
net_up || { fail "netns/veth setup failed"; exit 0; }
sock_tools_select || exit 0
N=$LAB_COUNT SIZE=$LAB_SIZE

mod_load comm="$SOCK_COMMS" burst=20 print_watched=1 || exit 0
dmesg_take /tmp/dmesg_before.txt
key=$(hist_key) || { fail "no hist stack key"; key=stacktrace; }
hist_arm "$key" "$SOCK_TX_EXE" "$SOCK_TX_COMM" || fail "arming the hist triggers failed"
mod_reset

t0=$(now)
sock_rx_start "$N" /tmp/sock_rx.out || exit 0
sock_tx "$N" /tmp/sock_tx.out; tx_rc=$?
wait_pid "$SOCK_RX_PID" 30; rx_rc=$?
info "traffic: $N x $SIZE-byte datagrams in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }') s (guest clock)"
check "sender exit status" $tx_rc -eq 0
check "receiver exit status" $rx_rc -eq 0
received=$(sock_rx_received /tmp/sock_rx.out)
check "datagrams received" "$received" -eq "$N"

cat /proc/copyprobe > /tmp/counters.txt
section socket-counters < /tmp/counters.txt
check "COPY1 (_copy_from_iter) calls of $SIZE bytes by $SOCK_COMMS" "$(cp_len COPY1 "$SIZE")" -eq "$N"
check "COPY4 (_copy_to_iter) calls of $SIZE bytes by $SOCK_COMMS" "$(cp_len COPY4 "$SIZE")" -eq "$received"
check "COPY2 (__dev_queue_xmit) frames of skb_len $((SIZE + 42)) = payload + 42" "$(cp_len COPY2 $((SIZE + 42)))" -eq "$N"
check "COPY2 frames of any other length" "$(( $(cp_field COPY2 hits) - $(cp_len COPY2 $((SIZE + 42))) ))" -eq 0
for s in XSK_TX XSK_XMIT; do
  cp_attached $s && check "$s hits on the socket path" "$(cp_field $s hits)" -eq 0
done
info "COPY1 lengths (len:calls): $(cp_field COPY1 lens); others are the tools' own writes/startup"
info "COPY4 lengths (len:calls): $(cp_field COPY4 lens); 32 = glibc getrandom at startup, others /proc or netlink reads"
for s in COPY1 COPY2 COPY4; do info "$s nmissed=$(cp_field $s nmissed) printed=$(cp_field $s printed) suppressed=$(cp_field $s suppressed)"; done

cat $TRACING/events/net/netif_receive_skb/hist > /tmp/hist_socket.txt
hist_disarm "$key" "$SOCK_TX_EXE" "$SOCK_TX_COMM"
section hist-socket < /tmp/hist_socket.txt
check "hist ($key, scoped to $SOCK_TX_COMM exec..exit): netif_receive_skb hits" "$(hist_hits /tmp/hist_socket.txt)" -eq "$N"
# Where skb->len is read decides +42 or +28: at __dev_queue_xmit the Ethernet header is pushed
# (COPY2: payload + 42); at netif_receive_skb eth_type_trans has pulled it (payload + 20 + 8).
check "hist len sum == datagrams x (payload + 28): skb->len at netif_receive_skb excludes the Ethernet header" \
  "$(hist_len_sum /tmp/hist_socket.txt)" -eq $((N * (SIZE + 28)))
grep -q 'udp_sendmsg' /tmp/hist_socket.txt && pass "hist stack runs through udp_sendmsg -> __dev_queue_xmit (receive in the sender's softirq)" ||
  fail "hist stack lacks udp_sendmsg"
dmesg_take /tmp/dmesg_socket.txt
grep -E '\[COPY[124]\]' /tmp/dmesg_socket.txt > /tmp/copylines.txt
head -n 12 /tmp/copylines.txt | section socket-dmesg-sample
# The address proof: COPY1 writes the payload at skb_data + 42, COPY2 hands that skb to the
# device, COPY4 reads the payload from the same address (veth moves the skb, it copies nothing).
c1=$(grep -m1 '\[COPY1\].* len='"$SIZE"'$' /tmp/copylines.txt | sed 's/.*dest=\([0-9a-f]*\).*/\1/')
c2=$(grep -m1 '\[COPY2\].* skb_len='"$((SIZE + 42))"'$' /tmp/copylines.txt | sed 's/.*skb_data=\([0-9a-f]*\).*/\1/')
c4=$(grep -m1 '\[COPY4\].* len='"$SIZE"'$' /tmp/copylines.txt | sed 's/.*src=\([0-9a-f]*\).*/\1/')
if [ -n "$c1" ] && [ -n "$c2" ]; then
  check "COPY1 dest - COPY2 skb_data (first datagram: $c1 - $c2)" $((0x$c1 - 0x$c2)) -eq 42
  # Any printed COPY4 source that is a printed COPY1 destination: veth handed the skb over.
  grep '\[COPY1\].* len='"$SIZE"'$' /tmp/copylines.txt | sed 's/.*dest=\([0-9a-f]*\).*/\1/' | sort -u > /tmp/c1.txt
  grep '\[COPY4\].* len='"$SIZE"'$' /tmp/copylines.txt | sed 's/.*src=\([0-9a-f]*\).*/\1/' | sort -u > /tmp/c4.txt
  same=$(grep -xFf /tmp/c1.txt /tmp/c4.txt | head -n1)
  if [ -n "$same" ]; then
    pass "COPY4 read a payload from $same, an address COPY1 wrote a payload to: no copy in between (veth hands the skb over)"
  else
    info "no printed COPY4 source equals a printed COPY1 destination (printing is rate limited: $(wc -l < /tmp/c1.txt)/$(wc -l < /tmp/c4.txt) addresses seen)"
  fi
else
  fail "no COPY1/COPY2 dmesg lines for $SIZE-byte datagrams (burst=20 with print_watched=1 prints the first ones)"
fi
mod_unload
