// Scalar quantization references: round trips, dot products, activation formats, row handling.
// Bit-exactness against llama.cpp's own files is test-kernels-quant-gguf (label conformance).
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "kernel-test-util.hpp"
#include "moe/kernels/quant-blocks.hpp"
#include "moe/kernels/quant.hpp"

#include <QtTest>

using namespace moe::kern;
using moe::test::nmse;
using moe::test::random_floats;

Q_DECLARE_METATYPE(moe::kern::GgmlType)

namespace {

std::vector<std::byte> quantize(GgmlType t, const std::vector<float>& x, int64_t n) {
  const auto rows = static_cast<int64_t>(x.size()) / n;
  const size_t rb = row_bytes(t, n);
  std::vector<std::byte> q(rb * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) quantize_row_ref(t, x.data() + r * n, q.data() + r * rb, n);
  return q;
}

std::vector<float> dequantize(GgmlType t, const std::vector<std::byte>& q, int64_t n, int64_t rows) {
  const size_t rb = row_bytes(t, n);
  std::vector<float> y(static_cast<size_t>(n * rows));
  for (int64_t r = 0; r < rows; ++r) dequantize_row(t, q.data() + r * rb, y.data() + r * n, n);
  return y;
}

// Every weight type with a reference, and its round-trip / dot NMSE bounds on N(0, 1) data.
// Data: 8 rows of 4096 N(0, 1) values, fixed seeds.
void add_weight_rows() {
  QTest::addColumn<GgmlType>("type");
  QTest::addColumn<double>("roundTripBound");
  QTest::addColumn<double>("dotBound");  // vs the f32 dot of the dequantized weights
  // round trip: measured NMSE x ~1.5; dot: measured (activation quantization only) x ~3.
  QTest::newRow("f32") << GgmlType::F32 << 0.0 << 1e-12;
  QTest::newRow("f16") << GgmlType::F16 << 7e-8 << 2e-7;          // 4.3e-8 | 6.0e-8
  QTest::newRow("bf16") << GgmlType::BF16 << 4e-6 << 1e-5;        // 2.7e-6 | 3.1e-6
  QTest::newRow("q8_0") << GgmlType::Q8_0 << 4.5e-5 << 1e-4;      // 2.9e-5 | 3.1e-5
  QTest::newRow("q4_0") << GgmlType::Q4_0 << 1.1e-2 << 1.1e-4;    // 7.4e-3 | 3.6e-5
  QTest::newRow("q4_1") << GgmlType::Q4_1 << 9e-3 << 1e-4;        // 6.1e-3 | 3.1e-5
  QTest::newRow("q5_0") << GgmlType::Q5_0 << 2.7e-3 << 1e-4;      // 1.8e-3 | 3.3e-5
  QTest::newRow("q5_1") << GgmlType::Q5_1 << 2.1e-3 << 1e-4;      // 1.4e-3 | 3.1e-5
  QTest::newRow("q2_K") << GgmlType::Q2_K << 0.13 << 1.5e-4;      // 8.7e-2 | 4.7e-5
  QTest::newRow("q3_K") << GgmlType::Q3_K << 3.4e-2 << 1.5e-4;    // 2.3e-2 | 4.5e-5
  QTest::newRow("q4_K") << GgmlType::Q4_K << 7.5e-3 << 1.8e-4;    // 5.1e-3 | 5.8e-5
  QTest::newRow("q5_K") << GgmlType::Q5_K << 2e-3 << 1.6e-4;      // 1.3e-3 | 5.4e-5
  QTest::newRow("q6_K") << GgmlType::Q6_K << 4.7e-4 << 1.6e-4;    // 3.2e-4 | 5.4e-5
  QTest::newRow("iq4_nl") << GgmlType::IQ4_NL << 8.5e-3 << 1e-4;  // 5.7e-3 | 3.1e-5
  QTest::newRow("iq4_xs") << GgmlType::IQ4_XS << 8.7e-3 << 1.5e-4;  // 5.8e-3 | 5.1e-5
}

}  // namespace

class TestQuant : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void roundTrip_data() { add_weight_rows(); }
  // quantize_row_ref -> dequantize_row stays within the type's error.
  void roundTrip() {
    QFETCH(GgmlType, type);
    QFETCH(double, roundTripBound);
    QVERIFY(quant_supported(type));
    QVERIFY(traits(type).supported);
    const int64_t n = 4096, rows = 8;
    const auto x = random_floats(static_cast<size_t>(n * rows), 7);
    const auto y = dequantize(type, quantize(type, x, n), n, rows);
    const double e = nmse(y.data(), x.data(), x.size());
    qInfo("%s round trip NMSE %.3g", type_name(type).data(), e);
    QVERIFY2(e <= roundTripBound, qPrintable(QString::number(e)));
  }

  void dotProduct_data() { add_weight_rows(); }
  // vec_dot_ref is exactly the dot of what it was given (dequantized weights and activations,
  // up to float rounding), and close to the f32 dot (activation quantization error only).
  void dotProduct() {
    QFETCH(GgmlType, type);
    QFETCH(double, dotBound);
    const int64_t n = 4096, rows = 8;
    const auto w = random_floats(static_cast<size_t>(n * rows), 11);
    const auto x = random_floats(static_cast<size_t>(n), 12);
    const auto wq = quantize(type, w, n);
    const auto wd = dequantize(type, wq, n, rows);
    const GgmlType at = vec_dot_type(type);
    std::vector<std::byte> xq(row_bytes(at, n));
    quantize_activation_ref(at, x.data(), xq.data(), n);
    std::vector<float> xd(static_cast<size_t>(n));
    dequantize_row(at, xq.data(), xd.data(), n);

    std::vector<float> got(rows), exact_operands(rows), f32_ref(rows), gemv(rows);
    for (int64_t r = 0; r < rows; ++r) {
      got[r] = vec_dot_ref(type, wq.data() + r * row_bytes(type, n), xq.data(), n);
      double a = 0, b = 0;
      for (int64_t i = 0; i < n; ++i) {
        a += static_cast<double>(wd[r * n + i]) * xd[i];
        b += static_cast<double>(wd[r * n + i]) * x[i];
      }
      exact_operands[r] = static_cast<float>(a);
      f32_ref[r] = static_cast<float>(b);
    }
    const double e_ops = nmse(got.data(), exact_operands.data(), got.size());
    const double e_f32 = nmse(got.data(), f32_ref.data(), got.size());
    qInfo("%s dot: NMSE vs dequantized operands %.3g, vs f32 activations %.3g", type_name(type).data(),
          e_ops, e_f32);
    QVERIFY2(e_ops <= 1e-11, qPrintable(QString::number(e_ops)));
    QVERIFY2(e_f32 <= dotBound, qPrintable(QString::number(e_f32)));

    // gemv_ref = the same per-row dots, rows read with a padded stride.
    const size_t rb = row_bytes(type, n), stride = rb + 64;
    std::vector<std::byte> padded(stride * rows, std::byte{0x5A});
    for (int64_t r = 0; r < rows; ++r) std::memcpy(padded.data() + r * stride, wq.data() + r * rb, rb);
    gemv_ref(type, padded.data(), stride, x.data(), gemv.data(), rows, n);
    for (int64_t r = 0; r < rows; ++r) QCOMPARE(gemv[r], got[r]);
  }

  void oddSizes_data() { add_weight_rows(); }
  // Several rows of a few blocks: one call over the whole tensor equals row-by-row calls (no
  // state crosses a block), and zero rows quantize to exact zeros.
  void oddSizes() {
    QFETCH(GgmlType, type);
    const int64_t n = 3 * traits(type).block_elems, rows = 5;
    auto x = random_floats(static_cast<size_t>(n * rows), 3, 0.02f);
    std::fill(x.begin() + 2 * n, x.begin() + 3 * n, 0.0f);  // row 2 all zero
    const auto q_rows = quantize(type, x, n);
    std::vector<std::byte> q_whole(q_rows.size());
    quantize_row_ref(type, x.data(), q_whole.data(), n * rows);
    QVERIFY(q_whole == q_rows);
    const auto y = dequantize(type, q_rows, n, rows);
    std::vector<float> y_whole(y.size());
    dequantize_row(type, q_whole.data(), y_whole.data(), n * rows);
    QVERIFY(std::memcmp(y.data(), y_whole.data(), y.size() * sizeof(float)) == 0);
    for (int64_t i = 2 * n; i < 3 * n; ++i) QCOMPARE(y[i], 0.0f);
    for (float v : y) QVERIFY(std::isfinite(v));
    if (traits(type).block_elems > 1) {
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                               quantize_row_ref(type, x.data(), q_whole.data(), n + 1));
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, dequantize_row(type, q_whole.data(), y_whole.data(), n - 1));
    }
  }

  // Hand-checked blocks: q8_0 rounds ties away from zero (roundf), q8_K to even (nearest_int),
  // and q8_K maps its signed extreme to -127 (so a positive maximum gives a negative scale).
  void activationRounding() {
    std::vector<float> x(QK_K, 0.0f);
    x[0] = 127.0f;
    x[1] = 2.5f;
    x[2] = -3.5f;
    x[17] = 1.5f;
    block_q8_0 b0[QK_K / QK8_0];
    quantize_activation_ref(GgmlType::Q8_0, x.data(), b0, QK_K);
    QCOMPARE(b0[0].d, uint16_t{0x3C00});  // d = 127 / 127 = 1
    QCOMPARE(int(b0[0].qs[0]), 127);
    QCOMPARE(int(b0[0].qs[1]), 3);
    QCOMPARE(int(b0[0].qs[2]), -4);
    QCOMPARE(int(b0[0].qs[17]), 2);
    QCOMPARE(b0[1].d, uint16_t{0});  // all-zero block

    block_q8_K bk{};
    quantize_activation_ref(GgmlType::Q8_K, x.data(), &bk, QK_K);
    QCOMPARE(bk.d, -1.0f);
    QCOMPARE(int(bk.qs[0]), -127);
    QCOMPARE(int(bk.qs[1]), -2);  // -2.5 -> -2 (even)
    QCOMPARE(int(bk.qs[2]), 4);   // 3.5 -> 4 (even)
    QCOMPARE(int(bk.qs[17]), -2);
    QCOMPARE(int(bk.bsums[0]), -127 - 2 + 4);
    QCOMPARE(int(bk.bsums[1]), -2);
    for (int j = 2; j < QK_K / 16; ++j) QCOMPARE(int(bk.bsums[j]), 0);

    // bsums are the sums of each 16 quants on random data too.
    const auto r = random_floats(4 * QK_K, 5);
    block_q8_K rb[4];
    quantize_activation_ref(GgmlType::Q8_K, r.data(), rb, 4 * QK_K);
    for (const block_q8_K& b : rb)
      for (int j = 0; j < QK_K / 16; ++j) {
        int s = 0;
        for (int i = 0; i < 16; ++i) s += b.qs[16 * j + i];
        QCOMPARE(int(b.bsums[j]), s);
      }
  }

  void vecDotTypes() {
    QCOMPARE(vec_dot_type(GgmlType::F32), GgmlType::F32);
    QCOMPARE(vec_dot_type(GgmlType::F16), GgmlType::F16);
    QCOMPARE(vec_dot_type(GgmlType::BF16), GgmlType::BF16);
    for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                       GgmlType::IQ4_NL})
      QCOMPARE(vec_dot_type(t), GgmlType::Q8_0);
    for (GgmlType t : {GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K,
                       GgmlType::IQ4_XS})
      QCOMPARE(vec_dot_type(t), GgmlType::Q8_K);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, vec_dot_type(GgmlType::IQ2_XXS));
    QVERIFY(!quant_supported(GgmlType::IQ2_XXS));
    QVERIFY(!traits(GgmlType::IQ2_XXS).supported);
    // q8_K is an activation format: no weight dot product for it.
    QVERIFY(!quant_supported(GgmlType::Q8_K));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, vec_dot_type(GgmlType::Q8_K));
    float dummy[32] = {};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             quantize_activation_ref(GgmlType::Q4_0, dummy, dummy, 32));
  }
};

QTEST_APPLESS_MAIN(TestQuant)
#include "test-kernels-quant.moc"
