# shellcheck shell=sh
# What this guest kernel offers: the probe targets in kallsyms (one pass: each grep over kallsyms
# costs ~1 s under TCG), which AF_XDP copy functions are inlined, the hist stack key, copylab doctor.
awk '$3 ~ /^(_copy_from_iter|_copy_to_iter|__dev_queue_xmit|__dev_direct_xmit|skb_store_bits|__xsk_rcv|xsk_rcv|__xsk_rcv_zc|xsk_build_skb|xsk_copy_xdp|__xsk_generic_xmit|xsk_generic_rcv|__xsk_map_redirect|xsk_sendmsg|veth_xdp_rcv_skb|veth_convert_skb_to_xdp_buff|skb_pp_cow_data|pskb_expand_head|skb_copy_bits|do_xdp_generic)$/' /proc/kallsyms > /tmp/kallsyms.txt
section kallsyms < /tmp/kallsyms.txt
for s in _copy_from_iter _copy_to_iter __dev_queue_xmit __dev_direct_xmit skb_store_bits __xsk_rcv xsk_rcv xsk_build_skb xsk_copy_xdp __xsk_generic_xmit; do
  if grep -q " $s\$" /tmp/kallsyms.txt; then
    info "symbol $s: $(awk -v s="$s" '$3 == s { print $2; exit }' /tmp/kallsyms.txt) (probe-able)"
  else
    info "symbol $s: not in kallsyms (inlined into its caller, or absent in $(uname -r))"
  fi
done
key=$(hist_key) && info "hist triggers available; stack key on $(uname -r): $key" || fail "hist trigger on net:netif_receive_skb rejected"
[ -d /sys/kernel/debug/kprobes ] && pass "kprobes available (/sys/kernel/debug/kprobes)" || fail "no kprobes in this kernel"
if doctor=$(tool_path copylab); then
  $doctor doctor > /tmp/doctor.txt 2>&1
  rc=$?
  section copylab-doctor < /tmp/doctor.txt
  check "copylab doctor exit status" $rc -eq 0
  if command -v jq >/dev/null && $doctor doctor --json - --no-device > /tmp/doctor.json 2>/dev/null; then
    for cap in kprobes modules hist_triggers; do
      ok=$(jq -r --arg c $cap '.capabilities[$c].ok' /tmp/doctor.json)
      why=$(jq -r --arg c $cap '.capabilities[$c].evidence' /tmp/doctor.json)
      [ "$ok" = true ] && pass "copylab doctor: $cap available ($why)" || fail "copylab doctor: $cap not reported available on a kernel that has them: $why"
    done
    check "copylab doctor's hist stack key == the one the lab detected" "$(jq -r .hist_stack_key /tmp/doctor.json)" = "$key"
  else
    fail "copylab doctor --json - --no-device failed or jq missing"
  fi
else
  skip "copylab doctor: copylab binary not in --bin-dir"
fi
