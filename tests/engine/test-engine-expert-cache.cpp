// The expert cache on a synthetic file: correct bytes, the budget never exceeded, every policy
// consistent, prefetch accounted, and budgets that are too small refused clearly.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "moe/errors.hpp"
#include "moe/expert-cache.hpp"

#include <QtTest>

using namespace moe;

namespace {

constexpr int kLayers = 3, kExperts = 8, kK = 2;
constexpr size_t kSlice = 1000;  // bytes of each of gate/up/down (not a multiple of 64 on purpose)

struct Fixture {
  std::filesystem::path path;
  std::vector<std::byte> bytes;
  std::vector<ExpertSlices> slices;
  Fixture() {
    path = std::filesystem::temp_directory_path() / ("moe-expert-cache-" + std::to_string(::getpid()) + ".bin");
    const size_t n = static_cast<size_t>(kLayers * kExperts) * 3 * kSlice + 128;
    bytes.resize(n);
    std::mt19937 rng(7);
    for (auto& b : bytes) b = static_cast<std::byte>(rng());
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(n));
    for (int l = 0; l < kLayers; ++l)
      for (int e = 0; e < kExperts; ++e) {
        ExpertSlices s;
        for (size_t m = 0; m < 3; ++m) {
          // Matrices of one layer are stored matrix-major, as merged GGUF expert tensors are.
          const size_t off = 128 + ((static_cast<size_t>(l) * 3 + m) * kExperts + static_cast<size_t>(e)) * kSlice;
          s.file_offset[m] = off;
          s.bytes[m] = kSlice;
          s.mapped[m] = bytes.data() + off;
        }
        slices.push_back(s);
      }
  }
  ~Fixture() { std::filesystem::remove(path); }
  bool same(const ExpertData& d, int layer, int expert) const {
    const ExpertSlices& s = slices[static_cast<size_t>(layer * kExperts + expert)];
    return std::memcmp(d.gate, s.mapped[0], kSlice) == 0 && std::memcmp(d.up, s.mapped[1], kSlice) == 0 &&
           std::memcmp(d.down, s.mapped[2], kSlice) == 0;
  }
};

// A routing trace with locality, like a real model's: each layer prefers a drifting subset.
std::vector<std::array<int32_t, kK>> trace(int layer, int n, uint32_t seed) {
  std::mt19937 rng(seed + static_cast<uint32_t>(layer));
  std::vector<std::array<int32_t, kK>> out;
  for (int t = 0; t < n; ++t) {
    const int hot = (t / 20 + layer) % kExperts;
    int a = rng() % 4 == 0 ? static_cast<int>(rng() % kExperts) : hot;
    int b = static_cast<int>(rng() % 3 + static_cast<unsigned>(hot) + 1) % kExperts;
    if (a == b) b = (b + 1) % kExperts;
    out.push_back({a, b});
  }
  return out;
}

}  // namespace

class TestExpertCache : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void unlimitedServesTheMapping() {
    Fixture f;
    ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, {});
    const int32_t ids[2] = {3, 5};
    ExpertData d[2];
    c.acquire(1, ids, d);
    QCOMPARE(d[0].gate, f.slices[1 * kExperts + 3].mapped[0]);
    QCOMPARE(c.pool_bytes(), uint64_t{0});
    QCOMPARE(c.total_stats().hits, uint64_t{2});
    QVERIFY(c.resident(2, 7));
  }

  void everyPolicyServesCorrectBytesWithinBudget_data() {
    QTest::addColumn<int>("policy");
    QTest::addColumn<int>("perLayer");
    QTest::addColumn<int>("budgetKiB");
    for (int p = 0; p < 4; ++p) {
      for (int per : {2, 3, 4, 7, 8})
        QTest::addRow("%s per-layer %d", cache_policy_name(static_cast<CachePolicyKind>(p)).data(), per) << p << per << 0;
      for (int kib : {7, 12, 20, 33, 70, 100})
        QTest::addRow("%s %d KiB", cache_policy_name(static_cast<CachePolicyKind>(p)).data(), kib) << p << 0 << kib;
    }
  }
  void everyPolicyServesCorrectBytesWithinBudget() {
    QFETCH(int, policy);
    QFETCH(int, perLayer);
    QFETCH(int, budgetKiB);
    Fixture f;
    ExpertCacheConfig cfg;
    cfg.policy = static_cast<CachePolicyKind>(policy);
    cfg.budget_experts_per_layer = perLayer;
    cfg.budget_bytes = static_cast<uint64_t>(budgetKiB) * 1024;
    cfg.prefetch = false;
    ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, cfg);
    if (budgetKiB) QVERIFY(c.pool_bytes() <= cfg.budget_bytes);
    if (perLayer) QCOMPARE(c.slot_count(), static_cast<size_t>(std::min(perLayer, kExperts) * kLayers));
    uint64_t accesses = 0;
    std::vector<std::vector<std::array<int32_t, kK>>> traces;
    for (int l = 0; l < kLayers; ++l) traces.push_back(trace(l, 300, 11));
    for (int t = 0; t < 300; ++t)
      for (int l = 0; l < kLayers; ++l) {
        ExpertData d[kK];
        c.acquire(l, traces[l][t], d);
        for (int i = 0; i < kK; ++i) QVERIFY(f.same(d[i], l, traces[l][t][i]));
        c.release(l, traces[l][t]);
        accesses += kK;
        if (perLayer) {
          uint8_t res[kExperts];
          c.residency(l, res);
          int n = 0;
          for (uint8_t r : res) n += r;
          QVERIFY(n <= perLayer);
        }
      }
    const ExpertCacheLayerStats s = c.total_stats();
    QCOMPARE(s.hits + s.misses, accesses);
    QVERIFY(s.misses >= std::min<uint64_t>(c.slot_count(), kLayers * kExperts));  // cold start
    QCOMPARE(s.bytes_paged_in, s.misses * 3 * kSlice);
    if (perLayer >= kExperts) QCOMPARE(s.evictions, uint64_t{0});
    qInfo("%s: hit rate %.3f with %zu slots", QTest::currentDataTag(),
          static_cast<double>(s.hits) / static_cast<double>(accesses), c.slot_count());
  }

  void lruEvictsLeastRecent() {
    Fixture f;
    ExpertCacheConfig cfg;
    cfg.policy = CachePolicyKind::lru;
    cfg.budget_experts_per_layer = 2;
    cfg.prefetch = false;
    ExpertCache c(kLayers, kExperts, 1, f.slices, f.path, cfg);
    auto use = [&](int e) {
      const int32_t id[1] = {e};
      ExpertData d[1];
      c.acquire(0, id, d);
      c.release(0, id);
    };
    use(1);
    use(2);
    use(1);  // 2 is now least recent
    use(3);
    QVERIFY(c.resident(0, 1));
    QVERIFY(!c.resident(0, 2));
    QVERIFY(c.resident(0, 3));
  }

  void tooSmallBudgetsAreConfigErrors() {
    Fixture f;
    ExpertCacheConfig cfg;
    cfg.budget_experts_per_layer = 1;
    QVERIFY_THROWS_EXCEPTION(ConfigError, ExpertCache(kLayers, kExperts, kK, f.slices, f.path, cfg));
    cfg.budget_experts_per_layer = 0;
    cfg.budget_bytes = 4000;  // not even one expert of 3 x 1024 padded bytes... fits one, needs two
    try {
      ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, cfg);
      QFAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      QVERIFY2(QString(e.what()).contains("one token needs 2"), e.what());
    }
    // Everything pinned by the current token: the next acquire cannot evict anything.
    cfg.budget_bytes = 0;
    cfg.budget_experts_per_layer = 2;
    ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, cfg);
    const int32_t a[2] = {0, 1}, b[2] = {2, 3};
    ExpertData d[2];
    c.acquire(0, a, d);
    QVERIFY_THROWS_EXCEPTION(ConfigError, c.acquire(0, b, d));
  }

  void prefetchIsAccountedAndHidesLatency() {
    Fixture f;
    ExpertCacheConfig cfg;
    cfg.budget_experts_per_layer = 4;
    cfg.prefetch = true;
    std::vector<std::thread> workers;
    ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, cfg,
                  [&](std::function<void()> task) { workers.emplace_back(std::move(task)); });
    const int32_t guess[2] = {4, 6};
    c.prefetch(2, guess);
    const int32_t used[2] = {4, 5};  // one right, one wrong
    ExpertData d[2];
    c.acquire(2, used, d);  // may wait for the prefetch still reading expert 4
    QVERIFY(f.same(d[0], 2, 4));
    QVERIFY(f.same(d[1], 2, 5));
    c.release(2, used);
    for (auto& w : workers) w.join();
    c.quiesce();
    const ExpertCacheLayerStats s = c.layer_stats(2);
    QCOMPARE(s.prefetch_issued, uint64_t{2});
    QCOMPARE(s.prefetch_used, uint64_t{1});
    QCOMPARE(s.hits, uint64_t{1});
    QCOMPARE(s.misses, uint64_t{1});
  }

  void policyNamesRoundTrip() {
    for (auto k : {CachePolicyKind::lru, CachePolicyKind::lfu, CachePolicyKind::arc, CachePolicyKind::least_stale})
      QCOMPARE(cache_policy_from_name(cache_policy_name(k)), k);
    QVERIFY_THROWS_EXCEPTION(ConfigError, cache_policy_from_name("fifo"));
  }
};

QTEST_APPLESS_MAIN(TestExpertCache)
#include "test-engine-expert-cache.moc"
