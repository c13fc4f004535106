/* The ABI between copy_kprobes.bpf.c (kprobes on the copy functions themselves) and the C++ side.
 * C-compatible and fixed-width only. Shares cl_u32/cl_u64 with cross_check_abi.h. */
#ifndef COPYLAB_TRACE_COPY_KPROBES_ABI_H
#define COPYLAB_TRACE_COPY_KPROBES_ABI_H

#include "evidence/cross_check_abi.h"

/* One slot per kprobe ledger line in the per-CPU `kp_ledger` array. */
enum cl_kp_line {
  CL_KP_COPY1 = 0,     /* _copy_from_iter in a send syscall on an INET socket: COPY #1 */
  CL_KP_COPY1_OTHER,   /* _copy_from_iter elsewhere (netlink, pipes, console...) */
  CL_KP_COPY4,         /* _copy_to_iter in a receive syscall on an INET socket: COPY #4 */
  CL_KP_COPY4_OTHER,   /* _copy_to_iter elsewhere (netlink replies, getrandom...) */
  CL_KP_XSK_TX,        /* skb_store_bits into an AF_XDP socket's skb: UMEM -> skb */
  CL_KP_XSK_RX,        /* __xsk_rcv: xdp_buff -> UMEM */
  CL_KP_COUNT
};

/* Exact copy lengths per line: how many calls copied `len` bytes (the module's length table). */
struct cl_kp_len_key {
  cl_u32 line;
  cl_u32 len;
};

#define CL_KP_MAX_LENS 2048
#define CL_KP_NSYSCALLS 3 /* send: sendto, sendmsg, sendmmsg; receive: recvfrom, recvmsg, recvmmsg */
/* Socket calls that name an AF_XDP socket by its fd in the first argument: bind, setsockopt,
 * getsockopt, sendto, recvfrom, sendmsg, recvmsg. */
#define CL_KP_NXSK_SYSCALLS 7
#define CL_KP_MAX_XSKS 256

#endif
