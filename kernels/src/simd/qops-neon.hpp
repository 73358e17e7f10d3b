#pragma once
// The integer vocabulary of the quantized dot products on arm64 NEON (the QuantOps interface
// matmul-quant.hpp uses; qops-x86.hpp is the x86 side). Baseline ARMv8-A only: no SDOT
// (that needs the dotprod extension), so products go through widening multiplies. Included
// only by table-neon.cpp; a template on Arch, so the file gets its own copy (ODR).
//
// Exactness: every sum below is exact. Any s8 x s8 product fits i16 (|p| <= 128 * 128);
// dot16 widens the products pairwise into i32 (vpadal), dot_run adds two in i16 first, which
// the K-quant weight values (< 64) keep below 2 * 63 * 128. The unsigned weight values
// (nibbles, 5- and 6-bit K-quant values) are below 128, so they are multiplied as signed
// bytes.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

namespace moe::kern::simd {

template <class Arch>
struct NeonQuantOps {
  static constexpr bool available = true;
  // 32 bytes (one 32-value block) as two q registers. The dot products return their sums in
  // the same shape: four i32 lanes in `a`, `b` zero.
  struct vi {
    int8x16_t a, b;
  };
  using vf = float32x4_t;

  // p points at 32 (load) or 16 (load_q4_16) readable bytes.
  static vi load(const void* p) {
    const auto* q = static_cast<const int8_t*>(p);
    return {vld1q_s8(q), vld1q_s8(q + 16)};
  }
  // 16 packed bytes -> 32 unsigned nibbles: low nibbles first (values 0-15), then high.
  static vi load_q4_16(const void* p) {
    const uint8x16_t b = vld1q_u8(static_cast<const uint8_t*>(p));
    return {vreinterpretq_s8_u8(vandq_u8(b, vdupq_n_u8(0x0F))), vreinterpretq_s8_u8(vshrq_n_u8(b, 4))};
  }
  static vi or_(vi x, vi y) { return {vorrq_s8(x.a, y.a), vorrq_s8(x.b, y.b)}; }
  static vi ones8() { return {vdupq_n_s8(1), vdupq_n_s8(1)}; }
  static vi zero() { return {vdupq_n_s8(0), vdupq_n_s8(0)}; }
  // The 32 bits at p (q5_0 / q5_1 qh) as 16 (bit set) or 0 per byte, bit i -> byte i: each
  // byte picks its source byte (i / 8), then tests its own bit (i % 8).
  static vi bits32_to_16(const uint8_t* p) {
    uint32_t x;
    std::memcpy(&x, p, 4);
    const uint8x16_t src = vreinterpretq_u8_u32(vdupq_n_u32(x));
    static constexpr uint8_t kPickLo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    static constexpr uint8_t kPickHi[16] = {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
    static constexpr uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t bit = vld1q_u8(kBit), sixteen = vdupq_n_u8(16);
    const uint8x16_t lo = vandq_u8(vtstq_u8(vqtbl1q_u8(src, vld1q_u8(kPickLo)), bit), sixteen);
    const uint8x16_t hi = vandq_u8(vtstq_u8(vqtbl1q_u8(src, vld1q_u8(kPickHi)), bit), sixteen);
    return {vreinterpretq_s8_u8(lo), vreinterpretq_s8_u8(hi)};
  }
  // iq4_nl: nibble -> its signed level (kValuesIq4nl of quant-internal.hpp).
  static vi iq4nl_values(vi nibbles) {
    static constexpr int8_t kLevels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                           1,    13,   25,  38,  53,  69,  89,  113};
    const int8x16_t lut = vld1q_s8(kLevels);
    return {vqtbl1q_s8(lut, vreinterpretq_u8_s8(nibbles.a)), vqtbl1q_s8(lut, vreinterpretq_u8_s8(nibbles.b))};
  }

  // acc + the 16 products of x and y, pairwise in four i32 lanes.
  static int32x4_t dot16(int32x4_t acc, int8x16_t x, int8x16_t y) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(x), vget_low_s8(y)));
    return vpadalq_s16(acc, vmull_high_s8(x, y));
  }
  static vi dot_ss(vi acc, vi x, vi y) {
    const int32x4_t s = dot16(dot16(vreinterpretq_s32_s8(acc.a), x.a, y.a), x.b, y.b);
    return {vreinterpretq_s8_s32(s), vdupq_n_s8(0)};
  }
  static vi dot_us(vi acc, vi u, vi s) { return dot_ss(acc, u, s); }  // u < 128: same bytes
  // q4_0: (u - 8) . s for unsigned nibbles u.
  static vi dot_q4(vi acc, vi u, vi s) {
    const int8x16_t eight = vdupq_n_s8(8);
    return dot_ss(acc, {vsubq_s8(u.a, eight), vsubq_s8(u.b, eight)}, s);
  }

  // --- q4_K / q5_K scales: eight 6-bit scales and mins per super-block (layout in
  // quant-internal.hpp), unpacked with ggml's 32-bit word operations.
  struct K4Scales {
    int16_t scales[8];
    int16x8_t mins;
  };
  static K4Scales k4_prepare(const uint8_t* packed) {
    uint32_t a, b, c;
    std::memcpy(&a, packed, 4);
    std::memcpy(&b, packed + 4, 4);
    std::memcpy(&c, packed + 8, 4);
    constexpr uint32_t m1 = 0x3f3f3f3f, m2 = 0x0f0f0f0f, m3 = 0x03030303;
    const uint64_t sc = (a & m1) | (uint64_t((c & m2) | (((a >> 6) & m3) << 4)) << 32);
    const uint64_t mn = (b & m1) | (uint64_t(((c >> 4) & m2) | (((b >> 6) & m3) << 4)) << 32);
    K4Scales s;
    vst1q_s16(s.scales, vreinterpretq_s16_u16(vmovl_u8(vcreate_u8(sc))));
    s.mins = vreinterpretq_s16_u16(vmovl_u8(vcreate_u8(mn)));
    return s;
  }
  // Four i32 lanes summing to sum_j min_j * (bsums[2j] + bsums[2j+1]); |pair| <= 32 * 127.
  static int32x4_t k4_summs_lanes(int16x8_t mins, const int16_t* bsums) {
    const int16x8_t pairs = vpaddq_s16(vld1q_s16(bsums), vld1q_s16(bsums + 8));
    return vmlal_high_s16(vmull_s16(vget_low_s16(mins), vget_low_s16(pairs)), mins, pairs);
  }
  static int32_t k4_summs(const K4Scales& s, const int16_t* bsums) { return vaddvq_s32(k4_summs_lanes(s.mins, bsums)); }

  // --- q6_K: sixteen signed 8-bit scales, one per 16 values. Scales 8h .. 8h+7 as i16.
  using Q6Table = int16x8_t;
  static Q6Table q6_table(const int8_t* scales, int h) { return vmovl_s8(vld1_s8(scales + 8 * h)); }
  static int32x4_t q6_offset_lanes(const int8_t* scales, const int16_t* bsums) {
    const int8x16_t sc8 = vld1q_s8(scales);
    const int16x8_t lo = vmovl_s8(vget_low_s8(sc8)), hi = vmovl_high_s8(sc8);
    const int16x8_t b0 = vld1q_s16(bsums), b1 = vld1q_s16(bsums + 8);
    int32x4_t s = vmull_s16(vget_low_s16(lo), vget_low_s16(b0));
    s = vmlal_high_s16(s, lo, b0);
    s = vmlal_s16(s, vget_low_s16(hi), vget_low_s16(b1));
    return vmlal_high_s16(s, hi, b1);
  }
  // sum_s scale_s * bsums[s], exact in i32.
  static int32_t q6_offset(const int8_t* scales, const int16_t* bsums) { return vaddvq_s32(q6_offset_lanes(scales, bsums)); }

  // --- 64-value groups of the K-quants as four 16-byte runs; GS holds each run's scale.
  struct G {
    int8x16_t run[4];
  };
  using GS = int16x4_t;
  using Acc = int32x4_t;
  static Acc acc_zero() { return vdupq_n_s32(0); }
  static int32_t acc_hsum(Acc a) { return vaddvq_s32(a); }
  // Float accumulation of integer lanes (GEMM: no horizontal sum per super-block).
  using FAcc = float32x4_t;
  static FAcc facc_zero() { return vdupq_n_f32(0.0f); }
  static FAcc facc_add(FAcc f, Acc i, float scale) { return vfmaq_n_f32(f, vcvtq_f32_s32(i), scale); }
  static Acc widen(int32x4_t v) { return v; }
  static float facc_hsum(FAcc f) { return vaddvq_f32(f); }

  static int8x16_t lo4(uint8x16_t x) { return vreinterpretq_s8_u8(vandq_u8(x, vdupq_n_u8(0x0F))); }
  static int8x16_t hi4(uint8x16_t x) { return vreinterpretq_s8_u8(vshrq_n_u8(x, 4)); }
  // ((x >> shift) & mask) << 4 per byte, shift a run-time count.
  static int8x16_t high_bits(uint8x16_t x, int shift, uint8_t mask) {
    const uint8x16_t v = vandq_u8(vshlq_u8(x, vdupq_n_s8(static_cast<int8_t>(-shift))), vdupq_n_u8(mask));
    return vreinterpretq_s8_u8(vshlq_n_u8(v, 4));
  }
  // q4_K: 32 bytes of qs -> sub-block 2p (low nibbles), 2p + 1 (high nibbles).
  static G q4k_unpack(const uint8_t* qs32) {
    const uint8x16_t r0 = vld1q_u8(qs32), r1 = vld1q_u8(qs32 + 16);
    return {{lo4(r0), lo4(r1), hi4(r0), hi4(r1)}};
  }
  // q5_K: as q4_K plus the fifth bit, bits 2p and 2p + 1 of the 32 qh bytes.
  static G q5k_unpack(const uint8_t* qs32, const uint8_t* qh32, int p) {
    G g = q4k_unpack(qs32);
    const uint8x16_t h0 = vld1q_u8(qh32), h1 = vld1q_u8(qh32 + 16);
    g.run[0] = vorrq_s8(g.run[0], high_bits(h0, 2 * p, 1));
    g.run[1] = vorrq_s8(g.run[1], high_bits(h1, 2 * p, 1));
    g.run[2] = vorrq_s8(g.run[2], high_bits(h0, 2 * p + 1, 1));
    g.run[3] = vorrq_s8(g.run[3], high_bits(h1, 2 * p + 1, 1));
    return g;
  }
  static GS k4_group_scales(const K4Scales& s, int p) {
    const int16_t v[4] = {s.scales[2 * p], s.scales[2 * p], s.scales[2 * p + 1], s.scales[2 * p + 1]};
    return vld1_s16(v);
  }
  // q6_K: values 64 half .. 64 half + 63 of the 128 held by 64 ql bytes and 32 qh bytes
  // (ggml's order: ql[l] and ql[l + 32] low nibbles first, then their high nibbles).
  static G q6k_unpack(const uint8_t* ql64, const uint8_t* qh32, int half) {
    uint8x16_t ql[4] = {vld1q_u8(ql64), vld1q_u8(ql64 + 16), vld1q_u8(ql64 + 32), vld1q_u8(ql64 + 48)};
    const uint8x16_t h0 = vld1q_u8(qh32), h1 = vld1q_u8(qh32 + 16);
    const int s = 4 * half;
    G g;
    for (int k = 0; k < 4; ++k) g.run[k] = half == 0 ? lo4(ql[k]) : hi4(ql[k]);
    g.run[0] = vorrq_s8(g.run[0], high_bits(h0, s, 3));
    g.run[1] = vorrq_s8(g.run[1], high_bits(h1, s, 3));
    g.run[2] = vorrq_s8(g.run[2], high_bits(h0, s + 2, 3));
    g.run[3] = vorrq_s8(g.run[3], high_bits(h1, s + 2, 3));
    return g;
  }
  // Sub-blocks 4 half .. 4 half + 3 of the table's eight scales, one per 16 values.
  static GS q6_group_scales(Q6Table table, int half) { return half == 0 ? vget_low_s16(table) : vget_high_s16(table); }

  // acc += scale_K * (run . y16); each i16 lane holds two products (<= 2 * 63 * 128).
  template <int K>
  static Acc dot_run(Acc acc, int8x16_t run, const int8_t* y16, GS gs) {
    const int8x16_t y = vld1q_s8(y16);
    const int16x8_t p = vaddq_s16(vmull_s8(vget_low_s8(run), vget_low_s8(y)), vmull_high_s8(run, y));
    acc = vmlal_lane_s16(acc, vget_low_s16(p), gs, K);
    return vmlal_high_lane_s16(acc, p, gs, K);
  }
  static Acc dot_group(Acc acc, const G& g, const int8_t* y64, GS gs) {
    acc = dot_run<0>(acc, g.run[0], y64, gs);
    acc = dot_run<1>(acc, g.run[1], y64 + 16, gs);
    acc = dot_run<2>(acc, g.run[2], y64 + 32, gs);
    return dot_run<3>(acc, g.run[3], y64 + 48, gs);
  }

  static float f16(uint16_t h) { return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0); }
  static vf fzero() { return vdupq_n_f32(0.0f); }
  static vf fmadd_i(float scale, vi sums, vf acc) {
    return vfmaq_n_f32(acc, vcvtq_f32_s32(vreinterpretq_s32_s8(sums.a)), scale);
  }
  static float hsum(vf x) { return vaddvq_f32(x); }
};

}  // namespace moe::kern::simd
