// moescope-cli run: generate from a prompt (or token ids), streaming text, stats on stderr.
#include <cstdio>
#include <iostream>

#include "cli-args.hpp"
#include "moe/engine.hpp"
#include "moe/errors.hpp"

using namespace moe;

int cmd_run(int argc, char** argv) {
  try {
    cli::Args a(argc, argv);
    std::string model_path, prompt;
    std::vector<int32_t> tokens;
    bool have_prompt = false, chat = false, ids = false;
    GenerateRequest req;
    req.max_tokens = 128;
    req.sampling.repeat_penalty = 1.0f;  // llama.cpp's default: off
    LoadOptions lo;
    while (a.next()) {
      if (a.is("-p", "--prompt")) { prompt = a.value(); have_prompt = true; }
      else if (a.is("--tokens")) tokens = cli::parse_token_list(a.value());
      else if (a.is("-n", "--n-predict")) req.max_tokens = a.int_value();
      else if (a.is("--temp")) req.sampling.temperature = a.float_value();
      else if (a.is("--top-k")) req.sampling.top_k = a.int_value();
      else if (a.is("--top-p")) req.sampling.top_p = a.float_value();
      else if (a.is("--min-p")) req.sampling.min_p = a.float_value();
      else if (a.is("--repeat-penalty")) req.sampling.repeat_penalty = a.float_value();
      else if (a.is("--seed")) req.sampling.seed = static_cast<uint64_t>(a.int_value());
      else if (a.is("-t", "--threads")) lo.n_threads = a.int_value();
      else if (a.is("--chat")) chat = true;
      else if (a.is("--ids")) ids = true;
      else if (a.is("-h", "--help")) throw cli::UsageError("");
      else if (a.cur().starts_with("-")) throw cli::UsageError("unknown option " + std::string(a.cur()));
      else if (model_path.empty()) model_path = std::string(a.cur());
      else throw cli::UsageError("unexpected argument " + std::string(a.cur()));
    }
    if (have_prompt == !tokens.empty()) throw cli::UsageError("give exactly one of -p PROMPT or --tokens ID,...");
    if (model_path.empty()) model_path = cli::default_model().string();

    auto model = load_model(model_path, lo);
    auto session = create_session(model);
    std::string generated_ids;
    auto on_token = [&](const TokenEvent& ev) {
      if (ids) {
        generated_ids += (generated_ids.empty() ? "" : " ") + std::to_string(ev.token);
      } else {
        std::fwrite(ev.text.data(), 1, ev.text.size(), stdout);
        std::fflush(stdout);
      }
      return true;
    };
    ReplyStats s;
    if (!tokens.empty()) {
      s = session->generate_tokens(tokens, req, on_token);
    } else {
      if (chat) req.messages.push_back({"user", prompt});
      else req.prompt = prompt;
      s = session->generate(req, on_token);
    }
    std::printf("%s\n", ids ? generated_ids.c_str() : "");
    std::fflush(stdout);  // the text ends before the stats line on a shared terminal
    std::fprintf(stderr,
                 "prompt: %d tokens, %.1f tok/s | generated: %d tokens, %.1f tok/s | TTFT %.1f ms | stop: %s\n",
                 s.prompt_tokens, s.prompt_tok_s, s.generated_tokens, s.decode_tok_s, s.time_to_first_token_ms,
                 std::string(stop_reason_name(s.stop_reason)).c_str());
    return 0;
  } catch (const cli::UsageError& e) {
    return cli::usage_exit("run", "[MODEL] (-p PROMPT | --tokens ID,...) [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [-t THREADS] [--chat] [--ids]", e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run: %s\n", e.what());
    return 1;
  }
}
