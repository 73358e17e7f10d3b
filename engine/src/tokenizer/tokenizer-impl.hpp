#pragma once
// State shared by the tokenizer's source files (not part of the public API).
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "moe/tokenizer.hpp"
#include "tokenizer/pre-tokenizer.hpp"

namespace moe {

struct Tokenizer::Impl {
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  // BPE merge ranks keyed by first + '\xFF' + second: 0xFF never occurs in the UTF-8 symbols
  // being merged, so a key cannot be confused with another pair.
  std::unordered_map<std::string, int, Hash, std::equal_to<>> bpe_ranks;
  std::unique_ptr<tok::RegexSplitter> splitter;  // BPE only
  // SPM: no token contains a non-space character followed by U+2581, so words merge alone.
  bool spm_split_at_words = false;
};

namespace tok {
// Byte-level BPE of one raw-text fragment (pre-tokenized, merged, appended to `out`).
void bpe_tokenize(const Tokenizer& t, std::string_view text, std::vector<TokenId>& out);
// SentencePiece score merging of one fragment whose spaces are already escaped to U+2581.
void spm_tokenize(const Tokenizer& t, std::string_view text, std::vector<TokenId>& out);
}  // namespace tok

}  // namespace moe
