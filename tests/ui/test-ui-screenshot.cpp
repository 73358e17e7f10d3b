// The whole app after a real reply on conformance models, as a user would see it: the window
// is grabbed to PNGs in the build tree (light and dark), and `moescope --selftest` /
// `--screenshot` run end to end.
#include "moe/ui/auto-run.hpp"
#include "moe/ui/main-window.hpp"
#include "moe/ui/model-panel.hpp"
#include "moe/ui/plot-panel.hpp"
#include "moe/ui/theme.hpp"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace moe::ui;

namespace {
const QString kModels = QStringLiteral(MOE_SHARED_DIR "/conformance/models/");
const QString kOut = QStringLiteral(MOE_BINARY_DIR "/screenshots/");
}

class TestScreenshot : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("MoEScopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test-ui-screenshot"));
    QSettings().clear();
    QDir().mkpath(kOut);
  }

  void windowAfterRealReply_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("theme");
    QTest::newRow("qwen2moe light") << QStringLiteral("qwen2moe-q8_0.gguf") << QStringLiteral("light");
    QTest::newRow("qwen2moe dark") << QStringLiteral("qwen2moe-q8_0.gguf") << QStringLiteral("dark");
    QTest::newRow("mixtral light") << QStringLiteral("mixtral-q8_0.gguf") << QStringLiteral("light");
  }
  void windowAfterRealReply() {
    QFETCH(QString, model);
    QFETCH(QString, theme);
    const QString path = kModels + model;
    if (!QFile::exists(path)) QFAIL(qPrintable(QStringLiteral("conformance model missing: ") + path));
    applyTheme(themeFromName(theme));
    QTemporaryDir dir;
    MainWindow::Options o;
    o.conversationDir = dir.path();
    o.restoreLayout = false;
    MainWindow w(o);
    w.resize(1600, 1000);
    w.show();
    AutoRun::Options ao;
    ao.modelPath = path;
    ao.screenshotPath = kOut + QStringLiteral("main-window-%1-%2.png").arg(QFileInfo(model).completeBaseName(), theme);
    QFile::remove(ao.screenshotPath);
    AutoRun run(&w, ao);
    QSignalSpy finished(&run, &AutoRun::finished);
    run.start();
    QVERIFY(finished.wait(120000));
    QVERIFY2(finished.first().at(0).toInt() == 0, qPrintable(finished.first().at(1).toString()));
    QVERIFY(run.panelsWaiting().isEmpty());
    const QImage img(ao.screenshotPath);
    QVERIFY(!img.isNull());
    QVERIFY(img.width() >= 1600 && img.height() >= 1000);
    const Conversation* c = w.currentConversation();
    QVERIFY(c && c->messages.size() == 2 && c->messages[1].stats.valid());
    QVERIFY(w.modelPanel()->hasData());
    // Each panel exports what it shows.
    for (PlotPanel* p : w.plotPanels()) {
      const QString base = kOut + QStringLiteral("panel-%1-%2").arg(QString(p->title()).replace(QLatin1Char(' '), QLatin1Char('-')).toLower(), theme);
      QVERIFY(p->exportPng(base + QStringLiteral(".png")));
      QVERIFY(p->exportCsv(base + QStringLiteral(".csv")));
      QVERIFY(p->exportPdf(base + QStringLiteral(".pdf")));
      QVERIFY(QFileInfo(base + QStringLiteral(".pdf")).size() > 0);
    }
    applyTheme(Theme::light);
  }

  void commandLineSelftestAndScreenshot() {
    const QString exe = QStringLiteral(MOE_BINARY_DIR "/app/moescope");
    QVERIFY2(QFile::exists(exe), "build the moescope target");
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(exe, {QStringLiteral("--selftest"), QStringLiteral("--model"), kModels + QStringLiteral("qwen3moe-q8_0.gguf")});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAll().constData());

    const QString shot = kOut + QStringLiteral("moescope-cli-screenshot.png");
    QFile::remove(shot);
    p.start(exe, {QStringLiteral("--screenshot"), shot, QStringLiteral("--model"), kModels + QStringLiteral("olmoe-q8_0.gguf"),
                  QStringLiteral("--prompt"), QStringLiteral("Hello!")});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAll().constData());
    QVERIFY(!QImage(shot).isNull());

    // Without --model: the bundled demo model.
    const QString demo = kOut + QStringLiteral("moescope-demo-model.png");
    QFile::remove(demo);
    p.start(exe, {QStringLiteral("--screenshot"), demo, QStringLiteral("--prompt"), QStringLiteral("Tell me a short story about a robot.")});
    QVERIFY(p.waitForFinished(180000));
    QVERIFY2(p.exitCode() == 0, p.readAll().constData());
    QVERIFY(!QImage(demo).isNull());

    // Failure is an exit code with the reason.
    QTemporaryDir dir;
    QFile bad(dir.filePath(QStringLiteral("bad.gguf")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("not a model");
    bad.close();
    p.start(exe, {QStringLiteral("--selftest"), QStringLiteral("--model"), bad.fileName()});
    QVERIFY(p.waitForFinished(60000));
    QVERIFY(p.exitCode() != 0);
    QVERIFY(p.readAll().contains("bad.gguf"));
  }
};

QTEST_MAIN(TestScreenshot)
#include "test-ui-screenshot.moc"
