// The avx512 variant of every kernel: this file alone is compiled with avx512 (F, BW, DQ, VL,
// VNNI, BF16) flags.
// GCC 12 reports its own _mm*_undefined_* self-initialisation inside the AVX-512 intrinsic
// headers (e.g. in _mm512_reduce_add_ps) as (maybe-)uninitialized once inlined; not our state.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include "simd/gemm-vnni512.hpp"
#include "simd/make-table.hpp"
#include "simd/qops-x86.hpp"

namespace moe::kern {

using Avx512 = xsimd::avx512bw;

namespace simd {

// F16C-512 conversions and 16-bit widening/narrowing, which xsimd 8.1 does not provide.
template <>
struct Conv<Avx512> {
  using batch = xsimd::batch<float, Avx512>;
  static constexpr bool native_f16 = true;
  // Loads and stores below touch exactly batch::size halves (32 bytes) at p.
  static batch load_f16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static void store_f16(uint16_t* p, batch v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }
  static batch load_bf16(const uint16_t* p) {
    const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
  }
  static void store_bf16(uint16_t* p, batch v) {
    // Integer rounding rather than vcvtneps2bf16, which flushes denormals (not bit-exact).
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(bf16_round_bits<Avx512>(v)));
  }
};

// Integer dot products for the quantized types (VNNI on 256-bit units, 512-bit K-quant
// groups); the GEMM tile is 4 rows x 4 tokens (32 vector registers), except for the types
// the panel GEMM covers.
template <>
struct QuantOps<Avx512> : Avx512QuantOps<Avx512> {
  static constexpr size_t gemm_rows = 4;
  // Q8_0 / Q4_K / Q5_K / Q6_K prefill: 16-row panels, one row per VNNI lane (gemm-vnni512.hpp).
  static bool panel_gemm(const GemmArgs& g, size_t r0, size_t r1) { return VnniGemm<Avx512>::run(g, r0, r1); }
};

// The optional integer parts the x86 vocabulary provides (matmul-quant.hpp).
static_assert(kHasQ2Q3<QuantOps<Avx512>> && kHasHsum4<QuantOps<Avx512>>);

}  // namespace simd

const KernelTable& table_avx512() {
  static const KernelTable table = simd::make_table<Avx512>("avx512");
  return table;
}

}  // namespace moe::kern
