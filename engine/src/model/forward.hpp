#pragma once
// One forward pass over a batch of consecutive tokens.
#include <cstdint>

namespace moe {

class Model;
class KvCache;
struct ForwardState;

struct ForwardArgs {
  const int32_t* tokens = nullptr;  // (n_tok) ids, each < n_vocab
  int n_tok = 0;                    // 1 .. st.n_batch
  int pos0 = 0;                     // position of tokens[0]; pos0 + n_tok <= kv.n_ctx()
  float* logits = nullptr;          // (n_tok, n_vocab) when all_logits, else (n_vocab) of the last token
  bool all_logits = false;
};

// Runs inside the model's task arena; allocates nothing.
void forward(const Model& m, ForwardState& st, KvCache& kv, const ForwardArgs& a);

}  // namespace moe
