#pragma once
// Aggregators turn drained telemetry records into what the panels plot. They are plain
// classes (no Qt objects) so tests can feed synthetic events and compare the results.
#include "moe/ui/telemetry-types.hpp"

#include <array>
#include <deque>
#include <map>
#include <vector>

namespace moe::ui {

// Expert-selection counts per layer over the last `window` token positions seen on that layer.
class RoutingAggregator {
 public:
  explicit RoutingAggregator(int window = 64) : window_(window) {}
  void reset(int nLayers = 0, int nExperts = 0);
  void add(const RoutingSample& s);
  int layers() const { return static_cast<int>(counts_.size()); }
  int experts() const { return nExperts_; }
  int window() const { return window_; }
  int count(int layer, int expert) const;       // selections inside the window
  double weightSum(int layer, int expert) const;  // router weight inside the window
  long long totalSamples() const { return total_; }

 private:
  void grow(int nLayers, int nExperts);
  int window_;
  int nExperts_ = 0;
  long long total_ = 0;
  std::vector<std::vector<int>> counts_;
  std::vector<std::vector<double>> weights_;
  std::vector<std::deque<RoutingSample>> recent_;
};

// Expert-cache hit rate per token position (and overall), plus which experts are resident.
class CacheAggregator {
 public:
  void reset();
  void add(const CacheSample& s);
  struct Point { int position; double hitRate; int lookups; };
  const std::vector<Point>& series() const { return series_; }  // ordered by position
  long long hits() const { return hits_; }
  long long misses() const { return misses_; }
  double overallHitRate() const;
  bool resident(int layer, int expert) const;
  int layers() const { return static_cast<int>(resident_.size()); }
  int experts() const { return nExperts_; }

 private:
  std::vector<Point> series_;
  std::map<int, std::pair<int, int>> perPosition_;  // position -> (hits, misses)
  std::vector<std::vector<char>> resident_;
  int nExperts_ = 0;
  long long hits_ = 0, misses_ = 0;
};

// Per-token time by kernel op, for the stacked breakdown (last `maxTokens` tokens kept).
class KernelAggregator {
 public:
  explicit KernelAggregator(int maxTokens = 256) : maxTokens_(maxTokens) {}
  void reset();
  void add(const KernelSpan& s);
  using Breakdown = std::array<double, kKernelOpCount>;  // microseconds per op
  const std::map<int, Breakdown>& tokens() const { return tokens_; }
  Breakdown totals() const;

 private:
  int maxTokens_;
  std::map<int, Breakdown> tokens_;
};

// Rolling decode tok/s and time to first token, from token timing.
class ThroughputAggregator {
 public:
  explicit ThroughputAggregator(int window = 8) : window_(window) {}
  void reset();
  void add(const TokenStep& s);
  struct Point { long long token; double tokS; };  // token = running count over all replies
  const std::vector<Point>& tokS() const { return series_; }
  const std::vector<double>& ttftMs() const { return ttft_; }  // one per reply
  const std::vector<Point>& latencyMs() const { return latency_; }  // decode step times (tokS holds ms)
  long long tokensSeen() const { return seen_; }

 private:
  int window_;
  unsigned long long replyId_ = 0;
  bool haveReply_ = false;
  std::deque<double> times_;  // elapsed ms of the last `window_ + 1` tokens of this reply
  std::vector<Point> series_;
  std::vector<double> ttft_;
  std::vector<Point> latency_;
  long long seen_ = 0;
};

}  // namespace moe::ui
