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

for bind in copy zero-copy; do
  TAG="[virtio-net $bind]"
  XDP_BIND=$bind
  mod_load comm="$XDP_COMMS" burst=5 print_watched=1 || continue
  dmesg_take /tmp/dmesg_before.txt
  mod_reset
  zc0=$(zc_hits)
  out=/tmp/zc_rx_$bind.out
  if ! xdp_rx_start native "$N" $out; then
    section zc-receiver-output-$bind < $out
    dmesg_take /tmp/dmesg_zc_$bind.txt
    section zc-dmesg-$bind < /tmp/dmesg_zc_$bind.txt
    kill "$XDP_RX_PID" 2>/dev/null; wait "$XDP_RX_PID" 2>/dev/null
    mod_unload
    continue
  fi
  xdp_tx native "$N" /tmp/zc_tx_$bind.out; tx_rc=$?
  wait_pid "$XDP_RX_PID" 60; rx_rc=$?
  check "xdp_sender exit status" $tx_rc -eq 0
  check "xdp_receiver exit status" $rx_rc -eq 0
  [ $tx_rc -eq 0 ] || section zc-sender-output-$bind < /tmp/zc_tx_$bind.out
  [ $rx_rc -eq 0 ] || section zc-receiver-output-$bind < $out
  received=$(json_received $out.json)
  check "frames received by xdp_receiver" "${received:-0}" -eq "$N"
  for side in tx rx; do
    got=$(jq -r '.mode.bind // empty' /tmp/zc_${side}_$bind.out.json 2>/dev/null)
    check "xdp_$( [ $side = tx ] && echo sender || echo receiver ) bind mode read back (XDP_OPTIONS)" "${got:-none}" = "$bind"
  done
  cat /proc/copyprobe > /tmp/zc_counters_$bind.txt
  section zc-counters-$bind < /tmp/zc_counters_$bind.txt
  check "COPY1 (_copy_from_iter) calls of $SIZE bytes (payload user->kernel)" "$(cp_len COPY1 "$SIZE")" -eq 0
  check "COPY4 (_copy_to_iter) calls of $SIZE bytes (payload kernel->user)" "$(cp_len COPY4 "$SIZE")" -eq 0
  if [ $bind = copy ]; then
    check "XSK_TX (skb_store_bits, UMEM -> skb) copies of $FRAME bytes" "$(cp_len XSK_TX "$FRAME")" -eq "$N"
    check "XSK_RX (__xsk_rcv, xdp_buff -> UMEM) copies of $FRAME bytes" "$(cp_len XSK_RX "$FRAME")" -eq "${received:-0}"
  else
    # Every call, any length: in zero-copy no frame passes either copy function.
    check "XSK_TX (skb_store_bits) calls by the AF_XDP tools, any length: gone in zero-copy" "$(cp_field XSK_TX hits)" -eq 0
    check "XSK_XMIT (__dev_direct_xmit) calls by the AF_XDP tools: no skb in zero-copy" "$(cp_field XSK_XMIT hits)" -eq 0
    check "XSK_RX (__xsk_rcv) calls, any task, any length: gone in zero-copy" "$(cp_field XSK_RX calls)" -eq 0
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
  grep -vE '\[(COPY[124]|XSK_[A-Z]+|XDP_[A-Z]+)\]' /tmp/dmesg_zc_$bind.txt | tail -n 20 | section zc-dmesg-$bind
  mod_unload
done
TAG=
[ -n "$zc_probe" ] && echo "-:$zc_probe" >> $TRACING/kprobe_events
ip netns del $NS_TX 2>/dev/null
ip netns del $NS_RX 2>/dev/null
