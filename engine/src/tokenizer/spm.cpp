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
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t offs = 0; offs < text.size();) {
    const size_t n = std::min(utf8_len(text[offs]), text.size() - offs);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, offs + n == text.size() ? -1 : index + 1, offs, n});
    offs += n;
  }

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

  // Merge one run of symbols [first, last] whose ends no vocabulary entry can cross.
  const auto merge_run = [&](int first, int last) {
    symbols[static_cast<size_t>(first)].prev = -1;
    symbols[static_cast<size_t>(last)].next = -1;
    for (int i = first + 1; i <= last; ++i) try_add(i - 1, i);
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
    for (int i = first; i != -1; i = symbols[static_cast<size_t>(i)].next) {
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
  // and a small queue. Runs start at a "▁" symbol that follows a non-"▁" symbol.
  const int n = static_cast<int>(symbols.size());
  if (!t.impl().spm_split_at_words) {
    merge_run(0, n - 1);
    return;
  }
  const auto is_space = [&](int i) {
    const Symbol& s = symbols[static_cast<size_t>(i)];
    return text.substr(s.offset, s.n) == kSpace;
  };
  // Words repeat: remember each distinct word's tokens for the rest of this call.
  constexpr size_t kMaxCached = 1u << 16;
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> cache;  // word -> [begin, end) in `memo`
  std::vector<TokenId> memo;
  const auto cached_run = [&](int a, int b) {
    const size_t beg = symbols[static_cast<size_t>(a)].offset;
    const std::string_view word = text.substr(beg, symbols[static_cast<size_t>(b)].offset + symbols[static_cast<size_t>(b)].n - beg);
    if (const auto it = cache.find(word); it != cache.end()) {
      out.insert(out.end(), memo.begin() + static_cast<std::ptrdiff_t>(it->second.first),
                 memo.begin() + static_cast<std::ptrdiff_t>(it->second.second));
      return;
    }
    const size_t before = out.size();
    merge_run(a, b);
    if (cache.size() >= kMaxCached) {
      cache.clear();
      memo.clear();
    }
    const size_t mbeg = memo.size();
    memo.insert(memo.end(), out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
    cache.emplace(word, std::make_pair(mbeg, memo.size()));
  };
  int first = 0;
  for (int i = 1; i < n; ++i) {
    if (is_space(i) && !is_space(i - 1)) {
      cached_run(first, i - 1);
      first = i;
    }
  }
  cached_run(first, n - 1);
}

}  // namespace moe::tok
