// Byte-level BPE (llm_tokenizer_bpe_session in llama.cpp): pre-tokenize with the model's
// regexes, map each word's bytes to GPT-2's printable characters, then apply merges lowest
// rank first.
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer-impl.hpp"
#include "tokenizer/unicode-util.hpp"

namespace moe::tok {

namespace {

struct Symbol {
  int prev;
  int next;
  size_t offset;  // into the byte-encoded word
  size_t n;       // 0 once merged into its left neighbour
};

struct Bigram {
  int rank;
  int left;
  int right;
  size_t size;
};

// Lowest rank first; ties go to the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& l, const Bigram& r) const {
    return l.rank > r.rank || (l.rank == r.rank && l.left > r.left);
  }
};

// Reused across the words of one call: the hot loop allocates nothing per word.
struct Session {
  const Tokenizer& t;
  const Tokenizer::Impl& impl;
  std::string word;  // byte-encoded
  std::string key;
  std::vector<Symbol> symbols;
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;

  void add_bigram(int left, int right) {
    if (left == -1 || right == -1) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const Symbol& r = symbols[static_cast<size_t>(right)];
    key.assign(word, l.offset, l.n);
    key += '\xFF';
    key.append(word, r.offset, r.n);
    const auto it = impl.bpe_ranks.find(std::string_view(key));
    if (it == impl.bpe_ranks.end()) return;
    queue.push({it->second, left, right, l.n + r.n});
  }

  void emit(std::string_view piece, std::vector<TokenId>& out) const {
    if (const auto id = t.find_token(piece)) {
      out.push_back(*id);
      return;
    }
    // Not a token: llama.cpp looks up each byte of the encoded text as a one-byte token and
    // drops the bytes that are not.
    for (const char c : piece)
      if (const auto id = t.find_token(std::string_view(&c, 1))) out.push_back(*id);
  }

  void word_to_tokens(std::vector<TokenId>& out) {
    if (t.info().ignore_merges) {
      if (const auto id = t.find_token(word)) {
        out.push_back(*id);
        return;
      }
    }
    symbols.clear();
    for (size_t off = 0; off < word.size();) {
      const size_t n = std::min(word.size() - off, utf8_len(word[off]));
      const int index = static_cast<int>(symbols.size());
      symbols.push_back({index - 1, off + n == word.size() ? -1 : index + 1, off, n});
      off += n;
    }
    for (int i = 1; i < static_cast<int>(symbols.size()); ++i) add_bigram(i - 1, i);
    while (!queue.empty()) {
      const Bigram b = queue.top();
      queue.pop();
      Symbol& l = symbols[static_cast<size_t>(b.left)];
      Symbol& r = symbols[static_cast<size_t>(b.right)];
      // Stale: a side was merged since the pair was queued (symbols only grow, so equal
      // length at the same offset means equal text, llama.cpp's check).
      if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
      l.n += r.n;
      r.n = 0;
      l.next = r.next;
      if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = b.left;
      add_bigram(l.prev, b.left);
      add_bigram(b.left, l.next);
    }
    for (const Symbol& s : symbols)
      if (s.n > 0) emit(std::string_view(word).substr(s.offset, s.n), out);
  }
};

}  // namespace

void bpe_tokenize(const Tokenizer& t, std::string_view text, std::vector<TokenId>& out) {
  const Tokenizer::Impl& impl = t.impl();
  const ByteUnicode& bu = ByteUnicode::get();
  // llama.cpp decodes the text leniently (bad bytes -> U+FFFD) before splitting.
  std::string cleaned;
  std::string match_text;
  std::string_view clean = text;
  if (!is_strict_utf8(text)) {
    cleaned = sanitize_for_bpe(text, match_text);
    clean = cleaned;
  }
  std::vector<std::pair<size_t, size_t>> words;
  impl.splitter->split(clean, match_text, words);

  Session s{t, impl, {}, {}, {}, {}};
  // A word always tokenizes the same way, and natural text repeats words a lot: remember the
  // result per distinct word for the rest of this call (bounded, so memory stays small).
  constexpr size_t kMaxCached = 1u << 16;
  std::unordered_map<std::string_view, std::pair<uint32_t, uint32_t>> cache;  // word -> [begin, end) in `memo`
  std::vector<TokenId> memo;
  for (const auto& [off, len] : words) {
    const std::string_view raw = clean.substr(off, len);
    if (const auto it = cache.find(raw); it != cache.end()) {
      out.insert(out.end(), memo.begin() + it->second.first, memo.begin() + it->second.second);
      continue;
    }
    s.word.clear();
    for (const char c : raw) s.word += bu.byte_to_utf8[static_cast<uint8_t>(c)];
    const size_t before = out.size();
    s.word_to_tokens(out);
    if (cache.size() >= kMaxCached) {
      cache.clear();
      memo.clear();
    }
    const auto begin = static_cast<uint32_t>(memo.size());
    memo.insert(memo.end(), out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
    cache.emplace(raw, std::make_pair(begin, static_cast<uint32_t>(memo.size())));
  }
}

}  // namespace moe::tok
