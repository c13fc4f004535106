// The kernel floor of a ping-pong: answers the experiment's UDP port with XDP_TX from the
// driver's receive path, so no user space (and no socket) runs on the far side.
// xdp_pass_through is the program the *peer* veth needs: XDP_TX into a veth only delivers when
// the peer has a native XDP program (veth_xdp_xmit in drivers/net/veth.c needs the peer's XDP to be enabled).
#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp/reflect_abi.h"

#define ETH_P_IP_BE bpf_htons(0x0800)
#define IP_MF_OFFSET_MASK 0x3fff
#define ETH_ALEN 6

const volatile __u16 reflect_port = 9999; /* host byte order, set before load */

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, REFLECT_COUNTER_MAX);
  __type(key, __u32);
  __type(value, __u64);
} reflect_counters SEC(".maps");

static __always_inline void count(__u32 slot) {
  __u64 *c = bpf_map_lookup_elem(&reflect_counters, &slot);
  if (c) *c += 1;
}

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != ETH_P_IP_BE) goto pass;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP) goto pass;
  if (ip->frag_off & bpf_htons(IP_MF_OFFSET_MASK)) goto pass;
  struct udphdr *udp = (void *)(ip + 1);
  if ((void *)(udp + 1) > end || udp->dest != bpf_htons(reflect_port)) goto pass;

  __u8 mac[ETH_ALEN];
  __builtin_memcpy(mac, eth->h_source, ETH_ALEN);
  __builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
  __builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
  /* Swapping source and destination leaves the IPv4 header sum unchanged. */
  __be32 addr = ip->saddr;
  ip->saddr = ip->daddr;
  ip->daddr = addr;
  __be16 port = udp->source;
  udp->source = udp->dest;
  udp->dest = port;
  /* A socket sender on veth leaves CHECKSUM_PARTIAL frames: the field holds only the
   * pseudo-header sum, which the receiving stack would reject. 0 = "no checksum" (IPv4). */
  udp->check = 0;
  count(REFLECT_TX);
  return XDP_TX;

pass:
  count(REFLECT_PASS);
  return XDP_PASS;
}

SEC("xdp")
int xdp_pass_through(struct xdp_md *ctx) {
  (void)ctx;
  count(REFLECT_PEER_PASS);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
