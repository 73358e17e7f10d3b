// The NEON variant (arm64 builds only): this file alone is compiled for NEON. Conversions use
// the portable Conv path; the quantized dot products use the widening multiplies of
// qops-neon.hpp.
#include "simd/make-table.hpp"
#include "simd/qops-neon.hpp"

namespace moe::kern {

using Neon = xsimd::neon64;

namespace simd {

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
