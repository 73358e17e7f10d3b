// The NEON variant (arm64 builds only): this file alone is compiled for NEON.
#include "moe/kernels/kernel-table.hpp"
#include "simd/ops-basic.hpp"

namespace moe::kern {

const KernelTable& table_neon() {
  static const KernelTable table = simd::make_table<xsimd::neon64>("neon");
  return table;
}

}  // namespace moe::kern
