#include "moe/ui/telemetry-hub.hpp"

namespace moe::ui {

TelemetryHub::TelemetryHub(QObject* parent) : QObject(parent), feed_(std::make_shared<TelemetryFeed>()) {
  timer_.setInterval(33);  // ~30 Hz: the panels cannot show more
  timer_.setTimerType(Qt::CoarseTimer);
  connect(&timer_, &QTimer::timeout, this, &TelemetryHub::drainNow);
  timer_.start();
}

void TelemetryHub::reset(int nLayers, int nExperts) {
  feed_->drain(batch_);  // discard what the previous model left
  engine_.drainInto(batch_);
  routing_.reset(nLayers, nExperts);
  cache_.reset();
  kernels_.reset();
  throughput_.reset();
  dropped_ = 0;
  Q_EMIT cleared();
}

void TelemetryHub::drainNow() {
  feed_->drain(batch_);
  engine_.drainInto(batch_);
  if (batch_.empty()) return;
  for (const auto& s : batch_.routing) routing_.add(s);
  for (const auto& s : batch_.cache) cache_.add(s);
  for (const auto& s : batch_.kernels) kernels_.add(s);
  for (const auto& s : batch_.steps) throughput_.add(s);
  dropped_ += batch_.dropped;
  Q_EMIT updated(!batch_.routing.empty(), !batch_.cache.empty(), !batch_.kernels.empty(), !batch_.steps.empty());
}

}  // namespace moe::ui
