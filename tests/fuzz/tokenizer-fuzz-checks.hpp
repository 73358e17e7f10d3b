#pragma once
// Tokenizer invariants checked by the tokenizer fuzz targets and replayed by the regression
// tests (tests/engine/test-engine-fuzz-regressions.cpp). Header-only so that both the libFuzzer
// build (clang, instrumented sources) and the Qt Test build share one definition.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moe/tokenizer.hpp"

namespace moe::fuzz_checks {

inline bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    char32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1Fu; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0Fu; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07u; }
    else return false;
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// nullptr when every invariant holds, else a description of the first broken one.
inline const char* check_round_trip(const Tokenizer& tok, std::span<const std::byte> bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::vector<TokenId> ids = tok.tokenize(text, false, false);
  for (const TokenId id : ids)
    if (id < 0 || static_cast<size_t>(id) >= tok.n_tokens()) return "token id outside the vocabulary";

  const std::string whole = tok.detokenize(ids);
  StreamingDetokenizer stream(tok);
  std::string streamed;
  for (const TokenId id : ids) streamed += stream.feed(id);
  streamed += stream.flush();
  if (!is_valid_utf8(streamed)) return "streaming detokenizer emitted invalid UTF-8";
  if (is_valid_utf8(text)) {
    // SentencePiece vocabularies store spaces as U+2581 and turn every U+2581 back into a
    // space, so text that contains one cannot round-trip (the same holds for llama.cpp).
    const bool spm_space_mark = tok.info().type == VocabType::spm && text.find("\xe2\x96\x81") != std::string_view::npos;
    if (!spm_space_mark && whole != text) return "detokenize(tokenize(text)) != text for valid UTF-8";
    if (streamed != whole) return "streaming detokenizer output != detokenize output";
  }
  return nullptr;
}

}  // namespace moe::fuzz_checks
