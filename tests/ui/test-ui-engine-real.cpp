// EngineWorker over the real engine (moe/engine.hpp) on a conformance model.
#include "moe/ui/chat-backend.hpp"
#include "moe/ui/engine-controller.hpp"
#include "moe/ui/engine-worker.hpp"
#include "moe/ui/telemetry-feed.hpp"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace moe::ui;

namespace {
const QString kModel = QStringLiteral(MOE_SHARED_DIR "/conformance/models/qwen2moe-q8_0.gguf");
}

class TestEngineReal : public QObject {
  Q_OBJECT
  std::shared_ptr<TelemetryFeed> feed_ = std::make_shared<TelemetryFeed>();

  std::unique_ptr<EngineController> loaded() {
    auto ctl = std::make_unique<EngineController>(makeEngineBackend(), feed_);
    QSignalSpy ok(ctl.get(), &EngineController::modelLoaded);
    QSignalSpy failed(ctl.get(), &EngineController::loadFailed);
    LoadRequest req;
    req.path = kModel;
    req.contextSize = 4096;
    ctl->load(req);
    if (!ok.wait(60000)) {
      qWarning() << "load failed:" << (failed.isEmpty() ? QStringLiteral("timeout") : failed.first().at(0).toString());
      return nullptr;
    }
    return ctl;
  }

 private Q_SLOTS:
  void initTestCase() {
    if (!QFile::exists(kModel)) QFAIL(qPrintable(QStringLiteral("conformance model missing: ") + kModel));
  }

  void streamsTokensAndStats() {
    auto ctl = loaded();
    QVERIFY(ctl);
    QCOMPARE(ctl->model().architecture, QStringLiteral("qwen2moe"));
    QCOMPARE(ctl->model().nExpert, 8);
    QCOMPARE(ctl->model().nExpertUsed, 2);
    QVERIFY(ctl->model().paramsActive < ctl->model().paramsTotal);
    QSignalSpy tokens(ctl.get(), &EngineController::tokenText);
    QSignalSpy done(ctl.get(), &EngineController::replyFinished);
    QSignalSpy errors(ctl.get(), &EngineController::errorOccurred);
    ChatRequest req;
    req.messages = {{QStringLiteral("user"), QStringLiteral("Tell me about experts.")}};
    req.sampling.temperature = 0.0;
    req.sampling.maxTokens = 16;
    TelemetryBatch discard;
    feed_->drain(discard);
    ctl->send(req);
    QVERIFY2(done.wait(60000), errors.isEmpty() ? "no reply" : qPrintable(errors.first().at(1).toString()));
    const auto stats = done.first().at(1).value<ReplyStatsValue>();
    QVERIFY(stats.promptTokens > 0);
    QVERIFY(stats.generatedTokens > 0);
    QVERIFY(stats.generatedTokens <= 16);
    QVERIFY2(stats.stopReason == QLatin1String("eos") || stats.stopReason == QLatin1String("max_tokens"), qPrintable(stats.stopReason));
    QVERIFY(stats.decodeTokS > 0 || stats.generatedTokens == 1);
    QString text;
    for (const auto& args : tokens) text += args.at(1).toString();
    if (stats.generatedTokens > 1) QVERIFY(!text.isEmpty());
    TelemetryBatch batch;
    feed_->drain(batch);
    QCOMPARE(static_cast<int>(batch.steps.size()), stats.generatedTokens);  // one TokenStep per token

    // Greedy decoding is reproducible through the worker.
    QSignalSpy tokens2(ctl.get(), &EngineController::tokenText);
    QSignalSpy done2(ctl.get(), &EngineController::replyFinished);
    ctl->send(req);
    QVERIFY(done2.wait(60000));
    QString text2;
    for (const auto& args : tokens2) text2 += args.at(1).toString();
    QCOMPARE(text2, text);
  }

  void stopCancelsWithinOneToken() {
    auto ctl = loaded();
    QVERIFY(ctl);
    QSignalSpy tokens(ctl.get(), &EngineController::tokenText);
    QSignalSpy done(ctl.get(), &EngineController::replyFinished);
    ChatRequest req;
    req.messages = {{QStringLiteral("user"), QStringLiteral("Count to a thousand.")}};
    req.sampling.temperature = 1.0;
    req.sampling.seed = 7;
    req.sampling.maxTokens = 3500;
    ctl->worker()->setBatchIntervalMs(0);
    ctl->send(req);
    QVERIFY(tokens.wait(60000));
    ctl->stop();
    QVERIFY(done.wait(10000));
    const auto stats = done.first().at(1).value<ReplyStatsValue>();
    // It may already have hit an end-of-text token; otherwise it stopped because we asked.
    QVERIFY2(stats.stopReason == QLatin1String("cancelled") || stats.stopReason == QLatin1String("eos"), qPrintable(stats.stopReason));
    QVERIFY(stats.generatedTokens < 3500);
  }

  void badFileReportsTheEnginesMessage_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("not gguf") << QByteArray(128, 'x');
    QTest::newRow("truncated header") << QByteArrayLiteral("GGUF\x03\x00\x00\x00\x05");
  }
  void badFileReportsTheEnginesMessage() {
    QFETCH(QByteArray, bytes);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.gguf"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
    f.close();
    EngineController ctl(makeEngineBackend(), feed_);
    QSignalSpy failed(&ctl, &EngineController::loadFailed);
    ctl.load(LoadRequest{path});
    QVERIFY(failed.wait(10000));
    const QString msg = failed.first().at(0).toString();
    QVERIFY2(msg.contains(QStringLiteral("bad.gguf")), qPrintable(msg));  // names the file
    QCOMPARE(failed.first().at(1).toBool(), false);
  }
};

QTEST_GUILESS_MAIN(TestEngineReal)
#include "test-ui-engine-real.moc"
