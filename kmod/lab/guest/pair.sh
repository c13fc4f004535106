# shellcheck shell=sh
# One traffic run as a single process tree (so copylab's BPF cross-check can scope to it):
#   sh /lab/pair.sh socket COUNT | sh /lab/pair.sh native|generic COUNT
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
  *) exit 2 ;;
esac
[ $tx -eq 0 ] && [ $rx -eq 0 ]
