// Every runnable ISA variant of the basic vector ops against the scalar reference, with odd
// lengths and unaligned starts.
#include "kernel-test-util.hpp"
#include "moe/kernels/dispatch.hpp"
#include "moe/kernels/reference.hpp"

#include <cstdlib>

#include <QtTest>

using namespace moe::kern;

class TestBasicOps : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void variantsIncludeScalarAndBest() {
    const auto isas = runnable_isas();
    QVERIFY(!isas.empty());
    QCOMPARE(isas.front(), Isa::scalar);
    QCOMPARE(best_isa(), isas.back());
    for (Isa isa : isas) QCOMPARE(std::string(kernels_for(isa).isa_name), std::string(isa_name(isa)));
  }

  // NEON is part of the arm64 baseline: an arm64 build without it would compare only the
  // scalar reference with itself (packaging/cross-test-aarch64.sh runs this under qemu).
  void neonExactlyOnArm64() {
#if defined(__aarch64__)
    QVERIFY(isa_runnable(Isa::neon));
    QCOMPARE(runnable_isas().back(), Isa::neon);
    if (!std::getenv("MOESCOPE_ISA")) QCOMPARE(std::string(kernels().isa_name), std::string("neon"));
#else
    QVERIFY(!isa_runnable(Isa::neon));
#endif
  }

  void dotMatchesReference_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("offset");
    for (int n : {1, 7, 16, 31, 64, 100, 257, 1023, 4096})
      for (int off : {0, 1, 3}) QTest::addRow("n=%d off=%d", n, off) << n << off;
  }
  void dotMatchesReference() {
    QFETCH(int, n);
    QFETCH(int, offset);
    const auto a = moe::test::random_floats(static_cast<size_t>(n + offset), 1);
    const auto b = moe::test::random_floats(static_cast<size_t>(n + offset), 2);
    const float want = ref::dot_f32(a.data() + offset, b.data() + offset, static_cast<size_t>(n));
    for (Isa isa : runnable_isas()) {
      const float got = kernels_for(isa).dot_f32(a.data() + offset, b.data() + offset, static_cast<size_t>(n));
      const double err = moe::test::nmse(&got, &want, 1);
      QVERIFY2(err < 1e-9, qPrintable(QString("%1: nmse %2").arg(isa_name(isa).data()).arg(err)));
    }
  }

  void rmsNormMatchesReference_data() { dotMatchesReference_data(); }
  void rmsNormMatchesReference() {
    QFETCH(int, n);
    QFETCH(int, offset);
    const size_t len = static_cast<size_t>(n + offset);
    const auto x = moe::test::random_floats(len, 3, 2.0f);
    const auto w = moe::test::random_floats(len, 4);
    std::vector<float> want(len), got(len);
    ref::rms_norm(x.data() + offset, w.data() + offset, want.data(), static_cast<size_t>(n), 1e-6f);
    for (Isa isa : runnable_isas()) {
      kernels_for(isa).rms_norm(x.data() + offset, w.data() + offset, got.data(), static_cast<size_t>(n), 1e-6f);
      const double err = moe::test::nmse(got.data(), want.data(), static_cast<size_t>(n));
      QVERIFY2(err < 1e-10, qPrintable(QString("%1: nmse %2").arg(isa_name(isa).data()).arg(err)));
    }
  }

  void rmsNormUsesEpsilon() {
    // A zero vector is where eps decides the scale: 1/sqrt(eps) times 0 stays 0, and a tiny
    // vector shows eps directly: y = x / sqrt(x^2 + eps).
    const float x[1] = {1e-3f}, w[1] = {1.0f};
    float y[1];
    ref::rms_norm(x, w, y, 1, 1e-6f);
    QVERIFY(std::abs(y[0] - 1e-3f / std::sqrt(1e-6f + 1e-6f)) < 1e-5f);
  }
};

QTEST_APPLESS_MAIN(TestBasicOps)
#include "test-kernels-basic-ops.moc"
