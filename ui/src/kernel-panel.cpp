#include "moe/telemetry/hub.hpp"
#include "moe/ui/telemetry-hub.hpp"
#include "moe/ui/telemetry-panels.hpp"
#include "moe/ui/theme.hpp"

#include "qcustomplot-include.hpp"

#include <QTextStream>

#include <algorithm>
#include <iterator>

namespace moe::ui {
namespace {

using tel::OpKind;
constexpr size_t kOps = tel::KernelBreakdown::kOps;
constexpr int kShownRows = 128;      // decode steps in the bars: more would be slivers
constexpr size_t kRollingSteps = 8;  // tok/s is averaged over this many decode steps

// The bars stack a few groups of op kinds (twelve thin colours would not read; the CSV keeps
// every kind). `layer` spans enclose the others and belong to no group.
struct OpGroup {
  const char* name;
  QColor color;
  OpKind ops[2];
  int nOps;
};
const OpGroup kGroups[] = {
    {QT_TRANSLATE_NOOP("KernelPanel", "attention"), QColor(0x42, 0x85, 0xf4), {OpKind::attention, OpKind::rope}, 2},
    {QT_TRANSLATE_NOOP("KernelPanel", "router"), QColor(0xf4, 0xb4, 0x00), {OpKind::router}, 1},
    {QT_TRANSLATE_NOOP("KernelPanel", "experts"), QColor(0xdb, 0x44, 0x37), {OpKind::expert_ffn, OpKind::page_in}, 2},
    {QT_TRANSLATE_NOOP("KernelPanel", "shared expert"), QColor(0xab, 0x47, 0xbc), {OpKind::shared_expert}, 1},
    {QT_TRANSLATE_NOOP("KernelPanel", "dense FFN"), QColor(0xe9, 0x1e, 0x63), {OpKind::dense_ffn}, 1},
    {QT_TRANSLATE_NOOP("KernelPanel", "norm"), QColor(0x0f, 0x9d, 0x58), {OpKind::norm}, 1},
    {QT_TRANSLATE_NOOP("KernelPanel", "output"), QColor(0x00, 0xac, 0xc1), {OpKind::output_head, OpKind::sampling}, 2},
    {QT_TRANSLATE_NOOP("KernelPanel", "other"), QColor(0x9e, 0x9e, 0x9e), {OpKind::embedding, OpKind::other}, 2},
};
constexpr size_t kGroupCount = std::size(kGroups);
bool drawn(size_t op) { return op != static_cast<size_t>(OpKind::layer); }

double groupMs(const tel::KernelBreakdown::TokenRow& r, size_t g) {
  double ms = 0;
  for (int i = 0; i < kGroups[g].nOps; ++i) ms += r.op_ms[static_cast<size_t>(kGroups[g].ops[i])];
  return ms;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// The decode rows of the breakdown (prefill batches would dwarf them), oldest first.
std::vector<const tel::KernelBreakdown::TokenRow*> decodeRows(const tel::KernelBreakdown& k) {
  std::vector<const tel::KernelBreakdown::TokenRow*> rows;
  for (const auto& r : k.rows())
    if (!r.prefill) rows.push_back(&r);
  return rows;
}

}  // namespace

KernelPanel::KernelPanel(const TelemetryHub* hub, QWidget* parent) : PlotPanel(tr("Kernel timings"), parent), hub_(hub) {
  QCustomPlot* p = plot();
  p->legend->setVisible(true);
  p->legend->setFont(QFont(font().family(), std::max(7, font().pointSize() - 2)));
  p->legend->setIconSize(10, 8);
  QCPBars* below = nullptr;
  for (size_t g = 0; g < kGroupCount; ++g) {
    auto* bars = new QCPBars(p->xAxis, p->yAxis);
    bars->setName(tr(kGroups[g].name));
    bars->setPen(Qt::NoPen);
    bars->setBrush(kGroups[g].color);
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
  speedRect_->axis(QCPAxis::atBottom)->setLabel(tr("decode step"));
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

bool KernelPanel::hasData() const { return !hub_->kernels().rows().empty(); }

double KernelPanel::barAxisTop(QVector<double> totals, int* clipped) {
  if (clipped) *clipped = 0;
  if (totals.isEmpty()) return 1.0;
  std::sort(totals.begin(), totals.end());
  const double top = totals.back();
  const double p90 = totals[static_cast<qsizetype>(static_cast<double>(totals.size() - 1) * 0.9)];
  if (totals.size() >= 10 && p90 > 0 && top > 3 * p90) {
    const double cap = 2 * p90;
    if (clipped) *clipped = static_cast<int>(std::count_if(totals.begin(), totals.end(), [&](double t) { return t > cap; }));
    return cap;
  }
  return std::max(0.05, top * 1.1);
}

void KernelPanel::refresh() {
  QCustomPlot* p = plot();
  const tel::KernelBreakdown& k = hub_->kernels();
  speedTitle_->setTextColor(themeColors().text);
  if (!hasData()) {
    setPlaceholder(tel::kCompiledIn
                       ? tr("Send a message: time per token, tokens per second and time to first token appear while the model replies.")
                       : tr("This build has telemetry compiled out (MOESCOPE_METRICS=OFF): each reply's speed is in its stats line."));
    for (auto* b : opBars_) b->data()->clear();
    latencyBars_->data()->clear();
    tokS_->data()->clear();
    speedTitle_->setText(tr("Decode speed"));
    p->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  setPlaceholder({});
  const auto rows = decodeRows(k);
  const size_t first = rows.size() > kShownRows ? rows.size() - kShownRows : 0;
  // x = the decode step's number among those the breakdown keeps (replies restart positions).
  std::array<double, kGroupCount> groupTotal{};
  for (size_t i = first; i < rows.size(); ++i)
    for (size_t g = 0; g < kGroupCount; ++g) groupTotal[g] += groupMs(*rows[i], g);
  bool perOp = false;
  for (double t : groupTotal) perOp |= t > 0;
  const auto prefill = std::count_if(k.rows().begin(), k.rows().end(), [](const auto& r) { return r.prefill; });
  QString note = perOp ? (prefill > 0 ? tr("Decode steps only; %n prompt batch(es) left out of the bars.", nullptr, static_cast<int>(prefill)) : QString())
                       : tr("Per-op split (attention / router / experts …) appears once the engine reports kernel spans; "
                            "until then each bar is the whole step's wall time.");
  for (auto* b : opBars_) b->setVisible(perOp);
  latencyBars_->setVisible(!perOp);
  p->legend->setVisible(perOp);  // one series needs no legend; the axis label names it
  p->xAxis->setLabel(QString());  // shared with the speed plot below
  for (auto* b : opBars_) b->removeFromLegend();
  latencyBars_->removeFromLegend();
  QVector<double> x, wall, totals;
  for (size_t i = first; i < rows.size(); ++i) {
    x << static_cast<double>(i + 1);
    wall << rows[i]->wall_ms;
  }
  if (perOp) {
    for (size_t g = 0; g < kGroupCount; ++g) {
      QVector<double> y;
      for (size_t i = first; i < rows.size(); ++i) y << groupMs(*rows[i], g);
      opBars_[static_cast<qsizetype>(g)]->setData(x, y, true);
      if (groupTotal[g] > 0) opBars_[static_cast<qsizetype>(g)]->addToLegend();
    }
    for (size_t i = first; i < rows.size(); ++i) {
      double sum = 0;
      for (size_t g = 0; g < kGroupCount; ++g) sum += groupMs(*rows[i], g);
      totals << sum;
    }
    latencyBars_->data()->clear();
  } else {
    latencyBars_->setData(x, wall, true);
    latencyBars_->addToLegend();
    totals = wall;
  }
  if (x.isEmpty()) p->xAxis->setRange(0, 2);  // only a prompt batch so far
  else p->xAxis->setRange(x.front() - 0.5, x.back() + 0.5);
  int clipped = 0;
  p->yAxis->setRange(0, barAxisTop(totals, &clipped));
  if (clipped > 0) {
    const QString cut = tr("%n slow step(s) drawn cut off (axis capped).", nullptr, clipped);
    note = note.isEmpty() ? cut : note + QLatin1Char(' ') + cut;
  }
  setNote(note);

  // Rolling decode tok/s over the last kRollingSteps steps, per step.
  QVector<double> sy;
  double windowMs = 0;
  for (size_t i = first; i < rows.size(); ++i) {
    windowMs += rows[i]->wall_ms;
    if (i >= first + kRollingSteps) windowMs -= rows[i - kRollingSteps]->wall_ms;
    const size_t n = std::min(i - first + 1, kRollingSteps);
    sy << (windowMs > 0 ? 1000.0 * static_cast<double>(n) / windowMs : 0.0);
  }
  tokS_->setData(x, sy, true);
  if (!x.isEmpty()) {
    speedRect_->axis(QCPAxis::atBottom)->setRange(p->xAxis->range());
    speedRect_->axis(QCPAxis::atLeft)->setRange(0, std::max(1.0, *std::max_element(sy.begin(), sy.end()) * 1.15));
  }
  const std::vector<double>& ttft = hub_->ttftMs();
  speedTitle_->setText(tr("Decode speed %1 tok/s   ·   TTFT last %2 ms, median %3 ms (%4 replies)")
                           .arg(k.decode_tok_s(16), 0, 'f', 1)
                           .arg(ttft.empty() ? 0.0 : ttft.back(), 0, 'f', 0)
                           .arg(median(ttft), 0, 'f', 0)
                           .arg(ttft.size()));
  p->replot(QCustomPlot::rpQueuedReplot);
}

void KernelPanel::writeCsv(QTextStream& out) const {
  out << "step,position,prefill,tokens,wall_ms";
  for (size_t op = 0; op < kOps; ++op)
    if (drawn(op)) out << ',' << tel::op_name(static_cast<OpKind>(op)) << "_ms";
  out << '\n';
  size_t step = 0;
  for (const auto& r : hub_->kernels().rows()) {
    out << ++step << ',' << r.position << ',' << (r.prefill ? 1 : 0) << ',' << r.n_tokens << ',' << r.wall_ms;
    for (size_t op = 0; op < kOps; ++op)
      if (drawn(op)) out << ',' << r.op_ms[op];
    out << '\n';
  }
  out << "\nreply,ttft_ms\n";
  const std::vector<double>& ttft = hub_->ttftMs();
  for (size_t i = 0; i < ttft.size(); ++i) out << i << ',' << ttft[i] << '\n';
}

}  // namespace moe::ui
