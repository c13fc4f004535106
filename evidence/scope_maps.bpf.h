// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The experiment's scope as the BPF programs see it: which processes (tgids) and which network
 * namespaces (inode numbers) belong to it. cross_check.bpf.c and copy_kprobes.bpf.c both include
 * this, so their maps have the same names and layout and the C++ side shares one set of fds
 * between the two objects. Include after vmlinux.h and the libbpf headers. */
#pragma once

#define CL_AF_INET 2
#define CL_AF_INET6 10
#define CL_AF_XDP 44

/* Load-time configuration (set by the C++ side between open() and load()). */
const volatile bool scope_pids = false;
const volatile bool scope_netns = false;

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8192);
  __type(key, __u32); /* tgid */
  __type(value, __u8);
} scope_pid_set SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32); /* netns inode number */
  __type(value, __u8);
} scope_netns_set SEC(".maps");

static __always_inline __u32 current_tgid(void)
{
  return (__u32)(bpf_get_current_pid_tgid() >> 32);
}

static __always_inline bool pid_in_scope(__u32 tgid)
{
  return bpf_map_lookup_elem(&scope_pid_set, &tgid) != NULL;
}

static __always_inline bool netns_in_scope(struct net *net)
{
  if (!net)
    return false;
  __u32 inum = BPF_CORE_READ(net, ns.inum);
  return bpf_map_lookup_elem(&scope_netns_set, &inum) != NULL;
}
