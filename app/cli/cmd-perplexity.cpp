// moescope-cli perplexity: exp(mean NLL) of a text file, evaluated in chunks of --ctx tokens.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli-args.hpp"
#include "moe/engine.hpp"

using namespace moe;

int cmd_perplexity(int argc, char** argv) {
  try {
    cli::Args a(argc, argv);
    std::string model_path, text_path;
    int ctx = 512;
    LoadOptions lo;
    while (a.next()) {
      if (a.is("--ctx", "-c")) ctx = a.int_value();
      else if (a.is("-t", "--threads")) lo.n_threads = a.int_value();
      else if (a.cur().starts_with("-")) throw cli::UsageError("unknown option " + std::string(a.cur()));
      else if (model_path.empty()) model_path = std::string(a.cur());
      else if (text_path.empty()) text_path = std::string(a.cur());
      else throw cli::UsageError("unexpected argument " + std::string(a.cur()));
    }
    if (model_path.empty() || text_path.empty()) throw cli::UsageError("MODEL and TEXTFILE are required");
    if (ctx < 2) throw cli::UsageError("--ctx must be at least 2");
    std::ifstream in(text_path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + text_path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto model = load_model(model_path, lo);
    const std::vector<int32_t> toks = tokenize(*model, ss.str(), true, false);
    if (toks.size() < 2) throw std::runtime_error(text_path + ": fewer than 2 tokens");
    SessionOptions so;
    so.n_ctx = ctx;
    auto session = create_session(model, so);
    const int V = model_info(*model).n_vocab;
    double nll = 0.0;
    size_t predicted = 0;
    for (size_t start = 0; start + 1 < toks.size(); start += static_cast<size_t>(ctx)) {
      const size_t n = std::min(static_cast<size_t>(ctx), toks.size() - start);
      if (n < 2) break;
      session->reset();
      const std::vector<float> logits = session->evaluate(std::span<const int32_t>(toks).subspan(start, n));
      for (size_t i = 0; i + 1 < n; ++i) {
        const float* row = logits.data() + i * static_cast<size_t>(V);
        double mx = row[0];
        for (int v = 1; v < V; ++v) mx = std::max(mx, static_cast<double>(row[v]));
        double sum = 0.0;
        for (int v = 0; v < V; ++v) sum += std::exp(row[v] - mx);
        nll += std::log(sum) + mx - row[toks[start + i + 1]];
        ++predicted;
      }
      std::fprintf(stderr, "[%zu/%zu] ppl so far %.4f\n", start + n, toks.size(), std::exp(nll / static_cast<double>(predicted)));
    }
    std::printf("perplexity %.4f over %zu predicted tokens (%zu tokens, ctx %d)\n",
                std::exp(nll / static_cast<double>(predicted)), predicted, toks.size(), ctx);
    return 0;
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "perplexity: %s\nusage: moescope-cli perplexity MODEL TEXTFILE [--ctx N] [-t THREADS]\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "perplexity: %s\n", e.what());
    return 1;
  }
}
