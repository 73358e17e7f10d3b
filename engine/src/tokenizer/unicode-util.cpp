#include "tokenizer/unicode-util.hpp"

namespace moe::tok {

uint32_t decode_utf8_lenient(std::string_view s, size_t& off) noexcept {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[off + i]); };
  const size_t left = s.size() - off;
  const uint8_t c = b(0);
  if (!(c & 0x80)) {
    off += 1;
    return c;
  }
  const auto cont = [&](size_t i) { return (b(i) & 0xC0) == 0x80; };
  if ((c & 0x40) && !(c & 0x20)) {
    if (left >= 2 && cont(1)) {
      const uint32_t cpt = (uint32_t(c & 0x1F) << 6) | (b(1) & 0x3F);
      off += 2;
      return cpt;
    }
  } else if ((c & 0x40) && !(c & 0x10)) {
    if (left >= 3 && cont(1) && cont(2)) {
      const uint32_t cpt = (uint32_t(c & 0x0F) << 12) | (uint32_t(b(1) & 0x3F) << 6) | (b(2) & 0x3F);
      off += 3;
      return cpt;
    }
  } else if ((c & 0x40) && !(c & 0x08)) {
    if (left >= 4 && cont(1) && cont(2) && cont(3)) {
      const uint32_t cpt = (uint32_t(c & 0x07) << 18) | (uint32_t(b(1) & 0x3F) << 12) |
                           (uint32_t(b(2) & 0x3F) << 6) | (b(3) & 0x3F);
      off += 4;
      return cpt;
    }
  }
  off += 1;
  return kReplacement;
}

void append_utf8(std::string& out, uint32_t cpt) {
  if (cpt > 0x10FFFF) cpt = kReplacement;
  if (cpt <= 0x7F) {
    out += static_cast<char>(cpt);
  } else if (cpt <= 0x7FF) {
    out += static_cast<char>(0xC0 | (cpt >> 6));
    out += static_cast<char>(0x80 | (cpt & 0x3F));
  } else if (cpt <= 0xFFFF) {
    out += static_cast<char>(0xE0 | (cpt >> 12));
    out += static_cast<char>(0x80 | ((cpt >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cpt & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cpt >> 18));
    out += static_cast<char>(0x80 | ((cpt >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cpt >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cpt & 0x3F));
  }
}

bool is_strict_utf8(std::string_view s) noexcept {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    const auto at = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
    if (c >= 0xC2 && c <= 0xDF) {
      if (i + 1 >= n || (at(1) & 0xC0) != 0x80) return false;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (i + 2 >= n || (at(1) & 0xC0) != 0x80 || (at(2) & 0xC0) != 0x80) return false;
      if (c == 0xE0 && at(1) < 0xA0) return false;   // overlong
      if (c == 0xED && at(1) >= 0xA0) return false;  // surrogate
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (i + 3 >= n || (at(1) & 0xC0) != 0x80 || (at(2) & 0xC0) != 0x80 || (at(3) & 0xC0) != 0x80)
        return false;
      if (c == 0xF0 && at(1) < 0x90) return false;  // overlong
      if (c == 0xF4 && at(1) >= 0x90) return false; // > U+10FFFF
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

std::string sanitize_for_bpe(std::string_view s, std::string& match_text) {
  std::string out;
  out.reserve(s.size() + 8);
  bool surrogate = false;
  for (size_t off = 0; off < s.size();) {
    const uint32_t cpt = decode_utf8_lenient(s, off);
    surrogate |= (cpt >= 0xD800 && cpt <= 0xDFFF);
    append_utf8(out, cpt);
  }
  match_text.clear();
  if (surrogate) {
    match_text = out;
    // A surrogate encodes as ED A0..BF xx: 3 bytes, like U+FFFD (EF BF BD).
    for (size_t i = 0; i + 2 < match_text.size(); ++i) {
      if (static_cast<uint8_t>(match_text[i]) == 0xED && static_cast<uint8_t>(match_text[i + 1]) >= 0xA0) {
        match_text[i] = '\xEF';
        match_text[i + 1] = '\xBF';
        match_text[i + 2] = '\xBD';
        i += 2;
      }
    }
  }
  return out;
}

const ByteUnicode& ByteUnicode::get() {
  static const ByteUnicode table = [] {
    ByteUnicode t;
    t.cpt_to_byte.fill(-1);
    const auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cpt = printable(b) ? static_cast<uint32_t>(b) : static_cast<uint32_t>(256 + n++);
      append_utf8(t.byte_to_utf8[static_cast<size_t>(b)], cpt);
      t.cpt_to_byte[cpt] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return table;
}

}  // namespace moe::tok
