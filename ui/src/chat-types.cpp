#include "moe/ui/chat-types.hpp"

#include <QCoreApplication>

namespace moe::ui {

void registerChatMetaTypes() {
  qRegisterMetaType<SamplingSettings>();
  qRegisterMetaType<ChatRequest>();
  qRegisterMetaType<ReplyStatsValue>();
  qRegisterMetaType<TokenSpan>();
  qRegisterMetaType<QList<TokenSpan>>();
  qRegisterMetaType<ModelSummary>();
  qRegisterMetaType<LoadRequest>();
}

QString formatCount(quint64 n) {
  const double d = static_cast<double>(n);
  if (n >= 1'000'000'000ULL) return QStringLiteral("%1 B").arg(d / 1e9, 0, 'f', 2);
  if (n >= 1'000'000ULL) return QStringLiteral("%1 M").arg(d / 1e6, 0, 'f', 2);
  if (n >= 1'000ULL) return QStringLiteral("%1 K").arg(d / 1e3, 0, 'f', 1);
  return QString::number(n);
}

QString formatStatsLine(const ReplyStatsValue& s) {
  return QCoreApplication::translate("moe::ui", "prompt %1 tok · %2 tok/s   decode %3 tok · %4 tok/s   TTFT %5 ms   stop: %6")
      .arg(s.promptTokens)
      .arg(s.promptTokS, 0, 'f', 1)
      .arg(s.generatedTokens)
      .arg(s.decodeTokS, 0, 'f', 1)
      .arg(s.ttftMs, 0, 'f', 0)
      .arg(s.stopReason);
}

}  // namespace moe::ui
