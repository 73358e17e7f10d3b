// moescope-cli bench: prefill (pp) and decode (tg) speed like llama-bench, plus peak RSS.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "cli-args.hpp"
#include "moe/engine.hpp"

using namespace moe;

namespace {

struct MeanSd {
  double mean = 0, sd = 0;
};
MeanSd stats(const std::vector<double>& v) {
  MeanSd m;
  if (v.empty()) return m;
  m.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - m.mean) * (x - m.mean);
  m.sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
  return m;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  try {
    cli::Args a(argc, argv);
    std::string model_path;
    int pp = 512, tg = 128, reps = 3;
    bool json = false;
    LoadOptions lo;
    while (a.next()) {
      if (a.is("-p")) pp = a.int_value();
      else if (a.is("-n")) tg = a.int_value();
      else if (a.is("-r", "--reps")) reps = a.int_value();
      else if (a.is("-t", "--threads")) lo.n_threads = a.int_value();
      else if (a.is("--json")) json = true;
      else if (a.cur().starts_with("-")) throw cli::UsageError("unknown option " + std::string(a.cur()));
      else if (model_path.empty()) model_path = std::string(a.cur());
      else throw cli::UsageError("unexpected argument " + std::string(a.cur()));
    }
    if (model_path.empty()) throw cli::UsageError("MODEL is required");
    if (pp < 0 || tg < 0 || reps < 1 || pp + tg == 0) throw cli::UsageError("need -p >= 0, -n >= 0, -r >= 1");
    auto model = load_model(model_path, lo);
    const ModelInfo& info = model_info(*model);
    SessionOptions so;
    so.n_ctx = std::max(pp, tg) + 1;
    auto session = create_session(model, so);
    // Deterministic pseudo-random prompt ids, as llama-bench uses random tokens.
    std::vector<int32_t> prompt(static_cast<size_t>(std::max(pp, 1)));
    uint32_t h = 12345;
    for (auto& t : prompt) t = static_cast<int32_t>((h = h * 1664525u + 1013904223u) % static_cast<uint32_t>(info.n_vocab));

    std::vector<double> pp_rates, tg_rates;
    for (int r = 0; r <= reps; ++r) {  // r == 0 warms up (page cache, arena threads)
      if (pp > 0) {
        session->reset();
        const auto t0 = std::chrono::steady_clock::now();
        session->eval(std::span<const int32_t>(prompt).first(static_cast<size_t>(pp)));
        if (r > 0) pp_rates.push_back(pp / seconds_since(t0));
      }
      if (tg > 0) {
        session->reset();
        int32_t tok = prompt[0];
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < tg; ++i) {
          const std::span<const float> l = session->eval(std::span<const int32_t>(&tok, 1));
          tok = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
        }
        if (r > 0) tg_rates.push_back(tg / seconds_since(t0));
      }
    }
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const auto rss = static_cast<uint64_t>(ru.ru_maxrss) * 1024u;  // Linux reports KiB
    const MeanSd p = stats(pp_rates), g = stats(tg_rates);
    const int threads = info.n_threads;
    if (json) {
      std::printf("{\"model\": \"%s\", \"threads\": %d, \"n_prompt\": %d, \"n_gen\": %d, \"reps\": %d, "
                  "\"prefill_tok_s\": %.3f, \"prefill_tok_s_sd\": %.3f, \"decode_tok_s\": %.3f, "
                  "\"decode_tok_s_sd\": %.3f, \"peak_rss_bytes\": %llu}\n",
                  info.name.c_str(), threads, pp, tg, reps, p.mean, p.sd, g.mean, g.sd,
                  static_cast<unsigned long long>(rss));
    } else {
      std::printf("model %s (%s), threads %d\n", info.name.c_str(), info.architecture.c_str(), threads);
      if (pp > 0) std::printf("pp%-5d %10.2f ± %.2f tok/s\n", pp, p.mean, p.sd);
      if (tg > 0) std::printf("tg%-5d %10.2f ± %.2f tok/s\n", tg, g.mean, g.sd);
      std::printf("peak RSS %.1f MiB\n", static_cast<double>(rss) / (1024.0 * 1024.0));
    }
    return 0;
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "bench: %s\nusage: moescope-cli bench MODEL [-p 512] [-n 128] [-t N] [-r REPS] [--json]\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench: %s\n", e.what());
    return 1;
  }
}
