#pragma once
// The session's side of MoE: applies MoeOptions (builds or drops the bounded expert cache,
// sets memory-aware routing and prefetch in the forward state) and assembles MoeStats.
#include <memory>

#include "moe/cached-expert-source.hpp"
#include "moe/engine.hpp"

namespace moe {

class Model;
struct MoeState;

class MoeController {
 public:
  MoeController(const Model& model, MoeState& state) : model_(model), state_(state) {}
  ~MoeController();

  void apply(const MoeOptions& options);  // throws ConfigError (nothing changes then)
  const MoeOptions& options() const noexcept { return options_; }
  MoeStats stats() const;
  void reset_stats();
  uint64_t pool_bytes() const noexcept;
  uint64_t pool_budget_bytes() const noexcept;

 private:
  const Model& model_;
  MoeState& state_;
  MoeOptions options_;
  std::unique_ptr<CachedExpertSource> cached_;
};

}  // namespace moe
