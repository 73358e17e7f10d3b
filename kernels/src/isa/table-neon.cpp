// The NEON variant (arm64 builds only): this file alone is compiled for NEON. Half floats
// convert with the baseline FCVTL / FCVTN instructions; the quantized dot products use the
// widening multiplies of qops-neon.hpp.
#include <arm_neon.h>

#include "simd/make-table.hpp"
#include "simd/qops-neon.hpp"

namespace moe::kern {

using Neon = xsimd::neon64;

namespace simd {

// Loads and stores touch exactly batch::size (4) halves, 8 bytes, at p. FCVTN rounds to
// nearest even (Linux leaves FPCR at its default: no flush-to-zero, IEEE halves) and keeps
// NaNs quiet with their top payload bits, as fp16_impl::f32_to_f16 does.
template <>
struct Conv<Neon> {
  using batch = xsimd::batch<float, Neon>;
  static constexpr bool native_f16 = true;
  static batch load_f16(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
  static void store_f16(uint16_t* p, batch v) { vst1_u16(p, vreinterpret_u16_f16(vcvt_f16_f32(v))); }
  static batch load_bf16(const uint16_t* p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }
  static void store_bf16(uint16_t* p, batch v) {
    vst1_u16(p, vmovn_u32(bf16_round_bits<Neon>(v)));  // lanes hold values < 2^16
  }
};

// The GEMM tile is 2 rows x 4 tokens: 8 float accumulators, 4 registers of weight values.
template <>
struct QuantOps<Neon> : NeonQuantOps<Neon> {
  static constexpr size_t gemm_rows = 2;
};

}  // namespace simd

const KernelTable& table_neon() {
  static const KernelTable table = simd::make_table<Neon>("neon");
  return table;
}

}  // namespace moe::kern
