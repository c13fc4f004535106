/* Shared between reflect.bpf.c and the C++ loader: the per-CPU counter slots. */
#ifndef COPYLAB_LATENCY_REFLECT_ABI_H
#define COPYLAB_LATENCY_REFLECT_ABI_H

enum reflect_counter {
  REFLECT_TX = 0,      /* UDP to the experiment port, reflected with XDP_TX */
  REFLECT_PASS = 1,    /* anything else, left to the stack */
  REFLECT_PEER_PASS = 2, /* frames seen by the pass-through program on the peer device */
  REFLECT_COUNTER_MAX = 3,
};

#endif
