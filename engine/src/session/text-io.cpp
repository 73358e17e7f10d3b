// Tokenizer-facing helpers of the session.
#include "session/text-io.hpp"

#include "model/model.hpp"
#include "moe/errors.hpp"

namespace moe {

bool is_eog(const Model& model, int32_t token) {
  const GgufFile& f = *model.file;
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"})
    if (auto id = f.opt_u32(key); id && static_cast<int32_t>(*id) == token) return true;
  return false;
}

std::string_view TextStream::push(int32_t token) {
  (void)model_;
  (void)token;
  out_.clear();
  return out_;
}

std::vector<int32_t> tokenize(const Model& model, std::string_view, bool, bool) {
  throw ModelError(model.file->name() + ": text input needs the tokenizer, which this build lacks");
}

std::string detokenize(const Model& model, std::span<const int32_t>) {
  throw ModelError(model.file->name() + ": text output needs the tokenizer, which this build lacks");
}

std::string render_chat(const Model& model, const std::vector<ChatMessage>&, bool) {
  throw ModelError(model.file->name() + ": chat needs the template engine, which this build lacks");
}

}  // namespace moe
