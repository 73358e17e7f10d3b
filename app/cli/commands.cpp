#include "commands.hpp"

#include <array>

// One declaration and one table row per subcommand.
int cmd_version(int argc, char** argv);
int cmd_isa(int argc, char** argv);
int cmd_inspect(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_detokenize(int argc, char** argv);
int cmd_render_template(int argc, char** argv);

namespace moe::cli {

std::span<const Command> commands() {
  static const std::array table = {
      Command{"version", "", "print the version", &cmd_version},
      Command{"isa", "", "show the SIMD kernel variants this CPU runs and the one chosen", &cmd_isa},
      Command{"inspect", "MODEL [--json]", "show a model's architecture, tokenizer, tensors and parameter counts", &cmd_inspect},
      Command{"tokenize", "MODEL (--text STR | --file F) [--ids]", "tokenize text with a model's tokenizer", &cmd_tokenize},
      Command{"detokenize", "MODEL ID...", "print the text of token ids", &cmd_detokenize},
      Command{"render-template", "(MODEL | --template FILE) --messages FILE.json [...]", "render a chat template for a conversation", &cmd_render_template},
  };
  return table;
}

}  // namespace moe::cli
