// The NEON variant (arm64 builds only): this file alone is compiled for NEON. Conversions use
// the portable Conv path.
#include "simd/make-table.hpp"

namespace moe::kern {

const KernelTable& table_neon() {
  static const KernelTable table = simd::make_table<xsimd::neon64>("neon");
  return table;
}

}  // namespace moe::kern
