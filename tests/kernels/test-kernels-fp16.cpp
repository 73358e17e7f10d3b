// Half and bfloat16 conversions: exhaustive round trips and round-to-nearest-even cases.
#include <bit>
#include <cmath>
#include <cstdint>

#include "moe/kernels/fp16.hpp"

#include <QtTest>

using namespace moe::kern;

class TestFp16 : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void everyHalfRoundTrips() {
    for (uint32_t h = 0; h < 0x10000u; ++h) {
      const float f = f16_to_f32(static_cast<uint16_t>(h));
      if (std::isnan(f)) {
        QVERIFY(std::isnan(f16_to_f32(f32_to_f16(f))));
        continue;
      }
      QCOMPARE(f32_to_f16(f), static_cast<uint16_t>(h));
    }
  }
  void knownValues() {
    QCOMPARE(f16_to_f32(0x3C00), 1.0f);
    QCOMPARE(f16_to_f32(0xC000), -2.0f);
    QCOMPARE(f16_to_f32(0x7BFF), 65504.0f);
    QCOMPARE(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
    QCOMPARE(f32_to_f16(65520.0f), uint16_t{0x7C00});  // rounds up to infinity
    QCOMPARE(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), uint16_t{0x3C00});  // tie -> even
    QCOMPARE(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), uint16_t{0x3C02});  // tie -> even (up)
    QCOMPARE(f32_to_f16(std::ldexp(1.0f, -25)), uint16_t{0});  // exact tie to zero
    QCOMPARE(f32_to_f16(std::ldexp(1.5f, -25)), uint16_t{1});
  }
  void bfloat16() {
    QCOMPARE(bf16_to_f32(0x3F80), 1.0f);
    QCOMPARE(f32_to_bf16(1.0f), uint16_t{0x3F80});
    // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: to even (1.0).
    QCOMPARE(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), uint16_t{0x3F80});
    QCOMPARE(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), uint16_t{0x3F82});
    QVERIFY(std::isnan(bf16_to_f32(f32_to_bf16(std::nanf("")))));
  }
};

QTEST_APPLESS_MAIN(TestFp16)
#include "test-kernels-fp16.moc"
