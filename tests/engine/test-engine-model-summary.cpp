// The model summary behind `inspect` and the GUI's Model panel: parameter counts against
// values computed by hand from models.json, per-type totals, tokenizer facts, and the
// per-expert (older) tensor layout built with the writer.
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "gguf-test-util.hpp"
#include "moe/gguf-writer.hpp"
#include "moe/gguf.hpp"
#include "moe/model-summary.hpp"

#include <QtTest>

namespace fs = std::filesystem;
using nlohmann::json;
using V = moe::GgufWriteValue;

namespace {

json models_json() {
  std::ifstream in(gguf_test::shared_dir() / "models" / "models.json");
  if (!in) return {};
  return json::parse(in);
}

const json* model_entry(const json& all, const std::string& file) {
  for (const json& m : all["models"])
    if (m["file"] == file) return &m;
  return nullptr;
}

uint64_t u(const json& m, const char* key) { return m.at(key).get<uint64_t>(); }
bool has(const json& m, const char* key) { return m.contains(key) && !m.at(key).is_null(); }

struct Expected {
  uint64_t total, active;
};

// Parameter counts from the hyper-parameters alone, following the tensor tables of
// llama.cpp's qwen2moe and llama (Mixtral) architectures.
Expected hand_computed(const json& m) {
  const uint64_t V = u(m, "n_vocab"), E = u(m, "n_embd"), L = u(m, "n_layer");
  const uint64_t q = u(m, "n_head") * u(m, "head_dim"), kv = u(m, "n_head_kv") * u(m, "head_dim");
  const uint64_t X = u(m, "n_expert"), K = u(m, "n_expert_used");
  const std::string arch = m.at("architecture");
  const uint64_t F = has(m, "n_ff_exp") ? u(m, "n_ff_exp") : u(m, "n_ff");
  const uint64_t globals = V * E /*token_embd*/ + E /*output_norm*/ + (m.at("tied_embeddings") ? 0 : V * E) /*output*/;
  uint64_t attn = E /*attn_norm*/ + E * q + E * kv + E * kv + q * E;
  uint64_t ffn_dense = E /*ffn_norm*/ + E * X /*ffn_gate_inp*/;
  if (arch == "qwen2moe") {
    attn += q + kv + kv;  // q/k/v biases
    const uint64_t S = u(m, "n_ff_shexp");
    ffn_dense += E /*ffn_gate_inp_shexp*/ + 3 * E * S /*gate/up/down_shexp*/;
  } else if (arch != "llama") {
    qFatal("no hand formula for %s", arch.c_str());
  }
  const uint64_t routed = 3 * E * F * X;  // gate, up, down of every expert
  const uint64_t total = globals + L * (attn + ffn_dense + routed);
  return {total, total - L * routed + L * 3 * E * F * K};
}

}  // namespace

class TestModelSummary : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void everyConformanceModel_data() {
    QTest::addColumn<QString>("file");
    const json all = models_json();
    QVERIFY2(all.contains("models") && !all["models"].empty(), "conformance models.json missing");
    for (const json& m : all["models"]) {
      const std::string f = m["file"];
      QTest::newRow(f.c_str()) << QString::fromStdString(f);
    }
  }
  void everyConformanceModel() {
    QFETCH(QString, file);
    const json all = models_json();
    const json& m = *model_entry(all, file.toStdString());
    const auto f = moe::GgufFile::open(gguf_test::shared_dir() / "models" / file.toStdString());
    const moe::ModelSummary s = moe::summarize_model(f);

    QCOMPARE(s.architecture, m.at("architecture").get<std::string>());
    QCOMPARE(s.gguf_version, 3u);
    QCOMPARE(s.tensors.size(), f->tensors().size());
    uint64_t elements = 0, bytes = 0;
    for (const moe::TensorInfo& t : f->tensors()) {
      elements += static_cast<uint64_t>(t.n_elements());
      bytes += t.nbytes;
    }
    QCOMPARE(s.total_params, elements);
    QCOMPARE(s.tensor_bytes, bytes);

    std::map<std::string, uint64_t> types;
    uint64_t type_bytes = 0;
    for (const moe::TypeTotal& t : s.type_totals) {
      types[std::string(moe::kern::type_name(t.type))] = t.n_tensors;
      type_bytes += t.nbytes;
    }
    QCOMPARE(type_bytes, s.tensor_bytes);
    std::map<std::string, uint64_t> expected_types;
    for (const auto& [k, v] : m.at("tensor_types").items()) expected_types[k] = v.get<uint64_t>();
    QCOMPARE(types, expected_types);

    const bool moe_model = has(m, "n_expert");
    QCOMPARE(s.is_moe(), moe_model);
    QVERIFY2(s.warnings.empty(), s.warnings.empty() ? "" : s.warnings.front().c_str());
    QVERIFY(s.active_params.has_value());
    if (moe_model) {
      QCOMPARE(uint64_t{s.n_expert}, u(m, "n_expert"));
      QCOMPARE(uint64_t{s.n_expert_used}, u(m, "n_expert_used"));
      QVERIFY(*s.active_params < s.total_params);
      // Per layer: gate, up and down, each holding every expert.
      size_t merged = 0;
      for (const moe::TensorSummary& t : s.tensors)
        if (t.role == moe::ParamRole::RoutedExpert) {
          ++merged;
          QCOMPARE(uint64_t{t.experts_in_tensor}, u(m, "n_expert"));
        }
      QCOMPARE(merged, 3 * u(m, "n_layer"));
    } else {
      QCOMPARE(*s.active_params, s.total_params);
      QCOMPARE(s.n_expert, 0u);
    }

    bool found_blocks = false;
    for (const moe::HParam& h : s.hparams) {
      QVERIFY(h.key.starts_with(s.architecture + "."));
      if (h.key == s.architecture + ".block_count") {
        found_blocks = true;
        QCOMPARE(std::get<uint64_t>(h.value.v), u(m, "n_layer"));
      }
    }
    QVERIFY(found_blocks);

    const moe::TokenizerSummary& t = s.tokenizer;
    QCOMPARE(t.model, std::string("gpt2"));
    QCOMPARE(t.pre, m.at("tokenizer_pre").get<std::string>());
    QCOMPARE(t.vocab_size, u(m, "n_vocab"));
    QVERIFY(t.bos && t.eos && t.eot);
    QCOMPARE(uint64_t{t.bos->id}, u(m, "bos_id"));
    QCOMPARE(uint64_t{t.eos->id}, u(m, "eos_id"));
    QCOMPARE(uint64_t{t.eot->id}, u(m, "eot_id"));
    QCOMPARE(t.bos->text, std::string("<|endoftext|>"));
    QCOMPARE(t.eot->text, std::string("<|im_end|>"));
    QCOMPARE(t.add_bos.value_or(false), m.at("add_bos").get<bool>());
    QVERIFY(t.has_chat_template);
  }

  void handComputedParameterCounts_data() {
    QTest::addColumn<QString>("file");
    for (const char* f : {"qwen2moe-f32.gguf", "qwen2moe-f16.gguf", "qwen2moe-q8_0.gguf", "qwen2moe-q4_0.gguf",
                          "qwen2moe-Q4_K_M.gguf", "qwen2moe-Q6_K.gguf", "mixtral-q8_0.gguf"})
      QTest::newRow(f) << QString(f);
  }
  void handComputedParameterCounts() {
    QFETCH(QString, file);
    const json all = models_json();
    const json* m = model_entry(all, file.toStdString());
    QVERIFY2(m, "model missing from models.json");
    const Expected e = hand_computed(*m);
    const moe::ModelSummary s = moe::summarize_model(moe::GgufFile::open(gguf_test::shared_dir() / "models" / file.toStdString()));
    QCOMPARE(s.total_params, e.total);
    QVERIFY(s.active_params);
    QCOMPARE(*s.active_params, e.active);
  }

  void perExpertLayout() {
    // The older Mixtral layout: one tensor per expert (blk.N.ffn_gate.E.weight), plus a
    // shared expert and the router. 4 experts, 2 used, n_embd 32, n_ff 64.
    moe::GgufWriter w;
    w.set("general.architecture", V::string("llama"));
    w.set("llama.expert_count", V::u32(4));
    w.set("llama.expert_used_count", V::u32(2));
    const int64_t emb[] = {32, 10}, router[] = {32, 4}, up[] = {32, 64}, down[] = {64, 32};
    auto f32 = [](std::span<const int64_t> d) { return std::vector<std::byte>(static_cast<size_t>(d[0] * d[1] * 4)); };
    w.add_tensor("token_embd.weight", moe::kern::GgmlType::F32, emb, f32(emb));
    w.add_tensor("blk.0.ffn_gate_inp.weight", moe::kern::GgmlType::F32, router, f32(router));
    for (int e = 0; e < 4; ++e) {
      const std::string p = "blk.0.ffn_";
      w.add_tensor(p + "gate." + std::to_string(e) + ".weight", moe::kern::GgmlType::F32, up, f32(up));
      w.add_tensor(p + "up." + std::to_string(e) + ".weight", moe::kern::GgmlType::F32, up, f32(up));
      w.add_tensor(p + "down." + std::to_string(e) + ".weight", moe::kern::GgmlType::F32, down, f32(down));
    }
    w.add_tensor("blk.0.ffn_up_shexp.weight", moe::kern::GgmlType::F32, up, f32(up));
    const auto bytes = w.to_bytes();
    const moe::ModelSummary s = moe::summarize_model(moe::GgufFile::from_memory(bytes, "per-expert.gguf"));
    const uint64_t dense = 320 + 128, expert = 3 * 32 * 64, shared = 32 * 64;
    QCOMPARE(s.routed_expert_params, 4 * expert);
    QCOMPARE(s.shared_expert_params, shared);
    QCOMPARE(s.total_params, dense + 4 * expert + shared);
    QVERIFY(s.active_params);
    QCOMPARE(*s.active_params, dense + 2 * expert + shared);
    QCOMPARE(s.n_expert, 4u);
    QVERIFY(s.warnings.empty());
    QCOMPARE(s.tensors[2].role, moe::ParamRole::RoutedExpert);
    QCOMPARE(s.tensors[2].experts_in_tensor, 1u);
    QCOMPARE(s.tensors.back().role, moe::ParamRole::SharedExpert);

    // Without expert_used_count the active count is unknown, and said so.
    w.remove("llama.expert_used_count");
    const auto bytes2 = w.to_bytes();
    const moe::ModelSummary s2 = moe::summarize_model(moe::GgufFile::from_memory(bytes2, "no-used.gguf"));
    QVERIFY(!s2.active_params);
    QCOMPARE(s2.warnings.size(), size_t{1});
    QVERIFY(QString::fromStdString(s2.warnings[0]).contains("llama.expert_used_count is missing"));

    // An expert count that disagrees with the tensors is reported.
    w.set("llama.expert_used_count", V::u32(2));
    w.set("llama.expert_count", V::u32(3));
    const auto bytes3 = w.to_bytes();
    const moe::ModelSummary s3 = moe::summarize_model(moe::GgufFile::from_memory(bytes3, "mismatch.gguf"));
    QVERIFY(!s3.warnings.empty());
    QVERIFY(QString::fromStdString(s3.warnings[0]).contains("go up to expert 3"));
  }

  void wrongKeyTypeIsNamed() {
    moe::GgufWriter w = gguf_test::sample_writer();
    w.set("tokenizer.ggml.bos_token_id", V::string("two"));
    const auto bytes = w.to_bytes();
    try {
      (void)moe::summarize_model(moe::GgufFile::from_memory(bytes, "bad-bos.gguf"));
      QFAIL("expected a GgufError");
    } catch (const moe::GgufError& e) {
      QVERIFY2(QString(e.what()).contains("bad-bos.gguf: tokenizer.ggml.bos_token_id: expected u32, found string"), e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestModelSummary)
#include "test-engine-model-summary.moc"
