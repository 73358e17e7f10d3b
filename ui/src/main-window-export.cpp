// File > Export Trace of Last Reply: the engine records drained during the last reply, as a
// Chrome trace (Perfetto, chrome://tracing) and a routing CSV beside it whose token column
// holds each position's text (the prompt's tokens and the reply's).
#include "moe/telemetry/trace.hpp"
#include "moe/ui/main-window.hpp"
#include "moe/ui/reply-routing.hpp"
#include "moe/ui/telemetry-hub.hpp"

#include <QFileDialog>
#include <QFileInfo>
#include <QStandardPaths>
#include <QStatusBar>

#include <fstream>

namespace moe::ui {

bool MainWindow::exportTraceFiles(const QString& path, QString* csvPath, QString* error) {
  hub_->drainNow();
  const std::vector<tel::TracedEvent>& events = hub_->replyEvents();
  if (events.empty()) {
    *error = tr("There is no reply with engine telemetry to export yet.");
    return false;
  }
  const QFileInfo info(path);
  *csvPath = info.absolutePath() + QLatin1Char('/') + info.completeBaseName() + QStringLiteral("-routing.csv");
  std::ofstream trace(path.toStdString(), std::ios::binary);
  tel::TraceInfo ti;
  ti.process_name = "moescope";
  tel::write_chrome_trace(trace, events, ti);
  std::ofstream csv(csvPath->toStdString(), std::ios::binary);
  // The record of the reply whose events these are (a reply still streaming has none yet).
  const std::shared_ptr<const ReplyRouting> routing = replying() ? nullptr : lastRouting_;
  tel::write_routing_csv(csv, events, [&routing](uint32_t position) {
    return routing ? routing->tokenText(static_cast<int>(position)).toStdString() : std::string();
  });
  trace.close();
  csv.close();
  if (!trace || !csv) {
    *error = tr("Could not write %1 or %2.").arg(path, *csvPath);
    return false;
  }
  return true;
}

void MainWindow::exportTrace() {
  hub_->drainNow();
  if (hub_->replyEvents().empty()) {
    showError(tr("Export Trace"), tr("There is no reply with engine telemetry to export yet."));
    return;
  }
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export Trace of Last Reply"),
      QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation) + QStringLiteral("/moescope-trace.json"),
      tr("Chrome trace (*.json)"));
  if (path.isEmpty()) return;
  QString csvPath, error;
  if (!exportTraceFiles(path, &csvPath, &error)) {
    showError(tr("Export Trace"), error);
    return;
  }
  statusBar()->showMessage(tr("Exported %1 engine events to %2 and %3").arg(hub_->replyEvents().size()).arg(path, csvPath), 8000);
}

}  // namespace moe::ui
