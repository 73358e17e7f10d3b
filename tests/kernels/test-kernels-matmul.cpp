// GEMV / GEMM of every runnable ISA for the float and quantized weight types: against the
// scalar reference (vec_dot_ref; GEMV bit-identical for the K-quants, whose block sums are
// exact integers) and against an f64 product of the dequantized weights with the unquantized
// activations (NMSE bound 5e-4, the error activation quantization is allowed). Types without
// a fast path go through the same entry points to the reference and are checked too.
#include <cstring>

#include "kernel-test-util.hpp"
#include "moe/kernels/dispatch.hpp"
#include "moe/kernels/quant.hpp"
#include "moe/kernels/reference.hpp"

#include <QtTest>

using namespace moe::kern;
using moe::test::nmse;
using moe::test::random_floats;

namespace {

struct Problem {
  GgmlType type;
  size_t rows, cols, row_bytes, n_tokens, x_stride;
  std::vector<std::byte> w;     // rows x row_bytes (padded rows)
  std::vector<std::byte> x;     // n_tokens x x_stride, activation format
  std::vector<float> xf;        // n_tokens x cols, the f32 activations
  std::vector<double> exact;    // n_tokens x rows: dequantized W . xf in f64
};

Problem make_problem(GgmlType type, size_t rows, size_t cols, size_t n_tokens) {
  Problem p{type, rows, cols, row_bytes(type, int64_t(cols)) + 64, n_tokens, 0, {}, {}, {}, {}};
  const GgmlType act = vec_dot_type(type);
  p.x_stride = row_bytes(act, int64_t(cols)) + 32;
  p.w.resize(rows * p.row_bytes);
  p.x.resize(n_tokens * p.x_stride);
  const auto wf = random_floats(rows * cols, 101 + uint32_t(type));
  p.xf = random_floats(n_tokens * cols, 202);
  std::vector<float> deq(cols);
  for (size_t r = 0; r < rows; ++r)
    quantize_row_ref(type, wf.data() + r * cols, p.w.data() + r * p.row_bytes, int64_t(cols));
  for (size_t t = 0; t < n_tokens; ++t)
    quantize_activation_ref(act, p.xf.data() + t * cols, p.x.data() + t * p.x_stride, int64_t(cols));
  p.exact.assign(n_tokens * rows, 0.0);
  for (size_t r = 0; r < rows; ++r) {
    dequantize_row(type, p.w.data() + r * p.row_bytes, deq.data(), int64_t(cols));
    for (size_t t = 0; t < n_tokens; ++t) {
      double s = 0.0;
      for (size_t i = 0; i < cols; ++i) s += double(deq[i]) * p.xf[t * cols + i];
      p.exact[t * rows + r] = s;
    }
  }
  return p;
}

double nmse_vs(const std::vector<float>& got, const std::vector<double>& want) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  return num / den;
}

bool is_k_quant(GgmlType t) {
  return t == GgmlType::Q2_K || t == GgmlType::Q3_K || t == GgmlType::Q4_K || t == GgmlType::Q5_K ||
         t == GgmlType::Q6_K;
}

// Types whose x86 GEMV and GEMM repeat the reference's arithmetic exactly (all tile shapes).
bool exact_on_x86(GgmlType t) { return t == GgmlType::Q8_0 || t == GgmlType::IQ4_XS; }
// Types whose AVX-512 panel GEMM (4 tokens or more) is also bit-identical to the reference.
bool exact_panel(GgmlType t) {
  return exact_on_x86(t) || t == GgmlType::Q4_K || t == GgmlType::Q5_K || t == GgmlType::Q6_K;
}

// The error of activation quantization (q8) alone; low-bit K-quants' references are no looser.
double exact_bound(GgmlType t) {
  return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16 ? 1e-5 : 5e-4;
}

void types_data() {
  QTest::addColumn<int>("type");
  QTest::addColumn<int>("cols");
  const GgmlType all[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
                          GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q4_K, GgmlType::Q5_K,
                          GgmlType::Q6_K, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS};
  for (GgmlType t : all)
    for (int cols : {256, 768, 4352}) QTest::addRow("%s n=%d", type_name(t).data(), cols) << int(t) << cols;
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16})  // no block constraint
    for (int cols : {1, 19, 259}) QTest::addRow("%s n=%d", type_name(t).data(), cols) << int(t) << cols;
}

}  // namespace

class TestMatmul : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void fastPathsPerIsa() {
    for (Isa isa : runnable_isas()) {
      const KernelTable& k = kernels_for(isa);
      QCOMPARE(k.has_fast_path(GgmlType::Q4_K), isa != Isa::scalar && isa != Isa::sse42);
      QCOMPARE(k.has_fast_path(GgmlType::F16), isa != Isa::scalar);
      QCOMPARE(k.has_fast_path(GgmlType::IQ4_NL), isa != Isa::scalar && isa != Isa::sse42);
      // Q2_K / Q3_K: the x86 integer vocabulary has them; other vector ISAs may not (yet).
      if (isa == Isa::avx2 || isa == Isa::avx512 || isa == Isa::scalar || isa == Isa::sse42) {
        QCOMPARE(k.has_fast_path(GgmlType::Q2_K), isa == Isa::avx2 || isa == Isa::avx512);
        QCOMPARE(k.has_fast_path(GgmlType::Q3_K), isa == Isa::avx2 || isa == Isa::avx512);
        QCOMPARE(k.has_fast_path(GgmlType::IQ4_XS), isa == Isa::avx2 || isa == Isa::avx512);
      }
    }
  }

  void gemv_data() { types_data(); }
  void gemv() {
    QFETCH(int, type);
    QFETCH(int, cols);
    const GgmlType t = GgmlType(type);
    const size_t rows = 13;
    const Problem p = make_problem(t, rows, size_t(cols), 1);
    std::vector<float> want(rows), got(rows);
    GemvArgs a{t, p.w.data(), p.row_bytes, size_t(cols), p.x.data(), want.data()};
    ref::gemv(a, 0, rows);
    QVERIFY2(nmse_vs(want, p.exact) < exact_bound(t), qPrintable(QString("ref: %1").arg(nmse_vs(want, p.exact))));
    for (Isa isa : runnable_isas()) {
      std::fill(got.begin(), got.end(), -1.0f);
      a.y = got.data();
      // Ragged ranges, as threads split the rows.
      kernels_for(isa).gemv(a, 0, 5);
      kernels_for(isa).gemv(a, 5, 6);
      kernels_for(isa).gemv(a, 6, rows);
      const QString who = QString("%1 %2").arg(isa_name(isa).data(), type_name(t).data());
      if (is_k_quant(t) || (exact_on_x86(t) && (isa == Isa::avx2 || isa == Isa::avx512)))
        QVERIFY2(std::memcmp(got.data(), want.data(), rows * 4) == 0, qPrintable(who + ": not bit-identical"));
      const double err = nmse(got.data(), want.data(), rows);
      QVERIFY2(err < 1e-10, qPrintable(who + QString(": nmse vs ref %1").arg(err)));
      const double err64 = nmse_vs(got, p.exact);
      QVERIFY2(err64 < exact_bound(t), qPrintable(who + QString(": nmse vs f64 %1").arg(err64)));
    }
  }

  void gemm_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("tokens");
    for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
                       GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::IQ4_NL, GgmlType::Q4_K,
                       GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q3_K, GgmlType::Q2_K, GgmlType::IQ4_XS})
      for (int tokens : {1, 3, 4, 9}) QTest::addRow("%s t=%d", type_name(t).data(), tokens) << int(t) << tokens;
  }
  void gemm() {
    QFETCH(int, type);
    QFETCH(int, tokens);
    const GgmlType t = GgmlType(type);
    const size_t rows = 11, cols = 512, T = size_t(tokens), y_stride = rows + 3;
    const Problem p = make_problem(t, rows, cols, T);
    std::vector<float> want(T * y_stride, 0.0f), got(T * y_stride);
    GemmArgs a{t, p.w.data(), p.row_bytes, cols, p.x.data(), p.x_stride, T, want.data(), y_stride};
    ref::gemm(a, 0, rows);
    std::vector<float> packed(T * rows);
    for (Isa isa : runnable_isas()) {
      std::fill(got.begin(), got.end(), 0.0f);
      a.y = got.data();
      kernels_for(isa).gemm(a, 0, 9);
      kernels_for(isa).gemm(a, 9, rows);
      const QString who = QString("%1 %2").arg(isa_name(isa).data(), type_name(t).data());
      // GEMM tiles fold K-quant super-blocks into float lanes: one rounding order apart.
      // Q8_0 repeats the reference's arithmetic on x86 (batched prefill == decode).
      if (exact_on_x86(t) && (isa == Isa::avx2 || isa == Isa::avx512))
        QVERIFY2(std::memcmp(got.data(), want.data(), got.size() * 4) == 0, qPrintable(who + ": not bit-identical"));
      const double err = nmse(got.data(), want.data(), got.size());
      QVERIFY2(err < 1e-10, qPrintable(who + QString(": nmse vs ref %1").arg(err)));
      for (size_t tt = 0; tt < T; ++tt)
        for (size_t r = 0; r < rows; ++r) packed[tt * rows + r] = got[tt * y_stride + r];
      const double err64 = nmse_vs(packed, p.exact);
      QVERIFY2(err64 < exact_bound(t), qPrintable(who + QString(": nmse vs f64 %1").arg(err64)));
      // The padding columns of Y stay untouched.
      for (size_t tt = 0; tt < T; ++tt) QCOMPARE(got[tt * y_stride + rows], 0.0f);
    }
  }

  // Shapes that reach every part of the AVX-512 panel GEMM: full and partial 16-row panels,
  // several column chunks (512 columns each) with a ragged last one, and full and ragged
  // 8-token tiles, split at a row inside a panel as threads would.
  void gemmPanels_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::addColumn<int>("tokens");
    for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K})
      for (int tokens : {4, 8, 17})
        QTest::addRow("%s r=40 c=1280 t=%d", type_name(t).data(), tokens) << int(t) << 40 << 1280 << tokens;
    QTest::addRow("q8_0 r=70 c=2112 t=13") << int(GgmlType::Q8_0) << 70 << 2112 << 13;
    QTest::addRow("q4_K r=33 c=2304 t=12") << int(GgmlType::Q4_K) << 33 << 2304 << 12;
    QTest::addRow("q5_K r=49 c=2816 t=15") << int(GgmlType::Q5_K) << 49 << 2816 << 15;
    QTest::addRow("q6_K r=35 c=1792 t=11") << int(GgmlType::Q6_K) << 35 << 1792 << 11;
  }
  void gemmPanels() {
    QFETCH(int, type);
    QFETCH(int, rows);
    QFETCH(int, cols);
    QFETCH(int, tokens);
    const GgmlType t = GgmlType(type);
    const size_t R = size_t(rows), C = size_t(cols), T = size_t(tokens), y_stride = R + 5;
    const Problem p = make_problem(t, R, C, T);
    std::vector<float> want(T * y_stride, 0.0f), got(T * y_stride);
    GemmArgs a{t, p.w.data(), p.row_bytes, C, p.x.data(), p.x_stride, T, want.data(), y_stride};
    ref::gemm(a, 0, R);
    for (Isa isa : runnable_isas()) {
      std::fill(got.begin(), got.end(), 0.0f);
      a.y = got.data();
      kernels_for(isa).gemm(a, 0, 21);
      kernels_for(isa).gemm(a, 21, R);
      const QString who = QString("%1 %2").arg(isa_name(isa).data(), type_name(t).data());
      const double err = nmse(got.data(), want.data(), got.size());
      QVERIFY2(err < 1e-10, qPrintable(who + QString(": nmse vs ref %1").arg(err)));
      // Batched prefill == token-by-token decode for these types.
      if ((exact_on_x86(t) && isa == Isa::avx2) || (exact_panel(t) && isa == Isa::avx512))
        QVERIFY2(std::memcmp(got.data(), want.data(), got.size() * 4) == 0, qPrintable(who + ": not bit-identical"));
      for (size_t tt = 0; tt < T; ++tt)
        for (size_t r = R; r < y_stride; ++r) QCOMPARE(got[tt * y_stride + r], 0.0f);
    }
  }
};

QTEST_APPLESS_MAIN(TestMatmul)
#include "test-kernels-matmul.moc"
