// The avx2 variant of every kernel: this file alone is compiled with avx2 flags.
#include "moe/kernels/kernel-table.hpp"
#include "simd/ops-basic.hpp"

namespace moe::kern {

const KernelTable& table_avx2() {
  static const KernelTable table = simd::make_table<xsimd::fma3<xsimd::avx2>>("avx2");
  return table;
}

}  // namespace moe::kern
