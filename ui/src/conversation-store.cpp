#include "moe/ui/conversation-store.hpp"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>
#include <QStandardPaths>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace moe::ui {

namespace {

// Replaces `path` with `bytes` or leaves it as it was. QSaveFile alone is not enough: when the
// disk fills after part of the data, Qt 6.4 reports a short write without an error and commit()
// then replaces the good file with the truncated one (found by the disk-full test). Unbuffered,
// so that the count returned here is what reached the file.
bool writeWhole(const QString& path, const QByteArray& bytes, QString* error) {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Unbuffered)) {
    if (error) *error = f.errorString();
    return false;
  }
  errno = 0;
  const qint64 written = f.write(bytes);
  const int writeErrno = errno;
  if (written != bytes.size()) {
    const QString why = f.error() != QFileDevice::NoError ? f.errorString()
                        : writeErrno != 0                  ? QString::fromLocal8Bit(std::strerror(writeErrno))
                                                           : QStringLiteral("the disk may be full");
    if (error) *error = QStringLiteral("%1 (wrote %2 of %3 bytes; the previous copy is kept)").arg(why).arg(std::max<qint64>(written, 0)).arg(bytes.size());
    f.cancelWriting();
    return false;
  }
  if (!f.commit()) {
    if (error) *error = f.errorString();
    return false;
  }
  return true;
}

}  // namespace

ConversationStore::ConversationStore(QString dir) : dir_(std::move(dir)) {}

QString ConversationStore::defaultDir() {
  return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/conversations");
}

QString ConversationStore::pathFor(const QString& id) const { return dir_ + QLatin1Char('/') + id + QStringLiteral(".json"); }

std::optional<Conversation> ConversationStore::parse(const QByteArray& bytes, QString* why) {
  QJsonParseError err{};
  const QJsonDocument doc = QJsonDocument::fromJson(bytes, &err);
  QString problem;
  std::optional<Conversation> c;
  if (err.error != QJsonParseError::NoError) problem = QStringLiteral("%1 at byte %2").arg(err.errorString()).arg(err.offset);
  else if (!doc.isObject()) problem = QStringLiteral("not a JSON object");
  else c = Conversation::fromJson(doc.object(), &problem);
  if (!c && why) *why = problem;
  return c;
}

ConversationStore::LoadResult ConversationStore::loadAll() const {
  LoadResult r;
  QDir d(dir_);
  // A save killed before its commit (SIGKILL, power loss) leaves QSaveFile's temporary
  // "<id>.json.XXXXXX" beside the intact previous file. It never holds anything the store
  // needs, so it is removed here instead of piling up. (A second instance saving into the same
  // folder at this very moment would see its commit fail with an error and save again with its
  // next message: its conversation is still in its window.)
  for (const QString& stray : d.entryList({QStringLiteral("*.json.??????")}, QDir::Files | QDir::Hidden))
    QFile::remove(d.filePath(stray));
  const QStringList files = d.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
  for (const QString& name : files) {
    const QString path = d.filePath(name);
    QFile f(path);
    QString why;
    std::optional<Conversation> c;
    if (!f.open(QIODevice::ReadOnly)) {
      why = f.errorString();
    } else {
      c = parse(f.readAll(), &why);
      f.close();
    }
    if (c) {
      r.conversations.push_back(*c);
      continue;
    }
    // Move the damaged file aside so it is kept for the user but not re-reported every start.
    const QString backup = path + QStringLiteral(".corrupt-") +
                           QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    const bool moved = QFile::rename(path, backup);
    if (moved) r.backups.push_back(backup);
    r.problems.push_back(QStringLiteral("%1: %2 (%3)")
                             .arg(name, why, moved ? QStringLiteral("kept as %1").arg(QFileInfo(backup).fileName())
                                                   : QStringLiteral("could not make a backup copy")));
  }
  std::stable_sort(r.conversations.begin(), r.conversations.end(),
                   [](const Conversation& a, const Conversation& b) { return a.updated > b.updated; });
  return r;
}

bool ConversationStore::save(const Conversation& c, QString* error) const {
  if (!QDir().mkpath(dir_)) {
    if (error) *error = QStringLiteral("cannot create %1").arg(dir_);
    return false;
  }
  return writeWhole(pathFor(c.id), QJsonDocument(c.toJson()).toJson(QJsonDocument::Indented), error);
}

bool ConversationStore::remove(const QString& id) const { return QFile::remove(pathFor(id)); }

bool ConversationStore::exportMarkdown(const Conversation& c, const QString& path, QString* error) {
  return writeWhole(path, c.toMarkdown().toUtf8(), error);
}

}  // namespace moe::ui
