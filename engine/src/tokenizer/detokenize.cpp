// Token ids back to text (llama_vocab::impl::token_to_piece / detokenize in llama.cpp) and
// the streaming detokenizer for the chat view.
#include <string>

#include "moe/tokenizer.hpp"
#include "tokenizer/unicode-util.hpp"

namespace moe {

namespace {

void unescape_spm(std::string_view text, std::string& out) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 3) == "\xE2\x96\x81") {
      out += ' ';
      i += 2;
    } else {
      out += text[i];
    }
  }
}

// GPT-2 byte-level characters back to bytes. A character that is no byte's image is written
// the way llama.cpp's llama_decode_text writes it.
void decode_bpe(std::string_view text, std::string& out) {
  const auto& bu = tok::ByteUnicode::get();
  for (size_t off = 0; off < text.size();) {
    const uint32_t cpt = tok::decode_utf8_lenient(text, off);
    if (cpt < bu.cpt_to_byte.size() && bu.cpt_to_byte[cpt] >= 0) {
      out += static_cast<char>(bu.cpt_to_byte[cpt]);
      continue;
    }
    std::string utf8;
    tok::append_utf8(utf8, cpt);
    out += "[UNK_BYTE_0x";
    static constexpr char hex[] = "0123456789abcdef";
    for (const char c : utf8) {
      out += hex[static_cast<uint8_t>(c) >> 4];
      out += hex[static_cast<uint8_t>(c) & 15];
    }
    out.append(text);
    out += ']';
  }
}

// Bytes of the longest prefix of `s` that holds only complete UTF-8 sequences; an invalid
// byte counts as complete (it can never become valid by waiting).
size_t complete_utf8_prefix(std::string_view s) {
  const size_t n = s.size();
  // Only the last 3 bytes can start an unfinished sequence.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto c = static_cast<uint8_t>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation: keep looking for the lead byte
    const size_t need = (c >= 0xF0 && c <= 0xF7) ? 4 : (c >= 0xE0) ? 3 : (c >= 0xC0) ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

// `s` with every byte that does not start a strictly valid UTF-8 sequence (stray continuation
// bytes, overlong forms, surrogates, > U+10FFFF) replaced by U+FFFD.
std::string strict_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    if (len != 0 && i + len <= s.size() && tok::is_strict_utf8(s.substr(i, len))) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      tok::append_utf8(out, tok::kReplacement);
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string Tokenizer::token_to_piece(TokenId id, bool special, int lstrip) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return {};
  const TokenData& t = tokens_[static_cast<size_t>(id)];
  constexpr uint32_t attr_special = token_attr::unknown | token_attr::control;
  if (!special && (t.attr & attr_special)) return {};
  std::string piece;
  if (t.attr & (attr_special | token_attr::user_defined)) {
    piece = t.text;
  } else if (t.attr & token_attr::normal) {
    if (info_.type == VocabType::spm)
      unescape_spm(t.text, piece);
    else
      decode_bpe(t.text, piece);
  } else if ((t.attr & token_attr::byte) && info_.type == VocabType::spm) {
    // "<0xNN>": llama.cpp reads the two hex digits at offset 3.
    if (t.text.size() >= 5) {
      unsigned v = 0;
      for (const char c : t.text.substr(3, 2)) {
        v <<= 4;
        if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
        else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
        else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      }
      piece = std::string(1, static_cast<char>(v));
    }
  }
  size_t skip = 0;
  while (static_cast<int>(skip) < lstrip && skip < piece.size() && piece[skip] == ' ') ++skip;
  return piece.substr(skip);
}

std::string Tokenizer::detokenize(std::span<const TokenId> ids, const DetokenizeOptions& opts) const {
  bool remove_space = info_.add_space_prefix;
  if (opts.remove_special && info_.add_bos && !ids.empty() && ids.front() == info_.bos) {
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (opts.remove_special && info_.add_eos && !ids.empty() && ids.back() == info_.eos) ids = ids.first(ids.size() - 1);

  std::string text;
  for (const TokenId id : ids) {
    text += token_to_piece(id, opts.unparse_special, remove_space ? 1 : 0);
    remove_space = false;
  }
  if (!(opts.clean_spaces && info_.clean_spaces) || text.empty()) return text;

  // llama.cpp's clean-up passes: " ?" " !" " ." " ," lose the space, as do " 's" " 't" " 'd"
  // " 'm" and " n't"; " 're" " 've" " 'll" keep it.
  std::string a;
  a += text[0];
  for (size_t i = 1; i < text.size(); ++i) {
    const char x = text[i];
    if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) a.pop_back();
    a += x;
  }
  std::string b;
  b += a[0];
  for (size_t i = 1; i < a.size(); ++i) {
    const char x = a[i];
    if (x == '\'' && i + 1 < a.size() && a[i - 1] == ' ') {
      const char y = a[i + 1];
      if (y == 's' || y == 't' || y == 'd' || y == 'm') b.pop_back();
    }
    b += x;
  }
  std::string c;
  c += b[0];
  for (size_t i = 1; i < b.size(); ++i) {
    const char x = b[i];
    if (b[i - 1] == ' ' && x == 'n' && i + 2 < b.size() && b[i + 1] == '\'' && b[i + 2] == 't') c.pop_back();
    c += x;
  }
  return c;
}

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tok, const Options& opts) : tok_(&tok), opts_(opts) {}

std::string StreamingDetokenizer::feed(TokenId id) {
  const bool strip = first_ && opts_.strip_leading_space.value_or(tok_->info().add_space_prefix);
  first_ = false;
  pending_ += tok_->token_to_piece(id, opts_.show_special, strip ? 1 : 0);
  const size_t n = complete_utf8_prefix(pending_);
  // Byte tokens can form sequences that are not UTF-8 at all; consumers (JSON, Qt) get U+FFFD.
  std::string out = pending_.substr(0, n);
  pending_.erase(0, n);
  return tok::is_strict_utf8(out) ? out : strict_utf8(out);
}

std::string StreamingDetokenizer::flush() {
  std::string out;
  if (!pending_.empty()) tok::append_utf8(out, tok::kReplacement);
  pending_.clear();
  return out;
}

void StreamingDetokenizer::reset() {
  first_ = true;
  pending_.clear();
}

}  // namespace moe
