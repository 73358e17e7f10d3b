#pragma once
// Value types that cross the GUI/worker thread boundary through queued signals. They carry
// Qt strings, never engine handles, so a queued copy is always safe.
#include <QList>
#include <QMetaType>
#include <QString>

#include <cstdint>

namespace moe::ui {

struct SamplingSettings {
  double temperature = 0.7;
  int topK = 40;
  double topP = 0.95;
  double minP = 0.05;
  double repeatPenalty = 1.1;
  int maxTokens = 512;
  quint64 seed = 0;  // 0 = random
  bool operator==(const SamplingSettings&) const = default;
};

struct ChatTurn {
  QString role;  // "system", "user", "assistant"
  QString content;
};

struct ChatRequest {
  quint64 id = 0;  // echoed in every reply signal so stale replies can be ignored
  QList<ChatTurn> messages;
  SamplingSettings sampling;
};

// Where one generated token's text lies in the reply: UTF-16 offsets into the reply text.
struct TokenSpan {
  int position = 0;  // context position (what the engine's routing events name)
  int start = 0;
  int length = 0;
  bool operator==(const TokenSpan&) const = default;
};

struct ReplyStatsValue {
  int promptTokens = 0;
  int generatedTokens = 0;
  double promptTokS = 0.0;
  double decodeTokS = 0.0;
  double ttftMs = 0.0;
  QString stopReason;  // eos, max_tokens, stop_string, cancelled, context_full, error
  bool valid() const { return !stopReason.isEmpty(); }
};

struct ModelSummary {
  QString path;
  QString name;
  QString architecture;
  int nLayer = 0, nEmbd = 0, nHead = 0, nHeadKv = 0, nVocab = 0, nCtxTrain = 0;
  int nExpert = 0, nExpertUsed = 0;
  quint64 paramsTotal = 0, paramsActive = 0, fileBytes = 0;
  bool hasChatTemplate = false;
  // Whether the engine reports routing / expert-cache / kernel telemetry (the panels then
  // wait for it); false while the engine has no telemetry stream.
  bool engineTelemetry = false;
};

struct LoadRequest {
  QString path;
  int threads = 0;
  int contextSize = 0;
  QString kvType = QStringLiteral("f16");
  // Expert cache for MoE models. 0 / empty: the engine's recommended configuration
  // (half the experts of each layer resident, LFU, memory-aware margin 0.5).
  int expertBudgetMiB = 0;
  QString cachePolicy = {};  // lru, lfu, arc, least-stale
  bool prefetch = false;
  int awareMarginPercent = 50;
};

// Registers the types above with Qt's meta-type system (idempotent).
void registerChatMetaTypes();

// "1.23 B" style parameter counts and "12.3 tok/s" style stats for labels.
QString formatCount(quint64 n);
QString formatStatsLine(const ReplyStatsValue& s);

}  // namespace moe::ui

Q_DECLARE_METATYPE(moe::ui::SamplingSettings)
Q_DECLARE_METATYPE(moe::ui::ChatRequest)
Q_DECLARE_METATYPE(moe::ui::ReplyStatsValue)
Q_DECLARE_METATYPE(moe::ui::TokenSpan)
Q_DECLARE_METATYPE(moe::ui::ModelSummary)
Q_DECLARE_METATYPE(moe::ui::LoadRequest)
