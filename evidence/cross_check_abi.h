/* The ABI between cross_check.bpf.c and the C++ side: map keys/values and event ids.
 * C-compatible and fixed-width only, so both compilers see the same layout. */
#ifndef COPYLAB_TRACE_CROSS_CHECK_ABI_H
#define COPYLAB_TRACE_CROSS_CHECK_ABI_H

#ifdef __cplusplus
#include <cstdint>
typedef std::uint8_t cl_u8;
typedef std::uint16_t cl_u16;
typedef std::uint32_t cl_u32;
typedef std::int32_t cl_s32;
typedef std::uint64_t cl_u64;
#else
typedef __u8 cl_u8;
typedef __u16 cl_u16;
typedef __u32 cl_u32;
typedef __s32 cl_s32;
typedef __u64 cl_u64;
#endif

/* One slot per ledger line in the per-CPU `ledger` array map. */
enum cl_ledger_event {
  CL_EV_SEND_INET = 0,     /* sock:sock_send_length AF_INET/AF_INET6, ret > 0: COPY #1 */
  CL_EV_SEND_XDP,          /* sock:sock_send_length AF_XDP: TX kick, copies no user bytes */
  CL_EV_SEND_OTHER,        /* other families (netlink...), ret > 0 */
  CL_EV_SEND_ERR,          /* any family, ret < 0 */
  CL_EV_RECV_INET,         /* sock:sock_recv_length AF_INET/AF_INET6, ret > 0: COPY #4 */
  CL_EV_RECV_XDP,          /* AF_XDP recvmsg (a wakeup, no copy) */
  CL_EV_RECV_OTHER,
  CL_EV_RECV_ERR,          /* ret < 0: EAGAIN of a spinning receiver, ... */
  CL_EV_DEV_QUEUE,         /* net:net_dev_queue */
  CL_EV_DEV_START_XMIT,    /* net:net_dev_start_xmit */
  CL_EV_NETIF_RECEIVE_SKB, /* net:netif_receive_skb */
  CL_EV_XDP_REDIRECT_XSK,  /* xdp:xdp_redirect into an XSKMAP, err == 0: precedes __xsk_rcv's copy */
  CL_EV_XDP_REDIRECT_OTHER,
  CL_EV_XDP_REDIRECT_ERR,  /* xdp:xdp_redirect with err != 0 */
  CL_EV_CONSUME_SKB,       /* skb:consume_skb (per location in `skb_locations`) */
  CL_EV_KFREE_SKB,         /* skb:kfree_skb: drops (per location in `skb_locations`) */
  CL_EV_SAMPLES,           /* perf cpu-clock samples taken (all CPUs, unscoped) */
  CL_EV_SAMPLES_USER,      /* samples that hit user mode (no kernel stack) */
  CL_EV_STACK_ERR,         /* bpf_get_stackid failed (map full / collision) */
  CL_EV_COUNT
};

struct cl_counter {
  cl_u64 count;
  cl_u64 bytes;
};

/* Scope keys held in the program's read-only data (compared in registers, no map lookup per
 * event): at most this many network namespaces, devices and ports. */
#define CL_MAX_SCOPE_NETNS 4
#define CL_MAX_SCOPE_IFINDEX 8
#define CL_MAX_SCOPE_PORTS 8

/* Kernel functions whose consume_skb calls are counted exactly (a per-CPU slot each, keyed by the
 * function's address range); frees elsewhere are recorded on a sample. */
#define CL_MAX_WATCHED_FREES 4

/* System calls: the scope's first CL_MAX_SYSCALL_TGIDS processes are counted in a per-CPU array
 * (slot * CL_SYSCALL_NRS + syscall number; numbers past the table share its last slot); others
 * (forked children, or tasks of the scoped namespaces) in the `syscalls` hash. */
#define CL_MAX_SYSCALL_TGIDS 8
#define CL_SYSCALL_NRS 512

/* raw_syscalls:sys_enter per process and syscall number (the hash). */
struct cl_syscall_key {
  cl_u32 tgid;
  cl_u32 id;
};

/* A kernel stack as bpf_get_stack() writes it: return addresses, innermost first, the unused
 * tail zeroed (kernel/bpf/stackmap.c, __bpf_get_stack). 127 is perf_event_max_stack's default. */
#define CL_STACK_DEPTH 127
struct cl_stack {
  cl_u64 ips[CL_STACK_DEPTH];
};

/* Stack histogram key: which event, which stack. The whole stack is the key, so two stacks never
 * share an entry (a BPF_MAP_TYPE_STACK_TRACE map keys by a hash bucket: a second stack that lands
 * in an occupied bucket gets -EEXIST on every event, and its hits are lost). */
enum cl_hist_event {
  CL_HIST_NETIF_RECEIVE_SKB = 0,
  CL_HIST_NET_DEV_START_XMIT = 1,
  CL_HIST_XDP_REDIRECT = 2,
  CL_HIST_COUNT
};

struct cl_hist_key {
  cl_u32 event;
  cl_u32 pad; /* zero: part of the hashed key */
  struct cl_stack stack;
};

struct cl_hist_val {
  cl_u64 hitcount;
  cl_u64 len;
};

/* skb:consume_skb / skb:kfree_skb location → count. */
struct cl_location_key {
  cl_u64 location;
  cl_u32 event; /* CL_EV_CONSUME_SKB or CL_EV_KFREE_SKB */
  cl_u32 reason; /* kfree_skb drop reason, 0 for consume */
};

/* cpu-clock samples per kernel stack: all of them, and those taken while the current task was
 * in the experiment's scope (its pids, or a task in its network namespaces). */
struct cl_sample_val {
  cl_u64 all;
  cl_u64 scoped;
};

/* Where a payload was seen in a kernel buffer (virtual addresses). */
enum cl_sample_where { CL_WHERE_DEV_QUEUE = 0, CL_WHERE_NETIF_RECEIVE_SKB = 1 };

#define CL_MAX_PAYLOAD_SAMPLES 64
#define CL_PAYLOAD_MAGIC 0x424C5043u /* packet/payload.hpp kPayloadMagic, "CPLB" */

struct cl_payload_sample {
  cl_u64 seq;
  cl_u64 skb;
  cl_u64 head;
  cl_u64 data;
  cl_u64 payload; /* kernel VA of the payload header */
  cl_u32 len;     /* skb->len */
  cl_u32 ifindex;
  cl_u32 tgid;    /* current task (the sender's syscall on veth) */
  cl_u32 where;   /* enum cl_sample_where */
};

#endif
