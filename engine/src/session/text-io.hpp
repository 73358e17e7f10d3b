#pragma once
// The session's view of the tokenizer: end-of-generation ids and a streaming detokenizer that
// releases only complete UTF-8 text.
#include <cstdint>
#include <string>
#include <string_view>

namespace moe {

class Model;

bool is_eog(const Model& model, int32_t token);

class TextStream {
 public:
  explicit TextStream(const Model& model) : model_(model) { pending_.reserve(64); out_.reserve(64); }
  void reset() { pending_.clear(); }
  // Appends the token's bytes and returns the complete UTF-8 prefix they release.
  std::string_view push(int32_t token);

 private:
  const Model& model_;
  std::string pending_;  // bytes of an unfinished UTF-8 sequence
  std::string out_;
};

}  // namespace moe
