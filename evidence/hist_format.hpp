// Stack-trace histograms in the ftrace `hist` trigger format, so a reader of hist output
// (`hist:keys=common_stacktrace:vals=len` on net:netif_receive_skb) recognises them:
//   { common_stacktrace:
//            __netif_receive_skb_one_core+0x3c/0xa0
//            ...
//   } hitcount:         40  len:       3160
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace copylab::trace {

struct HistEntry {
  std::vector<std::string> frames;  // innermost first, "func+0xoff/0xsize"
  std::uint64_t hitcount = 0;
  std::uint64_t len = 0;
};

struct StackHistogram {
  std::string event;                          // "net:netif_receive_skb"
  std::string key_name = "common_stacktrace"; // "stacktrace" on kernels before 6.5
  bool has_len = true;                        // xdp:xdp_redirect has no len field
  std::string source;                         // "bpf" or "tracefs hist trigger"
  std::string scope;                          // how events were attributed to the experiment
  std::vector<HistEntry> entries;
  std::uint64_t dropped = 0;                  // stacks the kernel could not store
  // 1: every event's stack (exact hitcounts); N > 1: one event in N per CPU, so hitcounts count
  // the sampled events only (multiply by N for an estimate of all of them).
  std::uint32_t sample_every = 1;

  std::uint64_t total_hits() const;
  // Sorts by hitcount, ascending, as ftrace prints (largest last, next to the Totals).
  void sort();
};

// The text ftrace prints for `cat .../hist`, including the header and the Totals block.
std::string format_hist(const StackHistogram& h);

// The inverse, for the kernel's own output: each "{ <key>:" block's frames, its hitcount and len
// (when the trigger sums len), the key's name and the Totals' Dropped. `hits_reported` gets the
// Totals' "Hits:" (the kernel's own total; -1 when the text has no Totals block).
StackHistogram parse_hist(const std::string& text, const std::string& event,
                          std::int64_t* hits_reported = nullptr);

// True if some entry's frames contain every name of `chain` in that order, innermost first
// (e.g. {"__dev_queue_xmit", "ip_finish_output2", "udp_sendmsg"}). Names match the function
// part of a frame ("udp_sendmsg+0x..." matches "udp_sendmsg").
bool hist_has_chain(const StackHistogram& h, const std::vector<std::string>& chain);

// Summed hitcount of the entries of `h` whose stack contains `frames` as one contiguous run
// (ftrace cuts its stacks at 16 frames and names module frames "veth_poll+0x6c/0x1ba [veth]";
// the module suffix is ignored). Matches a kernel hist entry to copylab's BPF entries.
std::uint64_t hits_with_stack(const StackHistogram& h, const std::vector<std::string>& frames);

// The function name of a frame ("udp_sendmsg+0xb7e/0xf20" → "udp_sendmsg").
std::string frame_function(const std::string& frame);

nlohmann::json to_json(const StackHistogram& h);

}  // namespace copylab::trace
