// The engine's telemetry rings reach the panel aggregators with the right meaning.
#include "moe/telemetry/events.hpp"
#include "moe/telemetry/hub.hpp"

#include "moe/ui/telemetry-hub.hpp"

#include <QtTest>

using namespace moe;
using namespace moe::ui;

class TestEngineTelemetry : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    if (!tel::kCompiledIn) QFAIL("this build has telemetry compiled out (MOESCOPE_METRICS=OFF)");
    tel::Hub::instance().set_enabled(true);
    tel::Hub::instance().drain([](size_t, const tel::Event&) {});  // start from empty rings
  }

  void routingCacheAndSpansAreConverted() {
    TelemetryHub hub;
    hub.drainNow();
    const int32_t experts[2][2] = {{1, 3}, {0, 3}};
    const float weights[2] = {0.75f, 0.25f};
    for (uint32_t pos = 0; pos < 3; ++pos)
      for (uint16_t layer = 0; layer < 2; ++layer) tel::record_routing(pos, layer, experts[layer], weights, 2, 0, 0);
    // A top-10 choice is split by the engine into two records; the panel sees one.
    int32_t ten[10];
    float tenW[10];
    for (int i = 0; i < 10; ++i) {
      ten[i] = 10 + i;
      tenW[i] = 0.1f;
    }
    tel::record_routing(3, 1, ten, tenW, 10, 0, 0);
    tel::record_cache(tel::CacheAction::miss, 0, 1, 4096, 1000);
    tel::record_cache(tel::CacheAction::hit, 0, 1, 0, 0);
    tel::record_cache(tel::CacheAction::prefetch_issued, 0, 2, 0, 0);  // not a lookup
    tel::record_cache(tel::CacheAction::hit, 1, 3, 0, 0);
    tel::record_cache(tel::CacheAction::eviction, 1, 3, 0, 0);
    // Token 5 took 1000..2000 ns; its spans: attention 200 ns, experts 500 ns (+ the enclosing layer span).
    tel::record_span(tel::OpKind::attention, 0, 1100, 1300);
    tel::record_span(tel::OpKind::layer, 0, 1000, 1900);
    tel::record_span(tel::OpKind::expert_ffn, 0, 1300, 1800);
    tel::record_token(5, 42, false, 1, 1000, 2000);
    // A span whose token step is recorded only after the next drain.
    tel::record_span(tel::OpKind::router, 0, 3000, 3100);
    hub.drainNow();

    const RoutingAggregator& r = hub.routing();
    QCOMPARE(r.totalSamples(), 7LL);
    QCOMPARE(r.count(0, 1), 3);
    QCOMPARE(r.count(0, 3), 3);
    QCOMPARE(r.count(1, 0), 3);
    QCOMPARE(r.count(1, 19), 1);  // the tenth expert of the split record
    QVERIFY(qAbs(r.weightSum(0, 1) - 2.25) < 1e-6);

    const CacheAggregator& c = hub.cache();
    QCOMPARE(c.hits(), 2LL);
    QCOMPARE(c.misses(), 1LL);
    QVERIFY(c.resident(0, 1));
    QVERIFY(!c.resident(1, 3));  // evicted
    QVERIFY(!c.resident(0, 2));  // only a prefetch was issued

    const auto& k = hub.kernels().tokens();
    QCOMPARE(k.size(), size_t(1));
    QCOMPARE(k.begin()->first, 5);
    QCOMPARE(k.at(5)[static_cast<size_t>(KernelOp::attention)], 0.2);
    QCOMPARE(k.at(5)[static_cast<size_t>(KernelOp::experts)], 0.5);
    QCOMPARE(k.at(5)[static_cast<size_t>(KernelOp::other)], 0.0);  // the layer span is not counted again

    tel::record_token(6, 43, false, 1, 3000, 4000);
    hub.drainNow();
    QCOMPARE(hub.kernels().tokens().at(6)[static_cast<size_t>(KernelOp::router)], 0.1);
  }
};

QTEST_GUILESS_MAIN(TestEngineTelemetry)
#include "test-ui-engine-telemetry.moc"
