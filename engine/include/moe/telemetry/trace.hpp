#pragma once
// Export of drained telemetry: Chrome trace-event JSON (opens in Perfetto and chrome://tracing)
// and a routing CSV.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "moe/telemetry/events.hpp"

namespace moe::tel {


struct TracedEvent {
  size_t producer;  // ring index: one track per producing thread
  Event event;
};

struct TraceInfo {
  std::string process_name = "moescope";
  std::vector<std::string> thread_names;  // by producer index; default "engine thread N"
};

// One trace: spans ("X") for token steps, layers and kernels (nested by time on each track),
// instants for cache misses and evictions, counters for hit rate, tokens/s, KV and pool bytes.
void write_chrome_trace(std::ostream& out, const std::vector<TracedEvent>& events, const TraceInfo& info);

// One row per (position, layer): position,layer,token_text,experts,weights (';'-separated).
void write_routing_csv(std::ostream& out, const std::vector<TracedEvent>& events,
                       const std::function<std::string(uint32_t position)>& token_text);

}  // namespace moe::tel
