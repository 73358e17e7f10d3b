// Conversations survive save/restore; a damaged file is kept aside and reported, the rest loads.
#include "moe/ui/conversation-list-model.hpp"
#include "moe/ui/conversation-store.hpp"

#include <QDir>
#include <QJsonDocument>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cerrno>
#include <cstring>

#include "file-size-limit.hpp"

using namespace moe::ui;

namespace {
Conversation sample(const QString& title) {
  SamplingSettings s;
  s.temperature = 0.2;
  s.topK = 7;
  s.seed = 18446744073709551557ULL;  // needs all 64 bits
  Conversation c = Conversation::create(title, s);
  c.systemPrompt = QStringLiteral("Be brief.");
  c.messages.push_back({QStringLiteral("user"), QStringLiteral("What is an expert? ünïcödé"), {}, {}, {}});
  Message a{QStringLiteral("assistant"), QStringLiteral("A small FFN.\n```cpp\nint x;\n```"), {}, {}, {}};
  a.stats = {12, 4, 300.5, 25.25, 80.0, QStringLiteral("eos")};
  c.messages.push_back(a);
  return c;
}

QByteArray readAll(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestConversationStore : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void roundTrip() {
    QTemporaryDir dir;
    ConversationStore store(dir.path());
    const Conversation c = sample(QStringLiteral("Experts"));
    QString err;
    QVERIFY2(store.save(c, &err), qPrintable(err));
    const auto r = store.loadAll();
    QVERIFY(r.problems.isEmpty());
    QCOMPARE(r.conversations.size(), 1);
    const Conversation& d = r.conversations.first();
    QCOMPARE(d.id, c.id);
    QCOMPARE(d.title, c.title);
    QCOMPARE(d.systemPrompt, c.systemPrompt);
    QVERIFY(d.sampling == c.sampling);
    QCOMPARE(d.messages.size(), 2);
    QCOMPARE(d.messages[0].content, c.messages[0].content);
    QCOMPARE(d.messages[1].content, c.messages[1].content);
    QCOMPARE(d.messages[1].stats.decodeTokS, 25.25);
    QCOMPARE(d.messages[1].stats.stopReason, QStringLiteral("eos"));
    QCOMPARE(d.created, c.created);
  }

  // What a save killed before its commit leaves (QSaveFile's "<id>.json.XXXXXX") is removed on
  // load; the intact file and a damaged file's backup are not touched.
  void loadRemovesTemporaryFilesOfKilledSaves() {
    QTemporaryDir dir;
    ConversationStore store(dir.path());
    const Conversation c = sample(QStringLiteral("Killed mid-save"));
    QVERIFY(store.save(c));
    const QString stray = store.pathFor(c.id) + QStringLiteral(".Ab12Cd");
    const QString backup = dir.filePath(QStringLiteral("old.json.corrupt-20261130-080000"));
    for (const QString& path : {stray, backup}) {
      QFile f(path);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("{\"id\": \"half");
    }
    const auto r = store.loadAll();
    QVERIFY(r.problems.isEmpty());
    QCOMPARE(r.conversations.size(), 1);
    QCOMPARE(r.conversations.first().title, c.title);
    QVERIFY(!QFile::exists(stray));
    QVERIFY(QFile::exists(backup));
  }

  void corruptedFileIsKeptAndReported_data() {
    QTest::addColumn<QByteArray>("damage");
    QTest::newRow("truncated") << QByteArrayLiteral("{\"id\": \"x\", \"messages\": [");
    QTest::newRow("not json") << QByteArrayLiteral("\x00\x01garbage");
    QTest::newRow("wrong shape") << QByteArrayLiteral("[1, 2, 3]");
    QTest::newRow("bad role") << QByteArrayLiteral("{\"id\":\"x\",\"messages\":[{\"role\":\"robot\",\"content\":\"\"}]}");
  }
  void corruptedFileIsKeptAndReported() {
    QFETCH(QByteArray, damage);
    QTemporaryDir dir;
    ConversationStore store(dir.path());
    const Conversation good1 = sample(QStringLiteral("one"));
    const Conversation good2 = sample(QStringLiteral("two"));
    QVERIFY(store.save(good1));
    QVERIFY(store.save(good2));
    QFile bad(dir.filePath(QStringLiteral("broken.json")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write(damage);
    bad.close();

    ConversationListModel model{ConversationStore(dir.path())};
    const auto r = model.reload();
    QCOMPARE(model.rowCount(), 2);  // the intact ones still load
    QCOMPARE(r.problems.size(), 1);
    QVERIFY(r.problems.first().contains(QStringLiteral("broken.json")));
    QCOMPARE(r.backups.size(), 1);
    QVERIFY(QFile::exists(r.backups.first()));
    QVERIFY(r.backups.first().contains(QStringLiteral(".corrupt-")));
    QFile kept(r.backups.first());
    QVERIFY(kept.open(QIODevice::ReadOnly));
    QCOMPARE(kept.readAll(), damage);  // the user's bytes are kept as they were
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("broken.json"))));
    QVERIFY(model.reload().problems.isEmpty());  // reported once, not at every start
  }

  // Found by fuzz-conversation-store: the id names the file every later save writes.
  void idThatEscapesTheFolderIsRefused_data() {
    QTest::addColumn<QString>("id");
    QTest::newRow("parent") << QStringLiteral("../../.profile");
    QTest::newRow("slashes (fuzzer)") << QStringLiteral("1a183d////e7-b3d5");
    QTest::newRow("absolute") << QStringLiteral("/tmp/x");
    QTest::newRow("dot file") << QStringLiteral(".hidden");
    QTest::newRow("empty") << QString();
    QTest::newRow("backslash") << QStringLiteral("a\\b");
    QTest::newRow("nul") << QStringLiteral("a") + QChar(0) + QStringLiteral("b");
    QTest::newRow("too long") << QString(129, QLatin1Char('a'));
  }
  void idThatEscapesTheFolderIsRefused() {
    QFETCH(QString, id);
    QTemporaryDir dir;
    Conversation c = sample(QStringLiteral("evil"));
    c.id = id;
    QFile f(dir.filePath(QStringLiteral("shared.json")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(c.toJson()).toJson());
    f.close();
    const auto r = ConversationStore(dir.path()).loadAll();
    QVERIFY(r.conversations.isEmpty());
    QCOMPARE(r.problems.size(), 1);
    QVERIFY2(r.problems.first().contains(QStringLiteral("\"id\" is not a plain file name")), qPrintable(r.problems.first()));
    QVERIFY(Conversation::isValidId(Conversation::create(QStringLiteral("t"), {}).id));  // what create() makes passes
  }

  // The disk fills up while saving: the save fails with the system's message, the user is told
  // which conversation, the previous file is untouched, no temporary file is left, and the
  // message stays in memory so the next save that can succeed writes it.
  void diskFullKeepsThePreviousFile() {
    QTemporaryDir dir;
    ConversationListModel model{ConversationStore(dir.path())};
    QSignalSpy failed(&model, &ConversationListModel::saveFailed);
    const QString id = model.add(sample(QStringLiteral("Nearly full")));
    QCOMPARE(failed.count(), 0);
    const QString path = model.store().pathFor(id);
    const QByteArray before = readAll(path);
    QVERIFY(!before.isEmpty());

    Conversation longer = *model.find(id);
    longer.messages.push_back({QStringLiteral("user"), QString(100000, QLatin1Char('z')), {}, {}, {}});
    {
      FileSizeLimit full(static_cast<rlim_t>(before.size()) + 4096);
      QVERIFY(full.ok());
      QVERIFY(!model.update(longer));
    }
    QCOMPARE(failed.count(), 1);
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains(QStringLiteral("Nearly full")), qPrintable(message));
    QVERIFY2(message.contains(QString::fromLocal8Bit(std::strerror(EFBIG)), Qt::CaseInsensitive), qPrintable(message));
    QCOMPARE(readAll(path), before);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
    QCOMPARE(model.find(id)->messages.size(), 3);

    QVERIFY(model.update(*model.find(id)));  // space again: the kept message reaches the disk
    const auto r = ConversationStore(dir.path()).loadAll();
    QCOMPARE(r.conversations.size(), 1);
    QCOMPARE(r.conversations.first().messages.size(), 3);
  }

  void listModelSavesEveryChange() {
    QTemporaryDir dir;
    ConversationListModel model{ConversationStore(dir.path())};
    const QString a = model.add(sample(QStringLiteral("a")));
    const QString b = model.add(sample(QStringLiteral("b")));
    QCOMPARE(model.data(model.index(0), Qt::DisplayRole).toString(), QStringLiteral("b"));
    QVERIFY(model.rename(a, QStringLiteral("renamed")));
    Conversation ca = *model.find(a);
    ca.messages.push_back({QStringLiteral("user"), QStringLiteral("more"), {}, {}, {}});
    QVERIFY(model.update(ca));
    QCOMPARE(model.rowOf(a), 0);  // touched conversations move to the top
    QVERIFY(model.remove(b));

    ConversationListModel again{ConversationStore(dir.path())};
    again.reload();
    QCOMPARE(again.rowCount(), 1);
    QCOMPARE(again.find(a)->title, QStringLiteral("renamed"));
    QCOMPARE(again.find(a)->messages.size(), 3);
    QVERIFY(again.data(again.index(0), ConversationListModel::SearchTextRole).toString().contains(QStringLiteral("more")));
  }

  void exportsMarkdown() {
    QTemporaryDir dir;
    const Conversation c = sample(QStringLiteral("Export me"));
    const QString path = dir.filePath(QStringLiteral("out.md"));
    QVERIFY(ConversationStore::exportMarkdown(c, path));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString md = QString::fromUtf8(f.readAll());
    QVERIFY(md.startsWith(QStringLiteral("# Export me")));
    QVERIFY(md.contains(QStringLiteral("## You")));
    QVERIFY(md.contains(QStringLiteral("```cpp\nint x;\n```")));
    QVERIFY(md.contains(QStringLiteral("stop: eos")));
  }
};

QTEST_GUILESS_MAIN(TestConversationStore)
#include "test-ui-conversation-store.moc"
