// SPDX-License-Identifier: GPL-2.0
/*
 * copyprobe's exact counters and /proc/copyprobe: one line per site, readable at any time; writing
 * "reset" zeroes them (do it while no traffic runs: a concurrent hit may land before or after).
 *
 * Line format (key=value, space separated, stable for scripts):
 *   site=COPY1 symbol=_copy_from_iter scope=task state=attached calls=N hits=N bytes=N printed=N
 *   suppressed=N nmissed=N lens=200:1000,32:2 lens_other=0
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "copyprobe.h"

static const char *filter_line;
static u64 watch[COPYPROBE_NWATCH];
static int nwatch;

/* Seeds every site's length table with the watched lengths (count 0). */
static void seed_lens(void)
{
	size_t s;
	int i;

	for (s = 0; s < copyprobe_nsites; s++)
		for (i = 0; i < nwatch; i++)
			atomic64_set(&copyprobe_sites[s].len_key[i], (s64)watch[i] + 1);
}

bool copyprobe_watched(u64 len)
{
	int i;

	for (i = 0; i < nwatch; i++)
		if (watch[i] == len)
			return true;
	return false;
}

void copyprobe_set_watch(const u64 *lens, int n)
{
	int i;

	nwatch = n < COPYPROBE_NWATCH ? n : COPYPROBE_NWATCH;
	for (i = 0; i < nwatch; i++)
		watch[i] = lens[i];
	seed_lens();
}

/* Remembers up to COPYPROBE_NLENS distinct lengths exactly, lock-free. */
static void count_len(struct copyprobe_site *site, u64 len)
{
	s64 key = (s64)len + 1;
	int i;

	for (i = 0; i < COPYPROBE_NLENS; i++) {
		s64 cur = atomic64_read(&site->len_key[i]);

		if (cur == 0) {
			cur = atomic64_cmpxchg(&site->len_key[i], 0, key);
			if (cur == 0)
				cur = key;
		}
		if (cur == key) {
			atomic64_inc(&site->len_count[i]);
			return;
		}
	}
	atomic64_inc(&site->lens_other);
}

void copyprobe_count(struct copyprobe_site *site, u64 len)
{
	atomic64_inc(&site->hits);
	atomic64_add((s64)len, &site->bytes);
	count_len(site, len);
}

void copyprobe_reset(void)
{
	size_t s;
	int i;

	for (s = 0; s < copyprobe_nsites; s++) {
		struct copyprobe_site *site = &copyprobe_sites[s];

		atomic64_set(&site->calls, 0);
		atomic64_set(&site->hits, 0);
		atomic64_set(&site->bytes, 0);
		atomic64_set(&site->printed, 0);
		atomic64_set(&site->lens_other, 0);
		for (i = 0; i < COPYPROBE_NLENS; i++) {
			atomic64_set(&site->len_count[i], 0);
			atomic64_set(&site->len_key[i], 0);
		}
		site->nmissed_base = site->attached ? site->kp.nmissed : 0;
	}
	seed_lens();
}

static void show_site(struct seq_file *m, struct copyprobe_site *site)
{
	s64 hits = atomic64_read(&site->hits), printed = atomic64_read(&site->printed);
	const char *sep = "";
	int i;

	seq_printf(m, "site=%s symbol=%s scope=%s state=", site->name,
		   site->attached ? site->kp.symbol_name : site->candidates[0],
		   site->scope == CP_SCOPE_TASK ? "task" : "all");
	if (site->attached)
		seq_puts(m, "attached");
	else
		seq_printf(m, "unavailable(err=%d)", site->register_err);
	seq_printf(m, " calls=%lld hits=%lld bytes=%lld printed=%lld suppressed=%lld nmissed=%lu lens=",
		   (long long)atomic64_read(&site->calls), (long long)hits,
		   (long long)atomic64_read(&site->bytes), (long long)printed,
		   (long long)(hits - printed),
		   site->attached ? site->kp.nmissed - site->nmissed_base : 0UL);
	for (i = 0; i < COPYPROBE_NLENS; i++) {
		s64 key = atomic64_read(&site->len_key[i]);

		if (!key)
			continue;
		seq_printf(m, "%s%lld:%lld", sep, (long long)(key - 1),
			   (long long)atomic64_read(&site->len_count[i]));
		sep = ",";
	}
	if (!*sep)
		seq_putc(m, '-');
	seq_printf(m, " lens_other=%lld\n", (long long)atomic64_read(&site->lens_other));
}

static int copyprobe_show(struct seq_file *m, void *v)
{
	size_t s;

	seq_printf(m, "# copyprobe %s\n", filter_line);
	for (s = 0; s < copyprobe_nsites; s++)
		show_site(m, &copyprobe_sites[s]);
	return 0;
}

static int copyprobe_open(struct inode *inode, struct file *file)
{
	return single_open(file, copyprobe_show, NULL);
}

static ssize_t copyprobe_write(struct file *file, const char __user *ubuf, size_t len, loff_t *off)
{
	char cmd[8] = {};

	if (len == 0 || len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	if (strncmp(cmd, "reset", 5) != 0)
		return -EINVAL;
	copyprobe_reset();
	return (ssize_t)len;
}

static const struct proc_ops copyprobe_proc_ops = {
	.proc_open = copyprobe_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = copyprobe_write,
};

int copyprobe_proc_init(const char *filter_desc)
{
	filter_line = filter_desc;
	return proc_create("copyprobe", 0644, NULL, &copyprobe_proc_ops) ? 0 : -ENOMEM;
}

void copyprobe_proc_exit(void)
{
	remove_proc_entry("copyprobe", NULL);
}
