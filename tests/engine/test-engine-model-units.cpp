// Unit tests of the model helper's pieces: router, sampler, KV cache types, load errors.
#include "model/hparams.hpp"
#include "model/model.hpp"
#include "moe/engine.hpp"
#include "moe/errors.hpp"
#include "moe/gguf-writer.hpp"
#include "moe/router.hpp"
#include "session/kv-cache.hpp"
#include "session/sampler.hpp"
#include "session/stop-strings.hpp"

#include <QtTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <set>

using namespace moe;

namespace {

std::filesystem::path model_path(const char* name) {
  return std::filesystem::path(MOE_SHARED_DIR) / "conformance" / "models" / name;
}

std::vector<char> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Replaces the first occurrence of `what` (in the tensor-info table) with `with`, same length.
size_t patch(std::vector<char>& bytes, const std::string& what, const std::string& with) {
  auto it = std::search(bytes.begin(), bytes.end(), what.begin(), what.end());
  if (it == bytes.end() || what.size() != with.size()) throw std::runtime_error("patch target not found: " + what);
  std::copy(with.begin(), with.end(), it);
  return static_cast<size_t>(it - bytes.begin());
}

std::string load_error(const std::vector<char>& bytes, const QString& dir) {
  const auto p = std::filesystem::path(dir.toStdString()) / "patched.gguf";
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  try {
    load_model(p);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

class TestModelUnits : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    if (!std::filesystem::exists(model_path("qwen2moe-f32.gguf"))) QFAIL("conformance models missing");
  }

  // ---- router -------------------------------------------------------------------------
  void router_ties_go_to_lower_id() {
    const float logits[6] = {1.0f, 3.0f, 2.0f, 3.0f, 2.0f, -1.0f};
    float probs[6];
    int32_t ids[3];
    float w[3];
    route({6, 3, false}, logits, {probs}, ids, w);
    QCOMPARE(ids[0], 1);
    QCOMPARE(ids[1], 3);
    QCOMPARE(ids[2], 2);
  }

  void router_renorm_data() {
    QTest::addColumn<bool>("renorm");
    QTest::newRow("renorm (mixtral, qwen3moe)") << true;
    QTest::newRow("no renorm (qwen2moe, olmoe)") << false;
  }
  void router_renorm() {
    QFETCH(bool, renorm);
    const float logits[4] = {0.5f, -0.25f, 1.5f, 0.0f};
    float probs[4];
    int32_t ids[2];
    float w[2];
    route({4, 2, renorm}, logits, {probs}, ids, w);
    double z = 0;
    for (float l : logits) z += std::exp(static_cast<double>(l));
    const double p2 = std::exp(1.5) / z, p0 = std::exp(0.5) / z;
    QCOMPARE(ids[0], 2);
    QCOMPARE(ids[1], 0);
    if (renorm) {
      QVERIFY(std::fabs(w[0] - p2 / (p2 + p0)) < 1e-6);
      QVERIFY(std::fabs(w[0] + w[1] - 1.0f) < 1e-6);
    } else {
      QVERIFY(std::fabs(w[0] - p2) < 1e-6);
      QVERIFY(std::fabs(w[1] - p0) < 1e-6);
    }
  }

  // ---- sampler ------------------------------------------------------------------------
  void sampler_greedy_ties_lowest() {
    SamplingParams p;
    p.temperature = 0;
    p.repeat_penalty = 1.0f;
    Sampler s(5, p);
    const float logits[5] = {0.f, 2.f, 1.f, 2.f, -1.f};
    QCOMPARE(s.sample(logits), 1);
  }

  void sampler_stages() {
    std::vector<Sampler::Candidate> c;
    const float l[6] = {1.f, 4.f, 3.f, 2.f, 0.f, -5.f};
    for (int i = 0; i < 6; ++i) c.push_back({i, l[i], 0});
    size_t n = Sampler::top_k(c, c.size(), 3);
    QCOMPARE(n, size_t(3));
    QCOMPARE(c[0].id, 1);
    QCOMPARE(c[1].id, 2);
    QCOMPARE(c[2].id, 3);
    // top-p: probabilities of {4,3,2} are .665 .245 .090: p = 0.8 keeps two.
    QCOMPARE(Sampler::top_p(c, n, 0.8f), size_t(2));
    QCOMPARE(Sampler::top_p(c, n, 1.0f), size_t(3));
    // min-p: keep p >= 0.3 * p_max: exp(-1) = .37 passes, exp(-2) = .135 does not.
    QCOMPARE(Sampler::min_p(c, n, 0.3f), size_t(2));
    QCOMPARE(Sampler::min_p(c, n, 0.1f), size_t(3));
  }

  void sampler_penalties() {
    SamplingParams p;
    p.temperature = 0;
    p.repeat_penalty = 2.0f;
    p.frequency_penalty = 0.5f;
    p.presence_penalty = 0.25f;
    p.penalty_last_n = 4;
    Sampler s(4, p);
    s.accept(0);
    s.accept(0);
    s.accept(3);
    std::vector<Sampler::Candidate> c;
    const float l[4] = {4.f, 1.f, 1.f, -1.f};
    for (int i = 0; i < 4; ++i) c.push_back({i, l[i], 0});
    s.apply_penalties(c);
    QCOMPARE(c[0].logit, 4.f / 2.f - 2 * 0.5f - 0.25f);
    QCOMPARE(c[1].logit, 1.f);
    QCOMPARE(c[3].logit, -1.f * 2.f - 0.5f - 0.25f);
    // The window is 4: after four more tokens, token 0 is forgotten.
    for (int i = 0; i < 4; ++i) s.accept(1);
    c.clear();
    for (int i = 0; i < 4; ++i) c.push_back({i, l[i], 0});
    s.apply_penalties(c);
    QCOMPARE(c[0].logit, 4.f);
  }

  void sampler_seeded_determinism() {
    SamplingParams p;
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.repeat_penalty = 1.0f;
    std::vector<float> logits(64);
    for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(std::sin(static_cast<double>(i)));
    auto draw = [&](uint64_t seed) {
      p.seed = seed;
      Sampler s(64, p);
      std::vector<int32_t> out;
      for (int i = 0; i < 50; ++i) out.push_back(s.sample(logits.data()));
      return out;
    };
    QCOMPARE(draw(42), draw(42));
    QVERIFY(draw(42) != draw(43));
    const auto d = draw(7);
    QVERIFY(std::set<int32_t>(d.begin(), d.end()).size() > 5);  // it really samples
  }

  void stop_strings_hold_back() {
    const std::vector<std::string> stops = {"<END>"};
    StopStrings s(stops);
    QCOMPARE(std::string(s.push("Hello <E", false).emit), std::string("Hello "));
    const auto r = s.push("ND> tail", false);
    QVERIFY(r.matched);
    QCOMPARE(std::string(r.emit), std::string("<E").substr(0, 0));
    StopStrings s2(stops);
    QCOMPARE(std::string(s2.push("a <", false).emit), std::string("a "));
    QCOMPARE(std::string(s2.push("b", false).emit), std::string("<b"));
    QCOMPARE(std::string(s2.push("<E", true).emit), std::string("<E"));
  }

  // ---- KV cache -----------------------------------------------------------------------
  void kv_cache_types_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<double>("tol");
    QTest::newRow("f32") << int(KvType::F32) << 0.0;
    QTest::newRow("f16") << int(KvType::F16) << 1e-3;
    QTest::newRow("q8_0") << int(KvType::Q8_0) << 1.0 / 127;
  }
  void kv_cache_types() {
    QFETCH(int, type);
    QFETCH(double, tol);
    HParams hp;
    hp.n_layer = 2;
    hp.n_head = 4;
    hp.n_head_kv = 2;
    hp.head_dim_k = hp.head_dim_v = 64;
    KvCache kv(hp, 8, static_cast<KvType>(type));
    std::vector<float> k(128), v(128), tmp(64);
    for (int i = 0; i < 128; ++i) {
      k[static_cast<size_t>(i)] = std::sin(0.1f * static_cast<float>(i));
      v[static_cast<size_t>(i)] = std::cos(0.3f * static_cast<float>(i));
    }
    kv.store(1, 5, k.data(), v.data());
    for (int h = 0; h < 2; ++h) {
      const float* kh = kv.k_head(1, 5, h, tmp.data());
      for (int i = 0; i < 64; ++i) QVERIFY(std::fabs(kh[i] - k[static_cast<size_t>(h * 64 + i)]) <= tol);
      const float* vh = kv.v_head(1, 5, h, tmp.data());
      for (int i = 0; i < 64; ++i) QVERIFY(std::fabs(vh[i] - v[static_cast<size_t>(h * 64 + i)]) <= tol);
    }
  }

  void kv_cache_types_end_to_end_data() { kv_cache_types_data(); }
  void kv_cache_types_end_to_end() {
    QFETCH(int, type);
    auto m = load_model(model_path("qwen2moe-f32.gguf"));
    const std::vector<int32_t> toks = {79, 110, 313, 309, 559, 12, 400, 401};
    auto ref = create_session(m, {64, KvType::F32, 512})->evaluate(toks);
    auto got = create_session(m, {64, static_cast<KvType>(type), 512})->evaluate(toks);
    double num = 0, den = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      num += (got[i] - ref[i]) * (got[i] - ref[i]);
      den += ref[i] * ref[i];
    }
    qInfo("KV %d: NMSE vs f32 cache %.3g", type, num / den);
    QVERIFY(num / den < 1e-4);
  }

  void context_full_stops() {
    auto m = load_model(model_path("qwen2moe-f32.gguf"));
    auto s = create_session(m, {12, KvType::F16, 512});
    GenerateRequest r;
    r.max_tokens = 100;
    r.sampling.temperature = 0;
    const std::vector<int32_t> prompt = {79, 110, 313, 309};
    const ReplyStats st = s->generate_tokens(prompt, r, {});
    QCOMPARE(st.stop_reason, StopReason::context_full);
    QCOMPARE(s->n_past(), 12);
    QVERIFY_THROWS_EXCEPTION(ConfigError, s->evaluate(prompt));
  }

  // ---- load errors --------------------------------------------------------------------
  void load_error_missing_tensor() {
    QTemporaryDir dir;
    auto bytes = read_file(model_path("qwen2moe-f32.gguf"));
    patch(bytes, "blk.1.attn_q.weight", "blk.1.attn_Q.weight");
    const std::string msg = load_error(bytes, dir.path());
    QVERIFY2(msg.find("missing tensor 'blk.1.attn_q.weight'") != std::string::npos, msg.c_str());
    QVERIFY2(msg.find("[256, 256]") != std::string::npos, msg.c_str());
  }

  void load_error_misshapen_tensor() {
    QTemporaryDir dir;
    auto bytes = read_file(model_path("qwen2moe-f32.gguf"));
    // Tensor info: name, n_dims (u32), ne[] (u64 each): shrink attn_norm's ne[0] from 256 to 128.
    const std::string name = "blk.0.attn_norm.weight";
    const size_t at = patch(bytes, name, name) + name.size();
    uint32_t n_dims;
    uint64_t ne0;
    std::memcpy(&n_dims, bytes.data() + at, 4);
    std::memcpy(&ne0, bytes.data() + at + 4, 8);
    QCOMPARE(n_dims, 1u);
    QCOMPARE(ne0, uint64_t(256));
    ne0 = 128;
    std::memcpy(bytes.data() + at + 4, &ne0, 8);
    const std::string msg = load_error(bytes, dir.path());
    QVERIFY2(msg.find("'blk.0.attn_norm.weight' has shape [128], expected [256]") != std::string::npos, msg.c_str());
  }

  void load_error_unsupported_type() {
    QTemporaryDir dir;
    auto bytes = read_file(model_path("qwen2moe-f32.gguf"));
    const std::string name = "blk.0.ffn_norm.weight";
    const size_t at = patch(bytes, name, name) + name.size();
    const uint32_t i32 = 26;  // GGML_TYPE_I32: same size as f32, not a weight type
    std::memcpy(bytes.data() + at + 4 + 8, &i32, 4);
    const std::string msg = load_error(bytes, dir.path());
    QVERIFY2(msg.find("'blk.0.ffn_norm.weight' has type i32") != std::string::npos, msg.c_str());
  }

  void load_error_bad_hparam() {
    QTemporaryDir dir;
    auto bytes = read_file(model_path("qwen2moe-f32.gguf"));
    patch(bytes, "qwen2moe.expert_used_count", "qwen2moe.expert_USED_count");
    const std::string msg = load_error(bytes, dir.path());
    QVERIFY2(msg.find("qwen2moe.expert_used_count: missing") != std::string::npos, msg.c_str());
  }

  // Mixtral's older per-expert layout (blk.N.ffn_gate.E.weight ...) gives the same logits as the
  // merged ffn_*_exps tensors it is cut from.
  void per_expert_layout_matches_merged() {
    QTemporaryDir dir;
    const auto src_path = model_path("mixtral-q8_0.gguf");
    auto src = GgufFile::open(src_path);
    GgufWriter w;
    for (const auto& [key, value] : src->metadata())
      if (key != "general.alignment") w.set(std::string(key), GgufWriteValue::from(value));
    int split = 0;
    for (const TensorInfo& t : src->tensors()) {
      const std::string name(t.name);
      const auto pos = name.find("_exps.weight");
      if (pos == std::string::npos) {
        const int64_t dims[4] = {t.ne[0], t.ne[1], t.ne[2], t.ne[3]};
        w.add_tensor(name, t.type, std::span<const int64_t>(dims, t.n_dims),
                     std::vector<std::byte>(t.data, t.data + t.nbytes));
        continue;
      }
      // "blk.N.ffn_gate_exps.weight" -> "blk.N.ffn_gate.E.weight"
      const std::string base = name.substr(0, pos);
      const size_t slab = t.nbytes / static_cast<size_t>(t.ne[2]);
      for (int64_t e = 0; e < t.ne[2]; ++e) {
        const int64_t dims[2] = {t.ne[0], t.ne[1]};
        const std::byte* p = t.data + static_cast<size_t>(e) * slab;
        w.add_tensor(base + "." + std::to_string(e) + ".weight", t.type, dims, std::vector<std::byte>(p, p + slab));
      }
      ++split;
    }
    QVERIFY(split >= 3);
    const auto out = std::filesystem::path(dir.path().toStdString()) / "mixtral-per-expert.gguf";
    w.write_file(out);
    auto merged = load_model(src_path);
    auto per_expert = load_model(out);
    QVERIFY(per_expert->file->find_tensor("blk.0.ffn_gate.3.weight"));
    QVERIFY(!per_expert->file->find_tensor("blk.0.ffn_gate_exps.weight"));
    const std::vector<int32_t> toks = {1021, 79, 110, 313, 309, 559, 12, 400};
    QCOMPARE(create_session(per_expert)->evaluate(toks), create_session(merged)->evaluate(toks));
  }

  void load_progress_can_cancel() {
    int calls = 0;
    QVERIFY_THROWS_EXCEPTION(CancelledError, load_model(model_path("qwen2moe-f32.gguf"), {}, [&](float f) {
      ++calls;
      return f < 0.4f;
    }));
    QVERIFY(calls >= 2);
  }
};

QTEST_APPLESS_MAIN(TestModelUnits)
#include "test-engine-model-units.moc"
