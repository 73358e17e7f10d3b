#include "model/forward.hpp"

#include "model/blocks.hpp"
#include "model/matmul.hpp"
#include "model/model.hpp"
#include "model/weight-ops.hpp"
#include "moe/telemetry/hub.hpp"
#include "session/kv-cache.hpp"

namespace moe {

void forward(const Model& m, ForwardState& st, KvCache& kv, const ForwardArgs& a) {
  const HParams& hp = m.hp;
  const ModelWeights& w = m.weights;
  const int n = a.n_tok, E = hp.n_embd;
  const auto nE = static_cast<size_t>(E);
  st.moe.weights = &w;
  const ExpertSource& experts = st.moe.source ? *st.moe.source : *m.experts;
  m.arena().execute([&] {
    uint64_t t0 = tel::timestamp();
    for (int t = 0; t < n; ++t) {
      st.pos[static_cast<size_t>(t)] = a.pos0 + t;
      dequantize_row(w.token_embd.type, w.token_embd.row(a.tokens[t]), st.x.data() + static_cast<size_t>(t) * nE, E);
    }
    tel::end_span(tel::OpKind::embedding, tel::kNoLayer, t0);
    t0 = tel::timestamp();
    rope_tables(hp, st, n);
    tel::end_span(tel::OpKind::rope, tel::kNoLayer, t0);
    for (int il = 0; il < hp.n_layer; ++il) {
      t0 = tel::timestamp();
      BlockCtx ctx{hp, w.layers[static_cast<size_t>(il)], il, n, st, kv, experts};
      m.arch->forward_layer(ctx);
      tel::end_span(tel::OpKind::layer, static_cast<uint16_t>(il), t0);
    }
    t0 = tel::timestamp();
    // Output head: every row, or only the last one (generation needs nothing else).
    const int first = a.all_logits ? 0 : n - 1;
    const int rows = n - first;
    rms_norm_rows(st.x.data() + static_cast<size_t>(first) * nE, w.output_norm, st.xn.data(), rows, E, hp.rms_eps);
    matmul({&w.output, st.xn.data(), E, a.logits, hp.n_vocab, rows, nullptr, st.xq.data()});
    tel::end_span(tel::OpKind::output_head, tel::kNoLayer, t0, static_cast<uint64_t>(w.output.n_out) * w.output.row_bytes,
                  2ull * static_cast<uint64_t>(rows) * static_cast<uint64_t>(w.output.n_out) * static_cast<uint64_t>(E));
  });
}

}  // namespace moe
