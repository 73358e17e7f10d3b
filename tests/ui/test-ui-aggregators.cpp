// Panel aggregators reproduce exactly what was fed to them.
#include "moe/ui/aggregators.hpp"
#include "moe/ui/telemetry-feed.hpp"

#include <QRandomGenerator>
#include <QtTest>

#include <map>

using namespace moe::ui;

namespace {
RoutingSample route(int layer, int pos, std::initializer_list<int> experts) {
  RoutingSample s;
  s.layer = layer;
  s.position = pos;
  for (int e : experts) {
    s.experts[static_cast<size_t>(s.nUsed)] = static_cast<int16_t>(e);
    s.weights[static_cast<size_t>(s.nUsed)] = 1.0f / static_cast<float>(experts.size());
    ++s.nUsed;
  }
  return s;
}
}  // namespace

class TestAggregators : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void routingWindowMatchesBruteForce_data() {
    QTest::addColumn<int>("window");
    QTest::addColumn<int>("tokens");
    QTest::newRow("window larger than stream") << 100 << 30;
    QTest::newRow("sliding") << 16 << 200;
    QTest::newRow("window of one") << 1 << 20;
  }
  void routingWindowMatchesBruteForce() {
    QFETCH(int, window);
    QFETCH(int, tokens);
    const int layers = 3, experts = 8, k = 2;
    QRandomGenerator rng(1234);
    RoutingAggregator agg(window);
    std::vector<RoutingSample> all;
    for (int t = 0; t < tokens; ++t)
      for (int l = 0; l < layers; ++l) {
        const int a = rng.bounded(experts);
        const int b = (a + 1 + rng.bounded(experts - 1)) % experts;
        all.push_back(route(l, t, {a, b}));
        agg.add(all.back());
      }
    QCOMPARE(agg.layers(), layers);
    QCOMPARE(agg.experts(), experts);
    QCOMPARE(agg.totalSamples(), static_cast<long long>(tokens * layers));
    for (int l = 0; l < layers; ++l) {
      std::vector<int> expect(experts, 0);
      const int first = std::max(0, tokens - window);
      for (const auto& s : all)
        if (s.layer == l && s.position >= first)
          for (int i = 0; i < s.nUsed; ++i) ++expect[static_cast<size_t>(s.experts[static_cast<size_t>(i)])];
      int sum = 0;
      for (int e = 0; e < experts; ++e) {
        QCOMPARE(agg.count(l, e), expect[static_cast<size_t>(e)]);
        QVERIFY(qAbs(agg.weightSum(l, e) - expect[static_cast<size_t>(e)] * 0.5) < 1e-9);
        sum += agg.count(l, e);
      }
      QCOMPARE(sum, std::min(window, tokens) * k);
    }
    QCOMPARE(agg.count(99, 0), 0);  // out of range reads are empty, not a crash
  }

  void cacheHitRatesAndResidency() {
    CacheAggregator agg;
    // position 0: 2 misses; position 1: 1 hit 1 miss; position 2: 2 hits; then an eviction.
    agg.add({0, 0, 1, CacheEvent::miss});
    agg.add({0, 1, 3, CacheEvent::miss});
    agg.add({1, 0, 1, CacheEvent::hit});
    agg.add({1, 1, 2, CacheEvent::miss});
    agg.add({2, 0, 1, CacheEvent::hit});
    agg.add({2, 1, 2, CacheEvent::hit});
    agg.add({2, 1, 3, CacheEvent::evict});
    agg.add({0, 0, 0, CacheEvent::hit});  // a late record for an earlier position updates it
    QCOMPARE(agg.hits(), 4LL);
    QCOMPARE(agg.misses(), 3LL);
    QCOMPARE(agg.overallHitRate(), 4.0 / 7.0);
    const auto& s = agg.series();
    QCOMPARE(s.size(), size_t(3));
    QCOMPARE(s[0].position, 0);
    QCOMPARE(s[0].hitRate, 1.0 / 3.0);
    QCOMPARE(s[0].lookups, 3);
    QCOMPARE(s[1].hitRate, 0.5);
    QCOMPARE(s[2].hitRate, 1.0);
    QVERIFY(agg.resident(0, 1));
    QVERIFY(agg.resident(1, 2));
    QVERIFY(!agg.resident(1, 3));  // evicted
    QVERIFY(!agg.resident(0, 3));  // never loaded on layer 0
    QCOMPARE(agg.layers(), 2);
    QCOMPARE(agg.experts(), 4);
  }

  void kernelBreakdownPerToken() {
    KernelAggregator agg(2);
    agg.add({0, KernelOp::attention, 10});
    agg.add({0, KernelOp::attention, 5});  // two layers of the same op add up
    agg.add({0, KernelOp::experts, 40});
    agg.add({1, KernelOp::router, 2});
    agg.add({2, KernelOp::experts, 30});  // only the last 2 tokens are kept
    QCOMPARE(agg.tokens().size(), size_t(2));
    QVERIFY(!agg.tokens().count(0));
    QCOMPARE(agg.tokens().at(1)[static_cast<size_t>(KernelOp::router)], 2.0);
    QCOMPARE(agg.totals()[static_cast<size_t>(KernelOp::experts)], 30.0);
    QCOMPARE(agg.totals()[static_cast<size_t>(KernelOp::attention)], 0.0);
    QCOMPARE(QString::fromLatin1(kernelOpName(KernelOp::sharedExpert).data()), QStringLiteral("shared expert"));
  }

  void throughputFromTokenSteps() {
    ThroughputAggregator agg(2);
    // reply 1: TTFT 100 ms, then a token every 10 ms
    agg.add({1, -1, 90});
    agg.add({1, 0, 100});
    agg.add({1, 1, 110});
    agg.add({1, 2, 120});
    agg.add({1, 3, 140});
    // reply 2: the window restarts, TTFT recorded again
    agg.add({2, 0, 50});
    agg.add({2, 1, 55});
    QCOMPARE(agg.ttftMs(), (std::vector<double>{100.0, 50.0}));
    QCOMPARE(agg.tokensSeen(), 6LL);
    const auto& s = agg.tokS();
    QCOMPARE(s.size(), size_t(4));
    QCOMPARE(s[0].tokS, 100.0);               // 1 token in 10 ms
    QCOMPARE(s[1].tokS, 100.0);               // 2 tokens in 20 ms
    QCOMPARE(s[2].tokS, 2000.0 / 30.0);       // window of 2: 2 tokens in 30 ms
    QCOMPARE(s[3].tokS, 200.0);               // new reply: 1 token in 5 ms
    QCOMPARE(s[3].token, 6LL);
    QCOMPARE(agg.latencyMs().size(), size_t(4));  // decode steps only: TTFT is kept apart
    QCOMPARE(agg.latencyMs()[0].tokS, 10.0);
    QCOMPARE(agg.latencyMs()[0].token, 2LL);
    QCOMPARE(agg.latencyMs()[2].tokS, 20.0);
    QCOMPARE(agg.latencyMs()[3].tokS, 5.0);
  }

  void feedDrainsEverythingAndCountsDrops() {
    TelemetryFeed feed(8);
    for (int i = 0; i < 10; ++i) feed.push(TokenStep{1, i, double(i)});
    feed.push(route(0, 0, {1}));
    TelemetryBatch b;
    feed.drain(b);
    QCOMPARE(b.dropped, size_t(4));  // drop-oldest, counted
    QCOMPARE(b.steps.size(), size_t(6));
    QCOMPARE(b.steps.front().index, 4);
    QCOMPARE(b.routing.size(), size_t(1));
    feed.drain(b);
    QVERIFY(b.empty());
    QCOMPARE(b.dropped, size_t(0));
  }
};

QTEST_APPLESS_MAIN(TestAggregators)
#include "test-ui-aggregators.moc"
