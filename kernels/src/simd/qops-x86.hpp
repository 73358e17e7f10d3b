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

namespace moe::kern::simd {

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
  // acc += sc0 * (u . s over bytes 0-15) + sc1 * (u . s over bytes 16-31), per i32 lane.
  static vi dot_scaled(vi acc, vi u, vi s, int16_t sc0, int16_t sc1) {
    const vi scales = _mm256_set_m128i(_mm_set1_epi16(sc1), _mm_set1_epi16(sc0));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), scales));
  }
  static int32_t hsum_i(vi x) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1));
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

}  // namespace moe::kern::simd
