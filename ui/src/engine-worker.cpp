#include "moe/ui/engine-worker.hpp"

#include <QByteArray>

#include <exception>

namespace moe::ui {
namespace {

// Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence, so a
// batch boundary never splits a character (invalid bytes are passed on as they are).
qsizetype completeUtf8Prefix(const QByteArray& bytes) {
  const qsizetype n = bytes.size();
  for (qsizetype back = 1; back <= 3 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    const qsizetype need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

// UTF-16 code units of UTF-8 text, counted on the bytes so a token never needs decoding:
// every non-continuation byte starts a character, and 4-byte ones need a surrogate pair.
int utf16Length(std::string_view utf8) {
  int n = 0;
  for (const char ch : utf8) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) n += c >= 0xF0 ? 2 : 1;
  }
  return n;
}

}  // namespace

EngineWorker::EngineWorker(std::unique_ptr<ChatBackend> backend) : backend_(std::move(backend)) {
  registerChatMetaTypes();
}

EngineWorker::~EngineWorker() = default;

void EngineWorker::requestStop(quint64 requestId) {
  quint64 cur = stopUpTo_.load();
  while (cur < requestId && !stopUpTo_.compare_exchange_weak(cur, requestId)) {
  }
  if (backend_) backend_->cancel();
}

void EngineWorker::requestCancelLoad(quint64 loadId) { cancelLoadId_.store(loadId); }

void EngineWorker::loadModel(quint64 loadId, const LoadRequest& request) {
  int lastPercent = -1;
  auto progress = [&](float f) {
    const int percent = static_cast<int>(f * 100.0f);
    if (percent != lastPercent) {  // at most 101 signals per load
      lastPercent = percent;
      Q_EMIT loadProgress(loadId, static_cast<double>(f));
    }
    return cancelLoadId_.load() != loadId;
  };
  try {
    if (!progress(0.0f)) {
      Q_EMIT loadFailed(loadId, tr("Loading cancelled."), true);
      return;
    }
    ModelSummary summary = backend_->load(request, progress);
    loaded_ = true;
    Q_EMIT loadProgress(loadId, 1.0);
    Q_EMIT modelLoaded(loadId, summary);
  } catch (const std::exception& e) {
    const bool cancelled = cancelLoadId_.load() == loadId;
    Q_EMIT loadFailed(loadId, cancelled ? tr("Loading cancelled.") : QString::fromUtf8(e.what()), cancelled);
  }
}

void EngineWorker::generate(const ChatRequest& request) {
  const quint64 id = request.id;
  if (stopUpTo_.load() >= id) {  // stopped before it started
    ReplyStatsValue s;
    s.stopReason = QStringLiteral("cancelled");
    Q_EMIT replyFinished(id, s);
    return;
  }
  if (!loaded_) {
    Q_EMIT errorOccurred(id, tr("No model is loaded."));
    return;
  }
  Q_EMIT replyStarted(id);
  QElapsedTimer sinceFlush;
  sinceFlush.start();
  QByteArray pending;
  QStringList prompt;
  QList<TokenSpan> spans;
  int replyLength = 0;  // UTF-16 units of the reply so far
  bool first = true;
  auto flush = [&](bool final) {
    if (!prompt.isEmpty()) {
      Q_EMIT promptTokens(id, prompt);
      prompt.clear();
    }
    const qsizetype n = final ? pending.size() : completeUtf8Prefix(pending);
    if (n == 0) return;
    if (!spans.isEmpty()) Q_EMIT tokenSpans(id, spans);
    spans.clear();
    Q_EMIT tokenText(id, QString::fromUtf8(pending.constData(), n));
    pending.remove(0, n);
    sinceFlush.restart();
  };
  auto onToken = [&](const ChatBackend::TokenPiece& piece) {
    const std::string_view text = piece.utf8;
    if (piece.prompt) {
      if (piece.position >= 0 && piece.position < (1 << 20)) {
        while (prompt.size() <= piece.position) prompt.append(QString());
        prompt[piece.position] = QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
      }
      return true;
    }
    const int length = utf16Length(text);
    spans.append(TokenSpan{piece.position, replyLength, length});
    replyLength += length;
    pending.append(text.data(), static_cast<qsizetype>(text.size()));
    // The first text goes out at once (it is what TTFT feels like); the rest at screen rate.
    if ((first && !text.empty()) || sinceFlush.elapsed() >= batchIntervalMs_) {
      first = false;
      flush(false);
    }
    return stopUpTo_.load() < id;
  };
  try {
    ReplyStatsValue stats = backend_->generate(request, onToken);
    flush(true);
    if (stopUpTo_.load() >= id && (stats.stopReason.isEmpty() || stats.stopReason == QLatin1String("none")))
      stats.stopReason = QStringLiteral("cancelled");
    Q_EMIT replyFinished(id, stats);
  } catch (const std::exception& e) {
    flush(true);
    Q_EMIT errorOccurred(id, QString::fromUtf8(e.what()));
  }
}

}  // namespace moe::ui
