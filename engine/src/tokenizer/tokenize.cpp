// Tokenizer::tokenize: special-token splitting, then SPM or BPE per raw-text fragment
// (llama_vocab::impl::tokenize and tokenizer_st_partition in llama.cpp).
#include <cstring>
#include <string>
#include <vector>

#include "moe/tokenizer.hpp"
#include "tokenizer/tokenizer-impl.hpp"

namespace moe {

namespace {

struct Fragment {
  TokenId token = kNoToken;  // kNoToken: raw text [offset, offset + length)
  size_t offset = 0;
  size_t length = 0;
};

// C-locale isspace, as llama.cpp uses for lstrip/rstrip.
bool c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

// Splits raw text on every special-token text, longest tokens first; each later token only
// searches the raw fragments left by the earlier ones.
static std::vector<Fragment> partition(const Tokenizer& t, std::span<const TokenId> specials,
                                       std::string_view text, bool parse_special) {
  std::vector<Fragment> frags{{kNoToken, 0, text.size()}};
  std::vector<Fragment> next;
  for (const TokenId id : specials) {
    const TokenData& data = t.token(id);
    if (!parse_special && (data.attr & (token_attr::control | token_attr::unknown))) continue;
    const std::string_view needle = data.text;
    next.clear();
    bool changed = false;
    for (const Fragment& f : frags) {
      if (f.token != kNoToken) {
        next.push_back(f);
        continue;
      }
      size_t off = f.offset;
      size_t len = f.length;
      while (len > 0) {
        const size_t match = text.substr(0, off + len).find(needle, off);
        if (match == std::string_view::npos) break;
        changed = true;
        if (match > off) {
          size_t left_len = match - off;
          if (data.attr & token_attr::lstrip)
            while (left_len > 0 && c_space(text[off + left_len - 1])) --left_len;
          if (left_len > 0) next.push_back({kNoToken, off, left_len});
        }
        next.push_back({id, 0, 0});
        size_t right_off = match + needle.size();
        size_t right_len = off + len - right_off;
        if (data.attr & token_attr::rstrip)
          while (right_len > 0 && c_space(text[right_off])) {
            ++right_off;
            --right_len;
          }
        off = right_off;
        len = right_len;
      }
      if (len > 0) next.push_back({kNoToken, off, len});
    }
    if (changed) frags.swap(next);
  }
  return frags;
}

std::vector<TokenId> Tokenizer::tokenize(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 4);
  std::vector<Fragment> frags;
  if (!text.empty()) frags = partition(*this, special_cache_, text, parse_special);

  if (info_.type == VocabType::spm) {
    if (add_special && info_.add_bos) out.push_back(info_.bos);
    bool prev_special = true;  // the first fragment gets the space prefix
    std::string escaped;
    for (const Fragment& f : frags) {
      if (f.token != kNoToken) {
        out.push_back(f.token);
        prev_special = true;
        continue;
      }
      escaped.clear();
      if (info_.add_space_prefix && prev_special) escaped = "\xE2\x96\x81";
      for (const char c : text.substr(f.offset, f.length)) {
        if (c == ' ')
          escaped += "\xE2\x96\x81";
        else
          escaped += c;
      }
      tok::spm_tokenize(*this, escaped, out);
      prev_special = false;
    }
    if (add_special && info_.add_eos) out.push_back(info_.eos);
    return out;
  }

  if (add_special && info_.add_bos) out.push_back(info_.bos);
  for (const Fragment& f : frags) {
    if (f.token != kNoToken)
      out.push_back(f.token);
    else
      tok::bpe_tokenize(*this, text.substr(f.offset, f.length), out);
  }
  if (add_special && info_.add_eos) out.push_back(info_.eos);
  return out;
}

namespace fuzz {

size_t tokenize_bytes(const Tokenizer& tok, std::span<const std::byte> bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  try {
    const std::vector<TokenId> plain = tok.tokenize(text, false, false);
    const std::vector<TokenId> special = tok.tokenize(text, true, true);
    (void)tok.detokenize(plain);
    Tokenizer::DetokenizeOptions o;
    o.unparse_special = true;
    o.clean_spaces = true;
    (void)tok.detokenize(special, o);
    StreamingDetokenizer stream(tok);
    for (const TokenId id : special) (void)stream.feed(id);
    (void)stream.flush();
    return special.size();
  } catch (const std::bad_alloc&) {
    return 0;  // out of memory is the environment's failure, not the input's
  }
}

}  // namespace fuzz

}  // namespace moe
