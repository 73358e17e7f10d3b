#pragma once
// Weights as views into the GGUF mapping. A matrix W[n_out][n_in] is stored row by row in its
// ggml type (GGUF ne = {n_in, n_out}); nothing here owns memory except the small f32 copies of
// non-f32 norm/bias vectors made once at load.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "moe/kernels/ggml-types.hpp"

namespace moe {

struct WeightView {
  const std::byte* data = nullptr;  // n_out rows of row_bytes each
  kern::GgmlType type = kern::GgmlType::F32;
  int64_t n_in = 0;
  int64_t n_out = 0;
  size_t row_bytes = 0;
  std::string_view name;  // tensor name (points into the mapping)

  explicit operator bool() const noexcept { return data != nullptr; }
  // Invariant: r < n_out, so the row lies inside the tensor's validated byte range.
  const std::byte* row(int64_t r) const noexcept { return data + static_cast<size_t>(r) * row_bytes; }
};

// One expert's three matrices: gate/up [n_ff_exp][n_embd], down [n_embd][n_ff_exp].
struct ExpertView {
  WeightView gate, up, down;
};

struct LayerWeights {
  const float* attn_norm = nullptr;  // (n_embd)
  WeightView wq, wk, wv, wo;
  const float* bq = nullptr;         // (q_dim) or null
  const float* bk = nullptr;         // (k_dim) or null
  const float* bv = nullptr;         // (v_dim) or null
  const float* q_norm = nullptr;     // (head_dim) per-head or (q_dim) full-width, or null
  const float* k_norm = nullptr;     // (head_dim) or (k_dim), or null
  const float* ffn_norm = nullptr;   // (n_embd)
  // Dense FFN.
  WeightView ffn_gate, ffn_up, ffn_down;
  // MoE FFN: router and experts (experts are reached through an ExpertSource).
  WeightView router;                 // (n_expert, n_embd), f32
  std::vector<ExpertView> experts;   // (n_expert) views into merged or per-expert tensors
  // Shared expert (qwen2moe).
  const float* shexp_gate_inp = nullptr;  // (n_embd): sigmoid gate
  WeightView shexp_gate, shexp_up, shexp_down;
};

struct ModelWeights {
  WeightView token_embd;             // (n_vocab, n_embd)
  const float* output_norm = nullptr;  // (n_embd)
  WeightView output;                 // (n_vocab, n_embd); token_embd when tied
  std::vector<LayerWeights> layers;  // (n_layer)
};

}  // namespace moe
