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
    t.add = &ref::add;
    t.scale = &ref::scale;
    t.axpy = &ref::axpy;
    t.softmax = &ref::softmax;
    t.silu = &ref::silu;
    t.swiglu = &ref::swiglu;
    t.rope = &ref::rope;
    t.argmax = &ref::argmax;
    t.top_k = &ref::top_k;
    t.f16_to_f32 = &ref::f16_to_f32;
    t.f32_to_f16 = &ref::f32_to_f16;
    t.bf16_to_f32 = &ref::bf16_to_f32;
    t.f32_to_bf16 = &ref::f32_to_bf16;
    t.quantize_q8_0 = &ref::quantize_q8_0;
    t.quantize_q8_K = &ref::quantize_q8_K;
    t.gemv = &ref::gemv;
    t.gemm = &ref::gemm;
    t.attention = &ref::attention;
    t.has_fast_path = &ref::has_fast_path;
    return t;
  }();
  return table;
}

}  // namespace moe::kern
