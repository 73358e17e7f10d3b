#pragma once
// EngineWorker lives on its own QThread and owns the backend (and so the moe::Session).
// The GUI reaches it only through queued signals carrying value types; the two stop methods
// are the exception: they only touch atomics and the thread-safe ChatBackend::cancel().
#include "moe/ui/chat-backend.hpp"
#include "moe/ui/chat-types.hpp"

#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

namespace moe::ui {

class EngineWorker : public QObject {
  Q_OBJECT
 public:
  explicit EngineWorker(std::unique_ptr<ChatBackend> backend);
  ~EngineWorker() override;

  // Thread-safe: stops every reply with an id <= requestId (queued ones never start).
  void requestStop(quint64 requestId);
  // Thread-safe: cancels the load with this id (or a queued one).
  void requestCancelLoad(quint64 loadId);
  // Minimum time between two tokenText signals; text produced in between is batched.
  void setBatchIntervalMs(int ms) { batchIntervalMs_ = ms; }

 public Q_SLOTS:
  void loadModel(quint64 loadId, const moe::ui::LoadRequest& request);
  void generate(const moe::ui::ChatRequest& request);

 Q_SIGNALS:
  void loadProgress(quint64 loadId, double fraction);
  void modelLoaded(quint64 loadId, const moe::ui::ModelSummary& summary);
  void loadFailed(quint64 loadId, const QString& message, bool cancelled);
  void replyStarted(quint64 requestId);
  void tokenText(quint64 requestId, const QString& text);
  // The prompt's token texts by position (once per reply, before its first tokenText).
  void promptTokens(quint64 requestId, const QStringList& texts);
  // Where the tokens of the text sent so far lie in the reply (with each tokenText batch).
  void tokenSpans(quint64 requestId, const QList<moe::ui::TokenSpan>& spans);
  void replyFinished(quint64 requestId, const moe::ui::ReplyStatsValue& stats);
  void errorOccurred(quint64 requestId, const QString& message);

 private:
  std::unique_ptr<ChatBackend> backend_;
  std::atomic<quint64> stopUpTo_{0};
  std::atomic<quint64> cancelLoadId_{0};
  int batchIntervalMs_ = 33;  // ~30 Hz: faster than that the screen cannot show it
  bool loaded_ = false;
};

}  // namespace moe::ui
