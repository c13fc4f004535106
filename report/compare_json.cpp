#include "report/compare_json.hpp"

#include <string_view>

namespace copylab {
namespace {

// A key renamed wherever it sits directly under an object (or array of objects) named `parent`.
struct Rename {
  std::string_view parent;
  std::string_view from;
  std::string_view to;
};

constexpr Rename kRenames[] = {
    // The tools' traffic and datapath mode (sender/receiver .traffic, .mode).
    {"traffic", "payload_size", "payload_bytes"},
    {"mode", "payload_size", "payload_bytes"},
    {"umem", "frame_size", "frame_bytes"},
    {"rings", "fill", "fill_entries"},
    {"rings", "completion", "completion_entries"},
    {"rings", "rx", "rx_entries"},
    {"rings", "tx", "tx_entries"},
    {"rcvbuf", "requested", "requested_bytes"},
    {"rcvbuf", "granted", "granted_bytes"},
    {"sndbuf", "requested", "requested_bytes"},
    {"sndbuf", "granted", "granted_bytes"},
    // The socket tools' logged user buffers (sender/receiver .counters.user_buffers.rx/.tx).
    {"rx", "capacity", "capacity_bytes"},
    {"tx", "capacity", "capacity_bytes"},
    // The socket's memory from SO_MEMINFO (sender/receiver .counters.kernel).
    {"kernel", "rmem_alloc", "rmem_alloc_bytes"},
    {"kernel", "rcvbuf", "rcvbuf_bytes"},
    {"kernel", "wmem_alloc", "wmem_alloc_bytes"},
    {"kernel", "sndbuf", "sndbuf_bytes"},
    // The cross-check's evidence (runs[].copy_evidence).
    {"payload_samples", "len", "len_bytes"},
    {"sites", "share", "share_fraction"},
    {"machine_sites", "share", "share_fraction"},
    // The copy verdicts (copies.rows[].socket / .af_xdp).
    {"socket", "per_packet", "copies_per_packet"},
    {"af_xdp", "per_packet", "copies_per_packet"},
    {"af_xdp_zc", "per_packet", "copies_per_packet"},
};

void rename_under(nlohmann::json& j, std::string_view parent) {
  if (j.is_array()) {
    for (auto& e : j) rename_under(e, parent);
    return;
  }
  if (!j.is_object()) return;
  for (const Rename& r : kRenames) {
    if (r.parent != parent) continue;
    const std::string from(r.from);
    if (auto it = j.find(from); it != j.end()) {
      nlohmann::json v = std::move(*it);
      j.erase(from);
      j[std::string(r.to)] = std::move(v);
    }
  }
  for (auto& [key, value] : j.items()) rename_under(value, key);
}

}  // namespace

nlohmann::json compare_document(nlohmann::json doc) {
  rename_under(doc, "");
  doc["schema"] = kCompareSchema;
  return doc;
}

}  // namespace copylab
