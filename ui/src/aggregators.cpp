#include "moe/ui/aggregators.hpp"

#include <algorithm>
#include <numeric>

namespace moe::ui {

std::string_view kernelOpName(KernelOp op) noexcept {
  switch (op) {
    case KernelOp::attention: return "attention";
    case KernelOp::router: return "router";
    case KernelOp::experts: return "experts";
    case KernelOp::sharedExpert: return "shared expert";
    case KernelOp::norm: return "norm";
    case KernelOp::output: return "output";
    case KernelOp::other: break;
  }
  return "other";
}

// ---- routing ------------------------------------------------------------------------------
void RoutingAggregator::reset(int nLayers, int nExperts) {
  counts_.clear();
  weights_.clear();
  recent_.clear();
  nExperts_ = 0;
  total_ = 0;
  grow(nLayers, nExperts);
}

void RoutingAggregator::grow(int nLayers, int nExperts) {
  nExperts_ = std::max(nExperts_, nExperts);
  const auto nl = static_cast<size_t>(std::max(nLayers, layers()));
  counts_.resize(nl);
  weights_.resize(nl);
  recent_.resize(nl);
  for (size_t l = 0; l < nl; ++l) {
    counts_[l].resize(static_cast<size_t>(nExperts_), 0);
    weights_[l].resize(static_cast<size_t>(nExperts_), 0.0);
  }
}

void RoutingAggregator::add(const RoutingSample& s) {
  if (s.layer < 0 || s.nUsed < 0 || s.nUsed > kMaxExpertsUsed) return;  // malformed record
  int maxExpert = -1;
  for (int i = 0; i < s.nUsed; ++i) maxExpert = std::max<int>(maxExpert, s.experts[static_cast<size_t>(i)]);
  grow(s.layer + 1, maxExpert + 1);
  const auto l = static_cast<size_t>(s.layer);
  auto apply = [&](const RoutingSample& r, int sign) {
    for (int i = 0; i < r.nUsed; ++i) {
      const auto e = r.experts[static_cast<size_t>(i)];
      if (e < 0) continue;
      counts_[l][static_cast<size_t>(e)] += sign;
      weights_[l][static_cast<size_t>(e)] += sign * static_cast<double>(r.weights[static_cast<size_t>(i)]);
    }
  };
  apply(s, +1);
  recent_[l].push_back(s);
  while (static_cast<int>(recent_[l].size()) > window_) {
    apply(recent_[l].front(), -1);
    recent_[l].pop_front();
  }
  ++total_;
}

int RoutingAggregator::count(int layer, int expert) const {
  if (layer < 0 || layer >= layers() || expert < 0 || expert >= nExperts_) return 0;
  return counts_[static_cast<size_t>(layer)][static_cast<size_t>(expert)];
}

double RoutingAggregator::weightSum(int layer, int expert) const {
  if (layer < 0 || layer >= layers() || expert < 0 || expert >= nExperts_) return 0.0;
  return weights_[static_cast<size_t>(layer)][static_cast<size_t>(expert)];
}

// ---- cache --------------------------------------------------------------------------------
void CacheAggregator::reset() {
  series_.clear();
  perPosition_.clear();
  resident_.clear();
  nExperts_ = 0;
  hits_ = misses_ = 0;
}

void CacheAggregator::add(const CacheSample& s) {
  if (s.layer < 0 || s.expert < 0) return;
  nExperts_ = std::max(nExperts_, s.expert + 1);
  if (static_cast<int>(resident_.size()) <= s.layer) resident_.resize(static_cast<size_t>(s.layer) + 1);
  for (auto& row : resident_) row.resize(static_cast<size_t>(nExperts_), 0);
  char& slot = resident_[static_cast<size_t>(s.layer)][static_cast<size_t>(s.expert)];
  if (s.event == CacheEvent::evict) {
    slot = 0;
    return;
  }
  slot = 1;  // a hit was resident; a miss pages the expert in
  auto& [h, m] = perPosition_[s.position];
  (s.event == CacheEvent::hit ? h : m) += 1;
  (s.event == CacheEvent::hit ? hits_ : misses_) += 1;
  // Keep the series ordered; a record for an older position updates its point in place.
  auto it = std::lower_bound(series_.begin(), series_.end(), s.position,
                             [](const Point& p, int pos) { return p.position < pos; });
  const int n = h + m;
  const Point pt{s.position, static_cast<double>(h) / n, n};
  if (it != series_.end() && it->position == s.position) *it = pt;
  else series_.insert(it, pt);
}

double CacheAggregator::overallHitRate() const {
  const long long n = hits_ + misses_;
  return n == 0 ? 0.0 : static_cast<double>(hits_) / static_cast<double>(n);
}

bool CacheAggregator::resident(int layer, int expert) const {
  if (layer < 0 || layer >= layers() || expert < 0 || expert >= nExperts_) return false;
  return resident_[static_cast<size_t>(layer)][static_cast<size_t>(expert)] != 0;
}

// ---- kernels ------------------------------------------------------------------------------
void KernelAggregator::reset() { tokens_.clear(); }

void KernelAggregator::add(const KernelSpan& s) {
  const auto op = static_cast<size_t>(s.op);
  if (op >= kKernelOpCount) return;
  auto [it, inserted] = tokens_.try_emplace(s.position);
  if (inserted) it->second.fill(0.0);
  it->second[op] += s.micros;
  while (static_cast<int>(tokens_.size()) > maxTokens_) tokens_.erase(tokens_.begin());
}

KernelAggregator::Breakdown KernelAggregator::totals() const {
  Breakdown sum{};
  for (const auto& [pos, b] : tokens_)
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += b[i];
  return sum;
}

// ---- throughput ---------------------------------------------------------------------------
void ThroughputAggregator::reset() {
  haveReply_ = false;
  times_.clear();
  series_.clear();
  ttft_.clear();
  latency_.clear();
  seen_ = 0;
}

void ThroughputAggregator::add(const TokenStep& s) {
  if (!haveReply_ || s.replyId != replyId_) {
    haveReply_ = true;
    replyId_ = s.replyId;
    times_.clear();
  }
  if (s.index < 0) return;  // prompt processed: nothing to plot yet
  if (s.index == 0) ttft_.push_back(s.elapsedMs);
  ++seen_;
  // The first token's latency is the TTFT (prefill included) and is kept apart; the latency
  // series holds decode steps only, so one long prefill does not flatten the bars.
  if (!times_.empty()) latency_.push_back({seen_, s.elapsedMs - times_.back()});
  times_.push_back(s.elapsedMs);
  while (static_cast<int>(times_.size()) > window_ + 1) times_.pop_front();
  if (times_.size() >= 2) {
    const double dt = times_.back() - times_.front();
    const double tokS = dt > 0 ? 1000.0 * static_cast<double>(times_.size() - 1) / dt : 0.0;
    series_.push_back({seen_, tokS});
  }
}

}  // namespace moe::ui
