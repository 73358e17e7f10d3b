// libFuzzer target: arbitrary bytes through a tokenizer, then back. One source, three builds:
// MOE_FUZZ_VOCAB_BPE (qwen2 and llama-bpe vocabularies, the first input byte picks one) and
// MOE_FUZZ_VOCAB_SPM (llama-spm). Besides crashes, sanitizer reports, hangs and leaks, a
// broken invariant is a finding (__builtin_trap, so libFuzzer saves the input):
//  - valid UTF-8 without special parsing detokenizes back to the same bytes;
//  - the streaming detokenizer emits exactly what detokenize returns for the same ids, and
//    only valid UTF-8 whatever the input;
//  - every id is inside the vocabulary.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moe/gguf.hpp"
#include "moe/tokenizer.hpp"
#include "tokenizer-fuzz-checks.hpp"

namespace {

std::unique_ptr<moe::Tokenizer> load_vocab(const char* name) {
  const std::string path = std::string(MOE_SHARED_DIR) + "/conformance/vocab/ggml-vocab-" + name + ".gguf";
  try {
    const auto gguf = moe::GgufFile::open(path);
    return std::make_unique<moe::Tokenizer>(*gguf);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz-tokenizer: cannot load %s: %s\n", path.c_str(), e.what());
    __builtin_trap();
  }
}

#if defined(MOE_FUZZ_VOCAB_BPE)
constexpr const char* kVocabs[] = {"qwen2", "llama-bpe"};
#else
constexpr const char* kVocabs[] = {"llama-spm"};
#endif
constexpr size_t kNumVocabs = sizeof(kVocabs) / sizeof(kVocabs[0]);

std::vector<std::unique_ptr<moe::Tokenizer>>& vocabs() {
  static std::vector<std::unique_ptr<moe::Tokenizer>> v = [] {
    std::vector<std::unique_ptr<moe::Tokenizer>> out;
    for (const char* name : kVocabs) out.push_back(load_vocab(name));
    return out;
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  size_t which = 0;
  if constexpr (kNumVocabs > 1) {
    if (bytes.empty()) return 0;
    which = static_cast<size_t>(bytes[0]) % kNumVocabs;
    bytes = bytes.subspan(1);
  }
  const moe::Tokenizer& tok = *vocabs()[which];
  (void)moe::fuzz::tokenize_bytes(tok, bytes);
  if (const char* why = moe::fuzz_checks::check_round_trip(tok, bytes)) {
    std::fprintf(stderr, "fuzz-tokenizer (%s): invariant broken: %s\n", kVocabs[which], why);
    __builtin_trap();
  }
  return 0;
}
