// Telemetry from a real forward pass: order per producer, cache counts that reconcile with
// routing, a Chrome trace that parses back with spans nested token > layer > kernel, and the
// run-time switch.
#include "moe/engine.hpp"
#include "moe/telemetry/hub.hpp"
#include "moe/telemetry/trace.hpp"

#include <nlohmann/json.hpp>

#include <QtTest>

#include <filesystem>
#include <map>
#include <sstream>

using namespace moe;

namespace {

std::filesystem::path model_path(const char* f) {
  return std::filesystem::path(MOE_SHARED_DIR) / "conformance" / "models" / f;
}

std::vector<tel::TracedEvent> drain_all() {
  std::vector<tel::TracedEvent> ev;
  tel::Hub::instance().drain([&](size_t p, const tel::Event& e) { ev.push_back({p, e}); });
  return ev;
}

uint64_t end_time(const tel::Event& e) {
  switch (e.kind) {
    case tel::EventKind::token_step: return e.token.t_end_ns;
    case tel::EventKind::kernel_span: return e.span.t_end_ns;
    case tel::EventKind::cache: return e.cache.t_ns;
    default: return 0;
  }
}

MoeOptions half_budget(const ModelInfo& info) {
  MoeOptions o;
  o.cache.budget_experts_per_layer = std::max(info.n_expert_used, info.n_expert / 2);
  o.cache.policy = CachePolicyKind::lru;
  o.cache.prefetch = true;
  o.aware_margin = 0.2f;
  return o;
}

}  // namespace

class TestMoeTelemetry : public QObject {
  Q_OBJECT

  std::shared_ptr<const Model> model_;

 private Q_SLOTS:
  void initTestCase() {
    if (!tel::kCompiledIn) QSKIP("telemetry compiled out (nometrics build): nothing to observe");
    const auto p = model_path("qwen2moe-q8_0.gguf");
    if (!std::filesystem::exists(p)) QFAIL("conformance model qwen2moe-q8_0.gguf missing");
    model_ = load_model(p, {2});
  }
  void init() {
    tel::Hub::instance().set_enabled(true);
    (void)drain_all();
  }

  void events_in_order_per_producer() {
    auto s = create_session(model_, {128, KvType::F16, 32});
    s->set_moe_options(half_budget(model_info(*model_)));
    GenerateRequest req;
    req.prompt = "Once upon a time";
    req.max_tokens = 12;
    req.sampling.temperature = 0;
    const ReplyStats rs = s->generate(req, {});
    const auto ev = drain_all();
    QVERIFY(!ev.empty());
    std::map<size_t, uint64_t> last_end;
    std::map<size_t, uint32_t> last_pos;
    int steps = 0, replies = 0, memory = 0;
    for (const auto& te : ev) {
      const uint64_t t = end_time(te.event);
      if (t != 0) {
        QVERIFY2(t >= last_end[te.producer], "records of one producer arrive in the order they ended");
        last_end[te.producer] = t;
      }
      if (te.event.kind == tel::EventKind::token_step) {
        if (steps > 0) QVERIFY(te.event.token.position > last_pos[te.producer]);
        last_pos[te.producer] = te.event.token.position;
        ++steps;
      }
      replies += te.event.kind == tel::EventKind::reply;
      memory += te.event.kind == tel::EventKind::memory;
    }
    QCOMPARE(steps, rs.generated_tokens);  // the prompt batch, then one per decoded token but the last
    QCOMPARE(replies, 1);
    QVERIFY(memory >= 1);
  }

  // hits + misses per layer = experts routed to, one token per forward pass.
  void cache_counts_reconcile_with_routing() {
    const ModelInfo& info = model_info(*model_);
    auto s = create_session(model_, {128, KvType::F16, 32});
    s->set_moe_options(half_budget(info));
    std::vector<int32_t> toks;
    for (int i = 0; i < 40; ++i) toks.push_back((i * 37 + 11) % info.n_vocab);
    (void)s->evaluate(toks, false);
    const auto ev = drain_all();
    QCOMPARE(tel::Hub::instance().dropped(), uint64_t{0});
    std::vector<uint64_t> routed(static_cast<size_t>(info.n_layer)), looked_up(static_cast<size_t>(info.n_layer));
    std::vector<uint64_t> hits(static_cast<size_t>(info.n_layer)), misses(static_cast<size_t>(info.n_layer));
    for (const auto& te : ev) {
      if (te.event.kind == tel::EventKind::routing) routed[te.event.routing.layer] += te.event.routing.k;
      if (te.event.kind == tel::EventKind::cache) {
        const auto& c = te.event.cache;
        if (c.action == tel::CacheAction::hit) ++hits[c.layer];
        if (c.action == tel::CacheAction::miss) ++misses[c.layer];
      }
    }
    const MoeStats st = s->moe_stats();
    for (int l = 0; l < info.n_layer; ++l) {
      const auto L = static_cast<size_t>(l);
      QCOMPARE(routed[L], uint64_t{40} * static_cast<uint64_t>(info.n_expert_used));
      QCOMPARE(hits[L] + misses[L], routed[L]);
      QCOMPARE(hits[L], st.layers[L].cache.hits);
      QCOMPARE(misses[L], st.layers[L].cache.misses);
    }
  }

  void trace_parses_and_spans_nest() {
    auto s = create_session(model_, {128, KvType::F16, 32});
    s->set_moe_options(half_budget(model_info(*model_)));
    GenerateRequest req;
    req.prompt = "The quick brown fox";
    req.max_tokens = 6;
    req.sampling.temperature = 0;
    (void)s->generate(req, {});
    std::ostringstream os;
    tel::write_chrome_trace(os, drain_all(), {});
    const auto j = nlohmann::json::parse(os.str());
    struct Span { double t0, t1; int layer; std::string cat, name; };
    std::map<int, std::vector<Span>> by_tid;
    bool hit_counter = false, kv_counter = false, tok_counter = false;
    for (const auto& e : j.at("traceEvents")) {
      if (e.at("ph") == "C") {
        hit_counter |= e.at("name") == "expert cache hit rate";
        kv_counter |= e.at("name") == "memory (bytes)";
        tok_counter |= e.at("name") == "tokens/s";
      }
      if (e.at("ph") != "X") continue;
      const double t0 = e.at("ts").get<double>(), dur = e.at("dur").get<double>();
      const int layer = e.at("args").contains("layer") ? e.at("args").at("layer").get<int>() : -1;
      by_tid[e.at("tid").get<int>()].push_back({t0, t0 + dur, layer, e.at("cat"), e.at("name")});
    }
    QVERIFY(hit_counter && kv_counter && tok_counter);
    constexpr double eps = 0.002;  // microseconds: timestamps are printed as doubles
    auto inside = [&](const Span& a, const Span& b) { return a.t0 >= b.t0 - eps && a.t1 <= b.t1 + eps; };
    int kernels = 0, layers = 0;
    for (const auto& [tid, spans] : by_tid) {
      for (const Span& sp : spans) {
        if (sp.cat == "layer") {
          ++layers;
          bool ok = false;
          for (const Span& t : spans) ok |= t.cat == "token" && inside(sp, t);
          QVERIFY2(ok, "a layer span lies inside a token step");
        } else if (sp.cat == "kernel" && sp.layer >= 0) {
          ++kernels;
          bool ok = false;
          for (const Span& l : spans) ok |= l.cat == "layer" && l.layer == sp.layer && inside(sp, l);
          QVERIFY2(ok, qPrintable(QString::fromStdString("kernel span " + sp.name + " lies inside its layer")));
        }
      }
    }
    QVERIFY(layers > 0);
    QVERIFY(kernels > layers);
  }

  void switched_off_records_nothing() {
    auto s = create_session(model_, {64, KvType::F16, 16});
    tel::Hub::instance().set_enabled(false);
    const std::vector<int32_t> toks = {5, 6, 7};
    (void)s->evaluate(toks, false);
    tel::Hub::instance().set_enabled(true);
    QVERIFY(drain_all().empty());
  }
};

QTEST_APPLESS_MAIN(TestMoeTelemetry)
#include "test-engine-moe-telemetry.moc"
