// The sse42 variant of every kernel: this file alone is compiled with sse4.2 flags. No F16C
// here, so halves convert through the portable Conv path; bfloat16 widens with SSE4.1.
#include <immintrin.h>

#include "simd/make-table.hpp"

namespace moe::kern {

using Sse42 = xsimd::sse4_2;

namespace simd {

template <>
struct Conv<Sse42> {
  using batch = xsimd::batch<float, Sse42>;
  static constexpr bool native_f16 = false;
  static batch load_f16(const uint16_t* p) {
    alignas(16) float tmp[4];
    for (size_t i = 0; i < 4; ++i) tmp[i] = fp16_impl::f16_to_f32<Sse42>(p[i]);
    return batch::load_aligned(tmp);
  }
  static void store_f16(uint16_t* p, batch v) {
    alignas(16) float tmp[4];
    v.store_aligned(tmp);
    for (size_t i = 0; i < 4; ++i) p[i] = fp16_impl::f32_to_f16<Sse42>(tmp[i]);
  }
  // Loads and stores below touch exactly 4 halves (8 bytes) at p.
  static batch load_bf16(const uint16_t* p) {
    const __m128i w = _mm_cvtepu16_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    return _mm_castsi128_ps(_mm_slli_epi32(w, 16));
  }
  static void store_bf16(uint16_t* p, batch v) {
    const __m128i r = bf16_round_bits<Sse42>(v);  // lanes < 2^16: packus is exact
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packus_epi32(r, r));
  }
};

}  // namespace simd

const KernelTable& table_sse42() {
  static const KernelTable table = simd::make_table<Sse42>("sse42");
  return table;
}

}  // namespace moe::kern
