// MainWindow: conversations and the engine (loading, streaming replies, persistence).
#include "moe/ui/chat-panel.hpp"
#include "moe/ui/conversation-list-model.hpp"
#include "moe/ui/conversation-sidebar.hpp"
#include "moe/ui/engine-controller.hpp"
#include "moe/ui/main-window.hpp"
#include "moe/ui/message-view.hpp"
#include "moe/ui/model-panel.hpp"
#include "moe/ui/reply-routing.hpp"
#include "moe/ui/settings-dialogs.hpp"
#include "moe/ui/telemetry-hub.hpp"

#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QProgressBar>
#include <QStandardPaths>
#include <QStatusBar>
#include <QToolButton>

#include <cstdint>
#include <limits>

namespace moe::ui {

bool MainWindow::modelLoaded() const { return active_ != nullptr; }

const Conversation* MainWindow::currentConversation() const { return conversations_->find(currentId_); }

// ---- loading --------------------------------------------------------------------------------
void MainWindow::openModel(const QString& path) {
  if (path.isEmpty()) return;
  if (!QFileInfo::exists(path)) {
    showError(tr("Cannot open model"), tr("%1: no such file").arg(path));
    Q_EMIT modelFailed(tr("%1: no such file").arg(path));
    return;
  }
  pending_.reset();  // a previous load still running is cancelled and joined
  pendingPath_ = path;
  pending_ = std::make_unique<EngineController>(options_.backendFactory());
  connectController(pending_.get());
  LoadRequest req;
  req.path = path;
  req.threads = settings_.threads;
  req.contextSize = settings_.contextSize;
  req.kvType = settings_.kvType;
  req.expertBudgetMiB = settings_.expertBudgetMiB;
  req.cachePolicy = settings_.cachePolicy;
  req.prefetch = settings_.prefetch;
  req.awareMarginPercent = settings_.awareMarginPercent;
  pending_->load(req);
  loadBar_->setValue(0);
  loadBar_->show();
  cancelLoad_->show();
  statusBar()->showMessage(tr("Loading %1…").arg(QFileInfo(path).fileName()));
}

void MainWindow::connectController(EngineController* c) {
  // The controller re-emits on the GUI thread; these are direct connections to it.
  connect(c, &EngineController::loadProgress, this, [this, c](double f) {
    if (c == pending_.get()) loadBar_->setValue(static_cast<int>(f * 100.0));
  });
  connect(c, &EngineController::modelLoaded, this, [this, c](const ModelSummary& m) { onModelLoaded(c, m); });
  connect(c, &EngineController::loadFailed, this, [this, c](const QString& msg, bool cancelled) { onLoadFailed(c, msg, cancelled); });
  connect(c, &EngineController::tokenText, this, [this, c](quint64 id, const QString& t) {
    if (c == active_.get()) onToken(id, t);
  });
  connect(c, &EngineController::promptTokens, this, [this, c](quint64 id, const QStringList& texts) {
    if (c == active_.get() && id == replyId_ && liveRouting_) liveRouting_->setPromptTexts(texts);
  });
  connect(c, &EngineController::tokenSpans, this, [this, c](quint64 id, const QList<TokenSpan>& spans) {
    if (c == active_.get() && id == replyId_ && liveRouting_) liveRouting_->addSpans(spans);
  });
  connect(c, &EngineController::replyFinished, this, [this, c](quint64 id, const ReplyStatsValue& s) {
    if (c == active_.get()) onReplyFinished(id, s);
  });
  connect(c, &EngineController::errorOccurred, this, [this, c](quint64 id, const QString& msg) {
    if (c == active_.get()) onReplyError(id, msg);
  });
}

void MainWindow::onModelLoaded(EngineController* c, const ModelSummary& summary) {
  if (c != pending_.get()) return;
  loadBar_->hide();
  cancelLoad_->hide();
  // A reply streaming from the old model ends here: its conversation keeps what it had.
  if (live_) onReplyFinished(replyId_, ReplyStatsValue{0, 0, 0, 0, 0, QStringLiteral("cancelled")});
  std::unique_ptr<EngineController> old = std::move(active_);
  active_ = std::move(pending_);
  old.reset();  // cancels and joins the previous model's worker
  modelPath_ = pendingPath_;
  summary_ = summary;
  RecentModels::add(modelPath_);
  rebuildRecentMenu();
  hub_->reset(summary.nLayer, summary.nExpert);
  QString panelError;
  if (!modelPanel_->setModelFile(modelPath_, &panelError)) statusBar()->showMessage(panelError, 10000);
  modelPanel_->setEngineSummary(summary);
  statusBar()->showMessage(tr("Loaded %1 (%2, %3 parameters).").arg(QFileInfo(modelPath_).fileName(), summary.architecture, formatCount(summary.paramsTotal)), 8000);
  updateActions();
  chat_->composer()->setFocus();
  Q_EMIT modelReady(summary);
}

void MainWindow::onLoadFailed(EngineController* c, const QString& message, bool cancelled) {
  if (c != pending_.get()) return;
  loadBar_->hide();
  cancelLoad_->hide();
  // Deleted later: we are inside one of its signals.
  pending_.release()->deleteLater();
  if (cancelled) {
    statusBar()->showMessage(tr("Loading cancelled."), 5000);
  } else {
    statusBar()->showMessage(tr("Could not load %1").arg(QFileInfo(pendingPath_).fileName()), 10000);
    showError(tr("Could not load the model"), message);
  }
  Q_EMIT modelFailed(message);
}

// ---- conversations ----------------------------------------------------------------------------
QString MainWindow::newConversation() {
  // Reuse an empty conversation at the top instead of piling up blank ones.
  if (conversations_->rowCount() > 0) {
    const QString topId = conversations_->index(0).data(ConversationListModel::IdRole).toString();
    const Conversation* top = conversations_->find(topId);
    if (top && top->messages.isEmpty() && !(live_ && live_->id == topId)) {
      sidebar_->selectId(topId);
      chat_->composer()->setFocus();
      return topId;
    }
  }
  const QString id = conversations_->add(Conversation::create(tr("New chat"), settings_.sampling));
  sidebar_->selectId(id);
  chat_->composer()->setFocus();
  return id;
}

void MainWindow::selectConversation(const QString& id) {
  currentId_ = id;
  refreshView();
}

void MainWindow::refreshView() {
  const bool showingLive = live_ && live_->id == currentId_;
  const Conversation* c = showingLive ? &*live_ : currentConversation();
  if (!c) {
    chat_->view()->setConversation(Conversation{}, false);
    chat_->setTitle(tr("No conversation"), {});
    return;
  }
  chat_->view()->setConversation(*c, showingLive);
  const SamplingSettings& s = c->sampling;
  chat_->setTitle(c->title, tr("temperature %1 · top-k %2 · top-p %3 · max %4 tokens%5")
                                .arg(s.temperature, 0, 'g', 3)
                                .arg(s.topK)
                                .arg(s.topP, 0, 'g', 3)
                                .arg(s.maxTokens)
                                .arg(c->systemPrompt.isEmpty() ? QString() : tr(" · system prompt set")));
  updateActions();
}

void MainWindow::renameConversation(const QString& id) {
  const Conversation* c = conversations_->find(id);
  if (!c) return;
  bool ok = false;
  const QString title = QInputDialog::getText(this, tr("Rename Conversation"), tr("Title:"), QLineEdit::Normal, c->title, &ok);
  if (!ok || title.trimmed().isEmpty()) return;
  conversations_->rename(id, title.trimmed());
  if (live_ && live_->id == id) live_->title = title.trimmed();
  refreshView();
}

void MainWindow::deleteConversation(const QString& id) {
  const Conversation* c = conversations_->find(id);
  if (!c) return;
  if (QMessageBox::question(this, tr("Delete Conversation"), tr("Delete \"%1\"? This cannot be undone.").arg(c->title)) != QMessageBox::Yes)
    return;
  if (live_ && live_->id == id) {
    active_->stop();
    live_.reset();
  }
  const int row = conversations_->rowOf(id);
  conversations_->remove(id);
  if (conversations_->rowCount() == 0) newConversation();
  else sidebar_->selectId(conversations_->index(std::min(row, conversations_->rowCount() - 1)).data(ConversationListModel::IdRole).toString());
}

void MainWindow::editConversationSettings() {
  const Conversation* c = currentConversation();
  if (!c) return;
  ConversationSettingsDialog dialog(*c, this);
  if (dialog.exec() != QDialog::Accepted) return;
  Conversation copy = *currentConversation();
  copy.systemPrompt = dialog.systemPrompt();
  copy.sampling = dialog.sampling();
  conversations_->update(copy, false);
  refreshView();
}

void MainWindow::exportConversation() {
  const Conversation* c = currentConversation();
  if (!c) return;
  QString name = c->title;
  name.replace(QRegularExpression(QStringLiteral("[^\\w\\- ]")), QStringLiteral("_"));
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export Conversation"), QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation) + QLatin1Char('/') + name + QStringLiteral(".md"),
      tr("Markdown (*.md)"));
  if (path.isEmpty()) return;
  QString error;
  if (ConversationStore::exportMarkdown(*c, path, &error)) statusBar()->showMessage(tr("Exported to %1").arg(path), 5000);
  else showError(tr("Export failed"), error);
}

// ---- replies ----------------------------------------------------------------------------------
bool MainWindow::sendMessage(const QString& text) {
  if (!active_) {
    statusBar()->showMessage(tr("Open a model first (Ctrl+O)."), 5000);
    return false;
  }
  if (live_ || text.trimmed().isEmpty()) return false;
  if (!currentConversation()) newConversation();
  Conversation c = *currentConversation();
  if (c.messages.isEmpty() && c.title == tr("New chat")) {
    const QString line = text.simplified();
    c.title = line.size() > 60 ? line.left(59) + QChar(0x2026) : line;
  }
  c.messages.push_back({QStringLiteral("user"), text, {}, {}, {}});
  startReply(std::move(c));
  return true;
}

void MainWindow::regenerate(int index) {
  const Conversation* cur = currentConversation();
  if (!cur || live_ || !active_ || index <= 0 || index > cur->messages.size()) return;
  Conversation c = *cur;
  c.messages.resize(index);  // drops the reply at `index` and everything after it
  startReply(std::move(c));
}

void MainWindow::editAndResend(int index, const QString& text) {
  const Conversation* cur = currentConversation();
  if (!cur || live_ || index < 0 || index >= cur->messages.size()) return;
  if (!active_) {  // nothing could answer: keep the edit open rather than lose it
    statusBar()->showMessage(tr("Open a model first (Ctrl+O), then send the edited message."), 8000);
    chat_->view()->beginEdit(index);
    chat_->view()->editor()->setPlainText(text);
    return;
  }
  Conversation c = *cur;
  c.messages.resize(index);
  c.messages.push_back({QStringLiteral("user"), text, {}, {}, {}});
  startReply(std::move(c));
}

void MainWindow::startReply(Conversation c) {
  hub_->beginReply(c.id != routingConversation_);
  routingConversation_ = c.id;
  liveRouting_.reset();
  if (summary_.nLayer > 0 && summary_.nExpert > 0) liveRouting_ = std::make_shared<ReplyRouting>(summary_.nLayer, summary_.nExpert);
  ChatRequest req;
  req.messages = c.turns();
  req.sampling = c.sampling;
  c.messages.push_back({QStringLiteral("assistant"), QString(), {}, {}, {}});
  conversations_->update(c);  // the user's message is on disk before the reply starts
  sidebar_->selectId(c.id);
  live_ = c;
  replyId_ = active_->send(req);
  refreshView();
}

void MainWindow::stopReply() {
  if (active_ && live_) {
    active_->stop();
    statusBar()->showMessage(tr("Stopping…"), 2000);
  }
}

void MainWindow::onToken(quint64 id, const QString& text) {
  if (!live_ || id != replyId_) return;
  live_->messages.last().content += text;
  if (live_->id == currentId_) chat_->view()->setConversation(*live_, true);
}

void MainWindow::onReplyFinished(quint64 id, const ReplyStatsValue& stats) {
  if (!live_ || id != replyId_) return;
  live_->messages.last().stats = stats;
  finishRouting();
  Conversation done = std::move(*live_);
  live_.reset();
  conversations_->update(done);
  refreshView();
  statusBar()->showMessage(formatStatsLine(stats), 10000);
  Q_EMIT replyDone(stats);
}

void MainWindow::finishRouting() {
  std::shared_ptr<ReplyRouting> r = std::move(liveRouting_);
  if (!r || !live_) return;
  hub_->drainNow();  // the reply's last routing events
  // Only the generated tokens' routing is kept with the message: the prompt (the whole
  // conversation again) would cost every reply its context's worth of picks.
  const uint32_t firstGenerated = r->spans().isEmpty() ? std::numeric_limits<uint32_t>::max() : static_cast<uint32_t>(r->spans().first().position);
  for (const tel::TracedEvent& te : hub_->replyEvents())
    if (te.event.kind == tel::EventKind::routing && te.event.routing.position >= firstGenerated) r->addRouting(te.event.routing);
  r->setReplyText(live_->messages.last().content);
  live_->messages.last().routing = r;
  // The prompt's token texts serve the trace export of the last reply only.
  if (lastRouting_) lastRouting_->setPromptTexts({});
  lastRouting_ = std::move(r);
}

void MainWindow::onReplyError(quint64 id, const QString& message) {
  if (!live_ || id != replyId_) return;
  live_->messages.last().error = message;
  finishRouting();
  Conversation done = std::move(*live_);
  live_.reset();
  conversations_->update(done);
  refreshView();
  statusBar()->showMessage(tr("The engine reported an error: %1").arg(message), 15000);
  Q_EMIT replyFailed(message);
}

}  // namespace moe::ui
