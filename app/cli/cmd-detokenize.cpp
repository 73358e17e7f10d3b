// moescope-cli detokenize MODEL [--hide-special] [--clean-spaces] ID...
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "moe/errors.hpp"
#include "moe/tokenizer.hpp"

namespace {

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: moescope-cli detokenize MODEL [--hide-special] [--clean-spaces] ID...\n"
               "  prints the text of the token ids (control tokens as their text), no newline added\n"
               "  --hide-special   leave control tokens out\n"
               "  --clean-spaces   apply the vocabulary's clean-up (\" ,\" -> \",\"...) as llama_detokenize does\n");
}

}  // namespace

int cmd_detokenize(int argc, char** argv) {
  std::optional<std::string> model;
  std::vector<moe::TokenId> ids;
  moe::Tokenizer::DetokenizeOptions opts;
  opts.unparse_special = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    }
    if (a == "--hide-special") {
      opts.unparse_special = false;
      continue;
    }
    if (a == "--clean-spaces") {
      opts.clean_spaces = true;
      continue;
    }
    if (!model) {
      model = std::string(a);
      continue;
    }
    moe::TokenId id = 0;
    const auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), id);
    if (ec != std::errc() || end != a.data() + a.size()) {
      std::fprintf(stderr, "moescope-cli detokenize: '%s' is not a token id\n", argv[i]);
      return 2;
    }
    ids.push_back(id);
  }
  if (!model) {
    usage(stderr);
    return 2;
  }
  const auto tok = moe::Tokenizer::load(*model);
  for (const moe::TokenId id : ids)
    if (id < 0 || static_cast<size_t>(id) >= tok->n_tokens())
      throw moe::TokenizerError(*model + ": token id " + std::to_string(id) + " out of range (vocabulary has " +
                                std::to_string(tok->n_tokens()) + " tokens)");
  const std::string text = tok->detokenize(ids, opts);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}
