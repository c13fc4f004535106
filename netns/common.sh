# shellcheck shell=bash
# Shared by setup.sh and teardown.sh: option/env parsing, validation and the ownership markers.
# Sourced, not run.

# Defaults: ns1/ns2, veth1/veth2, 10.0.0.1/24 and 10.0.0.2/24. Environment variables override defaults; flags override both.
NS_A=${COPYLAB_NS_A:-ns1}
NS_B=${COPYLAB_NS_B:-ns2}
DEV_A=${COPYLAB_DEV_A:-veth1}
DEV_B=${COPYLAB_DEV_B:-veth2}
MAC_A=${COPYLAB_MAC_A:-00:00:00:00:00:01}
MAC_B=${COPYLAB_MAC_B:-00:00:00:00:00:02}
IP_A=${COPYLAB_IP_A:-10.0.0.1}
IP_B=${COPYLAB_IP_B:-10.0.0.2}
PREFIX=${COPYLAB_PREFIX:-24}
TX_CSUM=${COPYLAB_TX_CSUM:-keep}
# The middle namespace M of the three-namespace topology A -> M -> B (empty: two namespaces).
# M's ingress device (DEV_MA) is the veth peer of DEV_A, its egress device (DEV_MB) that of DEV_B.
NS_M=${COPYLAB_NS_M:-}
DEV_MA=${COPYLAB_DEV_MA:-vethma}
DEV_MB=${COPYLAB_DEV_MB:-vethmb}
MAC_MA=${COPYLAB_MAC_MA:-00:00:00:00:00:03}
MAC_MB=${COPYLAB_MAC_MB:-00:00:00:00:00:04}
IP_MA=${COPYLAB_IP_MA:-10.0.0.3}
IP_MB=${COPYLAB_IP_MB:-10.0.0.4}
QUIET=${COPYLAB_QUIET:-0}

# Ownership markers live on tmpfs next to /run/netns, so they vanish with the namespaces on reboot.
MARK_DIR=${COPYLAB_MARK_DIR:-/run/copylab/netns}
# The veth carries this alias so teardown can recognise a veth setup.sh made inside a namespace
# it did not make.
VETH_ALIAS_PREFIX="copylab-setup"

PROG=$(basename "$0")
ORIG_ARGS=("$@")  # sourced before option parsing: the script's own arguments

die_usage() {  # one line, exit 2: bad input
  echo "$PROG: error: $*" >&2
  exit 2
}
die() {
  echo "$PROG: error: $*" >&2
  exit 1
}
say() {
  if [[ "$QUIET" != 1 ]]; then echo "$PROG: $*"; fi
}

need_value() {  # $1 = flag, $2 = number of remaining args
  if (( $2 < 2 )); then die_usage "$1 needs a value. Fix: see $PROG --help"; fi
}

# shellcheck disable=SC2034  # SHIFT_BY is read by the sourcing script
parse_common_flag() {  # returns 0 and sets SHIFT_BY when it consumed a flag
  SHIFT_BY=2
  case "$1" in
    --ns-a) need_value "$1" "$2"; NS_A=$3 ;;
    --ns-b) need_value "$1" "$2"; NS_B=$3 ;;
    --dev-a) need_value "$1" "$2"; DEV_A=$3 ;;
    --dev-b) need_value "$1" "$2"; DEV_B=$3 ;;
    --mac-a) need_value "$1" "$2"; MAC_A=$3 ;;
    --mac-b) need_value "$1" "$2"; MAC_B=$3 ;;
    --ip-a) need_value "$1" "$2"; IP_A=$3 ;;
    --ip-b) need_value "$1" "$2"; IP_B=$3 ;;
    --prefix) need_value "$1" "$2"; PREFIX=$3 ;;
    --tx-csum) need_value "$1" "$2"; TX_CSUM=$3 ;;
    --ns-m) need_value "$1" "$2"; NS_M=$3 ;;
    --dev-ma) need_value "$1" "$2"; DEV_MA=$3 ;;
    --dev-mb) need_value "$1" "$2"; DEV_MB=$3 ;;
    --mac-ma) need_value "$1" "$2"; MAC_MA=$3 ;;
    --mac-mb) need_value "$1" "$2"; MAC_MB=$3 ;;
    --ip-ma) need_value "$1" "$2"; IP_MA=$3 ;;
    --ip-mb) need_value "$1" "$2"; IP_MB=$3 ;;
    -q|--quiet) QUIET=1; SHIFT_BY=1 ;;
    *) return 1 ;;
  esac
  return 0
}

valid_mac() { [[ "$1" =~ ^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$ ]]; }
valid_ipv4() {
  local IFS=. o
  [[ "$1" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
  for o in $1; do (( 10#$o <= 255 )) || return 1; done
}
# Namespace names become files under /run/netns; keep them to a safe character set.
valid_ns() { [[ "$1" =~ ^[A-Za-z0-9_.-]{1,64}$ && "$1" != "." && "$1" != ".." ]]; }
# Interface names: at most IFNAMSIZ-1 = 15 characters, no '/', ':' or whitespace.
valid_dev() { [[ "$1" =~ ^[A-Za-z0-9_.-]{1,15}$ && "$1" != "." && "$1" != ".." ]]; }

validate_inputs() {
  valid_ns "$NS_A" || die_usage "--ns-a '$NS_A' is not a valid namespace name. Fix: use letters, digits, '_', '.', '-' (max 64)"
  valid_ns "$NS_B" || die_usage "--ns-b '$NS_B' is not a valid namespace name. Fix: use letters, digits, '_', '.', '-' (max 64)"
  [[ "$NS_A" != "$NS_B" ]] || die_usage "--ns-a and --ns-b are both '$NS_A'. Fix: give the two ends different namespaces"
  valid_dev "$DEV_A" || die_usage "--dev-a '$DEV_A' is not a valid interface name. Fix: at most 15 characters of letters, digits, '_', '.', '-'"
  valid_dev "$DEV_B" || die_usage "--dev-b '$DEV_B' is not a valid interface name. Fix: at most 15 characters of letters, digits, '_', '.', '-'"
  valid_mac "$MAC_A" || die_usage "--mac-a '$MAC_A' is not a MAC address. Fix: six hex pairs, e.g. 00:00:00:00:00:01"
  valid_mac "$MAC_B" || die_usage "--mac-b '$MAC_B' is not a MAC address. Fix: six hex pairs, e.g. 00:00:00:00:00:02"
  MAC_A=${MAC_A,,}
  MAC_B=${MAC_B,,}
  [[ "$MAC_A" != "$MAC_B" ]] || die_usage "--mac-a and --mac-b are both $MAC_A. Fix: give the two ends different MACs"
  (( 16#${MAC_A:1:1} % 2 == 0 )) || die_usage "--mac-a $MAC_A is a multicast address. Fix: use a unicast MAC (even first byte), e.g. 00:00:00:00:00:01"
  (( 16#${MAC_B:1:1} % 2 == 0 )) || die_usage "--mac-b $MAC_B is a multicast address. Fix: use a unicast MAC (even first byte), e.g. 00:00:00:00:00:02"
  valid_ipv4 "$IP_A" || die_usage "--ip-a '$IP_A' is not an IPv4 address. Fix: dotted quad, e.g. 10.0.0.1"
  valid_ipv4 "$IP_B" || die_usage "--ip-b '$IP_B' is not an IPv4 address. Fix: dotted quad, e.g. 10.0.0.2"
  [[ "$IP_A" != "$IP_B" ]] || die_usage "--ip-a and --ip-b are both $IP_A. Fix: give the two ends different addresses"
  if ! [[ "$PREFIX" =~ ^[0-9]{1,2}$ ]] || (( 10#$PREFIX < 1 || 10#$PREFIX > 30 )); then
    die_usage "--prefix '$PREFIX' is not a prefix length the pair can share. Fix: 1..30, e.g. 24"
  fi
  PREFIX=$((10#$PREFIX))
  [[ "$(net_of "$IP_A")" == "$(net_of "$IP_B")" ]] ||
    die_usage "$IP_A and $IP_B are not in one /$PREFIX network. Fix: choose addresses in the same subnet or a shorter --prefix"
  case "$TX_CSUM" in keep|on|off) ;; *) die_usage "--tx-csum '$TX_CSUM' is not keep|on|off. Fix: see $PROG --help" ;; esac
  [[ -z "$NS_M" ]] || validate_middle
}

# The three-namespace topology's extra inputs: names, MACs and addresses all distinct, M's
# addresses in A/B's subnet (A and B reach them on-link).
validate_middle() {
  valid_ns "$NS_M" || die_usage "--ns-m '$NS_M' is not a valid namespace name. Fix: use letters, digits, '_', '.', '-' (max 64)"
  [[ "$NS_M" != "$NS_A" && "$NS_M" != "$NS_B" ]] || die_usage "--ns-m '$NS_M' is also side A's or B's namespace. Fix: give the middle box its own namespace"
  valid_dev "$DEV_MA" || die_usage "--dev-ma '$DEV_MA' is not a valid interface name. Fix: at most 15 characters of letters, digits, '_', '.', '-'"
  valid_dev "$DEV_MB" || die_usage "--dev-mb '$DEV_MB' is not a valid interface name. Fix: at most 15 characters of letters, digits, '_', '.', '-'"
  [[ "$DEV_MA" != "$DEV_MB" ]] || die_usage "--dev-ma and --dev-mb are both '$DEV_MA'. Fix: give M's ingress and egress devices different names"
  local m
  for m in MAC_MA MAC_MB; do
    valid_mac "${!m}" || die_usage "--${m,,} '${!m}' is not a MAC address. Fix: six hex pairs, e.g. 00:00:00:00:00:03"
    printf -v "$m" '%s' "${!m,,}"
    (( 16#${!m:1:1} % 2 == 0 )) || die_usage "--${m,,} ${!m} is a multicast address. Fix: use a unicast MAC (even first byte)"
  done
  m=$(printf '%s\n' "$MAC_A" "$MAC_B" "$MAC_MA" "$MAC_MB" | sort | uniq -d | head -1)
  [[ -z "$m" ]] || die_usage "MAC $m is used twice in the three-namespace topology. Fix: give every device its own MAC"
  for m in IP_MA IP_MB; do
    valid_ipv4 "${!m}" || die_usage "--${m,,} '${!m}' is not an IPv4 address. Fix: dotted quad, e.g. 10.0.0.3"
    [[ "$(net_of "${!m}")" == "$(net_of "$IP_A")" ]] ||
      die_usage "--${m,,} ${!m} is not in $IP_A/$PREFIX. Fix: give M addresses in A and B's subnet"
  done
  m=$(printf '%s\n' "$IP_A" "$IP_B" "$IP_MA" "$IP_MB" | sort | uniq -d | head -1)
  [[ -z "$m" ]] || die_usage "address $m is used twice in the three-namespace topology. Fix: give every device its own address"
}

ip_to_int() { local IFS=. a b c d; read -r a b c d <<<"$1"; echo $(( (10#$a << 24) | (10#$b << 16) | (10#$c << 8) | 10#$d )); }
net_of() {  # network part of $1 under $PREFIX, as an integer
  local mask=$(( (0xffffffff << (32 - PREFIX)) & 0xffffffff ))
  echo $(( $(ip_to_int "$1") & mask ))
}

require_root() {
  if [[ $(id -u) -ne 0 ]]; then
    die "$PROG needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to change namespaces and veth. Fix: sudo $0 ${ORIG_ARGS[*]}"
  fi
  command -v ip >/dev/null || die "the 'ip' command (iproute2) is missing. Fix: apt-get install iproute2"
}

ns_exists() { [[ -e "/run/netns/$1" ]] && ip netns exec "$1" true 2>/dev/null; }
ns_marker() { echo "$MARK_DIR/$1.owner"; }
ns_is_ours() { [[ -f "$(ns_marker "$1")" ]]; }
dev_exists() { ip -n "$1" link show dev "$2" >/dev/null 2>&1; }
veth_alias() { echo "$VETH_ALIAS_PREFIX $1/$2<->$3/$4"; }  # ns1 dev1 ns2 dev2
dev_alias() { ip -n "$1" -o link show dev "$2" 2>/dev/null | sed -n 's/.* alias \(.*\)$/\1/p'; }
dev_is_ours() { [[ "$(dev_alias "$1" "$2")" == "$VETH_ALIAS_PREFIX"* ]]; }
