// What the panels plot matches the events fed to them: engine records go through the
// engine's rings into the GUI's TelemetryHub, which feeds the engine's own aggregators
// (moe/telemetry/aggregators.hpp); every figure is compared with a brute-force count of
// the records sent, including records that reach the hub out of order from two threads.
#include "moe/telemetry/aggregators.hpp"
#include "moe/telemetry/events.hpp"
#include "moe/telemetry/hub.hpp"

#include "moe/ui/telemetry-hub.hpp"
#include "moe/ui/telemetry-panels.hpp"

#include <QRandomGenerator>
#include <QtTest>

#include <algorithm>
#include <thread>
#include <vector>

using namespace moe;
using namespace moe::ui;

namespace {

struct Routed {
  uint32_t position;
  uint16_t layer;
  std::vector<int32_t> experts;
};

// Counts[layer * experts + expert] of `all` from index `from` on, positions >= `oldest`.
std::vector<uint32_t> bruteCounts(const std::vector<Routed>& all, size_t from, uint32_t oldest, int layers, int experts) {
  std::vector<uint32_t> c(static_cast<size_t>(layers * experts), 0);
  for (size_t i = from; i < all.size(); ++i)
    if (all[i].position >= oldest)
      for (int32_t e : all[i].experts) ++c[static_cast<size_t>(all[i].layer) * static_cast<size_t>(experts) + static_cast<size_t>(e)];
  return c;
}

void recordReply(double ttftMs) {
  tel::Event e{};
  e.kind = tel::EventKind::reply;
  e.reply.ttft_ms = ttftMs;
  tel::Hub::instance().record(e);
}

}  // namespace

class TestPanelAggregations : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    if (!tel::kCompiledIn) QSKIP("telemetry compiled out (MOESCOPE_METRICS=OFF): no engine records reach the panels");
    tel::Hub::instance().set_enabled(true);
  }
  void init() { tel::Hub::instance().drain([](size_t, const tel::Event&) {}); }  // empty rings

  void routingWindowsMatchBruteForce_data() {
    QTest::addColumn<int>("firstReply");
    QTest::addColumn<int>("secondReply");
    QTest::addColumn<int>("k");
    QTest::newRow("short replies") << 20 << 30 << 2;
    QTest::newRow("beyond the window") << 150 << 90 << 4;
    QTest::newRow("top-10, split in two records") << 40 << 70 << 10;
  }
  void routingWindowsMatchBruteForce() {
    QFETCH(int, firstReply);
    QFETCH(int, secondReply);
    QFETCH(int, k);
    const int layers = 3, experts = 16;
    TelemetryHub hub;
    hub.reset(layers, experts);
    QRandomGenerator rng(99);
    std::vector<Routed> all;
    size_t replyStart = 0;
    auto reply = [&](int tokens) {
      // Each reply routes the whole context again from position 0, like the app's requests.
      for (int t = 0; t < tokens; ++t)
        for (uint16_t l = 0; l < layers; ++l) {
          Routed r{static_cast<uint32_t>(t), l, {}};
          while (static_cast<int>(r.experts.size()) < k) {
            const auto e = static_cast<int32_t>(rng.bounded(experts));
            if (std::find(r.experts.begin(), r.experts.end(), e) == r.experts.end()) r.experts.push_back(e);
          }
          const std::vector<float> w(static_cast<size_t>(k), 1.0f / static_cast<float>(k));
          tel::record_routing(r.position, l, r.experts.data(), w.data(), k, 0, 0);
          all.push_back(std::move(r));
        }
      hub.drainNow();  // several drains per reply, as the GUI timer does
    };
    hub.beginReply(true);
    reply(firstReply);
    hub.beginReply(false);
    replyStart = all.size();
    reply(secondReply);
    const tel::RoutingHistogram* h = hub.routing();
    QVERIFY(h);
    const uint32_t newest = static_cast<uint32_t>(std::max(firstReply, secondReply) - 1);
    const uint32_t oldest = newest >= TelemetryHub::kRoutingLastN - 1 ? newest - (TelemetryHub::kRoutingLastN - 1) : 0;
    QCOMPARE(h->counts(tel::RoutingWindow::conversation), bruteCounts(all, 0, 0, layers, experts));
    QCOMPARE(h->counts(tel::RoutingWindow::this_reply), bruteCounts(all, replyStart, 0, layers, experts));
    QCOMPARE(h->counts(tel::RoutingWindow::last_n_tokens), bruteCounts(all, 0, oldest, layers, experts));
    // Every routed expert was counted exactly once in the conversation window.
    const auto conv = h->counts(tel::RoutingWindow::conversation);
    uint64_t sum = 0;
    for (uint32_t c : conv) sum += c;
    QCOMPARE(sum, static_cast<uint64_t>((firstReply + secondReply) * layers * k));

    // A reply in another conversation starts the conversation window afresh.
    hub.beginReply(true);
    const int32_t one[1] = {5};
    const float w1[1] = {1.0f};
    tel::record_routing(0, 2, one, w1, 1, 0, 0);
    hub.drainNow();
    const auto fresh = h->counts(tel::RoutingWindow::conversation);
    QCOMPARE(std::count_if(fresh.begin(), fresh.end(), [](uint32_t c) { return c != 0; }), 1L);
    QCOMPARE(fresh[static_cast<size_t>(2 * experts + 5)], 1u);
  }

  void cacheAndKernelsFromTwoThreadsInTimeOrder() {
    // Expert lookups and kernel spans come from a worker thread (its own ring), token steps
    // from the session thread: a drain reads one ring after the other, the hub restores time
    // order, so each token step closes exactly the lookups and spans made during it.
    const int layers = 2, experts = 4;
    TelemetryHub hub;
    hub.reset(layers, experts);
    struct Lookup { tel::CacheAction action; uint16_t layer, expert; };
    const std::vector<std::vector<Lookup>> steps{
        {{tel::CacheAction::miss, 0, 1}, {tel::CacheAction::miss, 1, 3}, {tel::CacheAction::hit, 0, 1}},
        {{tel::CacheAction::hit, 0, 1}, {tel::CacheAction::prefetch_issued, 1, 2}, {tel::CacheAction::miss, 1, 2}},
        {{tel::CacheAction::eviction, 1, 3}, {tel::CacheAction::hit, 1, 2}, {tel::CacheAction::hit, 0, 1},
         {tel::CacheAction::prefetch_used, 0, 0}},
    };
    std::vector<double> expectRate;
    std::vector<double> expectAttentionMs, expectExpertMs;
    uint64_t hits = 0, misses = 0, evictions = 0;
    for (size_t s = 0; s < steps.size(); ++s) {
      const uint64_t t0 = tel::now_ns();
      std::thread worker([&] {
        for (const Lookup& l : steps[s]) tel::record_cache(l.action, l.layer, l.expert, 4096, 100);
        // Spans end when recorded, so they end inside this step (their lengths are made up).
        const uint64_t a = tel::now_ns();
        tel::record_span(tel::OpKind::attention, 0, a - 1'000'000 * (s + 1), a);
        tel::record_span(tel::OpKind::expert_ffn, 0, a - 500'000, a);
        tel::record_span(tel::OpKind::layer, 0, a - 3'000'000, a);  // encloses the others: not counted
      });
      worker.join();
      tel::record_token(static_cast<uint32_t>(s), 7, false, 1, t0, tel::now_ns());
      uint64_t h = 0, m = 0;
      for (const Lookup& l : steps[s]) {
        h += l.action == tel::CacheAction::hit;
        m += l.action == tel::CacheAction::miss;
        evictions += l.action == tel::CacheAction::eviction;
      }
      hits += h;
      misses += m;
      expectRate.push_back(static_cast<double>(h) / static_cast<double>(h + m));
      expectAttentionMs.push_back(1.0 * static_cast<double>(s + 1));
      expectExpertMs.push_back(0.5);
    }
    hub.drainNow();  // one drain for all: the worst case for ordering
    const tel::CacheStats& c = hub.cache();
    QCOMPARE(c.total().hits, hits);
    QCOMPARE(c.total().misses, misses);
    QCOMPARE(c.total().evictions, evictions);
    QCOMPARE(c.total().prefetch_issued, uint64_t{1});
    QCOMPARE(c.total().prefetch_used, uint64_t{1});
    QCOMPARE(c.hit_rate_series(), expectRate);
    QVERIFY(c.resident(0, 1));
    QVERIFY(c.resident(1, 2));
    QVERIFY(c.resident(0, 0));   // a used prefetch is resident
    QVERIFY(!c.resident(1, 3));  // evicted
    QVERIFY(!c.resident(0, 2));  // never loaded
    QVERIFY(!c.resident(5, 0));  // out of range is not a crash

    const auto& rows = hub.kernels().rows();
    QCOMPARE(rows.size(), steps.size());
    for (size_t s = 0; s < rows.size(); ++s) {
      QCOMPARE(rows[s].position, static_cast<uint32_t>(s));
      QCOMPARE(rows[s].op_ms[static_cast<size_t>(tel::OpKind::attention)], expectAttentionMs[s]);
      QCOMPARE(rows[s].op_ms[static_cast<size_t>(tel::OpKind::expert_ffn)], expectExpertMs[s]);
      QCOMPARE(rows[s].op_ms[static_cast<size_t>(tel::OpKind::layer)], 0.0);
    }
  }

  void ttftPerReplyAndDrops() {
    TelemetryHub hub;
    hub.reset(1, 1);
    recordReply(120.0);
    recordReply(80.0);
    hub.drainNow();
    QCOMPARE(hub.ttftMs(), (std::vector<double>{120.0, 80.0}));
    // More records than a ring holds between two drains: the oldest are dropped and counted.
    const auto n = static_cast<uint32_t>(tel::Hub::kRingCapacity + 100);
    for (uint32_t i = 0; i < n; ++i) tel::record_token(i, 1, false, 1, 1000 + i, 2000 + i);
    hub.drainNow();
    QVERIFY(hub.dropped() >= 100);
    // Every record that was not dropped closed one row (the breakdown keeps the newest 4096).
    QCOMPARE(hub.kernels().rows().size(), std::min<size_t>(4096, n - hub.dropped()));
    QCOMPARE(hub.kernels().rows().back().position, n - 1);
    hub.reset(1, 1);
    QVERIFY(hub.ttftMs().empty());
    QVERIFY(hub.kernels().rows().empty());
  }

  // The kernel panel's ms-per-token axis: one slow step must not flatten the others.
  void kernelAxisCapsOutliers() {
    int clipped = -1;
    QVector<double> steady(30, 0.2);  // a small model: 0.2 ms per token
    QCOMPARE(KernelPanel::barAxisTop(steady, &clipped), 0.2 * 1.1);
    QCOMPARE(clipped, 0);
    QVector<double> spiky = steady;
    spiky[7] = 12.5;  // another process took the core for one step
    spiky[21] = 9.0;
    QCOMPARE(KernelPanel::barAxisTop(spiky, &clipped), 0.4);  // twice the 90th percentile
    QCOMPARE(clipped, 2);
    // Few steps, or a spread without outliers: the tallest step sets the axis.
    QCOMPARE(KernelPanel::barAxisTop({1.0, 9.0}, &clipped), 9.0 * 1.1);
    QCOMPARE(clipped, 0);
    QVector<double> ramp;
    for (int i = 1; i <= 20; ++i) ramp << i;
    QCOMPARE(KernelPanel::barAxisTop(ramp, &clipped), 20 * 1.1);
    QCOMPARE(clipped, 0);
    QCOMPARE(KernelPanel::barAxisTop({0.001, 0.002}, &clipped), 0.05);  // a floor, never a zero range
    QCOMPARE(KernelPanel::barAxisTop({}, &clipped), 1.0);
  }
};

QTEST_GUILESS_MAIN(TestPanelAggregations)
#include "test-ui-aggregators.moc"
