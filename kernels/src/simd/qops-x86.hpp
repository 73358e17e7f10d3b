#pragma once
// The integer vocabulary of the quantized dot products on x86 (xsimd 8.1 has no widening
// u8 x s8 multiply-add): one 32-byte unit = one 32-value block. Included only by the avx2 and
// avx512 ISA files; a template on Arch, so each file gets its own copy (ODR).
//
// Exactness: every product sum below is exact. maddubs adds two u8 x s8 products into an i16
// and saturates above 32767; callers keep the unsigned side <= 128 and the signed side in
// [-127, 127] (q8_0 / q8_K never produce -128), so |pair| <= 32512.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace moe::kern::simd {

// pshufb masks selecting i16 word w0 in the low 128-bit half and w1 in the high half.
template <class Arch>
struct PickMask {
  alignas(32) uint8_t b[32];
};
template <class Arch>
constexpr PickMask<Arch> pick_mask(int w0, int w1) {
  PickMask<Arch> m{};
  for (int i = 0; i < 16; ++i) {
    m.b[i] = static_cast<uint8_t>(2 * w0 + (i & 1));
    m.b[16 + i] = static_cast<uint8_t>(2 * w1 + (i & 1));
  }
  return m;
}
template <class Arch>
inline constexpr PickMask<Arch> kPickK4[8] = {pick_mask<Arch>(0, 0), pick_mask<Arch>(1, 1), pick_mask<Arch>(2, 2),
                                              pick_mask<Arch>(3, 3), pick_mask<Arch>(4, 4), pick_mask<Arch>(5, 5),
                                              pick_mask<Arch>(6, 6), pick_mask<Arch>(7, 7)};
template <class Arch>
inline constexpr PickMask<Arch> kPickQ6[4] = {pick_mask<Arch>(0, 1), pick_mask<Arch>(2, 3), pick_mask<Arch>(4, 5),
                                              pick_mask<Arch>(6, 7)};

template <class Arch, bool Vnni>
struct X86QuantOps {
  static constexpr bool available = true;
  using vi = __m256i;  // 32 x u8/s8, or 8 x i32 partial sums
  using vf = __m256;   // 8 x f32 partial sums

  // p points at 32 (load) or 16 (load_q4_16) readable bytes.
  static vi load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  // 16 packed bytes -> 32 unsigned nibbles: low nibbles first (values 0-15), then high.
  static vi load_q4_16(const void* p) {
    const __m128i b = _mm_loadu_si128(static_cast<const __m128i*>(p));
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(b, 4), b), _mm256_set1_epi8(0x0F));
  }
  static vi nib_lo(vi x) { return _mm256_and_si256(x, _mm256_set1_epi8(0x0F)); }
  static vi nib_hi(vi x) { return _mm256_and_si256(_mm256_srli_epi16(x, 4), _mm256_set1_epi8(0x0F)); }
  // ((x >> shift) & 3) << 4 per byte; the 16-bit shifts cannot carry across bytes after the mask.
  static vi bits2_shl4(vi x, int shift) {
    const vi v = _mm256_and_si256(_mm256_srl_epi16(x, _mm_cvtsi32_si128(shift)), _mm256_set1_epi8(3));
    return _mm256_slli_epi16(v, 4);
  }
  // 16 where bit `bit` of the byte is set, else 0.
  static vi bit_to_16(vi x, int bit) {
    const vi v = _mm256_and_si256(_mm256_srl_epi16(x, _mm_cvtsi32_si128(bit)), _mm256_set1_epi8(1));
    return _mm256_slli_epi16(v, 4);
  }
  static vi or_(vi a, vi b) { return _mm256_or_si256(a, b); }
  static vi ones8() { return _mm256_set1_epi8(1); }
  // The 32 bits at p (q5_0 / q5_1 qh) as 16 (bit set) or 0 per byte, bit i -> byte i:
  // each byte picks its source byte, then keeps only its own bit.
  static vi bits32_to_16(const uint8_t* p) {
    uint32_t x;
    std::memcpy(&x, p, 4);
    const vi spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(x)),
                                          _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                                            0x0101010101010101, 0x0000000000000000));
    const vi bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(16));
  }
  // iq4_nl: nibble -> its signed level (kValuesIq4nl of quant-internal.hpp).
  static vi iq4nl_values(vi nibbles) {
    const __m128i lut = _mm_setr_epi8(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
    return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(lut), nibbles);
  }
  static vi sub8(vi x) { return _mm256_sub_epi8(x, _mm256_set1_epi8(8)); }
  static vi zero() { return _mm256_setzero_si256(); }
  static vi add_i(vi a, vi b) { return _mm256_add_epi32(a, b); }

  // acc += sums of four u8 x s8 products per i32 lane.
  static vi dot_us(vi acc, vi u, vi s) {
    if constexpr (Vnni) {
      return _mm256_dpbusd_epi32(acc, u, s);  // AVX512-VNNI (VL): no i16 intermediate
    } else {
      return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
    }
  }
  // Signed x signed through |a| and sign(b, a): same products, unsigned first operand.
  static vi dot_ss(vi acc, vi a, vi b) { return dot_us(acc, _mm256_abs_epi8(a), _mm256_sign_epi8(b, a)); }
  // q4_0: (u - 8) . s for unsigned nibbles u. VNNI: u . s - 8 . s, two multiply-adds and no
  // sign juggling; otherwise through dot_ss.
  static vi dot_q4(vi acc, vi u, vi s) {
    if constexpr (Vnni)
      return _mm256_sub_epi32(dot_us(acc, u, s), dot_us(zero(), _mm256_set1_epi8(8), s));
    else
      return dot_ss(acc, sub8(u), s);
  }
  // acc += scales * (u . s), scales holding one i16 scale per 16-byte half (pick_* below).
  static vi dot_scaled(vi acc, vi u, vi s, vi scales) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), scales));
  }

  // --- q4_K / q5_K scales: eight 6-bit scales and mins per super-block (layout in
  // quant-internal.hpp), unpacked with 32-bit word operations as ggml does.
  struct K4Scales {
    vi table;      // scales 0-7 as i16, the same in both 128-bit halves
    __m128i mins;  // mins 0-7 as i16
  };
  // Scales and mins 0-7 as eight u8 each (ggml's kmask word operations, in registers).
  static void k4_unpack(const uint8_t* packed, __m128i& scales, __m128i& mins) {
    uint32_t a, b, c;
    std::memcpy(&a, packed, 4);
    std::memcpy(&b, packed + 4, 4);
    std::memcpy(&c, packed + 8, 4);
    constexpr uint32_t m1 = 0x3f3f3f3f, m2 = 0x0f0f0f0f, m3 = 0x03030303;
    const uint64_t sc = (a & m1) | (uint64_t((c & m2) | (((a >> 6) & m3) << 4)) << 32);
    const uint64_t mn = (b & m1) | (uint64_t(((c >> 4) & m2) | (((b >> 6) & m3) << 4)) << 32);
    scales = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<long long>(sc)));
    mins = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<long long>(mn)));
  }
  static K4Scales k4_prepare(const uint8_t* packed) {
    __m128i scales, mins;
    k4_unpack(packed, scales, mins);
    return {_mm256_broadcastsi128_si256(scales), mins};
  }
  // Scale j (0-7) in every i16 lane.
  static vi k4_scale(const K4Scales& s, int j) { return _mm256_shuffle_epi8(s.table, load(kPickK4<Arch>[j].b)); }
  // sum_j min_j * (bsums[2j] + bsums[2j+1]), exact in i32.
  static int32_t k4_summs(const K4Scales& s, const int16_t* bsums) { return hsum_i128(k4_summs_lanes(s.mins, bsums)); }
  // Four i32 lanes summing to k4_summs.
  static __m128i k4_summs_lanes(__m128i mins, const int16_t* bsums) {
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums + 8));
    return _mm_madd_epi16(mins, _mm_hadd_epi16(lo, hi));
  }

  // --- q6_K: sixteen signed 8-bit scales, one per 16 values.
  // Scales 8h .. 8h+7 as i16, the same in both halves.
  using Q6Table = vi;
  static vi q6_table(const int8_t* scales, int h) {
    const __m128i v = _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales + 8 * h)));
    return _mm256_broadcastsi128_si256(v);
  }
  // Scale 2k in the low half, 2k+1 in the high half (k = 0..3).
  static vi q6_scale(vi table, int k) { return _mm256_shuffle_epi8(table, load(kPickQ6<Arch>[k].b)); }
  // sum_s scale_s * bsums[s], exact in i32.
  static int32_t q6_offset(const int8_t* scales, const int16_t* bsums) { return hsum_i(q6_offset_lanes(scales, bsums)); }
  static vi q6_offset_lanes(const int8_t* scales, const int16_t* bsums) {
    const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
    return _mm256_madd_epi16(sc, load(bsums));
  }

  // --- 64-value groups of the K-quants (two 32-byte units here; one zmm in the AVX-512
  // ops). Values are unsigned; GS holds the i16 scale of every 16-byte run.
  struct G {
    vi a, b;  // values 0-31, 32-63
  };
  using GS = G;
  using Acc = vi;
  static Acc acc_zero() { return zero(); }
  static int32_t acc_hsum(Acc a) { return hsum_i(a); }
  // Float accumulation of integer lanes (GEMM: no horizontal sum per super-block).
  using FAcc = vf;
  static FAcc facc_zero() { return fzero(); }
  static FAcc facc_add(FAcc f, Acc i, float scale) { return fmadd_i(scale, i, f); }
  static Acc widen(__m128i v) { return _mm256_zextsi128_si256(v); }
  static Acc widen(vi v) { return v; }
  static float facc_hsum(FAcc f) { return hsum(f); }
  // q4_K: 32 bytes of qs -> sub-block 2p (low nibbles), 2p + 1 (high nibbles).
  static G q4k_unpack(const uint8_t* qs32) {
    const vi raw = load(qs32);
    return {nib_lo(raw), nib_hi(raw)};
  }
  // q5_K: as q4_K plus the fifth bit, bits 2p and 2p + 1 of the 32 qh bytes.
  static G q5k_unpack(const uint8_t* qs32, const uint8_t* qh32, int p) {
    const vi raw = load(qs32), qh = load(qh32);
    return {or_(nib_lo(raw), bit_to_16(qh, 2 * p)), or_(nib_hi(raw), bit_to_16(qh, 2 * p + 1))};
  }
  static GS k4_group_scales(const K4Scales& s, int p) { return {k4_scale(s, 2 * p), k4_scale(s, 2 * p + 1)}; }
  // q6_K: values 64 half .. 64 half + 63 of the 128 held by 64 ql bytes and 32 qh bytes.
  static G q6k_unpack(const uint8_t* ql64, const uint8_t* qh32, int half) {
    const vi ql0 = load(ql64), ql1 = load(ql64 + 32), qh = load(qh32);
    if (half == 0) return {or_(nib_lo(ql0), bits2_shl4(qh, 0)), or_(nib_lo(ql1), bits2_shl4(qh, 2))};
    return {or_(nib_hi(ql0), bits2_shl4(qh, 4)), or_(nib_hi(ql1), bits2_shl4(qh, 6))};
  }
  // q2_K / q3_K: 32 bytes of 2-bit quants hold 128 values, four shifts of 32; `half` picks
  // shifts 2 half and 2 half + 1 (values 64 half .. 64 half + 63 of the 128).
  static vi bits2(vi x, int shift) {
    return _mm256_and_si256(_mm256_srl_epi16(x, _mm_cvtsi32_si128(shift)), _mm256_set1_epi8(3));
  }
  static G q2k_unpack(const uint8_t* qs32, int half) {
    const vi raw = load(qs32);
    return {bits2(raw, 4 * half), bits2(raw, 4 * half + 2)};
  }
  // q3_K: the same plus the high bit from hmask (bit 4n + shift / 2 for 128-value chunk n), as
  // an unsigned 0..7 quant: the reference's (q & 3) - (high ? 0 : 4) is this minus 4.
  static vi hbit4(vi hm, int bit) {
    const vi v = _mm256_and_si256(_mm256_srl_epi16(hm, _mm_cvtsi32_si128(bit)), _mm256_set1_epi8(1));
    return _mm256_slli_epi16(v, 2);
  }
  static G q3k_unpack(const uint8_t* qs32, const uint8_t* hm32, int n, int half) {
    const vi raw = load(qs32), hm = load(hm32);
    return {or_(bits2(raw, 4 * half), hbit4(hm, 4 * n + 2 * half)),
            or_(bits2(raw, 4 * half + 2), hbit4(hm, 4 * n + 2 * half + 1))};
  }
  // q3_K: the 16 signed 6-bit scales (ggml's word operations: low nibbles from bytes 0-7, top
  // 2 bits four per byte in 8-11), stored with one 16-byte store so that the narrower loads
  // of q6_table / q6_offset that follow are forwarded from it.
  static void q3k_scales(const uint8_t* packed, int8_t* out16) {
    int64_t ab;
    int32_t c;
    std::memcpy(&ab, packed, 8);
    std::memcpy(&c, packed + 8, 4);
    const __m128i m2 = _mm_set1_epi8(0x0F), x = _mm_cvtsi64_si128(ab);
    // Dwords: a0 & m2, a1 & m2, (a0 >> 4) & m2, (a1 >> 4) & m2 ...
    const __m128i lo = _mm_unpacklo_epi64(_mm_and_si128(x, m2), _mm_and_si128(_mm_srli_epi16(x, 4), m2));
    // ... each with ((c >> 2i) & m1) << 4 for dword i.
    const __m128i hi = _mm_and_si128(_mm_srlv_epi32(_mm_set1_epi32(c), _mm_setr_epi32(0, 2, 4, 6)), _mm_set1_epi8(3));
    const __m128i v = _mm_or_si128(lo, _mm_slli_epi32(hi, 4));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out16), _mm_sub_epi8(v, _mm_set1_epi8(32)));
  }
  // q2_K: the 4-bit scales (low nibbles) and mins (high nibbles) of the 16 sub-blocks.
  static void q2k_scales(const uint8_t* packed, int8_t* scales16, int8_t* mins16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed));
    const __m128i lo4 = _mm_set1_epi8(0x0F);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(scales16), _mm_and_si128(v, lo4));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(mins16), _mm_and_si128(_mm_srli_epi16(v, 4), lo4));
  }
  // Sub-blocks 4 half .. 4 half + 3 of the table's eight scales, one per 16 values.
  static GS q6_group_scales(vi table, int half) { return {q6_scale(table, 2 * half), q6_scale(table, 2 * half + 1)}; }
  static Acc dot_group(Acc acc, const G& g, const int8_t* y64, const GS& s) {
    acc = dot_scaled(acc, g.a, load(y64), s.a);
    return dot_scaled(acc, g.b, load(y64 + 32), s.b);
  }

  // Four horizontal sums at once (GEMV tail of a 4-row tile): out[i] = sum of the lanes of
  // the i-th vector. Integer sums: exact in any order.
  static __m128i hsum4_128(__m128i a, __m128i b, __m128i c, __m128i d) {
    const __m128i t0 = _mm_add_epi32(_mm_unpacklo_epi32(a, b), _mm_unpackhi_epi32(a, b));
    const __m128i t1 = _mm_add_epi32(_mm_unpacklo_epi32(c, d), _mm_unpackhi_epi32(c, d));
    return _mm_add_epi32(_mm_unpacklo_epi64(t0, t1), _mm_unpackhi_epi64(t0, t1));
  }
  static void hsum4(__m128i a, __m128i b, __m128i c, __m128i d, int32_t* out4) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out4), hsum4_128(a, b, c, d));
  }
  static void hsum4(vi a, vi b, vi c, vi d, int32_t* out4) {
    const vi t0 = _mm256_add_epi32(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
    const vi t1 = _mm256_add_epi32(_mm256_unpacklo_epi32(c, d), _mm256_unpackhi_epi32(c, d));
    const vi u = _mm256_add_epi32(_mm256_unpacklo_epi64(t0, t1), _mm256_unpackhi_epi64(t0, t1));
    const __m128i r = _mm_add_epi32(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out4), r);
  }
  // Pair sums of q8_K's bsums (one per 32-value sub-block), shared by the rows of a tile.
  static __m128i k4_ysum(const int16_t* bsums) {
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums + 8));
    return _mm_hadd_epi16(lo, hi);
  }
  static __m128i k4_summs_y(__m128i mins, __m128i ysum) { return _mm_madd_epi16(mins, ysum); }
  static int32_t hsum_i(vi x) { return hsum_i128(_mm_add_epi32(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1))); }
  static int32_t hsum_i128(__m128i s) {
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
  }

  static float f16(uint16_t h) { return _cvtsh_ss(h); }  // F16C: exact, as the reference
  static vf fzero() { return _mm256_setzero_ps(); }
  static vf fmadd_i(float scale, vi sums, vf acc) {
    return _mm256_fmadd_ps(_mm256_set1_ps(scale), _mm256_cvtepi32_ps(sums), acc);
  }
  static float hsum(vf x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

// pshufb masks for 512-bit scale vectors: i16 word w[l] in 128-bit lane l.
template <class Arch>
struct PickMask64 {
  alignas(64) uint8_t b[64];
};
template <class Arch>
constexpr PickMask64<Arch> pick_mask4(int w0, int w1, int w2, int w3) {
  // The scale goes to the low i16 of every i32 lane, the high i16 is zeroed (index 0x80): the
  // lane is then a (scale, 0) pair for VPDPWSSD.
  PickMask64<Arch> m{};
  const int w[4] = {w0, w1, w2, w3};
  for (int i = 0; i < 64; ++i) m.b[i] = (i & 2) ? uint8_t{0x80} : static_cast<uint8_t>(2 * w[i / 16] + (i & 1));
  return m;
}
template <class Arch>
inline constexpr PickMask64<Arch> kPickK4x4[4] = {pick_mask4<Arch>(0, 0, 1, 1), pick_mask4<Arch>(2, 2, 3, 3),
                                                  pick_mask4<Arch>(4, 4, 5, 5), pick_mask4<Arch>(6, 6, 7, 7)};
template <class Arch>
inline constexpr PickMask64<Arch> kPickQ6x4[2] = {pick_mask4<Arch>(0, 1, 2, 3), pick_mask4<Arch>(4, 5, 6, 7)};

// AVX-512BW: the K-quant groups in one zmm (64 values), twice the work per instruction of
// the 256-bit units; the rest is inherited.
template <class Arch>
struct Avx512QuantOps : X86QuantOps<Arch, true> {
  using Base = X86QuantOps<Arch, true>;
  struct K4Scales {
    __m512i table;  // scales 0-7 as i16 in every 128-bit lane
    __m128i mins;
  };
  static K4Scales k4_prepare(const uint8_t* packed) {
    __m128i scales, mins;
    Base::k4_unpack(packed, scales, mins);
    return {_mm512_broadcast_i32x4(scales), mins};
  }
  static int32_t k4_summs(const K4Scales& s, const int16_t* bsums) {
    return Base::hsum_i128(Base::k4_summs_lanes(s.mins, bsums));
  }
  using Q6Table = __m512i;
  static Q6Table q6_table(const int8_t* scales, int h) {
    const __m128i v = _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales + 8 * h)));
    return _mm512_broadcast_i32x4(v);
  }
  struct G {
    __m512i v;
  };
  using GS = G;
  using Acc = __m512i;
  // p points at 64 (load512) or 32 (bcast256) readable bytes.
  static __m512i load512(const void* p) { return _mm512_loadu_si512(p); }
  static __m512i bcast256(const void* p) {
    return _mm512_broadcast_i64x4(_mm256_loadu_si256(static_cast<const __m256i*>(p)));
  }
  // Per-16-bit shift counts: a in the low 256 bits, b in the high 256 bits.
  static __m512i shifts(int16_t a, int16_t b) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(a)), _mm256_set1_epi16(b), 1);
  }
  static Acc acc_zero() { return _mm512_setzero_si512(); }
  static int32_t acc_hsum(Acc a) { return _mm512_reduce_add_epi32(a); }
  using Base::hsum4;
  static void hsum4(Acc a, Acc b, Acc c, Acc d, int32_t* out4) {
    const Acc t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
    const Acc t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
    const Acc u = _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
    const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(u), _mm512_extracti64x4_epi64(u, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out4),
                     _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1)));
  }
  using FAcc = __m512;
  static FAcc facc_zero() { return _mm512_setzero_ps(); }
  static FAcc facc_add(FAcc f, Acc i, float scale) {
    return _mm512_fmadd_ps(_mm512_set1_ps(scale), _mm512_cvtepi32_ps(i), f);
  }
  static Acc widen(__m128i v) { return _mm512_zextsi128_si512(v); }
  static Acc widen(__m256i v) { return _mm512_zextsi256_si512(v); }
  static float facc_hsum(FAcc f) { return _mm512_reduce_add_ps(f); }
  static G q4k_unpack(const uint8_t* qs32) {
    const __m512i v = _mm512_srlv_epi16(bcast256(qs32), shifts(0, 4));
    return {_mm512_and_si512(v, _mm512_set1_epi8(0x0F))};
  }
  static G q5k_unpack(const uint8_t* qs32, const uint8_t* qh32, int p) {
    const __m512i lo = q4k_unpack(qs32).v;
    const auto bit = static_cast<int16_t>(2 * p);
    const __m512i h = _mm512_and_si512(_mm512_srlv_epi16(bcast256(qh32), shifts(bit, int16_t(bit + 1))),
                                       _mm512_set1_epi8(1));
    return {_mm512_or_si512(lo, _mm512_slli_epi16(h, 4))};
  }
  static GS k4_group_scales(const K4Scales& s, int p) {
    return {_mm512_shuffle_epi8(s.table, load512(kPickK4x4<Arch>[p].b))};
  }
  static G q6k_unpack(const uint8_t* ql64, const uint8_t* qh32, int half) {
    const __m512i ql = load512(ql64);
    const __m512i nib = half == 0 ? ql : _mm512_srli_epi16(ql, 4);
    const __m512i sh = half == 0 ? shifts(0, 2) : shifts(4, 6);
    const __m512i h = _mm512_and_si512(_mm512_srlv_epi16(bcast256(qh32), sh), _mm512_set1_epi8(3));
    return {_mm512_or_si512(_mm512_and_si512(nib, _mm512_set1_epi8(0x0F)), _mm512_slli_epi16(h, 4))};
  }
  static G q2k_unpack(const uint8_t* qs32, int half) {
    const auto sh = static_cast<int16_t>(4 * half);
    return {_mm512_and_si512(_mm512_srlv_epi16(bcast256(qs32), shifts(sh, int16_t(sh + 2))), _mm512_set1_epi8(3))};
  }
  static G q3k_unpack(const uint8_t* qs32, const uint8_t* hm32, int n, int half) {
    const __m512i lo = q2k_unpack(qs32, half).v;
    const auto bit = static_cast<int16_t>(4 * n + 2 * half);
    const __m512i h = _mm512_and_si512(_mm512_srlv_epi16(bcast256(hm32), shifts(bit, int16_t(bit + 1))), _mm512_set1_epi8(1));
    return {_mm512_or_si512(lo, _mm512_slli_epi16(h, 2))};
  }
  static GS q6_group_scales(Q6Table table, int half) {
    return {_mm512_shuffle_epi8(table, load512(kPickQ6x4<Arch>[half].b))};
  }
  // acc += scale * (g . y) per 16 values: VPDPBUSD sums four products per i32 lane, which stay
  // inside i16 (|sum| <= 4 * 63 * 127 = 32004 for the widest, q6_K), then VPDPWSSD multiplies
  // that low half by the lane's (scale, 0) pair.
  static Acc dot_group(Acc acc, const G& g, const int8_t* y64, const GS& s) {
    return _mm512_dpwssd_epi32(acc, _mm512_dpbusd_epi32(_mm512_setzero_si512(), g.v, load512(y64)), s.v);
  }
};

}  // namespace moe::kern::simd
