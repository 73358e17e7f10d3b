#pragma once
// The kernels each ISA variant provides. Kernels work on ranges; the engine parallelises
// (rows of a matrix, heads of an attention call) and allocates every buffer. No SIMD kernel
// allocates or keeps state; a matrix type without a fast path runs the scalar reference
// (quant.hpp), which throws std::invalid_argument for a type this build cannot multiply.
#include <cstddef>
#include <cstdint>

#include "moe/kernels/ggml-types.hpp"

namespace moe::kern {

// How RoPE pairs the dimensions of a head: `normal` rotates adjacent pairs (x[2i], x[2i+1])
// (llama, GPT-J "interleaved"); `neox` rotates (x[i], x[i + n_rot/2]) (GPT-NeoX, Qwen2).
enum class RopeMode : uint8_t { normal, neox };

// RoPE over x[n_heads][head_dim] at one position. Only the first n_rot dims of each head
// rotate (n_rot even, <= head_dim). cs holds the angles of that position as produced by
// rope_cos_sin(): cs[2i] = cos(theta_i), cs[2i+1] = sin(theta_i), i < n_rot/2.
struct RopeArgs {
  float* x;
  size_t n_heads;
  size_t head_dim;
  size_t n_rot;
  const float* cs;
  RopeMode mode;
};

// y[r] = W[r] . x for rows r in [r0, r1). W rows are `row_bytes` apart and hold n_cols
// elements of `type`; x is one row of n_cols in vec_dot_type(type) from quant.hpp (f32 for
// F32, f16 for F16, bf16 for BF16, q8_0 for the legacy quants, q8_K for the K-quants). y is indexed by the
// absolute row number.
struct GemvArgs {
  GgmlType type;
  const void* w;
  size_t row_bytes;
  size_t n_cols;
  const void* x;
  float* y;
};

// Y[t][r] = W[r] . X[t] for tokens t in [0, n_tokens) and rows r in [r0, r1). X rows are
// activations quantized once per token (as for GemvArgs), x_stride bytes apart; Y rows are
// y_stride floats apart, indexed by the absolute row number. The AVX-512 variant repacks
// 16-row panels of Q8_0 / Q4_K / Q6_K weights per call into a stack buffer (at most ~46 KiB
// of stack; no copy of the model is kept); calls of 64 rows or more amortise its Q8_0
// activation preparation best.
struct GemmArgs {
  GgmlType type;
  const void* w;
  size_t row_bytes;
  size_t n_cols;
  const void* x;
  size_t x_stride;
  size_t n_tokens;
  float* y;
  size_t y_stride;
};

// Attention over a KV cache. Position p of KV head g starts at
//   k + p * k_pos_stride + g * k_head_stride   (elements of kv_type: F32 or F16), same for v.
// Query head h uses KV head h / (n_head / n_head_kv) (GQA). q and out are
// [n_tokens][n_head * head_dim]; query token t sits at position pos0 + t and sees keys
// 0 ..= pos0 + t (causal). Decode is n_tokens = 1, pos0 = n_kv - 1. Heads [h0, h1) only.
struct AttentionArgs {
  const float* q;
  const void* k;
  const void* v;
  GgmlType kv_type;
  size_t k_pos_stride, k_head_stride;
  size_t v_pos_stride, v_head_stride;
  size_t n_head, n_head_kv, head_dim;
  size_t n_tokens;
  size_t pos0;
  float scale;  // usually 1/sqrt(head_dim)
  float* out;
};

struct KernelTable {
  const char* isa_name;

  // ---- vectors -----------------------------------------------------------------------
  float (*dot_f32)(const float* a, const float* b, size_t n);
  // y = x / sqrt(mean(x^2) + eps) * w   (y may alias x)
  void (*rms_norm)(const float* x, const float* w, float* y, size_t n, float eps);
  void (*add)(const float* a, const float* b, float* y, size_t n);  // y = a + b
  void (*scale)(float* x, size_t n, float s);                       // x *= s
  void (*axpy)(float a, const float* x, float* y, size_t n);        // y += a * x
  // x = softmax(x * s), in place.
  void (*softmax)(float* x, size_t n, float s);
  void (*silu)(const float* x, float* y, size_t n);  // y = x * sigmoid(x)
  // y = silu(gate) * up   (y may alias gate or up)
  void (*swiglu)(const float* gate, const float* up, float* y, size_t n);
  void (*rope)(const RopeArgs& a);

  // ---- selection ---------------------------------------------------------------------
  size_t (*argmax)(const float* x, size_t n);  // first index of the largest value; n >= 1
  // The k largest of x[0, n) in descending order; ties go to the lower index. k <= n.
  void (*top_k)(const float* x, size_t n, size_t k, int32_t* idx, float* val);

  // ---- conversions (bit-identical to fp16.hpp) ---------------------------------------
  void (*f16_to_f32)(const uint16_t* x, float* y, size_t n);
  void (*f32_to_f16)(const float* x, uint16_t* y, size_t n);
  void (*bf16_to_f32)(const uint16_t* x, float* y, size_t n);
  void (*f32_to_bf16)(const float* x, uint16_t* y, size_t n);

  // ---- activation quantization (bit-identical to the references in quant.hpp) --------
  // n is a multiple of 32 (q8_0) or 256 (q8_K, with bsums).
  void (*quantize_q8_0)(const float* x, void* y, size_t n);
  void (*quantize_q8_K)(const float* x, void* y, size_t n);

  // ---- matrices and attention --------------------------------------------------------
  void (*gemv)(const GemvArgs& a, size_t r0, size_t r1);
  void (*gemm)(const GemmArgs& a, size_t r0, size_t r1);
  void (*attention)(const AttentionArgs& a, size_t h0, size_t h1);

  // Weight types with a SIMD fast path in this variant (the rest fall back to the scalar
  // reference through the same entry points).
  bool (*has_fast_path)(GgmlType t);
};

// The angles of one position for RoPE (portable, cheap: once per token, shared by all
// layers): cs[2i] = cos(theta_i), cs[2i+1] = sin(theta_i) with
//   theta_i = pos * freq_scale * freq_base^(-2i / n_rot),   i < n_rot / 2.
void rope_cos_sin(float* cs, int64_t pos, size_t n_rot, float freq_base, float freq_scale);

}  // namespace moe::kern
