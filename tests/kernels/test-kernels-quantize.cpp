// Activation quantization of every runnable ISA: bit-identical to the quant.hpp references
// (ggml's quantize_row_q8_0_ref / quantize_row_q8_K_ref), including rounding ties, all-zero
// blocks and the sign of the largest magnitude.
#include <cstring>

#include "kernel-test-util.hpp"
#include "moe/kernels/dispatch.hpp"
#include "moe/kernels/quant-blocks.hpp"
#include "moe/kernels/quant.hpp"

#include <QtTest>

using namespace moe::kern;

namespace {

std::vector<float> input(size_t n, int kind) {
  auto x = moe::test::random_floats(n, 301 + uint32_t(kind), 3.0f);
  if (kind == 1) {  // ties: amax 127 makes the scale 1, so x * id lands on k + 0.5
    for (size_t i = 0; i < n; ++i) x[i] = float(int(i % 200) - 100) + 0.5f;
    for (size_t b = 0; b < n; b += 32) x[b] = (b / 32) % 2 ? -127.0f : 127.0f;
  } else if (kind == 2) {  // zero blocks and a block whose extreme is negative
    for (size_t i = 0; i < n && i < 256; ++i) x[i] = 0.0f;
    if (n > 300) x[300] = -50.0f;
  } else if (kind == 3) {  // equal magnitudes of both signs: the first one sets the sign
    for (size_t i = 0; i < n; ++i) x[i] = (i % 7 == 3) ? -9.0f : (i % 7 == 5 ? 9.0f : x[i]);
  }
  return x;
}

}  // namespace

class TestQuantize : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void bitIdentical_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("kind");
    for (int n : {256, 512, 4096, 2816})
      for (int kind : {0, 1, 2, 3}) QTest::addRow("n=%d kind=%d", n, kind) << n << kind;
  }
  void bitIdentical() {
    QFETCH(int, n);
    QFETCH(int, kind);
    const size_t len = size_t(n);
    const auto x = input(len, kind);
    const size_t b0 = row_bytes(GgmlType::Q8_0, n), bk = row_bytes(GgmlType::Q8_K, n);
    std::vector<std::byte> want0(b0), wantk(bk), got0(b0), gotk(bk);
    quantize_activation_ref(GgmlType::Q8_0, x.data(), want0.data(), n);
    quantize_activation_ref(GgmlType::Q8_K, x.data(), wantk.data(), n);
    for (Isa isa : runnable_isas()) {
      std::fill(got0.begin(), got0.end(), std::byte{0x5A});
      std::fill(gotk.begin(), gotk.end(), std::byte{0x5A});
      kernels_for(isa).quantize_q8_0(x.data(), got0.data(), len);
      kernels_for(isa).quantize_q8_K(x.data(), gotk.data(), len);
      QVERIFY2(got0 == want0, qPrintable(QString("%1 q8_0").arg(isa_name(isa).data())));
      QVERIFY2(gotk == wantk, qPrintable(QString("%1 q8_K").arg(isa_name(isa).data())));
    }
  }

  void tiesRoundAsTheReference() {
    // q8_0 rounds ties away from zero (roundf), q8_K to even (ggml's nearest_int).
    std::vector<float> x(256, 0.0f);
    x[0] = 127.0f;
    x[1] = 2.5f;
    x[2] = -3.5f;
    std::vector<block_q8_0> q0(8);
    quantize_activation_ref(GgmlType::Q8_0, x.data(), q0.data(), 256);
    QCOMPARE(int(q0[0].qs[1]), 3);
    QCOMPARE(int(q0[0].qs[2]), -4);
    x[0] = -127.0f;
    block_q8_K qk;
    quantize_activation_ref(GgmlType::Q8_K, x.data(), &qk, 256);
    QCOMPARE(int(qk.qs[1]), 2);   // iscale = -127 / -127 = 1: 2.5 -> 2 (even)
    QCOMPARE(int(qk.qs[2]), -4);  // -3.5 -> -4 (even)
  }
};

QTEST_APPLESS_MAIN(TestQuantize)
#include "test-kernels-quantize.moc"
