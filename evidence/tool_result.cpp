#include "evidence/tool_result.hpp"

#include "common/error.hpp"

namespace copylab {
namespace {

// One JSON object of the document and its path in it ("/result/validator"), so that an error
// names the field exactly.
class Fields {
 public:
  Fields(const nlohmann::json& j, std::string path, const std::string& source)
      : j_(j), path_(std::move(path)), source_(source) {}

  // The object at `key`; nullopt when absent or null.
  std::optional<Fields> object(const char* key) const {
    const nlohmann::json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) wrong(key, *v, "an object");
    return Fields(*v, path_ + "/" + key, source_);
  }

  std::optional<long long> integer(const char* key) const {
    const nlohmann::json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer()) wrong(key, *v, "an integer");
    return v->get<long long>();
  }

  std::optional<double> number(const char* key) const {
    const nlohmann::json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) wrong(key, *v, "a number");
    return v->get<double>();
  }

  std::optional<std::string> string(const char* key) const {
    const nlohmann::json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) wrong(key, *v, "a string");
    return v->get<std::string>();
  }

  // A count the tools always write together with the others of its object.
  long long count(const char* key) const {
    if (auto v = integer(key)) return *v;
    throw Error(source_ + ": " + path_ + "/" + key + " is missing",
                "the tool that wrote it is not from this build of copylab: rebuild the project");
  }

 private:
  const nlohmann::json* find(const char* key) const {
    const auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }

  [[noreturn]] void wrong(const char* key, const nlohmann::json& v, const char* expected) const {
    throw Error(source_ + ": " + path_ + "/" + key + " is " + v.type_name() + ", expected " +
                    expected,
                "the tool that wrote it is not from this build of copylab: rebuild the project");
  }

  const nlohmann::json& j_;
  std::string path_;
  const std::string& source_;
};

ValidatorCounts validator_of(const Fields& f) {
  return {f.count("received"), f.count("unique"), f.count("duplicates"), f.count("reordered"),
          f.count("corrupt")};
}

XskStatistics xsk_statistics_of(const Fields& f) {
  return {f.count("rx_dropped"),   f.count("rx_invalid_descs"),
          f.count("tx_invalid_descs"), f.count("rx_ring_full"),
          f.count("rx_fill_ring_empty_descs"), f.count("tx_ring_empty_descs")};
}

SteerCounts steer_of(const Fields& f) {
  return {f.count("redirected"),     f.count("passed_no_xsk"),    f.count("passed_other_port"),
          f.count("passed_not_udp"), f.count("passed_truncated"), f.count("meta_stamped"),
          f.count("meta_refused")};
}

}  // namespace

std::optional<XdpMode> ToolMode::xdp_mode() const {
  return xdp_attach ? parse_xdp_mode(*xdp_attach) : std::nullopt;
}

ToolResult parse_tool_result(const nlohmann::json& doc, const std::string& source) {
  if (!doc.is_object()) {
    throw Error(source + ": the document is " + std::string(doc.type_name()) +
                    ", expected an object",
                "the tool that wrote it is not from this build of copylab: rebuild the project");
  }
  const Fields top(doc, "", source);
  ToolResult r;
  if (const auto m = top.object("mode")) {
    r.mode.xdp_attach = m->string("xdp_attach");
    r.mode.bind = m->string("bind");
    r.mode.wait = m->string("wait");
  }
  if (const auto res = top.object("result")) {
    r.sent = res->integer("sent");
    r.received = res->integer("received");
    r.lost = res->integer("lost");
    r.in_flight_at_end = res->integer("in_flight_at_end");
    r.pps = res->number("pps");
    r.frame_mbit_s = res->number("frame_mbit_s");
    if (const auto cpu = res->object("cpu")) {
      r.cpu_user_s = cpu->number("user_s");
      r.cpu_system_s = cpu->number("system_s");
    }
    r.stopped_by = res->string("stopped_by");
    if (const auto v = res->object("validator")) r.validator = validator_of(*v);
    if (const auto l = res->object("one_way_latency")) {
      r.one_way_p50_us = l->number("p50_us");
      r.one_way_p99_us = l->number("p99_us");
    }
  }
  if (const auto c = top.object("counters")) {
    if (const auto x = c->object("xdp_statistics")) r.xdp_statistics = xsk_statistics_of(*x);
    if (const auto s = c->object("steer")) r.steer = steer_of(*s);
  }
  return r;
}

}  // namespace copylab
