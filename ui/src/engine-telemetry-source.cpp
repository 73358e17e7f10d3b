#include "moe/telemetry/events.hpp"
#include "moe/telemetry/hub.hpp"

#include "moe/ui/engine-telemetry-source.hpp"

#include <algorithm>
#include <optional>

namespace moe::ui {
namespace {

// `layer` spans enclose the ops of a layer: counting them too would count time twice.
std::optional<KernelOp> kernelOpOf(tel::OpKind op) {
  switch (op) {
    case tel::OpKind::attention:
    case tel::OpKind::rope: return KernelOp::attention;
    case tel::OpKind::router: return KernelOp::router;
    case tel::OpKind::expert_ffn:
    case tel::OpKind::page_in: return KernelOp::experts;
    case tel::OpKind::shared_expert: return KernelOp::sharedExpert;
    case tel::OpKind::norm: return KernelOp::norm;
    case tel::OpKind::output_head:
    case tel::OpKind::sampling: return KernelOp::output;
    case tel::OpKind::layer:
    case tel::OpKind::count_: return std::nullopt;
    default: return KernelOp::other;
  }
}

std::optional<CacheEvent> cacheEventOf(tel::CacheAction a) {
  switch (a) {
    case tel::CacheAction::hit:
    case tel::CacheAction::prefetch_used: return CacheEvent::hit;
    case tel::CacheAction::miss: return CacheEvent::miss;
    case tel::CacheAction::eviction: return CacheEvent::evict;
    default: return std::nullopt;  // prefetch bookkeeping is not a lookup
  }
}

}  // namespace

std::size_t EngineTelemetrySource::drainInto(TelemetryBatch& out) {
  if (!tel::kCompiledIn) return 0;
  tel::Hub& hub = tel::Hub::instance();
  const std::size_t n = hub.drain([&](std::size_t producer, const tel::Event& e) {
    constexpr std::size_t kMaxTraceEvents = std::size_t{1} << 21;  // ~270 MB of trace JSON at most
    if (replyEvents_.size() < kMaxTraceEvents) replyEvents_.push_back({producer, e});
    switch (e.kind) {
      case tel::EventKind::routing: {
        const tel::RoutingEvent& r = e.routing;
        lastPosition_ = static_cast<int>(r.position);
        // Top-k beyond 8 arrives in several events (first > 0): join them into one sample.
        RoutingSample* s = nullptr;
        if (r.first > 0 && !out.routing.empty() && out.routing.back().layer == r.layer &&
            out.routing.back().position == static_cast<int>(r.position))
          s = &out.routing.back();
        else
          s = &out.routing.emplace_back(RoutingSample{r.layer, static_cast<int>(r.position), 0, {}, {}});
        for (int i = 0; i < r.k && s->nUsed < kMaxExpertsUsed; ++i, ++s->nUsed) {
          s->experts[static_cast<std::size_t>(s->nUsed)] = static_cast<int16_t>(r.experts[i]);
          s->weights[static_cast<std::size_t>(s->nUsed)] = r.weights[i];
        }
        break;
      }
      case tel::EventKind::cache:
        if (auto ev = cacheEventOf(e.cache.action))
          out.cache.push_back(CacheSample{lastPosition_, e.cache.layer, e.cache.expert, *ev});
        break;
      case tel::EventKind::kernel_span:
        if (auto op = kernelOpOf(e.span.op)) pending_.push_back({e.span.t_start_ns, e.span.t_end_ns, *op});
        break;
      case tel::EventKind::token_step:
        steps_.push_back({e.token.t_start_ns, e.token.t_end_ns, static_cast<int>(e.token.position)});
        break;
      default: break;  // reply and memory records are not plotted
    }
  });
  attributeSpans(out);
  const unsigned long long dropped = hub.dropped();
  out.dropped += static_cast<std::size_t>(dropped - std::min(dropped, lastDropped_));
  lastDropped_ = dropped;
  return n;
}

void EngineTelemetrySource::attributeSpans(TelemetryBatch& out) {
  std::sort(steps_.begin(), steps_.end(), [](const StepRange& a, const StepRange& b) { return a.start < b.start; });
  while (steps_.size() > 256) steps_.pop_front();
  std::vector<PendingSpan> keep;
  for (const PendingSpan& s : pending_) {
    // The step whose range holds the span's start (steps are recorded when they end, so a
    // span may wait one drain for its step).
    auto it = std::upper_bound(steps_.begin(), steps_.end(), s.start, [](uint64_t t, const StepRange& r) { return t < r.start; });
    if (it != steps_.begin() && s.start <= std::prev(it)->end) {
      out.kernels.push_back(KernelSpan{std::prev(it)->position, s.op, static_cast<double>(s.end - s.start) / 1000.0});
    } else if (steps_.empty() || s.start > steps_.back().end) {
      keep.push_back(s);  // its step has not been recorded yet
    }  // else: older than every step we remember, or between steps: dropped
  }
  if (keep.size() > 65536) keep.erase(keep.begin(), keep.begin() + static_cast<std::ptrdiff_t>(keep.size() - 65536));
  pending_ = std::move(keep);
}

}  // namespace moe::ui
