// The sse42 variant of every kernel: this file alone is compiled with sse42 flags.
#include "moe/kernels/kernel-table.hpp"
#include "simd/ops-basic.hpp"

namespace moe::kern {

const KernelTable& table_sse42() {
  static const KernelTable table = simd::make_table<xsimd::sse4_2>("sse42");
  return table;
}

}  // namespace moe::kern
