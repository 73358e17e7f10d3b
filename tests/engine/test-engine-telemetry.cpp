// Telemetry transport and consumers: order per producer, drop-oldest overflow that never
// corrupts a record, the run-time switch, aggregators that match the events fed, and a trace
// whose JSON parses back with nested spans.
#include <algorithm>
#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "moe/telemetry/aggregators.hpp"
#include "moe/telemetry/hub.hpp"
#include "moe/telemetry/trace.hpp"

#include <QtTest>

using namespace moe::tel;

namespace {

// A record whose fields are tied to each other, so a torn copy is detectable.
Event numbered(uint64_t i) {
  Event e{};
  e.kind = EventKind::kernel_span;
  e.span.t_start_ns = i;
  e.span.t_end_ns = i * 3 + 1;
  e.span.bytes = ~i;
  e.span.flops = i ^ 0x5555555555555555ull;
  e.span.layer = static_cast<uint16_t>(i % 1000);
  e.span.op = OpKind::attention;
  return e;
}

bool intact(const Event& e) {
  const uint64_t i = e.span.t_start_ns;
  return e.kind == EventKind::kernel_span && e.span.t_end_ns == i * 3 + 1 && e.span.bytes == ~i &&
         e.span.flops == (i ^ 0x5555555555555555ull) && e.span.layer == i % 1000;
}

}  // namespace

class TestTelemetry : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void ringKeepsOrder() {
    EventRing ring(64);
    for (uint64_t i = 0; i < 50; ++i) ring.push(numbered(i));
    uint64_t expect = 0;
    QCOMPARE(ring.drain([&](const Event& e) { QVERIFY(intact(e)); QCOMPARE(e.span.t_start_ns, expect++); }), size_t{50});
    QCOMPARE(ring.dropped(), uint64_t{0});
    QCOMPARE(ring.drain([](const Event&) {}), size_t{0});
  }

  void overflowDropsOldestAndCounts() {
    EventRing ring(64);
    for (uint64_t i = 0; i < 64 * 3 + 5; ++i) ring.push(numbered(i));
    std::vector<uint64_t> got;
    ring.drain([&](const Event& e) { QVERIFY(intact(e)); got.push_back(e.span.t_start_ns); });
    QCOMPARE(got.size(), size_t{64});
    QCOMPARE(got.front(), uint64_t{64 * 2 + 5});  // the newest 64 survive
    QCOMPARE(got.back(), uint64_t{64 * 3 + 4});
    QCOMPARE(ring.dropped(), uint64_t{64 * 2 + 5});
  }

  void concurrentProducerNeverTearsRecords() {
    EventRing ring(256);
    constexpr uint64_t kCount = 400000;
    std::atomic<bool> done{false};
    std::thread producer([&] {
      for (uint64_t i = 0; i < kCount; ++i) ring.push(numbered(i));
      done.store(true);
    });
    uint64_t delivered = 0, last = 0, torn = 0, out_of_order = 0;
    bool any = false;
    auto consume = [&](const Event& e) {
      if (!intact(e)) ++torn;
      if (any && e.span.t_start_ns <= last) ++out_of_order;
      last = e.span.t_start_ns;
      any = true;
      ++delivered;
    };
    while (!done.load()) ring.drain(consume);
    producer.join();
    ring.drain(consume);
    QCOMPARE(torn, uint64_t{0});
    QCOMPARE(out_of_order, uint64_t{0});
    QCOMPARE(delivered + ring.dropped(), kCount);
    QCOMPARE(last, kCount - 1);
  }

  void hubSeparatesProducersAndSwitchesOff() {
    Hub& hub = Hub::instance();
    hub.drain([](size_t, const Event&) {});
    hub.set_enabled(true);
    auto produce = [](uint64_t base) {
      for (uint64_t i = 0; i < 100; ++i) Hub::instance().record(numbered(base + i));
    };
    std::thread a(produce, 0), b(produce, 1000);
    a.join();
    b.join();
    // Each thread's records come back in order from one ring (a finished thread's ring may be
    // reused by the next thread, so group by the thread's own numbering).
    std::map<uint64_t, std::vector<std::pair<size_t, uint64_t>>> by_thread;
    hub.drain([&](size_t p, const Event& e) { by_thread[e.span.t_start_ns / 1000].push_back({p, e.span.t_start_ns}); });
    size_t total = 0;
    for (auto& [base, seq] : by_thread) {
      QCOMPARE(seq.size(), size_t{100});
      for (size_t i = 0; i < seq.size(); ++i) {
        QCOMPARE(seq[i].first, seq[0].first);
        QCOMPARE(seq[i].second, base * 1000 + i);
      }
      total += seq.size();
    }
    // Compiled out (nometrics), the hub records nothing at all.
    QCOMPARE(total, kCompiledIn ? size_t{200} : size_t{0});

    hub.set_enabled(false);
    record_span(OpKind::norm, 0, 1, 2);
    hub.record(numbered(7));
    QCOMPARE(hub.drain([](size_t, const Event&) {}), size_t{0});
    hub.set_enabled(true);
    QCOMPARE(on(), kCompiledIn);
  }

  void routingHistogramMatchesEvents() {
    RoutingHistogram h(2, 4, /*last_n=*/2);
    auto route = [&](uint32_t pos, uint16_t layer, uint16_t a, uint16_t b) {
      RoutingEvent r{};
      r.position = pos;
      r.layer = layer;
      r.k = 2;
      r.experts[0] = a;
      r.experts[1] = b;
      r.weights[0] = 0.7f;
      r.weights[1] = 0.3f;
      h.add(r);
    };
    route(0, 0, 1, 2);
    route(0, 1, 0, 3);
    h.begin_reply();
    route(1, 0, 1, 3);
    route(1, 1, 0, 1);
    route(2, 0, 2, 3);
    route(2, 1, 0, 2);
    const auto all = h.counts(RoutingWindow::conversation);
    QCOMPARE(all[0 * 4 + 1], 2u);  // layer 0, expert 1: positions 0 and 1
    QCOMPARE(all[0 * 4 + 3], 2u);
    QCOMPARE(all[1 * 4 + 0], 3u);
    const auto reply = h.counts(RoutingWindow::this_reply);
    QCOMPARE(reply[0 * 4 + 1], 1u);
    QCOMPARE(reply[1 * 4 + 0], 2u);
    const auto last2 = h.counts(RoutingWindow::last_n_tokens);  // positions 1 and 2
    QCOMPARE(last2[0 * 4 + 2], 1u);
    QCOMPARE(last2[0 * 4 + 1], 1u);
    uint32_t sum = 0;
    for (uint32_t c : last2) sum += c;
    QCOMPARE(sum, 8u);  // 2 positions x 2 layers x top-2
    QCOMPARE(h.positions_of(1, 0), (std::vector<uint32_t>{0, 1, 2}));
    QCOMPARE(h.picks_at(2).size(), size_t{4});
  }

  // The histogram keeps running counts and a pruned window buffer; over a long conversation
  // (replies that re-prefill it from position 0, prefill events layer by layer) every window
  // must still equal a count over all events.
  void routingHistogramLongConversationMatchesBruteForce() {
    constexpr int kLayers = 2, kExperts = 8, kLastN = 4;
    RoutingHistogram h(kLayers, kExperts, kLastN);
    struct Seen { uint32_t position; uint16_t layer, expert; size_t reply; };
    std::vector<Seen> seen;
    size_t reply = 0;
    uint32_t rng = 12345;
    auto next = [&] { rng = rng * 1664525u + 1013904223u; return rng >> 8; };
    // The last-N window after every single event: a prune must never drop an entry in it.
    auto check_window = [&] {
      uint32_t newest = 0;
      for (const Seen& e : seen) newest = std::max(newest, e.position);
      const uint32_t oldest = newest >= kLastN - 1 ? newest - (kLastN - 1) : 0;
      std::vector<uint32_t> last(kLayers * kExperts, 0);
      for (const Seen& e : seen)
        if (e.position >= oldest) ++last[static_cast<size_t>(e.layer) * kExperts + e.expert];
      return h.counts(RoutingWindow::last_n_tokens) == last;
    };
    size_t window_mismatches = 0;
    auto check = [&] {
      uint32_t newest = 0;
      for (const Seen& e : seen) newest = std::max(newest, e.position);
      const uint32_t oldest = newest >= kLastN - 1 ? newest - (kLastN - 1) : 0;
      std::vector<uint32_t> conv(kLayers * kExperts, 0), rep(conv), last(conv);
      for (const Seen& e : seen) {
        const size_t c = static_cast<size_t>(e.layer) * kExperts + e.expert;
        ++conv[c];
        if (e.reply == reply) ++rep[c];
        if (e.position >= oldest) ++last[c];
      }
      QCOMPARE(h.counts(RoutingWindow::conversation), conv);
      QCOMPARE(h.counts(RoutingWindow::this_reply), rep);
      QCOMPARE(h.counts(RoutingWindow::last_n_tokens), last);
    };
    uint32_t length = 0;
    for (int turn = 0; turn < 6; ++turn) {
      h.begin_reply();
      ++reply;
      // Prefill of the whole conversation so far, in batches of 32 positions, layer by layer.
      const uint32_t prompt = length + 20 + next() % 40;
      for (uint32_t b0 = 0; b0 < prompt; b0 += 32)
        for (uint16_t l = 0; l < kLayers; ++l)
          for (uint32_t p = b0; p < std::min(prompt, b0 + 32); ++p) {
            RoutingEvent r{};
            r.position = p;
            r.layer = l;
            r.k = 2;
            r.experts[0] = static_cast<uint16_t>(next() % kExperts);
            r.experts[1] = static_cast<uint16_t>((r.experts[0] + 1 + next() % (kExperts - 1)) % kExperts);
            h.add(r);
            seen.push_back({p, l, r.experts[0], reply});
            seen.push_back({p, l, r.experts[1], reply});
            window_mismatches += check_window() ? 0 : 1;
          }
      check();
      // Decode: one position at a time, every layer.
      const uint32_t generated = 10 + next() % 30;
      for (uint32_t p = prompt; p < prompt + generated; ++p)
        for (uint16_t l = 0; l < kLayers; ++l) {
          RoutingEvent r{};
          r.position = p;
          r.layer = l;
          r.k = 1;
          r.experts[0] = static_cast<uint16_t>(next() % kExperts);
          h.add(r);
          seen.push_back({p, l, r.experts[0], reply});
          window_mismatches += check_window() ? 0 : 1;
        }
      check();
      length = prompt + generated;
    }
    QCOMPARE(window_mismatches, size_t{0});
    QVERIFY(seen.size() > 8 * 2 * kLastN * kLayers * 8);  // long enough to prune several times
    h.clear();
    QCOMPARE(h.counts(RoutingWindow::conversation), std::vector<uint32_t>(kLayers * kExperts, 0));
    QCOMPARE(h.counts(RoutingWindow::last_n_tokens), std::vector<uint32_t>(kLayers * kExperts, 0));
  }

  void cacheStatsReconcile() {
    CacheStats s(2);
    auto ev = [&](CacheAction a, uint16_t layer) { s.add(CacheEvent{0, 100, 10, layer, 0, a}); };
    ev(CacheAction::hit, 0);
    ev(CacheAction::miss, 0);
    ev(CacheAction::hit, 1);
    ev(CacheAction::hit, 1);
    ev(CacheAction::prefetch_issued, 1);
    ev(CacheAction::prefetch_used, 1);
    s.end_token();
    ev(CacheAction::miss, 1);
    s.end_token();
    QCOMPARE(s.total().hits + s.total().misses, uint64_t{5});  // = experts routed to
    QCOMPARE(s.layer(0).hits + s.layer(0).misses, uint64_t{2});
    QCOMPARE(s.hit_rate(), 3.0 / 5.0);
    QCOMPARE(s.prefetch_accuracy(), 1.0);
    QCOMPARE(s.hit_rate_series(), (std::vector<double>{0.75, 0.0}));
    QCOMPARE(s.layer_series(0), (std::vector<double>{0.5, -1.0}));
  }

  void kernelBreakdownSumsOpsPerToken() {
    KernelBreakdown k;
    k.add(KernelSpanEvent{0, 2'000'000, 0, 0, 0, OpKind::attention});
    k.add(KernelSpanEvent{0, 9'000'000, 0, 0, 0, OpKind::layer});  // encloses the others: not counted
    k.add(KernelSpanEvent{2'000'000, 3'000'000, 0, 0, 0, OpKind::expert_ffn});
    k.add(TokenStepEvent{0, 10'000'000, 5, 42, 0, 1});
    k.add(TokenStepEvent{10'000'000, 15'000'000, 6, 43, 0, 1});
    QCOMPARE(k.rows().size(), size_t{2});
    QCOMPARE(k.rows()[0].op_ms[static_cast<size_t>(OpKind::attention)], 2.0);
    QCOMPARE(k.rows()[0].op_ms[static_cast<size_t>(OpKind::expert_ffn)], 1.0);
    QCOMPARE(k.rows()[0].op_ms[static_cast<size_t>(OpKind::layer)], 0.0);
    QCOMPARE(k.rows()[1].op_ms[static_cast<size_t>(OpKind::attention)], 0.0);
    QCOMPARE(k.decode_tok_s(), 2.0 * 1000.0 / 15.0);
  }

  void traceParsesAndNests() {
    std::vector<TracedEvent> evs;
    auto add_span = [&](OpKind op, uint16_t layer, uint64_t a, uint64_t b) {
      Event e{};
      e.kind = EventKind::kernel_span;
      e.span = KernelSpanEvent{a, b, 64, 128, layer, op};
      evs.push_back({0, e});
    };
    add_span(OpKind::attention, 0, 1100, 1400);
    add_span(OpKind::expert_ffn, 0, 1400, 1900);
    add_span(OpKind::layer, 0, 1050, 1950);
    Event t{};
    t.kind = EventKind::token_step;
    t.token = TokenStepEvent{1000, 2000, 7, 99, 0, 1};
    evs.push_back({0, t});
    Event c{};
    c.kind = EventKind::cache;
    c.cache = CacheEvent{1500, 4096, 300, 0, 3, CacheAction::miss};
    evs.push_back({0, c});
    std::ostringstream os;
    write_chrome_trace(os, evs, {});
    const auto j = nlohmann::json::parse(os.str());
    std::vector<nlohmann::json> spans;
    for (const auto& e : j["traceEvents"])
      if (e["ph"] == "X") spans.push_back(e);
    QCOMPARE(spans.size(), size_t{4});
    auto find = [&](const std::string& cat) {
      for (auto& s : spans) if (s["cat"] == cat) return s;
      return nlohmann::json{};
    };
    const auto token = find("token"), layer = find("layer");
    auto within = [](const nlohmann::json& inner, const nlohmann::json& outer) {
      const double a = inner["ts"], d = inner["dur"], oa = outer["ts"], od = outer["dur"];
      return a >= oa && a + d <= oa + od && inner["tid"] == outer["tid"];
    };
    QVERIFY(within(layer, token));
    for (auto& s : spans)
      if (s["cat"] == "kernel") QVERIFY(within(s, layer));
    bool counter = false;
    for (const auto& e : j["traceEvents"]) counter |= e["ph"] == "C" && e["name"] == "expert cache hit rate";
    QVERIFY(counter);

    std::ostringstream csv;
    Event r{};
    r.kind = EventKind::routing;
    r.routing.position = 7;
    r.routing.layer = 1;
    r.routing.k = 2;
    r.routing.experts[0] = 5;
    r.routing.experts[1] = 2;
    r.routing.weights[0] = 0.5f;
    r.routing.weights[1] = 0.25f;
    write_routing_csv(csv, {{0, r}}, [](uint32_t p) { return "tok\"" + std::to_string(p); });
    QCOMPARE(QString::fromStdString(csv.str()),
             QStringLiteral("position,layer,token,experts,weights\n7,1,\"tok\"\"7\",5;2,0.5;0.25\n"));
  }

  void clockIsMonotonic() {
    uint64_t prev = now_ns();
    for (int i = 0; i < 100000; ++i) {
      const uint64_t t = now_ns();
      QVERIFY(t >= prev);
      prev = t;
    }
    const int64_t s0 = steady_now_ns();
    const uint64_t t0 = now_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const double ratio = static_cast<double>(now_ns() - t0) / static_cast<double>(steady_now_ns() - s0);
    QVERIFY2(ratio > 0.99 && ratio < 1.01, qPrintable(QString::number(ratio)));
  }
};

QTEST_APPLESS_MAIN(TestTelemetry)
#include "test-engine-telemetry.moc"
