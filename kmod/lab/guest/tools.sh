# shellcheck shell=sh
# How the experiments run copylab's traffic tools (the only file that knows their options).
# Senders run in $NS_TX bound to $DEV_TX, receivers in $NS_RX on $DEV_RX: traffic never leaves the pair.
# Tool output goes to files in /tmp (tmpfs): console writes would themselves be COPY1 calls.

# json_received FILE: result.received from a tool's JSON (keys are sorted, so the first "received"
# after "result":{ is the run's own count, not the validator's).
json_received() {
  if command -v jq >/dev/null; then jq -r '.result.received // empty' "$1" 2>/dev/null; return; fi
  sed 's/.*"result":{//' "$1" 2>/dev/null | grep -o '"received": *[0-9]*' | head -n1 | grep -o '[0-9]*$'
}
json_sent() {
  if command -v jq >/dev/null; then jq -r '.result.sent // empty' "$1" 2>/dev/null; return; fi
  sed 's/.*"result":{//' "$1" 2>/dev/null | grep -o '"sent": *[0-9]*' | head -n1 | grep -o '[0-9]*$'
}

# Sets SOCK_TX_EXE/SOCK_RX_EXE/SOCK_TX_COMM/SOCK_COMMS/TAG, or SKIPs and returns 1.
sock_tools_select() {
  SOCK_TX_EXE=$(tool_path sock_sender) SOCK_RX_EXE=$(tool_path sock_receiver) TAG=
  if [ -n "$SOCK_TX_EXE" ] && [ -n "$SOCK_RX_EXE" ]; then
    SOCK_TX_COMM=sock_sender SOCK_COMMS=sock_sender,sock_receiver SOCK_STANDIN=0
  elif [ "$LAB_STANDIN" = 1 ]; then
    SOCK_TX_EXE=/lab/standin/udpx SOCK_RX_EXE=/lab/standin/udpx SOCK_TX_COMM=udpx SOCK_COMMS=udpx
    SOCK_STANDIN=1 TAG="[stand-in]"
    info "sock_sender/sock_receiver not in --bin-dir: using the stand-in udpx (--standin)"
  else
    skip "sock_sender/sock_receiver not in --bin-dir (give --bin-dir <build>/bin)"
    return 1
  fi
}

# sock_rx_start COUNT OUT: receiver in the background (SOCK_RX_PID), returns once it is bound.
sock_rx_start() {
  rm -f /tmp/rx.ready
  if [ "$SOCK_STANDIN" = 1 ]; then
    ip netns exec $NS_RX $SOCK_RX_EXE recv --dev $DEV_RX --dst-port $PORT --count "$1" \
      --timeout-ms 300000 --idle-ms 3000 --ready-file /tmp/rx.ready > "$2" 2>&1 &
  else
    ip netns exec $NS_RX $SOCK_RX_EXE --dev $DEV_RX --dst-ip $IP_RX --dst-port $PORT --size "$SIZE" --count "$1" \
      --idle-timeout 3 --no-per-second --ready-file /tmp/rx.ready --json "$2.json" > "$2" 2>&1 &
  fi
  SOCK_RX_PID=$!
  wait_file /tmp/rx.ready 20 || { fail "receiver never became ready: $(tail -n 3 "$2")"; return 1; }
}

# sock_tx COUNT OUT: sends COUNT datagrams of $SIZE bytes; returns the sender's status.
sock_tx() {
  if [ "$SOCK_STANDIN" = 1 ]; then
    ip netns exec $NS_TX $SOCK_TX_EXE send --dev $DEV_TX --dst-ip $IP_RX --dst-port $PORT \
      --size "$SIZE" --count "$1" > "$2" 2>&1
  else
    ip netns exec $NS_TX $SOCK_TX_EXE --dev $DEV_TX --src-ip $IP_TX --dst-ip $IP_RX --dst-port $PORT --size "$SIZE" \
      --count "$1" --json "$2.json" > "$2" 2>&1
  fi
}

sock_rx_received() {
  if [ "$SOCK_STANDIN" = 1 ]; then
    sed -n 's/^received=\([0-9]*\).*/\1/p' "$1"
  else
    json_received "$1.json"
  fi
}

# AF_XDP: no stand-in (the point is copylab's own AF_XDP datapath). Sets XDP_* or SKIPs.
xdp_tools_select() {
  XDP_TX_EXE=$(tool_path xdp_sender) XDP_RX_EXE=$(tool_path xdp_receiver) TAG=
  if [ -z "$XDP_TX_EXE" ] || [ -z "$XDP_RX_EXE" ]; then
    skip "xdp_sender/xdp_receiver not in --bin-dir (give --bin-dir <build>/bin)"
    return 1
  fi
  XDP_TX_COMM=xdp_sender XDP_COMMS=xdp_sender,xdp_receiver
}

# XDP_BIND: copy or zero-copy passes --copy / --zero-copy to both tools (unset: the tools' default).
# xdp_rx_start MODE COUNT OUT
xdp_rx_start() {
  rm -f /tmp/rx.ready
  # --wait poll: with one vCPU a spinning receiver would starve the sender.
  ip netns exec $NS_RX $XDP_RX_EXE --dev $DEV_RX --mode "$1" ${XDP_RX_BIND:-${XDP_BIND:+--$XDP_BIND}} --wait poll --dst-port $PORT --size "$SIZE" \
    --count "$2" --idle-timeout 3 --no-per-second --ready-file /tmp/rx.ready \
    --json "$3.json" > "$3" 2>&1 &
  XDP_RX_PID=$!
  # XDP_RX_REFUSAL_OK=1: a receiver that exited before it was ready (e.g. a refused bind) returns 2
  # with no FAIL line: the caller asserts the refusal itself.
  i=0
  while [ "${XDP_RX_REFUSAL_OK:-0}" = 1 ] && [ ! -e /tmp/rx.ready ] && [ $i -lt 300 ]; do
    kill -0 "$XDP_RX_PID" 2>/dev/null || { wait "$XDP_RX_PID"; return 2; }
    sleep 0.1; i=$((i + 1))
  done
  wait_file /tmp/rx.ready 30 || { fail "xdp_receiver never became ready: $(tail -n 3 "$3")"; return 1; }
}

# xdp_tx MODE COUNT OUT
xdp_tx() {
  ip netns exec $NS_TX $XDP_TX_EXE --dev $DEV_TX --mode "$1" ${XDP_TX_BIND:-${XDP_BIND:+--$XDP_BIND}} --wait poll --src-mac $MAC_TX --dst-mac $MAC_RX \
    --src-ip $IP_TX --dst-ip $IP_RX --dst-port $PORT --size "$SIZE" --count "$2" $XDP_TX_EXTRA \
    --json "$3.json" > "$3" 2>&1
}
