#pragma once
// The session's view of the tokenizer: end-of-generation ids and a streaming detokenizer that
// releases only complete UTF-8 text.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace moe {

class Model;
class StreamingDetokenizer;

bool is_eog(const Model& model, int32_t token);

class TextStream {
 public:
  explicit TextStream(const Model& model);
  ~TextStream();
  void reset();
  // The complete UTF-8 text this token releases (valid until the next push).
  std::string_view push(int32_t token);

 private:
  std::unique_ptr<StreamingDetokenizer> detok_;  // null when the model has no tokenizer
  std::string out_;
};

}  // namespace moe
