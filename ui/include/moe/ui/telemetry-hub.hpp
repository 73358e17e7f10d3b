#pragma once
// Drains the engine's telemetry rings on the GUI thread at <= 30 Hz into the engine's own
// aggregators (moe/telemetry/aggregators.hpp: the CLI and the tests use the same ones) and
// tells the panels what changed; the engine never waits for the GUI.
#include "moe/telemetry/aggregators.hpp"
#include "moe/ui/engine-telemetry-source.hpp"

#include <QObject>
#include <QTimer>

#include <optional>

namespace moe::ui {

class TelemetryHub : public QObject {
  Q_OBJECT
 public:
  explicit TelemetryHub(QObject* parent = nullptr);
  static constexpr int kRoutingLastN = 64;  // the heatmap's "last N tokens" window

  // Null until reset() with a MoE model's shape (layers x experts).
  const tel::RoutingHistogram* routing() const { return routing_ ? &*routing_ : nullptr; }
  const tel::CacheStats& cache() const { return cache_; }
  const tel::KernelBreakdown& kernels() const { return kernels_; }
  const std::vector<double>& ttftMs() const { return ttft_; }  // one per reply, from its reply record
  unsigned long long dropped() const { return dropped_; }

  void reset(int nLayers = 0, int nExperts = 0);  // a new model: forget the old one's data
  void drainNow();
  // Marks the start of a reply: "this reply" routing counts and the trace export start here;
  // a reply in another conversation also starts the routing's "conversation" window afresh.
  void beginReply(bool newConversation = false);
  const std::vector<tel::TracedEvent>& replyEvents() const { return engine_.replyEvents(); }

 Q_SIGNALS:
  void updated(bool routing, bool cache, bool kernels);
  void cleared();

 private:
  std::optional<tel::RoutingHistogram> routing_;
  tel::CacheStats cache_{0};
  tel::KernelBreakdown kernels_;
  std::vector<double> ttft_;
  EngineTelemetrySource engine_;
  std::vector<tel::Event> batch_;
  unsigned long long dropped_ = 0;
  QTimer timer_;
};

}  // namespace moe::ui
