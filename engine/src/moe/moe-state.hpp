#pragma once
// Per-session MoE run state: where experts come from, how routing treats residency, prefetch,
// the buffers the MoE FFN needs (sized once from the hyper-parameters) and the per-layer
// counters behind Session::moe_stats(). Lives inside ForwardState; only the session thread
// touches it.
#include <cstdint>
#include <span>
#include <vector>

#include "model/hparams.hpp"
#include "model/weights.hpp"
#include "moe/router.hpp"

namespace moe {

class ExpertSource;
struct ForwardState;

struct MoeLayerCounters {
  uint64_t routed = 0;        // (token, layer) routing decisions
  uint64_t picks = 0;         // experts picked over those decisions
  uint64_t changed = 0;       // picks that differ from the exact top-k
  double mass_exact = 0.0;    // sum of the exact top-k router probability
  double mass_lost = 0.0;     // sum of (exact - chosen) router probability
  uint64_t acquired = 0;      // experts acquired from the source (per batch: the union)
  uint64_t guesses = 0;       // prefetch predictions made for this layer
  uint64_t guess_hits = 0;    // ...that the router then picked
};

struct MoeState {
  MoeState() = default;
  explicit MoeState(const HParams& hp, int n_batch);

  // ---- configuration (set by the session between forward passes) ----
  const ExpertSource* source = nullptr;  // null: the model's mapped source
  AwareParams aware;                     // memory-aware routing
  bool prefetch = false;                 // guess layer L+1's experts while L computes
  const ModelWeights* weights = nullptr; // set by forward(): the next layer's router

  // ---- buffers ----
  int n_expert = 0, k = 0, n_layer = 0;
  std::vector<uint8_t> resident;       // (n_expert) residency snapshot of the current layer
  std::vector<int32_t> used;           // (n_expert) experts the batch routed to, ascending
  std::vector<ExpertView> views;       // (n_expert) views of the acquired experts
  std::vector<uint8_t> guess_mark;     // (n_layer, n_expert) experts guessed for a layer
  std::vector<int32_t> guess_count;    // (n_layer)
  std::vector<int32_t> guess_ids;      // (n_expert) guesses of the next layer
  std::vector<int32_t> topk_ids;       // (n_batch, k) scratch of the guess router
  std::vector<float> topk_w;           // (n_batch, k)
  std::vector<uint32_t> changed_mask;  // (n_batch) per token, for telemetry
  std::vector<MoeLayerCounters> counters;  // (n_layer)
};

// Routes the n tokens of one layer (logits in st.router_logits), groups tokens per expert
// (st.group_*), lists the experts used in st.moe.used and returns their number. Records
// routing telemetry and the deviation counters.
int route_layer(ForwardState& st, int layer, int n_tok, const RouterParams& rp);

// Eliseev & Mazur (2023): applies layer+1's router to the current hidden state (st.x, n_tok
// rows) and pages the experts it picks in, asynchronously. Uses st.gathered and
// st.router_logits as scratch (call after route_layer and before the expert loop).
void prefetch_next_layer(ForwardState& st, const HParams& hp, int layer, int n_tok);

}  // namespace moe
