#pragma once
// A scripted ChatBackend for UI tests: fixed tokens at a fixed pace, scripted failures.
#include "moe/telemetry/hub.hpp"
#include "moe/ui/chat-backend.hpp"

#include <QString>
#include <QStringList>
#include <QThread>

#include <atomic>
#include <functional>
#include <stdexcept>

class ScriptedBackend : public moe::ui::ChatBackend {
 public:
  QStringList tokens{QStringLiteral("Hello"), QStringLiteral(", "), QStringLiteral("world"), QStringLiteral("!")};
  int tokenDelayMs = 5;
  int loadSteps = 4;
  int loadStepDelayMs = 5;
  QString loadError;      // when set, load() throws it
  QString generateError;  // when set, generate() throws it after the first token
  std::atomic<int> generateCalls{0};
  moe::ui::ChatRequest lastRequest;
  // Called on the worker thread before each generated token is reported (with its context
  // position), where the engine would record that token's routing.
  std::function<void(int position)> beforeToken;

  moe::ui::ModelSummary load(const moe::ui::LoadRequest& request, const ProgressFn& progress) override {
    for (int i = 0; i <= loadSteps; ++i) {
      if (progress && !progress(static_cast<float>(i) / static_cast<float>(loadSteps)))
        throw std::runtime_error("load cancelled");
      QThread::msleep(static_cast<unsigned long>(loadStepDelayMs));
    }
    if (!loadError.isEmpty()) throw std::runtime_error(loadError.toStdString());
    moe::ui::ModelSummary m;
    m.path = request.path;
    m.name = QStringLiteral("scripted");
    m.architecture = QStringLiteral("qwen2moe");
    m.nLayer = 2;
    m.nExpert = 4;
    m.nExpertUsed = 2;
    return m;
  }

  moe::ui::ReplyStatsValue generate(const moe::ui::ChatRequest& request, const TokenFn& onToken) override {
    ++generateCalls;
    lastRequest = request;
    cancelled_ = false;
    moe::ui::ReplyStatsValue s;
    s.promptTokens = 7;
    s.promptTokS = 100.0;
    s.ttftMs = tokenDelayMs;
    s.stopReason = QStringLiteral("eos");
    // The prompt: one piece per message, so positions match what routing events would name.
    int position = 0;
    for (const moe::ui::ChatTurn& turn : request.messages) {
      const QByteArray utf8 = turn.content.toUtf8();
      onToken({position++, std::string_view(utf8.constData(), static_cast<size_t>(utf8.size())), true});
    }
    for (const QString& t : tokens) {
      const uint64_t start = moe::tel::timestamp();
      QThread::msleep(static_cast<unsigned long>(tokenDelayMs));
      if (cancelled_) {
        s.stopReason = QStringLiteral("cancelled");
        break;
      }
      const QByteArray utf8 = t.toUtf8();
      ++s.generatedTokens;
      if (beforeToken) beforeToken(position);
      // The token step, as the engine records it (zero when telemetry is off).
      if (start != 0) moe::tel::record_token(static_cast<uint32_t>(position), 0, false, 1, start, moe::tel::now_ns());
      if (!onToken({position++, std::string_view(utf8.constData(), static_cast<size_t>(utf8.size())), false})) {
        s.stopReason = QStringLiteral("cancelled");
        break;
      }
      if (!generateError.isEmpty()) throw std::runtime_error(generateError.toStdString());
    }
    s.decodeTokS = tokenDelayMs > 0 ? 1000.0 / tokenDelayMs : 0.0;
    return s;
  }

  void cancel() noexcept override { cancelled_ = true; }

 private:
  std::atomic<bool> cancelled_{false};
};
