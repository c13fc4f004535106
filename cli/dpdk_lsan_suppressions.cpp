// LeakSanitizer's suppressions for the DPDK tools only (linked into dpdk_sender/dpdk_receiver, not
// into any other program). With Debian's DPDK 22.11.11 and libxdp 1.3, one 80-byte block that
// libxdp's xsk_umem__create allocated for the net_af_xdp PMD is still held at exit, after
// rte_eth_dev_close and rte_eal_cleanup: the PMD owns that UMEM object and copylab never sees it
// (measured: `dpdk_sender --count 100` under ASan, "Direct leak of 80 byte(s) ... xsk_umem__create").
// copylab's own UMEM code (umem/) is checked by the AF_XDP tools, which suppress nothing.
extern "C" __attribute__((used, visibility("default"))) const char* __lsan_default_suppressions() {
  return "leak:xsk_umem__create\n";
}
