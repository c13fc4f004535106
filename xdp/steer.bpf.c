// SPDX-License-Identifier: GPL-2.0
/* copylab's steering program: IPv4/UDP to the experiment's destination port goes to the AF_XDP
 * socket bound to this RX queue (XSKMAP); everything else continues to the kernel stack. */
#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp/steer_abi.h"

#define IP_MF_OFFSET 0x3fff

/* Set by the loader before load (network byte order is done here, not by the caller). */
const volatile __u16 dst_port = 9999;

/* Runtime switch (.bss, written by user space through the skeleton's mmap after load): when
 * non-zero, frames steered to the socket carry a struct steer_rx_meta in the XDP metadata area.
 * Off by default, so a throughput run pays one load and a not-taken branch per steered frame. */
__u32 stamp_rx = 0;

struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u32);
} xsks_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, STEER_COUNTER_MAX);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which) {
  __u64 *v = bpf_map_lookup_elem(&counters, &which);
  if (v) *v += 1; /* per-CPU slot: no atomics needed */
}

/* Puts `now` into the metadata area in front of the packet. adjust_meta invalidates every packet
 * pointer, so the area is re-derived from ctx and bounds-checked against the new data pointer. */
static __always_inline void stamp_meta(struct xdp_md *ctx, __u64 now) {
  if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct steer_rx_meta)) != 0) {
    count(STEER_META_REFUSED);
    return;
  }
  void *data = (void *)(long)ctx->data;
  struct steer_rx_meta *m = (void *)(long)ctx->data_meta;
  if ((void *)(m + 1) > data) {
    count(STEER_META_REFUSED);
    return;
  }
  m->magic = STEER_RX_META_MAGIC;
  m->rx_ns = now;
  count(STEER_META_STAMPED);
}

SEC("xdp")
int copylab_steer(struct xdp_md *ctx) {
  /* Read once (user space may flip it mid-frame); the clock first: the stamp is the time the
   * frame reached the hook, not the time parsing ended. */
  const __u32 stamping = stamp_rx;
  const __u64 now = stamping ? bpf_ktime_get_ns() : 0;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) {
    count(STEER_TRUNCATED);
    return XDP_PASS;
  }
  if (eth->h_proto != bpf_htons(0x0800)) {
    count(STEER_NOT_UDP);
    return XDP_PASS;
  }
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) {
    count(STEER_TRUNCATED);
    return XDP_PASS;
  }
  if (ip->protocol != IPPROTO_UDP || (ip->frag_off & bpf_htons(IP_MF_OFFSET)) != 0) {
    count(STEER_NOT_UDP);
    return XDP_PASS;
  }
  const __u32 ihl_bytes = (__u32)ip->ihl * 4;
  if (ihl_bytes < sizeof(*ip)) {
    count(STEER_TRUNCATED);
    return XDP_PASS;
  }
  struct udphdr *udp = (void *)ip + ihl_bytes;
  if ((void *)(udp + 1) > data_end) {
    count(STEER_TRUNCATED);
    return XDP_PASS;
  }
  if (udp->dest != bpf_htons(dst_port)) {
    count(STEER_OTHER_PORT);
    return XDP_PASS;
  }
  if (stamping) stamp_meta(ctx, now);
  /* XDP_PASS as the fallback action: no socket on this queue → the stack gets it. */
  const long action = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
  count(action == XDP_REDIRECT ? STEER_REDIRECTED : STEER_NO_XSK);
  return (int)action;
}

char LICENSE[] SEC("license") = "GPL";
