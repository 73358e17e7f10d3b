#pragma once
// Conversations on disk: one JSON file per conversation under a folder (by default
// AppDataLocation/conversations), written with QSaveFile so a crash never leaves half a file.
// A file that does not parse is renamed to <name>.corrupt-<timestamp> (kept for the user) and
// reported; the other conversations still load.
#include "moe/ui/conversation.hpp"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace moe::ui {

class ConversationStore {
 public:
  explicit ConversationStore(QString dir = defaultDir());
  static QString defaultDir();
  const QString& dir() const { return dir_; }

  struct LoadResult {
    QList<Conversation> conversations;  // newest first
    QStringList problems;               // one line per damaged file, fit for the user
    QStringList backups;                // paths of the .corrupt-* copies made
  };
  // Loads every conversation; a damaged file is moved aside (`.corrupt-*`) and reported, and
  // temporary files of saves that were killed before their commit are removed.
  LoadResult loadAll() const;
  // One stored file's bytes as loadAll reads them: nullopt (and *why, fit for the user) when
  // they are not a conversation. No file system access (the fuzz target calls it directly).
  static std::optional<Conversation> parse(const QByteArray& bytes, QString* why);
  bool save(const Conversation& c, QString* error = nullptr) const;
  bool remove(const QString& id) const;
  QString pathFor(const QString& id) const;

  static bool exportMarkdown(const Conversation& c, const QString& path, QString* error = nullptr);

 private:
  QString dir_;
};

}  // namespace moe::ui
