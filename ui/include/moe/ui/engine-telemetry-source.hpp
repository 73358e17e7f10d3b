#pragma once
// Reads the engine's telemetry rings (moe::tel::Hub) and turns their records into the panel
// records of telemetry-types.hpp. Engine events carry times, not token positions, for kernel
// spans and cache lookups: spans are attributed to the token step whose time range holds
// them; cache lookups to the latest routed position seen.
#include "moe/telemetry/trace.hpp"
#include "moe/ui/telemetry-feed.hpp"

#include <cstdint>
#include <deque>
#include <vector>

namespace moe::ui {

class EngineTelemetrySource {
 public:
  // Drains every engine ring, appending converted records to `out` (the only consumer of
  // the engine's hub should be this). Returns the number of engine records read.
  std::size_t drainInto(TelemetryBatch& out);
  // The raw engine records drained since beginReply(), for the trace export (capped).
  void beginReply() { replyEvents_.clear(); }
  const std::vector<tel::TracedEvent>& replyEvents() const { return replyEvents_; }

 private:
  struct PendingSpan {
    uint64_t start, end;
    KernelOp op;
  };
  struct StepRange {
    uint64_t start, end;
    int position;
  };
  void attributeSpans(TelemetryBatch& out);
  std::vector<PendingSpan> pending_;
  std::deque<StepRange> steps_;  // recent token steps, by time
  int lastPosition_ = 0;
  unsigned long long lastDropped_ = 0;
  std::vector<tel::TracedEvent> replyEvents_;
};

}  // namespace moe::ui
