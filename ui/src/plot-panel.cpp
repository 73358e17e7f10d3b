#include "moe/ui/plot-panel.hpp"

#include "moe/ui/theme.hpp"

#include "qcustomplot-include.hpp"

#include <QFileDialog>
#include <QLabel>
#include <QMenu>
#include <QSaveFile>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTextStream>
#include <QToolButton>
#include <QVBoxLayout>

namespace moe::ui {

QWidget* PlotPanel::plotWidget() const { return plot_; }

PlotPanel::PlotPanel(const QString& name, QWidget* parent) : QWidget(parent), name_(name) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->setSpacing(2);
  auto* top = top_ = new QHBoxLayout;
  note_ = new QLabel(this);
  note_->setWordWrap(true);
  note_->setForegroundRole(QPalette::PlaceholderText);
  top->addWidget(note_, 1);
  top->addStretch(0);  // keeps Export on the right while the note is hidden
  export_ = new QToolButton(this);
  export_->setText(tr("Export"));
  export_->setAccessibleName(tr("Export %1").arg(name));
  export_->setPopupMode(QToolButton::InstantPopup);
  auto* menu = new QMenu(export_);
  menu->addAction(tr("Plot as PNG…"), this, [this] { exportWithDialog(tr("PNG image (*.png)"), QStringLiteral("png")); });
  menu->addAction(tr("Plot as PDF…"), this, [this] { exportWithDialog(tr("PDF document (*.pdf)"), QStringLiteral("pdf")); });
  menu->addAction(tr("Data as CSV…"), this, [this] { exportWithDialog(tr("CSV table (*.csv)"), QStringLiteral("csv")); });
  export_->setMenu(menu);
  top->addWidget(export_, 0, Qt::AlignTop | Qt::AlignRight);
  layout->addLayout(top);
  stack_ = new QStackedWidget(this);
  placeholder_ = new QLabel(stack_);
  placeholder_->setAlignment(Qt::AlignCenter);
  placeholder_->setWordWrap(true);
  placeholder_->setMargin(16);
  placeholder_->setForegroundRole(QPalette::PlaceholderText);
  placeholder_->setAccessibleName(tr("%1: no data").arg(name));
  plot_ = new QCustomPlot(stack_);
  plot_->setAccessibleName(name);
  plot_->setMinimumSize(220, 160);
  plot_->setNoAntialiasingOnDrag(true);
  stack_->addWidget(placeholder_);
  stack_->addWidget(plot_);
  stack_->setCurrentWidget(plot_);
  layout->addWidget(stack_, 1);
  setNote({});
}

void PlotPanel::addHeaderWidget(QWidget* w) { top_->insertWidget(top_->count() - 1, w, 0, Qt::AlignTop); }

void PlotPanel::setNote(const QString& text) {
  note_->setText(text);
  note_->setVisible(!text.isEmpty());
}

QString PlotPanel::note() const { return note_->text(); }

void PlotPanel::setPlaceholder(const QString& text) {
  placeholder_->setText(text);
  stack_->setCurrentWidget(text.isEmpty() ? static_cast<QWidget*>(plot_) : placeholder_);
  if (!text.isEmpty()) setNote({});
}

QString PlotPanel::placeholder() const { return stack_->currentWidget() == placeholder_ ? placeholder_->text() : QString(); }

void PlotPanel::styleAxisRect(QCPAxisRect* rect) const {
  const ThemeColors c = themeColors();
  for (QCPAxis* axis : rect->axes()) {
    axis->setBasePen(QPen(c.mutedText));
    axis->setTickPen(QPen(c.mutedText));
    axis->setSubTickPen(QPen(c.mutedText));
    axis->setTickLabelColor(c.text);
    axis->setLabelColor(c.text);
    axis->grid()->setPen(QPen(c.grid, 0, Qt::DotLine));
    axis->grid()->setSubGridVisible(false);
  }
}

void PlotPanel::useIntegerTicks(QCPAxis* axis) {
  QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
  ticker->setTickStep(1.0);
  ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);  // 1, 2, 5, 10… as the range grows
  ticker->setTickCount(6);
  axis->setTicker(ticker);
}

void PlotPanel::applyTheme() {
  const ThemeColors c = themeColors();
  plot_->setBackground(c.base);
  for (QCPAxisRect* r : plot_->axisRects()) {
    r->setBackground(c.base);
    styleAxisRect(r);
  }
  for (int i = 0; i < plot_->plotLayout()->elementCount(); ++i)
    if (auto* t = qobject_cast<QCPTextElement*>(plot_->plotLayout()->elementAt(i))) t->setTextColor(c.text);
  if (plot_->legend) {
    plot_->legend->setBrush(c.base);
    plot_->legend->setTextColor(c.text);
    plot_->legend->setBorderPen(QPen(c.grid));
  }
  refresh();
}

bool PlotPanel::exportPng(const QString& path) const { return plot_->savePng(path, 0, 0, 2.0); }
bool PlotPanel::exportPdf(const QString& path) const { return plot_->savePdf(path); }

bool PlotPanel::exportCsv(const QString& path) const {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
  QTextStream out(&f);
  writeCsv(out);
  out.flush();
  return f.commit();
}

void PlotPanel::exportWithDialog(const QString& filter, const QString& suffix) {
  const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
  QString path = QFileDialog::getSaveFileName(this, tr("Export %1").arg(name_),
                                              dir + QLatin1Char('/') + name_.toLower().replace(QLatin1Char(' '), QLatin1Char('-')) +
                                                  QLatin1Char('.') + suffix,
                                              filter);
  if (path.isEmpty()) return;
  if (!path.endsWith(QLatin1Char('.') + suffix)) path += QLatin1Char('.') + suffix;
  const bool ok = suffix == QLatin1String("png") ? exportPng(path) : suffix == QLatin1String("pdf") ? exportPdf(path) : exportCsv(path);
  if (!ok) setNote(tr("Could not write %1").arg(path));
}

}  // namespace moe::ui
