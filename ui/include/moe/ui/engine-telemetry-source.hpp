#pragma once
// Reads the engine's telemetry rings (moe::tel::Hub) on the GUI thread. Each ring holds one
// producing thread's records in order, but a drain visits the rings one after another: the
// records of one drain are put back in time order (kernel spans and cache lookups before the
// token step that ends after them), so the engine's aggregators, which close a token's
// row at its step, see them as they happened.
#include "moe/telemetry/trace.hpp"

#include <cstddef>
#include <vector>

namespace moe::ui {

class EngineTelemetrySource {
 public:
  // Replaces `out` with every record the rings hold, in time order. Returns how many.
  std::size_t drain(std::vector<tel::Event>& out);
  // Records lost to full rings since the previous drain.
  unsigned long long droppedSinceLastDrain() const { return dropped_; }
  // The raw engine records drained since beginReply(), for the trace export (capped).
  void beginReply() { replyEvents_.clear(); }
  const std::vector<tel::TracedEvent>& replyEvents() const { return replyEvents_; }

 private:
  unsigned long long lastDropped_ = 0, dropped_ = 0;
  std::vector<tel::TracedEvent> replyEvents_;
};

}  // namespace moe::ui
