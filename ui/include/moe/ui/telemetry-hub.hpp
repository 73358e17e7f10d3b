#pragma once
// Drains the telemetry feed on the GUI thread at <= 30 Hz into the panel aggregators and
// tells the panels what changed; producers never wait for the GUI.
#include "moe/ui/aggregators.hpp"
#include "moe/ui/engine-telemetry-source.hpp"
#include "moe/ui/telemetry-feed.hpp"

#include <QObject>
#include <QTimer>

#include <memory>

namespace moe::ui {

class TelemetryHub : public QObject {
  Q_OBJECT
 public:
  explicit TelemetryHub(QObject* parent = nullptr);
  const std::shared_ptr<TelemetryFeed>& feed() const { return feed_; }
  const RoutingAggregator& routing() const { return routing_; }
  const CacheAggregator& cache() const { return cache_; }
  const KernelAggregator& kernels() const { return kernels_; }
  const ThroughputAggregator& throughput() const { return throughput_; }
  unsigned long long dropped() const { return dropped_; }

  void reset(int nLayers = 0, int nExperts = 0);  // a new model: forget the old one's data
  void drainNow();
  // Marks the start of a reply: the trace export covers what the engine records from here.
  void beginReply() {
    drainNow();
    engine_.beginReply();
  }
  const std::vector<tel::TracedEvent>& replyEvents() const { return engine_.replyEvents(); }

 Q_SIGNALS:
  void updated(bool routing, bool cache, bool kernels, bool throughput);
  void cleared();

 private:
  std::shared_ptr<TelemetryFeed> feed_;
  RoutingAggregator routing_;
  CacheAggregator cache_;
  KernelAggregator kernels_;
  ThroughputAggregator throughput_;
  EngineTelemetrySource engine_;  // the engine's own rings (routing, cache, kernel spans)
  TelemetryBatch batch_;
  unsigned long long dropped_ = 0;
  QTimer timer_;
};

}  // namespace moe::ui
