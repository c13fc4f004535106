/* Shared between steer.bpf.c and the loader: indexes of the steering program's per-CPU counters. */
#ifndef COPYLAB_XDP_STEER_ABI_H
#define COPYLAB_XDP_STEER_ABI_H

enum steer_counter {
  STEER_REDIRECTED = 0,   /* UDP to the experiment's port, handed to bpf_redirect_map */
  STEER_NO_XSK = 1,       /* experiment's port, but no socket on this queue: passed */
  STEER_OTHER_PORT = 2,   /* IPv4/UDP to another port: passed */
  STEER_NOT_UDP = 3,      /* not IPv4/UDP (ARP, IPv6, TCP, ICMP, fragments): passed */
  STEER_TRUNCATED = 4,    /* headers cut short (parse failure): passed */
  STEER_COUNTER_MAX = 5,
};

#endif
