#include "moe/telemetry/hub.hpp"
#include "moe/ui/auto-run.hpp"

#include "moe/ui/conversation-list-model.hpp"
#include "moe/ui/main-window.hpp"
#include "moe/ui/model-panel.hpp"
#include "moe/ui/plot-panel.hpp"
#include "moe/ui/reply-routing.hpp"
#include "moe/ui/telemetry-hub.hpp"
#include "moe/ui/telemetry-panels.hpp"

#include "qcustomplot-include.hpp"

#include <algorithm>

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QPixmap>

namespace moe::ui {

AutoRun::AutoRun(MainWindow* window, Options options, QObject* parent)
    : QObject(parent), window_(window), options_(std::move(options)) {
  timeout_.setSingleShot(true);
  poll_.setInterval(100);
  latencyProbe_.setTimerType(Qt::PreciseTimer);
  latencyProbe_.setInterval(5);
  connect(&latencyProbe_, &QTimer::timeout, this, [this] {
    const double gap = static_cast<double>(sinceProbe_.nsecsElapsed()) * 1e-6 - latencyProbe_.interval();
    worstStallMs_ = std::max(worstStallMs_, gap);
    ++probeTicks_;
    sinceProbe_.restart();
  });
  connect(&timeout_, &QTimer::timeout, this, [this] {
    const QStringList waiting = panelsWaiting();
    fail(waiting.isEmpty() || !window_->modelLoaded() || window_->replying()
             ? tr("timed out after %1 s (model loaded: %2, replying: %3)")
                   .arg(options_.timeoutMs / 1000)
                   .arg(window_->modelLoaded() ? QStringLiteral("yes") : QStringLiteral("no"))
                   .arg(window_->replying() ? QStringLiteral("yes") : QStringLiteral("no"))
             : tr("timed out waiting for panel data: %1").arg(waiting.join(QStringLiteral(", "))));
  });
  connect(&poll_, &QTimer::timeout, this, &AutoRun::checkPanels);
}

void AutoRun::start() {
  connect(window_, &MainWindow::modelFailed, this, [this](const QString& m) { fail(tr("could not load the model: %1").arg(m)); });
  connect(window_, &MainWindow::replyFailed, this, [this](const QString& m) { fail(tr("the engine failed: %1").arg(m)); });
  connect(window_, &MainWindow::modelReady, this, [this] {
    const QString id = window_->newConversation();
    Conversation c = *window_->conversations()->find(id);
    c.sampling.maxTokens = options_.maxTokens;
    c.sampling.temperature = 0.0;  // reproducible screenshots
    window_->conversations()->update(c, false);
    if (!window_->sendMessage(options_.prompt)) fail(tr("could not send the prompt"));
    sinceProbe_.start();
    latencyProbe_.start();
  });
  connect(window_, &MainWindow::replyDone, this, [this](const ReplyStatsValue& s) {
    latencyProbe_.stop();
    generated_ = s.generatedTokens;
    if (s.generatedTokens <= 0) {
      fail(tr("the reply was empty (stop reason: %1)").arg(s.stopReason));
      return;
    }
    poll_.start();
  });
  timeout_.start(options_.timeoutMs);
  window_->openModel(options_.modelPath);
}

QStringList AutoRun::panelsWaiting() const {
  QStringList waiting;
  window_->telemetry()->drainNow();
  const bool telemetry = window_->modelSummary().engineTelemetry;
  for (PlotPanel* p : window_->plotPanels()) {
    // Routing and cache panels have a source only when the engine reports MoE telemetry, the
    // kernel panel whenever telemetry is compiled in.
    const bool kernel = qobject_cast<KernelPanel*>(p) != nullptr;
    if (((kernel && tel::kCompiledIn) || telemetry) && !p->hasData()) waiting << p->title();
  }
  if (!window_->modelPanel()->hasData()) waiting << QStringLiteral("Model");
  return waiting;
}

void AutoRun::checkPanels() {
  if (done_ || !panelsWaiting().isEmpty()) return;
  // One more poll so queued replots and the transcript's coalesced render have run.
  if (++polls_ < 3) return;
  poll_.stop();
  showRouting();
  for (PlotPanel* p : window_->plotPanels()) {
    p->refresh();
    p->plot()->replot(QCustomPlot::rpImmediateRefresh);
  }
  QApplication::processEvents();
  if (!options_.screenshotPath.isEmpty()) {
    const QPixmap shot = window_->grab();
    QDir().mkpath(QFileInfo(options_.screenshotPath).absolutePath());
    if (shot.isNull() || !shot.save(options_.screenshotPath)) {
      fail(tr("could not save the screenshot to %1").arg(options_.screenshotPath));
      return;
    }
  }
  done_ = true;
  timeout_.stop();
  const QString stall = tr(" (%1 tokens; worst GUI stall while generating: %2 ms over %3 event-loop probes)")
                            .arg(generated_).arg(worstStallMs_, 0, 'f', 1).arg(probeTicks_);
  Q_EMIT finished(0, (options_.screenshotPath.isEmpty() ? tr("self-test passed") : tr("saved %1").arg(options_.screenshotPath)) + stall);
}

void AutoRun::showRouting() {
  const std::shared_ptr<const ReplyRouting> r = window_->lastReplyRouting();
  const Conversation* c = window_->currentConversation();
  if (!r || !c || (options_.highlightLayer < 0 && options_.selectToken < 0)) return;
  int layer = std::min(options_.highlightLayer, r->layers() - 1), expert = options_.highlightExpert;
  if (layer >= 0 && expert == -2) {
    qsizetype best = -1;
    for (int e = 0; e < r->experts(); ++e) {
      const qsizetype n = r->spansRoutedTo(layer, e).size();
      if (n > best) best = n, expert = e;
    }
  }
  if (layer >= 0 && expert >= 0) window_->highlightExpert(layer, expert);
  // The n-th generated token that shows text.
  int n = options_.selectToken;
  for (const TokenSpan& s : r->spans()) {
    if (n < 0) break;
    if (s.length > 0 && !r->replyText().mid(s.start, s.length).trimmed().isEmpty() && n-- == 0)
      window_->selectToken(static_cast<int>(c->messages.size()) - 1, s.position);
  }
}

void AutoRun::fail(const QString& why) {
  if (done_) return;
  done_ = true;
  timeout_.stop();
  poll_.stop();
  Q_EMIT finished(1, why);
}

}  // namespace moe::ui
