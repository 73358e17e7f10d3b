// The main window shows the version, the kernel variant, and a clear message without a model.
#include "moe/version.hpp"
#include "moe/ui/main-window.hpp"

#include <QLabel>
#include <QStatusBar>
#include <QtTest>

class TestMainWindow : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void titleAndStatus() {
    moe::ui::MainWindow w;
    QVERIFY(w.windowTitle().contains(QString::fromLatin1(moe::kVersion)));
    const auto labels = w.statusBar()->findChildren<QLabel*>();
    bool kernels = false;
    for (QLabel* l : labels) kernels |= l->text().startsWith(QStringLiteral("Kernels: "));
    QVERIFY(kernels);
  }
  void explainsMissingModel() {
    moe::ui::MainWindow w;
    w.setModelPath({});
    auto* centre = qobject_cast<QLabel*>(w.centralWidget());
    QVERIFY(centre);
    QVERIFY(centre->text().contains(QStringLiteral("No model given")));
    w.setModelPath(QStringLiteral("/models/x.gguf"));
    QVERIFY(centre->text().contains(QStringLiteral("x.gguf")));
  }
};

QTEST_MAIN(TestMainWindow)
#include "test-ui-main-window.moc"
