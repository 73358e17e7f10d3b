#pragma once
// Reading llama.cpp reference runs (refs/<model>/<prompt>.json + .logits.f32) and the metrics
// of refs/criteria.json. Header-only helper of the model conformance tests.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace moe::test {

inline std::filesystem::path conformance_dir() { return std::filesystem::path(MOE_SHARED_DIR) / "conformance"; }

inline nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  return nlohmann::json::parse(in);
}

struct Ref {
  std::string model, prompt_id, prompt, weight_type;
  std::vector<int32_t> tokens, greedy, prompt_argmax;
  std::vector<float> greedy_margin, prompt_margin;
  int n_tokens = 0, n_vocab = 0;
  std::vector<float> logits;  // (n_tokens, n_vocab)
};

inline Ref read_ref(const std::string& stem, const std::string& prompt_id) {
  const auto dir = conformance_dir() / "refs" / stem;
  const nlohmann::json j = read_json(dir / (prompt_id + ".json"));
  Ref r;
  r.model = j.at("model").get<std::string>();
  r.prompt_id = prompt_id;
  r.prompt = j.at("prompt").get<std::string>();
  r.tokens = j.at("tokens").get<std::vector<int32_t>>();
  r.greedy = j.at("greedy").get<std::vector<int32_t>>();
  r.greedy_margin = j.at("greedy_margin").get<std::vector<float>>();
  r.prompt_argmax = j.at("prompt_argmax").get<std::vector<int32_t>>();
  r.prompt_margin = j.at("prompt_margin").get<std::vector<float>>();
  r.n_tokens = j.at("n_tokens").get<int>();
  r.n_vocab = j.at("n_vocab").get<int>();
  r.logits.resize(static_cast<size_t>(r.n_tokens) * static_cast<size_t>(r.n_vocab));
  std::ifstream in(dir / j.at("logits_file").get<std::string>(), std::ios::binary);
  in.read(reinterpret_cast<char*>(r.logits.data()), static_cast<std::streamsize>(r.logits.size() * sizeof(float)));
  if (!in) throw std::runtime_error("short logits file for " + stem + "/" + prompt_id);
  return r;
}

struct Nmse {
  double num = 0, den = 0;
  double value() const { return den > 0 ? num / den : 0.0; }
};

inline Nmse nmse(const std::vector<float>& a, const std::vector<float>& ref) {
  Nmse n;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(a[i]) - ref[i];
    n.num += d * d;
    n.den += static_cast<double>(ref[i]) * ref[i];
  }
  return n;
}

inline int argmax(const float* x, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

// KL(softmax(ref) || softmax(a)) of one row, in nats.
inline double kl_row(const float* ref, const float* a, int n) {
  auto log_softmax = [n](const float* x, std::vector<double>& out) {
    double mx = x[0];
    for (int i = 1; i < n; ++i) mx = std::max(mx, static_cast<double>(x[i]));
    double s = 0;
    for (int i = 0; i < n; ++i) s += std::exp(x[i] - mx);
    const double ls = std::log(s) + mx;
    out.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) out[static_cast<size_t>(i)] = x[i] - ls;
  };
  std::vector<double> lp, lq;
  log_softmax(ref, lp);
  log_softmax(a, lq);
  double kl = 0;
  for (size_t i = 0; i < lp.size(); ++i) kl += std::exp(lp[i]) * (lp[i] - lq[i]);
  return kl;
}

}  // namespace moe::test
