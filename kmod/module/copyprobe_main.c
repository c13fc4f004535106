// SPDX-License-Identifier: GPL-2.0
/*
 * copyprobe: kprobes at COPY1/COPY2/COPY4 (plain and checksumming copies), plus the AF_XDP
 * copy-mode sites.
 *
 * Rules: every pointer is checked before it is read, and struct
 * fields are read with get_kernel_nofault() so a bad pointer costs a skipped line, never an oops;
 * the iov_iter is never dereferenced (its contents are user memory descriptions we don't need);
 * there is no in_interrupt() filter (recv() runs in process context; the veth receive softirq runs
 * on behalf of the sending task and is attributed to it on purpose); printing is rate limited while
 * the counters stay exact.
 *
 * Parameters (read-only after load; reload to change):
 *   comm=a,b,c  count only tasks whose comm is in the list (empty: every task)
 *   pid=N       count only thread group N (0: any)
 *   burst=N     dmesg lines per second per site (0: none; counters still count)
 *   watch=a,b   copy lengths always counted exactly in the length table (up to 8), so "zero
 *               copies of N bytes" stays provable when a site sees many other lengths
 *   print_watched=1  print only calls whose length is watched (the payload lines, not the
 *               tools' own startup reads), so the rate limit is spent on the experiment
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/xdp.h>

#include "copyprobe.h"

#define MAX_COMMS 8

static char comm_param[MAX_COMMS * TASK_COMM_LEN];
module_param_string(comm, comm_param, sizeof(comm_param), 0444);
MODULE_PARM_DESC(comm, "comma-separated task names to count (empty: all tasks)");
static int pid_param;
module_param_named(pid, pid_param, int, 0444);
MODULE_PARM_DESC(pid, "thread group id to count (0: any)");
static int burst_param = 10;
module_param_named(burst, burst_param, int, 0444);
MODULE_PARM_DESC(burst, "dmesg lines per second per site (0: print nothing)");

static unsigned long long watch_param[COPYPROBE_NWATCH];
static int nwatch_param;
module_param_array_named(watch, watch_param, ullong, &nwatch_param, 0444);
MODULE_PARM_DESC(watch, "copy lengths always counted exactly (comma-separated, up to 8)");

static bool print_watched_param;
module_param_named(print_watched, print_watched_param, bool, 0444);
MODULE_PARM_DESC(print_watched, "print only calls whose length is in watch=");

static char comms[MAX_COMMS][TASK_COMM_LEN];
static int ncomms;

struct copyprobe_site copyprobe_sites[] = {
	{ .name = "COPY1", .kind = CP_COPY_FROM_ITER, .scope = CP_SCOPE_TASK,
	  .candidates = { "_copy_from_iter" },
	  .what = "user buffer -> kernel (udp_sendmsg -> ip_generic_getfrag)" },
	/* Without TX checksum offload udp_sendmsg copies while checksumming (net/ipv4/ip_output.c
	 * ip_generic_getfrag -> csum_and_copy_from_iter_full; a function in net/core/skbuff.c from
	 * 6.8 on, an inline around csum_and_copy_from_iter in lib/iov_iter.c before): COPY #1 then
	 * happens here instead of in _copy_from_iter. Same argument layout (to, bytes, ...). */
	{ .name = "COPY1_CSUM", .kind = CP_COPY_FROM_ITER, .scope = CP_SCOPE_TASK,
	  .candidates = { "csum_and_copy_from_iter_full", "csum_and_copy_from_iter" },
	  .what = "user buffer -> kernel while checksumming (no TX checksum offload)" },
	{ .name = "COPY2", .kind = CP_SKB_XMIT, .scope = CP_SCOPE_TASK,
	  .candidates = { "__dev_queue_xmit" },
	  .what = "skb handed to the device, socket path (len includes the Ethernet header)" },
	{ .name = "COPY4", .kind = CP_COPY_TO_ITER, .scope = CP_SCOPE_TASK,
	  .candidates = { "_copy_to_iter" },
	  .what = "kernel -> user buffer (udp_recvmsg -> copy_linear_skb)" },
	/* A datagram whose checksum was not verified before the copy is copied while checksumming
	 * (net/ipv4/udp.c udp_recvmsg -> skb_copy_and_csum_datagram_msg -> csum_and_copy_to_iter,
	 * net/core/datagram.c; lib/iov_iter.c before 6.8): COPY #4 then happens here. */
	{ .name = "COPY4_CSUM", .kind = CP_COPY_TO_ITER, .scope = CP_SCOPE_TASK,
	  .candidates = { "csum_and_copy_to_iter" },
	  .what = "kernel -> user buffer while checksumming (checksum not verified before the copy)" },
	{ .name = "XSK_TX", .kind = CP_SKB_STORE_BITS, .scope = CP_SCOPE_TASK,
	  .candidates = { "skb_store_bits" },
	  .what = "UMEM -> skb, AF_XDP copy-mode transmit (xsk_build_skb, inlined into __xsk_generic_xmit)" },
	{ .name = "XSK_XMIT", .kind = CP_SKB_XMIT, .scope = CP_SCOPE_TASK,
	  .candidates = { "__dev_direct_xmit" },
	  .what = "skb handed to the device, AF_XDP copy-mode path (bypasses the qdisc)" },
	{ .name = "XSK_RX", .kind = CP_XSK_RCV, .scope = CP_SCOPE_ALL,
	  .candidates = { "__xsk_rcv", "xsk_rcv" },
	  .what = "xdp_buff -> UMEM, AF_XDP copy-mode receive (every task: may run in ksoftirqd)" },
	{ .name = "XDP_COW", .kind = CP_SKB_COPY_BITS, .scope = CP_SCOPE_ALL,
	  .candidates = { "skb_copy_bits" },
	  .what = "skb -> page, veth native XDP when the skb lacks XDP headroom (every task; "
		  "skb_copy_bits has other callers: read the length table)" },
	{ .name = "XDP_EXPAND", .kind = CP_SKB_EXPAND, .scope = CP_SCOPE_ALL,
	  .candidates = { "pskb_expand_head" },
	  .what = "skb head reallocated and copied, generic XDP headroom (every task; "
		  "pskb_expand_head has other callers: read the length table)" },
};
const size_t copyprobe_nsites = ARRAY_SIZE(copyprobe_sites);

static bool task_selected(void)
{
	int i;

	if (pid_param && task_tgid_nr(current) != pid_param)
		return false;
	if (!ncomms)
		return true;
	for (i = 0; i < ncomms; i++)
		if (strncmp(current->comm, comms[i], TASK_COMM_LEN) == 0)
			return true;
	return false;
}

/* Reads skb->data, skb->len and skb->dev->name without trusting any of the pointers. */
static void read_skb(const struct sk_buff *skb, void **data, u32 *len, char name[IFNAMSIZ])
{
	struct net_device *dev = NULL;
	unsigned char *head_data = NULL;

	*data = NULL;
	*len = 0;
	strscpy(name, "?", IFNAMSIZ);
	if (!skb)
		return;
	if (!get_kernel_nofault(head_data, &skb->data))
		*data = head_data;
	if (get_kernel_nofault(*len, &skb->len))
		*len = 0;
	if (get_kernel_nofault(dev, &skb->dev) || !dev)
		return;
	if (copy_from_kernel_nofault(name, dev->name, IFNAMSIZ))
		strscpy(name, "?", IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
}

static int copyprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct copyprobe_site *site = container_of(p, struct copyprobe_site, kp);
	bool print;
	char dev[IFNAMSIZ];
	void *a = NULL, *b = NULL;
	u32 skb_len;
	u64 len = 0;

	atomic64_inc(&site->calls);
	if (site->scope == CP_SCOPE_TASK && !task_selected())
		return 0;

	/* Only registers are read up front; memory is read below, each pointer checked first. */
	switch (site->kind) {
	case CP_COPY_FROM_ITER:
	case CP_COPY_TO_ITER:
		a = (void *)regs->di;
		len = (u64)regs->si;
		break;
	case CP_SKB_XMIT:
		read_skb((const struct sk_buff *)regs->di, &a, &skb_len, dev);
		len = skb_len;
		break;
	case CP_SKB_STORE_BITS: {
		u32 ignored;
		char ignored_dev[IFNAMSIZ];

		a = (void *)regs->dx;  /* from: the UMEM frame */
		len = (u64)(int)regs->cx;
		read_skb((const struct sk_buff *)regs->di, &b, &ignored, ignored_dev);
		if (b)
			b = (char *)b + (int)regs->si;
		break;
	}
	case CP_SKB_COPY_BITS: {
		u32 ignored;
		char ignored_dev[IFNAMSIZ];

		read_skb((const struct sk_buff *)regs->di, &a, &ignored, ignored_dev);
		if (a)
			a = (char *)a + (int)regs->si;
		b = (void *)regs->dx;  /* to */
		len = (u64)(int)regs->cx;
		break;
	}
	case CP_SKB_EXPAND:
		read_skb((const struct sk_buff *)regs->di, &a, &skb_len, dev);
		len = skb_len;
		break;
	case CP_XSK_RCV: {
		const struct xdp_buff *xdp = (const struct xdp_buff *)regs->si;
		void *end = NULL;

		a = NULL;

		if (xdp && !get_kernel_nofault(a, &xdp->data) &&
		    !get_kernel_nofault(end, &xdp->data_end) && a && end >= a)
			len = (u64)((char *)end - (char *)a);
		break;
	}
	}

	copyprobe_count(site, len);
	print = burst_param > 0 && (!print_watched_param || copyprobe_watched(len)) &&
		__ratelimit(&site->rs);
	if (!print)
		return 0;
	atomic64_inc(&site->printed);
	switch (site->kind) {
	case CP_COPY_FROM_ITER:
		pr_info("[%s] PID=%d comm=%s dest=%px len=%llu\n", site->name, task_tgid_nr(current),
			current->comm, a, len);
		break;
	case CP_COPY_TO_ITER:
		pr_info("[%s] PID=%d comm=%s src=%px len=%llu\n", site->name, task_tgid_nr(current),
			current->comm, a, len);
		break;
	case CP_SKB_XMIT:
		pr_info("[%s] dev=%s skb_data=%px skb_len=%llu\n", site->name, dev, a, len);
		break;
	case CP_SKB_STORE_BITS:
		pr_info("[%s] PID=%d comm=%s umem=%px skb_data=%px len=%llu\n", site->name,
			task_tgid_nr(current), current->comm, a, b, len);
		break;
	case CP_XSK_RCV:
		pr_info("[%s] PID=%d comm=%s xdp_data=%px len=%llu\n", site->name,
			task_tgid_nr(current), current->comm, a, len);
		break;
	case CP_SKB_COPY_BITS:
		pr_info("[%s] PID=%d comm=%s skb_data=%px dest=%px len=%llu\n", site->name,
			task_tgid_nr(current), current->comm, a, b, len);
		break;
	case CP_SKB_EXPAND:
		pr_info("[%s] PID=%d comm=%s dev=%s skb_data=%px skb_len=%llu nhead=%d\n", site->name,
			task_tgid_nr(current), current->comm, dev, a, len, (int)regs->si);
		break;
	}
	return 0;
}

/* "a,b,c" -> comms[]; names longer than a comm are truncated the way the kernel truncates comm. */
static int parse_comms(void)
{
	static char list[sizeof(comm_param)];  /* strsep edits it; the parameter stays readable */
	char *cursor = list, *tok;

	strscpy(list, comm_param, sizeof(list));
	while ((tok = strsep(&cursor, ",")) != NULL) {
		if (!*tok)
			continue;
		if (ncomms == MAX_COMMS) {
			pr_err("copyprobe: more than %d names in comm=\n", MAX_COMMS);
			return -EINVAL;
		}
		strscpy(comms[ncomms++], tok, TASK_COMM_LEN);
	}
	return 0;
}

static void attach_site(struct copyprobe_site *site)
{
	int i;

	ratelimit_state_init(&site->rs, HZ, burst_param > 0 ? burst_param : 1);
	ratelimit_set_flags(&site->rs, RATELIMIT_MSG_ON_RELEASE);
	site->register_err = -ENOENT;
	for (i = 0; i < COPYPROBE_NCANDIDATES && site->candidates[i]; i++) {
		memset(&site->kp, 0, sizeof(site->kp));
		site->kp.symbol_name = site->candidates[i];
		site->kp.pre_handler = copyprobe_pre;
		site->register_err = register_kprobe(&site->kp);
		if (site->register_err == 0) {
			site->attached = true;
			return;
		}
	}
	site->kp.symbol_name = NULL;
}

static char filter_desc[sizeof(comm_param) + 64];

static int __init copyprobe_init(void)
{
	size_t i, nattached = 0;
	int err;

	snprintf(filter_desc, sizeof(filter_desc), "comm=%s pid=%d burst=%d",
		 comm_param[0] ? comm_param : "(any)", pid_param, burst_param);
	err = parse_comms();
	if (err)
		return err;
	copyprobe_set_watch((const u64 *)watch_param, nwatch_param);
	for (i = 0; i < copyprobe_nsites; i++) {
		attach_site(&copyprobe_sites[i]);
		nattached += copyprobe_sites[i].attached;
	}
	if (!nattached) {
		pr_err("copyprobe: no probe could be registered (kprobes disabled?)\n");
		return -ENOENT;
	}
	err = copyprobe_proc_init(filter_desc);
	if (err)
		goto unregister;
	pr_info("copyprobe: loaded, %s, %zu/%zu sites attached\n", filter_desc, nattached,
		copyprobe_nsites);
	return 0;

unregister:
	for (i = 0; i < copyprobe_nsites; i++)
		if (copyprobe_sites[i].attached)
			unregister_kprobe(&copyprobe_sites[i].kp);
	return err;
}

static void __exit copyprobe_exit(void)
{
	size_t i;

	copyprobe_proc_exit();
	for (i = 0; i < copyprobe_nsites; i++) {
		struct copyprobe_site *site = &copyprobe_sites[i];

		if (!site->attached)
			continue;
		unregister_kprobe(&site->kp);
		pr_info("copyprobe: %s %s hits=%lld bytes=%lld nmissed=%lu\n", site->name,
			site->kp.symbol_name, (long long)atomic64_read(&site->hits),
			(long long)atomic64_read(&site->bytes), site->kp.nmissed);
	}
	pr_info("copyprobe: unloaded\n");
}

module_init(copyprobe_init);
module_exit(copyprobe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("copylab: kprobes on the UDP socket and AF_XDP copy sites, exact counters");
