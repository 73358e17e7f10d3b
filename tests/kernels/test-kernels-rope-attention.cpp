// RoPE (both pairings, partial rotation) and causal GQA attention (decode and prefill, F32
// and F16 caches) for every runnable ISA against the scalar reference.
#include <cmath>

#include "kernel-test-util.hpp"
#include "moe/kernels/dispatch.hpp"
#include "moe/kernels/fp16.hpp"
#include "moe/kernels/reference.hpp"

#include <QtTest>

using namespace moe::kern;
using moe::test::nmse;
using moe::test::random_floats;

class TestRopeAttention : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void ropeCosSinMatchesDefinition() {
    std::vector<float> cs(64);
    rope_cos_sin(cs.data(), 7, 64, 10000.0f, 0.5f);
    for (size_t i = 0; i < 32; ++i) {
      const double theta = 7 * 0.5 * std::pow(10000.0, -2.0 * double(i) / 64.0);
      QVERIFY(std::abs(cs[2 * i] - std::cos(theta)) < 1e-6);
      QVERIFY(std::abs(cs[2 * i + 1] - std::sin(theta)) < 1e-6);
    }
  }

  void ropeRotatesPairs() {
    // Position 1, one pair, angle 1 rad: normal mode rotates (x0, x1), neox (x0, x2).
    float cs[2];
    rope_cos_sin(cs, 1, 2, 10000.0f, 1.0f);
    float x[4] = {1.0f, 0.0f, 0.0f, 5.0f};
    ref::rope({x, 1, 4, 2, cs, RopeMode::normal});
    QVERIFY(std::abs(x[0] - std::cos(1.0f)) < 1e-6f && std::abs(x[1] - std::sin(1.0f)) < 1e-6f);
    QCOMPARE(x[3], 5.0f);
    float cs4[4];
    rope_cos_sin(cs4, 1, 4, 10000.0f, 1.0f);
    float y[4] = {1.0f, 0.0f, 0.0f, 0.0f};
    ref::rope({y, 1, 4, 4, cs4, RopeMode::neox});
    QVERIFY(std::abs(y[0] - std::cos(1.0f)) < 1e-6f && std::abs(y[2] - std::sin(1.0f)) < 1e-6f);
    QCOMPARE(y[1], 0.0f);
  }

  void ropeMatchesReference_data() {
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<int>("nRot");
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("pos");
    for (int mode : {0, 1})
      for (auto [hd, nr] : {std::pair{64, 64}, {128, 128}, {80, 40}, {18, 18}, {6, 2}, {256, 64}})
        for (int pos : {0, 3, 4097})
          QTest::addRow("%s hd=%d rot=%d pos=%d", mode ? "neox" : "normal", hd, nr, pos) << 5 << hd << nr << mode << pos;
  }
  void ropeMatchesReference() {
    QFETCH(int, heads);
    QFETCH(int, headDim);
    QFETCH(int, nRot);
    QFETCH(int, mode);
    QFETCH(int, pos);
    const size_t n = size_t(heads) * size_t(headDim);
    std::vector<float> cs(static_cast<size_t>(nRot));
    rope_cos_sin(cs.data(), pos, size_t(nRot), 1e6f, 1.0f);
    const auto x = random_floats(n + 1, 21);
    std::vector<float> want(x);
    const RopeMode m = mode ? RopeMode::neox : RopeMode::normal;
    ref::rope({want.data() + 1, size_t(heads), size_t(headDim), size_t(nRot), cs.data(), m});
    for (Isa isa : runnable_isas()) {
      std::vector<float> got(x);
      kernels_for(isa).rope({got.data() + 1, size_t(heads), size_t(headDim), size_t(nRot), cs.data(), m});
      const double err = nmse(got.data(), want.data(), n + 1);
      QVERIFY2(err < 1e-12, qPrintable(QString("%1: nmse %2").arg(isa_name(isa).data()).arg(err)));
    }
  }

  void attentionMatchesReference_data() {
    QTest::addColumn<int>("nHead");
    QTest::addColumn<int>("nHeadKv");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<int>("nTokens");
    QTest::addColumn<int>("pos0");
    QTest::addColumn<bool>("f16");
    for (bool f16 : {false, true}) {
      // decode: one token at the end of the cache
      QTest::addRow("decode gqa4 d64 kv1 %s", f16 ? "f16" : "f32") << 8 << 2 << 64 << 1 << 0 << f16;
      QTest::addRow("decode gqa4 d64 kv77 %s", f16 ? "f16" : "f32") << 8 << 2 << 64 << 1 << 76 << f16;
      QTest::addRow("decode mha d128 kv300 %s", f16 ? "f16" : "f32") << 4 << 4 << 128 << 1 << 299 << f16;
      QTest::addRow("decode gqa7 d37 kv33 %s", f16 ? "f16" : "f32") << 7 << 1 << 37 << 1 << 32 << f16;
      // prefill: causal blocks of queries, with and without earlier context
      QTest::addRow("prefill gqa2 d64 t13 %s", f16 ? "f16" : "f32") << 4 << 2 << 64 << 13 << 0 << f16;
      QTest::addRow("prefill gqa2 d64 t7 pos40 %s", f16 ? "f16" : "f32") << 4 << 2 << 64 << 7 << 40 << f16;
      QTest::addRow("prefill gqa3 d20 t70 pos5 %s", f16 ? "f16" : "f32") << 6 << 2 << 20 << 70 << 5 << f16;
    }
  }
  void attentionMatchesReference() {
    QFETCH(int, nHead);
    QFETCH(int, nHeadKv);
    QFETCH(int, headDim);
    QFETCH(int, nTokens);
    QFETCH(int, pos0);
    QFETCH(bool, f16);
    const size_t D = size_t(headDim), H = size_t(nHead), HKV = size_t(nHeadKv);
    const size_t T = size_t(nTokens), n_kv = size_t(pos0) + T;
    // Cache layout [pos][kv head][dim] with one spare element per position row, so the
    // strides are not the packed ones.
    const size_t pos_stride = HKV * D + 1;
    const auto kf = random_floats(n_kv * pos_stride, 31);
    const auto vf = random_floats(n_kv * pos_stride, 32);
    std::vector<uint16_t> kh(kf.size()), vh(vf.size());
    for (size_t i = 0; i < kf.size(); ++i) kh[i] = f32_to_f16(kf[i]), vh[i] = f32_to_f16(vf[i]);
    const auto q = random_floats(T * H * D, 33, 0.5f);
    std::vector<float> want(T * H * D), got(T * H * D);
    AttentionArgs a{};
    a.q = q.data();
    a.k = f16 ? static_cast<const void*>(kh.data()) : kf.data();
    a.v = f16 ? static_cast<const void*>(vh.data()) : vf.data();
    a.kv_type = f16 ? GgmlType::F16 : GgmlType::F32;
    a.k_pos_stride = a.v_pos_stride = pos_stride;
    a.k_head_stride = a.v_head_stride = D;
    a.n_head = H;
    a.n_head_kv = HKV;
    a.head_dim = D;
    a.n_tokens = T;
    a.pos0 = size_t(pos0);
    a.scale = 1.0f / std::sqrt(float(D));
    a.out = want.data();
    ref::attention(a, 0, H);
    for (Isa isa : runnable_isas()) {
      std::fill(got.begin(), got.end(), NAN);
      a.out = got.data();
      // Two head ranges, as the engine splits heads across threads.
      kernels_for(isa).attention(a, 0, H / 2);
      kernels_for(isa).attention(a, H / 2, H);
      const double err = nmse(got.data(), want.data(), got.size());
      QVERIFY2(err < 1e-10, qPrintable(QString("%1: nmse %2").arg(isa_name(isa).data()).arg(err)));
    }
  }

  void attentionIsCausal() {
    // Changing a future key must not change an earlier query's output.
    const size_t D = 16, T = 5;
    auto k = random_floats(T * D, 41), v = random_floats(T * D, 42);
    const auto q = random_floats(T * D, 43);
    std::vector<float> out1(T * D), out2(T * D);
    AttentionArgs a{q.data(), k.data(), v.data(), GgmlType::F32, D, D, D, D, 1, 1, D, T, 0, 0.25f, out1.data()};
    for (Isa isa : runnable_isas()) {
      a.out = out1.data();
      kernels_for(isa).attention(a, 0, 1);
      k[4 * D] += 10.0f;
      v[4 * D] += 10.0f;
      a.out = out2.data();
      kernels_for(isa).attention(a, 0, 1);
      k[4 * D] -= 10.0f;
      v[4 * D] -= 10.0f;
      for (size_t i = 0; i < 4 * D; ++i) QCOMPARE(out2[i], out1[i]);
      QVERIFY(out2[4 * D] != out1[4 * D]);
    }
  }
};

QTEST_APPLESS_MAIN(TestRopeAttention)
#include "test-kernels-rope-attention.moc"
