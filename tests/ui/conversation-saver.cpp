// Helper for test-ui-conversation-durability: plays the app saving a growing conversation
// through the same ConversationListModel -> ConversationStore -> QSaveFile path, forever, until
// the test kills it. Around each save it writes "saving N\n" and "saved N\n" (N = messages in
// the conversation) to stdout unbuffered, so the test knows what must have survived the kill and
// whether the kill came during a save.
//   conversation-saver DIR ID
// Message i has content durabilityMessage(i) (shared with the test); the conversation it finds
// in DIR is continued, so every run checks the previous run's file too.
#include "conversation-durability.hpp"
#include "moe/ui/conversation-list-model.hpp"

#include <QCoreApplication>

#include <cstdio>
#include <string>

#include <unistd.h>

using namespace moe::ui;

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: conversation-saver DIR ID\n");
    return 2;
  }
  const QString id = QString::fromLocal8Bit(argv[2]);
  ConversationListModel model{ConversationStore(QString::fromLocal8Bit(argv[1]))};
  const ConversationStore::LoadResult loaded = model.reload();
  if (!loaded.problems.isEmpty()) {
    std::fprintf(stderr, "conversation-saver: %s\n", qPrintable(loaded.problems.join(QLatin1Char('\n'))));
    return 1;
  }
  if (!model.find(id)) {
    Conversation c = Conversation::create(QStringLiteral("Durability"), SamplingSettings{});
    c.id = id;
    model.add(c);
  }
  QString error;
  QObject::connect(&model, &ConversationListModel::saveFailed, [&error](const QString& m) { error = m; });
  const auto say = [](const std::string& line) {
    return ::write(STDOUT_FILENO, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  };
  for (;;) {
    Conversation c = *model.find(id);
    c.messages.push_back(durabilityMessage(static_cast<int>(c.messages.size())));
    if (!say("saving " + std::to_string(c.messages.size()) + "\n")) return 1;
    if (!model.update(c)) {
      std::fprintf(stderr, "conversation-saver: %s\n", qPrintable(error));
      return 1;
    }
    if (!say("saved " + std::to_string(c.messages.size()) + "\n")) return 1;
  }
}
