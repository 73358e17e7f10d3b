#include "moe/moe-state.hpp"

#include <algorithm>

#include "model/blocks.hpp"
#include "model/forward-state.hpp"
#include "model/matmul.hpp"
#include "moe/expert-source.hpp"
#include "moe/telemetry/hub.hpp"

namespace moe {

MoeState::MoeState(const HParams& hp, int n_batch) {
  if (!hp.is_moe()) return;
  n_expert = hp.n_expert;
  k = hp.n_expert_used;
  n_layer = hp.n_layer;
  const auto X = static_cast<size_t>(n_expert), L = static_cast<size_t>(n_layer);
  const auto B = static_cast<size_t>(n_batch), K = static_cast<size_t>(k);
  resident.assign(X, 1);
  used.resize(X);
  views.resize(X);
  guess_mark.assign(L * X, 0);
  guess_count.assign(L, 0);
  guess_ids.resize(X);
  topk_ids.resize(B * K);
  topk_w.resize(B * K);
  changed_mask.resize(B);
  counters.resize(L);
}

// HOT SPOT: once per MoE layer and forward pass.
int route_layer(ForwardState& st, int layer, int n, const RouterParams& rp) {
  MoeState& m = st.moe;
  const int X = rp.n_expert, K = rp.k;
  const auto uX = static_cast<size_t>(X);
  const bool aware = m.aware.mode != AwareMode::off;
  const bool telemetry = tel::on();
  // Residency is only looked at when someone uses it (a mutex round trip per layer otherwise).
  const bool have_res = (aware || telemetry) && m.source != nullptr && m.source->residency(layer, m.resident.data());
  MoeLayerCounters& cnt = m.counters[static_cast<size_t>(layer)];

  for (size_t e = 0; e < uX; ++e) st.group_n[e] = 0;
  for (int t = 0; t < n; ++t) {
    int32_t* ids = st.expert_ids.data() + static_cast<size_t>(t * K);
    float* w = st.expert_w.data() + static_cast<size_t>(t * K);
    const float* logits = st.router_logits.data() + static_cast<size_t>(t) * uX;
    RouteDeviation dev;
    if (aware && have_res)
      dev = route_aware(rp, m.aware, logits, m.resident.data(), {st.router_probs.data()}, ids, w);
    else
      route(rp, logits, {st.router_probs.data()}, ids, w);
    ++cnt.routed;
    cnt.picks += static_cast<uint64_t>(K);
    cnt.changed += static_cast<uint64_t>(dev.changed);
    cnt.mass_exact += dev.mass_exact;
    cnt.mass_lost += static_cast<double>(dev.mass_exact - dev.mass_chosen);
    if (telemetry) {
      uint32_t res_mask = 0;
      for (int j = 0; j < K && j < 32; ++j)
        if (!have_res || m.resident[static_cast<size_t>(ids[j])]) res_mask |= 1u << j;
      tel::record_routing(static_cast<uint32_t>(st.pos[static_cast<size_t>(t)]), static_cast<uint16_t>(layer), ids, w, K,
                          res_mask, dev.changed_mask);
    }
    for (int j = 0; j < K; ++j) {
      const auto e = static_cast<size_t>(ids[j]);
      const auto slot = e * static_cast<size_t>(st.n_batch) + static_cast<size_t>(st.group_n[e]++);
      st.group_tok[slot] = t;
      st.group_w[slot] = w[j];
    }
  }

  int n_used = 0;
  for (int e = 0; e < X; ++e)
    if (st.group_n[static_cast<size_t>(e)] > 0) m.used[static_cast<size_t>(n_used++)] = e;
  cnt.acquired += static_cast<uint64_t>(n_used);

  // Score the guess made for this layer while the previous one computed.
  int32_t& guessed = m.guess_count[static_cast<size_t>(layer)];
  if (guessed > 0) {
    uint8_t* mark = m.guess_mark.data() + static_cast<size_t>(layer) * uX;
    uint64_t hits = 0;
    for (int i = 0; i < n_used; ++i) hits += mark[static_cast<size_t>(m.used[static_cast<size_t>(i)])];
    cnt.guesses += static_cast<uint64_t>(guessed);
    cnt.guess_hits += hits;
    std::fill(mark, mark + uX, uint8_t{0});
    guessed = 0;
  }
  return n_used;
}

void prefetch_next_layer(ForwardState& st, const HParams& hp, int layer, int n) {
  MoeState& m = st.moe;
  if (!m.prefetch || m.source == nullptr || m.weights == nullptr || layer + 1 >= hp.n_layer) return;
  const LayerWeights& next = m.weights->layers[static_cast<size_t>(layer + 1)];
  if (!next.router) return;
  const int E = hp.n_embd, X = hp.n_expert, K = hp.n_expert_used;
  const uint64_t t0 = tel::timestamp();
  // The next layer's FFN input would be rms_norm(x + attention(x)); x is the best guess we have.
  rms_norm_rows(st.x.data(), next.ffn_norm, st.gathered.data(), n, E, hp.rms_eps);
  matmul({&next.router, st.gathered.data(), E, st.router_logits.data(), X, n, nullptr, st.xq.data()});
  const RouterParams rp{X, K, true, GateFn::softmax};  // renorm: skips the full softmax; only the ids count
  // Guess what the next layer's router will really do: with memory-aware routing it takes a
  // resident expert instead of a close non-resident one, so guessing the exact top-k would page
  // in experts it then avoids (every such read costs a copy and evicts a useful expert).
  // m.resident is free here: route_layer() has used it for this layer already.
  const bool aware = m.aware.mode != AwareMode::off && m.source->residency(layer + 1, m.resident.data());
  uint8_t* mark = m.guess_mark.data() + static_cast<size_t>(layer + 1) * static_cast<size_t>(X);
  for (int t = 0; t < n; ++t) {
    int32_t* ids = m.topk_ids.data() + static_cast<size_t>(t * K);
    const float* logits = st.router_logits.data() + static_cast<size_t>(t) * static_cast<size_t>(X);
    float* w = m.topk_w.data() + static_cast<size_t>(t * K);
    if (aware) (void)route_aware(rp, m.aware, logits, m.resident.data(), {st.router_probs.data()}, ids, w);
    else route(rp, logits, {st.router_probs.data()}, ids, w);
    for (int j = 0; j < K; ++j) mark[static_cast<size_t>(ids[j])] = 1;
  }
  int g = 0;
  for (int e = 0; e < X; ++e)
    if (mark[static_cast<size_t>(e)]) m.guess_ids[static_cast<size_t>(g++)] = e;
  m.guess_count[static_cast<size_t>(layer + 1)] = g;
  tel::end_span(tel::OpKind::router, static_cast<uint16_t>(layer), t0);
  m.source->prefetch(layer + 1, std::span<const int32_t>(m.guess_ids.data(), static_cast<size_t>(g)));
}

}  // namespace moe
