#!/usr/bin/env bash
# Creates copylab's experiment topology: two network namespaces joined by one veth pair, or
# (--ns-m) three, A -> M -> B, joined by two, with static addresses and permanent neighbour
# entries (AF_XDP frames never trigger ARP).
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
Three namespaces A -> M -> B (a middle box M between A and B; only with --ns-m):
  --ns-m NAME      namespace of the middle box    [COPYLAB_NS_M]  (default: none)
  --dev-ma NAME    M's ingress veth, peer of dev A [COPYLAB_DEV_MA] (default vethma)
  --dev-mb NAME    M's egress veth, peer of dev B  [COPYLAB_DEV_MB] (default vethmb)
  --mac-ma/--mac-mb MAC  their MACs  [COPYLAB_MAC_MA/MB] (default 00:00:00:00:00:03/04)
  --ip-ma/--ip-mb IP     their IPv4 addresses (/32, in A/B's subnet) [COPYLAB_IP_MA/MB]
                         (default 10.0.0.3/10.0.0.4)
  With M, A's neighbour entry for B's address (and M's) is M's ingress MAC, B's for A's is M's
  egress MAC: A's frames to B reach M at layer 2, and only a forwarder in M moves them on.
  M has host routes to A and B through its two devices and IPv4 forwarding off, so the kernel
  in M never forwards them itself; a socket relay in M reaches A and B through those routes.
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
CREATED_VETH=()  # "ns dev" of one end of each veth pair this run created
DONE=0

rollback() {
  if (( DONE )); then return; fi
  local ns dev v
  for v in "${CREATED_VETH[@]}"; do
    read -r ns dev <<<"$v"
    if dev_exists "$ns" "$dev"; then ip -n "$ns" link del dev "$dev" 2>/dev/null || true; fi
  done
  for ns in "${CREATED_NS[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
    rm -f "$(ns_marker "$ns")"
  done
  if (( ${#CREATED_VETH[@]} || ${#CREATED_NS[@]} )); then
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
  printf 'ns_a=%s\nns_b=%s\nns_m=%s\ndev_a=%s\ndev_b=%s\ncreated_by=setup.sh pid %s\ncreated_at=%s\n' \
    "$NS_A" "$NS_B" "$NS_M" "$DEV_A" "$DEV_B" "$$" "$(date -u +%FT%TZ)" >"$(ns_marker "$ns")"
  changed "created namespace $ns"
}

ifindex_of() { ip -n "$1" -o link show dev "$2" | cut -d: -f1; }
peer_ifindex_of() {  # "5: veth1@if4: ..." -> 4
  ip -n "$1" -o link show dev "$2" | sed -n 's/^[0-9]*: [^@:]*@if\([0-9]*\):.*/\1/p'
}

ensure_veth() {  # $1 ns1, $2 dev1, $3 mac1, $4 ns2, $5 dev2, $6 mac2: one veth pair
  local n1=$1 d1=$2 m1=$3 n2=$4 d2=$5 m2=$6 have_1=0 have_2=0
  dev_exists "$n1" "$d1" && have_1=1
  dev_exists "$n2" "$d2" && have_2=1
  if (( !have_1 && !have_2 )); then
    # Created directly inside the namespaces: the names never appear in the host namespace, so
    # they cannot collide with anyone else's devices there.
    ip link add name "$d1" netns "$n1" address "$m1" type veth \
      peer name "$d2" netns "$n2" address "$m2"
    CREATED_VETH+=("$n1 $d1")
    ip -n "$n1" link set dev "$d1" alias "$(veth_alias "$n1" "$d1" "$n2" "$d2")"
    ip -n "$n2" link set dev "$d2" alias "$(veth_alias "$n1" "$d1" "$n2" "$d2")"
    changed "created veth $n1/$d1 <-> $n2/$d2"
    return
  fi
  (( have_1 )) || die "$d2 exists in $n2 but $d1 is missing in $n1. Fix: $HERE/teardown.sh with the same options, or pick other --dev names"
  (( have_2 )) || die "$d1 exists in $n1 but $d2 is missing in $n2. Fix: $HERE/teardown.sh with the same options, or pick other --dev names"
  if [[ "$(peer_ifindex_of "$n1" "$d1")" != "$(ifindex_of "$n2" "$d2")" ]]; then
    die "$n1/$d1 and $n2/$d2 exist but are not one veth pair. Fix: pick other --dev names"
  fi
  if ! dev_is_ours "$n1" "$d1"; then
    die "veth $n1/$d1 exists but was not made by setup.sh (no '$VETH_ALIAS_PREFIX' alias); refusing to reconfigure it. Fix: pick other --dev names"
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

ensure_addr() {  # $1 ns, $2 dev, $3 ip [, $4 prefix length (default $PREFIX)]
  local len=${4:-$PREFIX}
  if ! ip -n "$1" -o -4 addr show dev "$2" | grep -q " inet $3/$len "; then
    ip -n "$1" addr add "$3/$len" dev "$2"
    changed "added $3/$len to $1/$2"
  fi
}

ensure_host_route() {  # $1 ns, $2 dev, $3 ip: $3/32 reached through $2
  if ! ip -n "$1" -4 route show "$3/32" dev "$2" | grep -q .; then
    ip -n "$1" route replace "$3/32" dev "$2"
    changed "added route $3/32 dev $2 in $1"
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

ensure_dev() {  # $1 ns, $2 dev, $3 mac, $4 ip, $5 prefix length
  ensure_ipv6_off "$1" "$2"
  if [[ ",$(link_flags "$1" lo)," != *",UP,"* ]]; then
    ip -n "$1" link set dev lo up
    changed "set $1/lo up"
  fi
  ensure_mac "$1" "$2" "$3"
  ensure_addr "$1" "$2" "$4" "$5"
  ensure_tx_csum "$1" "$2"
  ensure_up "$1" "$2"
}

ensure_side() {  # $1 ns, $2 dev, $3 mac, $4 ip, $5 peer ip, $6 peer mac (the next hop's)
  ensure_dev "$1" "$2" "$3" "$4" "$PREFIX"
  ensure_neigh "$1" "$2" "$5" "$6"
}

ensure_forwarding_off() {  # $1 ns: the kernel in the middle box forwards nothing itself
  if [[ "$(ip netns exec "$1" sysctl -n net.ipv4.ip_forward)" != 0 ]]; then
    ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=0
    changed "turned IPv4 forwarding off in $1"
  fi
}

ensure_ns "$NS_A"
ensure_ns "$NS_B"
if [[ -z "$NS_M" ]]; then
  ensure_veth "$NS_A" "$DEV_A" "$MAC_A" "$NS_B" "$DEV_B" "$MAC_B"
  ensure_side "$NS_A" "$DEV_A" "$MAC_A" "$IP_A" "$IP_B" "$MAC_B"
  ensure_side "$NS_B" "$DEV_B" "$MAC_B" "$IP_B" "$IP_A" "$MAC_A"
  SUMMARY="$NS_A/$DEV_A $MAC_A $IP_A/$PREFIX <-> $NS_B/$DEV_B $MAC_B $IP_B/$PREFIX"
else
  ensure_ns "$NS_M"
  ensure_veth "$NS_A" "$DEV_A" "$MAC_A" "$NS_M" "$DEV_MA" "$MAC_MA"
  ensure_veth "$NS_M" "$DEV_MB" "$MAC_MB" "$NS_B" "$DEV_B" "$MAC_B"
  # A and B address each other (and M) at M's MAC on their link.
  ensure_side "$NS_A" "$DEV_A" "$MAC_A" "$IP_A" "$IP_B" "$MAC_MA"
  ensure_neigh "$NS_A" "$DEV_A" "$IP_MA" "$MAC_MA"
  ensure_side "$NS_B" "$DEV_B" "$MAC_B" "$IP_B" "$IP_A" "$MAC_MB"
  ensure_neigh "$NS_B" "$DEV_B" "$IP_MB" "$MAC_MB"
  ensure_dev "$NS_M" "$DEV_MA" "$MAC_MA" "$IP_MA" 32
  ensure_dev "$NS_M" "$DEV_MB" "$MAC_MB" "$IP_MB" 32
  ensure_host_route "$NS_M" "$DEV_MA" "$IP_A"
  ensure_host_route "$NS_M" "$DEV_MB" "$IP_B"
  ensure_neigh "$NS_M" "$DEV_MA" "$IP_A" "$MAC_A"
  ensure_neigh "$NS_M" "$DEV_MB" "$IP_B" "$MAC_B"
  ensure_forwarding_off "$NS_M"
  SUMMARY="$NS_A/$DEV_A $MAC_A $IP_A/$PREFIX -> $NS_M/$DEV_MA $MAC_MA $IP_MA, $NS_M/$DEV_MB $MAC_MB $IP_MB -> $NS_B/$DEV_B $MAC_B $IP_B/$PREFIX"
fi

DONE=1
if (( CHANGED )); then
  say "set up: $SUMMARY"
else
  say "already set up: $SUMMARY (nothing changed)"
fi
