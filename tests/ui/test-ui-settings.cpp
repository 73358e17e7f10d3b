// Settings and recent models persist in QSettings; the GGUF magic scan finds models and blobs.
#include "moe/ui/app-settings.hpp"
#include "moe/ui/model-scanner.hpp"

#include <QDir>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace moe::ui;

namespace {
void writeFile(const QString& path, const QByteArray& head, int size = 64) {
  QDir().mkpath(QFileInfo(path).absolutePath());
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  QByteArray bytes = head;
  bytes.resize(size, '\0');
  f.write(bytes);
}
}  // namespace

class TestSettings : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("MoEScopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test-ui-settings"));
    QSettings().clear();
  }

  void settingsPersist() {
    AppSettings defaults = AppSettings::load();
    QVERIFY(defaults == AppSettings{});
    AppSettings a;
    a.threads = 3;
    a.contextSize = 2048;
    a.kvType = QStringLiteral("q8_0");
    a.sampling.temperature = 0.0;
    a.sampling.topP = 0.5;
    a.sampling.seed = 42;
    a.expertBudgetMiB = 700;
    a.cachePolicy = QStringLiteral("lfu");
    a.awareMarginPercent = 256;
    a.prefetch = false;
    a.theme = Theme::dark;
    a.save();
    QVERIFY(AppSettings::load() == a);
    QSettings s;
    QCOMPARE(s.value(QStringLiteral("engine/threads")).toInt(), 3);
  }

  void recentModels() {
    QTemporaryDir dir;
    RecentModels::clear();
    for (int i = 0; i < RecentModels::kMaxRecent + 2; ++i) {
      const QString p = dir.filePath(QStringLiteral("m%1.gguf").arg(i));
      writeFile(p, "GGUF");
      RecentModels::add(p);
    }
    QStringList l = RecentModels::list();
    QCOMPARE(l.size(), RecentModels::kMaxRecent);
    QVERIFY(l.first().endsWith(QStringLiteral("m11.gguf")));
    RecentModels::add(dir.filePath(QStringLiteral("m5.gguf")));
    QVERIFY(RecentModels::list().first().endsWith(QStringLiteral("m5.gguf")));
    QFile::remove(dir.filePath(QStringLiteral("m5.gguf")));
    QVERIFY(!RecentModels::list().first().endsWith(QStringLiteral("m5.gguf")));  // vanished files drop out
  }

  void scanFindsGgufByMagic() {
    QTemporaryDir dir;
    const QString lm = dir.filePath(QStringLiteral("lmstudio/models/org/repo/model-Q4_K_M.gguf"));
    const QString blob = dir.filePath(QStringLiteral("ollama/models/blobs/sha256-0123abcd"));
    const QString notGguf = dir.filePath(QStringLiteral("ollama/models/blobs/sha256-ffff"));
    const QString wrongName = dir.filePath(QStringLiteral("lmstudio/models/readme.txt"));
    writeFile(lm, "GGUF\x03");
    writeFile(blob, "GGUF\x03");
    writeFile(notGguf, "{\"json\": 1}");
    writeFile(wrongName, "GGUF");
    writeFile(dir.filePath(QStringLiteral("ollama/models/manifests/registry.ollama.ai/library/qwen2moe/latest")),
              "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:0123abcd\"}]}", 0);
    QFile m(dir.filePath(QStringLiteral("ollama/models/manifests/registry.ollama.ai/library/qwen2moe/latest")));
    QVERIFY(m.open(QIODevice::WriteOnly));
    m.write("{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:0123abcd\"}]}");
    m.close();

    QVERIFY(isGgufFile(blob));
    QVERIFY(!isGgufFile(notGguf));
    ModelScanner scanner;
    QSignalSpy done(&scanner, &ModelScanner::finished);
    scanner.start({dir.filePath(QStringLiteral("lmstudio/models")), dir.filePath(QStringLiteral("ollama/models/blobs"))});
    QVERIFY(done.wait(5000));
    const auto found = done.first().at(0).value<QList<FoundModel>>();
    QStringList paths;
    for (const FoundModel& f : found) paths << f.path;
    paths.sort();
    QCOMPARE(paths, (QStringList{lm, blob}));
    for (const FoundModel& f : found)
      if (f.path == blob) QCOMPARE(f.displayName, QStringLiteral("qwen2moe:latest"));
  }
};

QTEST_GUILESS_MAIN(TestSettings)
#include "test-ui-settings.moc"
