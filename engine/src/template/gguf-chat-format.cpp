// The chat template and special-token texts of a GGUF model.
#include "moe/chat-template.hpp"
#include "moe/errors.hpp"
#include "moe/gguf.hpp"

namespace moe {

namespace {

constexpr std::string_view kTemplateKey = "tokenizer.chat_template";
constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kBosKey = "tokenizer.ggml.bos_token_id";
constexpr std::string_view kEosKey = "tokenizer.ggml.eos_token_id";

std::string token_text(const GgufFile& gguf, std::string_view id_key) {
  const std::optional<uint32_t> id = gguf.opt_u32(id_key);
  if (!id || !gguf.has(kTokensKey)) return {};
  const std::vector<std::string_view> tokens = gguf.get_string_array(kTokensKey);
  if (*id >= tokens.size())
    throw GgufError(gguf.name() + ": " + std::string(id_key) + " = " + std::to_string(*id) +
                    " is outside the vocabulary (" + std::to_string(tokens.size()) + " tokens)");
  return std::string(tokens[*id]);
}

}  // namespace

ModelChatFormat chat_format_from_gguf(const GgufFile& gguf) {
  return ModelChatFormat{
      resolve_chat_template(gguf.opt_string(kTemplateKey), gguf.name() + ": " + std::string(kTemplateKey)),
      token_text(gguf, kBosKey), token_text(gguf, kEosKey)};
}

}  // namespace moe
