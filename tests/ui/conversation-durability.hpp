#pragma once
// The messages conversation-saver appends, shared with the test that checks what survived.
#include "moe/ui/conversation.hpp"

namespace moe::ui {

// Message i: alternating user/assistant, 0.5-2.5 KB (the file grows to a few MB over the test,
// so that later saves take long enough for kills to land inside the write); replies carry stats
// like the app's.
inline Message durabilityMessage(int i) {
  const bool user = i % 2 == 0;
  Message m;
  m.role = user ? QStringLiteral("user") : QStringLiteral("assistant");
  m.content = QStringLiteral("message %1 ü ").arg(i) + QString(512 * (1 + i % 5), QLatin1Char(static_cast<char>('a' + i % 26)));
  if (!user) m.stats = {i, i + 1, 100.0 + i, 20.0 + i, 50.0, QStringLiteral("eos")};
  return m;
}

}  // namespace moe::ui
