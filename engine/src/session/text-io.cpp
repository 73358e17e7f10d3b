// Tokenizer-facing helpers of the session and the text functions of the API edge.
#include "session/text-io.hpp"

#include "model/model.hpp"
#include "moe/errors.hpp"

namespace moe {

namespace {

const Tokenizer& tokenizer_of(const Model& m) {
  if (!m.tokenizer) throw ModelError(m.file->name() + ": the model has no tokenizer (tokenizer.ggml.model missing)");
  return *m.tokenizer;
}

std::string token_text(const Tokenizer& t, TokenId id) {
  return id == kNoToken || id < 0 || static_cast<size_t>(id) >= t.n_tokens() ? std::string() : t.token(id).text;
}

}  // namespace

bool is_eog(const Model& model, int32_t token) { return model.tokenizer && model.tokenizer->is_eog(token); }

TextStream::TextStream(const Model& model) {
  if (model.tokenizer) detok_ = std::make_unique<StreamingDetokenizer>(*model.tokenizer);
  out_.reserve(64);
}

TextStream::~TextStream() = default;

void TextStream::reset() {
  if (detok_) detok_->reset();
}

std::string_view TextStream::push(int32_t token) {
  out_.clear();
  if (detok_) out_ = detok_->feed(token);
  return out_;
}

std::vector<int32_t> tokenize(const Model& model, std::string_view text, bool add_special, bool parse_special) {
  return tokenizer_of(model).tokenize(text, add_special, parse_special);
}

std::string detokenize(const Model& model, std::span<const int32_t> tokens) {
  Tokenizer::DetokenizeOptions o;
  o.unparse_special = true;
  return tokenizer_of(model).detokenize(tokens, o);
}

std::string render_chat(const Model& model, const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::vector<ChatTurn> turns;
  turns.reserve(messages.size());
  for (const ChatMessage& m : messages) turns.push_back({m.role, m.content});
  std::string bos, eos;
  if (model.tokenizer) {
    bos = token_text(*model.tokenizer, model.tokenizer->info().bos);
    eos = token_text(*model.tokenizer, model.tokenizer->info().eos);
  }
  return model.chat_template->render(turns, add_generation_prompt, bos, eos);
}

}  // namespace moe
