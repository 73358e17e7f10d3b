#pragma once
// Assembles one KernelTable from the templates, for the Arch of the including ISA file. That
// file specialises Conv<Arch> (and the integer traits) first, then calls make_table<Arch>().
#include "moe/kernels/kernel-table.hpp"
#include "moe/kernels/reference.hpp"
#include "simd/convert.hpp"
#include "simd/matmul-float.hpp"
#include "simd/matmul-quant.hpp"
#include "simd/ops-attention.hpp"
#include "simd/ops-basic.hpp"
#include "simd/ops-rope.hpp"
#include "simd/quantize-act.hpp"

namespace moe::kern::simd {

template <class Arch>
void gemv(const GemvArgs& a, size_t r0, size_t r1) {
  switch (a.type) {
    case GgmlType::F32: return float_gemv<Arch, GgmlType::F32>(a, r0, r1);
    case GgmlType::F16: return float_gemv<Arch, GgmlType::F16>(a, r0, r1);
    case GgmlType::BF16: return float_gemv<Arch, GgmlType::BF16>(a, r0, r1);
    default: {
      // Four rows at a time: independent load streams, and each activation unit reused.
      const GemmArgs g{a.type, a.w, a.row_bytes, a.n_cols, a.x, 0, 1, a.y, 0};
      if (!quant_matmul_dispatch<Arch, 4, 1>(g, r0, r1)) ref::gemv(a, r0, r1);
    }
  }
}

template <class Arch>
void gemm(const GemmArgs& a, size_t r0, size_t r1) {
  switch (a.type) {
    case GgmlType::F32: return float_gemm<Arch, GgmlType::F32>(a, r0, r1);
    case GgmlType::F16: return float_gemm<Arch, GgmlType::F16>(a, r0, r1);
    case GgmlType::BF16: return float_gemm<Arch, GgmlType::BF16>(a, r0, r1);
    default:
      if constexpr (QuantOps<Arch>::available) {
        // ISAs with a row-panel GEMM (AVX-512 VNNI) try it first; it declines calls it does not cover.
        if constexpr (requires(const GemmArgs& g) { QuantOps<Arch>::panel_gemm(g, r0, r1); })
          if (QuantOps<Arch>::panel_gemm(a, r0, r1)) return;
        if (quant_matmul_dispatch<Arch, QuantOps<Arch>::gemm_rows, 4>(a, r0, r1)) return;
      }
      ref::gemm(a, r0, r1);
  }
}

template <class Arch>
bool has_fast_path(GgmlType t) {
  return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16 || quant_fast_path<Arch>(t);
}

template <class Arch>
KernelTable make_table(const char* name) {
  KernelTable t{};
  t.isa_name = name;
  t.dot_f32 = &dot_f32<Arch>;
  t.rms_norm = &rms_norm<Arch>;
  t.add = &add<Arch>;
  t.scale = &scale<Arch>;
  t.axpy = &axpy<Arch>;
  t.softmax = &softmax<Arch>;
  t.silu = &silu<Arch>;
  t.swiglu = &swiglu<Arch>;
  t.rope = &rope<Arch>;
  t.argmax = &argmax<Arch>;
  t.top_k = &top_k<Arch>;
  t.f16_to_f32 = &f16_to_f32_row<Arch>;
  t.f32_to_f16 = &f32_to_f16_row<Arch>;
  t.bf16_to_f32 = &bf16_to_f32_row<Arch>;
  t.f32_to_bf16 = &f32_to_bf16_row<Arch>;
  t.quantize_q8_0 = &quantize_q8_0<Arch>;
  t.quantize_q8_K = &quantize_q8_K<Arch>;
  t.gemv = &gemv<Arch>;
  t.gemm = &gemm<Arch>;
  t.attention = &attention<Arch>;
  t.has_fast_path = &has_fast_path<Arch>;
  return t;
}

}  // namespace moe::kern::simd
