// moescope-cli logits: all-position logits, f32 little-endian [n_tokens][n_vocab] (the refs' format).
#include <cstdio>
#include <fstream>

#include "cli-args.hpp"
#include "moe/engine.hpp"

using namespace moe;

int cmd_logits(int argc, char** argv) {
  try {
    cli::Args a(argc, argv);
    std::string model_path, prompt, out;
    bool have_prompt = false, sequential = false;
    std::vector<int32_t> tokens;
    LoadOptions lo;
    while (a.next()) {
      if (a.is("--prompt", "-p")) { prompt = a.value(); have_prompt = true; }
      else if (a.is("--tokens")) tokens = cli::parse_token_list(a.value());
      else if (a.is("--out", "-o")) out = a.value();
      else if (a.is("--sequential")) sequential = true;
      else if (a.is("-t", "--threads")) lo.n_threads = a.int_value();
      else if (a.cur().starts_with("-")) throw cli::UsageError("unknown option " + std::string(a.cur()));
      else if (model_path.empty()) model_path = std::string(a.cur());
      else throw cli::UsageError("unexpected argument " + std::string(a.cur()));
    }
    if (model_path.empty()) throw cli::UsageError("MODEL is required");
    if (out.empty()) throw cli::UsageError("--out FILE is required");
    if (have_prompt == !tokens.empty()) throw cli::UsageError("give exactly one of --prompt TEXT or --tokens ID,...");
    auto model = load_model(model_path, lo);
    if (have_prompt) tokens = tokenize(*model, prompt, true, true);
    SessionOptions so;
    so.kv_type = KvType::F32;
    so.n_ctx = static_cast<int>(tokens.size());
    auto session = create_session(model, so);
    const std::vector<float> logits = session->evaluate(tokens, !sequential);
    // Little-endian hosts only (x86-64, arm64): the float bytes are written as they are.
    std::ofstream f(out, std::ios::binary);
    f.write(reinterpret_cast<const char*>(logits.data()), static_cast<std::streamsize>(logits.size() * sizeof(float)));
    if (!f) throw std::runtime_error("cannot write " + out);
    std::fprintf(stderr, "%zu tokens x %d vocab -> %s\n", tokens.size(), model_info(*model).n_vocab, out.c_str());
    return 0;
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "logits: %s\nusage: moescope-cli logits MODEL (--prompt TEXT | --tokens ID,...) --out FILE [--sequential]\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "logits: %s\n", e.what());
    return 1;
  }
}
