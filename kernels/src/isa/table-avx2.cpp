// The avx2 variant of every kernel: this file alone is compiled with avx2 (+fma, f16c) flags.
#include <immintrin.h>

#include "simd/make-table.hpp"
#include "simd/qops-x86.hpp"

namespace moe::kern {

using Avx2 = xsimd::fma3<xsimd::avx2>;

namespace simd {

// F16C conversions and 16-bit widening/narrowing, which xsimd 8.1 does not provide.
template <>
struct Conv<Avx2> {
  using batch = xsimd::batch<float, Avx2>;
  static constexpr bool native_f16 = true;
  // Loads and stores below touch exactly batch::size halves (16 bytes) at p.
  static batch load_f16(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static void store_f16(uint16_t* p, batch v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }
  static batch load_bf16(const uint16_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
  static void store_bf16(uint16_t* p, batch v) {
    // Lanes hold values < 2^16, so unsigned saturation is exact; packus works per 128-bit
    // half, the permute gathers the two halves' results into the low 128 bits.
    const __m256i r = bf16_round_bits<Avx2>(v);
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
  }
};

// Integer dot products for the quantized types; the GEMM tile is 2 rows x 4 tokens
// (16 vector registers).
template <>
struct QuantOps<Avx2> : X86QuantOps<Avx2, false> {
  static constexpr size_t gemm_rows = 2;
};

// The optional integer parts the x86 vocabulary provides (matmul-quant.hpp).
static_assert(kHasQ2Q3<QuantOps<Avx2>> && kHasHsum4<QuantOps<Avx2>>);

}  // namespace simd

const KernelTable& table_avx2() {
  static const KernelTable table = simd::make_table<Avx2>("avx2");
  return table;
}

}  // namespace moe::kern
