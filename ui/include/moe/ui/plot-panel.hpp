#pragma once
// Base of the plotting panels: a QCustomPlot themed for light and dark, a note line for
// "waiting for data", and export of the plot (PNG/PDF) and of its data (CSV).
#include <QWidget>

class QCustomPlot;
class QHBoxLayout;
class QCPAxis;
class QCPAxisRect;
class QLabel;
class QStackedWidget;
class QTextStream;
class QToolButton;

namespace moe::ui {

class PlotPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PlotPanel(const QString& name, QWidget* parent = nullptr);
  QCustomPlot* plot() const { return plot_; }
  QWidget* plotWidget() const;  // plot() as a widget, for code that does not include QCustomPlot
  const QString& title() const { return name_; }
  virtual bool hasData() const = 0;
  virtual void writeCsv(QTextStream& out) const = 0;

  bool exportPng(const QString& path) const;
  bool exportPdf(const QString& path) const;
  bool exportCsv(const QString& path) const;
  QString note() const;
  QString placeholder() const;  // non-empty while the panel shows why it has no plot yet

 public Q_SLOTS:
  virtual void refresh() = 0;  // replots (queued) from the aggregators
  void applyTheme();           // after a palette change

 protected:
  void setNote(const QString& text);         // a line above the plot; empty hides it
  void addHeaderWidget(QWidget* w);          // beside the note, left of Export
  void setPlaceholder(const QString& text);  // replaces the plot until there is data
  void styleAxisRect(QCPAxisRect* rect) const;
  static void useIntegerTicks(QCPAxis* axis);  // tokens, layers, experts: no 2.5 ticks

 private:
  void exportWithDialog(const QString& filter, const QString& suffix);
  QString name_;
  QCustomPlot* plot_ = nullptr;
  QLabel* note_ = nullptr;
  QLabel* placeholder_ = nullptr;
  QStackedWidget* stack_ = nullptr;
  QToolButton* export_ = nullptr;
  QHBoxLayout* top_ = nullptr;
};

}  // namespace moe::ui
