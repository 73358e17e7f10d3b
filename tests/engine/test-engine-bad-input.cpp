// Bad-input catalogue at the engine's public API (load_model / create_session / generate):
// every malformed file or request ends in a typed moe::Error whose message names the file,
// field or tensor, and the process keeps working afterwards (each case ends by generating
// with a good model). Malformed files are built with the GGUF writer from a conformance model.
// Truncated files at every section boundary are covered by test-engine-gguf-validation.
#include "moe/chat-template.hpp"
#include "moe/engine.hpp"
#include "moe/errors.hpp"
#include "moe/expert-cache.hpp"
#include "moe/gguf-writer.hpp"
#include "moe/gguf.hpp"

#include <QtTest>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include "../fuzz/tokenizer-fuzz-checks.hpp"

using namespace moe;
namespace fs = std::filesystem;

namespace {

constexpr const char* kModel = "qwen2moe-q8_0.gguf";  // 8 experts, 2 used, 1024 tokens, n_embd 256

fs::path model_path(const char* name) { return fs::path(MOE_SHARED_DIR) / "conformance" / "models" / name; }

// Decides per source tensor: return true when it handled the tensor (added an edited version
// or dropped it), false to copy it unchanged.
using TensorEdit = std::function<bool(const TensorInfo&, GgufWriter&)>;
using MetaEdit = std::function<void(GgufWriter&)>;

std::vector<std::byte> variant_bytes(const MetaEdit& meta, const TensorEdit& tensors) {
  const auto src = GgufFile::open(model_path(kModel));
  GgufWriter w;
  for (const auto& [k, v] : src->metadata()) w.set(std::string(k), GgufWriteValue::from(v));
  for (const TensorInfo& t : src->tensors()) {
    if (tensors && tensors(t, w)) continue;
    const std::vector<int64_t> dims(t.ne, t.ne + t.n_dims);
    w.add_tensor_view(std::string(t.name), t.type, dims, {t.data, t.nbytes});
  }
  if (meta) meta(w);
  return w.to_bytes();  // copies the borrowed tensor bytes while `src` is still mapped
}

fs::path write_bytes(const QTemporaryDir& dir, const std::string& name, const std::vector<std::byte>& bytes) {
  const fs::path p = fs::path(dir.path().toStdString()) / name;
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return p;
}

fs::path variant(const QTemporaryDir& dir, const std::string& name, const MetaEdit& meta, const TensorEdit& tensors = {}) {
  return write_bytes(dir, name, variant_bytes(meta, tensors));
}

// The first `rows` rows of a matrix (rows are contiguous: ne[1] is the outer dimension).
bool truncate_rows(const TensorInfo& t, GgufWriter& w, int64_t rows) {
  const std::vector<int64_t> dims = {t.ne[0], rows};
  w.add_tensor_view(std::string(t.name), t.type, dims, {t.data, t.row_bytes() * static_cast<size_t>(rows)});
  return true;
}

template <typename E>
std::string load_error(const fs::path& p) {
  try {
    (void)load_model(p);
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("(wrong exception type) ") + e.what();
  }
  return "(no error)";
}

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

}  // namespace

class TestEngineBadInput : public QObject {
  Q_OBJECT

  std::shared_ptr<const Model> good_;

  // The process keeps working: a fresh session on the good model generates greedily.
  void still_works() {
    auto s = create_session(good_, {128, KvType::F16, 64});
    GenerateRequest r;
    r.prompt = "Hello there";
    r.max_tokens = 4;
    r.sampling.temperature = 0;
    const ReplyStats st = s->generate(r, {});
    QCOMPARE(st.generated_tokens + (st.stop_reason == StopReason::eos ? 1 : 0) > 0, true);
  }

  template <typename E>
  void expect_load_error(const fs::path& p, std::initializer_list<std::string> parts) {
    const std::string msg = load_error<E>(p);
    QVERIFY2(contains(msg, p.filename().string()), ("message does not name the file: " + msg).c_str());
    for (const std::string& part : parts) QVERIFY2(contains(msg, part), ("missing '" + part + "' in: " + msg).c_str());
    still_works();
  }

 private Q_SLOTS:
  void initTestCase() {
    if (!fs::exists(model_path(kModel))) QFAIL("conformance model missing: " + QByteArray(kModel));
    good_ = load_model(model_path(kModel));
    QCOMPARE(model_info(*good_).n_vocab, 1024);
  }

  // ---- malformed model files -----------------------------------------------------------
  void unknown_architecture() {
    QTemporaryDir dir;
    const auto p = variant(dir, "unknown-arch.gguf", [](GgufWriter& w) { w.set("general.architecture", GgufWriteValue::string("grok9")); });
    expect_load_error<ModelError>(p, {"general.architecture", "'grok9' is not supported", "qwen2moe"});
  }

  void missing_architecture() {
    QTemporaryDir dir;
    const auto p = variant(dir, "no-arch.gguf", [](GgufWriter& w) { w.remove("general.architecture"); });
    expect_load_error<ModelError>(p, {"general.architecture: missing"});
  }

  void missing_tensor() {
    QTemporaryDir dir;
    const auto p = variant(dir, "missing-tensor.gguf", {}, [](const TensorInfo& t, GgufWriter&) {
      return t.name == "blk.1.ffn_down_exps.weight";  // dropped
    });
    expect_load_error<ModelError>(p, {"missing tensor 'blk.1.ffn_down_exps.weight'", "expected shape [256, 256, 8]"});
  }

  void misshapen_output_tensor() {
    QTemporaryDir dir;
    const auto p = variant(dir, "short-output.gguf", {}, [](const TensorInfo& t, GgufWriter& w) {
      return t.name == "output.weight" && truncate_rows(t, w, 1000);
    });
    expect_load_error<ModelError>(p, {"'output.weight' has shape [256, 1000], expected [256, 1024]"});
  }

  void misshapen_expert_tensor() {
    QTemporaryDir dir;
    // 7 experts in one layer's gate tensor while the metadata says 8.
    const auto p = variant(dir, "seven-experts.gguf", {}, [](const TensorInfo& t, GgufWriter& w) {
      if (t.name != "blk.0.ffn_gate_exps.weight") return false;
      const std::vector<int64_t> dims = {t.ne[0], t.ne[1], 7};
      w.add_tensor_view(std::string(t.name), t.type, dims, {t.data, t.nbytes / 8 * 7});
      return true;
    });
    expect_load_error<ModelError>(p, {"'blk.0.ffn_gate_exps.weight' has shape [256, 256, 7], expected [256, 256, 8]"});
  }

  // The tokenizer has 1024 tokens but the embedding and output matrices only 1000 rows: ids
  // 1000..1023 would index past the embedding table.
  void vocab_larger_than_output() {
    QTemporaryDir dir;
    const auto p = variant(dir, "vocab-mismatch.gguf", {}, [](const TensorInfo& t, GgufWriter& w) {
      return (t.name == "output.weight" || t.name == "token_embd.weight") && truncate_rows(t, w, 1000);
    });
    expect_load_error<ModelError>(p, {"tokenizer.ggml.tokens", "1024", "1000", "token_embd.weight"});
  }

  // The other direction: an output matrix with more rows than the tokenizer has tokens (a padded
  // vocabulary) would let sampling pick ids the tokenizer cannot decode.
  void output_larger_than_vocab() {
    QTemporaryDir dir;
    std::vector<std::byte> padded;  // must outlive variant_bytes (the writer borrows it)
    const auto p = variant(dir, "padded-output.gguf", {}, [&padded](const TensorInfo& t, GgufWriter& w) {
      if (t.name != "output.weight") return false;
      padded.assign(t.data, t.data + t.nbytes);
      padded.resize(t.nbytes + t.row_bytes() * 64);  // 64 extra zero rows
      const std::vector<int64_t> dims = {t.ne[0], t.ne[1] + 64};
      w.add_tensor_view(std::string(t.name), t.type, dims, {padded.data(), padded.size()});
      return true;
    });
    expect_load_error<ModelError>(p, {"'output.weight' has shape [256, 1088], expected [256, 1024]"});
  }

  void unknown_tensor_type() {
    QTemporaryDir dir;
    std::vector<std::byte> bytes = variant_bytes({}, {});
    // Tensor info: name bytes, n_dims (u32), ne (u64 each), type (u32).
    const std::string name = "blk.0.ffn_norm.weight";
    const auto* nb = reinterpret_cast<const std::byte*>(name.data());
    auto it = std::search(bytes.begin(), bytes.end(), nb, nb + name.size());
    QVERIFY(it != bytes.end());
    const size_t at = static_cast<size_t>(it - bytes.begin()) + name.size();
    uint32_t n_dims = 0;
    std::memcpy(&n_dims, bytes.data() + at, 4);
    QCOMPARE(n_dims, 1u);
    const uint32_t bogus = 99;
    std::memcpy(bytes.data() + at + 4 + 8, &bogus, 4);
    const auto p = write_bytes(dir, "unknown-type.gguf", bytes);
    expect_load_error<GgufError>(p, {"tensor 'blk.0.ffn_norm.weight'", "unknown tensor type id 99"});
  }

  void truncated_file() {
    QTemporaryDir dir;
    std::vector<std::byte> bytes = variant_bytes({}, {});
    bytes.resize(bytes.size() / 2);  // inside the data section (other boundaries: gguf-validation)
    const auto p = write_bytes(dir, "truncated.gguf", bytes);
    expect_load_error<GgufError>(p, {"truncated.gguf"});
  }

  void bad_chat_template_syntax() {
    QTemporaryDir dir;
    const auto p = variant(dir, "bad-template.gguf", [](GgufWriter& w) {
      w.set("tokenizer.chat_template", GgufWriteValue::string("{% for m in messages %}{{ m.content }"));
    });
    const std::string msg = load_error<TemplateError>(p);
    QVERIFY2(contains(msg, "chat_template"), msg.c_str());
    still_works();
  }

  // ---- requests ------------------------------------------------------------------------
  void invalid_utf8_prompt_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("lone continuation") << QByteArray("abc \x80\x80 def");
    QTest::newRow("truncated sequence") << QByteArray("caf\xc3");
    QTest::newRow("overlong") << QByteArray("\xc0\xaf\xe0\x80\xaf");
    QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80 x");
    QTest::newRow("0xff bytes") << QByteArray("\xff\xfe\xff");
    QTest::newRow("nul inside") << QByteArray("a\0b", 3);
  }
  void invalid_utf8_prompt() {
    QFETCH(QByteArray, text);
    const std::string s(text.constData(), static_cast<size_t>(text.size()));
    auto session = create_session(good_, {256, KvType::F16, 64});
    for (const bool as_message : {false, true}) {
      session->reset();
      GenerateRequest r;
      if (as_message)
        r.messages = {{"user", s}};
      else
        r.prompt = s;
      r.max_tokens = 6;
      r.sampling.temperature = 0;
      std::string out;
      const ReplyStats st = session->generate(r, [&](const TokenEvent& e) {
        out += e.text;
        return true;
      });
      QVERIFY(st.prompt_tokens > 0);
      QVERIFY(st.stop_reason == StopReason::max_tokens || st.stop_reason == StopReason::eos);
      QVERIFY2(fuzz_checks::is_valid_utf8(out), "streamed text is not valid UTF-8");
    }
    still_works();
  }

  void prompt_longer_than_context() {
    auto session = create_session(good_, {32, KvType::F16, 16});
    GenerateRequest r;
    for (int i = 0; i < 100; ++i) r.prompt += "word ";
    r.max_tokens = 4;
    const ReplyStats st = session->generate(r, {});
    QCOMPARE(st.stop_reason, StopReason::context_full);
    QCOMPARE(st.generated_tokens, 0);
    QCOMPARE(session->n_past(), 0);
    // The same session takes a prompt that fits.
    r.prompt = "short";
    r.sampling.temperature = 0;
    const ReplyStats ok = session->generate(r, {});
    QVERIFY(ok.stop_reason == StopReason::max_tokens || ok.stop_reason == StopReason::eos);
    QVERIFY(session->n_past() > 0);
  }

  void token_ids_outside_vocabulary_data() {
    QTest::addColumn<int>("id");
    QTest::newRow("n_vocab") << 1024;
    QTest::newRow("huge") << (1 << 30);
    QTest::newRow("negative") << -1;
  }
  void token_ids_outside_vocabulary() {
    QFETCH(int, id);
    auto session = create_session(good_, {64, KvType::F16, 16});
    const std::vector<int32_t> prompt = {79, id};
    GenerateRequest r;
    r.max_tokens = 2;
    try {
      (void)session->generate_tokens(prompt, r, {});
      QFAIL("no error for an out-of-range token id");
    } catch (const ConfigError& e) {
      QVERIFY2(contains(e.what(), std::to_string(id)), e.what());
    }
    QCOMPARE(session->n_past(), 0);
    still_works();
  }

  void session_options_data() {
    QTest::addColumn<int>("n_ctx");
    QTest::addColumn<int>("n_batch");
    QTest::addColumn<QString>("field");
    QTest::newRow("negative n_ctx") << -5 << 64 << "n_ctx";
    QTest::newRow("zero n_batch") << 64 << 0 << "n_batch";
    // ~2 TiB of KV cache: refused up front instead of bad_alloc halfway through construction.
    QTest::newRow("n_ctx beyond memory") << std::numeric_limits<int>::max() << 64 << "KV cache would need";
  }
  void session_options() {
    QFETCH(int, n_ctx);
    QFETCH(int, n_batch);
    QFETCH(QString, field);
    try {
      (void)create_session(good_, {n_ctx, KvType::F16, n_batch});
      QFAIL("no error");
    } catch (const ConfigError& e) {
      QVERIFY2(contains(e.what(), field.toStdString()), e.what());
    }
    still_works();
  }

  // ---- chat templates that raise, loop or recurse --------------------------------------
  void hostile_template_data() {
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("expected");
    QTest::newRow("raise") << "{{ raise_exception('System role not supported') }}" << "System role not supported";
    QTest::newRow("huge range") << "{% for i in range(100000000000) %}x{% endfor %}" << "";
    QTest::newRow("nested loops") << "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}" << "";
    QTest::newRow("recursive macro") << "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}" << "";
    QTest::newRow("string blow-up") << "{{ 'abc' * 10000000000 }}" << "";
    QTest::newRow("doubling") << "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}" << "";
  }
  void hostile_template() {
    QFETCH(QString, source);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const std::string src = source.toStdString();
    const auto p = variant(dir, "hostile.gguf", [&](GgufWriter& w) { w.set("tokenizer.chat_template", GgufWriteValue::string(src)); });
    auto m = load_model(p);
    auto session = create_session(m, {64, KvType::F16, 16});
    GenerateRequest r;
    r.messages = {{"system", "s"}, {"user", "hi"}};
    r.max_tokens = 2;
    QElapsedTimer timer;
    timer.start();
    try {
      (void)session->generate(r, {});
      QFAIL("no error from a hostile template");
    } catch (const TemplateError& e) {
      if (!expected.isEmpty()) QCOMPARE(QString::fromStdString(e.what()), expected);
      else QVERIFY2(std::strlen(e.what()) > 0, "empty message");
    }
    QVERIFY2(timer.elapsed() < 30000, "template limits did not bound the render time");
    still_works();
  }

  void deeply_nested_template_source() {
    // Parser recursion is bounded: a parse error, not a stack overflow.
    for (const char* open_close : {"()", "[]"}) {
      std::string src = "{{ ";
      src.append(100000, open_close[0]);
      src += "1";
      src.append(100000, open_close[1]);
      src += " }}";
      QVERIFY_THROWS_EXCEPTION(TemplateError, (void)ChatTemplate::parse(src, "deep"));
    }
    std::string blocks;
    for (int i = 0; i < 20000; ++i) blocks += "{% if true %}";
    QVERIFY_THROWS_EXCEPTION(TemplateError, (void)ChatTemplate::parse(blocks, "deep-blocks"));
    still_works();
  }

  // ---- expert budget ------------------------------------------------------------------
  // The expert cache is not reachable through SessionOptions yet; its public constructor is
  // where a budget is validated, fed with the real expert slices of the conformance model.
  void expert_budget_too_small_data() {
    QTest::addColumn<int>("per_layer");
    QTest::addColumn<qulonglong>("bytes");
    QTest::newRow("1 expert per layer, 2 used") << 1 << qulonglong(0);
    QTest::newRow("bytes for one expert") << 0 << qulonglong(1);
  }
  void expert_budget_too_small() {
    QFETCH(int, per_layer);
    QFETCH(qulonglong, bytes);
    const auto f = GgufFile::open(model_path(kModel));
    const int n_layers = 2, n_experts = 8;
    std::vector<ExpertSlices> slices;
    for (int il = 0; il < n_layers; ++il)
      for (int e = 0; e < n_experts; ++e) {
        ExpertSlices s;
        int k = 0;
        for (const char* part : {"gate", "up", "down"}) {
          const std::string name = "blk." + std::to_string(il) + ".ffn_" + part + "_exps.weight";
          const TensorInfo* t = f->find_tensor(name);
          QVERIFY2(t, name.c_str());
          const size_t per = t->nbytes / static_cast<size_t>(n_experts);
          s.mapped[k] = t->data + per * static_cast<size_t>(e);
          s.file_offset[k] = f->data_offset() + t->offset + per * static_cast<size_t>(e);
          s.bytes[k] = per;
          ++k;
        }
        slices.push_back(s);
      }
    ExpertCacheConfig cfg;
    cfg.budget_experts_per_layer = per_layer;
    // "bytes for one expert": a budget that holds a single expert of the whole model.
    cfg.budget_bytes = bytes ? slices[0].total_bytes() : 0;
    try {
      ExpertCache cache(n_layers, n_experts, /*max_active=*/2, slices, model_path(kModel), cfg);
      QFAIL("no error for a budget below the experts one token needs");
    } catch (const ConfigError& e) {
      QVERIFY2(contains(e.what(), "expert budget"), e.what());
    }
    still_works();
  }
};

QTEST_APPLESS_MAIN(TestEngineBadInput)
#include "test-engine-bad-input.moc"
