#pragma once
// UTF-8 and GPT-2 byte<->unicode helpers with llama.cpp's exact semantics (unicode.cpp).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace moe::tok {

inline constexpr uint32_t kReplacement = 0xFFFD;

// Length of the UTF-8 sequence a lead byte announces; continuation bytes count as 1 (llama.cpp's
// unicode_len_utf8, used to cut text into symbols even when it is not valid UTF-8).
inline size_t utf8_len(char c) noexcept {
  static constexpr size_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return lookup[static_cast<uint8_t>(c) >> 4];
}

// Decodes one code point at `off` the way llama.cpp does: no overlong/surrogate checks, a bad
// sequence consumes one byte and yields U+FFFD. Advances `off`.
uint32_t decode_utf8_lenient(std::string_view s, size_t& off) noexcept;

// Appends the UTF-8 of `cpt`; code points above U+10FFFF (possible from lenient decoding of
// F5..F7 lead bytes, where llama.cpp throws) become U+FFFD.
void append_utf8(std::string& out, uint32_t cpt);

// True when `s` is UTF-8 that PCRE2 accepts (shortest form, no surrogates, <= U+10FFFF).
bool is_strict_utf8(std::string_view s) noexcept;

// llama.cpp's text as BPE sees it: decode leniently, re-encode. Returns the cleaned text; when
// it contains surrogate code points (which PCRE2 refuses) `match_text` receives a copy with
// each replaced by U+FFFD (same length, same regex class), else it is left empty.
std::string sanitize_for_bpe(std::string_view s, std::string& match_text);

// GPT-2's reversible byte <-> printable-unicode mapping.
struct ByteUnicode {
  std::array<std::string, 256> byte_to_utf8;  // UTF-8 of the code point each byte maps to
  std::array<int16_t, 512> cpt_to_byte;       // -1 where a code point is no byte's image
  static const ByteUnicode& get();
};

}  // namespace moe::tok
