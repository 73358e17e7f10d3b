#pragma once
// Sampling chain: repetition/presence/frequency penalties -> top-k -> top-p -> min-p ->
// temperature -> draw (llama.cpp's default order). temperature <= 0 is greedy (argmax of the
// penalised logits; ties go to the lower id). Buffers are sized once for the vocabulary.
#include <cstdint>
#include <random>
#include <vector>

#include "moe/engine.hpp"

namespace moe {

class Sampler {
 public:
  Sampler(int n_vocab, const SamplingParams& params);

  // New parameters and seed (seed 0 = random); clears the penalty history.
  void reset(const SamplingParams& params);
  // Records a token of the context (prompt or generated) for the penalties.
  void accept(int32_t token);
  // Picks the next token from logits (n_vocab). Does not call accept().
  int32_t sample(const float* logits);

  struct Candidate {
    int32_t id;
    float logit;
    float p;
  };
  // Stages, public for tests. Each works on the first `n` candidates and returns the new n.
  void apply_penalties(std::vector<Candidate>& c) const;
  static size_t top_k(std::vector<Candidate>& c, size_t n, int k);
  static size_t top_p(std::vector<Candidate>& c, size_t n, float p);
  static size_t min_p(std::vector<Candidate>& c, size_t n, float p);
  static void softmax(std::vector<Candidate>& c, size_t n);

 private:
  int n_vocab_;
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<Candidate> cand_;   // (n_vocab)
  std::vector<int32_t> history_;  // ring of the last penalty_last_n tokens
  size_t hist_pos_ = 0;
  size_t hist_len_ = 0;
  std::vector<int32_t> counts_;   // (n_vocab) occurrences in the history
};

}  // namespace moe
