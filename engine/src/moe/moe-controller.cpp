#include "moe/moe-controller.hpp"

#include <cmath>

#include "model/model.hpp"
#include "moe/errors.hpp"
#include "moe/moe-state.hpp"

namespace moe {

namespace {

bool same_cache(const ExpertCacheConfig& a, const ExpertCacheConfig& b) {
  return a.budget_bytes == b.budget_bytes && a.budget_experts_per_layer == b.budget_experts_per_layer &&
         a.policy == b.policy && a.prefetch == b.prefetch && a.drop_page_cache == b.drop_page_cache;
}

void add(MoeLayerStats& t, const MoeLayerStats& s) {
  t.cache += s.cache;
  t.routed += s.routed;
  t.picks += s.picks;
  t.changed += s.changed;
  t.mass_exact += s.mass_exact;
  t.mass_lost += s.mass_lost;
  t.acquired += s.acquired;
  t.guesses += s.guesses;
  t.guess_hits += s.guess_hits;
}

}  // namespace

double MoeLayerStats::hit_rate() const noexcept {
  const uint64_t n = cache.hits + cache.misses;
  return n ? static_cast<double>(cache.hits) / static_cast<double>(n) : 1.0;
}
double MoeLayerStats::deviation() const noexcept {
  return picks ? static_cast<double>(changed) / static_cast<double>(picks) : 0.0;
}
double MoeLayerStats::mass_lost_mean() const noexcept {
  return routed ? mass_lost / static_cast<double>(routed) : 0.0;
}
double MoeLayerStats::prefetch_accuracy() const noexcept {
  return guesses ? static_cast<double>(guess_hits) / static_cast<double>(guesses) : 0.0;
}

MoeOptions recommended_moe_options(const ModelInfo& info) {
  MoeOptions o;
  if (info.n_expert <= 0) return o;
  o.cache.budget_experts_per_layer = std::max(info.n_expert_used, (info.n_expert + 1) / 2);
  o.cache.policy = CachePolicyKind::lfu;
  // Measured on this machine (README: Measured): with the file in the page cache a page-in is
  // a copy that costs a core whoever does it, and wrong guesses are copies too. On the demo
  // model prefetch gives 84.6% (busy machine: guesses mostly read late) to 88.4% (idle) hits
  // against 87.6% without; on the bench model decode ran at 0.94x of unlimited with prefetch
  // and 1.10x without. Turn it on where page-ins are real disk reads.
  o.cache.prefetch = false;
  o.aware_margin = 0.5f;  // README: Measured (trained demo model, half budget)
  return o;
}

MoeController::~MoeController() {
  if (cached_) cached_->cache().quiesce();
}

void MoeController::apply(const MoeOptions& o) {
  if (!(o.aware_margin >= 0.0f && o.aware_margin < 1.0f))
    throw ConfigError("aware_margin must be in [0, 1), got " + std::to_string(o.aware_margin));
  if (!(o.aware_bonus >= 0.0f) || !std::isfinite(o.aware_bonus))
    throw ConfigError("aware_bonus must be >= 0, got " + std::to_string(o.aware_bonus));
  if (!o.cache.unlimited() && !model_.hp.is_moe())
    throw ConfigError("expert cache: " + model_.info.name + " is a dense model (no experts to cache)");
  if (o.cache.budget_experts_per_layer < 0) throw ConfigError("expert budget per layer must be >= 0");
  if (!cached_ || !same_cache(o.cache, options_.cache)) {
    std::unique_ptr<CachedExpertSource> next;
    if (!o.cache.unlimited()) next = std::make_unique<CachedExpertSource>(model_, o.cache);  // may throw
    if (cached_) cached_->cache().quiesce();
    state_.source = nullptr;
    cached_ = std::move(next);
  }
  options_ = o;
  state_.source = cached_.get();
  state_.prefetch = cached_ != nullptr && o.cache.prefetch;
  state_.aware.margin = o.aware_margin;
  state_.aware.bonus = o.aware_bonus;
  state_.aware.mode = o.aware_margin > 0.0f ? AwareMode::margin : o.aware_bonus > 0.0f ? AwareMode::bonus : AwareMode::off;
}

MoeStats MoeController::stats() const {
  MoeStats s;
  const size_t L = state_.counters.size();
  s.layers.resize(L);
  for (size_t l = 0; l < L; ++l) {
    MoeLayerStats& ls = s.layers[l];
    const MoeLayerCounters& c = state_.counters[l];
    ls.routed = c.routed;
    ls.picks = c.picks;
    ls.changed = c.changed;
    ls.mass_exact = c.mass_exact;
    ls.mass_lost = c.mass_lost;
    ls.acquired = c.acquired;
    ls.guesses = c.guesses;
    ls.guess_hits = c.guess_hits;
    if (cached_) ls.cache = cached_->cache().layer_stats(static_cast<int>(l));
    else ls.cache.hits = c.acquired;  // the mapping holds every expert
    add(s.total, ls);
  }
  if (cached_) {
    s.pool_bytes = cached_->cache().pool_bytes();
    s.expert_bytes = cached_->cache().expert_bytes();
    s.pool_slots = cached_->cache().slot_count();
  }
  return s;
}

void MoeController::reset_stats() {
  for (MoeLayerCounters& c : state_.counters) c = {};
  if (cached_) cached_->cache().reset_stats();
}

uint64_t MoeController::pool_bytes() const noexcept { return cached_ ? cached_->cache().pool_bytes() : 0; }
uint64_t MoeController::pool_budget_bytes() const noexcept {
  if (!cached_) return 0;
  return options_.cache.budget_bytes ? options_.cache.budget_bytes : cached_->cache().pool_bytes();
}

}  // namespace moe
