// SentencePiece-style tokenization by token scores (llm_tokenizer_spm_session in llama.cpp):
// start from single characters, repeatedly merge the adjacent pair whose concatenation is the
// highest-scoring vocabulary entry, and fall back to <0xNN> byte tokens for what remains.
#include <queue>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer-impl.hpp"
#include "tokenizer/unicode-util.hpp"

namespace moe::tok {

namespace {

struct Symbol {
  int prev;
  int next;
  size_t offset;
  size_t n;  // 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t size;
};

// Highest score first; ties go to the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& l, const Bigram& r) const {
    return l.score < r.score || (l.score == r.score && l.left > r.left);
  }
};

constexpr std::string_view kSpace = "\xE2\x96\x81";

}  // namespace

void spm_tokenize(const Tokenizer& t, std::string_view text, std::vector<TokenId>& out) {
  if (text.empty()) return;
  std::vector<Symbol> symbols;  // of the run being merged; reused
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;

  const auto try_add = [&](int left, int right) {
    if (left == -1 || right == -1) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const Symbol& r = symbols[static_cast<size_t>(right)];
    const std::string_view s = text.substr(l.offset, l.n + r.n);
    const auto id = t.find_token(s);
    if (!id) return;
    queue.push({left, right, t.token(*id).score, s.size()});
  };

  // Merges text[begin, end), which starts at a character boundary and which no vocabulary
  // entry can cross, and appends its tokens.
  const auto merge_run = [&](size_t begin, size_t end) {
    symbols.clear();
    for (size_t offs = begin; offs < end;) {
      const size_t n = std::min(utf8_len(text[offs]), end - offs);
      const int index = static_cast<int>(symbols.size());
      symbols.push_back({index - 1, offs + n == end ? -1 : index + 1, offs, n});
      offs += n;
    }
    for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);
    while (!queue.empty()) {
      const Bigram b = queue.top();
      queue.pop();
      Symbol& l = symbols[static_cast<size_t>(b.left)];
      Symbol& r = symbols[static_cast<size_t>(b.right)];
      // Stale: one side was merged since this pair was queued (symbols only ever grow).
      if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
      l.n += r.n;
      r.n = 0;
      l.next = r.next;
      if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = b.left;
      try_add(l.prev, b.left);
      try_add(b.left, l.next);
    }
    // Every merged symbol is a vocabulary entry (a pair is only queued when it is one), so only
    // single characters can miss: those go out byte by byte. llama.cpp's rev_merge
    // re-segmentation therefore never applies and is not needed.
    for (int i = symbols.empty() ? -1 : 0; i != -1; i = symbols[static_cast<size_t>(i)].next) {
      const Symbol& s = symbols[static_cast<size_t>(i)];
      const std::string_view piece = text.substr(s.offset, s.n);
      if (const auto id = t.find_token(piece)) {
        out.push_back(*id);
        continue;
      }
      for (const char c : piece) {
        const TokenId id = t.byte_token(static_cast<uint8_t>(c));
        // llama.cpp aborts when a vocabulary lacks a byte token; the unknown token is the safe stand-in.
        if (id != kNoToken)
          out.push_back(id);
        else if (t.info().unk != kNoToken)
          out.push_back(t.info().unk);
      }
    }
  };

  // Merging is global in llama.cpp, but when no vocabulary entry contains "x▁" (x not ▁) no
  // pair can ever cross the start of a word, so each word merges alone with the same result
  // and a small queue. A word starts at a "▁" character that follows a non-"▁" character
  // (characters cut as llama.cpp cuts them, by the lead byte's announced length).
  if (!t.impl().spm_split_at_words) {
    merge_run(0, text.size());
    return;
  }
  // Words repeat: remember each distinct word's tokens for the rest of this call.
  constexpr size_t kMaxCached = 1u << 16;
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> cache;  // word -> [begin, end) in `memo`
  std::vector<TokenId> memo;
  const auto word_tokens = [&](size_t begin, size_t end) {
    const std::string_view word = text.substr(begin, end - begin);
    if (const auto it = cache.find(word); it != cache.end()) {
      out.insert(out.end(), memo.begin() + static_cast<std::ptrdiff_t>(it->second.first),
                 memo.begin() + static_cast<std::ptrdiff_t>(it->second.second));
      return;
    }
    const size_t before = out.size();
    merge_run(begin, end);
    if (cache.size() >= kMaxCached) {
      cache.clear();
      memo.clear();
    }
    const size_t mbeg = memo.size();
    memo.insert(memo.end(), out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
    cache.emplace(word, std::make_pair(mbeg, memo.size()));
  };
  size_t word_begin = 0;
  bool prev_space = false;
  for (size_t offs = 0; offs < text.size();) {
    const size_t n = std::min(utf8_len(text[offs]), text.size() - offs);
    const bool space = text.substr(offs, n) == kSpace;
    if (space && !prev_space && offs > word_begin) {
      word_tokens(word_begin, offs);
      word_begin = offs;
    }
    prev_space = space;
    offs += n;
  }
  word_tokens(word_begin, text.size());
}

}  // namespace moe::tok
