// EngineWorker on its own thread with a scripted backend: streaming, stats, stop, errors, load.
#include "moe/ui/engine-controller.hpp"
#include "moe/ui/engine-worker.hpp"

#include "fake-backend.hpp"

#include <QSignalSpy>
#include <QtTest>

using namespace moe::ui;

class TestEngineWorker : public QObject {
  Q_OBJECT

  struct Rig {
    ScriptedBackend* backend;
    std::unique_ptr<EngineController> ctl;
    explicit Rig(std::function<void(ScriptedBackend&)> setup = {}) {
      auto b = std::make_unique<ScriptedBackend>();
      backend = b.get();
      if (setup) setup(*b);
      ctl = std::make_unique<EngineController>(std::move(b));
    }
    bool load() {
      QSignalSpy loaded(ctl.get(), &EngineController::modelLoaded);
      ctl->load(LoadRequest{QStringLiteral("/fake.gguf")});
      return loaded.wait(5000);
    }
  };

 private Q_SLOTS:
  void streamsTokensAndStats_data() {
    QTest::addColumn<int>("delayMs");
    QTest::addColumn<int>("batchMs");
    QTest::newRow("paced, unbatched") << 5 << 0;
    QTest::newRow("fast, batched") << 0 << 1000;
  }
  void streamsTokensAndStats() {
    QFETCH(int, delayMs);
    QFETCH(int, batchMs);
    Rig rig([&](ScriptedBackend& b) { b.tokenDelayMs = delayMs; });
    rig.ctl->worker()->setBatchIntervalMs(batchMs);
    QSignalSpy progress(rig.ctl.get(), &EngineController::loadProgress);
    QVERIFY(rig.load());
    QVERIFY(progress.count() >= 2);
    QCOMPARE(progress.last().at(0).toDouble(), 1.0);
    QCOMPARE(rig.ctl->model().architecture, QStringLiteral("qwen2moe"));

    QSignalSpy tokens(rig.ctl.get(), &EngineController::tokenText);
    QSignalSpy spans(rig.ctl.get(), &EngineController::tokenSpans);
    QSignalSpy prompt(rig.ctl.get(), &EngineController::promptTokens);
    QSignalSpy done(rig.ctl.get(), &EngineController::replyFinished);
    ChatRequest req;
    req.messages = {{QStringLiteral("user"), QStringLiteral("hi")}};
    const quint64 id = rig.ctl->send(req);
    QVERIFY(rig.ctl->busy());
    QVERIFY(done.wait(5000));
    QVERIFY(!rig.ctl->busy());
    QString text;
    for (const auto& args : tokens) {
      QCOMPARE(args.at(0).toULongLong(), id);
      text += args.at(1).toString();
    }
    QCOMPARE(text, QStringLiteral("Hello, world!"));
    if (batchMs > 0) QVERIFY2(tokens.count() < 4, "tokens produced faster than the batch interval are batched");
    const auto stats = done.first().at(1).value<ReplyStatsValue>();
    QCOMPARE(stats.generatedTokens, 4);
    QCOMPARE(stats.promptTokens, 7);
    QCOMPARE(stats.stopReason, QStringLiteral("eos"));
    QCOMPARE(rig.backend->lastRequest.messages.size(), 1);

    // Where each token's text lies in the reply, by context position (the prompt is position 0).
    QCOMPARE(prompt.size(), 1);
    QCOMPARE(prompt.first().at(1).toStringList(), QStringList{QStringLiteral("hi")});
    QList<TokenSpan> all;
    for (const auto& args : spans) all += args.at(1).value<QList<TokenSpan>>();
    QCOMPARE(all, (QList<TokenSpan>{{1, 0, 5}, {2, 5, 2}, {3, 7, 5}, {4, 12, 1}}));
  }

  void stopCancelsWithinOneToken() {
    Rig rig([](ScriptedBackend& b) {
      b.tokenDelayMs = 20;
      for (int i = 0; i < 200; ++i) b.tokens << QStringLiteral("x");
    });
    QVERIFY(rig.load());
    QSignalSpy tokens(rig.ctl.get(), &EngineController::tokenText);
    QSignalSpy done(rig.ctl.get(), &EngineController::replyFinished);
    rig.ctl->send({});
    QVERIFY(tokens.wait(5000));
    rig.ctl->stop();
    QVERIFY(done.wait(2000));
    const auto stats = done.first().at(1).value<ReplyStatsValue>();
    QCOMPARE(stats.stopReason, QStringLiteral("cancelled"));
    QVERIFY2(stats.generatedTokens < 20, qPrintable(QString::number(stats.generatedTokens)));
  }

  void errorsReachTheGui() {
    Rig rig([](ScriptedBackend& b) { b.generateError = QStringLiteral("tensor blk.0.ffn_gate_exps.weight: bad shape"); });
    QVERIFY(rig.load());
    QSignalSpy errors(rig.ctl.get(), &EngineController::errorOccurred);
    rig.ctl->send({});
    QVERIFY(errors.wait(5000));
    QCOMPARE(errors.first().at(1).toString(), QStringLiteral("tensor blk.0.ffn_gate_exps.weight: bad shape"));
    QVERIFY(!rig.ctl->busy());
  }

  void loadFailureCarriesTheMessage() {
    Rig rig([](ScriptedBackend& b) { b.loadError = QStringLiteral("bad.gguf: not a GGUF file (magic 0x00000000)"); });
    QSignalSpy failed(rig.ctl.get(), &EngineController::loadFailed);
    rig.ctl->load(LoadRequest{QStringLiteral("bad.gguf")});
    QVERIFY(failed.wait(5000));
    QCOMPARE(failed.first().at(0).toString(), QStringLiteral("bad.gguf: not a GGUF file (magic 0x00000000)"));
    QCOMPARE(failed.first().at(1).toBool(), false);
    // Generating without a model is an error, not a crash.
    QSignalSpy errors(rig.ctl.get(), &EngineController::errorOccurred);
    rig.ctl->send({});
    QVERIFY(errors.wait(5000));
  }

  void loadCanBeCancelled() {
    Rig rig([](ScriptedBackend& b) {
      b.loadSteps = 200;
      b.loadStepDelayMs = 10;
    });
    QSignalSpy failed(rig.ctl.get(), &EngineController::loadFailed);
    QSignalSpy progress(rig.ctl.get(), &EngineController::loadProgress);
    rig.ctl->load(LoadRequest{QStringLiteral("/slow.gguf")});
    QVERIFY(progress.wait(5000));
    rig.ctl->cancelLoad();
    QVERIFY(failed.wait(3000));
    QCOMPARE(failed.first().at(1).toBool(), true);
  }

  void destroyMidReplyIsSafe() {
    Rig rig([](ScriptedBackend& b) {
      b.tokenDelayMs = 20;
      for (int i = 0; i < 500; ++i) b.tokens << QStringLiteral("y");
    });
    QVERIFY(rig.load());
    QSignalSpy tokens(rig.ctl.get(), &EngineController::tokenText);
    rig.ctl->send({});
    QVERIFY(tokens.wait(5000));
    QElapsedTimer t;
    t.start();
    rig.ctl.reset();  // cancels, quits the thread, waits
    QVERIFY2(t.elapsed() < 1000, "quitting mid-reply returns within a few tokens");
  }
};

QTEST_GUILESS_MAIN(TestEngineWorker)
#include "test-ui-engine-worker.moc"
