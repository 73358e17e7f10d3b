// EngineWorker over the real engine (moe/engine.hpp) on a conformance model.
#include "moe/ui/chat-backend.hpp"
#include "moe/ui/engine-controller.hpp"
#include "moe/ui/engine-worker.hpp"
#include "moe/telemetry/hub.hpp"

#include <set>

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
  std::unique_ptr<EngineController> loaded() {
    auto ctl = std::make_unique<EngineController>(makeEngineBackend());
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
    QSignalSpy spans(ctl.get(), &EngineController::tokenSpans);
    QSignalSpy prompt(ctl.get(), &EngineController::promptTokens);
    ChatRequest req;
    req.messages = {{QStringLiteral("user"), QStringLiteral("Tell me about experts.")}};
    req.sampling.temperature = 0.0;
    req.sampling.maxTokens = 16;
    moe::tel::Hub::instance().set_enabled(true);
    moe::tel::Hub::instance().drain([](size_t, const moe::tel::Event&) {});
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
    // The prompt's token texts, then one span per generated token right after them, covering the text.
    QCOMPARE(prompt.size(), 1);
    const QStringList promptTexts = prompt.first().at(1).toStringList();
    QCOMPARE(promptTexts.size(), stats.promptTokens);
    QVERIFY2(promptTexts.join(QString()).contains(QStringLiteral("Tell me about experts.")), qPrintable(promptTexts.join(QString())));
    QList<TokenSpan> all;
    for (const auto& args : spans) all += args.at(1).value<QList<TokenSpan>>();
    QCOMPARE(all.size(), stats.generatedTokens);
    int offset = 0;
    for (int i = 0; i < all.size(); ++i) {
      QCOMPARE(all[i].position, stats.promptTokens + i);
      QCOMPARE(all[i].start, offset);
      offset += all[i].length;
    }
    QCOMPARE(offset, static_cast<int>(text.size()));
    // Those are the positions the engine's routing names: every layer routed every one of
    // them that was fed back (the last sampled token never is).
    if (moe::tel::kCompiledIn) {
      std::set<std::pair<int, int>> routed;  // (position, layer)
      moe::tel::Hub::instance().drain([&](size_t, const moe::tel::Event& e) {
        if (e.kind == moe::tel::EventKind::routing) routed.insert({static_cast<int>(e.routing.position), e.routing.layer});
      });
      for (int i = 0; i + 1 < all.size(); ++i)
        for (int l = 0; l < ctl->model().nLayer; ++l) QVERIFY2(routed.count({all[i].position, l}), qPrintable(QStringLiteral("position %1 layer %2").arg(all[i].position).arg(l)));
    }

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
    EngineController ctl(makeEngineBackend());
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
