#include "moe/ui/telemetry-hub.hpp"
#include "moe/ui/telemetry-panels.hpp"
#include "moe/ui/theme.hpp"

#include "qcustomplot-include.hpp"

#include <QComboBox>
#include <QMouseEvent>
#include <QTextStream>
#include <QToolTip>

namespace moe::ui {
namespace {

tel::RoutingWindow windowOf(const QComboBox* box) { return static_cast<tel::RoutingWindow>(box->currentData().toInt()); }

}  // namespace

RoutingPanel::RoutingPanel(const TelemetryHub* hub, QWidget* parent) : PlotPanel(tr("Expert routing"), parent), hub_(hub) {
  QCustomPlot* p = plot();
  map_ = new QCPColorMap(p->xAxis, p->yAxis);
  scale_ = new QCPColorScale(p);
  p->plotLayout()->addElement(0, 1, scale_);
  scale_->setType(QCPAxis::atRight);
  scale_->axis()->setLabel(tr("selections"));
  map_->setColorScale(scale_);
  map_->setGradient(QCPColorGradient::gpThermal);
  map_->setInterpolate(false);
  p->xAxis->setLabel(tr("expert"));
  p->yAxis->setLabel(tr("layer"));
  p->yAxis->setRangeReversed(true);  // layer 0 at the top, like the model's block order
  useIntegerTicks(p->xAxis);
  useIntegerTicks(p->yAxis);
  auto* group = new QCPMarginGroup(p);
  p->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
  scale_->setMarginGroup(QCP::msBottom | QCP::msTop, group);
  window_ = new QComboBox(this);
  window_->setAccessibleName(tr("Routing window"));
  window_->addItem(tr("Last %1 tokens").arg(TelemetryHub::kRoutingLastN), static_cast<int>(tel::RoutingWindow::last_n_tokens));
  window_->addItem(tr("This reply"), static_cast<int>(tel::RoutingWindow::this_reply));
  window_->addItem(tr("Conversation"), static_cast<int>(tel::RoutingWindow::conversation));
  window_->setToolTip(tr("Which router decisions the heatmap counts (prompt tokens included: the engine routes them too)"));
  connect(window_, &QComboBox::currentIndexChanged, this, &RoutingPanel::refresh);
  addHeaderWidget(window_);
  marker_ = new QCPItemRect(p);
  marker_->setBrush(Qt::NoBrush);
  marker_->setVisible(false);
  marker_->setSelectable(false);
  connect(p, &QCustomPlot::mouseRelease, this, &RoutingPanel::onClick);
  connect(p, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
    const QString tip = cellToolTip(event->pos());
    if (tip.isEmpty()) QToolTip::hideText();
    else QToolTip::showText(event->globalPosition().toPoint(), tip, plot());
  });
  p->setToolTip(tr("Click a cell to highlight, in the chat, the tokens routed to that expert in that layer."));
  applyTheme();
}

QPoint RoutingPanel::cellCenter(int layer, int expert) {
  plot()->replot(QCustomPlot::rpImmediateRefresh);
  return {static_cast<int>(plot()->xAxis->coordToPixel(expert)), static_cast<int>(plot()->yAxis->coordToPixel(layer))};
}

std::optional<std::pair<int, int>> RoutingPanel::cellAt(const QPoint& pos) const {
  const QCustomPlot* p = plot();
  const int expert = qRound(p->xAxis->pixelToCoord(pos.x()));
  const int layer = qRound(p->yAxis->pixelToCoord(pos.y()));
  if (!p->axisRect()->rect().contains(pos) || !hasData() || layer < 0 || expert < 0 || layer >= map_->data()->valueSize() ||
      expert >= map_->data()->keySize())
    return std::nullopt;
  return std::pair{layer, expert};
}

QString RoutingPanel::cellToolTip(const QPoint& pos) const {
  const auto cell = cellAt(pos);
  if (!cell) return {};
  const auto [layer, expert] = *cell;
  const int ne = map_->data()->keySize();
  double layerTotal = 0;
  for (int e = 0; e < ne; ++e) layerTotal += map_->data()->cell(e, layer);
  const double n = map_->data()->cell(expert, layer);
  return tr("Layer %1, expert %2: chosen %3 times (%4% of the layer's picks, %5)\nClick to highlight its tokens in the chat.")
      .arg(layer)
      .arg(expert)
      .arg(n, 0, 'f', 0)
      .arg(layerTotal > 0 ? 100.0 * n / layerTotal : 0.0, 0, 'f', 1)
      .arg(window_->currentText().toLower());
}

void RoutingPanel::onClick(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  const auto cell = cellAt(event->pos());
  // A second click on the selected cell, or one beside the map, clears.
  if (!cell || (cell->first == selLayer_ && cell->second == selExpert_)) setSelectedCell(-1, -1);
  else setSelectedCell(cell->first, cell->second);
  Q_EMIT cellSelected(selLayer_, selExpert_);
}

void RoutingPanel::setSelectedCell(int layer, int expert) {
  selLayer_ = layer < 0 || expert < 0 ? -1 : layer;
  selExpert_ = layer < 0 || expert < 0 ? -1 : expert;
  marker_->setVisible(selLayer_ >= 0);
  if (selLayer_ >= 0) {
    marker_->topLeft->setCoords(selExpert_ - 0.5, selLayer_ - 0.5);
    marker_->bottomRight->setCoords(selExpert_ + 0.5, selLayer_ + 0.5);
    // Visible on the dark and the bright end of the thermal gradient alike.
    marker_->setPen(QPen(QColor(0x00, 0xc8, 0xff), 2.5));
  }
  plot()->replot(QCustomPlot::rpQueuedReplot);
}

bool RoutingPanel::hasData() const { return hub_->routing() && !hub_->routing()->empty(); }

void RoutingPanel::refresh() {
  const tel::RoutingHistogram* r = hub_->routing();
  QCustomPlot* p = plot();
  scale_->axis()->setBasePen(QPen(themeColors().mutedText));
  scale_->axis()->setTickLabelColor(themeColors().text);
  scale_->axis()->setLabelColor(themeColors().text);
  if (!hasData()) {
    setPlaceholder(tr("No routing data yet.\n\nThis heatmap (layers × experts, selections over the last %1 tokens, "
                      "the reply or the conversation) fills as soon as the engine reports its router decisions.")
                       .arg(TelemetryHub::kRoutingLastN));
    map_->data()->clear();
    p->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  setPlaceholder({});
  const int nl = r->n_layers(), ne = r->n_experts();
  const std::vector<uint32_t> counts = r->counts(windowOf(window_));
  map_->data()->setSize(ne, nl);
  map_->data()->setRange(QCPRange(0, ne - 1), QCPRange(0, nl - 1));
  for (int l = 0; l < nl; ++l)
    for (int e = 0; e < ne; ++e) map_->data()->setCell(e, l, counts[static_cast<size_t>(l) * static_cast<size_t>(ne) + static_cast<size_t>(e)]);
  map_->rescaleDataRange(true);
  p->xAxis->setRange(-0.5, ne - 0.5);
  p->yAxis->setRange(-0.5, nl - 0.5);
  scale_->axis()->setLabel(tr("selections (%1)").arg(window_->currentText().toLower()));
  p->replot(QCustomPlot::rpQueuedReplot);
}

void RoutingPanel::writeCsv(QTextStream& out) const {
  const tel::RoutingHistogram* r = hub_->routing();
  out << "layer,expert,selections,share_of_layer\n";
  if (!r) return;
  const int ne = r->n_experts();
  const std::vector<uint32_t> counts = r->counts(windowOf(window_));
  for (int l = 0; l < r->n_layers(); ++l) {
    double layerTotal = 0;
    for (int e = 0; e < ne; ++e) layerTotal += counts[static_cast<size_t>(l * ne + e)];
    for (int e = 0; e < ne; ++e) {
      const uint32_t n = counts[static_cast<size_t>(l * ne + e)];
      out << l << ',' << e << ',' << n << ',' << (layerTotal > 0 ? n / layerTotal : 0.0) << '\n';
    }
  }
}

CachePanel::CachePanel(const TelemetryHub* hub, QWidget* parent) : PlotPanel(tr("Expert cache"), parent), hub_(hub) {
  QCustomPlot* p = plot();
  hitRate_ = p->addGraph();
  hitRate_->setName(tr("hit rate"));
  hitRate_->setPen(QPen(QColor(0x2e, 0x9e, 0x6a), 2));
  p->xAxis->setLabel(tr("token step"));
  p->yAxis->setLabel(tr("hit rate"));
  p->yAxis->setRange(0, 1.05);
  residencyRect_ = new QCPAxisRect(p);
  p->plotLayout()->addElement(1, 0, residencyRect_);
  residency_ = new QCPColorMap(residencyRect_->axis(QCPAxis::atBottom), residencyRect_->axis(QCPAxis::atLeft));
  QCPColorGradient g;
  g.setColorStopAt(0, QColor(0x80, 0x80, 0x80, 60));
  g.setColorStopAt(1, QColor(0x2e, 0x9e, 0x6a));
  g.setLevelCount(2);
  residency_->setGradient(g);
  residency_->setDataRange(QCPRange(0, 1));
  residency_->setInterpolate(false);
  residencyRect_->axis(QCPAxis::atBottom)->setLabel(tr("expert (green = resident)"));
  residencyRect_->axis(QCPAxis::atLeft)->setLabel(tr("layer"));
  residencyRect_->axis(QCPAxis::atLeft)->setRangeReversed(true);
  useIntegerTicks(p->xAxis);
  useIntegerTicks(residencyRect_->axis(QCPAxis::atBottom));
  useIntegerTicks(residencyRect_->axis(QCPAxis::atLeft));
  p->yAxis->ticker()->setTickCount(3);
  auto* group = new QCPMarginGroup(p);
  p->axisRect()->setMarginGroup(QCP::msLeft | QCP::msRight, group);
  residencyRect_->setMarginGroup(QCP::msLeft | QCP::msRight, group);
  applyTheme();
}

bool CachePanel::hasData() const { return hub_->cache().total().hits + hub_->cache().total().misses > 0; }

void CachePanel::refresh() {
  const tel::CacheStats& c = hub_->cache();
  QCustomPlot* p = plot();
  if (!hasData()) {
    setPlaceholder(tr("No expert-cache data yet.\n\nHit rate per token and which experts are resident appear "
                      "once the engine's expert cache reports its lookups."));
    hitRate_->data()->clear();
    residency_->data()->clear();
    p->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  setPlaceholder({});
  const tel::CacheStats::Totals& t = c.total();
  QString note = tr("Overall hit rate %1% (%2 hits, %3 misses, %4 evictions)")
                     .arg(100.0 * c.hit_rate(), 0, 'f', 1)
                     .arg(t.hits)
                     .arg(t.misses)
                     .arg(t.evictions);
  if (t.prefetch_issued > 0) note += tr(" · prefetch accuracy %1%").arg(100.0 * c.prefetch_accuracy(), 0, 'f', 1);
  setNote(note);
  // One point per token step that looked experts up (-1: a step without lookups).
  QVector<double> x, y;
  const std::vector<double>& series = c.hit_rate_series();
  for (size_t i = 0; i < series.size(); ++i) {
    if (series[i] < 0) continue;
    x << static_cast<double>(i);
    y << series[i];
  }
  hitRate_->setData(x, y, true);
  if (!x.isEmpty()) p->xAxis->setRange(x.front(), std::max(x.back(), x.front() + 1));
  const int nl = c.n_layers(), ne = c.n_experts();
  residency_->data()->setSize(ne, nl);
  residency_->data()->setRange(QCPRange(0, ne - 1), QCPRange(0, nl - 1));
  for (int l = 0; l < nl; ++l)
    for (int e = 0; e < ne; ++e) residency_->data()->setCell(e, l, c.resident(l, e) ? 1.0 : 0.0);
  residencyRect_->axis(QCPAxis::atBottom)->setRange(-0.5, ne - 0.5);
  residencyRect_->axis(QCPAxis::atLeft)->setRange(-0.5, nl - 0.5);
  p->replot(QCustomPlot::rpQueuedReplot);
}

void CachePanel::writeCsv(QTextStream& out) const {
  out << "token_step,hit_rate\n";
  const std::vector<double>& series = hub_->cache().hit_rate_series();
  for (size_t i = 0; i < series.size(); ++i)
    if (series[i] >= 0) out << i << ',' << series[i] << '\n';
}

}  // namespace moe::ui
