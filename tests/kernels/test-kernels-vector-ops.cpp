// Every runnable ISA variant of the element-wise ops, softmax, selection and the f16/bf16 row
// conversions against the scalar reference, with odd lengths and unaligned starts.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernel-test-util.hpp"
#include "moe/kernels/dispatch.hpp"
#include "moe/kernels/fp16.hpp"
#include "moe/kernels/reference.hpp"

#include <QtTest>

using namespace moe::kern;
using moe::test::nmse;
using moe::test::random_floats;

namespace {

QString fail(Isa isa, const char* what, double err) {
  return QString("%1 %2: nmse %3").arg(isa_name(isa).data(), what).arg(err);
}

void lengths_data() {
  QTest::addColumn<int>("n");
  QTest::addColumn<int>("offset");
  for (int n : {1, 3, 7, 16, 17, 31, 64, 100, 257, 1023, 4096})
    for (int off : {0, 1, 3}) QTest::addRow("n=%d off=%d", n, off) << n << off;
}

}  // namespace

class TestVectorOps : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void elementwise_data() { lengths_data(); }
  void elementwise() {
    QFETCH(int, n);
    QFETCH(int, offset);
    const size_t len = static_cast<size_t>(n), off = static_cast<size_t>(offset);
    const auto a = random_floats(len + off, 11, 3.0f);
    const auto b = random_floats(len + off, 12, 3.0f);
    std::vector<float> want(len), got(len);
    for (Isa isa : runnable_isas()) {
      const KernelTable& k = kernels_for(isa);
      ref::add(a.data() + off, b.data() + off, want.data(), len);
      k.add(a.data() + off, b.data() + off, got.data(), len);
      QVERIFY2(nmse(got.data(), want.data(), len) < 1e-14, qPrintable(fail(isa, "add", nmse(got.data(), want.data(), len))));

      std::copy_n(a.data() + off, len, want.data());
      std::copy_n(a.data() + off, len, got.data());
      ref::scale(want.data(), len, -0.37f);
      k.scale(got.data(), len, -0.37f);
      QVERIFY2(nmse(got.data(), want.data(), len) < 1e-14, qPrintable(fail(isa, "scale", nmse(got.data(), want.data(), len))));

      std::copy_n(b.data() + off, len, want.data());
      std::copy_n(b.data() + off, len, got.data());
      ref::axpy(0.61f, a.data() + off, want.data(), len);
      k.axpy(0.61f, a.data() + off, got.data(), len);
      QVERIFY2(nmse(got.data(), want.data(), len) < 1e-13, qPrintable(fail(isa, "axpy", nmse(got.data(), want.data(), len))));

      ref::silu(a.data() + off, want.data(), len);
      k.silu(a.data() + off, got.data(), len);
      QVERIFY2(nmse(got.data(), want.data(), len) < 1e-11, qPrintable(fail(isa, "silu", nmse(got.data(), want.data(), len))));

      ref::swiglu(a.data() + off, b.data() + off, want.data(), len);
      k.swiglu(a.data() + off, b.data() + off, got.data(), len);
      QVERIFY2(nmse(got.data(), want.data(), len) < 1e-11, qPrintable(fail(isa, "swiglu", nmse(got.data(), want.data(), len))));
    }
  }

  void softmax_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("offset");
    QTest::addColumn<float>("scale");
    for (int n : {1, 5, 16, 33, 128, 1001})
      for (float s : {1.0f, 0.125f, -2.0f}) QTest::addRow("n=%d s=%g", n, double(s)) << n << 1 << s;
  }
  void softmax() {
    QFETCH(int, n);
    QFETCH(int, offset);
    QFETCH(float, scale);
    const size_t len = static_cast<size_t>(n), off = static_cast<size_t>(offset);
    const auto x = random_floats(len + off, 13, 4.0f);
    std::vector<float> want(x.begin() + off, x.end());
    ref::softmax(want.data(), len, scale);
    double total = 0.0;
    for (float v : want) total += v;
    QVERIFY(std::abs(total - 1.0) < 1e-5);
    for (Isa isa : runnable_isas()) {
      std::vector<float> buf(x);
      kernels_for(isa).softmax(buf.data() + off, len, scale);
      const double err = nmse(buf.data() + off, want.data(), len);
      QVERIFY2(err < 1e-11, qPrintable(fail(isa, "softmax", err)));
    }
  }

  void softmaxLargeLogitsDoNotOverflow() {
    std::vector<float> x = {1000.0f, 999.0f, -1000.0f, 998.0f, 1000.0f};
    for (Isa isa : runnable_isas()) {
      std::vector<float> buf(x);
      kernels_for(isa).softmax(buf.data(), buf.size(), 1.0f);
      for (float v : buf) QVERIFY2(std::isfinite(v), isa_name(isa).data());
      QCOMPARE(buf[0], buf[4]);
      QCOMPARE(buf[2], 0.0f);
    }
  }

  void argmaxAndTopK_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("k");
    QTest::addColumn<bool>("ties");
    for (int n : {1, 7, 8, 60, 64, 129, 1000, 32000})
      for (int k : {1, 2, 4, 8})
        for (bool ties : {false, true})
          if (k <= n) QTest::addRow("n=%d k=%d ties=%d", n, k, int(ties)) << n << k << ties;
  }
  void argmaxAndTopK() {
    QFETCH(int, n);
    QFETCH(int, k);
    QFETCH(bool, ties);
    const size_t len = static_cast<size_t>(n), kk = static_cast<size_t>(k);
    auto x = random_floats(len, 14 + static_cast<uint32_t>(n));
    if (ties)  // coarse values: many equal scores, the lower index must win
      for (float& v : x) v = std::round(v * 2.0f);
    const size_t want_arg = ref::argmax(x.data(), len);
    std::vector<int32_t> want_idx(kk), got_idx(kk);
    std::vector<float> want_val(kk), got_val(kk);
    ref::top_k(x.data(), len, kk, want_idx.data(), want_val.data());
    QCOMPARE(static_cast<size_t>(want_idx[0]), want_arg);
    for (size_t j = 1; j < kk; ++j) {
      QVERIFY(want_val[j] <= want_val[j - 1]);
      if (want_val[j] == want_val[j - 1]) QVERIFY(want_idx[j] > want_idx[j - 1]);
    }
    for (Isa isa : runnable_isas()) {
      const KernelTable& kt = kernels_for(isa);
      QCOMPARE(kt.argmax(x.data(), len), want_arg);
      kt.top_k(x.data(), len, kk, got_idx.data(), got_val.data());
      QVERIFY2(got_idx == want_idx, isa_name(isa).data());
      QVERIFY2(got_val == want_val, isa_name(isa).data());
    }
  }

  void conversionsAreBitExact_data() { lengths_data(); }
  void conversionsAreBitExact() {
    QFETCH(int, n);
    QFETCH(int, offset);
    const size_t len = static_cast<size_t>(n), off = static_cast<size_t>(offset);
    // Mixed magnitudes reach f16 subnormals, overflow to inf and rounding ties; a few
    // specials ride along.
    auto x = random_floats(len + off, 15, 1.0f);
    for (size_t i = 0; i < x.size(); ++i) x[i] *= std::ldexp(1.0f, static_cast<int>(i % 41) - 24);
    const float specials[] = {0.0f, -0.0f, 65504.0f, 65520.0f, 1e-8f, -6.1e-5f,
                              std::numeric_limits<float>::infinity(), 1.00048828125f, 3.0e-41f};
    for (size_t i = 0; i < std::size(specials) && off + i < x.size(); ++i) x[off + i] = specials[i];
    std::vector<uint16_t> want16(len), got16(len);
    std::vector<float> wantf(len), gotf(len);
    for (Isa isa : runnable_isas()) {
      const KernelTable& k = kernels_for(isa);
      ref::f32_to_f16(x.data() + off, want16.data(), len);
      k.f32_to_f16(x.data() + off, got16.data(), len);
      QVERIFY2(got16 == want16, qPrintable(QString("%1 f32->f16").arg(isa_name(isa).data())));
      ref::f16_to_f32(want16.data(), wantf.data(), len);
      k.f16_to_f32(want16.data(), gotf.data(), len);
      QVERIFY2(std::memcmp(gotf.data(), wantf.data(), len * 4) == 0, qPrintable(QString("%1 f16->f32").arg(isa_name(isa).data())));
      ref::f32_to_bf16(x.data() + off, want16.data(), len);
      k.f32_to_bf16(x.data() + off, got16.data(), len);
      QVERIFY2(got16 == want16, qPrintable(QString("%1 f32->bf16").arg(isa_name(isa).data())));
      ref::bf16_to_f32(want16.data(), wantf.data(), len);
      k.bf16_to_f32(want16.data(), gotf.data(), len);
      QVERIFY2(std::memcmp(gotf.data(), wantf.data(), len * 4) == 0, qPrintable(QString("%1 bf16->f32").arg(isa_name(isa).data())));
    }
  }

  // Quiet and signalling NaNs of both signs with payloads: every variant's f16 rounding
  // (F16C, NEON FCVTN, portable) gives the reference's quiet NaN, top payload bits kept.
  void f16NaNsMatchReference() {
    std::vector<float> x;
    for (uint32_t bits : {0x7FC00000u, 0x7FA00000u, 0x7F802000u, 0x7FFFE000u, 0x7F800001u})
      for (uint32_t sign : {0u, 0x80000000u})
        for (int i = 0; i < 4; ++i) x.push_back(__builtin_bit_cast(float, sign | bits));
    std::vector<uint16_t> want(x.size()), got(x.size());
    ref::f32_to_f16(x.data(), want.data(), x.size());
    for (Isa isa : runnable_isas()) {
      kernels_for(isa).f32_to_f16(x.data(), got.data(), x.size());
      QVERIFY2(got == want, isa_name(isa).data());
    }
  }

  void bf16KeepsNaN() {
    std::vector<float> x(37, std::numeric_limits<float>::quiet_NaN());
    std::vector<uint16_t> y(x.size());
    for (Isa isa : runnable_isas()) {
      kernels_for(isa).f32_to_bf16(x.data(), y.data(), x.size());
      for (uint16_t v : y) QVERIFY2(std::isnan(bf16_to_f32(v)), isa_name(isa).data());
    }
  }
};

QTEST_APPLESS_MAIN(TestVectorOps)
#include "test-kernels-vector-ops.moc"
