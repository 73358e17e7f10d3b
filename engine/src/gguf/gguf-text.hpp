#pragma once
// Checks for names read from GGUF files (metadata keys, tensor names) and a printable form of
// any bytes for error messages: a corrupt name must not put control bytes or megabytes of
// text on the user's terminal.
#include <cstdint>
#include <string>
#include <string_view>

namespace moe::gguf_detail {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
inline size_t utf8_sequence_length(std::string_view s, size_t i) noexcept {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1Fu; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0Fu; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07u; }
  else return 0;
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3Fu);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Why `name` is unfit as a metadata key or tensor name, or "" if it is fine. Keys and names are
// identifiers looked up by exact match: empty, NUL-containing or non-UTF-8 ones can only come
// from corruption (llama.cpp's writers emit ASCII), so they are refused rather than guessed at.
inline std::string name_problem(std::string_view name) {
  if (name.empty()) return "empty name";
  for (size_t i = 0; i < name.size();) {
    if (name[i] == '\0') return "contains a NUL byte at position " + std::to_string(i);
    const size_t n = utf8_sequence_length(name, i);
    if (n == 0) return "is not valid UTF-8 (byte " + std::to_string(i) + ")";
    i += n;
  }
  return {};
}

// At most `max` bytes of `s`, with control and non-ASCII bytes as \xNN.
inline std::string printable(std::string_view s, size_t max = 64) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace moe::gguf_detail
