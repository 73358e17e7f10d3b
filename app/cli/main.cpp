// moescope-cli: inspect, run, chat, bench and measure MoE models from the terminal.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include "commands.hpp"
#include "moe/version.hpp"

namespace {

void print_help() {
  std::printf("moescope-cli %s - run Mixture-of-Experts GGUF models and look inside them\n\n", moe::kVersion);
  std::printf("usage: moescope-cli <command> [options]\n       moescope-cli --version | --help\n\ncommands:\n");
  for (const moe::cli::Command& c : moe::cli::commands())
    std::printf("  %-16s %s\n", c.name, c.summary);
  std::printf("\n'moescope-cli <command> --help' shows a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_help();
    return 2;
  }
  const std::string_view first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    print_help();
    return 0;
  }
  if (first == "--version" || first == "-V") {
    std::printf("moescope-cli %s\n", moe::kVersion);
    return 0;
  }
  for (const moe::cli::Command& c : moe::cli::commands()) {
    if (first != c.name) continue;
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "moescope-cli %s: error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "moescope-cli: unknown command '%s' (see --help)\n", argv[1]);
  return 2;
}
