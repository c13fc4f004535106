# shellcheck shell=sh
# AF_XDP path (copy mode: veth has no zero-copy), native and generic XDP on the receiving veth,
# same payloads as the socket experiment: no COPY1/COPY4 for the payloads (the user<->kernel copies
# are gone), the AF_XDP kernel copy sites counted instead: UMEM -> skb on transmit (skb_store_bits
# from __xsk_generic_xmit, xsk_build_skb being inlined), __dev_direct_xmit instead of
# __dev_queue_xmit, xdp_buff -> UMEM on receive (__xsk_rcv), plus the XDP headroom copy (native:
# skb_copy_bits in veth; generic: pskb_expand_head). netif_receive_skb: none in native mode (veth
# redirects before the stack), one per frame in generic mode (the hook runs inside the stack).
. /lab/tools.sh
net_up || { fail "netns/veth setup failed"; exit 0; }
xdp_tools_select || exit 0
N=$LAB_COUNT SIZE=$LAB_SIZE FRAME=$((LAB_SIZE + 42))

for mode in native generic; do
  TAG="[$mode]"
  mod_load comm="$XDP_COMMS" burst=20 print_watched=1 || continue
  dmesg_take /tmp/dmesg_before.txt
  key=$(hist_key) || key=stacktrace
  hist_arm "$key" "$XDP_TX_EXE" "$XDP_TX_COMM" || fail "arming the hist triggers failed"
  mod_reset
  xdp_rx_start $mode "$N" /tmp/xdp_rx_$mode.out || { hist_disarm "$key" "$XDP_TX_EXE" "$XDP_TX_COMM"; mod_unload; continue; }
  xdp_tx $mode "$N" /tmp/xdp_tx_$mode.out; tx_rc=$?
  wait_pid "$XDP_RX_PID" 60; rx_rc=$?
  check "xdp_sender exit status" $tx_rc -eq 0
  check "xdp_receiver exit status" $rx_rc -eq 0
  [ $tx_rc -eq 0 ] || section xdp-sender-output-$mode < /tmp/xdp_tx_$mode.out
  [ $rx_rc -eq 0 ] || section xdp-receiver-output-$mode < /tmp/xdp_rx_$mode.out
  received=$(json_received /tmp/xdp_rx_$mode.out.json)
  check "frames received by xdp_receiver" "${received:-0}" -eq "$N"
  grep -o '"mode":{[^}]*}' /tmp/xdp_rx_$mode.out.json | head -n1 | sed 's/^/xdp_receiver mode read back: /' | while read -r l; do info "$l"; done

  cat /proc/copyprobe > /tmp/xdp_counters_$mode.txt
  section xdp-counters-$mode < /tmp/xdp_counters_$mode.txt
  check "COPY1 (_copy_from_iter) calls of $SIZE bytes (payload user->kernel)" "$(cp_len COPY1 "$SIZE")" -eq 0
  check "COPY4 (_copy_to_iter) calls of $SIZE bytes (payload kernel->user)" "$(cp_len COPY4 "$SIZE")" -eq 0
  check "COPY2 (__dev_queue_xmit) frames of $FRAME bytes" "$(cp_len COPY2 "$FRAME")" -eq 0
  info "COPY1/COPY4 calls of any length by the AF_XDP tools: $(cp_field COPY1 hits)/$(cp_field COPY4 hits) (startup, netlink, /proc: not per frame)"
  check "XSK_TX (skb_store_bits, UMEM -> skb) copies of $FRAME bytes" "$(cp_len XSK_TX "$FRAME")" -eq "$N"
  check "XSK_XMIT (__dev_direct_xmit) frames of $FRAME bytes" "$(cp_len XSK_XMIT "$FRAME")" -eq "$N"
  check "XSK_RX (__xsk_rcv, xdp_buff -> UMEM) copies of $FRAME bytes" "$(cp_len XSK_RX "$FRAME")" -eq "${received:-0}"
  # The XDP headroom copy: AF_XDP's skbs carry ~64 B of headroom, XDP wants 256.
  if [ $mode = native ]; then
    check "XDP_COW (skb_copy_bits in veth native XDP: skb -> page) copies of $FRAME bytes" "$(cp_len XDP_COW "$FRAME")" -eq "${received:-0}"
  else
    # The skb's length at pskb_expand_head: 6.1 expands it with the Ethernet header pulled
    # (FRAME - 14); 6.12's netif_skb_check_for_xdp (net/core/dev.c) runs after the MAC header was
    # pushed back (FRAME). Both lengths are watched, so each count is exact.
    e_pulled=$(cp_len XDP_EXPAND $((FRAME - 14))) e_full=$(cp_len XDP_EXPAND "$FRAME")
    info "XDP_EXPAND of $((FRAME - 14))-byte skbs (Ethernet header pulled): $e_pulled; of $FRAME-byte skbs (header pushed back): $e_full"
    check "XDP_EXPAND (pskb_expand_head in generic XDP) of the frame's skb ($((FRAME - 14)) or $FRAME bytes)" "$((e_pulled + e_full))" -eq "${received:-0}"
  fi
  info "XDP_COW lengths: $(cp_field XDP_COW lens); XDP_EXPAND lengths: $(cp_field XDP_EXPAND lens) (other lengths: other callers)"
  for s in XSK_TX XSK_XMIT XSK_RX; do info "$s nmissed=$(cp_field $s nmissed) printed=$(cp_field $s printed)"; done

  cat $TRACING/events/net/netif_receive_skb/hist > /tmp/hist_xdp_$mode.txt
  hist_disarm "$key" "$XDP_TX_EXE" "$XDP_TX_COMM"
  section hist-xdp-$mode < /tmp/hist_xdp_$mode.txt
  hits=$(hist_hits /tmp/hist_xdp_$mode.txt)
  if [ $mode = native ]; then
    check "hist ($key, scoped to xdp_sender): netif_receive_skb hits (native XDP redirects before the stack)" "${hits:-0}" -eq 0
  else
    check "hist ($key, scoped to xdp_sender): netif_receive_skb hits (generic XDP runs inside the stack)" "${hits:-0}" -eq "$N"
    grep -q '__xsk_generic_xmit' /tmp/hist_xdp_$mode.txt && pass "hist stack runs through __xsk_generic_xmit -> __dev_direct_xmit" ||
      fail "hist stack lacks __xsk_generic_xmit"
  fi
  dmesg_take /tmp/dmesg_xdp_$mode.txt
  grep -E "\[(XSK_[A-Z]+|XDP_[A-Z]+)\].*len=$FRAME$" /tmp/dmesg_xdp_$mode.txt > /tmp/xdplines.txt
  head -n 12 /tmp/xdplines.txt | section xdp-dmesg-sample-$mode
  # The address chain of one frame: UMEM -> skb (XSK_TX), [native: skb -> page (XDP_COW)], -> UMEM (XSK_RX).
  tx_skb=$(grep -m1 '\[XSK_TX\]' /tmp/xdplines.txt | sed 's/.*skb_data=\([0-9a-f]*\).*/\1/')
  rx_src=$(grep -m1 '\[XSK_RX\]' /tmp/xdplines.txt | sed 's/.*xdp_data=\([0-9a-f]*\).*/\1/')
  if [ $mode = native ]; then
    cow_src=$(grep -m1 '\[XDP_COW\]' /tmp/xdplines.txt | sed 's/.*skb_data=\([0-9a-f]*\).*/\1/')
    cow_dst=$(grep -m1 '\[XDP_COW\]' /tmp/xdplines.txt | sed 's/.*dest=\([0-9a-f]*\).*/\1/')
    [ -n "$tx_skb" ] && [ "$tx_skb" = "$cow_src" ] && [ "$cow_dst" = "$rx_src" ] &&
      pass "address chain: UMEM -> skb $tx_skb (XSK_TX) -> page $cow_dst (XDP_COW) -> UMEM (XSK_RX reads $rx_src)" ||
      info "address chain not matched on the first lines: XSK_TX skb=$tx_skb XDP_COW $cow_src->$cow_dst XSK_RX $rx_src"
  else
    info "address chain: UMEM -> skb $tx_skb (XSK_TX); generic XDP hands __xsk_rcv the skb's own data ($rx_src) after pskb_expand_head"
  fi
  mod_unload
done
TAG=
