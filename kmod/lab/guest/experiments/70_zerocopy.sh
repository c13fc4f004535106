# shellcheck shell=sh
# AF_XDP on a driver that has zero-copy: the guest's two virtio-net NICs (qemu joins them with one
# hub, so a frame one sends arrives at the other), one per namespace, native XDP on queue 0.
# The same N frames run once bound XDP_COPY and once XDP_ZEROCOPY. The kernel's AF_XDP copy sites
# are counted by copyprobe: in copy mode skb_store_bits (UMEM -> skb on transmit) and __xsk_rcv
# (xdp_buff -> UMEM on receive) once per frame; bound zero-copy the driver transmits from the UMEM
# frame and receives into it (virtio_net's xsk functions, __xsk_rcv_zc hands the frame over), so
# both count exactly 0. COPY #2/#3 are the hypervisor's: the virtio device's "DMA" is qemu copying
# guest memory, outside the guest kernel, and is not counted as gone.
# Guests without virtio-net NICs (the 6.1 lab) print one INFO line and run nothing.
. /lab/tools.sh
VIRTIO_TX_MAC=52:54:00:00:00:01 VIRTIO_RX_MAC=52:54:00:00:00:02

# vnet_dev MAC: the virtio-net interface with that address (empty when none).
vnet_dev() {
  for d in /sys/class/net/*; do
    [ "$(cat "$d/address" 2>/dev/null)" = "$1" ] || continue
    case $(readlink "$d/device/driver" 2>/dev/null) in *virtio_net) basename "$d"; return 0 ;; esac
  done
}
dev_tx=$(vnet_dev $VIRTIO_TX_MAC) dev_rx=$(vnet_dev $VIRTIO_RX_MAC)
if [ -z "$dev_tx" ] || [ -z "$dev_rx" ]; then
  info "no virtio-net NIC pair in this guest (the --kernel 6.12 lab boots with two): nothing to run"
  exit 0
fi
xdp_tools_select || exit 0
NS_TX=zc1 NS_RX=zc2 DEV_TX=vtx DEV_RX=vrx MAC_TX=$VIRTIO_TX_MAC MAC_RX=$VIRTIO_RX_MAC IP_TX=10.0.1.1 IP_RX=10.0.1.2
N=$LAB_COUNT SIZE=$LAB_SIZE FRAME=$((LAB_SIZE + 42))

# The pair: renamed, one per namespace, IPv6 off, static neighbours (the default recipe of lib.sh).
vnet_up() {
  must ip netns add $NS_TX && must ip netns add $NS_RX || return 1
  must ip link set "$dev_tx" name $DEV_TX && must ip link set "$dev_rx" name $DEV_RX || return 1
  must ip link set $DEV_TX netns $NS_TX && must ip link set $DEV_RX netns $NS_RX || return 1
  for ns in $NS_TX $NS_RX; do
    must ip netns exec $ns sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 &&
                                  echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6' || return 1
    must ip -n $ns link set lo up || return 1
  done
  must ip -n $NS_TX addr add $IP_TX/24 dev $DEV_TX && must ip -n $NS_RX addr add $IP_RX/24 dev $DEV_RX || return 1
  must ip -n $NS_TX link set $DEV_TX up && must ip -n $NS_RX link set $DEV_RX up || return 1
  must ip -n $NS_TX neigh replace $IP_RX lladdr $MAC_RX dev $DEV_TX nud permanent &&
    must ip -n $NS_RX neigh replace $IP_TX lladdr $MAC_TX dev $DEV_RX nud permanent
}
vnet_up || { fail "virtio-net namespace setup failed"; exit 0; }
{
  for ns_dev in "$NS_TX $DEV_TX" "$NS_RX $DEV_RX"; do
    set -- $ns_dev
    echo "== $2 in $1"
    ip netns exec "$1" ethtool -i "$2" 2>&1 | grep -E '^(driver|bus-info)'
    ip netns exec "$1" ethtool -l "$2" 2>&1 | tail -n 5
    ip netns exec "$1" ethtool -k "$2" 2>&1 | grep -E 'generic-receive-offload|rx-gro-hw|rx-checksumming|large-receive'
  done
  cat /sys/bus/virtio/devices/*/features 2>/dev/null | sed 's/^/virtio features (bit 0 first): /'
} > /tmp/zc_nics.txt 2>&1
section virtio-nics < /tmp/zc_nics.txt
# The driver's own answer to native XDP (iproute2 prints the kernel's extack message), with a
# pass-all program from libxdp's objects; detached again at once.
obj=/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o
if [ -f $obj ]; then
  if ip -n $NS_RX link set dev $DEV_RX xdpdrv obj $obj sec xdp > /tmp/zc_xdpdrv.txt 2>&1; then
    info "native XDP on $DEV_RX (virtio_net): attached ($(ip -n $NS_RX -d link show $DEV_RX | grep -o 'xdp[a-z]* ' | head -n1))"
    ip -n $NS_RX link set dev $DEV_RX xdpdrv off
  else
    info "native XDP on $DEV_RX (virtio_net) refused: $(tr '\n' ' ' < /tmp/zc_xdpdrv.txt | head -c 400)"
  fi
fi

# The zero-copy receive hand-over, counted by a tracefs kprobe (kprobe_profile: hits per event).
zc_probe=
if grep -q ' __xsk_rcv_zc$' /proc/kallsyms && echo 'p:klab/xsk_rcv_zc __xsk_rcv_zc' >> $TRACING/kprobe_events 2>/dev/null; then
  zc_probe=klab/xsk_rcv_zc
else
  info "__xsk_rcv_zc cannot be probed here (inlined or notrace): the zero-copy hand-over is not counted"
fi
zc_hits() { awk '$1 == "xsk_rcv_zc" { print $2 }' $TRACING/kprobe_profile; }

# Why a zero-copy bind succeeds or fails, from the kernel itself: return probes on the bind path
# (net/xdp/xsk_buff_pool.c xp_assign_dev -> ndo_bpf = virtnet_xdp(XDP_SETUP_XSK_POOL) ->
# virtnet_xsk_pool_enable, inlined into virtnet_xdp: virtqueue_dma_dev() must name a DMA device,
# then the rx/tx queues are reset with the pool: virtnet_rq_bind_xsk_pool/virtnet_sq_bind_xsk_pool).
# A return value is printed as a signed int (e.g. -1 = -EPERM, -95 = -EOPNOTSUPP); virtqueue_dma_dev
# returns a pointer (0: the device does not use the DMA API, no VIRTIO_F_ACCESS_PLATFORM).
BIND_PROBES="xp_assign_dev virtnet_xdp virtqueue_dma_dev virtnet_rq_bind_xsk_pool virtnet_sq_bind_xsk_pool xp_dma_map"
bind_trace_arm() {
  echo > $TRACING/trace
  for f in $BIND_PROBES; do
    grep -qx "$f" /tmp/zc_kallsyms.txt || continue
    echo "r:klabz/r_$f $f ret=\$retval:s32" >> $TRACING/kprobe_events 2>/dev/null &&
      echo 1 > $TRACING/events/klabz/r_$f/enable
  done
}
bind_trace_take() {
  [ -d $TRACING/events/klabz ] || return 0
  echo 0 > $TRACING/events/klabz/enable
  grep -o 'r_[a-z_]*: (.*' $TRACING/trace | head -n 40 > "$1"
  for f in $BIND_PROBES; do echo "-:klabz/r_$f" >> $TRACING/kprobe_events 2>/dev/null; done
}
awk '$3 ~ /^(xp_assign_dev|virtnet_xdp|virtqueue_dma_dev|virtnet_rq_bind_xsk_pool|virtnet_sq_bind_xsk_pool|xp_dma_map)$/ { print $3 }' /proc/kallsyms > /tmp/zc_kallsyms.txt
{
  echo "virtio_net napi_tx=$(cat /sys/module/virtio_net/parameters/napi_tx 2>/dev/null)"
  for d in /sys/bus/virtio/devices/*; do
    f=$(cat $d/features 2>/dev/null) || continue
    # virtio feature bits: 15 MRG_RXBUF, 22 MQ, 33 ACCESS_PLATFORM (the device uses the DMA API)
    echo "$(basename $d) net=$(ls $d/net 2>/dev/null) MRG_RXBUF=$(echo $f | cut -c16) MQ=$(echo $f | cut -c23) ACCESS_PLATFORM=$(echo $f | cut -c34)"
  done
} > /tmp/zc_features.txt
section virtio-features < /tmp/zc_features.txt

# What the driver advertises (copylab doctor's NIC survey: netdev netlink xdp-features) and what
# copylab's own device probe finds on the receiving NIC. net/xdp/xsk_buff_pool.c xp_assign_dev
# refuses XDP_ZEROCOPY with -EOPNOTSUPP, before calling the driver, unless the device advertises
# basic + redirect + xsk-zerocopy; so the zero-copy run below is either a run (advertised) or a
# refusal asserted at that check (not advertised).
zc_advertised=unknown
if COPYLAB=$(tool_path copylab) && command -v jq >/dev/null; then
  $COPYLAB doctor --dev $DEV_RX --netns $NS_RX --json /tmp/zc_doctor.json > /tmp/zc_doctor.txt 2>&1
  section zc-doctor < /tmp/zc_doctor.txt
  feats=$(jq -r --arg d $DEV_RX '[.nics.devices[]? | select(.name == $d) | .xdp_features | join(",")] | first // "none"' /tmp/zc_doctor.json 2>/dev/null)
  zc_advertised=$(jq -r --arg d $DEV_RX '[.nics.devices[]? | select(.name == $d) | .xsk_zero_copy | tostring] | first // "unknown"' /tmp/zc_doctor.json 2>/dev/null)
  info "copylab doctor: $DEV_RX (virtio_net, $(uname -r)) advertises xdp-features [$feats]; xsk-zerocopy: ${zc_advertised:-unknown}"
  check "copylab doctor's NIC survey lists $DEV_RX with its xdp-features" "${zc_advertised:-unknown}" != unknown
fi
# Scatter-gather on the sender decides whether an AF_XDP copy-mode frame is linearized on transmit:
# virtio_net offers NETIF_F_SG only with VIRTIO_NET_F_CSUM (virtnet_probe), and qemu offers CSUM
# only when the netdev behind the NIC carries a virtio-net header (a tap does; a hub port does not).
sg=$(ip netns exec $NS_TX ethtool -k $DEV_TX 2>/dev/null | awk -F': ' '$1 == "scatter-gather" { print $2 }' | cut -d' ' -f1)
info "$DEV_TX scatter-gather: ${sg:-unknown} (virtio CSUM feature bit 0: $(cut -c1 /sys/class/net/$DEV_TX/device/features 2>/dev/null || ip netns exec $NS_TX cat /sys/class/net/$DEV_TX/device/features 2>/dev/null | cut -c1))"
# The stacks of skb_copy_bits of whole frames during the copy-mode run (x86-64: len is the 4th
# argument, %cx), to name the caller of the transmit copy.
lin_probe=
if echo "p:klabl/scb skb_copy_bits len=%cx:s32" >> $TRACING/kprobe_events 2>/dev/null; then
  lin_probe=klabl/scb
fi

# The socket column on the same NICs and traffic. Without checksum offload (no VIRTIO_NET_F_CSUM
# behind a hub port) UDP copies the payload while checksumming it: ip_generic_getfrag ->
# csum_and_copy_from_iter_full (net/ipv4/ip_output.c), whose user copy on x86 is
# csum_partial_copy_generic (arch/x86/lib/csum-copy_64.S), not _copy_from_iter. That copy is
# counted by a tracefs kprobe with the length in its third argument (%dx), payload-sized only.
# The receive side copies with _copy_to_iter when the checksum was verified before the copy, or
# through the same checksumming copy otherwise: the check adds both functions over both sides.
if sock_tools_select >/dev/null && [ "$SOCK_STANDIN" = 0 ]; then
  TAG="[virtio-net socket]"
  csum_probe=
  if echo "p:klabs/csum_copy csum_partial_copy_generic len=%dx:u32" >> $TRACING/kprobe_events 2>/tmp/zc_csum.err &&
    echo "hist:keys=len:vals=hitcount if len == $SIZE" > $TRACING/events/klabs/csum_copy/trigger 2>>/tmp/zc_csum.err; then
    csum_probe=klabs/csum_copy
  else
    info "csum_partial_copy_generic cannot be probed here: $(head -c 200 /tmp/zc_csum.err)"
  fi
  if mod_load comm="$SOCK_COMMS" burst=0; then
    mod_reset
    if sock_rx_start "$N" /tmp/zc_sock_rx.out; then
      sock_tx "$N" /tmp/zc_sock_tx.out; tx_rc=$?
      wait_pid "$SOCK_RX_PID" 60; rx_rc=$?
      check "sock_sender exit status" $tx_rc -eq 0
      check "sock_receiver exit status" $rx_rc -eq 0
      [ $tx_rc -eq 0 ] || section zc-sock-sender-output < /tmp/zc_sock_tx.out
      [ $rx_rc -eq 0 ] || section zc-sock-receiver-output < /tmp/zc_sock_rx.out
      received=$(sock_rx_received /tmp/zc_sock_rx.out)
      check "datagrams received by sock_receiver" "${received:-0}" -eq "$N"
      cat /proc/copyprobe > /tmp/zc_counters_socket.txt
      section zc-counters-socket < /tmp/zc_counters_socket.txt
      c_copy=0
      if [ -n "$csum_probe" ]; then
        cat $TRACING/events/klabs/csum_copy/hist > /tmp/zc_csum_hist.txt
        c_copy=$(hist_hits /tmp/zc_csum_hist.txt)
      fi
      p_from=$(cp_len COPY1 "$SIZE") p_to=$(cp_len COPY4 "$SIZE")
      k_from=$(cp_len COPY1_CSUM "$SIZE") k_to=$(cp_len COPY4_CSUM "$SIZE")
      info "payload copies of $SIZE B: _copy_from_iter $p_from, $(cp_field COPY1_CSUM symbol) $k_from, _copy_to_iter $p_to, $(cp_field COPY4_CSUM symbol) $k_to; csum_partial_copy_generic ${c_copy:-0} (checksumming copy routine, any task)"
      # Exactly one copy function copies each datagram, at each end: the module's sites for both.
      for s in COPY1_CSUM COPY4_CSUM; do
        cp_attached $s && pass "copyprobe $s attached at $(cp_field $s symbol)" ||
          fail "copyprobe $s not attached: $(cp_field $s state)"
      done
      check "COPY #1 (_copy_from_iter + $(cp_field COPY1_CSUM symbol), $SIZE B, copylab's sender) == datagrams sent" \
        "$((p_from + k_from))" -eq "$N"
      check "COPY #4 (_copy_to_iter + $(cp_field COPY4_CSUM symbol), $SIZE B, copylab's receiver) == datagrams received" \
        "$((p_to + k_to))" -eq "${received:-0}"
      check "COPY #1 done by the checksumming copy (no TX checksum offload behind a hub port): every datagram" "$k_from" -eq "$N"
      if [ -n "$csum_probe" ]; then
        # Independent of the module: the copy routine underneath both checksumming copies.
        check "csum_partial_copy_generic calls of $SIZE B (tracefs kprobe) == the module's checksumming copies" \
          "${c_copy:-0}" -eq "$((k_from + k_to))"
      fi
      check "COPY2 (__dev_queue_xmit) frames of $FRAME bytes == datagrams sent" "$(cp_len COPY2 "$FRAME")" -eq "$N"
      check "XSK_RX (__xsk_rcv) calls on the socket path" "$(cp_field XSK_RX calls)" -eq 0
    fi
    mod_unload
  fi
  if [ -n "$csum_probe" ]; then
    echo "!hist:keys=len:vals=hitcount if len == $SIZE" > $TRACING/events/klabs/csum_copy/trigger
    echo "-:$csum_probe" >> $TRACING/kprobe_events
  fi
  TAG=
fi

for bind in copy zero-copy; do
  TAG="[virtio-net $bind]"
  XDP_BIND=$bind
  if [ $bind = zero-copy ] && [ "$zc_advertised" != true ]; then XDP_RX_REFUSAL_OK=1; else XDP_RX_REFUSAL_OK=0; fi
  # burst=0: no printk from the probe handlers (a console write inside a handler lets a
  # receive interrupt's __xsk_rcv land in it, which kprobes count as nmissed, not as a hit).
  mod_load comm="$XDP_COMMS" burst=0 || continue
  dmesg_take /tmp/dmesg_before.txt
  mod_reset
  zc0=$(zc_hits)
  out=/tmp/zc_rx_$bind.out
  bind_trace_arm
  xdp_rx_start native "$N" $out; started=$?
  bind_trace_take /tmp/zc_bind_trace_$bind.txt
  section zc-bind-trace-$bind < /tmp/zc_bind_trace_$bind.txt
  if [ $started -eq 2 ]; then
    # The refusal, proven at the kernel's check: the receiver's bind failed with EOPNOTSUPP,
    # xp_assign_dev returned -95 and the driver's ndo_bpf (virtnet_xdp, XDP_SETUP_XSK_POOL) was
    # never called: the xdp-features check refused it, not a virtio_net queue/DMA check.
    section zc-receiver-output-$bind < $out
    grep -q 'EOPNOTSUPP' $out && pass "bind(XDP_ZEROCOPY) on $DEV_RX refused: $(grep -m1 -o 'zero-copy not supported.*EOPNOTSUPP)' $out)" ||
      fail "bind(XDP_ZEROCOPY) failed without EOPNOTSUPP: $(tail -n 1 $out)"
    check "xp_assign_dev return value (net/xdp/xsk_buff_pool.c; -95 = -EOPNOTSUPP)" \
      "$(sed -n 's/^r_xp_assign_dev: .* ret=\(-\{0,1\}[0-9]*\)$/\1/p' /tmp/zc_bind_trace_$bind.txt | tail -n 1)" -eq -95
    check "virtnet_xdp (the driver's ndo_bpf) calls during the zero-copy bind: refused before the driver" \
      "$(grep -c '^r_virtnet_xdp:' /tmp/zc_bind_trace_$bind.txt)" -eq 0
    info "BLOCKED: AF_XDP zero-copy cannot bind on virtio_net in $(uname -r): the driver does not advertise NETDEV_XDP_ACT_XSK_ZEROCOPY (xdp-features [$feats]; upstream adds it in 'virtio_net: xdp_features add NETDEV_XDP_ACT_XSK_ZEROCOPY', after 6.12), and xp_assign_dev requires it; no qemu device property changes xdp-features"
    mod_unload
    continue
  elif [ $started -ne 0 ]; then
    section zc-receiver-output-$bind < $out
    dmesg_take /tmp/dmesg_zc_$bind.txt
    section zc-dmesg-$bind < /tmp/dmesg_zc_$bind.txt
    kill "$XDP_RX_PID" 2>/dev/null; wait "$XDP_RX_PID" 2>/dev/null
    mod_unload
    continue
  fi
  ip netns exec $NS_TX ethtool -S $DEV_TX > /tmp/zc_ethtool0_$bind.txt 2>&1
  xdp_tx native "$N" /tmp/zc_tx_$bind.out; tx_rc=$?
  wait_pid "$XDP_RX_PID" 60; rx_rc=$?
  ip netns exec $NS_TX ethtool -S $DEV_TX > /tmp/zc_ethtool1_$bind.txt 2>&1
  paste /tmp/zc_ethtool0_$bind.txt /tmp/zc_ethtool1_$bind.txt | section zc-ethtool-tx-$bind
  check "xdp_sender exit status" $tx_rc -eq 0
  check "xdp_receiver exit status" $rx_rc -eq 0
  [ $tx_rc -eq 0 ] || section zc-sender-output-$bind < /tmp/zc_tx_$bind.out
  [ $rx_rc -eq 0 ] || section zc-receiver-output-$bind < $out
  received=$(json_received $out.json)
  check "frames received by xdp_receiver" "${received:-0}" -eq "$N"
  check "frames corrupt or duplicated (payload header and fill checked per frame)" \
    "$(jq -r '.result.validator | .corrupt + .duplicates' $out.json 2>/dev/null)" -eq 0
  info "frames out of order (older than the highest seen): $(jq -r '.result.validator.reordered' $out.json 2>/dev/null)"
  for side in tx rx; do
    got=$(jq -r '.mode.bind // empty' /tmp/zc_${side}_$bind.out.json 2>/dev/null)
    check "xdp_$( [ $side = tx ] && echo sender || echo receiver ) bind mode read back (XDP_OPTIONS)" "${got:-none}" = "$bind"
  done
  cat /proc/copyprobe > /tmp/zc_counters_$bind.txt
  section zc-counters-$bind < /tmp/zc_counters_$bind.txt
  check "COPY1 (_copy_from_iter + $(cp_field COPY1_CSUM symbol)) calls of $SIZE bytes (payload user->kernel)" \
    "$(( $(cp_len COPY1 "$SIZE") + $(cp_len COPY1_CSUM "$SIZE") ))" -eq 0
  check "COPY4 (_copy_to_iter + $(cp_field COPY4_CSUM symbol)) calls of $SIZE bytes (payload kernel->user)" \
    "$(( $(cp_len COPY4 "$SIZE") + $(cp_len COPY4_CSUM "$SIZE") ))" -eq 0
  # A virtio-net frame arrives by interrupt: when it lands while a transmit-path probe's handler
  # runs (ftrace-based kprobes run handlers with interrupts on), its softirq's __xsk_rcv hit is
  # counted by kprobes as nmissed (kernel/kprobes.c: one per hit whose handler could not run).
  # The transmit sites must have none; for XSK_RX, calls = handled + missed.
  for s in XSK_TX XSK_XMIT XDP_COW; do
    check "$s kprobe misses (nmissed: a count with misses is not exact)" "$(cp_field $s nmissed)" -eq 0
  done
  rx_missed=$(cp_field XSK_RX nmissed)
  info "XSK_RX: $(cp_field XSK_RX hits) handled, ${rx_missed:-?} missed by kprobe reentrancy (receive interrupt inside a transmit-path handler)"
  if [ $bind = copy ]; then
    # virtio_net sets IFF_TX_SKB_NO_LINEAR, so net/xdp/xsk.c xsk_build_skb takes
    # xsk_build_skb_zerocopy: the skb's fragments are the UMEM pages, no skb_store_bits.
    check "XSK_TX (skb_store_bits) calls, any length: the copy-mode skb points at UMEM (IFF_TX_SKB_NO_LINEAR)" "$(cp_field XSK_TX hits)" -eq 0
    check "XSK_XMIT (__dev_direct_xmit) skbs of $FRAME bytes: one per frame in copy mode" "$(cp_len XSK_XMIT "$FRAME")" -eq "$N"
    check "XSK_RX (__xsk_rcv, xdp_buff -> UMEM) calls, handled + missed (one per received frame)" "$(( $(cp_field XSK_RX calls) + ${rx_missed:-0} ))" -eq "${received:-0}"
    check "XSK_RX handled calls that copied $FRAME bytes == handled calls (every frame copied whole)" "$(cp_len XSK_RX "$FRAME")" -eq "$(cp_field XSK_RX calls)"
    # Without NETIF_F_SG the core linearizes that fragment-only skb before the driver
    # (net/core/dev.c validate_xmit_skb -> __skb_linearize -> __pskb_pull_tail -> skb_copy_bits).
    lin=$(cp_len XDP_COW "$FRAME")
    if [ "$sg" = off ]; then
      check "skb_copy_bits copies of $FRAME bytes (UMEM page -> linear skb: no scatter-gather on $DEV_TX)" "$lin" -eq "$N"
    else
      check "skb_copy_bits copies of $FRAME bytes (scatter-gather on: the UMEM page is sent as is)" "$lin" -eq 0
    fi
  else
    # Every call, any length: in zero-copy no frame passes either copy function.
    check "XSK_TX (skb_store_bits) calls by the AF_XDP tools, any length: gone in zero-copy" "$(cp_field XSK_TX hits)" -eq 0
    check "XSK_XMIT (__dev_direct_xmit) calls by the AF_XDP tools: no skb in zero-copy" "$(cp_field XSK_XMIT hits)" -eq 0
    check "XSK_RX (__xsk_rcv) calls, any task, any length: gone in zero-copy" "$(cp_field XSK_RX calls)" -eq 0
    check "skb_copy_bits copies of $FRAME bytes: gone in zero-copy" "$(cp_len XDP_COW "$FRAME")" -eq 0
  fi
  if [ -n "$zc_probe" ]; then
    zc=$(( $(zc_hits) - zc0 ))
    if [ $bind = copy ]; then
      check "__xsk_rcv_zc hits (zero-copy hand-over) in copy mode" "$zc" -eq 0
    else
      check "__xsk_rcv_zc hits (the frame handed over in place, no copy)" "$zc" -eq "${received:-0}"
    fi
  fi
  dmesg_take /tmp/dmesg_zc_$bind.txt
  grep -vE '\[(COPY[124](_CSUM)?|XSK_[A-Z]+|XDP_[A-Z]+)\]' /tmp/dmesg_zc_$bind.txt | tail -n 20 | section zc-dmesg-$bind
  mod_unload
done
XDP_RX_REFUSAL_OK=0
# Where frames get out of order, if they do: unpaced, with one side or both zero-copy; the
# sender's batch (descriptors per TX ring submit and kick) varied. Printed, not asserted: how many
# frames came late, by how much at most (max_reorder_distance), the first one, and the receiving
# NIC's counters meanwhile. Measured (7.3 guest): on an idle host only adjacent swaps, the first
# frame of a sender batch right after the second, in runs where the receiving NIC refilled its RX
# virtqueue more often (extra rx_kicks); under heavy host load (TCG starved) hundreds per 4000,
# up to 65 frames late. Only with a zero-copy sender. The cause is qemu's hub between the NICs: with
# no free RX buffer it keeps a frame in the NIC's own queue and the next ones in the hub port's, and
# on the NIC's RX kick flushes the hub port first (net/net.c, qemu_flush_or_purge_queued_packets).
# Booted with COPYLAB_LAB_NIC_LINK=socket (no hub: a TCP stream joins the NICs) every run here
# keeps its order.
if [ "$zc_advertised" = true ]; then
  TAG="[virtio-net order]"
  for binds in "--zero-copy --copy 64" "--copy --zero-copy 64" "--zero-copy --zero-copy 64" "--zero-copy --zero-copy 64" \
               "--zero-copy --zero-copy 16" "--zero-copy --zero-copy 16"; do
    set -- $binds
    XDP_TX_BIND=$1 XDP_RX_BIND=$2 XDP_TX_EXTRA="--batch $3"
    ip netns exec $NS_RX ethtool -S $DEV_RX > /tmp/zc_order_eth0.txt 2>&1
    if xdp_rx_start native 4000 /tmp/zc_order_rx.out; then
      xdp_tx native 4000 /tmp/zc_order_tx.out
      wait_pid "$XDP_RX_PID" 60
      ip netns exec $NS_RX ethtool -S $DEV_RX > /tmp/zc_order_eth1.txt 2>&1
      info "sender $1 (batch $3), receiver $2: $(jq -c '.result.validator | {unique, reordered, max_reorder_distance, first_reordered_seq, first_reordered_after, corrupt, duplicates}' /tmp/zc_order_rx.out.json 2>/dev/null) rx xdp_statistics $(jq -c '.result.xdp_statistics // .xdp_statistics // {}' /tmp/zc_order_rx.out.json 2>/dev/null | cut -c1-200)"
      info "  $DEV_RX ethtool -S deltas: $(paste /tmp/zc_order_eth0.txt /tmp/zc_order_eth1.txt | awk -F'[:\t]' 'NF >= 4 && $4 - $2 != 0 { gsub(/ /, "", $1); printf "%s +%d, ", $1, $4 - $2 }' | cut -c1-400)"
    fi
  done
  XDP_TX_BIND= XDP_RX_BIND= XDP_TX_EXTRA=
  TAG=
fi
# The three paths' kernel stacks side by side: copylab hist (BPF stack histograms at
# net:netif_receive_skb, net:net_dev_start_xmit and xdp:xdp_redirect, every event in the sender's
# window) around a short run of each path of its own. The guest runs nothing else (IPv6 off,
# static neighbours), so the window holds this traffic only. The command's own shell gets lib.sh's
# `ip` (iproute2 by full path: busybox sh prefers its own applet).
if [ -n "$COPYLAB" ]; then
  HN=200
  for path in socket copy zero-copy; do
    [ $path = zero-copy ] && [ "$zc_advertised" != true ] && continue
    TAG="[virtio-net stacks $path]"
    export NS_TX NS_RX DEV_TX DEV_RX MAC_TX MAC_RX IP_TX IP_RX PORT SIZE SOCK_TX_EXE SOCK_RX_EXE XDP_TX_EXE XDP_RX_EXE SOCK_STANDIN
    if [ $path = socket ]; then
      [ "$SOCK_STANDIN" = 0 ] || continue
      sock_rx_start $HN /tmp/zc_hist_rx.out || continue
      tx_cmd="sock_tx $HN /tmp/zc_hist_tx.out"
      rx_pid=$SOCK_RX_PID
    else
      XDP_BIND=$path
      xdp_rx_start native $HN /tmp/zc_hist_rx.out || continue
      tx_cmd="XDP_BIND=$path xdp_tx native $HN /tmp/zc_hist_tx.out"
      rx_pid=$XDP_RX_PID
    fi
    $COPYLAB hist --event all --scope window --hist-trigger off --json /tmp/zc_hist_$path.json \
      -- sh -c 'ip() { /usr/sbin/ip "$@"; }; . /lab/tools.sh; '"$tx_cmd" > /tmp/zc_hist_$path.txt 2>&1
    rc=$?
    [ $rc -eq 0 ] || kill "$rx_pid" 2>/dev/null
    wait_pid "$rx_pid" 60
    XDP_BIND=
    cat /tmp/zc_hist_tx.out >> /tmp/zc_hist_$path.txt 2>/dev/null
    section zc-stacks-$path < /tmp/zc_hist_$path.txt
    check "copylab hist around the $path sender: exit status" $rc -eq 0
    hits() { jq -r --arg e "$1" '[.[0].cross_check.histograms[] | select(.event == $e) | .hits] | first // "none"' /tmp/zc_hist_$path.json 2>/dev/null; }
    drv() { jq -r --arg e "$1" '[.[0].cross_check.histograms[] | select(.event == $e) | .entries[].frames[] |
              select(test("^(virtnet|xsk_|__xsk|receive_|xp_)")) | sub("\\+.*"; "")] | unique | join(" ")' /tmp/zc_hist_$path.json 2>/dev/null; }
    rx=$(hits net:netif_receive_skb) tx=$(hits net:net_dev_start_xmit) rd=$(hits xdp:xdp_redirect)
    info "$path: netif_receive_skb $rx, net_dev_start_xmit $tx, xdp_redirect $rd; driver/xsk frames at xdp_redirect: [$(drv xdp:xdp_redirect)]; at net_dev_start_xmit: [$(drv net:net_dev_start_xmit)]"
    if [ $path = socket ]; then
      check "socket: netif_receive_skb hits (every datagram through the stack)" "$rx" -ge $HN
      check "socket: net_dev_start_xmit hits (an skb per datagram)" "$tx" -ge $HN
    else
      check "AF_XDP $path: netif_receive_skb hits (redirected before the stack)" "$rx" -eq 0
      check "AF_XDP $path: xdp_redirect hits (one per frame into the XSK)" "$rd" -ge $HN
      # AF_XDP never passes xmit_one's tracepoint: copy mode hands its skb to __dev_direct_xmit
      # (net/core/dev.c), zero-copy builds none.
      check "AF_XDP $path: net_dev_start_xmit hits (no trip through the qdisc/xmit_one)" "$tx" -eq 0
      # The receive side in the driver: copy mode's frames come through virtio_net's buffer path
      # (virtnet_receive -> receive_buf -> virtnet_xdp_handler); bound zero-copy through its xsk
      # path (virtnet_receive_xsk_buf, inlined here), which never calls receive_buf.
      rb=$(jq -r '[.[0].cross_check.histograms[] | select(.event == "xdp:xdp_redirect") | .entries[] |
                   select(any(.frames[]; startswith("receive_buf+"))) | .hitcount] | add // 0' /tmp/zc_hist_$path.json 2>/dev/null)
      if [ $path = copy ]; then
        check "AF_XDP copy mode: xdp_redirect hits under receive_buf (virtio_net's buffer path)" "$rb" -eq "$rd"
      else
        check "AF_XDP zero-copy: xdp_redirect hits under receive_buf (the xsk path skips it)" "$rb" -eq 0
      fi
    fi
  done
  TAG=
fi
# The linearize copy's stack, in a short copy-mode run of its own: a stack-collecting kprobe on
# skb_copy_bits during the counted run would widen the window in which a receive interrupt's
# __xsk_rcv lands inside a probe handler (kprobes count that as nmissed, not as a hit).
if [ -n "$lin_probe" ] && [ "$sg" = off ]; then
  TAG="[virtio-net copy, stacks]"
  XDP_BIND=copy
  key=common_stacktrace
  echo "hist:keys=$key:vals=hitcount if len == $FRAME" > $TRACING/events/klabl/scb/trigger 2>/dev/null ||
    { key=stacktrace; echo "hist:keys=$key:vals=hitcount if len == $FRAME" > $TRACING/events/klabl/scb/trigger; }
  if xdp_rx_start native 50 /tmp/zc_lin_rx.out; then
    xdp_tx native 50 /tmp/zc_lin_tx.out
    wait_pid "$XDP_RX_PID" 60
  fi
  cat $TRACING/events/klabl/scb/hist > /tmp/zc_lin_hist.txt
  echo "!hist:keys=$key:vals=hitcount if len == $FRAME" > $TRACING/events/klabl/scb/trigger
  section hist-zc-linearize-copy < /tmp/zc_lin_hist.txt
  check "skb_copy_bits of $FRAME bytes in the 50-frame stack run" "$(hist_hits /tmp/zc_lin_hist.txt)" -eq 50
  grep -q '__pskb_pull_tail' /tmp/zc_lin_hist.txt && grep -q 'validate_xmit_skb' /tmp/zc_lin_hist.txt &&
    pass "skb_copy_bits stack: __dev_direct_xmit -> validate_xmit_skb -> __pskb_pull_tail (the linearize copy)" ||
    fail "skb_copy_bits stack lacks validate_xmit_skb/__pskb_pull_tail (see hist-zc-linearize-copy)"
  TAG=
fi
XDP_BIND=
[ -n "$lin_probe" ] && echo "-:$lin_probe" >> $TRACING/kprobe_events

# The columns on these NICs through the product: copylab compare (socket vs AF_XDP, the module
# counting every copy site, a paced run for the counts and an unpaced one for throughput) and
# copylab latency (ping-pong RTT). TCG makes absolute numbers meaningless: the report's ratios
# are what counts. With zero-copy not advertised, compare's zero-copy column must be refused
# before any traffic, naming the device, its driver and the errno.
if [ -n "$COPYLAB" ]; then
  TAG="[virtio-net compare]"
  NC=$((N < 500 ? N : 500))
  CMP="compare --netns $NS_TX,$NS_RX --dev $DEV_TX,$DEV_RX --size $SIZE --cpu-tx 0 --cpu-rx 0"
  xb=copy
  [ "$zc_advertised" = true ] && xb=both
  $COPYLAB $CMP --backend kmod --kmod-module /lab/copyprobe.ko --xsk-bind $xb --count $NC --rate 2000 \
    --unpaced-count $((NC * 4)) --no-calibration --json /tmp/zc_cmp.json > /tmp/zc_cmp.txt 2>&1
  rc=$?
  section zc-compare-$xb < /tmp/zc_cmp.txt
  # Every check against the kernel's own counters agrees on this driver too: compare shows, rather
  # than checks, the counts whose expected value is veth's (COPY #1 at _copy_from_iter: here the
  # socket path copies in csum_and_copy_from_iter, no checksum offload behind a hub port), reads a
  # zero-copy send from the counter virtio_net keeps it in (tx_xdp_tx), and loads the module
  # without printing (a receive interrupt inside a printing handler is a kprobe miss).
  # One thing differs at times, and only bound zero-copy unpaced: frames out of order (see the
  # order section above; none corrupt or duplicated). compare reports that as a failed check
  # (exit 4); the lab accepts exit 4 only when every failed check is that one, reordering only.
  other_failed=$(jq -r '[.runs[] | .checks[] | select(.ok == false) |
      select(.name != "no corrupt, duplicate or reordered frames")] | length' /tmp/zc_cmp.json 2>/dev/null)
  not_order=$(jq -r '[.runs[] | .receiver.result.validator // empty | .corrupt + .duplicates] | add // 0' /tmp/zc_cmp.json 2>/dev/null)
  if [ $rc -eq 4 ] && [ "${other_failed:-1}" = 0 ] && [ "${not_order:-1}" = 0 ]; then
    pass "copylab compare --xsk-bind $xb on $DEV_TX,$DEV_RX (virtio_net): every check agrees but frame order (exit 4)"
  else
    check "copylab compare --xsk-bind $xb on $DEV_TX,$DEV_RX (virtio_net) exit status (every check agrees)" $rc -eq 0
  fi
  if [ -s /tmp/zc_cmp.json ] && [ $xb = both ]; then
    # The verdicts compare prints for the kernel's AF_XDP copies: gone in zero-copy, each from
    # the module's count of 0 at the copy function.
    for id in xsk_tx_copy xsk_rx_copy; do
      v=$(jq -r --arg id $id '[.copies.rows[]? | select(.id == $id) | .verdict_zc] | first // "none"' /tmp/zc_cmp.json 2>/dev/null)
      check "compare's zero-copy verdict for $id" "$v" = "gone (0 at the copy)"
    done
    jq -r '[.copies.rows[]? | "\(.id): socket \(.socket.copies_per_packet) | copy \(.af_xdp.copies_per_packet) (\(.verdict)) | zero-copy \(.af_xdp_zc.copies_per_packet) (\(.verdict_zc))"] | .[]' /tmp/zc_cmp.json 2>/dev/null |
      head -n 8 | while read -r l; do info "compare copies per packet: $l"; done
  fi
  if [ -s /tmp/zc_cmp.json ]; then
    jq -r '.runs[] | "\(.pair) \(.phase) \(.sender.result.sent) \(.receiver.result.received)"' /tmp/zc_cmp.json > /tmp/zc_cmp.rows
    while read -r pair phase sent got; do
      check "compare $pair $phase: frames received == sent" "$got" -eq "$sent"
    done < /tmp/zc_cmp.rows
    jq -r '.runs[] | select(.receiver.result.validator != null) | .receiver.result.validator as $v |
           select(($v.corrupt + $v.duplicates + $v.reordered) > 0) |
           "\(.pair) \(.phase): receiver validator \($v | tostring)"' /tmp/zc_cmp.json |
      while read -r l; do info "compare frames not intact: $l"; done
    awk '/^    [a-z_]+->[a-z_]+ (paced|unpaced): / { if (l != "") print l; l = $0; next }
         /^      / && l != "" { l = l " " $0; next } { if (l != "") print l; l = "" }' /tmp/zc_cmp.txt |
      sed 's/  */ /g' | head -n 8 | while read -r l; do info "compare check differing on virtio_net: $l"; done
  else
    fail "copylab compare wrote no JSON: $(tail -n 1 /tmp/zc_cmp.txt)"
  fi
  # The unpaced receivers' pps per pair from compare's JSON (its pair ids name the binds).
  [ -s /tmp/zc_cmp.json ] && jq -r '[.runs[] | select(.phase == "unpaced") | {(.pair): .receiver.result.pps}] | add // {} |
      [.["socket->socket"], .["af_xdp->af_xdp"], .["af_xdp_zc->af_xdp_zc"]] | map(. // 0) | @tsv' /tmp/zc_cmp.json |
    awk -F'\t' 'function col(name, v) { return v > 0 ? sprintf(", %s %.0f (x%.2f)", name, v, v / $1) : ", " name " not run" }
                 $1 > 0 { print "unpaced receiver pps: socket " sprintf("%.0f", $1) col("AF_XDP copy", $2) col("AF_XDP zero-copy", $3) }' |
    while read -r l; do info "virtio-net throughput (TCG: ratios only): $l"; done
  if [ "$zc_advertised" != true ]; then
    $COPYLAB $CMP --xsk-bind zero-copy --count 10 --rate 1000 --no-unpaced > /tmp/zc_cmp_zc.txt 2>&1
    rc=$?
    section zc-compare-zero-copy < /tmp/zc_cmp_zc.txt
    check "copylab compare --xsk-bind zero-copy on virtio_net $(uname -r): refused (exit status)" $rc -ne 0
    grep -q 'virtio_net' /tmp/zc_cmp_zc.txt && grep -q 'EOPNOTSUPP' /tmp/zc_cmp_zc.txt &&
      pass "compare's refusal names the driver and errno: $(grep -m1 'EOPNOTSUPP' /tmp/zc_cmp_zc.txt | cut -c1-200)" ||
      fail "compare's zero-copy refusal lacks virtio_net/EOPNOTSUPP: $(tail -n 1 /tmp/zc_cmp_zc.txt)"
  fi
  # The same three columns from copylab's own BPF backend (no module): the kprobe BPF programs
  # count at the copy functions (evidence/copy_kprobes.bpf.c), the tracepoint ledger beside them.
  TAG="[virtio-net compare, BPF kprobes]"
  NB=$((NC < 300 ? NC : 300))
  $COPYLAB $CMP --backend bpf --xsk-bind $xb --count $NB --rate 2000 --no-unpaced --no-calibration \
    --json /tmp/zc_cmpb.json > /tmp/zc_cmpb.txt 2>&1
  rc=$?
  section zc-compare-bpf-$xb < /tmp/zc_cmpb.txt
  check "copylab compare --backend bpf --xsk-bind $xb (paced) exit status (every check agrees)" $rc -eq 0
  # On a failure, each receiver's own counters (the steering program's: redirected, no XSK in the
  # map, other port...; the socket's XDP_STATISTICS) and mode, from compare's JSON.
  [ $rc -eq 0 ] || jq -c '.runs[] | select(.receiver.mode.datapath == "af_xdp") | {pair, prog: .receiver.mode.xdp_prog_id, counters: .receiver.counters, xs: .receiver.result.xdp_statistics}' /tmp/zc_cmpb.json 2>/dev/null |
    cut -c1-900 | while read -r l; do info "compare --backend bpf receiver: $l"; done
  if [ -s /tmp/zc_cmpb.json ]; then
    # row ID COLUMN FIELD: one cell field of compare's copies table
    row() { jq -r --arg id "$1" --arg c "$2" --arg f "$3" '[.copies.rows[]? | select(.id == $id) | .[$c][$f] | tostring] | first // "none"' /tmp/zc_cmpb.json; }
    kp_active=$(jq -r '[.runs[].copy_evidence.backends[]? | select(.name | test("kprobe")) | .active] | all' /tmp/zc_cmpb.json)
    check "kprobe BPF backend attached in every run" "$kp_active" = true
    for id in copy1 copy4; do
      check "$id socket column: counted at the copy functions [$(row $id socket measured)]" "$(row $id socket measured | cut -c1-34)" = "exact at the copy function (kprobe"
      check "$id socket column: copies per packet" "$(row $id socket copies_per_packet)" = 1
      check "$id AF_XDP copy-mode column: copies per packet" "$(row $id af_xdp copies_per_packet)" = 0
    done
    check "xsk_rx_copy AF_XDP copy-mode column: one __xsk_rcv copy per frame (kprobe)" "$(row xsk_rx_copy af_xdp copies_per_packet)" = 1
    check "xsk_tx_copy AF_XDP copy-mode column: no skb_store_bits (IFF_TX_SKB_NO_LINEAR)" "$(row xsk_tx_copy af_xdp copies_per_packet)" = 0
    if [ $xb = both ]; then
      for id in copy1 copy4 xsk_tx_copy xsk_rx_copy; do
        check "$id zero-copy column: copies per packet (kprobe)" "$(row $id af_xdp_zc copies_per_packet)" = 0
        check "$id zero-copy column: counted at the copy function [$(row $id af_xdp_zc measured)]" "$(row $id af_xdp_zc measured | cut -c1-34)" = "exact at the copy function (kprobe"
      done
      for id in xsk_tx_copy xsk_rx_copy; do
        v=$(jq -r --arg id $id '[.copies.rows[]? | select(.id == $id) | .verdict_zc] | first // "none"' /tmp/zc_cmpb.json)
        check "compare's zero-copy verdict for $id from the BPF kprobes" "$v" = "gone (0 at the copy)"
      done
      jq -r '[.copies.rows[]? | "\(.id): socket \(.socket.copies_per_packet) | copy \(.af_xdp.copies_per_packet) (\(.verdict)) | zero-copy \(.af_xdp_zc.copies_per_packet) (\(.verdict_zc))"] | .[]' /tmp/zc_cmpb.json |
        head -n 8 | while read -r l; do info "BPF kprobe copies per packet: $l"; done
    fi
  else
    fail "copylab compare --backend bpf wrote no JSON: $(tail -n 1 /tmp/zc_cmpb.txt)"
  fi
  TAG="[virtio-net latency]"
  $COPYLAB latency --netns $NS_TX,$NS_RX --dev $DEV_TX,$DEV_RX --modes sock-block,xsk-poll-native \
    --xsk-bind $xb --count 300 --warmup 30 --reps 1 --size $SIZE --cpu-ping 0 --cpu-pong 0 \
    --json /tmp/zc_lat.json > /tmp/zc_lat.txt 2>&1
  rc=$?
  section zc-latency < /tmp/zc_lat.txt
  check "copylab latency sock-block,xsk-poll-native --xsk-bind $xb on $DEV_TX,$DEV_RX exit status" $rc -eq 0
  if [ $xb = both ] && [ -s /tmp/zc_lat.json ]; then
    # The zero-copy mode's sockets, read back from the kernel (XDP_OPTIONS) on both sides.
    for side in ping pong; do
      got=$(jq -r --arg s ${side}_mode '[.results[] | select(.mode == "xsk-poll-native-zc") | .runs[][$s].bind] | first // "none"' /tmp/zc_lat.json 2>/dev/null)
      check "latency xsk-poll-native-zc: $side socket bind read back (XDP_OPTIONS)" "$got" = zero-copy
    done
  fi
  awk '$1 == "sock-block" && !s { s = $2 } $1 == "xsk-poll-native" && !x { x = $2 } $1 == "xsk-poll-native-zc" && !z { z = $2 }
       END { if (s && x) printf "RTT p50: socket (sock-block) %s us, AF_XDP copy (xsk-poll-native) %s us (x%.2f)", s, x, x / s
             if (s && z) printf ", AF_XDP zero-copy (xsk-poll-native-zc) %s us (x%.2f)", z, z / s
             if (s && x) printf "\n" }' /tmp/zc_lat.txt |
    while read -r l; do info "virtio-net latency (TCG: ratios only): $l"; done
  TAG=
fi
TAG=
[ -n "$zc_probe" ] && echo "-:$zc_probe" >> $TRACING/kprobe_events
ip netns del $NS_TX 2>/dev/null
ip netns del $NS_RX 2>/dev/null
