#include "harness/run_evidence.hpp"

namespace copylab {

SyscallTally syscall_tally(const trace::CopyLedger& ledger, pid_t tgid) {
  SyscallTally t;
  t.pid = tgid;
  if (!ledger.syscalls_gap.empty()) {  // not counted in this run: null, not 0
    t.not_counted = ledger.syscalls_gap;
    return t;
  }
  std::uint64_t total = 0;
  for (const auto& s : ledger.syscalls) {
    if (s.tgid != tgid) continue;
    total += s.count;
    t.by_name[s.name] += s.count;
  }
  t.total = total;
  return t;
}

TraceRunEvidence stop_trace_run(std::unique_ptr<trace::CrossCheck>& check, pid_t sender,
                                pid_t receiver) {
  TraceRunEvidence ev;
  ev.result = check->stop();
  check.reset();
  ev.sender = syscall_tally(ev.result.ledger, sender);
  ev.receiver = syscall_tally(ev.result.ledger, receiver);
  return ev;
}

const SyscallTally* syscalls_of(const RunEvidence& e, bool sender) {
  const auto* t = std::get_if<TraceRunEvidence>(&e);
  if (t == nullptr) return nullptr;
  return sender ? &t->sender : &t->receiver;
}

nlohmann::json to_json(const SyscallTally& s) {
  nlohmann::json by_name = nlohmann::json::object();
  for (const auto& [name, n] : s.by_name) by_name[name] = n;
  return {{"pid", s.pid},
          {"total", s.total ? nlohmann::json(*s.total) : nlohmann::json(nullptr)},
          {"by_name", std::move(by_name)},
          {"not_counted", s.not_counted}};
}

nlohmann::json to_json(const RunEvidence& e) {
  if (const auto* t = std::get_if<TraceRunEvidence>(&e)) {
    nlohmann::json ev = trace::to_json(t->result);
    ev["syscalls"] = {{"sender", to_json(t->sender)}, {"receiver", to_json(t->receiver)}};
    ev["text"] = trace::format_cross_check(t->result);
    return ev;
  }
  if (const auto* m = std::get_if<ModuleRunEvidence>(&e)) {
    return {{"backend", "kmod"},
            {"module", m->module_path},
            {"params", m->params},
            {"counters", kmod::to_json(m->counters)},
            {"lines", m->lines}};
  }
  return nullptr;
}

}  // namespace copylab
