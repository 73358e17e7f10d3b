#include "commands.hpp"

#include <array>

// One declaration and one table row per subcommand.
int cmd_version(int argc, char** argv);
int cmd_isa(int argc, char** argv);
int cmd_inspect(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_detokenize(int argc, char** argv);
int cmd_render_template(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_logits(int argc, char** argv);
int cmd_perplexity(int argc, char** argv);
int cmd_chat(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_quantize(int argc, char** argv);
int cmd_trace(int argc, char** argv);
int cmd_cache_sim(int argc, char** argv);

namespace moe::cli {

std::span<const Command> commands() {
  static const std::array table = {
      Command{"version", "", "print the version", &cmd_version},
      Command{"isa", "", "show the SIMD kernel variants this CPU runs and the one chosen", &cmd_isa},
      Command{"inspect", "MODEL [--json]", "show a model's architecture, tokenizer, tensors and parameter counts", &cmd_inspect},
      Command{"tokenize", "MODEL (--text STR | --file F) [--ids]", "tokenize text with a model's tokenizer", &cmd_tokenize},
      Command{"detokenize", "MODEL ID...", "print the text of token ids", &cmd_detokenize},
      Command{"render-template", "(MODEL | --template FILE) --messages FILE.json [...]", "render a chat template for a conversation", &cmd_render_template},
      Command{"run", "[MODEL] (-p PROMPT | --tokens ID,...) [-n N] [--temp T] [--top-k K] [--top-p P] [--seed S] [-t N] [--chat] [--ids]", "generate text from a prompt", &cmd_run},
      Command{"logits", "MODEL (--prompt TEXT | --tokens ID,...) --out FILE", "write all-position logits (f32 LE [n_tokens][n_vocab])", &cmd_logits},
      Command{"perplexity", "MODEL TEXTFILE [--ctx N]", "perplexity of a text file", &cmd_perplexity},
      Command{"chat", "[MODEL]", "interactive chat on the terminal (stdin lines)", &cmd_chat},
      Command{"bench", "MODEL [-p 512] [-n 128] [-t N] [-r REPS] [--json]", "prefill and decode speed, peak RSS", &cmd_bench},
      Command{"quantize", "IN.gguf OUT.gguf TYPE [-t THREADS]", "requantize a model (Q8_0, Q4_0, Q4_K_M, Q5_K_M, Q6_K, F16...) like llama-quantize", &cmd_quantize},
      Command{"trace", "MODEL -p PROMPT [-n N] -o trace.json [--routing-csv FILE]", "generate with telemetry on; write a Chrome trace and the routing CSV", &cmd_trace},
      Command{"cache-sim", "MODEL TEXTFILE [--budget-experts N | --budget-mib M] [--policy P] [--aware-margin X] [--prefetch on|off] [--parse-special] [--repeat N] [--json] [--sweep]", "expert-cache hit rate, prefetch accuracy, routing deviation and perplexity over a text", &cmd_cache_sim},
  };
  return table;
}

}  // namespace moe::cli
