#include "model/forward.hpp"

#include "model/blocks.hpp"
#include "model/matmul.hpp"
#include "model/model.hpp"
#include "model/weight-ops.hpp"
#include "session/kv-cache.hpp"

namespace moe {

void forward(const Model& m, ForwardState& st, KvCache& kv, const ForwardArgs& a) {
  const HParams& hp = m.hp;
  const ModelWeights& w = m.weights;
  const int n = a.n_tok, E = hp.n_embd;
  const auto nE = static_cast<size_t>(E);
  m.arena().execute([&] {
    for (int t = 0; t < n; ++t) {
      st.pos[static_cast<size_t>(t)] = a.pos0 + t;
      dequantize_row(w.token_embd.type, w.token_embd.row(a.tokens[t]), st.x.data() + static_cast<size_t>(t) * nE, E);
    }
    rope_tables(hp, st, n);
    for (int il = 0; il < hp.n_layer; ++il) {
      BlockCtx ctx{hp, w.layers[static_cast<size_t>(il)], il, n, st, kv, *m.experts};
      m.arch->forward_layer(ctx);
    }
    // Output head: every row, or only the last one (generation needs nothing else).
    const int first = a.all_logits ? 0 : n - 1;
    const int rows = n - first;
    rms_norm_rows(st.x.data() + static_cast<size_t>(first) * nE, w.output_norm, st.xn.data(), rows, E, hp.rms_eps);
    matmul({&w.output, st.xn.data(), E, a.logits, hp.n_vocab, rows, nullptr, st.xq.data()});
  });
}

}  // namespace moe
