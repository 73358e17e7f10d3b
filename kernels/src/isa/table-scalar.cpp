// The scalar variant is the reference itself: always available, never wrong.
#include "moe/kernels/kernel-table.hpp"
#include "moe/kernels/reference.hpp"

namespace moe::kern {

const KernelTable& table_scalar() {
  static const KernelTable table = [] {
    KernelTable t{};
    t.isa_name = "scalar";
    t.dot_f32 = &ref::dot_f32;
    t.rms_norm = &ref::rms_norm;
    return t;
  }();
  return table;
}

}  // namespace moe::kern
