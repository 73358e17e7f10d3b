#pragma once
// The three telemetry panels: expert routing heatmap, expert cache, kernel timings.
#include "moe/ui/plot-panel.hpp"

#include <optional>
#include <utility>

class QCPColorMap;
class QCPItemRect;
class QMouseEvent;
class QCPColorScale;
class QCPGraph;
class QCPAxisRect;
class QCPBars;
class QCPTextElement;
class QComboBox;

namespace moe::ui {

class TelemetryHub;

// Layers x experts: how often each expert was chosen over the recent window. Clicking a
// cell selects it (cellSelected): the chat then highlights the tokens routed there.
class RoutingPanel : public PlotPanel {
  Q_OBJECT
 public:
  explicit RoutingPanel(const TelemetryHub* hub, QWidget* parent = nullptr);
  bool hasData() const override;
  void writeCsv(QTextStream& out) const override;
  void refresh() override;

  int selectedLayer() const { return selLayer_; }
  int selectedExpert() const { return selExpert_; }
  void setSelectedCell(int layer, int expert);  // (-1, -1) clears; emits nothing
  QComboBox* windowBox() const { return window_; }  // last N tokens / this reply / conversation
  // Where a cell is drawn now, in plotWidget() coordinates (lays the plot out first).
  QPoint cellCenter(int layer, int expert);
  QString toolTipAt(const QPoint& pos) const { return cellToolTip(pos); }  // what hovering shows

 Q_SIGNALS:
  void cellSelected(int layer, int expert);  // (-1, -1): cleared

 private:
  void onClick(QMouseEvent* event);
  std::optional<std::pair<int, int>> cellAt(const QPoint& pos) const;  // (layer, expert) drawn there
  QString cellToolTip(const QPoint& pos) const;                       // counts and share of a cell
  const TelemetryHub* hub_;
  QCPColorMap* map_ = nullptr;
  QCPColorScale* scale_ = nullptr;
  QCPItemRect* marker_ = nullptr;
  QComboBox* window_ = nullptr;
  int selLayer_ = -1, selExpert_ = -1;
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

// Per-decode-step time stacked by op (the step's wall time until the engine reports ops),
// rolling tok/s, TTFT.
class KernelPanel : public PlotPanel {
  Q_OBJECT
 public:
  explicit KernelPanel(const TelemetryHub* hub, QWidget* parent = nullptr);
  bool hasData() const override;
  void writeCsv(QTextStream& out) const override;
  void refresh() override;
  // Top of the ms-per-token axis for these step totals: the tallest step, unless a few steps
  // (a page-in, another process taking the core) are over three times the 90th percentile;
  // then the axis stops at twice that percentile so the ordinary steps stay readable, and
  // `clipped` counts the steps drawn cut off. Never below 0.05 ms.
  static double barAxisTop(QVector<double> totals, int* clipped);

 private:
  const TelemetryHub* hub_;
  QList<QCPBars*> opBars_;
  QCPBars* latencyBars_ = nullptr;
  QCPGraph* tokS_ = nullptr;
  QCPAxisRect* speedRect_ = nullptr;
  QCPTextElement* speedTitle_ = nullptr;
};

}  // namespace moe::ui
