// moe::quantize_model against llama-quantize: the f32 conformance model requantized here must
// give the same type for every tensor and byte-identical tensor data as the Q4_K_M / Q6_K files
// llama-quantize made from it; every target loads and stays close to its input model's logits;
// errors name the file.
#include "moe/engine.hpp"
#include "moe/errors.hpp"
#include "moe/gguf-writer.hpp"
#include "moe/gguf.hpp"
#include "moe/quantize.hpp"

#include "conformance-refs.hpp"

#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>

using namespace moe;
using moe::test::conformance_dir;

namespace {

std::filesystem::path model_path(const std::string& file) { return conformance_dir() / "models" / file; }

std::filesystem::path temp_file(const QTemporaryDir& dir, const std::string& name) {
  return std::filesystem::path(dir.path().toStdString()) / name;
}

// Pooled NMSE of `quant` vs `base` logits over the three reference prompts.
double pooled_nmse(const std::shared_ptr<const Model>& base, const std::shared_ptr<const Model>& quant,
                   const std::string& stem) {
  moe::test::Nmse pooled;
  for (const char* prompt : {"short", "chat", "unicode"}) {
    const moe::test::Ref ref = moe::test::read_ref(stem, prompt);
    SessionOptions so;
    so.n_ctx = 512;
    so.kv_type = KvType::F32;
    const auto a = create_session(base, so)->evaluate(ref.tokens);
    const auto b = create_session(quant, so)->evaluate(ref.tokens);
    const auto n = moe::test::nmse(b, a);
    pooled.num += n.num;
    pooled.den += n.den;
  }
  return pooled.value();
}

}  // namespace

class TestQuantize : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void matchesLlamaQuantize_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("reference");
    QTest::addColumn<uint>("ftype");
    QTest::newRow("Q4_K_M") << "Q4_K_M" << "qwen2moe-Q4_K_M.gguf" << 15u;
    QTest::newRow("Q6_K") << "Q6_K" << "qwen2moe-Q6_K.gguf" << 18u;
  }
  void matchesLlamaQuantize() {
    QFETCH(QString, type);
    QFETCH(QString, reference);
    QFETCH(uint, ftype);
    const auto target = find_quant_target(type.toStdString());
    QVERIFY(target);
    QCOMPARE(target->ftype, ftype);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto out = temp_file(dir, "out.gguf");
    quantize_model(model_path("qwen2moe-f32.gguf"), out, *target);

    const auto mine = GgufFile::open(out);
    const auto ref = GgufFile::open(model_path(reference.toStdString()));
    QCOMPARE(mine->get_u32("general.file_type"), ref->get_u32("general.file_type"));
    QCOMPARE(mine->tensors().size(), ref->tensors().size());
    QStringList type_diffs, data_diffs;
    std::map<std::string, int> mix;
    for (const TensorInfo& r : ref->tensors()) {
      const TensorInfo* m = mine->find_tensor(r.name);
      QVERIFY2(m, qPrintable(QString::fromUtf8(r.name.data(), static_cast<int>(r.name.size())) + " missing"));
      const QString name = QString::fromUtf8(r.name.data(), static_cast<int>(r.name.size()));
      ++mix[std::string(kern::type_name(m->type))];
      if (m->type != r.type) {
        type_diffs << name + ": " + QString::fromUtf8(kern::type_name(m->type).data()) + " vs " +
                          QString::fromUtf8(kern::type_name(r.type).data());
        continue;
      }
      for (int d = 0; d < 4; ++d) QCOMPARE(m->ne[d], r.ne[d]);
      QCOMPARE(m->nbytes, r.nbytes);
      if (std::memcmp(m->data, r.data, r.nbytes) != 0) data_diffs << name;
    }
    QString mix_text;
    for (const auto& [t, n] : mix) mix_text += QString::fromStdString(t) + ":" + QString::number(n) + " ";
    qInfo("%s type mix: %s", qPrintable(type), qPrintable(mix_text));
    QVERIFY2(type_diffs.isEmpty(), qPrintable("type differences: " + type_diffs.join(", ")));
    QVERIFY2(data_diffs.isEmpty(), qPrintable("data differences: " + data_diffs.join(", ")));
  }

  void everyTypeStaysClose_data() {
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("type");
    QTest::addColumn<double>("bound");  // pooled NMSE vs the input model's logits
    // Bounds: about 3x the measured weight-quantization error of each type on these models
    // (README: q8_0 7.5e-4, Q6_K 2.6e-3, Q4_K_M 1.8e-2, q4_0 3.7e-2 vs the f32 sibling).
    const char* f32 = "qwen2moe-f32.gguf";
    QTest::newRow("F16") << f32 << "F16" << 1e-5;
    QTest::newRow("BF16") << f32 << "BF16" << 1e-3;
    QTest::newRow("Q8_0") << f32 << "Q8_0" << 3e-3;
    QTest::newRow("Q6_K") << f32 << "Q6_K" << 1e-2;
    QTest::newRow("Q5_K_M") << f32 << "Q5_K_M" << 2e-2;
    QTest::newRow("Q5_K_S") << f32 << "Q5_K_S" << 2e-2;
    QTest::newRow("Q5_0") << f32 << "Q5_0" << 3e-2;
    QTest::newRow("Q5_1") << f32 << "Q5_1" << 3e-2;
    QTest::newRow("Q4_K_M") << f32 << "Q4_K_M" << 5e-2;
    QTest::newRow("Q4_K_S") << f32 << "Q4_K_S" << 6e-2;
    QTest::newRow("Q4_0") << f32 << "Q4_0" << 0.1;
    QTest::newRow("Q4_1") << f32 << "Q4_1" << 0.1;
    QTest::newRow("Q3_K_M") << f32 << "Q3_K_M" << 0.25;
    QTest::newRow("Q2_K") << f32 << "Q2_K" << 0.6;
    // Requantizing an already quantized file goes through the dequantizers. qwen3moe's
    // 128-wide rows cannot hold q4_K blocks (fallback q5_0, output q8_0) and the q8_0 error
    // compounds: measured 0.038.
    QTest::newRow("qwen3moe q8_0 -> Q4_K_M") << "qwen3moe-q8_0.gguf" << "Q4_K_M" << 0.1;
    QTest::newRow("mixtral q8_0 -> Q6_K") << "mixtral-q8_0.gguf" << "Q6_K" << 1e-2;
    QTest::newRow("llama f16 -> Q8_0") << "llama-f16.gguf" << "Q8_0" << 3e-3;
  }
  void everyTypeStaysClose() {
    QFETCH(QString, input);
    QFETCH(QString, type);
    QFETCH(double, bound);
    const auto target = find_quant_target(type.toStdString());
    QVERIFY(target);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto out = temp_file(dir, "out.gguf");
    const auto in_path = model_path(input.toStdString());
    const QuantizeStats st = quantize_model(in_path, out, *target);
    QVERIFY(st.n_converted > 0);

    // 1-D tensors, norms and routers stay as they were (f32 in every conformance model).
    const auto in = GgufFile::open(in_path);
    const auto q = GgufFile::open(out);
    QCOMPARE(q->get_u32("general.file_type"), target->ftype);
    for (const TensorInfo& t : q->tensors()) {
      const std::string name(t.name);
      if (t.n_dims == 1 || name.find("ffn_gate_inp") != std::string::npos || name.find("_norm") != std::string::npos) {
        QVERIFY2(t.type == kern::GgmlType::F32, name.c_str());
        QVERIFY2(std::memcmp(t.data, in->find_tensor(name)->data, t.nbytes) == 0, name.c_str());
      }
    }

    const std::string stem = std::filesystem::path(input.toStdString()).stem().string();
    const double e = pooled_nmse(load_model(in_path), load_model(out), stem);
    qInfo("%s from %s: pooled NMSE vs input %.3g (bound %.3g)", qPrintable(type), qPrintable(input), e, bound);
    QVERIFY2(e <= bound, qPrintable(QString("pooled NMSE %1 > %2").arg(e).arg(bound)));
    QVERIFY(e > 0 || type == "F16");
  }

  void targetNames() {
    QCOMPARE(find_quant_target("q4_k")->name, std::string_view("Q4_K_M"));
    QCOMPARE(find_quant_target("Q5_K")->ftype, 17u);
    QCOMPARE(find_quant_target("Q4_0")->ftype, 2u);
    QCOMPARE(find_quant_target("Q8_0")->ftype, 7u);
    QCOMPARE(find_quant_target("F16")->ftype, 1u);
    QCOMPARE(find_quant_target("Q4_K_S")->ftype, 14u);
    QCOMPARE(find_quant_target("Q5_K_S")->ftype, 16u);
    QVERIFY(!find_quant_target("Q9_9"));
    QVERIFY(!find_quant_target(""));
  }

  // Rows of 32 elements cannot hold 256-element K-quant blocks: llama.cpp's fallbacks.
  void fallbackForShortRows() {
    GgufWriter w;
    w.set("general.architecture", GgufWriteValue::string("llama"));
    w.set("llama.block_count", GgufWriteValue::u32(1));
    const int64_t dims[] = {32, 4};
    w.add_tensor("blk.0.attn_q.weight", kern::GgmlType::F32, dims, std::vector<std::byte>(32 * 4 * 4));
    w.add_tensor("blk.0.ffn_down.weight", kern::GgmlType::F32, dims, std::vector<std::byte>(32 * 4 * 4));
    w.add_tensor("output.weight", kern::GgmlType::F32, dims, std::vector<std::byte>(32 * 4 * 4));
    const auto bytes = w.to_bytes();
    const auto f = GgufFile::from_memory(bytes, "short-rows.gguf");
    std::map<std::string, kern::GgmlType> got;
    for (const auto& p : plan_quantization(*f, *find_quant_target("Q4_K_M"))) got[p.name] = p.to;
    QCOMPARE(got["blk.0.attn_q.weight"], kern::GgmlType::Q5_0);
    QCOMPARE(got["blk.0.ffn_down.weight"], kern::GgmlType::Q8_0);  // q6_K (more bits) -> q8_0
    QCOMPARE(got["output.weight"], kern::GgmlType::Q8_0);
    got.clear();
    for (const auto& p : plan_quantization(*f, *find_quant_target("Q5_K_S"))) got[p.name] = p.to;
    QCOMPARE(got["blk.0.attn_q.weight"], kern::GgmlType::Q5_1);
  }

  // The _M mix on 8 layers: more bits for layers 0, 3, 6, 7 (use_more_bits); the 8-expert rule.
  void mixPerLayer_data() {
    QTest::addColumn<uint>("n_expert");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("expected");  // per layer: attn_v, attn_k, attn_output, ffn_down_exps
    const QString more = "q6_K q4_K q4_K q6_K", plain = "q4_K q4_K q4_K q4_K";
    QTest::newRow("16 experts Q4_K_M") << 16u << "Q4_K_M" << (more + "|" + plain + "|" + plain + "|" + more + "|" + plain + "|" + plain + "|" + more + "|" + more);
    const QString e8 = "q8_0 q8_0 q5_K q4_K", e8more = "q8_0 q8_0 q5_K q6_K";
    QTest::newRow("8 experts Q4_K_M") << 8u << "Q4_K_M" << (e8more + "|" + e8 + "|" + e8 + "|" + e8more + "|" + e8 + "|" + e8 + "|" + e8more + "|" + e8more);
    const QString s5 = "q5_K q5_K q5_K q5_K", s5more = "q6_K q5_K q5_K q6_K";
    QTest::newRow("16 experts Q5_K_M") << 16u << "Q5_K_M" << (s5more + "|" + s5 + "|" + s5 + "|" + s5more + "|" + s5 + "|" + s5 + "|" + s5more + "|" + s5more);
  }
  void mixPerLayer() {
    QFETCH(uint, n_expert);
    QFETCH(QString, type);
    QFETCH(QString, expected);
    GgufWriter w;
    w.set("general.architecture", GgufWriteValue::string("qwen3moe"));
    w.set("qwen3moe.block_count", GgufWriteValue::u32(8));
    w.set("qwen3moe.expert_count", GgufWriteValue::u32(n_expert));
    const int64_t dims[] = {256, 1};
    const char* kinds[] = {"attn_v", "attn_k", "attn_output", "ffn_down_exps"};
    for (int l = 0; l < 8; ++l)
      for (const char* k : kinds)
        w.add_tensor("blk." + std::to_string(l) + "." + k + ".weight", kern::GgmlType::F32, dims,
                     std::vector<std::byte>(256 * 4));
    w.add_tensor("output.weight", kern::GgmlType::F32, dims, std::vector<std::byte>(256 * 4));
    const auto bytes = w.to_bytes();
    const auto f = GgufFile::from_memory(bytes, "mix.gguf");
    std::map<std::string, kern::GgmlType> got;
    for (const auto& p : plan_quantization(*f, *find_quant_target(type.toStdString()))) got[p.name] = p.to;
    QStringList layers;
    for (int l = 0; l < 8; ++l) {
      QStringList types;
      for (const char* k : kinds)
        types << QString::fromUtf8(kern::type_name(got["blk." + std::to_string(l) + "." + k + ".weight"]).data());
      layers << types.join(' ');
    }
    QCOMPARE(layers.join('|'), expected);
    QCOMPARE(got["output.weight"], kern::GgmlType::Q6_K);
  }

  void errors() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto target = *find_quant_target("Q8_0");
    const auto missing = temp_file(dir, "nope.gguf");
    try {
      quantize_model(missing, temp_file(dir, "out.gguf"), target);
      QFAIL("missing input accepted");
    } catch (const Error& e) {
      QVERIFY2(std::string(e.what()).find("nope.gguf") != std::string::npos, e.what());
    }
    const auto bad_out = temp_file(dir, "no-such-folder") / "out.gguf";
    try {
      quantize_model(model_path("qwen2moe-f32.gguf"), bad_out, target);
      QFAIL("output in a missing folder accepted");
    } catch (const IoError& e) {
      QVERIFY2(std::string(e.what()).find("out.gguf") != std::string::npos, e.what());
    }
    QVERIFY(!std::filesystem::exists(bad_out));

    // A tensor type without a dequantizer here: refused before anything is written.
    GgufWriter w;
    w.set("general.architecture", GgufWriteValue::string("llama"));
    w.set("llama.block_count", GgufWriteValue::u32(1));
    const int64_t dims[] = {256, 1};
    w.add_tensor("blk.0.attn_q.weight", kern::GgmlType::IQ2_XXS, dims,
                 std::vector<std::byte>(kern::row_bytes(kern::GgmlType::IQ2_XXS, 256)));
    const auto in = temp_file(dir, "iq2.gguf");
    w.write_file(in);
    const auto out = temp_file(dir, "iq2-out.gguf");
    try {
      quantize_model(in, out, target);
      QFAIL("iq2_xxs input accepted");
    } catch (const ModelError& e) {
      const std::string msg = e.what();
      QVERIFY2(msg.find("iq2.gguf") != std::string::npos && msg.find("blk.0.attn_q.weight") != std::string::npos &&
                   msg.find("iq2_xxs") != std::string::npos,
               e.what());
    }
    QVERIFY(!std::filesystem::exists(out));
  }
};

QTEST_APPLESS_MAIN(TestQuantize)
#include "test-engine-quantize.moc"
