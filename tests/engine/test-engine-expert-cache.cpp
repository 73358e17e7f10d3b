// The expert cache on a synthetic file: correct bytes (copied from the mapping, read with pread,
// in parallel pieces), the budget never exceeded, every policy consistent, prefetch accounted
// (read when a worker gets to it, dropped when the layer was acquired first), read errors that
// leave the cache usable, and budgets that are too small refused clearly.
#include <sys/mman.h>

#include <atomic>
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
  size_t slice;
  void* map = nullptr;
  size_t map_len = 0;
  // slice: bytes of each of gate/up/down; mapped: point the slices into an mmap of the file
  // (as the model's are) instead of an in-memory copy of its bytes.
  explicit Fixture(size_t slice_bytes = kSlice, bool mapped = false) : slice(slice_bytes) {
    path = std::filesystem::temp_directory_path() / ("moe-expert-cache-" + std::to_string(::getpid()) + ".bin");
    const size_t n = static_cast<size_t>(kLayers * kExperts) * 3 * slice + 128;
    bytes.resize(n);
    std::mt19937 rng(7);
    for (auto& b : bytes) b = static_cast<std::byte>(rng());
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(n));
    const std::byte* base = bytes.data();
    if (mapped) {
      FILE* f = std::fopen(path.c_str(), "rb");
      map_len = n;
      map = ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE, ::fileno(f), 0);
      std::fclose(f);
      if (map == MAP_FAILED) map = nullptr;
      if (map) base = static_cast<const std::byte*>(map);
    }
    for (int l = 0; l < kLayers; ++l)
      for (int e = 0; e < kExperts; ++e) {
        ExpertSlices s;
        for (size_t m = 0; m < 3; ++m) {
          // Matrices of one layer are stored matrix-major, as merged GGUF expert tensors are.
          const size_t off = 128 + ((static_cast<size_t>(l) * 3 + m) * kExperts + static_cast<size_t>(e)) * slice;
          s.file_offset[m] = off;
          s.bytes[m] = slice;
          s.mapped[m] = base + off;
        }
        slices.push_back(s);
      }
  }
  ~Fixture() {
    if (map) ::munmap(map, map_len);
    std::filesystem::remove(path);
  }
  // Compares with the bytes written to the file (not through the slices' pointers).
  bool same(const ExpertData& d, int layer, int expert) const {
    const ExpertSlices& s = slices[static_cast<size_t>(layer * kExperts + expert)];
    const std::byte* f = bytes.data();
    return std::memcmp(d.gate, f + s.file_offset[0], slice) == 0 && std::memcmp(d.up, f + s.file_offset[1], slice) == 0 &&
           std::memcmp(d.down, f + s.file_offset[2], slice) == 0;
  }
  bool aligned(const ExpertData& d) const {
    for (const std::byte* p : {d.gate, d.up, d.down})
      if (reinterpret_cast<uintptr_t>(p) % 64 != 0) return false;
    return true;
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

  // A worker that got to the guesses before the layer was acquired: the guess the router
  // took is a hit whose read was hidden; the other is dropped and its slot given back.
  void prefetchReadBeforeUseIsAHit() {
    Fixture f;
    ExpertCacheConfig cfg;
    cfg.budget_experts_per_layer = 4;
    cfg.prefetch = true;
    std::vector<std::function<void()>> queue;
    ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, cfg, [&](std::function<void()> t) { queue.push_back(std::move(t)); });
    const int32_t guess[2] = {4, 6};
    c.prefetch(2, guess);
    QCOMPARE(queue.size(), size_t{2});
    for (auto& t : queue) t();
    QVERIFY(!c.resident(2, 4));  // an unused guess never draws memory-aware routing
    const int32_t used[2] = {4, 5};  // one right, one wrong
    ExpertData d[2];
    c.acquire(2, used, d);
    QVERIFY(f.same(d[0], 2, 4));
    QVERIFY(f.same(d[1], 2, 5));
    c.release(2, used);
    c.quiesce();
    QVERIFY(c.resident(2, 4) && c.resident(2, 5) && !c.resident(2, 6));
    const ExpertCacheLayerStats s = c.layer_stats(2);
    QCOMPARE(s.prefetch_issued, uint64_t{2});
    QCOMPARE(s.prefetch_used, uint64_t{1});
    QCOMPARE(s.prefetch_wasted, uint64_t{1});
    QCOMPARE(s.prefetch_late, uint64_t{0});
    QCOMPARE(s.hits, uint64_t{1});
    QCOMPARE(s.misses, uint64_t{1});
    QCOMPARE(s.bytes_paged_in, uint64_t{3} * 3 * kSlice);
  }

  // The router took a guess before any worker started it: acquire() reads it (a miss, late);
  // the tasks that come afterwards do nothing. A newer guess replaces an older one.
  void lateAndReplacedGuesses() {
    Fixture f;
    ExpertCacheConfig cfg;
    cfg.budget_experts_per_layer = 4;
    cfg.prefetch = true;
    std::vector<std::function<void()>> queue;
    ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, cfg, [&](std::function<void()> t) { queue.push_back(std::move(t)); });
    const int32_t old_guess[1] = {3}, guess[2] = {4, 6};
    c.prefetch(2, old_guess);
    c.prefetch(2, guess);
    const int32_t used[2] = {4, 5};
    ExpertData d[2];
    c.acquire(2, used, d);
    QVERIFY(f.same(d[0], 2, 4));
    QVERIFY(f.same(d[1], 2, 5));
    c.release(2, used);
    for (auto& t : queue) t();
    c.quiesce();
    QVERIFY(!c.resident(2, 3) && !c.resident(2, 6));
    const ExpertCacheLayerStats s = c.layer_stats(2);
    QCOMPARE(s.prefetch_issued, uint64_t{3});
    QCOMPARE(s.prefetch_late, uint64_t{1});
    QCOMPARE(s.prefetch_used, uint64_t{0});
    QCOMPARE(s.prefetch_wasted, uint64_t{2});
    QCOMPARE(s.misses, uint64_t{2});
    QCOMPARE(s.hits, uint64_t{0});
    QCOMPARE(s.bytes_paged_in, uint64_t{2} * 3 * kSlice);  // nothing read for 3 and 6
  }

  // What is resident (what memory-aware routing sees) depends only on the calls, never on
  // when the workers run: reads done at once, always after the layer was acquired, always
  // before, or on threads give the same residency after every acquire.
  void residencyDoesNotDependOnWorkerTiming() {
    Fixture f;
    ExpertCacheConfig cfg;
    cfg.budget_experts_per_layer = 3;
    cfg.policy = CachePolicyKind::lfu;
    cfg.prefetch = true;
    std::vector<std::vector<std::array<int32_t, kK>>> traces;
    for (int l = 0; l < kLayers; ++l) traces.push_back(trace(l, 150, 3));
    auto run = [&](int mode) {
      std::vector<std::function<void()>> queue;
      std::vector<std::thread> threads;
      TaskSpawner spawn;
      if (mode == 1 || mode == 3) spawn = [&](std::function<void()> t) { queue.push_back(std::move(t)); };
      if (mode == 2) spawn = [&](std::function<void()> t) { threads.emplace_back(std::move(t)); };
      std::vector<uint8_t> seen;
      {
        ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, cfg, spawn);
        for (int t = 0; t < 150; ++t)
          for (int l = 0; l < kLayers; ++l) {
            ExpertData d[kK];
            c.acquire(l, traces[static_cast<size_t>(l)][static_cast<size_t>(t)], d);
            if (mode == 1) {  // the reads of this layer's guesses come too late
              for (auto& task : queue) task();
              queue.clear();
            }
            for (int i = 0; i < kK; ++i)
              if (!f.same(d[i], l, traces[static_cast<size_t>(l)][static_cast<size_t>(t)][static_cast<size_t>(i)])) return std::vector<uint8_t>{};
            // Guess the next layer (next token's choice for it, and a wrong one).
            if (l + 1 < kLayers) {
              const auto& next = traces[static_cast<size_t>(l + 1)][static_cast<size_t>(t)];
              const int32_t g[2] = {next[0], static_cast<int32_t>((next[1] + 3) % kExperts)};
              c.prefetch(l + 1, g);
            }
            c.release(l, traces[static_cast<size_t>(l)][static_cast<size_t>(t)]);
            if (mode == 3) {  // the next layer's reads are done before it is acquired
              for (auto& task : queue) task();
              queue.clear();
            }
            uint8_t res[kExperts];
            c.residency(l, res);
            seen.insert(seen.end(), res, res + kExperts);
          }
        c.quiesce();
      }
      for (auto& th : threads) th.join();
      return seen;
    };
    const std::vector<uint8_t> inline_reads = run(0);
    QVERIFY(!inline_reads.empty());
    QVERIFY(run(1) == inline_reads);
    QVERIFY(run(2) == inline_reads);
    QVERIFY(run(3) == inline_reads);
  }

  // Prefetch reads on real threads while acquire() runs: the bytes are right whoever reads them.
  void concurrentPrefetchServesCorrectBytes() {
    Fixture f;
    ExpertCacheConfig cfg;
    cfg.budget_experts_per_layer = 3;
    cfg.prefetch = true;
    std::vector<std::thread> workers;
    {
      ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, cfg,
                    [&](std::function<void()> t) { workers.emplace_back(std::move(t)); });
      const auto tr = trace(0, 100, 5);
      for (size_t t = 0; t < tr.size(); ++t) {
        ExpertData d[kK];
        c.acquire(0, tr[t], d);
        for (int i = 0; i < kK; ++i) QVERIFY(f.same(d[i], 0, tr[t][i]));
        if (t + 1 < tr.size()) c.prefetch(0, tr[t + 1]);
        c.release(0, tr[t]);
      }
      c.quiesce();
      const ExpertCacheLayerStats s = c.layer_stats(0);
      QCOMPARE(s.hits + s.misses, uint64_t{100} * kK);
      QVERIFY(s.prefetch_used + s.prefetch_wasted <= s.prefetch_issued);
    }
    for (auto& w : workers) w.join();
  }

  // Slices copied from the file's mapping, read with pread (no mapping, or dropping the page
  // cache), in parallel pieces: the same bytes, 64-byte aligned.
  void pageInPaths_data() {
    QTest::addColumn<int>("sliceBytes");
    QTest::addColumn<bool>("mapped");
    QTest::addColumn<bool>("dropPageCache");
    QTest::addColumn<bool>("parallel");
    for (int sz : {1000, 530 * 1000})  // one piece per slice, and two
      for (bool par : {false, true}) {
        QTest::addRow("%d B mapping%s", sz, par ? " parallel" : "") << sz << true << false << par;
        QTest::addRow("%d B pread%s", sz, par ? " parallel" : "") << sz << false << false << par;
        QTest::addRow("%d B drop page cache%s", sz, par ? " parallel" : "") << sz << true << true << par;
      }
  }
  void pageInPaths() {
    QFETCH(int, sliceBytes);
    QFETCH(bool, mapped);
    QFETCH(bool, dropPageCache);
    QFETCH(bool, parallel);
    Fixture f(static_cast<size_t>(sliceBytes), mapped);
    if (mapped) QVERIFY(f.map != nullptr);
    if (!mapped)
      for (ExpertSlices& s : f.slices) s.mapped = {};
    ExpertCacheConfig cfg;
    cfg.budget_experts_per_layer = 3;
    cfg.prefetch = false;
    cfg.drop_page_cache = dropPageCache;
    std::atomic<size_t> pieces{0};
    ParallelFor par;
    if (parallel)  // pieces in reverse order, two threads
      par = [&](size_t n, const std::function<void(size_t)>& body) {
        pieces += n;
        std::thread t([&] {
          for (size_t i = n; i-- > 0;)
            if (i % 2) body(i);
        });
        for (size_t i = n; i-- > 0;)
          if (i % 2 == 0) body(i);
        t.join();
      };
    ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, cfg, {}, par);
    const int32_t a[2] = {1, 6}, b[2] = {2, 6}, e[2] = {0, 7};
    for (const int32_t* ids : {a, b, e, a}) {
      ExpertData d[2];
      c.acquire(1, std::span<const int32_t>(ids, 2), d);
      for (int i = 0; i < 2; ++i) {
        QVERIFY(f.same(d[i], 1, ids[i]));
        QVERIFY(f.aligned(d[i]));
      }
      c.release(1, std::span<const int32_t>(ids, 2));
    }
    const ExpertCacheLayerStats s = c.layer_stats(1);
    QCOMPARE(s.bytes_paged_in, s.misses * 3 * static_cast<uint64_t>(sliceBytes));
    // Pieces of at most 512 KiB (whole slices when the page cache is dropped after each).
    const size_t per_expert = sliceBytes > (512 << 10) && !dropPageCache ? 6 : 3;
    if (parallel) QCOMPARE(pieces.load() % per_expert, size_t{0});
    QVERIFY(!parallel || pieces.load() > 0);
  }

  // A read that fails (the slice lies past the end of the file) throws IoError, leaves nothing
  // pinned or half-resident, and the cache keeps serving the other experts.
  void readErrorsLeaveTheCacheUsable() {
    Fixture f;
    f.slices[1 * kExperts + 3].mapped = {};
    f.slices[1 * kExperts + 3].file_offset[1] = f.bytes.size() + 4096;
    ExpertCacheConfig cfg;
    cfg.budget_experts_per_layer = 2;
    cfg.prefetch = false;
    ExpertCache c(kLayers, kExperts, kK, f.slices, f.path, cfg);
    const int32_t bad[2] = {2, 3}, good[2] = {4, 5};
    ExpertData d[2];
    QVERIFY_THROWS_EXCEPTION(IoError, c.acquire(1, bad, d));
    QVERIFY(!c.resident(1, 2) && !c.resident(1, 3));
    for (int round = 0; round < 2; ++round) {  // both slots are free and unpinned again
      c.acquire(1, good, d);
      QVERIFY(f.same(d[0], 1, 4) && f.same(d[1], 1, 5));
      c.release(1, good);
    }
    QCOMPARE(c.layer_stats(1).hits, uint64_t{2});
  }

  void policyNamesRoundTrip() {
    for (auto k : {CachePolicyKind::lru, CachePolicyKind::lfu, CachePolicyKind::arc, CachePolicyKind::least_stale})
      QCOMPARE(cache_policy_from_name(cache_policy_name(k)), k);
    QVERIFY_THROWS_EXCEPTION(ConfigError, cache_policy_from_name("fifo"));
  }
};

QTEST_APPLESS_MAIN(TestExpertCache)
#include "test-engine-expert-cache.moc"
