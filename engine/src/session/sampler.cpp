#include "session/sampler.hpp"

#include <algorithm>
#include <cmath>

namespace moe {

Sampler::Sampler(int n_vocab, const SamplingParams& params)
    : n_vocab_(n_vocab), cand_(static_cast<size_t>(n_vocab)), counts_(static_cast<size_t>(n_vocab), 0) {
  reset(params);
}

void Sampler::reset(const SamplingParams& params) {
  params_ = params;
  rng_.seed(params.seed != 0 ? params.seed : std::random_device{}());
  history_.assign(static_cast<size_t>(std::max(params.penalty_last_n, 0)), 0);
  std::fill(counts_.begin(), counts_.end(), 0);
  hist_pos_ = hist_len_ = 0;
}

void Sampler::accept(int32_t token) {
  if (history_.empty() || token < 0 || token >= n_vocab_) return;
  if (hist_len_ == history_.size()) {
    --counts_[static_cast<size_t>(history_[hist_pos_])];
  } else {
    ++hist_len_;
  }
  history_[hist_pos_] = token;
  ++counts_[static_cast<size_t>(token)];
  hist_pos_ = (hist_pos_ + 1) % history_.size();
}

void Sampler::apply_penalties(std::vector<Candidate>& c) const {
  const bool any = params_.repeat_penalty != 1.0f || params_.presence_penalty != 0.0f ||
                   params_.frequency_penalty != 0.0f;
  if (!any || hist_len_ == 0) return;
  for (size_t i = 0; i < hist_len_; ++i) {
    const int32_t id = history_[i];
    Candidate& cd = c[static_cast<size_t>(id)];  // candidates are still in id order here
    if (cd.p < 0.0f) continue;                    // p < 0 marks "already penalised"
    const auto cnt = static_cast<float>(counts_[static_cast<size_t>(id)]);
    if (params_.repeat_penalty != 1.0f)
      cd.logit = cd.logit <= 0.0f ? cd.logit * params_.repeat_penalty : cd.logit / params_.repeat_penalty;
    cd.logit -= cnt * params_.frequency_penalty + (cnt > 0.0f ? 1.0f : 0.0f) * params_.presence_penalty;
    cd.p = -1.0f;
  }
}

size_t Sampler::top_k(std::vector<Candidate>& c, size_t n, int k) {
  auto better = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  if (k <= 0 || static_cast<size_t>(k) >= n) {
    std::sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n), better);
    return n;
  }
  std::partial_sort(c.begin(), c.begin() + k, c.begin() + static_cast<std::ptrdiff_t>(n), better);
  return static_cast<size_t>(k);
}

void Sampler::softmax(std::vector<Candidate>& c, size_t n) {
  float mx = -INFINITY;
  for (size_t i = 0; i < n; ++i) mx = std::max(mx, c[i].logit);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    c[i].p = std::exp(c[i].logit - mx);
    sum += c[i].p;
  }
  for (size_t i = 0; i < n; ++i) c[i].p = static_cast<float>(c[i].p / sum);
}

// Candidates must be sorted (top_k sorts them).
size_t Sampler::top_p(std::vector<Candidate>& c, size_t n, float p) {
  if (p >= 1.0f) return n;
  softmax(c, n);
  double cum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    cum += c[i].p;
    if (cum >= p) return i + 1;
  }
  return n;
}

size_t Sampler::min_p(std::vector<Candidate>& c, size_t n, float p) {
  if (p <= 0.0f || n == 0) return n;
  // Sorted: c[0] has the largest logit. Keep logit >= max + log(p), i.e. prob >= p * max prob.
  const float threshold = c[0].logit + std::log(p);
  size_t keep = 1;
  while (keep < n && c[keep].logit >= threshold) ++keep;
  return keep;
}

int32_t Sampler::sample(const float* logits) {
  for (int i = 0; i < n_vocab_; ++i) cand_[static_cast<size_t>(i)] = {i, logits[i], 0.0f};
  apply_penalties(cand_);
  if (params_.temperature <= 0.0f) {
    size_t best = 0;
    for (size_t i = 1; i < cand_.size(); ++i)
      if (cand_[i].logit > cand_[best].logit) best = i;
    return cand_[best].id;
  }
  size_t n = top_k(cand_, cand_.size(), params_.top_k);
  n = top_p(cand_, n, params_.top_p);
  n = min_p(cand_, n, params_.min_p);
  for (size_t i = 0; i < n; ++i) cand_[i].logit /= params_.temperature;
  softmax(cand_, n);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  const double r = uni(rng_);
  double cum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    cum += cand_[i].p;
    if (r < cum) return cand_[i].id;
  }
  return cand_[n - 1].id;
}

}  // namespace moe
