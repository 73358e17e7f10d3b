#include "moe/ui/telemetry-hub.hpp"
#include "moe/ui/telemetry-panels.hpp"
#include "moe/ui/theme.hpp"

#include "qcustomplot-include.hpp"

#include <QTextStream>

#include <algorithm>

namespace moe::ui {
namespace {

const QColor kOpColors[kKernelOpCount] = {QColor(0x42, 0x85, 0xf4), QColor(0xf4, 0xb4, 0x00), QColor(0xdb, 0x44, 0x37),
                                          QColor(0xab, 0x47, 0xbc), QColor(0x0f, 0x9d, 0x58), QColor(0x00, 0xac, 0xc1),
                                          QColor(0x9e, 0x9e, 0x9e)};

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

KernelPanel::KernelPanel(const TelemetryHub* hub, QWidget* parent) : PlotPanel(tr("Kernel timings"), parent), hub_(hub) {
  QCustomPlot* p = plot();
  p->legend->setVisible(true);
  p->legend->setFont(QFont(font().family(), std::max(7, font().pointSize() - 2)));
  p->legend->setIconSize(10, 8);
  QCPBars* below = nullptr;
  for (int op = 0; op < kKernelOpCount; ++op) {
    auto* bars = new QCPBars(p->xAxis, p->yAxis);
    bars->setName(QString::fromLatin1(kernelOpName(static_cast<KernelOp>(op)).data()));
    bars->setPen(Qt::NoPen);
    bars->setBrush(kOpColors[op]);
    bars->setWidthType(QCPBars::wtPlotCoords);
    bars->setWidth(0.8);
    if (below) bars->moveAbove(below);
    below = bars;
    opBars_ << bars;
  }
  latencyBars_ = new QCPBars(p->xAxis, p->yAxis);
  latencyBars_->setName(tr("decode step"));
  latencyBars_->setPen(Qt::NoPen);
  latencyBars_->setBrush(QColor(0x42, 0x85, 0xf4));
  latencyBars_->setWidthType(QCPBars::wtPlotCoords);
  latencyBars_->setWidth(0.8);
  p->xAxis->setLabel(tr("token"));
  p->yAxis->setLabel(tr("ms per token"));

  speedTitle_ = new QCPTextElement(p, QString(), QFont(font().family(), font().pointSize(), QFont::Bold));
  p->plotLayout()->addElement(1, 0, speedTitle_);
  speedRect_ = new QCPAxisRect(p);
  p->plotLayout()->addElement(2, 0, speedRect_);
  tokS_ = p->addGraph(speedRect_->axis(QCPAxis::atBottom), speedRect_->axis(QCPAxis::atLeft));
  tokS_->setPen(QPen(QColor(0x0f, 0x9d, 0x58), 2));
  tokS_->setName(tr("decode tok/s"));
  p->legend->removeItem(p->legend->itemCount() - 1);  // the speed plot has its own title
  speedRect_->axis(QCPAxis::atBottom)->setLabel(tr("generated token"));
  speedRect_->axis(QCPAxis::atLeft)->setLabel(tr("tok/s"));
  auto* group = new QCPMarginGroup(p);
  p->axisRect()->setMarginGroup(QCP::msLeft | QCP::msRight, group);
  speedRect_->setMarginGroup(QCP::msLeft | QCP::msRight, group);
  // The op legend gets its own row above the bars, one line wide, so it never covers data.
  p->axisRect()->insetLayout()->take(p->legend);
  p->plotLayout()->insertRow(0);
  p->plotLayout()->addElement(0, 0, p->legend);
  p->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  p->legend->setWrap(4);  // two short rows rather than one row wider than the dock
  p->legend->setMargins(QMargins(4, 1, 4, 1));
  p->plotLayout()->setRowStretchFactor(0, 0.001);
  p->plotLayout()->setRowStretchFactor(2, 0.001);  // the speed title
  useIntegerTicks(p->xAxis);
  useIntegerTicks(speedRect_->axis(QCPAxis::atBottom));
  p->yAxis->ticker()->setTickCount(4);
  speedRect_->axis(QCPAxis::atLeft)->ticker()->setTickCount(3);
  applyTheme();
}

bool KernelPanel::hasData() const { return hub_->throughput().tokensSeen() > 0 || !hub_->kernels().tokens().empty(); }

void KernelPanel::refresh() {
  QCustomPlot* p = plot();
  const auto& k = hub_->kernels();
  const auto& t = hub_->throughput();
  speedTitle_->setTextColor(themeColors().text);
  if (!hasData()) {
    setPlaceholder(tr("Send a message: time per token, tokens per second and time to first token appear while the model replies."));
    for (auto* b : opBars_) b->data()->clear();
    latencyBars_->data()->clear();
    tokS_->data()->clear();
    speedTitle_->setText(tr("Decode speed"));
    p->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  setPlaceholder({});
  const bool perOp = !k.tokens().empty();
  setNote(perOp ? QString() : tr("Per-op split (attention / router / experts …) appears once the engine reports kernel spans; "
                                 "until then each bar is the whole token's latency."));
  for (auto* b : opBars_) b->setVisible(perOp);
  p->legend->setVisible(perOp);  // one series needs no legend; the axis label names it
  p->xAxis->setLabel(perOp ? tr("token position") : QString());  // else shared with the speed plot below
  for (int i = 0; i < opBars_.size(); ++i) opBars_[i]->removeFromLegend();
  latencyBars_->removeFromLegend();
  double maxY = 0;
  if (perOp) {
    for (int op = 0; op < kKernelOpCount; ++op) {
      QVector<double> x, y;
      for (const auto& [pos, b] : k.tokens()) {
        x << pos;
        y << b[static_cast<size_t>(op)] / 1000.0;
      }
      opBars_[op]->setData(x, y, true);
      if (std::any_of(y.begin(), y.end(), [](double v) { return v > 0; })) opBars_[op]->addToLegend();
    }
    for (const auto& [pos, b] : k.tokens()) {
      double sum = 0;
      for (double v : b) sum += v / 1000.0;
      maxY = std::max(maxY, sum);
    }
    p->xAxis->setRange(k.tokens().begin()->first - 1, k.tokens().rbegin()->first + 1);
    latencyBars_->data()->clear();
  } else {
    QVector<double> x, y;
    // The last 128 tokens keep the bars readable.
    const auto& lat = t.latencyMs();
    for (size_t i = lat.size() > 128 ? lat.size() - 128 : 0; i < lat.size(); ++i) {
      x << static_cast<double>(lat[i].token);
      y << lat[i].tokS;
      maxY = std::max(maxY, lat[i].tokS);
    }
    latencyBars_->setData(x, y, true);
    latencyBars_->addToLegend();
    if (x.isEmpty()) p->xAxis->setRange(0, 2);  // a one-token reply: only its TTFT exists
    else p->xAxis->setRange(x.front() - 0.5, x.back() + 0.5);
  }
  p->yAxis->setRange(0, std::max(1.0, maxY * 1.1));

  QVector<double> sx, sy;
  for (const auto& pt : t.tokS()) {
    sx << static_cast<double>(pt.token);
    sy << pt.tokS;
  }
  tokS_->setData(sx, sy, true);
  if (!sx.isEmpty()) {
    // Without per-op spans both plots count generated tokens: keep them aligned.
    if (perOp) speedRect_->axis(QCPAxis::atBottom)->setRange(sx.front(), std::max(sx.back(), sx.front() + 1));
    else speedRect_->axis(QCPAxis::atBottom)->setRange(p->xAxis->range());
    speedRect_->axis(QCPAxis::atLeft)->setRange(0, *std::max_element(sy.begin(), sy.end()) * 1.15);
  }
  const auto& ttft = t.ttftMs();
  speedTitle_->setText(tr("Decode speed %1 tok/s   ·   TTFT last %2 ms, median %3 ms (%4 replies)")
                           .arg(sy.isEmpty() ? 0.0 : sy.back(), 0, 'f', 1)
                           .arg(ttft.empty() ? 0.0 : ttft.back(), 0, 'f', 0)
                           .arg(median(ttft), 0, 'f', 0)
                           .arg(ttft.size()));
  p->replot(QCustomPlot::rpQueuedReplot);
}

void KernelPanel::writeCsv(QTextStream& out) const {
  const auto& k = hub_->kernels();
  if (!k.tokens().empty()) {
    out << "token";
    for (int op = 0; op < kKernelOpCount; ++op) out << ',' << kernelOpName(static_cast<KernelOp>(op)).data() << "_us";
    out << '\n';
    for (const auto& [pos, b] : k.tokens()) {
      out << pos;
      for (double v : b) out << ',' << v;
      out << '\n';
    }
    out << '\n';
  }
  out << "token,latency_ms,rolling_tok_s\n";
  const auto& lat = hub_->throughput().latencyMs();
  const auto& tokS = hub_->throughput().tokS();
  size_t j = 0;
  for (const auto& l : lat) {
    while (j < tokS.size() && tokS[j].token < l.token) ++j;
    out << l.token << ',' << l.tokS << ',';
    if (j < tokS.size() && tokS[j].token == l.token) out << tokS[j].tokS;
    out << '\n';
  }
  out << "\nreply,ttft_ms\n";
  const auto& ttft = hub_->throughput().ttftMs();
  for (size_t i = 0; i < ttft.size(); ++i) out << i << ',' << ttft[i] << '\n';
}

}  // namespace moe::ui
