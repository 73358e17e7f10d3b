// The avx512 variant of every kernel: this file alone is compiled with avx512 flags.
#include "moe/kernels/kernel-table.hpp"
#include "simd/ops-basic.hpp"

namespace moe::kern {

const KernelTable& table_avx512() {
  static const KernelTable table = simd::make_table<xsimd::avx512bw>("avx512");
  return table;
}

}  // namespace moe::kern
