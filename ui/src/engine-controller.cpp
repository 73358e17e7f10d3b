#include "moe/ui/engine-controller.hpp"

#include "moe/ui/engine-worker.hpp"

namespace moe::ui {

EngineController::EngineController(std::unique_ptr<ChatBackend> backend, QObject* parent) : QObject(parent) {
  registerChatMetaTypes();
  worker_ = new EngineWorker(std::move(backend));
  worker_->moveToThread(&thread_);
  thread_.setObjectName(QStringLiteral("EngineWorker"));

  // GUI -> worker.
  connect(this, &EngineController::loadRequested, worker_, &EngineWorker::loadModel, Qt::QueuedConnection);
  connect(this, &EngineController::generateRequested, worker_, &EngineWorker::generate, Qt::QueuedConnection);

  // Worker -> GUI. The controller tracks state before re-emitting, so slots see it updated.
  connect(worker_, &EngineWorker::loadProgress, this,
          [this](quint64 id, double f) { if (id == loadId_) Q_EMIT loadProgress(f); }, Qt::QueuedConnection);
  connect(worker_, &EngineWorker::modelLoaded, this, [this](quint64 id, const ModelSummary& m) {
    if (id != loadId_) return;
    loadId_ = 0;
    model_ = m;
    Q_EMIT modelLoaded(m);
  }, Qt::QueuedConnection);
  connect(worker_, &EngineWorker::loadFailed, this, [this](quint64 id, const QString& msg, bool cancelled) {
    if (id != loadId_) return;
    loadId_ = 0;
    Q_EMIT loadFailed(msg, cancelled);
  }, Qt::QueuedConnection);
  connect(worker_, &EngineWorker::replyStarted, this, &EngineController::replyStarted, Qt::QueuedConnection);
  connect(worker_, &EngineWorker::tokenText, this, &EngineController::tokenText, Qt::QueuedConnection);
  connect(worker_, &EngineWorker::promptTokens, this, &EngineController::promptTokens, Qt::QueuedConnection);
  connect(worker_, &EngineWorker::tokenSpans, this, &EngineController::tokenSpans, Qt::QueuedConnection);
  connect(worker_, &EngineWorker::replyFinished, this, [this](quint64 id, const ReplyStatsValue& s) {
    if (id == busyId_) busyId_ = 0;
    Q_EMIT replyFinished(id, s);
  }, Qt::QueuedConnection);
  connect(worker_, &EngineWorker::errorOccurred, this, [this](quint64 id, const QString& msg) {
    if (id == busyId_) busyId_ = 0;
    Q_EMIT errorOccurred(id, msg);
  }, Qt::QueuedConnection);
  thread_.start();
}

EngineController::~EngineController() {
  // Cancel first so the worker returns within one token, then let its event loop end.
  worker_->requestStop(nextId_ + 1);
  worker_->requestCancelLoad(loadId_);
  thread_.quit();
  thread_.wait();
  delete worker_;  // its thread has finished: no event can reach it any more
}

quint64 EngineController::load(const LoadRequest& request) {
  loadId_ = ++nextId_;
  Q_EMIT loadRequested(loadId_, request);
  return loadId_;
}

void EngineController::cancelLoad() {
  if (loadId_ != 0) worker_->requestCancelLoad(loadId_);
}

quint64 EngineController::send(ChatRequest request) {
  request.id = ++nextId_;
  busyId_ = request.id;
  Q_EMIT generateRequested(request);
  return request.id;
}

void EngineController::stop() { worker_->requestStop(nextId_); }

}  // namespace moe::ui
