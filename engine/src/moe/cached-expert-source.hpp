#pragma once
// The ExpertSource seam served by the bounded ExpertCache: experts come ONLY from the pool.
#include <memory>

#include "moe/expert-cache.hpp"
#include "moe/expert-source.hpp"

namespace moe {

class Model;

class CachedExpertSource final : public ExpertSource {
 public:
  // Builds the slice table (file offsets of every expert's gate/up/down rows) and the cache;
  // prefetch reads run on the model's task arena. Throws ConfigError for a budget below the
  // experts one token uses, or a model without experts.
  CachedExpertSource(const Model& model, const ExpertCacheConfig& config);

  void acquire(int layer, std::span<const int32_t> experts, ExpertView* out) const override;
  void release(int layer, std::span<const int32_t> experts) const override;
  void prefetch(int layer, std::span<const int32_t> experts) const override;
  int max_acquire(int layer) const override;
  bool residency(int layer, uint8_t* resident) const noexcept override;

  ExpertCache& cache() const noexcept { return *cache_; }

 private:
  const ModelWeights& w_;
  std::unique_ptr<ExpertCache> cache_;
};

}  // namespace moe
