#pragma once
// The three telemetry panels: expert routing heatmap, expert cache, kernel timings.
#include "moe/ui/plot-panel.hpp"

class QCPColorMap;
class QCPColorScale;
class QCPGraph;
class QCPAxisRect;
class QCPBars;
class QCPTextElement;

namespace moe::ui {

class TelemetryHub;

// Layers x experts: how often each expert was chosen over the recent window.
class RoutingPanel : public PlotPanel {
  Q_OBJECT
 public:
  explicit RoutingPanel(const TelemetryHub* hub, QWidget* parent = nullptr);
  bool hasData() const override;
  void writeCsv(QTextStream& out) const override;
  void refresh() override;

 private:
  const TelemetryHub* hub_;
  QCPColorMap* map_ = nullptr;
  QCPColorScale* scale_ = nullptr;
};

// Hit rate per token and which experts are resident.
class CachePanel : public PlotPanel {
  Q_OBJECT
 public:
  explicit CachePanel(const TelemetryHub* hub, QWidget* parent = nullptr);
  bool hasData() const override;
  void writeCsv(QTextStream& out) const override;
  void refresh() override;

 private:
  const TelemetryHub* hub_;
  QCPGraph* hitRate_ = nullptr;
  QCPAxisRect* residencyRect_ = nullptr;
  QCPColorMap* residency_ = nullptr;
};

// Per-token time stacked by op (token latency until the engine reports ops), rolling tok/s, TTFT.
class KernelPanel : public PlotPanel {
  Q_OBJECT
 public:
  explicit KernelPanel(const TelemetryHub* hub, QWidget* parent = nullptr);
  bool hasData() const override;
  void writeCsv(QTextStream& out) const override;
  void refresh() override;

 private:
  const TelemetryHub* hub_;
  QList<QCPBars*> opBars_;
  QCPBars* latencyBars_ = nullptr;
  QCPGraph* tokS_ = nullptr;
  QCPAxisRect* speedRect_ = nullptr;
  QCPTextElement* speedTitle_ = nullptr;
};

}  // namespace moe::ui
