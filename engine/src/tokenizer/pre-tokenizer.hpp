#pragma once
// Pre-tokenizer: splits text into words with the regex list llama.cpp uses for a model family.
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "moe/tokenizer.hpp"

namespace moe::tok {

struct PreTokenizerInfo {
  PreTokenizer type;
  bool ignore_merges = false;
  bool clean_spaces = true;
  bool add_bos = false;  // llama.cpp's default before tokenizer.ggml.add_bos_token overrides it
};

// Maps a tokenizer.ggml.pre name to its family; nullopt for a name llama.cpp does not know.
std::optional<PreTokenizerInfo> pre_tokenizer_from_name(std::string_view name);

class RegexSplitter {
 public:
  explicit RegexSplitter(PreTokenizer type);  // compiles (and JIT-compiles) every regex once
  ~RegexSplitter();
  RegexSplitter(const RegexSplitter&) = delete;
  RegexSplitter& operator=(const RegexSplitter&) = delete;

  // Splits `text` (valid UTF-8; `match_text` is the same bytes as PCRE2 should see them) into
  // byte ranges. Each regex runs on every piece the previous one produced, and a piece is a
  // complete subject (lookaheads and `$` see its end), exactly as llama.cpp's split does.
  void split(std::string_view text, std::string_view match_text,
             std::vector<std::pair<size_t, size_t>>& out) const;

 private:
  struct Compiled;
  std::vector<std::unique_ptr<Compiled>> regexes_;
};

}  // namespace moe::tok
