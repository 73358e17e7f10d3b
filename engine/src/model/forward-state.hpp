#pragma once
// Everything one forward pass writes, allocated once per session from the hyper-parameters
// (llama2.c's RunState). forward() allocates nothing.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/hparams.hpp"

namespace moe {

struct ForwardState {
  ForwardState(const HParams& hp, int n_batch, int n_ctx, int n_threads);

  int n_batch;     // most tokens per forward call
  int n_ctx;
  int n_threads;
  int max_ff;      // widest FFN (dense, expert or shared expert)
  int widest_in;   // widest matmul input
  int ffn_rows;    // rows of gate/up/ffn_out: max(n_batch, n_expert_used + 1)

  std::vector<int32_t> pos;        // (n_batch) position of each token
  std::vector<float> rope;         // (n_batch, n_rot/2, 2) cos, sin per token and pair
  std::vector<float> x;            // (n_batch, n_embd) residual stream
  std::vector<float> xn;           // (n_batch, n_embd) normalised input of a block
  std::vector<float> q;            // (n_batch, q_dim)
  std::vector<float> k;            // (n_batch, k_dim)
  std::vector<float> v;            // (n_batch, v_dim)
  std::vector<float> attn;         // (n_batch, attn_out_dim) attention output before wo
  std::vector<float> att;          // (n_threads, n_ctx) attention scores per worker
  std::vector<float> kv_tmp;       // (n_threads, 2 * max head_dim) converted K/V rows per worker
  std::vector<float> gate;         // (ffn_rows, max_ff): batch rows, or one row per decode expert
  std::vector<float> up;           // (ffn_rows, max_ff)
  std::vector<float> ffn_out;      // (ffn_rows, n_embd) output of one expert / FFN
  std::vector<float> moe_acc;      // (n_batch, n_embd) weighted sum of experts
  std::vector<float> gathered;     // (n_batch, n_embd) inputs of the tokens routed to one expert
  std::vector<float> router_logits;  // (n_batch, n_expert)
  std::vector<float> router_probs;   // (n_expert) softmax scratch of route()
  std::vector<int32_t> expert_ids;   // (n_batch, n_expert_used) chosen experts per token
  std::vector<float> expert_w;       // (n_batch, n_expert_used) their weights
  std::vector<int32_t> group_tok;    // (n_expert, n_batch) tokens routed to each expert
  std::vector<float> group_w;        // (n_expert, n_batch) their weights
  std::vector<int32_t> group_n;      // (n_expert) tokens per expert in this batch
  std::vector<float> shexp_g;        // (n_batch) shared-expert sigmoid gate
  std::vector<std::byte> xq;         // matmul activation scratch: slices of prepared rows

  // Slice i of xq for n_tok prepared rows of the widest input; a fused matmul_multi gives each
  // product its own slice (i < 3 for n_tok <= n_batch, i < 2 * (n_expert_used + 1) for 1 row).
  std::byte* xq_slice(int i, int n_tok);
};

}  // namespace moe
