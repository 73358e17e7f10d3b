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
    bool parse_special = false, second_half = false;
    LoadOptions lo;
    while (a.next()) {
      if (a.is("--ctx", "-c")) ctx = a.int_value();
      else if (a.is("-t", "--threads")) lo.n_threads = a.int_value();
      else if (a.is("--parse-special")) parse_special = true;
      else if (a.is("--second-half")) second_half = true;  // llama-perplexity: score only the second half of each chunk
      else if (a.is("-h", "--help")) throw cli::UsageError("");
      else if (a.cur().starts_with("-")) throw cli::UsageError("unknown option " + std::string(a.cur()));
      else if (model_path.empty()) model_path = std::string(a.cur());
      else if (text_path.empty()) text_path = std::string(a.cur());
      else throw cli::UsageError("unexpected argument " + std::string(a.cur()));
    }
    if (model_path.empty() || text_path.empty()) throw cli::UsageError("MODEL and TEXTFILE are required");
    if (ctx < 2) throw cli::UsageError("--ctx must be at least 2");
    const std::string text = cli::read_file(text_path);
    auto model = load_model(model_path, lo);
    const std::vector<int32_t> toks = tokenize(*model, text, true, parse_special);
    if (toks.size() < 2) throw std::runtime_error(text_path + ": fewer than 2 tokens");
    SessionOptions so;
    so.n_ctx = ctx;
    auto session = create_session(model, so);
    const int V = model_info(*model).n_vocab;
    double nll = 0.0;
    size_t predicted = 0;
    for (size_t start = 0; start + 1 < toks.size(); start += static_cast<size_t>(ctx)) {
      const size_t n = std::min(static_cast<size_t>(ctx), toks.size() - start);
      if (n < 2 || (second_half && n < static_cast<size_t>(ctx))) break;  // llama-perplexity: whole chunks only
      session->reset();
      const std::vector<float> logits = session->evaluate(std::span<const int32_t>(toks).subspan(start, n));
      for (size_t i = second_half ? n / 2 : 0; i + 1 < n; ++i) {
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
    return cli::usage_exit("perplexity", "MODEL TEXTFILE [--ctx N] [--parse-special] [--second-half] [-t THREADS]", e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "perplexity: %s\n", e.what());
    return 1;
  }
}
