#include "moe/telemetry/aggregators.hpp"

#include <algorithm>
#include <stdexcept>

namespace moe::tel {

// ---- RoutingHistogram --------------------------------------------------------------------

RoutingHistogram::RoutingHistogram(int n_layers, int n_experts, int last_n)
    : n_layers_(n_layers), n_experts_(n_experts), last_n_(last_n) {
  if (n_layers <= 0 || n_experts <= 0 || last_n <= 0)
    throw std::invalid_argument("RoutingHistogram: layers, experts and window must be positive");
  conversation_counts_.assign(static_cast<size_t>(n_layers) * static_cast<size_t>(n_experts), 0);
  reply_counts_ = conversation_counts_;
  prune_at_ = 2 * static_cast<size_t>(last_n) * static_cast<size_t>(n_layers) * 8;
}

uint32_t RoutingHistogram::oldest_in_window() const noexcept {
  // The last `last_n_` positions up to the newest one seen. Prefill events arrive layer by
  // layer, so arrival order is not position order: the window is a position range.
  const auto span = static_cast<uint32_t>(last_n_ - 1);
  return newest_ >= span ? newest_ - span : 0;
}

void RoutingHistogram::add(const RoutingEvent& r) {
  if (r.layer >= n_layers_) return;
  for (int i = 0; i < r.k; ++i) {
    if (r.experts[i] >= n_experts_) continue;
    const Entry e{r.position, r.layer, r.experts[i], r.weights[i]};
    entries_.push_back(e);
    ++conversation_counts_[cell(e)];
    ++reply_counts_[cell(e)];
    newest_ = std::max(newest_, e.position);
    window_.push_back(e);
  }
  // Entries older than the window never come back into it (newest_ only grows). Pruning when
  // the buffer has doubled since the last prune keeps add() amortised O(1).
  if (window_.size() >= prune_at_) {
    const uint32_t oldest = oldest_in_window();
    std::erase_if(window_, [oldest](const Entry& e) { return e.position < oldest; });
    prune_at_ = std::max(prune_at_, 2 * window_.size());
  }
}

void RoutingHistogram::begin_reply() {
  std::fill(reply_counts_.begin(), reply_counts_.end(), 0);
}

void RoutingHistogram::clear() {
  entries_.clear();
  window_.clear();
  newest_ = 0;
  std::fill(conversation_counts_.begin(), conversation_counts_.end(), 0);
  std::fill(reply_counts_.begin(), reply_counts_.end(), 0);
}

std::vector<uint32_t> RoutingHistogram::counts(RoutingWindow w) const {
  if (w == RoutingWindow::conversation) return conversation_counts_;
  if (w == RoutingWindow::this_reply) return reply_counts_;
  std::vector<uint32_t> out(conversation_counts_.size(), 0);
  if (entries_.empty()) return out;
  const uint32_t oldest = oldest_in_window();
  for (const Entry& e : window_)
    if (e.position >= oldest) ++out[cell(e)];
  return out;
}

std::vector<uint32_t> RoutingHistogram::positions_of(int layer, int expert) const {
  std::vector<uint32_t> out;
  for (const Entry& e : entries_)
    if (e.layer == layer && e.expert == expert && (out.empty() || out.back() != e.position)) out.push_back(e.position);
  return out;
}

std::vector<RoutingHistogram::Pick> RoutingHistogram::picks_at(uint32_t position) const {
  std::vector<Pick> out;
  for (const Entry& e : entries_)
    if (e.position == position) out.push_back({e.layer, e.expert, e.weight});
  return out;
}

// ---- CacheStats --------------------------------------------------------------------------

CacheStats::CacheStats(int n_layers, int n_experts)
    : n_experts_(std::max(n_experts, 0)),
      resident_(static_cast<size_t>(std::max(n_layers, 0)) * static_cast<size_t>(std::max(n_experts, 0)), 0),
      layers_(static_cast<size_t>(n_layers)),
      step_layer_hits_(static_cast<size_t>(n_layers), 0),
      step_layer_misses_(static_cast<size_t>(n_layers), 0),
      layer_series_(static_cast<size_t>(n_layers)) {}

void CacheStats::add(const CacheEvent& c) {
  const bool in_range = c.layer < layers_.size();
  const bool known = in_range && c.expert < n_experts_;
  const size_t slot = static_cast<size_t>(c.layer) * static_cast<size_t>(n_experts_) + c.expert;
  if (known && (c.action == CacheAction::hit || c.action == CacheAction::miss || c.action == CacheAction::prefetch_used))
    resident_[slot] = 1;
  if (known && c.action == CacheAction::eviction) resident_[slot] = 0;
  auto bump = [&](auto member) {
    ++(total_.*member);
    if (in_range) ++(layers_[c.layer].*member);
  };
  switch (c.action) {
    case CacheAction::hit:
      bump(&Totals::hits);
      ++step_hits_;
      if (in_range) ++step_layer_hits_[c.layer];
      break;
    case CacheAction::miss:
      bump(&Totals::misses);
      ++step_misses_;
      if (in_range) ++step_layer_misses_[c.layer];
      total_.bytes_in += c.bytes;
      if (in_range) layers_[c.layer].bytes_in += c.bytes;
      break;
    case CacheAction::eviction: bump(&Totals::evictions); break;
    case CacheAction::prefetch_issued:
      bump(&Totals::prefetch_issued);
      total_.bytes_in += c.bytes;
      if (in_range) layers_[c.layer].bytes_in += c.bytes;
      break;
    case CacheAction::prefetch_used: bump(&Totals::prefetch_used); break;
    case CacheAction::prefetch_wasted: break;
  }
}

void CacheStats::end_token() {
  auto rate = [](uint64_t h, uint64_t m) { return h + m == 0 ? -1.0 : static_cast<double>(h) / static_cast<double>(h + m); };
  series_.push_back(rate(step_hits_, step_misses_));
  for (size_t l = 0; l < layers_.size(); ++l) {
    layer_series_[l].push_back(rate(step_layer_hits_[l], step_layer_misses_[l]));
    step_layer_hits_[l] = step_layer_misses_[l] = 0;
  }
  step_hits_ = step_misses_ = 0;
}

bool CacheStats::resident(int layer, int expert) const noexcept {
  if (layer < 0 || expert < 0 || expert >= n_experts_ || static_cast<size_t>(layer) >= layers_.size()) return false;
  return resident_[static_cast<size_t>(layer) * static_cast<size_t>(n_experts_) + static_cast<size_t>(expert)] != 0;
}

double CacheStats::hit_rate() const noexcept {
  const uint64_t n = total_.hits + total_.misses;
  return n == 0 ? 0.0 : static_cast<double>(total_.hits) / static_cast<double>(n);
}

double CacheStats::prefetch_accuracy() const noexcept {
  return total_.prefetch_issued == 0 ? 0.0
                                     : static_cast<double>(total_.prefetch_used) / static_cast<double>(total_.prefetch_issued);
}

// ---- KernelBreakdown ---------------------------------------------------------------------

void KernelBreakdown::add(const KernelSpanEvent& s) {
  if (s.op == OpKind::layer || s.op >= OpKind::count_ || s.t_end_ns < s.t_start_ns) return;
  pending_[static_cast<size_t>(s.op)] += static_cast<double>(s.t_end_ns - s.t_start_ns) * 1e-6;
}

void KernelBreakdown::add(const TokenStepEvent& t) {
  TokenRow row;
  row.position = t.position;
  row.prefill = t.prefill != 0;
  row.n_tokens = t.n_tokens;
  row.wall_ms = t.t_end_ns >= t.t_start_ns ? static_cast<double>(t.t_end_ns - t.t_start_ns) * 1e-6 : 0.0;
  row.op_ms = pending_;
  pending_.fill(0.0);
  rows_.push_back(row);
  while (rows_.size() > max_rows_) rows_.pop_front();
}

double KernelBreakdown::decode_tok_s(size_t last_n) const {
  double ms = 0.0;
  size_t n = 0;
  for (auto it = rows_.rbegin(); it != rows_.rend() && n < last_n; ++it) {
    if (it->prefill) continue;
    ms += it->wall_ms;
    ++n;
  }
  return ms > 0.0 ? static_cast<double>(n) * 1000.0 / ms : 0.0;
}

}  // namespace moe::tel
