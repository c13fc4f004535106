# shellcheck shell=sh
# Helpers shared by the guest's experiment scripts (busybox sh). Verdict lines go to the console:
#   KLAB: PASS|FAIL|SKIP|INFO <experiment>: <text>
# Report sections are framed by "KLAB: SECTION <name>" / "KLAB: ENDSECTION" and each of their lines
# is prefixed "KLAB| " so kernel messages interleaved on the console cannot corrupt them.

NS_TX=lab1 NS_RX=lab2 DEV_TX=veth1 DEV_RX=veth2
MAC_TX=00:00:00:00:00:01 MAC_RX=00:00:00:00:00:02 IP_TX=10.0.0.1 IP_RX=10.0.0.2 PORT=9999
TRACING=/sys/kernel/tracing

# busybox sh prefers its own applets over PATH (standalone shell): iproute2 by full path.
ip() { /usr/sbin/ip "$@"; }
klab() { echo "KLAB: $*"; }
pass() { klab "PASS $EXP${TAG:+ $TAG}: $*"; }
fail() { klab "FAIL $EXP${TAG:+ $TAG}: $*"; }
skip() { klab "SKIP $EXP: $*"; }
info() { klab "INFO $EXP: $*"; }
now() { cut -d' ' -f1 /proc/uptime; }

# check <description> <actual> <op> <expected>: one PASS or FAIL line with both numbers.
check() {
  if [ -n "$2" ] && test "$2" "$3" "$4" 2>/dev/null; then
    pass "$1: $2 $3 $4"
  else
    fail "$1: got '${2:-none}', expected $3 $4"
  fi
}

section() {
  klab "SECTION $1"
  sed 's/^/KLAB| /'
  klab "ENDSECTION"
}

# --- the network: the default recipe (two namespaces, one veth pair, IPv6 off, static neighbours) ---
# must CMD...: runs CMD; on failure a FAIL line names the command and its error.
must() {
  "$@" 2>/tmp/must.err && return 0
  fail "'$*' failed: $(head -c 300 /tmp/must.err)"
  return 1
}

net_up() {
  [ -e /run/netns/$NS_RX ] && return 0
  grep -q '^veth ' /proc/modules || must insmod /lab/veth.ko || return 1
  must ip netns add $NS_TX && must ip netns add $NS_RX || return 1
  must ip link add $DEV_TX address $MAC_TX type veth peer name $DEV_RX address $MAC_RX || return 1
  must ip link set $DEV_TX netns $NS_TX && must ip link set $DEV_RX netns $NS_RX || return 1
  for ns in $NS_TX $NS_RX; do
    # IPv6 off before links come up: no DAD/MLD frames in the hist or the XSK.
    must ip netns exec $ns sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 &&
                                  echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6' || return 1
    must ip -n $ns link set lo up || return 1
  done
  must ip -n $NS_TX addr add $IP_TX/24 dev $DEV_TX && must ip -n $NS_RX addr add $IP_RX/24 dev $DEV_RX || return 1
  must ip -n $NS_TX link set $DEV_TX up && must ip -n $NS_RX link set $DEV_RX up || return 1
  must ip -n $NS_TX neigh replace $IP_RX lladdr $MAC_RX dev $DEV_TX nud permanent &&
    must ip -n $NS_RX neigh replace $IP_TX lladdr $MAC_TX dev $DEV_RX nud permanent
}

# net_down: remove the pair (deleting a namespace deletes the veth end inside it). Used to reset a
# device setting that outlives its NAPI instances (e.g. /sys/class/net/DEV/threaded).
net_down() {
  ip netns del $NS_TX 2>/dev/null
  ip netns del $NS_RX 2>/dev/null
  return 0
}

# --- copylab's tools, or the stand-in (only with --standin), or SKIP ---
# tool_path NAME: prints the binary's path; empty when absent.
tool_path() { [ -x /opt/copylab/bin/$1 ] && echo /opt/copylab/bin/$1; }

# --- the module ---
mod_load() {
  rmmod copyprobe 2>/dev/null
  # watch=: the experiment's lengths (payload, frame, frame without Ethernet) are always counted
  # exactly, however many other lengths a site sees.
  insmod /lab/copyprobe.ko watch=$LAB_SIZE,$((LAB_SIZE + 42)),$((LAB_SIZE + 28)) "$@" ||
    { fail "insmod copyprobe.ko $*: failed"; return 1; }
}
mod_unload() {
  rmmod copyprobe && pass "rmmod copyprobe: clean" || fail "rmmod copyprobe failed"
}
mod_reset() { echo reset > /proc/copyprobe; }
# cp_field SITE FIELD: one field of the counters ($CP_FILE: /proc/copyprobe, or a copy of it
# taken before the module was unloaded), e.g. cp_field COPY1 hits.
cp_field() {
  awk -v s="site=$1" -v f="$2" '$1 == s { for (i = 2; i <= NF; i++) { n = index($i, "=");
       if (substr($i, 1, n - 1) == f) print substr($i, n + 1) } }' "${CP_FILE:-/proc/copyprobe}"
}
# cp_len SITE LEN: how many hits of SITE copied exactly LEN bytes; "unknown" when LEN is not in
# the site's length table and the table overflowed (then a zero could hide in lens_other).
cp_len() {
  n=$(cp_field "$1" lens | tr ',' '\n' | awk -F: -v l="$2" '$1 == l { c = $2; f = 1 } END { if (f) print c }')
  if [ -n "$n" ]; then echo "$n"
  elif [ "$(cp_field "$1" lens_other)" = 0 ]; then echo 0
  else echo unknown
  fi
}
cp_attached() { [ "$(cp_field "$1" state)" = attached ]; }

# --- waiting without fixed sleeps ---
# wait_udp_port NS PORT: until a socket in NS is bound to PORT (max ~20 s).
wait_udp_port() {
  hex=$(printf '%04X' "$2") i=0
  while [ $i -lt 200 ]; do
    ip netns exec "$1" cat /proc/net/udp | awk '{print $2}' | grep -q ":$hex\$" && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
# wait_file FILE SECONDS: until FILE exists (the tools' --ready-file).
wait_file() {
  i=0
  while [ ! -e "$1" ] && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
  [ -e "$1" ]
}
# wait_pid PID SECONDS: wait for a background process; kill it after SECONDS. Returns its status.
wait_pid() {
  i=0
  while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
  if kill -0 "$1" 2>/dev/null; then kill "$1"; wait "$1"; return 124; fi
  wait "$1"
}

# --- ftrace hist triggers on net:netif_receive_skb, scoped to one process's exec..exit ---
# 6.1 calls the stack key "stacktrace"; >= 6.5 call it "common_stacktrace". Try the new name first.
hist_key() {
  ev=$TRACING/events/net/netif_receive_skb/trigger
  for k in common_stacktrace stacktrace; do
    if echo "hist:keys=$k:vals=len:pause" > $ev 2>/dev/null; then
      echo "!hist:keys=$k:vals=len:pause" > $ev
      echo $k
      return 0
    fi
  done
  return 1
}
# hist_arm KEY EXE COMM: the three triggers (paused hist, enable on exec, disable on exit).
hist_arm() {
  echo "hist:keys=$1:vals=len:sort=hitcount:pause" > $TRACING/events/net/netif_receive_skb/trigger &&
    echo "enable_hist:net:netif_receive_skb if filename==\"$2\"" > $TRACING/events/sched/sched_process_exec/trigger &&
    echo "disable_hist:net:netif_receive_skb if comm==\"$3\"" > $TRACING/events/sched/sched_process_exit/trigger
}
hist_disarm() {
  echo "!disable_hist:net:netif_receive_skb if comm==\"$3\"" > $TRACING/events/sched/sched_process_exit/trigger
  echo "!enable_hist:net:netif_receive_skb if filename==\"$2\"" > $TRACING/events/sched/sched_process_exec/trigger
  echo "!hist:keys=$1:vals=len:sort=hitcount:pause" > $TRACING/events/net/netif_receive_skb/trigger
}
hist_hits() { awk '/^ *Hits:/ { print $2 }' "$1"; }
# hist_len_sum FILE: sum of the len values over all entries (bytes seen at the event)
hist_len_sum() { awk '/^} hitcount:/ { s += $NF } END { print s + 0 }' "$1"; }

# dmesg_take FILE: the kernel messages since the last call, into FILE (and kept for the final
# check), so each experiment's samples are its own.
dmesg_take() {
  dmesg -c > "$1"
  cat "$1" >> /tmp/dmesg_all.txt
}

# --- final checks: module unloaded, dmesg clean ---
lab_final_checks() {
  grep -q '^copyprobe ' /proc/modules && { rmmod copyprobe || fail "final rmmod copyprobe failed"; }
  dmesg_take /tmp/dmesg_rest.txt
  cp /tmp/dmesg_all.txt /tmp/dmesg.txt
  section dmesg-copy-lines <<EOF
$(grep -E '\[(COPY[124]|XSK_[A-Z]+)\]|copyprobe:' /tmp/dmesg.txt | head -n 60)
EOF
  bad=$(grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:|kernel BUG' /tmp/dmesg.txt | head -n 5)
  if [ -n "$bad" ]; then
    fail "dmesg has BUG/WARNING/Oops: $(echo "$bad" | head -n1)"
  else
    pass "dmesg has no BUG/WARNING/Oops ($(wc -l < /tmp/dmesg.txt) lines)"
  fi
  section dmesg < /tmp/dmesg.txt
}
