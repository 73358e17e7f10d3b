// File > Export Trace of Last Reply: the engine records drained during the last reply, as a
// Chrome trace (Perfetto, chrome://tracing) and a routing CSV beside it.
#include "moe/telemetry/trace.hpp"
#include "moe/ui/main-window.hpp"
#include "moe/ui/telemetry-hub.hpp"

#include <QFileDialog>
#include <QFileInfo>
#include <QStandardPaths>
#include <QStatusBar>

#include <fstream>

namespace moe::ui {

void MainWindow::exportTrace() {
  hub_->drainNow();
  const std::vector<tel::TracedEvent>& events = hub_->replyEvents();
  if (events.empty()) {
    showError(tr("Export Trace"), tr("There is no reply with engine telemetry to export yet."));
    return;
  }
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export Trace of Last Reply"),
      QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation) + QStringLiteral("/moescope-trace.json"),
      tr("Chrome trace (*.json)"));
  if (path.isEmpty()) return;
  const QFileInfo info(path);
  const QString csvPath = info.absolutePath() + QLatin1Char('/') + info.completeBaseName() + QStringLiteral("-routing.csv");
  std::ofstream trace(path.toStdString(), std::ios::binary);
  tel::TraceInfo ti;
  ti.process_name = "moescope";
  tel::write_chrome_trace(trace, events, ti);
  std::ofstream csv(csvPath.toStdString(), std::ios::binary);
  // Token texts are not kept with the panel data; the CLI's `trace --routing-csv` fills them.
  tel::write_routing_csv(csv, events, {});
  trace.close();
  csv.close();
  if (!trace || !csv) {
    showError(tr("Export Trace"), tr("Could not write %1 or %2.").arg(path, csvPath));
    return;
  }
  statusBar()->showMessage(tr("Exported %1 engine events to %2 and %3").arg(events.size()).arg(path, csvPath), 8000);
}

}  // namespace moe::ui
