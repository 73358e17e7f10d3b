// Tokenizer throughput on one core: a few MB of licence text (Debian's common-licenses,
// concatenated and repeated) with a byte-level BPE vocabulary (qwen2) and an SPM one (llama).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "moe/tokenizer.hpp"

namespace fs = std::filesystem;

namespace {

constexpr size_t kTargetBytes = 4u << 20;

const std::string& corpus() {
  static const std::string text = [] {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/share/common-licenses", ec))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::string one;
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      one.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (one.empty()) one = "The quick brown fox jumps over the lazy dog. 0123456789 \xC3\xA9\xE2\x82\xAC\n";
    std::string all;
    while (all.size() < kTargetBytes) all += one;
    return all;
  }();
  return text;
}

std::shared_ptr<const moe::Tokenizer> vocab(const char* name) {
  return moe::Tokenizer::load(fs::path(MOE_SHARED_DIR) / "conformance" / "vocab" / name);
}

void run(benchmark::State& state, const moe::Tokenizer& tok) {
  const std::string& text = corpus();
  size_t n_tokens = 0;
  for (auto _ : state) {
    const auto ids = tok.tokenize(text, false, false);
    n_tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
  state.counters["MB"] = static_cast<double>(text.size()) / 1e6;
}

void BM_TokenizeQwen2(benchmark::State& state) {
  static const auto tok = vocab("ggml-vocab-qwen2.gguf");
  run(state, *tok);
}
void BM_TokenizeLlamaSpm(benchmark::State& state) {
  static const auto tok = vocab("ggml-vocab-llama-spm.gguf");
  run(state, *tok);
}
void BM_DetokenizeQwen2(benchmark::State& state) {
  static const auto tok = vocab("ggml-vocab-qwen2.gguf");
  static const auto ids = tok->tokenize(corpus(), false, false);
  for (auto _ : state) {
    const std::string s = tok->detokenize(ids);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus().size()));
}

}  // namespace

BENCHMARK(BM_TokenizeQwen2)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_TokenizeLlamaSpm)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_DetokenizeQwen2)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
