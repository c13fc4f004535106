# shellcheck shell=sh
# One traffic run as a single process tree (so copylab's BPF cross-check can scope to it):
#   sh /lab/pair.sh socket COUNT | sh /lab/pair.sh native|generic|native-threaded COUNT
# native-threaded: native XDP with the receiving veth's NAPI in its own kthread (threaded NAPI), so
# every receive copy runs on that kthread's time, outside the pair's process tree. It leaves the
# device's `threaded` setting on: the caller recreates the pair afterwards (net_down; net_up).
# Receiver in the background, sender, wait for the receiver. Exit status: non-zero if either failed.
. /lab/config
. /lab/lib.sh
. /lab/tools.sh
EXP=${EXP:-pair} SIZE=$LAB_SIZE
case $1 in
  socket)
    sock_tools_select >/dev/null || exit 3
    sock_rx_start "$2" /tmp/pair_rx.out || exit 1
    sock_tx "$2" /tmp/pair_tx.out; tx=$?
    wait_pid "$SOCK_RX_PID" 60; rx=$?
    ;;
  native | generic)
    xdp_tools_select >/dev/null || exit 3
    xdp_rx_start "$1" "$2" /tmp/pair_rx.out || exit 1
    xdp_tx "$1" "$2" /tmp/pair_tx.out; tx=$?
    wait_pid "$XDP_RX_PID" 60; rx=$?
    ;;
  native-threaded)
    xdp_tools_select >/dev/null || exit 3
    xdp_rx_start native "$2" /tmp/pair_rx.out || exit 1
    # veth has a NAPI instance once XDP is attached; writing `threaded` needs one (net-sysfs.c).
    if ! ip netns exec $NS_RX sh -c "echo 1 > /sys/class/net/$DEV_RX/threaded" 2>/tmp/pair_threaded.err; then
      kill "$XDP_RX_PID" 2>/dev/null; wait "$XDP_RX_PID"
      exit 4
    fi
    xdp_tx native "$2" /tmp/pair_tx.out; tx=$?
    wait_pid "$XDP_RX_PID" 60; rx=$?
    ;;
  *) exit 2 ;;
esac
[ $tx -eq 0 ] && [ $rx -eq 0 ]
