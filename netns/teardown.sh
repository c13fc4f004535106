#!/usr/bin/env bash
# Removes what netns/setup.sh made, and only that: namespaces with setup.sh's ownership marker,
# and (inside namespaces someone else made) the veth carrying setup.sh's alias.
# Succeeds when it is already gone. Takes the same options as setup.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
source "$HERE/common.sh"

usage() {
  cat <<EOF
Usage: $PROG [options]

Removes the topology netns/setup.sh created with the same options:
  * a namespace is deleted only if setup.sh created it (marker $MARK_DIR/<ns>.owner);
    deleting it also deletes the veth end inside it;
  * in a namespace setup.sh did not create, only a veth carrying the alias
    "$VETH_ALIAS_PREFIX ..." is deleted; everything else stays.
Already gone is success.

Options (same as setup.sh; the address options are accepted and ignored):
  --ns-a NAME  [COPYLAB_NS_A] (default ns1)    --ns-b NAME  [COPYLAB_NS_B] (default ns2)
  --dev-a NAME [COPYLAB_DEV_A] (default veth1) --dev-b NAME [COPYLAB_DEV_B] (default veth2)
  --ns-m NAME  [COPYLAB_NS_M] the middle namespace of a three-namespace topology, with
  --dev-ma/--dev-mb NAME [COPYLAB_DEV_MA/MB] (default vethma/vethmb)
  --mac-a/--mac-b/--ip-a/--ip-b/--prefix/--tx-csum (and -m- variants)   ignored
  -q, --quiet  print only errors
  -h, --help   this text
Exit codes: 0 removed (or nothing to remove), 1 failed, 2 bad input.
EOF
}

while (( $# > 0 )); do
  if parse_common_flag "$1" "$#" "${2:-}"; then shift "$SHIFT_BY"; continue; fi
  case "$1" in
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown option '$1'. Fix: see $PROG --help" ;;
  esac
done
valid_ns "$NS_A" || die_usage "--ns-a '$NS_A' is not a valid namespace name. Fix: use letters, digits, '_', '.', '-'"
valid_ns "$NS_B" || die_usage "--ns-b '$NS_B' is not a valid namespace name. Fix: use letters, digits, '_', '.', '-'"
valid_dev "$DEV_A" || die_usage "--dev-a '$DEV_A' is not a valid interface name. Fix: at most 15 characters"
valid_dev "$DEV_B" || die_usage "--dev-b '$DEV_B' is not a valid interface name. Fix: at most 15 characters"
if [[ -n "$NS_M" ]]; then
  valid_ns "$NS_M" || die_usage "--ns-m '$NS_M' is not a valid namespace name. Fix: use letters, digits, '_', '.', '-'"
  valid_dev "$DEV_MA" || die_usage "--dev-ma '$DEV_MA' is not a valid interface name. Fix: at most 15 characters"
  valid_dev "$DEV_MB" || die_usage "--dev-mb '$DEV_MB' is not a valid interface name. Fix: at most 15 characters"
fi
require_root

mkdir -p "$MARK_DIR"
exec 9>"$MARK_DIR/.lock"
flock 9

REMOVED=0
KEPT=()

remove_ns_side() {  # $1 ns, $2.. its devices
  local ns=$1 dev
  shift
  if ns_is_ours "$ns"; then
    if [[ -e "/run/netns/$ns" ]]; then
      ip netns del "$ns"
      say "deleted namespace $ns"
      REMOVED=1
    fi
    rm -f "$(ns_marker "$ns")"
    return
  fi
  ns_exists "$ns" || return 0
  for dev in "$@"; do
    dev_exists "$ns" "$dev" || continue
    if dev_is_ours "$ns" "$dev"; then
      ip -n "$ns" link del dev "$dev"  # deletes the peer end too
      say "deleted veth $ns/$dev (namespace $ns was not made by setup.sh: kept)"
      REMOVED=1
    else
      KEPT+=("$ns/$dev (not made by setup.sh)")
    fi
  done
  KEPT+=("namespace $ns (not made by setup.sh)")
}

remove_ns_side "$NS_A" "$DEV_A"
remove_ns_side "$NS_B" "$DEV_B"
if [[ -n "$NS_M" ]]; then remove_ns_side "$NS_M" "$DEV_MA" "$DEV_MB"; fi

for k in "${KEPT[@]}"; do say "kept $k"; done
if (( !REMOVED )); then
  say "nothing to remove for $NS_A/$DEV_A <-> $NS_B/$DEV_B"
fi
