#pragma once
// The moescope-cli subcommand table: each command lives in its own cmd-<name>.cpp.
#include <span>

namespace moe::cli {

struct Command {
  const char* name;
  const char* usage;    // one line: arguments
  const char* summary;  // one line: what it does
  int (*run)(int argc, char** argv);  // argv[0] is the subcommand name
};

std::span<const Command> commands();

}  // namespace moe::cli
