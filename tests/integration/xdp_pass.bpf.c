// A foreign XDP program for tests: "someone else's" program that copylab must not replace.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int someone_elses_pass(struct xdp_md *ctx) { return XDP_PASS; }

char LICENSE[] SEC("license") = "GPL";
