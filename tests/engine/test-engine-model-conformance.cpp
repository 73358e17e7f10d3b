// Forward pass vs llama.cpp: for every model in conformance/models and each of its three
// prompts, logits and greedy continuation within refs/criteria.json; plus thread-count,
// batching and constant checks.
#include "conformance-refs.hpp"
#include "model/model.hpp"
#include "moe/engine.hpp"

#include <QtTest>

#include <map>

using namespace moe;
using namespace moe::test;

namespace {

const char* const kPrompts[] = {"short", "chat", "unicode"};

struct Criteria {
  bool quantized = false;
  double max_nmse_prompt = 0, max_pooled_nmse = 0, max_kl = 0, min_top1 = 0, top1_guard = 0, greedy_guard = 0;
};

struct PromptResult {
  Nmse nmse;
  double kl_sum = 0;
  int rows = 0, top1_same = 0, top1_guarded_bad = 0;
  int greedy_match = 0, greedy_required = 0;
  bool greedy_ok = true;
};

std::map<std::string, std::shared_ptr<const Model>>& model_cache() {
  static std::map<std::string, std::shared_ptr<const Model>> c;
  return c;
}

std::shared_ptr<const Model> get_model(const std::string& file, int threads = 2) {
  const std::string key = file + "#" + std::to_string(threads);
  auto& c = model_cache();
  if (!c.count(key)) {
    LoadOptions o;
    o.n_threads = threads;
    c[key] = load_model(conformance_dir() / "models" / file, o);
  }
  return c[key];
}

std::unique_ptr<Session> f32_session(const std::shared_ptr<const Model>& m) {
  SessionOptions so;
  so.n_ctx = 512;
  so.kv_type = KvType::F32;
  return create_session(m, so);
}

Criteria criteria_for(const std::string& weight_type) {
  const nlohmann::json c = read_json(conformance_dir() / "refs" / "criteria.json").at("classes");
  Criteria cr;
  for (const auto& [name, cls] : c.items()) {
    const auto types = cls.at("weight_types").get<std::vector<std::string>>();
    if (std::find(types.begin(), types.end(), weight_type) == types.end()) continue;
    cr.quantized = name != "float";
    cr.max_nmse_prompt = cls.at("max_nmse_per_prompt").get<double>();
    cr.max_pooled_nmse = cls.value("max_pooled_nmse", 1.0);
    cr.max_kl = cr.quantized ? cls.at("max_pooled_mean_kl").get<double>() : cls.at("max_mean_kl_per_prompt").get<double>();
    cr.min_top1 = cls.value("min_pooled_top1_agreement", 0.0);
    cr.top1_guard = cls.value("top1_margin_guard", 0.0);
    cr.greedy_guard = cls.at("greedy_margin_guard").get<double>();
    return cr;
  }
  throw std::runtime_error("criteria.json has no class for weight type " + weight_type);
}

PromptResult run_prompt(const Model&, const std::shared_ptr<const Model>& m, const Ref& ref, const Criteria& cr) {
  PromptResult r;
  auto s = f32_session(m);
  const std::vector<float> logits = s->evaluate(ref.tokens, true);
  r.nmse = nmse(logits, ref.logits);
  const int V = ref.n_vocab;
  for (int i = 0; i < ref.n_tokens; ++i) {
    const float* a = logits.data() + static_cast<size_t>(i) * static_cast<size_t>(V);
    const float* b = ref.logits.data() + static_cast<size_t>(i) * static_cast<size_t>(V);
    r.kl_sum += kl_row(b, a, V);
    const bool same = argmax(a, V) == ref.prompt_argmax[static_cast<size_t>(i)];
    r.top1_same += same;
    if (!same && ref.prompt_margin[static_cast<size_t>(i)] >= cr.top1_guard) ++r.top1_guarded_bad;
    ++r.rows;
  }
  // Greedy: our argmax fed back one token at a time, compared up to the first low-margin step.
  int32_t next = argmax(logits.data() + static_cast<size_t>(ref.n_tokens - 1) * static_cast<size_t>(V), V);
  bool counting = true;
  for (size_t step = 0; step < ref.greedy.size(); ++step) {
    const bool guarded = ref.greedy_margin[step] >= cr.greedy_guard;
    if (counting && guarded) ++r.greedy_required;
    if (next == ref.greedy[step]) {
      if (counting) ++r.greedy_match;
    } else {
      if (counting && guarded) r.greedy_ok = false;
      counting = false;
    }
    if (!guarded) counting = false;
    if (step + 1 < ref.greedy.size()) {
      const std::span<const float> l = s->eval(std::span<const int32_t>(&next, 1));
      next = argmax(l.data(), V);
    }
  }
  return r;
}

}  // namespace

class TestModelConformance : public QObject {
  Q_OBJECT

  nlohmann::json models_;

 private Q_SLOTS:
  void initTestCase() {
    const auto p = conformance_dir() / "models" / "models.json";
    if (!std::filesystem::exists(p)) QFAIL(qPrintable("conformance data missing: " + QString::fromStdString(p.string())));
    models_ = read_json(p).at("models");
    QVERIFY(models_.size() >= 11);
  }

  void logits_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("prompt");
    for (const auto& m : models_)
      for (const char* p : kPrompts) {
        const std::string f = m.at("file").get<std::string>();
        QTest::newRow((f + "/" + p).c_str()) << QString::fromStdString(f) << QString(p);
      }
  }

  void logits() {
    QFETCH(QString, file);
    QFETCH(QString, prompt);
    const std::string f = file.toStdString();
    const std::string stem = f.substr(0, f.size() - 5);
    const Ref ref = read_ref(stem, prompt.toStdString());
    const nlohmann::json* meta = nullptr;
    for (const auto& m : models_)
      if (m.at("file") == f) meta = &m;
    QVERIFY(meta);
    const Criteria cr = criteria_for(meta->at("weight_type").get<std::string>());
    auto m = get_model(f);
    QCOMPARE(m->hp.n_vocab, ref.n_vocab);
    QCOMPARE(tokenize(*m, ref.prompt, true, true), ref.tokens);
    const PromptResult r = run_prompt(*m, m, ref, cr);
    const double kl = r.kl_sum / r.rows;
    qInfo("%-22s %-8s NMSE %.3g  KL %.3g  top1 %d/%d  greedy %d/32 (required %d)%s", f.c_str(),
          ref.prompt_id.c_str(), r.nmse.value(), kl, r.top1_same, r.rows, r.greedy_match, r.greedy_required,
          r.greedy_ok ? "" : "  GREEDY MISMATCH");
    QVERIFY2(r.nmse.value() <= cr.max_nmse_prompt, qPrintable(QString("NMSE %1 > %2").arg(r.nmse.value()).arg(cr.max_nmse_prompt)));
    if (!cr.quantized) {
      QVERIFY2(kl <= cr.max_kl, qPrintable(QString("mean KL %1 > %2").arg(kl).arg(cr.max_kl)));
      QCOMPARE(r.top1_guarded_bad, 0);
    }
    QVERIFY2(r.greedy_ok, "greedy continuation differs before the first low-margin step");
  }

  void pooled_data() {
    QTest::addColumn<QString>("file");
    for (const auto& m : models_) {
      const std::string f = m.at("file").get<std::string>();
      QTest::newRow(f.c_str()) << QString::fromStdString(f);
    }
  }

  void pooled() {
    QFETCH(QString, file);
    const std::string f = file.toStdString();
    const std::string stem = f.substr(0, f.size() - 5);
    const nlohmann::json* meta = nullptr;
    for (const auto& m : models_)
      if (m.at("file") == f) meta = &m;
    QVERIFY(meta);
    const Criteria cr = criteria_for(meta->at("weight_type").get<std::string>());
    auto m = get_model(f);
    Nmse pooled;
    double kl = 0;
    int rows = 0, same = 0;
    for (const char* p : kPrompts) {
      const PromptResult r = run_prompt(*m, m, read_ref(stem, p), cr);
      pooled.num += r.nmse.num;
      pooled.den += r.nmse.den;
      kl += r.kl_sum;
      rows += r.rows;
      same += r.top1_same;
    }
    const double top1 = static_cast<double>(same) / rows;
    qInfo("%-22s pooled NMSE %.3g  mean KL %.3g  top1 %.3f", f.c_str(), pooled.value(), kl / rows, top1);
    if (cr.quantized) {
      QVERIFY2(pooled.value() <= cr.max_pooled_nmse, qPrintable(QString("pooled NMSE %1").arg(pooled.value())));
      QVERIFY2(kl / rows <= cr.max_kl, qPrintable(QString("pooled KL %1").arg(kl / rows)));
      QVERIFY2(top1 >= cr.min_top1, qPrintable(QString("pooled top-1 %1").arg(top1)));
    }
  }

  // 1 vs 2 threads: every output element is computed by one task in a fixed order.
  void threads_agree_data() { pooled_data(); }
  void threads_agree() {
    QFETCH(QString, file);
    const std::string f = file.toStdString();
    const Ref ref = read_ref(f.substr(0, f.size() - 5), "chat");
    const auto a = f32_session(get_model(f, 1))->evaluate(ref.tokens);
    const auto b = f32_session(get_model(f, 2))->evaluate(ref.tokens);
    QCOMPARE(nmse(a, b).value(), 0.0);
  }

  // One batch vs token by token vs prefill-then-decode.
  void batching_agrees_data() { pooled_data(); }
  void batching_agrees() {
    QFETCH(QString, file);
    const std::string f = file.toStdString();
    const Ref ref = read_ref(f.substr(0, f.size() - 5), "unicode");
    auto m = get_model(f);
    const auto batch = f32_session(m)->evaluate(ref.tokens, true);
    const auto seq = f32_session(m)->evaluate(ref.tokens, false);
    auto s = f32_session(m);
    const size_t split = ref.tokens.size() / 2;
    auto head = s->evaluate(std::span<const int32_t>(ref.tokens).first(split), true);
    const auto tail = s->evaluate(std::span<const int32_t>(ref.tokens).subspan(split), true);
    head.insert(head.end(), tail.begin(), tail.end());
    qInfo("%-22s batch vs sequential %.3g, vs prefill+decode %.3g", f.c_str(), nmse(seq, batch).value(),
          nmse(head, batch).value());
    QVERIFY(nmse(seq, batch).value() <= 1e-10);
    QVERIFY(nmse(head, batch).value() <= 1e-10);
  }

  // Constants that hide below the logit tolerance, read from the file.
  void constants_data() { pooled_data(); }
  void constants() {
    QFETCH(QString, file);
    const std::string f = file.toStdString();
    const nlohmann::json* meta = nullptr;
    for (const auto& m : models_)
      if (m.at("file") == f) meta = &m;
    QVERIFY(meta);
    auto m = get_model(f);
    const HParams& hp = m->hp;
    QCOMPARE(hp.rms_eps, meta->at("rms_eps").get<float>());
    QCOMPARE(hp.rope_freq_base, meta->at("rope_freq_base").get<float>());
    QCOMPARE(hp.n_rot, meta->at("rope_dim").get<int>());
    QCOMPARE(hp.n_layer, meta->at("n_layer").get<int>());
    QCOMPARE(hp.n_embd, meta->at("n_embd").get<int>());
    QCOMPARE(hp.n_head, meta->at("n_head").get<int>());
    QCOMPARE(hp.n_head_kv, meta->at("n_head_kv").get<int>());
    QCOMPARE(hp.head_dim_k, meta->at("head_dim").get<int>());
    auto int_or_0 = [&](const char* k) { return meta->contains(k) && !meta->at(k).is_null() ? meta->at(k).get<int>() : 0; };
    QCOMPARE(hp.n_expert, int_or_0("n_expert"));
    QCOMPARE(hp.n_expert_used, int_or_0("n_expert_used"));
    QCOMPARE(hp.n_ctx_train, meta->at("context_length").get<int>());
    QCOMPARE(m->weights.output.data == m->weights.token_embd.data, meta->at("tied_embeddings").get<bool>());
  }
};

QTEST_APPLESS_MAIN(TestModelConformance)
#include "test-engine-model-conformance.moc"
