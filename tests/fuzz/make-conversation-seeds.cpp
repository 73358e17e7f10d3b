// Writes fuzz seeds for fuzz-conversation-store with the app's own saving code
// (ConversationStore::save, QSaveFile): the shapes a user's folder holds — a fresh chat, a
// multi-turn chat with reply stats, a failed and a cancelled reply, custom sampling with a
// 64-bit seed, non-ASCII and control characters, Markdown with code.
//   fuzz-conversation-make-seeds OUT_DIR
#include "moe/ui/conversation-store.hpp"

#include <QDateTime>
#include <QDir>

#include <cstdio>

using namespace moe::ui;

namespace {

Message reply(const QString& text, const QString& stop) {
  Message m{QStringLiteral("assistant"), text, {}, {}, {}};
  m.stats = {31, 12, 412.5, 38.25, 95.0, stop};
  return m;
}

QList<Conversation> samples() {
  QList<Conversation> out;
  const QDateTime t0 = QDateTime::fromString(QStringLiteral("2026-11-30T07:00:00.125Z"), Qt::ISODateWithMs);

  Conversation fresh = Conversation::create(QStringLiteral("New chat"), SamplingSettings{});
  fresh.created = fresh.updated = t0;
  out.push_back(fresh);

  SamplingSettings s;
  s.temperature = 0.0;
  s.topK = 1;
  s.topP = 1.0;
  s.minP = 0.0;
  s.repeatPenalty = 1.0;
  s.maxTokens = 64;
  s.seed = 18446744073709551557ULL;
  Conversation chat = Conversation::create(QStringLiteral("Experts, explained"), s);
  chat.systemPrompt = QStringLiteral("You are a concise assistant.");
  chat.created = t0;
  chat.updated = t0.addSecs(95);
  chat.messages.push_back({QStringLiteral("user"), QStringLiteral("What does the router do?"), {}, {}, {}});
  chat.messages.push_back(reply(QStringLiteral("It scores every expert and keeps the top 2.\n\n"
                                               "```cpp\nauto top = route(logits, 2);\n```"), QStringLiteral("eos")));
  chat.messages.push_back({QStringLiteral("user"), QStringLiteral("And the gate weights?"), {}, {}, {}});
  chat.messages.push_back(reply(QStringLiteral("A softmax over the chosen experts' scores."), QStringLiteral("max_tokens")));
  out.push_back(chat);

  Conversation failed = Conversation::create(QStringLiteral("Überlänge — 長い 🚀"), SamplingSettings{});
  failed.created = failed.updated = t0.addDays(-3);
  failed.messages.push_back({QStringLiteral("user"), QStringLiteral("tab\there, nul-free \"quotes\" \\ and \u00e9"), {}, {}, {}});
  Message err{QStringLiteral("assistant"), QString(), {}, QStringLiteral("the prompt (5000 tokens) does not fit the context (4096)"), {}};
  err.stats.stopReason = QStringLiteral("error");
  failed.messages.push_back(err);
  failed.messages.push_back({QStringLiteral("user"), QStringLiteral("Try again"), {}, {}, {}});
  failed.messages.push_back(reply(QStringLiteral("Partial answer bef"), QStringLiteral("cancelled")));
  out.push_back(failed);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz-conversation-make-seeds OUT_DIR\n");
    return 2;
  }
  const ConversationStore store(QString::fromLocal8Bit(argv[1]));
  for (const Conversation& c : samples()) {
    QString error;
    if (!store.save(c, &error)) {
      std::fprintf(stderr, "fuzz-conversation-make-seeds: %s\n", qPrintable(error));
      return 1;
    }
  }
  return 0;
}
