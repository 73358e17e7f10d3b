// libFuzzer target: arbitrary bytes as a stored conversation file, through the loader the app
// uses (ConversationStore::parse, what loadAll runs on every *.json). Refusal with a message is
// the expected outcome for most inputs; a crash, a sanitizer report or a broken invariant below
// is a finding. Seeds: conversations written by ConversationStore::save (fuzz-conversation-seeds).
#include "moe/ui/conversation-store.hpp"

#include <QDir>
#include <QJsonDocument>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>

namespace {

[[noreturn]] void fail(const char* what, const QByteArray& detail) {
  std::fprintf(stderr, "fuzz-conversation-store: %s: %s\n", what, detail.constData());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
  QString why;
  const std::optional<moe::ui::Conversation> c = moe::ui::ConversationStore::parse(bytes, &why);
  if (!c) {
    if (why.isEmpty()) fail("refused without a reason", bytes.left(200));
    return 0;
  }
  // The id names the file every later save writes: it must stay a file inside the store folder.
  const moe::ui::ConversationStore store(QStringLiteral("/store"));
  const QString path = QDir::cleanPath(store.pathFor(c->id));
  if (!path.startsWith(QStringLiteral("/store/")) || path.indexOf(QLatin1Char('/'), 7) != -1)
    fail("id escapes the store folder", c->id.toUtf8());
  // What was loaded saves and loads back to the same document (a save never loses what loaded).
  const QByteArray saved = QJsonDocument(c->toJson()).toJson(QJsonDocument::Indented);
  const std::optional<moe::ui::Conversation> again = moe::ui::ConversationStore::parse(saved, &why);
  if (!again) fail("a saved conversation does not load", why.toUtf8());
  if (again->toJson() != c->toJson()) fail("save/load round trip changed the conversation", saved.left(400));
  (void)c->toMarkdown();
  (void)c->turns();
  return 0;
}
