// MoE routing and the expert cache inside the engine: memory-aware routing semantics,
// allocation-free routing and decode with the cache on, bounded sessions that reproduce the
// unlimited logits, prefetch accounting, configuration errors.
#include "moe/engine.hpp"
#include "moe/errors.hpp"
#include "moe/router.hpp"

#include <QtTest>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <random>

#include "counting-allocator.hpp"

using namespace moe;

namespace {

std::filesystem::path model_path(const char* f) {
  return std::filesystem::path(MOE_SHARED_DIR) / "conformance" / "models" / f;
}

std::vector<int32_t> test_tokens(int n, int n_vocab) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  std::mt19937 rng(7);
  for (int32_t& x : t) x = static_cast<int32_t>(rng() % static_cast<uint32_t>(n_vocab));
  return t;
}

double perplexity(const std::vector<float>& logits, const std::vector<int32_t>& toks, int V) {
  double nll = 0.0;
  for (size_t i = 0; i + 1 < toks.size(); ++i) {
    const float* row = logits.data() + i * static_cast<size_t>(V);
    double mx = row[0], sum = 0.0;
    for (int v = 1; v < V; ++v) mx = std::max(mx, static_cast<double>(row[v]));
    for (int v = 0; v < V; ++v) sum += std::exp(row[v] - mx);
    nll += std::log(sum) + mx - row[toks[i + 1]];
  }
  return std::exp(nll / static_cast<double>(toks.size() - 1));
}

MoeOptions budget(int per_layer, CachePolicyKind policy = CachePolicyKind::lru, bool prefetch = true, float margin = 0) {
  MoeOptions o;
  o.cache.budget_experts_per_layer = per_layer;
  o.cache.policy = policy;
  o.cache.prefetch = prefetch;
  o.aware_margin = margin;
  return o;
}

}  // namespace

class TestMoe : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    if (!std::filesystem::exists(model_path("qwen2moe-q8_0.gguf"))) QFAIL("conformance models missing");
  }

  // ---- router -----------------------------------------------------------------------------
  void exact_matches_reference_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("k");
    QTest::addColumn<bool>("renorm");
    for (auto [n, k] : {std::pair{8, 2}, {60, 4}, {256, 8}})
      for (bool r : {false, true})
        QTest::newRow((std::to_string(n) + "/" + std::to_string(k) + (r ? " renorm" : "")).c_str()) << n << k << r;
  }
  void exact_matches_reference() {
    QFETCH(int, n);
    QFETCH(int, k);
    QFETCH(bool, renorm);
    std::mt19937 rng(1);
    std::normal_distribution<float> d(0.0f, 3.0f);
    std::vector<float> logits(static_cast<size_t>(n)), probs(static_cast<size_t>(n));
    std::vector<int32_t> ids(static_cast<size_t>(k));
    std::vector<float> w(static_cast<size_t>(k));
    for (int rep = 0; rep < 50; ++rep) {
      for (float& l : logits) l = d(rng);
      route({n, k, renorm}, logits.data(), {probs.data()}, ids.data(), w.data());
      // reference: double softmax, stable sort by probability (ties: lower id)
      std::vector<double> p(static_cast<size_t>(n));
      double z = 0;
      for (int e = 0; e < n; ++e) z += std::exp(static_cast<double>(logits[static_cast<size_t>(e)]));
      for (int e = 0; e < n; ++e) p[static_cast<size_t>(e)] = std::exp(static_cast<double>(logits[static_cast<size_t>(e)])) / z;
      std::vector<int> order(static_cast<size_t>(n));
      for (int e = 0; e < n; ++e) order[static_cast<size_t>(e)] = e;
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p[static_cast<size_t>(a)] > p[static_cast<size_t>(b)]; });
      double sum = 0;
      for (int j = 0; j < k; ++j) sum += p[static_cast<size_t>(order[static_cast<size_t>(j)])];
      for (int j = 0; j < k; ++j) {
        QCOMPARE(ids[static_cast<size_t>(j)], order[static_cast<size_t>(j)]);
        const double want = p[static_cast<size_t>(order[static_cast<size_t>(j)])] / (renorm ? sum : 1.0);
        QVERIFY2(std::fabs(w[static_cast<size_t>(j)] - want) <= 2e-6 * std::max(want, 1e-3), "weight");
      }
    }
  }

  void aware_margin_prefers_resident_within_margin() {
    // probabilities ~ exp(logits): 0:2.0 1:1.9 2:1.0 3:0.0 ; resident 1 and 2 only
    const float logits[4] = {2.0f, 1.9f, 1.0f, 0.0f};
    const uint8_t resident[4] = {0, 1, 1, 0};
    float probs[4];
    int32_t ids[2];
    float w[2];
    // margin 0.1: the k-th best (expert 1) is resident; expert 0 is not, and no resident
    // alternative is within 10% of expert 1's probability -> exact choice.
    RouteDeviation d = route_aware({4, 2, false}, {AwareMode::margin, 0.1f, 0}, logits, resident, {probs}, ids, w);
    QCOMPARE(ids[0], 0);
    QCOMPARE(ids[1], 1);
    QCOMPARE(d.changed, 0);
    QCOMPARE(d.mass_exact, d.mass_chosen);
    // margin 0.7: expert 2 (p ratio exp(-0.9) = 0.41 of expert 1) qualifies and replaces 0.
    d = route_aware({4, 2, false}, {AwareMode::margin, 0.7f, 0}, logits, resident, {probs}, ids, w);
    QCOMPARE(ids[0], 1);
    QCOMPARE(ids[1], 2);
    QCOMPARE(d.changed, 1);
    QCOMPARE(d.changed_mask, 2u);  // ids[1] is the new one
    QVERIFY(d.mass_exact > d.mass_chosen);
    const double z = std::exp(2.0) + std::exp(1.9) + std::exp(1.0) + 1.0;
    QVERIFY(std::fabs(d.mass_exact - d.mass_chosen - (std::exp(2.0) - std::exp(1.0)) / z) < 1e-5);
    QVERIFY(std::fabs(w[0] - std::exp(1.9) / z) < 1e-6);  // true probabilities, not biased scores
    // renorm: weights over the picks sum to 1
    route_aware({4, 2, true}, {AwareMode::margin, 0.7f, 0}, logits, resident, {probs}, ids, w);
    QVERIFY(std::fabs(w[0] + w[1] - 1.0f) < 1e-6);
    // everything resident: nothing changes
    const uint8_t all[4] = {1, 1, 1, 1};
    d = route_aware({4, 2, false}, {AwareMode::margin, 0.9f, 0}, logits, all, {probs}, ids, w);
    QCOMPARE(ids[0], 0);
    QCOMPARE(ids[1], 1);
    QCOMPARE(d.changed, 0);
  }

  void aware_bonus_variant() {
    const float logits[4] = {2.0f, 1.9f, 1.0f, 0.0f};
    const uint8_t resident[4] = {0, 1, 1, 0};
    float probs[4];
    int32_t ids[2];
    float w[2];
    const RouteDeviation d = route_aware({4, 2, false}, {AwareMode::bonus, 0, 0.5f}, logits, resident, {probs}, ids, w);
    QCOMPARE(ids[0], 1);
    QCOMPARE(ids[1], 2);
    QCOMPARE(d.changed, 1);
  }

  void route_allocates_nothing() {
    std::vector<float> logits(128), probs(128);
    std::vector<uint8_t> res(128);
    for (size_t i = 0; i < logits.size(); ++i) {
      logits[i] = std::sin(static_cast<float>(i));
      res[i] = i % 3 == 0;
    }
    int32_t ids[8];
    float w[8];
    g_allocs = 0;
    g_counting = true;
    for (int i = 0; i < 100; ++i) {
      route({128, 8, false}, logits.data(), {probs.data()}, ids, w);
      (void)route_aware({128, 8, true}, {AwareMode::margin, 0.3f, 0}, logits.data(), res.data(), {probs.data()}, ids, w);
    }
    g_counting = false;
    QCOMPARE(g_allocs.load(), 0L);
  }

  // ---- the cache in a session -------------------------------------------------------------
  void decode_allocates_nothing_with_cache() {
    auto model = load_model(model_path("qwen2moe-q8_0.gguf"), {2});
    auto s = create_session(model, {256, KvType::F16, 64});
    const ModelInfo& info = model_info(*model);
    s->set_moe_options(budget(info.n_expert_used, CachePolicyKind::least_stale, true, 0.3f));
    const std::vector<int32_t> prompt = {79, 110, 313, 309, 559};
    s->eval(prompt);
    int32_t tok = 12;
    for (int i = 0; i < 3; ++i) s->eval(std::span<const int32_t>(&tok, 1));  // warm-up: rings, arena
    long total = 0;
    for (int i = 0; i < 16; ++i) {
      g_allocs = 0;
      g_counting = true;
      const std::span<const float> l = s->eval(std::span<const int32_t>(&tok, 1));
      g_counting = false;
      total += g_allocs.load();
      tok = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
    }
    QCOMPARE(total, 0L);
    const MoeStats st = s->moe_stats();
    QVERIFY(st.total.cache.misses > 0);  // the budget really bounded it: reads happened
  }

  void bounded_pool_reproduces_unlimited_logits_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("n_batch");
    for (const char* f : {"qwen2moe-q8_0.gguf", "qwen3moe-q8_0.gguf", "olmoe-q8_0.gguf", "mixtral-q8_0.gguf"}) {
      QTest::newRow((std::string(f) + " decode").c_str()) << QString(f) << 1;
      QTest::newRow((std::string(f) + " prefill").c_str()) << QString(f) << 16;
    }
  }
  // Exact routing with experts served from the pool (misses, evictions, prefetch, chunked
  // prefill) gives bit-identical logits to the mapping.
  void bounded_pool_reproduces_unlimited_logits() {
    QFETCH(QString, file);
    QFETCH(int, n_batch);
    auto model = load_model(model_path(file.toStdString().c_str()), {2});
    const ModelInfo& info = model_info(*model);
    const std::vector<int32_t> toks = test_tokens(40, info.n_vocab);
    auto ref = create_session(model, {128, KvType::F32, n_batch});
    const std::vector<float> want = ref->evaluate(toks, n_batch > 1);
    for (CachePolicyKind p : {CachePolicyKind::lru, CachePolicyKind::least_stale}) {
      auto s = create_session(model, {128, KvType::F32, n_batch});
      s->set_moe_options(budget(info.n_expert_used, p, true, 0.0f));
      const std::vector<float> got = s->evaluate(toks, n_batch > 1);
      QVERIFY(got == want);
      const MoeStats st = s->moe_stats();
      QVERIFY(st.total.cache.misses > 0);
      QCOMPARE(st.total.changed, uint64_t{0});
      for (const MoeLayerStats& l : st.layers) QCOMPARE(l.cache.hits + l.cache.misses, l.acquired);
    }
  }

  void full_budget_warm_hit_rate_is_one() {
    auto model = load_model(model_path("qwen2moe-q8_0.gguf"), {2});
    const ModelInfo& info = model_info(*model);
    const std::vector<int32_t> toks = test_tokens(48, info.n_vocab);
    auto s = create_session(model, {128, KvType::F32, 64});
    const double ppl_exact = perplexity(s->evaluate(toks, false), toks, info.n_vocab);
    s->set_moe_options(budget(info.n_expert, CachePolicyKind::lru, true, 0.3f));
    s->reset();
    (void)s->evaluate(toks, false);  // warm-up: every expert paged in once
    s->reset();
    s->reset_moe_stats();
    const double ppl = perplexity(s->evaluate(toks, false), toks, info.n_vocab);
    const MoeStats st = s->moe_stats();
    QCOMPARE(st.total.cache.misses, uint64_t{0});
    QCOMPARE(st.total.hit_rate(), 1.0);
    QCOMPARE(st.total.changed, uint64_t{0});  // everything resident: memory-aware = exact
    QCOMPARE(ppl, ppl_exact);
  }

  void prefetch_guesses_are_scored_data() {
    QTest::addColumn<int>("threads");
    QTest::addColumn<float>("margin");
    QTest::newRow("1 thread, exact") << 1 << 0.0f;
    QTest::newRow("1 thread, memory-aware") << 1 << 0.5f;
    QTest::newRow("2 threads, exact") << 2 << 0.0f;
    QTest::newRow("2 threads, memory-aware") << 2 << 0.5f;
  }
  // With one thread a guess is read at once (inline); with two, only if the arena's worker
  // gets to it before the layer is acquired. Either way the counters stay consistent, and with
  // exact routing the logits are those of the mapping.
  void prefetch_guesses_are_scored() {
    QFETCH(int, threads);
    QFETCH(float, margin);
    auto model = load_model(model_path("qwen3moe-q8_0.gguf"), {threads});
    const ModelInfo& info = model_info(*model);
    const std::vector<int32_t> toks = test_tokens(64, info.n_vocab);
    const int half = std::max(info.n_expert_used, info.n_expert / 2);
    auto s = create_session(model, {128, KvType::F32, 64});
    s->set_moe_options(budget(half, CachePolicyKind::lru, true, margin));
    const std::vector<float> got = s->evaluate(toks, false);
    const MoeStats st = s->moe_stats();
    QVERIFY(st.layers.front().guesses == 0);  // nothing predicts layer 0
    QVERIFY(st.total.guesses > 0);
    QVERIFY(st.total.guess_hits <= st.total.guesses);
    if (threads == 1) QVERIFY(st.total.cache.prefetch_issued > 0);
    QVERIFY(st.total.cache.prefetch_used + st.total.cache.prefetch_wasted <= st.total.cache.prefetch_issued);
    for (const MoeLayerStats& l : st.layers) QCOMPARE(l.cache.hits + l.cache.misses, l.acquired);
    if (margin == 0.0f) {
      auto ref = create_session(model, {128, KvType::F32, 64});
      QVERIFY(ref->evaluate(toks, false) == got);
    }
    qInfo("prefetch accuracy on a random-weight model: %.1f%%, %llu of %llu reads used", 100.0 * st.total.prefetch_accuracy(),
          static_cast<unsigned long long>(st.total.cache.prefetch_used),
          static_cast<unsigned long long>(st.total.cache.prefetch_issued));
  }

  // Whether a prefetch read runs before its layer is acquired depends on the threads (inline
  // with one, on a worker with two); memory-aware routing must not: same choices, same logits.
  void aware_routing_with_prefetch_is_thread_count_deterministic() {
    std::vector<float> logits[2];
    uint64_t changed[2] = {};
    for (int i = 0; i < 2; ++i) {
      auto model = load_model(model_path("qwen3moe-q8_0.gguf"), {i + 1});
      const ModelInfo& info = model_info(*model);
      auto s = create_session(model, {128, KvType::F32, 64});
      s->set_moe_options(budget(std::max(info.n_expert_used, info.n_expert / 2), CachePolicyKind::lfu, true, 0.5f));
      logits[i] = s->evaluate(test_tokens(64, info.n_vocab), false);
      changed[i] = s->moe_stats().total.changed;
    }
    QVERIFY(changed[0] > 0);  // memory-aware routing did change picks
    QCOMPARE(changed[1], changed[0]);
    QVERIFY(logits[1] == logits[0]);
  }

  void margin_trades_probability_for_hits() {
    auto model = load_model(model_path("qwen3moe-q8_0.gguf"), {2});
    const ModelInfo& info = model_info(*model);
    const std::vector<int32_t> toks = test_tokens(64, info.n_vocab);
    const int half = std::max(info.n_expert_used, info.n_expert / 2);
    double hit[2] = {}, lost[2] = {};
    for (int i = 0; i < 2; ++i) {
      auto s = create_session(model, {128, KvType::F32, 64});
      s->set_moe_options(budget(half, CachePolicyKind::lru, false, i == 0 ? 0.0f : 0.5f));
      (void)s->evaluate(toks, false);
      const MoeStats st = s->moe_stats();
      hit[i] = st.total.hit_rate();
      lost[i] = st.total.mass_lost_mean();
    }
    QCOMPARE(lost[0], 0.0);
    QVERIFY(lost[1] > 0.0);
    QVERIFY2(hit[1] > hit[0], qPrintable(QString("hit rate %1 -> %2").arg(hit[0]).arg(hit[1])));
  }

  void configuration_errors() {
    auto model = load_model(model_path("qwen2moe-q8_0.gguf"), {2});
    auto s = create_session(model, {64, KvType::F16, 16});
    const ModelInfo& info = model_info(*model);
    QVERIFY_THROWS_EXCEPTION(ConfigError, s->set_moe_options(budget(info.n_expert_used - 1)));
    MoeOptions tiny;
    tiny.cache.budget_bytes = 1024;
    QVERIFY_THROWS_EXCEPTION(ConfigError, s->set_moe_options(tiny));
    MoeOptions bad_margin;
    bad_margin.aware_margin = 1.5f;
    QVERIFY_THROWS_EXCEPTION(ConfigError, s->set_moe_options(bad_margin));
    // a failed change leaves the session as it was
    QVERIFY(s->moe_options().cache.unlimited());
    auto dense = load_model(model_path("qwen3-q8_0.gguf"), {2});
    auto ds = create_session(dense, {64, KvType::F16, 16});
    QVERIFY_THROWS_EXCEPTION(ConfigError, ds->set_moe_options(budget(2)));
  }
};

QTEST_APPLESS_MAIN(TestMoe)
#include "test-engine-moe.moc"
