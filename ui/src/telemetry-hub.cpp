#include "moe/ui/telemetry-hub.hpp"

namespace moe::ui {

TelemetryHub::TelemetryHub(QObject* parent) : QObject(parent) {
  timer_.setInterval(33);  // ~30 Hz: the panels cannot show more
  timer_.setTimerType(Qt::CoarseTimer);
  connect(&timer_, &QTimer::timeout, this, &TelemetryHub::drainNow);
  timer_.start();
}

void TelemetryHub::reset(int nLayers, int nExperts) {
  engine_.drain(batch_);  // discard what the previous model left
  engine_.beginReply();
  routing_.reset();
  if (nLayers > 0 && nExperts > 0) routing_.emplace(nLayers, nExperts, kRoutingLastN);
  cache_ = tel::CacheStats(std::max(nLayers, 0), std::max(nExperts, 0));
  kernels_ = tel::KernelBreakdown();
  ttft_.clear();
  dropped_ = 0;
  Q_EMIT cleared();
}

void TelemetryHub::beginReply(bool newConversation) {
  drainNow();
  engine_.beginReply();
  if (routing_) {
    if (newConversation) routing_->clear();
    routing_->begin_reply();
  }
}

void TelemetryHub::drainNow() {
  engine_.drain(batch_);
  dropped_ += engine_.droppedSinceLastDrain();
  if (batch_.empty()) return;
  bool routing = false, cache = false, kernels = false;
  for (const tel::Event& e : batch_) {
    switch (e.kind) {
      case tel::EventKind::routing:
        if (routing_) routing_->add(e.routing);
        routing = routing_.has_value();
        break;
      case tel::EventKind::cache:
        cache_.add(e.cache);
        cache = true;
        break;
      case tel::EventKind::kernel_span: kernels_.add(e.span); break;
      case tel::EventKind::token_step:
        kernels_.add(e.token);  // closes the token's row of kernel times...
        cache_.end_token();     // ...and its point of the hit-rate series
        kernels = cache = true;
        break;
      case tel::EventKind::reply:
        ttft_.push_back(e.reply.ttft_ms);
        kernels = true;
        break;
      default: break;  // memory records are not plotted
    }
  }
  Q_EMIT updated(routing, cache, kernels);
}

}  // namespace moe::ui
