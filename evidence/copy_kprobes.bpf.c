// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Exact counts at the copy functions themselves (kprobes as BPF programs): kprobes on
 * _copy_from_iter (COPY #1), _copy_to_iter (COPY #4), skb_store_bits on AF_XDP skbs (UMEM -> skb)
 * and __xsk_rcv (xdp_buff -> UMEM). Where the copy function cannot be probed (notrace), the C++
 * side attaches the same program to the `call` instructions that reach it; the registers hold the
 * copy's arguments there as well.
 * Scoped like cross_check.bpf.c, with its scope maps (the C++ side shares their fds), except that
 * AF_XDP copies are attributed by socket (scope_xsk_set), not by the task the CPU had. Arguments are
 * read from registers only (PT_REGS_PARM*); kernel memory only with CO-RE probe reads after a NULL
 * check; the iov_iter is never read. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "evidence/copy_kprobes_abi.h"
#include "evidence/scope_maps.bpf.h"

/* Socket syscall numbers of this architecture (set from <sys/syscall.h> before load). */
const volatile long send_nrs[CL_KP_NSYSCALLS] = {-1, -1, -1};
const volatile long recv_nrs[CL_KP_NSYSCALLS] = {-1, -1, -1};
const volatile long xsk_nrs[CL_KP_NXSK_SYSCALLS] = {-1, -1, -1, -1, -1, -1, -1};

/* AF_XDP sockets of the scoped processes (struct sock addresses), recorded when one of them makes
 * a socket call on it (every AF_XDP socket is bound by its owner before it receives anything).
 * The receive copy runs in a softirq on whatever task the CPU had: the sender's syscall, the
 * receiver, or ksoftirqd when the softirq work was deferred (kernel/softirq.c, __do_softirq's
 * restart limit). So with a pid scope the socket, not the current task, says whether a copy
 * belongs to the experiment. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, CL_KP_MAX_XSKS);
  __type(key, __u64);
  __type(value, __u8);
} scope_xsk_set SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CL_KP_COUNT);
  __type(key, __u32);
  __type(value, struct cl_counter);
} kp_ledger SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, CL_KP_MAX_LENS);
  __type(key, struct cl_kp_len_key);
  __type(value, __u64);
} kp_lens SEC(".maps");

static __always_inline void count_copy(__u32 line, __u64 len)
{
  struct cl_counter *c = bpf_map_lookup_elem(&kp_ledger, &line);
  if (!c)
    return;
  c->count += 1; /* per-CPU slot */
  c->bytes += len;
  struct cl_kp_len_key key = {.line = line, .len = (__u32)len};
  __u64 *n = bpf_map_lookup_elem(&kp_lens, &key);
  if (!n) {
    __u64 zero = 0;
    bpf_map_update_elem(&kp_lens, &key, &zero, BPF_NOEXIST);
    n = bpf_map_lookup_elem(&kp_lens, &key);
    if (!n)
      return; /* table full: the line's count and bytes stay exact, the length table does not */
  }
  __sync_fetch_and_add(n, 1);
}

/* Copies made by the task itself (user <-> kernel): its pid and/or its network namespace. */
static __always_inline bool task_in_scope(struct task_struct *task)
{
  if (scope_pids && !pid_in_scope(current_tgid()))
    return false;
  if (scope_netns) {
    if (!task)
      return false;
    return netns_in_scope(BPF_CORE_READ(task, nsproxy, net_ns));
  }
  return true;
}

/* Copies made for an AF_XDP socket (possibly in a softirq on another task's time): the socket's
 * namespace when one is scoped; else, with a pid scope, a socket the scoped processes used
 * (scope_xsk_set) or a copy made on a scoped task's time (a socket bound before the run). */
static __always_inline bool xsk_in_scope(const struct sock *sk)
{
  if (!sk)
    return false;
  if (scope_netns)
    return netns_in_scope(BPF_CORE_READ(sk, __sk_common.skc_net.net));
  if (scope_pids) {
    __u64 key = (__u64)sk;
    return bpf_map_lookup_elem(&scope_xsk_set, &key) != NULL || pid_in_scope(current_tgid());
  }
  return true;
}

/* The system call the current task is in (its user registers), -1 when unknown. */
static __always_inline long current_syscall(struct task_struct *task)
{
  if (!task)
    return -1;
  struct pt_regs *uregs = (struct pt_regs *)bpf_task_pt_regs(task);
  if (!uregs)
    return -1;
#if defined(__TARGET_ARCH_x86)
  return (long)BPF_CORE_READ(uregs, orig_ax);
#else
  return -1;
#endif
}

static __always_inline bool in_syscalls(long nr, const volatile long *nrs, int n)
{
  if (nr < 0)
    return false;
  for (int i = 0; i < n; i++)
    if (nrs[i] == nr)
      return true;
  return false;
}

/* The socket behind the current syscall's first argument (the fd of bind/sendto/sendmsg/
 * recv*...), NULL when it cannot be read. Only called for socket syscalls, whose first argument
 * is a socket fd. Every step is a checked probe read:
 * task->files->fdt->fd[fd]->private_data (a struct socket for socket files)->sk. */
static __always_inline struct sock *syscall_sock(struct task_struct *task)
{
  if (!task)
    return NULL;
  struct pt_regs *uregs = (struct pt_regs *)bpf_task_pt_regs(task);
  if (!uregs)
    return NULL;
#if defined(__TARGET_ARCH_x86)
  long fd = (long)BPF_CORE_READ(uregs, di);
#else
  long fd = -1;
#endif
  struct files_struct *files = BPF_CORE_READ(task, files);
  if (!files || fd < 0)
    return NULL;
  struct fdtable *fdt = BPF_CORE_READ(files, fdt);
  if (!fdt || fd >= (long)BPF_CORE_READ(fdt, max_fds))
    return NULL;
  struct file **fds = BPF_CORE_READ(fdt, fd);
  struct file *file = NULL;
  if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
    return NULL;
  struct socket *sock = (struct socket *)BPF_CORE_READ(file, private_data);
  if (!sock)
    return NULL;
  return BPF_CORE_READ(sock, sk);
}

static __always_inline __u16 sock_family(const struct sock *sk)
{
  return sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : 0;
}

/* _copy_from_iter(void *to, size_t bytes, struct iov_iter *i) and _copy_to_iter(const void *from,
 * size_t bytes, struct iov_iter *i): only `bytes` is read. On 6.1 the requested size is what the
 * copy functions return too (the copy may stop short at a fault; the syscall then fails).
 * COPY #1/#4 are the copies made inside a socket send/receive syscall on an AF_INET/AF_INET6
 * socket; every other call (netlink replies, pipes, getrandom...) goes to the `elsewhere` line. */
static __always_inline void count_iter_copy(struct pt_regs *ctx, __u32 in_socket_call,
                                            __u32 elsewhere, const volatile long *nrs)
{
  struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
  if (!task_in_scope(task))
    return;
  __u64 bytes = (__u64)PT_REGS_PARM2(ctx);
  bool datagram = false;
  if (in_syscalls(current_syscall(task), nrs, CL_KP_NSYSCALLS)) {
    __u16 family = sock_family(syscall_sock(task));
    datagram = family == CL_AF_INET || family == CL_AF_INET6;
  }
  count_copy(datagram ? in_socket_call : elsewhere, bytes);
}

SEC("kprobe")
int cl_kp_copy_from_iter(struct pt_regs *ctx)
{
  count_iter_copy(ctx, CL_KP_COPY1, CL_KP_COPY1_OTHER, send_nrs);
  return 0;
}

SEC("kprobe")
int cl_kp_copy_to_iter(struct pt_regs *ctx)
{
  count_iter_copy(ctx, CL_KP_COPY4, CL_KP_COPY4_OTHER, recv_nrs);
  return 0;
}

/* skb_store_bits(struct sk_buff *skb, int offset, const void *from, int len): counted when the skb
 * belongs to an AF_XDP socket (xsk_build_skb allocated it with sock_alloc_send_skb), i.e. the
 * copy-mode transmit copy from UMEM; other callers (netfilter, tc's bpf_skb_store_bytes) are not. */
SEC("kprobe")
int cl_kp_skb_store_bits(struct pt_regs *ctx)
{
  const struct sk_buff *skb = (const struct sk_buff *)PT_REGS_PARM1(ctx);
  if (!skb)
    return 0;
  const struct sock *sk = BPF_CORE_READ(skb, sk);
  if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != CL_AF_XDP)
    return 0;
  if (!xsk_in_scope(sk))
    return 0;
  int len = (int)PT_REGS_PARM4(ctx);
  count_copy(CL_KP_XSK_TX, len > 0 ? (__u64)len : 0);
  return 0;
}

/* __xsk_rcv(struct xdp_sock *xs, struct xdp_buff *xdp, ...): the copy-mode receive into UMEM
 * (the zero-copy path is __xsk_rcv_zc). The length is the xdp_buff's linear data. */
SEC("kprobe")
int cl_kp_xsk_rcv(struct pt_regs *ctx)
{
  const struct xdp_sock *xs = (const struct xdp_sock *)PT_REGS_PARM1(ctx);
  const struct xdp_buff *xdp = (const struct xdp_buff *)PT_REGS_PARM2(ctx);
  if (!xs || !xdp)
    return 0;
  if (!xsk_in_scope(&xs->sk))
    return 0;
  const unsigned char *data = BPF_CORE_READ(xdp, data);
  const unsigned char *end = BPF_CORE_READ(xdp, data_end);
  count_copy(CL_KP_XSK_RX, data && end > data ? (__u64)(end - data) : 0);
  return 0;
}

/* A socket call of a scoped process on an AF_XDP socket: remember the socket (scope_xsk_set).
 * Attached only with a pid scope; cheap for every other syscall (a constant compare first). */
SEC("tp_btf/sys_enter")
int BPF_PROG(cl_kp_sys_enter, struct pt_regs *regs, long id)
{
  if (!scope_pids || !in_syscalls(id, xsk_nrs, CL_KP_NXSK_SYSCALLS))
    return 0;
  if (!pid_in_scope(current_tgid()))
    return 0;
  struct sock *sk = syscall_sock((struct task_struct *)bpf_get_current_task_btf());
  if (sock_family(sk) != CL_AF_XDP)
    return 0;
  __u64 key = (__u64)sk;
  __u8 one = 1;
  bpf_map_update_elem(&scope_xsk_set, &key, &one, BPF_ANY);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
