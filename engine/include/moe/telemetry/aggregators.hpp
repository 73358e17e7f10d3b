#pragma once
// Consumers' views of the event stream, shared by the GUI panels, the CLI and the tests:
// expert-selection counts per layer over a window, cache hit rates over time, per-token
// kernel time by op, and tokens/s. Fed on the consumer thread; no locking inside.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "moe/telemetry/events.hpp"

namespace moe::tel {


// Which tokens a routing histogram counts.
enum class RoutingWindow { last_n_tokens, this_reply, conversation };

class RoutingHistogram {
 public:
  RoutingHistogram(int n_layers, int n_experts, int last_n = 64);

  void add(const RoutingEvent& r);
  void begin_reply();        // "this reply" counts start from here
  void clear();              // a new conversation

  int n_layers() const noexcept { return n_layers_; }
  int n_experts() const noexcept { return n_experts_; }
  bool empty() const noexcept { return entries_.empty(); }
  // counts[layer * n_experts + expert]
  std::vector<uint32_t> counts(RoutingWindow w) const;
  // Positions routed to (layer, expert) in the conversation, in order (for highlighting).
  std::vector<uint32_t> positions_of(int layer, int expert) const;
  // Experts and weights of one position in every layer (empty when unknown).
  struct Pick { uint16_t layer; uint16_t expert; float weight; };
  std::vector<Pick> picks_at(uint32_t position) const;

 private:
  struct Entry { uint32_t position; uint16_t layer; uint16_t expert; float weight; };
  size_t cell(const Entry& e) const noexcept { return static_cast<size_t>(e.layer) * static_cast<size_t>(n_experts_) + e.expert; }
  uint32_t oldest_in_window() const noexcept;
  int n_layers_, n_experts_, last_n_;
  std::vector<Entry> entries_;  // whole conversation, in arrival order (clicks look here)
  // Kept as events arrive so a 30 Hz panel refresh costs O(layers x experts + window), not
  // O(conversation): running counts of the conversation and of this reply, and the entries
  // that can still fall in the last-N window (pruned once it holds twice what the window can).
  std::vector<uint32_t> conversation_counts_, reply_counts_;
  std::vector<Entry> window_;
  size_t prune_at_ = 0;
  uint32_t newest_ = 0;
};

// Hit rate per token step, overall and per layer, plus prefetch accuracy and (given the
// number of experts) which experts are resident now.
class CacheStats {
 public:
  explicit CacheStats(int n_layers, int n_experts = 0);
  void add(const CacheEvent& c);
  void end_token();  // closes one point of the time series

  struct Totals { uint64_t hits = 0, misses = 0, evictions = 0, prefetch_issued = 0, prefetch_used = 0, bytes_in = 0; };
  const Totals& total() const noexcept { return total_; }
  const Totals& layer(int l) const { return layers_.at(static_cast<size_t>(l)); }
  double hit_rate() const noexcept;
  double prefetch_accuracy() const noexcept;
  // hit rate of each closed token step (hits / (hits + misses) within the step; -1 when none)
  const std::vector<double>& hit_rate_series() const noexcept { return series_; }
  const std::vector<double>& layer_series(int l) const { return layer_series_.at(static_cast<size_t>(l)); }
  // A hit or a miss (which pages it in) leaves the expert resident, an eviction removes it;
  // prefetches are not counted until used. False out of range or without n_experts.
  bool resident(int layer, int expert) const noexcept;
  int n_experts() const noexcept { return n_experts_; }
  int n_layers() const noexcept { return static_cast<int>(layers_.size()); }

 private:
  int n_experts_;
  std::vector<uint8_t> resident_;  // (layer, expert)
  Totals total_;
  std::vector<Totals> layers_;
  uint64_t step_hits_ = 0, step_misses_ = 0;
  std::vector<uint64_t> step_layer_hits_, step_layer_misses_;
  std::vector<double> series_;
  std::vector<std::vector<double>> layer_series_;
};

// Per-token time by op (exclusive of `layer` spans, which enclose the others) and tok/s.
class KernelBreakdown {
 public:
  static constexpr size_t kOps = static_cast<size_t>(OpKind::count_);
  struct TokenRow {
    uint32_t position = 0;
    bool prefill = false;
    uint16_t n_tokens = 1;
    double wall_ms = 0.0;
    std::array<double, kOps> op_ms{};
  };

  void add(const KernelSpanEvent& s);
  void add(const TokenStepEvent& t);  // closes the row the spans since the last step belong to
  const std::deque<TokenRow>& rows() const noexcept { return rows_; }
  // Decode tokens per second over the last n decode steps (0 when none).
  double decode_tok_s(size_t last_n = 16) const;
  void set_max_rows(size_t n) { max_rows_ = n; }

 private:
  std::array<double, kOps> pending_{};
  std::deque<TokenRow> rows_;
  size_t max_rows_ = 4096;
};

}  // namespace moe::tel
