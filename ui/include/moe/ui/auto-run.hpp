#pragma once
// Drives the window without a user for `moescope --screenshot` and `--selftest`: load the
// model, send one prompt, wait for the reply and for every panel that has a data source to
// show data, optionally save a grab of the window, then report success or the reason.
#include "moe/ui/chat-types.hpp"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

namespace moe::ui {

class MainWindow;

class AutoRun : public QObject {
  Q_OBJECT
 public:
  struct Options {
    QString modelPath;
    QString prompt = QStringLiteral("Explain in two sentences what a mixture-of-experts model is.");
    QString screenshotPath;  // empty = self-test only
    int maxTokens = 48;
    int timeoutMs = 120000;
    // Before the grab: highlight the reply's tokens routed to (layer, expert) (-1: none;
    // expert -2: the expert that took most of the reply's tokens in that layer), and select
    // the reply's token number `selectToken` (0 = first generated; -1: none).
    int highlightLayer = -1, highlightExpert = -1;
    int selectToken = -1;
  };
  AutoRun(MainWindow* window, Options options, QObject* parent = nullptr);
  void start();
  // Panels that have a data source but no data yet (empty when all are populated).
  QStringList panelsWaiting() const;
  // Longest the GUI event loop went without running a 5 ms timer while the reply was
  // generated (the UI must never wait on the engine), in milliseconds.
  double worstStallMs() const { return worstStallMs_; }

 Q_SIGNALS:
  void finished(int exitCode, const QString& message);

 private:
  void fail(const QString& why);
  void checkPanels();
  void showRouting();  // the highlight and token selection asked for
  MainWindow* window_;
  Options options_;
  QTimer timeout_;
  QTimer poll_;
  bool done_ = false;
  int polls_ = 0;
  QTimer latencyProbe_;
  QElapsedTimer sinceProbe_;
  double worstStallMs_ = 0.0;
  int probeTicks_ = 0;
  int generated_ = 0;
};

}  // namespace moe::ui
