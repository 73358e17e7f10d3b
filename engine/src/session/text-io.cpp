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

// Messages reach the template as JSON strings, which must be valid UTF-8; a random or
// byte-level model can produce stray bytes, which become U+FFFD here.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size() && !(c == 0xC0 || c == 0xC1 || c > 0xF4);
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len >= 3) {  // overlong forms, surrogates and code points above U+10FFFF: JSON refuses them
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90));
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
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
  for (const ChatMessage& m : messages) turns.push_back({valid_utf8(m.role), valid_utf8(m.content)});
  std::string bos, eos;
  if (model.tokenizer) {
    bos = token_text(*model.tokenizer, model.tokenizer->info().bos);
    eos = token_text(*model.tokenizer, model.tokenizer->info().eos);
  }
  return model.chat_template->render(turns, add_generation_prompt, bos, eos);
}

}  // namespace moe
