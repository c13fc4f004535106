# shellcheck shell=sh
# A flood through the socket path with the module loaded and printing rate limited: the guest must
# stay free of BUG/WARNING/Oops (checked at the end), the counters must stay exact (cross-checked
# against the UDP MIB in the receiving namespace), and the module must unload cleanly.
. /lab/tools.sh
net_up || { fail "netns/veth setup failed"; exit 0; }
sock_tools_select || exit 0
N=$LAB_FLOOD SIZE=$LAB_SIZE

udp_mib() {  # udp_mib FIELD: the Udp: counter FIELD in the receiving namespace
  ip netns exec $NS_RX cat /proc/net/snmp | awk -v f="$1" '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1 } else print $c }'
}
mod_load comm="$SOCK_COMMS" burst=5 || exit 0
mod_reset
in0=$(udp_mib InDatagrams) rcvbuf0=$(udp_mib RcvbufErrors)
t0=$(now)
sock_rx_start "$N" /tmp/flood_rx.out || exit 0
sock_tx "$N" /tmp/flood_tx.out; tx_rc=$?
wait_pid "$SOCK_RX_PID" 300
dt=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
received=$(sock_rx_received /tmp/flood_rx.out)
in_dgrams=$(( $(udp_mib InDatagrams) - in0 )) rcvbuf=$(( $(udp_mib RcvbufErrors) - rcvbuf0 ))
info "flood: $N x $SIZE B in $dt s (guest clock); received $received, UDP MIB InDatagrams +$in_dgrams RcvbufErrors +$rcvbuf"
check "sender exit status" $tx_rc -eq 0
check "datagrams received (some loss to the receive buffer is allowed)" "${received:-0}" -gt 0
cat /proc/copyprobe > /tmp/flood_counters.txt
section flood-counters < /tmp/flood_counters.txt
check "COPY1 calls of $SIZE bytes == datagrams sent" "$(cp_len COPY1 "$SIZE")" -eq "$N"
check "COPY2 frames of skb_len $((SIZE + 42)) == datagrams sent" "$(cp_len COPY2 $((SIZE + 42)))" -eq "$N"
check "COPY4 calls of $SIZE bytes == datagrams the receiver got" "$(cp_len COPY4 "$SIZE")" -eq "$received"
check "COPY4 calls == UDP MIB InDatagrams (kernel's own count)" "$(cp_len COPY4 "$SIZE")" -eq "$in_dgrams"
check "InDatagrams + RcvbufErrors == datagrams sent" $((in_dgrams + rcvbuf)) -eq "$N"
for s in COPY1 COPY2 COPY4; do
  info "$s nmissed=$(cp_field $s nmissed) printed=$(cp_field $s printed) suppressed=$(cp_field $s suppressed) (burst=5/s)"
done
printed=$(cp_field COPY1 printed)
check "COPY1 lines printed stay within the rate limit (5/s over ${dt}s)" "$printed" -le "$(awk -v t="$dt" 'BEGIN { printf "%d", 5 * (t + 2) }')"
mod_unload
