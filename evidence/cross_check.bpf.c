// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The in-kernel cross-check: exact counts at the tracepoints that mark each copy, kernel stacks at
 * the path markers (stack-trace histograms), payload addresses in kernel buffers, and cpu-clock
 * stack samples (copy sites). Everything is scoped to the experiment (netns / pids / ifindex /
 * ports) except the cpu-clock samples, which are machine-wide by nature and labelled so.
 *
 * Cost: the programs run for every event of their tracepoint on the machine, so the per-event path
 * is kept minimal. Scope keys are compared against read-only data first (netns inode, ifindex,
 * port: registers, no map lookup); the pid set (a hash) is consulted only for socket events and
 * only after the netns matched; exact counts are per-CPU array slots. Whatever costs more per
 * event (a kernel stack walk, a hash update for a free location) is done for one event in
 * `stack_every` / `free_every` only, and the C++ side reports that rate with the numbers.
 *
 * The tp_btf arguments are BTF pointers: fields are read directly (the JIT turns each load into a
 * fault-safe one), after a NULL check of every pointer. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "evidence/cross_check_abi.h"
#include "evidence/scope_maps.bpf.h"

/* Load-time configuration (set by the C++ side between open() and load()). */
const volatile bool scope_ifindex = false;
const volatile bool scope_ports = false;
const volatile bool follow_forks = true;
const volatile bool hist_enabled = true;
const volatile bool payload_samples_enabled = true;
const volatile __u32 n_netns = 0;
const volatile __u32 netns_inums[CL_MAX_SCOPE_NETNS] = {};
const volatile __u32 n_ifindex = 0;
const volatile __u32 ifindexes[CL_MAX_SCOPE_IFINDEX] = {};
const volatile __u32 n_ports = 0;
const volatile __u16 ports[CL_MAX_SCOPE_PORTS] = {};
/* Sampling masks: an event is sampled when its per-CPU tick & mask is 0 (every 2^k-th event). */
const volatile __u32 stack_mask = 0;
const volatile __u32 free_mask = 0;
/* Kernel functions ([lo, hi) text ranges) whose consume_skb calls are counted exactly. */
const volatile __u32 n_watched = 0;
const volatile __u64 watched_lo[CL_MAX_WATCHED_FREES] = {};
const volatile __u64 watched_hi[CL_MAX_WATCHED_FREES] = {};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CL_EV_COUNT);
  __type(key, __u32);
  __type(value, struct cl_counter);
} ledger SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CL_MAX_WATCHED_FREES);
  __type(key, __u32);
  __type(value, __u64);
} watched_frees SEC(".maps");

/* Per-CPU event ticks that decide which events are sampled: one per histogram event, then one
 * for the free locations. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CL_HIST_COUNT + 1);
  __type(key, __u32);
  __type(value, __u32);
} ticks SEC(".maps");

/* The scope's first processes (0 = free slot), written by the C++ side while the programs run
 * (add_pid): matched by register compares; their system calls are counted in `syscall_counts`. */
__u32 scope_tgids[CL_MAX_SYSCALL_TGIDS] = {};
/* Set when a scoped process found no free slot: the pid set (hash) is consulted for the rest. */
bool scope_tgids_full = false;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CL_MAX_SYSCALL_TGIDS * CL_SYSCALL_NRS);
  __type(key, __u32);
  __type(value, __u64);
} syscall_counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, struct cl_syscall_key);
  __type(value, __u64);
} syscalls SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, struct cl_location_key);
  __type(value, __u64);
} skb_locations SEC(".maps");

/* Where a stack is written before it is looked up as a key: per CPU, one slot per histogram event
 * and one for the cpu-clock samples, so a program interrupted on its CPU by another (a softirq's
 * tracepoint, a cpu-clock sample) never has its half-built key overwritten. The same event nested
 * on one CPU is skipped by kernels that check tracing programs for recursion
 * (kernel/trace/bpf_trace.c, __bpf_trace_run); where it ran, the outer event would be counted
 * under the inner's stack: one stack misattributed, no hit lost. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CL_HIST_COUNT + 1);
  __type(key, __u32);
  __type(value, struct cl_hist_key);
} stack_scratch SEC(".maps");

/* Preallocated (the default): these are updated from tracepoints and perf events. A full map
 * loses the event's stack, never its count (CL_EV_STACK_ERR, reported with the histogram). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, struct cl_hist_key);
  __type(value, struct cl_hist_val);
} stack_hist SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8192);
  __type(key, struct cl_stack);
  __type(value, struct cl_sample_val);
} sample_counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2 * CL_MAX_PAYLOAD_SAMPLES);
  __type(key, __u32);
  __type(value, struct cl_payload_sample);
} payload_samples SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u32);
} payload_sample_next SEC(".maps");

static __always_inline void count_event(__u32 ev, __u64 bytes)
{
  struct cl_counter *c = bpf_map_lookup_elem(&ledger, &ev);
  if (!c)
    return;
  c->count += 1; /* per-CPU slot: no atomics needed */
  c->bytes += bytes;
}

static __always_inline void add_u64(void *map, const void *key, __u64 delta)
{
  __u64 *v = bpf_map_lookup_elem(map, key);
  if (!v) {
    __u64 zero = 0;
    bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
    v = bpf_map_lookup_elem(map, key);
    if (!v)
      return;
  }
  __sync_fetch_and_add(v, delta);
}

/* True for one event in (mask + 1) on this CPU: the tick slot counts every call. */
static __always_inline bool sampled(__u32 slot, __u32 mask)
{
  if (!mask)
    return true;
  __u32 *t = bpf_map_lookup_elem(&ticks, &slot);
  if (!t)
    return false;
  __u32 n = *t;
  *t = n + 1;
  return (n & mask) == 0;
}

static __always_inline bool netns_inum_in_scope(__u32 inum)
{
  for (__u32 i = 0; i < CL_MAX_SCOPE_NETNS; i++) {
    if (i >= n_netns)
      return false;
    if (netns_inums[i] == inum)
      return true;
  }
  return false;
}

static __always_inline bool net_in_scope(const struct net *net)
{
  if (!net)
    return false;
  return netns_inum_in_scope(net->ns.inum);
}

static __always_inline bool ifindex_in_scope(__u32 ifindex)
{
  for (__u32 i = 0; i < CL_MAX_SCOPE_IFINDEX; i++) {
    if (i >= n_ifindex)
      return false;
    if (ifindexes[i] == ifindex)
      return true;
  }
  return false;
}

static __always_inline bool port_in_scope(__u16 port)
{
  for (__u32 i = 0; i < CL_MAX_SCOPE_PORTS; i++) {
    if (i >= n_ports)
      return false;
    if (ports[i] == port)
      return true;
  }
  return false;
}

/* The scoped process `tgid`: its slot in scope_tgids (register compares), CL_MAX_SYSCALL_TGIDS
 * when it is in scope through the pid set only (a forked child, or past the slots), -1 when it
 * is not in scope. */
static __always_inline int tgid_slot(__u32 tgid)
{
  for (int i = 0; i < CL_MAX_SYSCALL_TGIDS; i++) {
    __u32 t = scope_tgids[i];
    if (t == 0)
      break;
    if (t == tgid)
      return i;
  }
  if ((follow_forks || scope_tgids_full) && pid_in_scope(tgid))
    return CL_MAX_SYSCALL_TGIDS;
  return -1;
}

/* A device event belongs to the experiment when its device does (netns and/or ifindex); when no
 * device scope is configured, when the current task is one of the experiment's (on veth the
 * receive softirq runs inside the sender's syscall). */
static __always_inline bool dev_in_scope(const struct net_device *dev)
{
  if (scope_netns || scope_ifindex) {
    if (!dev)
      return false;
    if (scope_netns && !net_in_scope(dev->nd_net.net))
      return false;
    if (scope_ifindex && !ifindex_in_scope(dev->ifindex))
      return false;
    return true;
  }
  if (scope_pids)
    return tgid_slot(current_tgid()) >= 0;
  return true;
}

static __always_inline bool skb_in_scope(const struct sk_buff *skb)
{
  if (!skb)
    return false;
  return dev_in_scope(skb->dev);
}

/* Cheapest key first: the socket's netns and ports (read-only data), then the pid set (a hash). */
static __always_inline bool sock_in_scope(const struct sock *sk, __u16 family)
{
  if (!sk)
    return false;
  if (scope_netns && !net_in_scope(sk->__sk_common.skc_net.net))
    return false;
  if (scope_ports && (family == CL_AF_INET || family == CL_AF_INET6)) {
    __u16 sport = sk->__sk_common.skc_num;
    __u16 dport = bpf_ntohs(sk->__sk_common.skc_dport);
    if (!port_in_scope(sport) && !port_in_scope(dport))
      return false;
  }
  if (scope_pids && tgid_slot(current_tgid()) < 0)
    return false;
  return true;
}

static __always_inline bool task_in_scope(void)
{
  if (scope_pids)
    return tgid_slot(current_tgid()) >= 0;
  if (scope_netns) {
    struct task_struct *task = bpf_get_current_task_btf();
    if (!task)
      return false;
    struct nsproxy *ns = task->nsproxy;
    if (!ns)
      return false;
    return net_in_scope(ns->net_ns);
  }
  return true;
}

/* The stack of one event in (stack_mask + 1) of this kind, on this CPU. */
static __always_inline void record_stack(void *ctx, __u32 event, __u64 len)
{
  if (!hist_enabled || !sampled(event, stack_mask))
    return;
  struct cl_hist_key *key = bpf_map_lookup_elem(&stack_scratch, &event);
  if (!key)
    return;
  key->event = event;
  key->pad = 0;
  if (bpf_get_stack(ctx, key->stack.ips, sizeof(key->stack.ips), 0) <= 0) {
    count_event(CL_EV_STACK_ERR, 0);
    return;
  }
  struct cl_hist_val *val = bpf_map_lookup_elem(&stack_hist, key);
  if (!val) {
    struct cl_hist_val zero = {};
    bpf_map_update_elem(&stack_hist, key, &zero, BPF_NOEXIST);
    val = bpf_map_lookup_elem(&stack_hist, key);
    if (!val) {
      count_event(CL_EV_STACK_ERR, 0); /* stack_hist full */
      return;
    }
  }
  __sync_fetch_and_add(&val->hitcount, 1);
  __sync_fetch_and_add(&val->len, len);
}

/* Finds copylab's payload header behind the IPv4/UDP headers and records where it lives (the
 * first CL_MAX_PAYLOAD_SAMPLES packets of each place; the bound is checked first). */
static __always_inline void record_payload(const struct sk_buff *skb, __u32 where)
{
  if (!payload_samples_enabled || !skb)
    return;
  __u32 slot_key = where;
  __u32 *next = bpf_map_lookup_elem(&payload_sample_next, &slot_key);
  if (!next || *next >= CL_MAX_PAYLOAD_SAMPLES)
    return;

  unsigned char *head = skb->head;
  __u16 nh = skb->network_header;
  if (!head || nh == (__u16)~0U)
    return;
  __u8 iph[20];
  if (bpf_probe_read_kernel(iph, sizeof(iph), head + nh))
    return;
  if ((iph[0] >> 4) != 4 || iph[9] != 17 /* UDP */)
    return;
  __u32 ihl = (iph[0] & 0x0f) * 4;
  if (ihl < 20)
    return;
  unsigned char *payload = head + nh + ihl + 8;
  struct {
    __u32 magic;
    __u8 version;
    __u8 flags;
    __u16 header_len;
    __u64 seq;
  } hdr;
  if (bpf_probe_read_kernel(&hdr, sizeof(hdr), payload))
    return;
  if (hdr.magic != CL_PAYLOAD_MAGIC)
    return;

  /* Not atomic (clang 14 without -mcpu=v3 cannot use the XADD result): two CPUs racing here may
   * write one slot twice, which loses a sample row, never a count. */
  __u32 idx = *next;
  if (idx >= CL_MAX_PAYLOAD_SAMPLES)
    return;
  *next = idx + 1;
  __u32 key = where * CL_MAX_PAYLOAD_SAMPLES + idx;
  struct cl_payload_sample *s = bpf_map_lookup_elem(&payload_samples, &key);
  if (!s)
    return;
  const struct net_device *dev = skb->dev;
  s->seq = hdr.seq;
  s->skb = (__u64)skb;
  s->head = (__u64)head;
  s->data = (__u64)skb->data;
  s->payload = (__u64)payload;
  s->len = skb->len;
  s->ifindex = dev ? dev->ifindex : 0;
  s->tgid = current_tgid();
  s->where = where;
}

/* --- following the experiment's process tree (the scope enable_hist/disable_hist triggers give a hist) --- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(cl_fork, struct task_struct *parent, struct task_struct *child)
{
  if (!scope_pids || !follow_forks || !parent || !child)
    return 0;
  __u32 ptgid = parent->tgid;
  if (tgid_slot(ptgid) < 0)
    return 0;
  __u32 ctgid = child->tgid;
  __u8 one = 1;
  bpf_map_update_elem(&scope_pid_set, &ctgid, &one, BPF_ANY);
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cl_exit, struct task_struct *p)
{
  if (!scope_pids || !follow_forks || !p)
    return 0;
  /* only the thread-group leader's exit ends the process */
  __u32 pid = p->pid;
  __u32 tgid = p->tgid;
  if (pid != tgid)
    return 0;
  bpf_map_delete_elem(&scope_pid_set, &tgid);
  return 0;
}

/* --- user <-> kernel copies --- */

/* sock_send_length and sock_recv_length classify the same way; only the event ids differ. */
static __always_inline void count_length(struct sock *sk, int ret, __u32 ev_err, __u32 ev_xdp,
                                         __u32 ev_inet, __u32 ev_other)
{
  if (!sk)
    return;
  __u16 family = sk->__sk_common.skc_family;
  if (!sock_in_scope(sk, family))
    return;
  if (ret < 0)
    count_event(ev_err, 0);
  else if (family == CL_AF_XDP)
    count_event(ev_xdp, (__u64)ret);
  else if (ret > 0 && (family == CL_AF_INET || family == CL_AF_INET6))
    count_event(ev_inet, (__u64)ret);
  else if (ret > 0)
    count_event(ev_other, (__u64)ret);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(cl_send_length, struct sock *sk, int ret, int flags)
{
  count_length(sk, ret, CL_EV_SEND_ERR, CL_EV_SEND_XDP, CL_EV_SEND_INET, CL_EV_SEND_OTHER);
  return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(cl_recv_length, struct sock *sk, int ret, int flags)
{
  count_length(sk, ret, CL_EV_RECV_ERR, CL_EV_RECV_XDP, CL_EV_RECV_INET, CL_EV_RECV_OTHER);
  return 0;
}

/* Every system call on the machine passes here while it is attached, so the scope check comes
 * first and is a few register compares for the listed processes; only a task outside the list
 * that may still be in scope (a forked child, or a task of a scoped namespace without a pid
 * scope) costs a hash lookup. */
SEC("tp_btf/sys_enter")
int BPF_PROG(cl_sys_enter, struct pt_regs *regs, long id)
{
  if (!scope_pids && !scope_netns)
    return 0; /* unscoped syscall counts would be the whole machine's: not collected */
  __u32 tgid = current_tgid();
  if (scope_pids) {
    int slot = tgid_slot(tgid);
    if (slot < 0)
      return 0;
    if (slot < CL_MAX_SYSCALL_TGIDS) {
      __u32 nr = id < 0 || id >= CL_SYSCALL_NRS ? CL_SYSCALL_NRS - 1 : (__u32)id;
      __u32 key = (__u32)slot * CL_SYSCALL_NRS + nr;
      __u64 *n = bpf_map_lookup_elem(&syscall_counts, &key);
      if (n)
        *n += 1; /* per-CPU slot */
      return 0;
    }
  } else if (!task_in_scope()) {
    return 0;
  }
  struct cl_syscall_key key = {.tgid = tgid, .id = (__u32)id};
  add_u64(&syscalls, &key, 1);
  return 0;
}

/* --- path markers (attached with stack histograms or payload samples) --- */

SEC("tp_btf/net_dev_queue")
int BPF_PROG(cl_dev_queue, struct sk_buff *skb)
{
  if (!skb_in_scope(skb))
    return 0;
  count_event(CL_EV_DEV_QUEUE, skb->len);
  record_payload(skb, CL_WHERE_DEV_QUEUE);
  return 0;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(cl_dev_start_xmit, const struct sk_buff *skb, const struct net_device *dev)
{
  if (!skb || !dev_in_scope(dev))
    return 0;
  __u32 len = skb->len;
  count_event(CL_EV_DEV_START_XMIT, len);
  record_stack(ctx, CL_HIST_NET_DEV_START_XMIT, len);
  return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(cl_netif_receive_skb, struct sk_buff *skb)
{
  if (!skb_in_scope(skb))
    return 0;
  __u32 len = skb->len;
  count_event(CL_EV_NETIF_RECEIVE_SKB, len);
  record_stack(ctx, CL_HIST_NETIF_RECEIVE_SKB, len);
  record_payload(skb, CL_WHERE_NETIF_RECEIVE_SKB);
  return 0;
}

SEC("tp_btf/xdp_redirect")
int BPF_PROG(cl_xdp_redirect, const struct net_device *dev, const struct bpf_prog *xdp,
             const void *tgt, int err, enum bpf_map_type map_type, __u32 map_id, __u32 index)
{
  if (!dev || !dev_in_scope(dev))
    return 0;
  if (err)
    count_event(CL_EV_XDP_REDIRECT_ERR, 0);
  else if (map_type == BPF_MAP_TYPE_XSKMAP)
    count_event(CL_EV_XDP_REDIRECT_XSK, 0);
  else
    count_event(CL_EV_XDP_REDIRECT_OTHER, 0);
  record_stack(ctx, CL_HIST_XDP_REDIRECT, 0);
  return 0;
}

/* The skb-free tracepoints changed their arguments over time (consume_skb got `location` in 6.3,
 * kfree_skb `reason` in 5.17): reading an argument the kernel's tracepoint lacks fails the
 * verifier, so each has variants and the C++ side autoloads the one this kernel's BTF matches.
 * consume_skb fires for every skb the machine frees: a location in a watched function is counted
 * exactly in its per-CPU slot, any other on a sample (free_mask); kfree_skb (drops, rare on a
 * healthy path) keeps every location. */
static __always_inline void count_skb_free(const struct sk_buff *skb, __u32 ev, void *location,
                                           __u32 reason)
{
  if (!skb_in_scope(skb))
    return;
  count_event(ev, skb->len);
  if (!location)
    return; /* the kernel's tracepoint has no location: counted, not attributed */
  __u64 loc = (__u64)location;
  if (ev == CL_EV_CONSUME_SKB) {
    for (__u32 i = 0; i < CL_MAX_WATCHED_FREES; i++) {
      if (i >= n_watched)
        break;
      if (loc >= watched_lo[i] && loc < watched_hi[i]) {
        __u32 slot = i;
        __u64 *n = bpf_map_lookup_elem(&watched_frees, &slot);
        if (n)
          *n += 1; /* per-CPU slot */
        return;
      }
    }
    if (!sampled(CL_HIST_COUNT, free_mask))
      return;
  }
  struct cl_location_key key = {.location = loc, .event = ev, .reason = reason};
  add_u64(&skb_locations, &key, 1);
}

SEC("tp_btf/consume_skb")
int BPF_PROG(cl_consume_skb, struct sk_buff *skb, void *location)
{
  count_skb_free(skb, CL_EV_CONSUME_SKB, location, 0);
  return 0;
}

SEC("tp_btf/consume_skb")
int BPF_PROG(cl_consume_skb_noloc, struct sk_buff *skb)
{
  count_skb_free(skb, CL_EV_CONSUME_SKB, NULL, 0);
  return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(cl_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
  count_skb_free(skb, CL_EV_KFREE_SKB, location, (__u32)reason);
  return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(cl_kfree_skb_noreason, struct sk_buff *skb, void *location)
{
  count_skb_free(skb, CL_EV_KFREE_SKB, location, 0);
  return 0;
}

/* --- copy-site sampling: cpu-clock perf events on every CPU --- */

SEC("perf_event")
int cl_sample(struct bpf_perf_event_data *ctx)
{
  count_event(CL_EV_SAMPLES, 0);
  __u32 slot = CL_HIST_COUNT;
  struct cl_hist_key *scratch = bpf_map_lookup_elem(&stack_scratch, &slot);
  if (!scratch)
    return 0;
  long n = bpf_get_stack(ctx, scratch->stack.ips, sizeof(scratch->stack.ips), 0);
  if (n == 0 || n == -14 /* EFAULT */) { /* interrupted user mode: no kernel stack */
    count_event(CL_EV_SAMPLES_USER, 0);
    return 0;
  }
  if (n < 0) {
    count_event(CL_EV_STACK_ERR, 0);
    return 0;
  }
  struct cl_sample_val *v = bpf_map_lookup_elem(&sample_counts, &scratch->stack);
  if (!v) {
    struct cl_sample_val zero = {};
    bpf_map_update_elem(&sample_counts, &scratch->stack, &zero, BPF_NOEXIST);
    v = bpf_map_lookup_elem(&sample_counts, &scratch->stack);
    if (!v) {
      count_event(CL_EV_STACK_ERR, 0); /* sample_counts full */
      return 0;
    }
  }
  __sync_fetch_and_add(&v->all, 1);
  if (task_in_scope())
    __sync_fetch_and_add(&v->scoped, 1);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
