// Conformance of the quantization references with real llama.cpp output: every quantized tensor
// of the qwen2moe files (llama-quantize without imatrix for the K-quant recipes, a ggml-exact
// quantizer for q8_0 / q4_0, f16 conversion) must be reproduced byte for byte by quantizing the
// same tensor of the f32 sibling row by row; and dequantizing it must land within the known
// error of each type.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "moe/gguf.hpp"
#include "moe/kernels/quant-blocks.hpp"
#include "moe/kernels/quant.hpp"

#include <QtTest>

using namespace moe::kern;

namespace {

std::filesystem::path model_path(const char* file) {
  return std::filesystem::path(MOE_SHARED_DIR) / "conformance" / "models" / file;
}

std::shared_ptr<const moe::GgufFile> open_model(const char* file) {
  const auto p = model_path(file);
  if (!std::filesystem::exists(p)) return nullptr;
  return moe::GgufFile::open(p);
}

struct TypeStats {
  int tensors = 0;
  int matched = 0;
  int numpy_ties = 0;  // quants that differ only as exact ties (numpyRounding files)
  int tie_rows = 0;
  double err2 = 0, ref2 = 0, max_abs = 0;
};

// A q8_0 row that differs from ours only where x / d is exactly k + 0.5 and the file holds
// the even neighbour (np.round) instead of roundf's away-from-zero one: returns the number of
// such quants, or 0 if anything else differs (then the row is a real mismatch).
int q8_0_tie_only(const float* x, const std::byte* ours, const std::byte* theirs, int64_t n) {
  const auto* a = reinterpret_cast<const block_q8_0*>(ours);
  const auto* b = reinterpret_cast<const block_q8_0*>(theirs);
  int ties = 0;
  for (int64_t blk = 0; blk < n / QK8_0; ++blk, x += QK8_0) {
    if (a[blk].d != b[blk].d) return 0;
    float amax = 0;
    for (int j = 0; j < QK8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < QK8_0; ++j) {
      if (a[blk].qs[j] == b[blk].qs[j]) continue;
      const float v = x[j] * id;
      const bool tie = std::fabs(v - std::trunc(v)) == 0.5f;
      if (!tie || b[blk].qs[j] != static_cast<int8_t>(std::nearbyint(v))) return 0;
      ++ties;
    }
  }
  return ties;
}

}  // namespace

class TestQuantGguf : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void bitExactVsLlamaQuantize_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("expectedTensors");  // quantized (non-f32) tensors in the file
    // The q8_0 / q4_0 files come from the Python generator, whose q8_0 rounds with np.round
    // (ties to even) where ggml uses roundf (ties away from zero); see q8_0_tie_only().
    QTest::addColumn<bool>("numpyRounding");
    QTest::newRow("q8_0") << "qwen2moe-q8_0.gguf" << 22 << true;
    QTest::newRow("q4_0") << "qwen2moe-q4_0.gguf" << 22 << true;
    QTest::newRow("Q4_K_M") << "qwen2moe-Q4_K_M.gguf" << 22 << false;
    QTest::newRow("Q6_K") << "qwen2moe-Q6_K.gguf" << 22 << false;
    QTest::newRow("f16") << "qwen2moe-f16.gguf" << 22 << false;
  }

  // Quantize each f32 tensor row by row and require the stored bytes exactly.
  void bitExactVsLlamaQuantize() {
    QFETCH(QString, file);
    QFETCH(int, expectedTensors);
    QFETCH(bool, numpyRounding);
    const auto ref = open_model("qwen2moe-f32.gguf");
    const auto q = open_model(file.toUtf8().constData());
    if (!ref || !q) QFAIL("conformance models missing (see /work/shared/conformance)");

    std::map<std::string, TypeStats> stats;
    int checked = 0;
    QStringList mismatches;
    for (const moe::TensorInfo& t : q->tensors()) {
      if (t.type == GgmlType::F32) continue;
      QVERIFY2(quant_supported(t.type), qPrintable(QString("%1: type %2 unsupported")
                                                      .arg(QString::fromUtf8(t.name.data(), int(t.name.size())))
                                                      .arg(QString::fromUtf8(type_name(t.type).data()))));
      const moe::TensorInfo* f = ref->find_tensor(t.name);
      QVERIFY(f != nullptr);
      QCOMPARE(f->type, GgmlType::F32);
      QCOMPARE(f->n_elements(), t.n_elements());
      const int64_t n = t.ne[0];
      const int64_t rows = t.n_elements() / n;
      const size_t rb = row_bytes(t.type, n);
      QCOMPARE(rb * static_cast<size_t>(rows), t.nbytes);
      std::vector<std::byte> out(rb);
      const auto* src = reinterpret_cast<const float*>(f->data);
      int64_t first_bad_row = -1;
      size_t first_bad_byte = 0;
      TypeStats& s = stats[std::string(type_name(t.type))];
      for (int64_t r = 0; r < rows && first_bad_row < 0; ++r) {
        quantize_row_ref(t.type, src + r * n, out.data(), n);
        const std::byte* want = t.data + static_cast<size_t>(r) * rb;
        if (std::memcmp(out.data(), want, rb) == 0) continue;
        if (numpyRounding && t.type == GgmlType::Q8_0) {
          const int ties = q8_0_tie_only(src + r * n, out.data(), want, n);
          if (ties > 0) {
            s.numpy_ties += ties;
            ++s.tie_rows;
            continue;
          }
        }
        first_bad_row = r;
        while (out[first_bad_byte] == want[first_bad_byte]) ++first_bad_byte;
      }
      ++s.tensors;
      ++checked;
      if (first_bad_row < 0) {
        ++s.matched;
      } else {
        mismatches << QString("%1 (%2): row %3, byte %4 of %5 (block %6)")
                          .arg(QString::fromUtf8(t.name.data(), int(t.name.size())))
                          .arg(QString::fromUtf8(type_name(t.type).data()))
                          .arg(first_bad_row)
                          .arg(first_bad_byte)
                          .arg(rb)
                          .arg(first_bad_byte / traits(t.type).block_bytes);
      }
    }
    for (const auto& [name, s] : stats) {
      const QString ties = s.numpy_ties == 0 ? QString()
          : QString(" (%1 quants in %2 rows differ, all exact .5 ties: ggml's roundf goes away from "
                    "zero, the generator's np.round to even)").arg(s.numpy_ties).arg(s.tie_rows);
      qInfo("%s: %s matches in %d/%d tensors%s", qPrintable(file), name.c_str(), s.matched, s.tensors,
            qPrintable(ties));
    }
    for (const QString& m : mismatches) qWarning("mismatch: %s", qPrintable(m));
    QCOMPARE(checked, expectedTensors);
    QVERIFY2(mismatches.isEmpty(), qPrintable(mismatches.join("; ")));
  }

  void dequantizeVsF32Sibling_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("q8_0") << "qwen2moe-q8_0.gguf";
    QTest::newRow("q4_0") << "qwen2moe-q4_0.gguf";
    QTest::newRow("Q4_K_M") << "qwen2moe-Q4_K_M.gguf";
    QTest::newRow("Q6_K") << "qwen2moe-Q6_K.gguf";
    QTest::newRow("f16") << "qwen2moe-f16.gguf";
  }

  // Dequantized weights vs the f32 originals: NMSE and max |error| per type, bounded by what
  // each format can represent (measured on these files with generous headroom).
  void dequantizeVsF32Sibling() {
    QFETCH(QString, file);
    const auto ref = open_model("qwen2moe-f32.gguf");
    const auto q = open_model(file.toUtf8().constData());
    if (!ref || !q) QFAIL("conformance models missing (see /work/shared/conformance)");
    // NMSE bounds per type; max |error| is bounded relative to the tensor's max |value|.
    const std::map<std::string, std::pair<double, double>> bounds = {
        // measured: f16 4.3e-8 / 4.3e-4, q8_0 2.9e-5 / 4.0e-3, q6_K 3.2e-4 / 1.6e-2,
        // q5_K 1.3e-3 / 3.5e-2, q4_K 5.1e-3 / 6.3e-2, q4_0 7.4e-3 / 0.10 (clamp at +7 d).
        {"f16", {1e-7, 1e-3}},   {"q8_0", {6e-5, 8e-3}},  {"q6_K", {6e-4, 3e-2}},
        {"q5_K", {2.5e-3, 6e-2}}, {"q4_K", {1e-2, 0.12}}, {"q4_0", {1.5e-2, 0.2}},
    };
    std::map<std::string, TypeStats> stats;
    std::map<std::string, double> max_rel;
    for (const moe::TensorInfo& t : q->tensors()) {
      if (t.type == GgmlType::F32) continue;
      const moe::TensorInfo* f = ref->find_tensor(t.name);
      QVERIFY(f != nullptr);
      const int64_t n = t.ne[0];
      const int64_t rows = t.n_elements() / n;
      const size_t rb = row_bytes(t.type, n);
      const auto* src = reinterpret_cast<const float*>(f->data);
      std::vector<float> deq(static_cast<size_t>(n));
      TypeStats& s = stats[std::string(type_name(t.type))];
      ++s.tensors;
      double tensor_amax = 0, tensor_maxerr = 0;
      for (int64_t r = 0; r < rows; ++r) {
        dequantize_row(t.type, t.data + static_cast<size_t>(r) * rb, deq.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          const double b = src[r * n + i];
          const double e = static_cast<double>(deq[static_cast<size_t>(i)]) - b;
          s.err2 += e * e;
          s.ref2 += b * b;
          tensor_maxerr = std::max(tensor_maxerr, std::fabs(e));
          tensor_amax = std::max(tensor_amax, std::fabs(b));
        }
      }
      s.max_abs = std::max(s.max_abs, tensor_maxerr);
      double& mr = max_rel[std::string(type_name(t.type))];
      mr = std::max(mr, tensor_maxerr / tensor_amax);
    }
    for (const auto& [name, s] : stats) {
      const double nmse = s.err2 / s.ref2;
      qInfo("%s: %s %d tensors: NMSE %.3g, max |err| %.3g, max |err|/max|w| %.3g", qPrintable(file),
            name.c_str(), s.tensors, nmse, s.max_abs, max_rel[name]);
      const auto it = bounds.find(name);
      QVERIFY2(it != bounds.end(), name.c_str());
      QVERIFY2(nmse <= it->second.first, qPrintable(QString("%1 NMSE %2").arg(name.c_str()).arg(nmse)));
      QVERIFY2(max_rel[name] <= it->second.second,
               qPrintable(QString("%1 max rel %2").arg(name.c_str()).arg(max_rel[name])));
    }
  }
};

QTEST_APPLESS_MAIN(TestQuantGguf)
#include "test-kernels-quant-gguf.moc"
