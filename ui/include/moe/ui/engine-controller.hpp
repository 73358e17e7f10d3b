#pragma once
// GUI-side owner of one EngineWorker and its QThread (one per loaded model). All calls are
// made on the GUI thread; they reach the worker as queued signals. Destruction cancels
// whatever runs, then stops the thread and waits for it.
#include "moe/ui/chat-backend.hpp"
#include "moe/ui/chat-types.hpp"

#include <QObject>
#include <QThread>

#include <memory>

namespace moe::ui {

class EngineWorker;

class EngineController : public QObject {
  Q_OBJECT
 public:
  explicit EngineController(std::unique_ptr<ChatBackend> backend, QObject* parent = nullptr);
  ~EngineController() override;

  quint64 load(const LoadRequest& request);  // returns the load id
  void cancelLoad();
  quint64 send(ChatRequest request);  // assigns and returns the request id
  void stop();                        // stops the running and queued replies
  bool busy() const { return busyId_ != 0; }
  bool loading() const { return loadId_ != 0; }
  const ModelSummary& model() const { return model_; }
  EngineWorker* worker() const { return worker_; }

 Q_SIGNALS:
  // Re-emitted to the GUI (already on the GUI thread).
  void loadProgress(double fraction);
  void modelLoaded(const moe::ui::ModelSummary& summary);
  void loadFailed(const QString& message, bool cancelled);
  void replyStarted(quint64 requestId);
  void tokenText(quint64 requestId, const QString& text);
  void promptTokens(quint64 requestId, const QStringList& texts);
  void tokenSpans(quint64 requestId, const QList<moe::ui::TokenSpan>& spans);
  void replyFinished(quint64 requestId, const moe::ui::ReplyStatsValue& stats);
  void errorOccurred(quint64 requestId, const QString& message);

  // Internal: carry calls to the worker thread.
  void loadRequested(quint64 loadId, const moe::ui::LoadRequest& request);
  void generateRequested(const moe::ui::ChatRequest& request);

 private:
  QThread thread_;
  EngineWorker* worker_ = nullptr;
  ModelSummary model_;
  quint64 nextId_ = 0;
  quint64 loadId_ = 0;
  quint64 busyId_ = 0;
};

}  // namespace moe::ui
