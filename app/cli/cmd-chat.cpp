// moescope-cli chat: interactive terminal chat; one user message per stdin line (piped input
// works too). /reset forgets the conversation, /quit or end of input leaves.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli-args.hpp"
#include "moe/engine.hpp"

using namespace moe;

int cmd_chat(int argc, char** argv) {
  try {
    cli::Args a(argc, argv);
    std::string model_path, system;
    GenerateRequest req;
    req.max_tokens = 512;
    LoadOptions lo;
    while (a.next()) {
      if (a.is("-n", "--n-predict")) req.max_tokens = a.int_value();
      else if (a.is("--temp")) req.sampling.temperature = a.float_value();
      else if (a.is("--seed")) req.sampling.seed = static_cast<uint64_t>(a.int_value());
      else if (a.is("--system")) system = a.value();
      else if (a.is("-t", "--threads")) lo.n_threads = a.int_value();
      else if (a.cur().starts_with("-")) throw cli::UsageError("unknown option " + std::string(a.cur()));
      else if (model_path.empty()) model_path = std::string(a.cur());
      else throw cli::UsageError("unexpected argument " + std::string(a.cur()));
    }
    if (model_path.empty()) model_path = cli::default_model().string();
    auto model = load_model(model_path, lo);
    auto session = create_session(model);
    const bool tty = isatty(STDIN_FILENO) != 0;
    auto reset = [&] {
      req.messages.clear();
      if (!system.empty()) req.messages.push_back({"system", system});
      session->reset();
    };
    reset();
    if (tty) std::fprintf(stderr, "%s loaded. /reset forgets, /quit leaves.\n", model_info(*model).name.c_str());
    std::string line;
    while (true) {
      if (tty) std::fputs("> ", stdout), std::fflush(stdout);
      if (!std::getline(std::cin, line)) break;
      if (line == "/quit") break;
      if (line == "/reset") { reset(); continue; }
      if (line.empty()) continue;
      req.messages.push_back({"user", line});
      std::string reply;
      const ReplyStats s = session->generate(req, [&](const TokenEvent& ev) {
        reply += ev.text;
        std::fwrite(ev.text.data(), 1, ev.text.size(), stdout);
        std::fflush(stdout);
        return true;
      });
      std::fputs("\n", stdout);
      req.messages.push_back({"assistant", reply});
      std::fprintf(stderr, "[%d tokens, %.1f tok/s, stop: %s]\n", s.generated_tokens, s.decode_tok_s,
                   std::string(stop_reason_name(s.stop_reason)).c_str());
      if (s.stop_reason == StopReason::context_full) {
        std::fprintf(stderr, "context full: conversation reset\n");
        reset();
      }
    }
    return 0;
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "chat: %s\nusage: moescope-cli chat [MODEL] [-n N] [--temp T] [--seed S] [--system TEXT] [-t THREADS]\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chat: %s\n", e.what());
    return 1;
  }
}
