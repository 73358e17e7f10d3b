#include "moe/telemetry/events.hpp"
#include "moe/telemetry/hub.hpp"

#include "moe/ui/engine-telemetry-source.hpp"

#include <algorithm>

namespace moe::ui {
namespace {

// When a record's fact was complete. Routing, reply and memory records carry no time: they
// keep their place (the stable sort leaves them where the ring had them).
uint64_t timeOf(const tel::Event& e) {
  switch (e.kind) {
    case tel::EventKind::token_step: return e.token.t_end_ns;
    case tel::EventKind::kernel_span: return e.span.t_end_ns;
    case tel::EventKind::cache: return e.cache.t_ns;
    default: return 0;
  }
}

}  // namespace

std::size_t EngineTelemetrySource::drain(std::vector<tel::Event>& out) {
  out.clear();
  dropped_ = 0;
  if (!tel::kCompiledIn) return 0;
  tel::Hub& hub = tel::Hub::instance();
  const std::size_t n = hub.drain([&](std::size_t producer, const tel::Event& e) {
    constexpr std::size_t kMaxTraceEvents = std::size_t{1} << 21;  // ~270 MB of trace JSON at most
    if (replyEvents_.size() < kMaxTraceEvents) replyEvents_.push_back({producer, e});
    out.push_back(e);
  });
  // Timeless records sort as if they happened with the timed record before them in their ring.
  std::vector<std::pair<uint64_t, std::size_t>> order(out.size());
  uint64_t last = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const uint64_t t = timeOf(out[i]);
    if (t != 0) last = t;
    order[i] = {t != 0 ? t : last, i};
  }
  // A step ends after the spans it encloses, even at the same clock tick.
  std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return out[a.second].kind != tel::EventKind::token_step && out[b.second].kind == tel::EventKind::token_step;
  });
  std::vector<tel::Event> sorted;
  sorted.reserve(out.size());
  for (const auto& [t, i] : order) sorted.push_back(out[i]);
  out = std::move(sorted);
  const unsigned long long dropped = hub.dropped();
  dropped_ = dropped - std::min(dropped, lastDropped_);
  lastDropped_ = dropped;
  return n;
}

}  // namespace moe::ui
