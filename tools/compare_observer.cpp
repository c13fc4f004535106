#include "tools/compare_observer.hpp"

namespace copylab {
namespace {

// No cross-check attached: the report says so and why.
class DetachedObserver final : public CompareObserver {
 public:
  explicit DetachedObserver(std::string reason) : reason_(std::move(reason)) {}
  void before_traffic(pid_t, pid_t) override {}
  nlohmann::json after_traffic() override { return nullptr; }
  nlohmann::json status() const override { return {{"attached", false}, {"reason", reason_}}; }
  nlohmann::json summarize(const nlohmann::json&) override {
    return {{"rows", nlohmann::json::array()},
            {"text", "Copy verdicts: not measured (" + reason_ + ").\n"}};
  }

 private:
  std::string reason_;
};

}  // namespace

std::unique_ptr<CompareObserver> make_compare_observer(const CompareOptions& opts,
                                                       const TopologyConfig& /*topo*/) {
  if (opts.backend == "none") return std::make_unique<DetachedObserver>("--backend none");
  return std::make_unique<DetachedObserver>("the in-kernel cross-check is not built into this copylab");
}

}  // namespace copylab
