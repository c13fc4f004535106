#!/usr/bin/env bash
# Creates copylab's experiment topology: two network namespaces joined by one veth pair, with
# static addresses and permanent neighbour entries (AF_XDP frames never trigger ARP).
# Idempotent: a second run checks every piece, changes nothing and says "already set up".
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
source "$HERE/common.sh"

usage() {
  cat <<EOF
Usage: $PROG [options]

Creates two network namespaces joined by a veth pair (ns1/ns2, veth1/veth2 by default):
  $NS_A: $DEV_A $MAC_A $IP_A/$PREFIX   <-- veth -->   $NS_B: $DEV_B $MAC_B $IP_B/$PREFIX
IPv6 off in both namespaces, lo up, and a permanent neighbour entry on each side for the
other side's MAC, so AF_XDP senders (which never answer ARP) reach the peer's stack.

Options (environment variable in brackets; flags win over the environment):
  --ns-a NAME      namespace of side A            [COPYLAB_NS_A]  (default ns1)
  --ns-b NAME      namespace of side B            [COPYLAB_NS_B]  (default ns2)
  --dev-a NAME     veth end in side A (<=15 chars) [COPYLAB_DEV_A] (default veth1)
  --dev-b NAME     veth end in side B             [COPYLAB_DEV_B] (default veth2)
  --mac-a MAC      MAC of dev A                   [COPYLAB_MAC_A] (default 00:00:00:00:00:01)
  --mac-b MAC      MAC of dev B                   [COPYLAB_MAC_B] (default 00:00:00:00:00:02)
  --ip-a IP        IPv4 of dev A                  [COPYLAB_IP_A]  (default 10.0.0.1)
  --ip-b IP        IPv4 of dev B                  [COPYLAB_IP_B]  (default 10.0.0.2)
  --prefix N       prefix length of both          [COPYLAB_PREFIX] (default 24)
  --tx-csum keep|on|off  TX checksum offload on both ends [COPYLAB_TX_CSUM] (default keep)
  -q, --quiet      print only errors
  -h, --help       this text

Ownership: namespaces this script creates get a marker in $MARK_DIR/<ns>.owner;
the veth gets the interface alias "$VETH_ALIAS_PREFIX ...". teardown.sh (same options)
removes only what carries these marks. Existing namespaces are reused and left in place.
On a failure midway, whatever this run created is removed again.

Notes for AF_XDP on veth (kernel facts measured on 6.x kernels):
  * veth has one real queue (0) and no zero-copy: AF_XDP runs in copy mode.
  * TX checksum offload stays ON by default (--tx-csum keep), as on a real system. Consequence
    (the CHECKSUM_PARTIAL gotcha): a frame sent by a *socket* in one namespace arrives in an
    AF_XDP socket on the peer with only the pseudo-header sum in its UDP checksum field.
    An AF_XDP program that echoes/forwards such frames must recompute the UDP checksum (copylab
    does). '--tx-csum off' makes the sending kernel write full checksums instead, at a cost on
    the socket path's transmit side; use it only to study that effect.
  * Native XDP on the receiving veth sees stack-originated frames without a program on the
    peer. XDP_TX/redirect *into* a veth needs an XDP program on the peer: the loader handles it.
  * libxdp wants a bpffs; 'ip netns exec' remounts /sys, so the loader points LIBXDP_BPFFS at
    a private bpffs rather than relying on /sys/fs/bpf.
Exit codes: 0 done (or already set up), 1 failed (nothing from this run left), 2 bad input.
EOF
}

while (( $# > 0 )); do
  if parse_common_flag "$1" "$#" "${2:-}"; then shift "$SHIFT_BY"; continue; fi
  case "$1" in
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown option '$1'. Fix: see $PROG --help" ;;
  esac
done
validate_inputs
require_root

mkdir -p "$MARK_DIR"
exec 9>"$MARK_DIR/.lock"
flock 9  # setup/teardown runs of different experiments must not interleave their checks

CHANGED=0
CREATED_NS=()
CREATED_VETH=0
DONE=0

rollback() {
  if (( DONE )); then return; fi
  if (( CREATED_VETH )) && dev_exists "$NS_A" "$DEV_A"; then
    ip -n "$NS_A" link del dev "$DEV_A" 2>/dev/null || true
  fi
  local ns
  for ns in "${CREATED_NS[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
    rm -f "$(ns_marker "$ns")"
  done
  if (( CREATED_VETH || ${#CREATED_NS[@]} )); then
    echo "$PROG: rolled back what this run created" >&2
  fi
}
trap rollback EXIT

changed() { CHANGED=1; say "$*"; }

ensure_ns() {
  local ns=$1
  if ns_exists "$ns"; then return; fi
  if [[ -e "/run/netns/$ns" ]]; then
    die "/run/netns/$ns exists but is not a usable namespace. Fix: ip netns del $ns"
  fi
  ip netns add "$ns"
  CREATED_NS+=("$ns")
  printf 'ns_a=%s\nns_b=%s\ndev_a=%s\ndev_b=%s\ncreated_by=setup.sh pid %s\ncreated_at=%s\n' \
    "$NS_A" "$NS_B" "$DEV_A" "$DEV_B" "$$" "$(date -u +%FT%TZ)" >"$(ns_marker "$ns")"
  changed "created namespace $ns"
}

ifindex_of() { ip -n "$1" -o link show dev "$2" | cut -d: -f1; }
peer_ifindex_of() {  # "5: veth1@if4: ..." -> 4
  ip -n "$1" -o link show dev "$2" | sed -n 's/^[0-9]*: [^@:]*@if\([0-9]*\):.*/\1/p'
}

ensure_veth() {
  local have_a=0 have_b=0
  dev_exists "$NS_A" "$DEV_A" && have_a=1
  dev_exists "$NS_B" "$DEV_B" && have_b=1
  if (( !have_a && !have_b )); then
    # Created directly inside the namespaces: the names never appear in the host namespace, so
    # they cannot collide with anyone else's devices there.
    ip link add name "$DEV_A" netns "$NS_A" address "$MAC_A" type veth \
      peer name "$DEV_B" netns "$NS_B" address "$MAC_B"
    CREATED_VETH=1
    ip -n "$NS_A" link set dev "$DEV_A" alias "$(veth_alias)"
    ip -n "$NS_B" link set dev "$DEV_B" alias "$(veth_alias)"
    changed "created veth $NS_A/$DEV_A <-> $NS_B/$DEV_B"
    return
  fi
  (( have_a )) || die "$DEV_B exists in $NS_B but $DEV_A is missing in $NS_A. Fix: $HERE/teardown.sh with the same options, or pick other --dev names"
  (( have_b )) || die "$DEV_A exists in $NS_A but $DEV_B is missing in $NS_B. Fix: $HERE/teardown.sh with the same options, or pick other --dev names"
  if [[ "$(peer_ifindex_of "$NS_A" "$DEV_A")" != "$(ifindex_of "$NS_B" "$DEV_B")" ]]; then
    die "$NS_A/$DEV_A and $NS_B/$DEV_B exist but are not one veth pair. Fix: pick other --dev names"
  fi
  if ! dev_is_ours "$NS_A" "$DEV_A"; then
    die "veth $NS_A/$DEV_A exists but was not made by setup.sh (no '$VETH_ALIAS_PREFIX' alias); refusing to reconfigure it. Fix: pick other --dev names"
  fi
}

link_flags() { ip -n "$1" -o link show dev "$2" | sed -n 's/^[^<]*<\([^>]*\)>.*/\1/p'; }

ensure_up() {  # $1 ns, $2 dev
  if [[ ",$(link_flags "$1" "$2")," != *",UP,"* ]]; then
    ip -n "$1" link set dev "$2" up
    changed "set $1/$2 up"
  fi
}

ensure_mac() {  # $1 ns, $2 dev, $3 mac
  local cur
  cur=$(ip -n "$1" -o link show dev "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
  if [[ "$cur" != "$3" ]]; then
    ip -n "$1" link set dev "$2" address "$3"
    changed "set $1/$2 MAC $3 (was $cur)"
  fi
}

ensure_ipv6_off() {  # $1 ns, $2 dev
  [[ -d /proc/sys/net/ipv6 ]] || return 0  # kernel without IPv6: nothing to switch off
  local key
  for key in all default "$2"; do
    if [[ "$(ip netns exec "$1" sysctl -n "net.ipv6.conf.$key.disable_ipv6")" != 1 ]]; then
      ip netns exec "$1" sysctl -qw "net.ipv6.conf.$key.disable_ipv6=1"
      changed "disabled IPv6 ($key) in $1"
    fi
  done
}

ensure_addr() {  # $1 ns, $2 dev, $3 ip
  if ! ip -n "$1" -o -4 addr show dev "$2" | grep -q " inet $3/$PREFIX "; then
    ip -n "$1" addr add "$3/$PREFIX" dev "$2"
    changed "added $3/$PREFIX to $1/$2"
  fi
}

ensure_neigh() {  # $1 ns, $2 dev, $3 peer ip, $4 peer mac
  if ! ip -n "$1" neigh show "$3" dev "$2" | grep -q "lladdr $4 PERMANENT"; then
    ip -n "$1" neigh replace "$3" lladdr "$4" dev "$2" nud permanent
    changed "added permanent neighbour $3 -> $4 on $1/$2"
  fi
}

ensure_tx_csum() {  # $1 ns, $2 dev
  [[ "$TX_CSUM" != keep ]] || return 0
  command -v ethtool >/dev/null || die "--tx-csum needs ethtool. Fix: apt-get install ethtool"
  local cur
  cur=$(ip netns exec "$1" ethtool -k "$2" | sed -n 's/^tx-checksumming: \([a-z]*\).*/\1/p')
  if [[ "$cur" != "$TX_CSUM" ]]; then
    ip netns exec "$1" ethtool -K "$2" tx "$TX_CSUM" >/dev/null
    changed "set tx checksum offload $TX_CSUM on $1/$2"
  fi
}

ensure_side() {  # $1 ns, $2 dev, $3 mac, $4 ip, $5 peer ip, $6 peer mac
  ensure_ipv6_off "$1" "$2"
  if [[ ",$(link_flags "$1" lo)," != *",UP,"* ]]; then
    ip -n "$1" link set dev lo up
    changed "set $1/lo up"
  fi
  ensure_mac "$1" "$2" "$3"
  ensure_addr "$1" "$2" "$4"
  ensure_tx_csum "$1" "$2"
  ensure_up "$1" "$2"
  ensure_neigh "$1" "$2" "$5" "$6"
}

ensure_ns "$NS_A"
ensure_ns "$NS_B"
ensure_veth
ensure_side "$NS_A" "$DEV_A" "$MAC_A" "$IP_A" "$IP_B" "$MAC_B"
ensure_side "$NS_B" "$DEV_B" "$MAC_B" "$IP_B" "$IP_A" "$MAC_A"

DONE=1
if (( CHANGED )); then
  say "set up: $NS_A/$DEV_A $MAC_A $IP_A/$PREFIX <-> $NS_B/$DEV_B $MAC_B $IP_B/$PREFIX"
else
  say "already set up: $NS_A/$DEV_A $MAC_A $IP_A/$PREFIX <-> $NS_B/$DEV_B $MAC_B $IP_B/$PREFIX (nothing changed)"
fi
