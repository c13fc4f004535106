/* SPDX-License-Identifier: GPL-2.0 */
/*
 * copyprobe: kprobes on the kernel's data-copy sites of the UDP socket path and the AF_XDP copy-mode
 * path, with exact per-site counters (readable at any time in /proc/copyprobe) and rate-limited
 * dmesg lines ([COPY1] … one per copy, rate-limited). Shared declarations of copyprobe_main.c and copyprobe_stats.c.
 */
#ifndef COPYPROBE_H
#define COPYPROBE_H

#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/ratelimit.h>
#include <linux/types.h>

/* Distinct copy lengths remembered exactly per site; further lengths go to lens_other. The
 * lengths given in the watch= parameter are seeded first, so they are always counted exactly. */
#define COPYPROBE_NLENS 16
#define COPYPROBE_NWATCH 8
/* Candidate symbols per site, tried in order: the first one kallsyms has is probed. */
#define COPYPROBE_NCANDIDATES 3

enum copyprobe_kind {
	CP_COPY_FROM_ITER, /* (void *to, size_t bytes, struct iov_iter *i) */
	CP_COPY_TO_ITER,   /* (const void *from, size_t bytes, struct iov_iter *i) */
	CP_SKB_XMIT,       /* (struct sk_buff *skb, ...) */
	CP_SKB_STORE_BITS, /* (struct sk_buff *skb, int offset, const void *from, int len) */
	CP_XSK_RCV,        /* (struct xdp_sock *xs, struct xdp_buff *xdp) */
	CP_SKB_COPY_BITS,  /* (const struct sk_buff *skb, int offset, void *to, int len) */
	CP_SKB_EXPAND,     /* (struct sk_buff *skb, int nhead, int ntail, gfp_t gfp) */
};

/* Which calls count: only the filtered tasks', or every call (sites that run in softirq on behalf
 * of whichever task happens to be current, e.g. the copy into UMEM under ksoftirqd). */
enum copyprobe_scope { CP_SCOPE_TASK, CP_SCOPE_ALL };

struct copyprobe_site {
	const char *name; /* COPY1, COPY2, ... as printed in dmesg */
	enum copyprobe_kind kind;
	enum copyprobe_scope scope;
	const char *candidates[COPYPROBE_NCANDIDATES];
	const char *what; /* one line for the counters file */

	struct kprobe kp;
	bool attached;
	int register_err;
	struct ratelimit_state rs;

	atomic64_t calls; /* every call seen, before filtering */
	atomic64_t hits;  /* calls that passed the filter */
	atomic64_t bytes; /* sum of the copy length over hits */
	atomic64_t printed;
	atomic64_t len_key[COPYPROBE_NLENS]; /* length + 1; 0 = free slot */
	atomic64_t len_count[COPYPROBE_NLENS];
	atomic64_t lens_other;
	unsigned long nmissed_base;
};

extern struct copyprobe_site copyprobe_sites[];
extern const size_t copyprobe_nsites;

/* copyprobe_stats.c */
void copyprobe_count(struct copyprobe_site *site, u64 len);
void copyprobe_reset(void);
void copyprobe_set_watch(const u64 *lens, int n);
bool copyprobe_watched(u64 len);
int copyprobe_proc_init(const char *filter_desc);
void copyprobe_proc_exit(void);

#endif
