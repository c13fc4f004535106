/* Shared between steer.bpf.c and the loader: indexes of the steering program's per-CPU counters
 * and the layout of the optional RX timestamp it puts in the XDP metadata area. */
#ifndef COPYLAB_XDP_STEER_ABI_H
#define COPYLAB_XDP_STEER_ABI_H

enum steer_counter {
  STEER_REDIRECTED = 0,   /* UDP to the experiment's port, handed to bpf_redirect_map */
  STEER_NO_XSK = 1,       /* experiment's port, but no socket on this queue: passed */
  STEER_OTHER_PORT = 2,   /* IPv4/UDP to another port: passed */
  STEER_NOT_UDP = 3,      /* not IPv4/UDP (ARP, IPv6, TCP, ICMP, fragments): passed */
  STEER_TRUNCATED = 4,    /* headers cut short (parse failure): passed */
  STEER_META_STAMPED = 5, /* RX timestamps on: stamp written into the metadata area */
  STEER_META_REFUSED = 6, /* RX timestamps on: bpf_xdp_adjust_meta failed (driver without
                             metadata support) or the area failed the bounds check: redirected
                             without a stamp */
  STEER_COUNTER_MAX = 7,
};

/* What the program puts right in front of the frame's data when RX timestamps are on
 * (bpf_xdp_adjust_meta(-sizeof)); AF_XDP copy mode copies it into the UMEM frame in front of the
 * packet. rx_ns sits directly before the data; magic tells a real stamp from whatever stale bytes
 * a reused UMEM frame holds there (the reader also clears the area after reading it). */
struct steer_rx_meta {
  unsigned long long magic;  /* STEER_RX_META_MAGIC */
  unsigned long long rx_ns;  /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) at the XDP hook */
};
#define STEER_RX_META_MAGIC 0x636c2d7273746d70ULL /* "cl-rstmp" */

#endif
