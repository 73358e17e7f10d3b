#pragma once
// Hyper-parameters of one model, read from the GGUF `<arch>.*` keys and validated once.
#include <cstdint>
#include <string>
#include <string_view>

namespace moe {

class GgufFile;

// GGUF metadata keys below the `<arch>.` prefix. The spelling lives only in hparam_key_suffix().
enum class HKey {
  vocab_size,
  context_length,
  embedding_length,
  block_count,
  feed_forward_length,
  head_count,
  head_count_kv,
  key_length,
  value_length,
  rms_eps,
  rope_freq_base,
  rope_dimension_count,
  rope_scaling_type,
  rope_scaling_factor,
  expert_count,
  expert_used_count,
  expert_feed_forward_length,
  expert_shared_feed_forward_length,
};

std::string_view hparam_key_suffix(HKey key) noexcept;
std::string hparam_key(std::string_view arch, HKey key);  // "qwen2moe.attention.head_count"

enum class RopeStyle { normal, neox };  // normal: pairs (2i, 2i+1); neox: pairs (i, i + dim/2)

struct HParams {
  std::string arch;
  int n_vocab = 0;
  int n_ctx_train = 0;
  int n_embd = 0;
  int n_layer = 0;
  int n_ff = 0;          // dense FFN width (0 for pure MoE layers)
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim_k = 0;    // key_length, default n_embd / n_head
  int head_dim_v = 0;    // value_length, default n_embd / n_head
  int n_rot = 0;         // rope.dimension_count, default head_dim_k
  float rms_eps = 1e-6f;
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // 1 / rope.scaling.factor for linear scaling
  int n_expert = 0;      // 0 = dense
  int n_expert_used = 0;
  int n_ff_exp = 0;
  int n_ff_shexp = 0;    // 0 = no shared expert

  int q_dim() const noexcept { return n_head * head_dim_k; }
  int k_dim() const noexcept { return n_head_kv * head_dim_k; }
  int v_dim() const noexcept { return n_head_kv * head_dim_v; }
  int attn_out_dim() const noexcept { return n_head * head_dim_v; }
  bool is_moe() const noexcept { return n_expert > 0; }
};

// Which keys an architecture needs beyond the common ones.
struct HParamNeeds {
  bool expert_ff_key = false;   // expert_feed_forward_length required (else feed_forward_length)
  bool shared_ff_key = false;   // expert_shared_feed_forward_length required
  bool moe_required = false;    // expert_count required (olmoe, qwen*moe); llama: optional
};

// Reads and validates; throws ModelError naming the key and the problem.
HParams read_hparams(const GgufFile& file, std::string_view arch, const HParamNeeds& needs);

}  // namespace moe
