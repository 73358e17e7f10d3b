// moescope-cli cache-sim: runs a model over a text (teacher forcing, one token per forward
// pass, in chunks of --ctx tokens) with a bounded expert cache and reports hit rate, prefetch
// accuracy, routing deviation and perplexity against exact routing with every expert resident.
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "cli-args.hpp"
#include "moe/engine.hpp"
#include "moe/errors.hpp"

using namespace moe;

namespace {

struct SimResult {
  double ppl = 0.0, tok_s = 0.0;
  double cpu_ms_per_tok = 0.0;  // CPU time of every thread of the process: the work, whatever the load
  MoeStats stats;
};

double process_cpu_s() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return s(u.ru_utime) + s(u.ru_stime);
}

// Teacher-forced pass over `toks` with the session's current MoE options.
SimResult run_text(Session& s, const std::vector<int32_t>& toks, int ctx, int n_vocab) {
  s.reset_moe_stats();
  double nll = 0.0;
  size_t predicted = 0, evaluated = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_s();
  for (size_t start = 0; start + 1 < toks.size(); start += static_cast<size_t>(ctx)) {
    const size_t n = std::min(static_cast<size_t>(ctx), toks.size() - start);
    if (n < 2) break;
    s.reset();
    // One token per pass: the cache sees the access pattern of decoding.
    const std::vector<float> logits = s.evaluate(std::span<const int32_t>(toks).subspan(start, n), false);
    evaluated += n;
    for (size_t i = 0; i + 1 < n; ++i) {
      const float* row = logits.data() + i * static_cast<size_t>(n_vocab);
      double mx = row[0];
      for (int v = 1; v < n_vocab; ++v) mx = std::max(mx, static_cast<double>(row[v]));
      double sum = 0.0;
      for (int v = 0; v < n_vocab; ++v) sum += std::exp(row[v] - mx);
      nll += std::log(sum) + mx - row[toks[start + i + 1]];
      ++predicted;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  SimResult r;
  r.cpu_ms_per_tok = evaluated ? 1e3 * (process_cpu_s() - cpu0) / static_cast<double>(evaluated) : 0.0;
  r.ppl = predicted ? std::exp(nll / static_cast<double>(predicted)) : 0.0;
  r.tok_s = secs > 0 ? static_cast<double>(evaluated) / secs : 0.0;
  r.stats = s.moe_stats();
  return r;
}

double pct(double x) { return 100.0 * x; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string budget_text(const ExpertCacheConfig& c) {
  if (c.budget_experts_per_layer) return std::to_string(c.budget_experts_per_layer) + " experts/layer";
  if (c.budget_bytes) return std::to_string(c.budget_bytes >> 20) + " MiB";
  return "unlimited";
}

}  // namespace

int cmd_cache_sim(int argc, char** argv) {
  try {
    cli::Args a(argc, argv);
    std::string model_path, text_path;
    int ctx = 256, max_tokens = 1024, repeat = 1;
    bool json = false, sweep = false, parse_special = false;
    bool budget_set = false, policy_set = false, margin_set = false, prefetch_set = false;
    LoadOptions lo;
    MoeOptions opt;
    while (a.next()) {
      if (a.is("--budget-experts")) { opt.cache.budget_experts_per_layer = a.int_value(); budget_set = true; }
      else if (a.is("--budget-mib")) { opt.cache.budget_bytes = static_cast<uint64_t>(a.int_value()) << 20; budget_set = true; }
      else if (a.is("--policy")) { opt.cache.policy = cache_policy_from_name(a.value()); policy_set = true; }
      else if (a.is("--aware-margin")) { opt.aware_margin = a.float_value(); margin_set = true; }
      else if (a.is("--aware-bonus")) { opt.aware_bonus = a.float_value(); margin_set = true; }
      else if (a.is("--prefetch")) {
        const std::string v = a.value();
        if (v != "on" && v != "off") throw cli::UsageError("--prefetch takes on or off");
        opt.cache.prefetch = v == "on";
        prefetch_set = true;
      }
      else if (a.is("--ctx", "-c")) ctx = a.int_value();
      else if (a.is("--max-tokens")) max_tokens = a.int_value();
      else if (a.is("--repeat")) repeat = a.int_value();
      else if (a.is("-t", "--threads")) lo.n_threads = a.int_value();
      else if (a.is("--parse-special")) parse_special = true;
      else if (a.is("--json")) json = true;
      else if (a.is("--sweep")) sweep = true;
      else if (a.cur().starts_with("-")) throw cli::UsageError("unknown option " + std::string(a.cur()));
      else if (model_path.empty()) model_path = std::string(a.cur());
      else if (text_path.empty()) text_path = std::string(a.cur());
      else throw cli::UsageError("unexpected argument " + std::string(a.cur()));
    }
    if (model_path.empty() || text_path.empty()) throw cli::UsageError("MODEL and TEXTFILE are required");
    if (ctx < 2) throw cli::UsageError("--ctx must be at least 2");
    if (repeat < 1) throw cli::UsageError("--repeat must be at least 1");
    const std::string text = cli::read_file(text_path);

    auto model = load_model(model_path, lo);
    const ModelInfo& info = model_info(*model);
    if (info.n_expert <= 0) throw ConfigError(model_path + " is a dense model: no experts to cache");
    // --parse-special: control tokens written in the text (a chat transcript's <|im_start|>) are
    // read as those tokens, as `perplexity --parse-special` does; otherwise they are plain text.
    std::vector<int32_t> toks = tokenize(*model, text, true, parse_special);
    if (max_tokens > 0 && toks.size() > static_cast<size_t>(max_tokens)) toks.resize(static_cast<size_t>(max_tokens));
    if (toks.size() < 2) throw std::runtime_error(text_path + ": fewer than 2 tokens");

    // Unset options take the recommended defaults.
    const MoeOptions rec = recommended_moe_options(info);
    if (!budget_set) {
      opt.cache.budget_experts_per_layer = rec.cache.budget_experts_per_layer;
      opt.cache.budget_bytes = 0;
    }
    if (!policy_set) opt.cache.policy = rec.cache.policy;
    if (!margin_set) opt.aware_margin = rec.aware_margin;
    if (!prefetch_set) opt.cache.prefetch = rec.cache.prefetch;

    SessionOptions so;
    so.n_ctx = ctx;
    auto session = create_session(model, so);
    // Untimed warm-up: the unlimited pass below is measured with the mapping's pages already
    // in this process's page tables and the arena threads started, like every later pass.
    session->reset();
    (void)session->evaluate(std::span<const int32_t>(toks).first(std::min<size_t>(toks.size(), std::min(ctx, 32))), false);
    const SimResult exact = run_text(*session, toks, ctx, info.n_vocab);  // unlimited, exact routing

    if (sweep) {
      std::printf("%-12s %-8s %-7s %-9s %-9s %-10s %-10s %-9s %-8s\n", "policy", "budget", "margin", "hit rate",
                  "ppl", "ppl delta", "deviation", "prefetch", "tok/s");
      std::vector<int> budgets;
      for (int frac : {25, 50, 75}) {
        const int b = std::max(info.n_expert_used, (info.n_expert * frac + 99) / 100);
        if (budgets.empty() || budgets.back() != b) budgets.push_back(b);
      }
      nlohmann::json rows = nlohmann::json::array();
      for (CachePolicyKind pk : {CachePolicyKind::lru, CachePolicyKind::lfu, CachePolicyKind::arc, CachePolicyKind::least_stale})
        for (int b : budgets)
          for (float m : {0.0f, 0.1f, 0.2f, 0.3f, 0.5f}) {
            MoeOptions o = opt;
            o.cache.policy = pk;
            o.cache.budget_experts_per_layer = b;
            o.cache.budget_bytes = 0;
            o.aware_margin = m;
            o.aware_bonus = 0.0f;
            session->set_moe_options(MoeOptions{});  // every row starts from an empty pool
            session->set_moe_options(o);
            const SimResult r = run_text(*session, toks, ctx, info.n_vocab);
            const double dppl = pct(r.ppl / exact.ppl - 1.0);
            std::printf("%-12s %-8d %-7.2f %-9.2f %-9.4f %+-10.3f %-10.2f %-9.2f %-8.1f\n",
                        std::string(cache_policy_name(pk)).c_str(), b, static_cast<double>(m), pct(r.stats.total.hit_rate()),
                        r.ppl, dppl, pct(r.stats.total.deviation()), pct(r.stats.total.prefetch_accuracy()), r.tok_s);
            std::fflush(stdout);
            rows.push_back({{"policy", cache_policy_name(pk)}, {"budget_experts", b}, {"margin", m},
                            {"hit_rate", r.stats.total.hit_rate()}, {"ppl", r.ppl}, {"ppl_exact", exact.ppl},
                            {"deviation", r.stats.total.deviation()}, {"prefetch_accuracy", r.stats.total.prefetch_accuracy()}});
          }
      // The alternative memory-aware variant at the middle budget, for comparison.
      for (float bonus : {0.02f, 0.05f, 0.1f}) {
        MoeOptions o = opt;
        o.cache.budget_experts_per_layer = budgets[budgets.size() / 2];
        o.cache.budget_bytes = 0;
        o.aware_margin = 0.0f;
        o.aware_bonus = bonus;
        session->set_moe_options(MoeOptions{});
        session->set_moe_options(o);
        const SimResult r = run_text(*session, toks, ctx, info.n_vocab);
        std::printf("%-12s %-8d bonus %-4.2f %-7.2f %-9.4f %+-10.3f %-10.2f %-9.2f %-8.1f\n",
                    std::string(cache_policy_name(o.cache.policy)).c_str(), o.cache.budget_experts_per_layer,
                    static_cast<double>(bonus), pct(r.stats.total.hit_rate()), r.ppl, pct(r.ppl / exact.ppl - 1.0),
                    pct(r.stats.total.deviation()), pct(r.stats.total.prefetch_accuracy()), r.tok_s);
      }
      std::printf("exact routing, every expert resident: ppl %.4f, %.1f tok/s, %zu tokens\n", exact.ppl, exact.tok_s,
                  toks.size());
      return 0;
    }

    // Tokens/s: passes with every expert resident and with this configuration alternate, so a
    // machine whose load changes affects both alike; each ratio compares neighbouring passes.
    // Every configured pass starts from an empty pool. The medians are reported.
    std::vector<double> tok_exact{exact.tok_s}, tok_conf, ratios, cpu_exact{exact.cpu_ms_per_tok}, cpu_conf;
    SimResult r;
    for (int i = 0; i < repeat; ++i) {
      if (i > 0) {
        session->set_moe_options(MoeOptions{});
        const SimResult e = run_text(*session, toks, ctx, info.n_vocab);
        tok_exact.push_back(e.tok_s);
        cpu_exact.push_back(e.cpu_ms_per_tok);
      }
      session->set_moe_options(opt);
      r = run_text(*session, toks, ctx, info.n_vocab);
      tok_conf.push_back(r.tok_s);
      cpu_conf.push_back(r.cpu_ms_per_tok);
      ratios.push_back(tok_exact.back() > 0 ? r.tok_s / tok_exact.back() : 0.0);
    }
    r.tok_s = median(tok_conf);
    const double tok_s_exact = median(tok_exact), ratio = median(ratios);
    const MoeLayerStats& t = r.stats.total;
    if (json) {
      nlohmann::ordered_json j{{"model", info.name},
                       {"tokens", toks.size()},
                       {"policy", cache_policy_name(opt.cache.policy)},
                       {"budget_experts_per_layer", opt.cache.budget_experts_per_layer},
                       {"budget_bytes", opt.cache.budget_bytes},
                       {"pool_bytes", r.stats.pool_bytes},
                       {"aware_margin", opt.aware_margin},
                       {"aware_bonus", opt.aware_bonus},
                       {"prefetch", opt.cache.prefetch},
                       {"hit_rate", t.hit_rate()},
                       {"prefetch_accuracy", t.prefetch_accuracy()},
                       {"prefetch_used", t.cache.prefetch_used},
                       {"prefetch_issued", t.cache.prefetch_issued},
                       {"prefetch_late", t.cache.prefetch_late},
                       {"miss_wait_ms", static_cast<double>(t.cache.miss_latency_ns) / 1e6},
                       {"hidden_read_ms", static_cast<double>(t.cache.hidden_latency_ns) / 1e6},
                       {"bytes_paged_in", t.cache.bytes_paged_in},
                       {"deviation", t.deviation()},
                       {"mass_lost", t.mass_lost_mean()},
                       {"ppl_exact", exact.ppl},
                       {"ppl", r.ppl},
                       {"ppl_change", r.ppl / exact.ppl - 1.0},  // relative: 0.01 is +1%
                       {"tok_s", r.tok_s},
                       {"tok_s_exact", tok_s_exact},
                       {"tok_s_ratio", ratio},
                       {"repeats", repeat},
                       {"tok_s_runs", tok_conf},
                       {"tok_s_exact_runs", tok_exact},
                       {"cpu_ms_per_token", median(cpu_conf)},
                       {"cpu_ms_per_token_exact", median(cpu_exact)}};
      nlohmann::ordered_json layers = nlohmann::ordered_json::array();
      for (const MoeLayerStats& l : r.stats.layers)
        layers.push_back({{"hit_rate", l.hit_rate()}, {"deviation", l.deviation()}, {"mass_lost", l.mass_lost_mean()},
                          {"prefetch_accuracy", l.prefetch_accuracy()}});
      j["layers"] = std::move(layers);
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    std::printf("model %s, %zu tokens, ctx %d\n", info.name.c_str(), toks.size(), ctx);
    std::printf("cache: %s, policy %s, prefetch %s, memory-aware margin %.2f%s (pool %.1f MiB)\n",
                budget_text(opt.cache).c_str(), std::string(cache_policy_name(opt.cache.policy)).c_str(),
                opt.cache.prefetch ? "on" : "off", static_cast<double>(opt.aware_margin),
                opt.aware_bonus > 0 ? (", bonus " + std::to_string(opt.aware_bonus)).c_str() : "",
                static_cast<double>(r.stats.pool_bytes) / (1 << 20));
    std::printf("hit rate %.2f%%  prefetch accuracy %.2f%% (%llu of %llu prefetched experts used)\n", pct(t.hit_rate()),
                pct(t.prefetch_accuracy()), static_cast<unsigned long long>(t.cache.prefetch_used),
                static_cast<unsigned long long>(t.cache.prefetch_issued));
    std::printf("page-in: %.1f ms waited on reads, %.1f ms of reads hidden by prefetch, %.1f MiB read\n",
                static_cast<double>(t.cache.miss_latency_ns) / 1e6, static_cast<double>(t.cache.hidden_latency_ns) / 1e6,
                static_cast<double>(t.cache.bytes_paged_in) / (1 << 20));
    std::printf("routing deviation %.2f%% of picks, router probability given up %.4f per decision\n", pct(t.deviation()),
                t.mass_lost_mean());
    std::printf("perplexity exact %.4f, with this configuration %.4f (%+.3f%%)\n", exact.ppl, r.ppl,
                pct(r.ppl / exact.ppl - 1.0));
    std::printf("tokens/s %.1f (exact, unlimited: %.1f; ratio %.3f); CPU time per token %.2f ms (unlimited: %.2f ms)\n",
                r.tok_s, tok_s_exact, ratio, median(cpu_conf), median(cpu_exact));
    if (repeat > 1) {
      std::printf("  %d alternated passes, configured / unlimited tokens/s:", repeat);
      for (size_t i = 0; i < tok_conf.size(); ++i) std::printf(" %.1f/%.1f", tok_conf[i], tok_exact[i]);
      std::printf(" (medians above)\n");
    }
    std::printf("%-6s %-9s %-10s %-10s %-9s\n", "layer", "hit rate", "deviation", "mass lost", "prefetch");
    for (size_t l = 0; l < r.stats.layers.size(); ++l) {
      const MoeLayerStats& s = r.stats.layers[l];
      std::printf("%-6zu %-9.2f %-10.2f %-10.4f %-9.2f\n", l, pct(s.hit_rate()), pct(s.deviation()), s.mass_lost_mean(),
                  pct(s.prefetch_accuracy()));
    }
    return 0;
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr,
                 "cache-sim: %s\nusage: moescope-cli cache-sim MODEL TEXTFILE [--budget-experts N | --budget-mib M] "
                 "[--policy lru|lfu|arc|least-stale] [--aware-margin X] [--aware-bonus B] [--prefetch on|off] "
                 "[--ctx N] [--max-tokens N] [--parse-special] [--repeat N] [-t N] [--json] [--sweep]\n",
                 e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cache-sim: %s\n", e.what());
    return 1;
  }
}
