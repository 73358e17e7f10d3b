#pragma once
// Chat templates: the Jinja2 template a GGUF carries in `tokenizer.chat_template`, rendered
// the way Hugging Face transformers' apply_chat_template does (trim_blocks, lstrip_blocks,
// loop controls; globals raise_exception and strftime_now).
//
// Rendering runs in a sandbox: no file or network access, bounded macro recursion, loop
// iterations, evaluation work and output size. Every failure is a moe::TemplateError.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moe/errors.hpp"

namespace moe {

// Thrown by the template's own `raise_exception(msg)`: what() is exactly `msg`, so callers can
// show the template author's message unchanged. Location is available separately.
struct TemplateRaisedError : TemplateError {
  TemplateRaisedError(const std::string& message, int line_, int column_)
      : TemplateError(message), line(line_), column(column_) {}
  int line;
  int column;
};

struct ChatTurn {
  std::string role;
  std::string content;
};

struct TemplateLimits {
  int max_call_depth = 64;
  uint64_t max_loop_iterations = 1'000'000;
  uint64_t max_work = 100'000'000;
  size_t max_output_bytes = 16u << 20;
  size_t max_container_items = 1u << 20;
};

struct TemplateInputs {
  // JSON array of message objects ({"role": ..., "content": ..., "tool_calls": ...}).
  std::string messages_json = "[]";
  // JSON array of tool definitions; absent = `tools` is none.
  std::optional<std::string> tools_json;
  bool add_generation_prompt = true;
  std::string bos_token;
  std::string eos_token;
  // Time seen by strftime_now, "YYYY-MM-DDTHH:MM:SS"; absent = current local time.
  std::optional<std::string> now_iso8601;
  // JSON object of additional variables (e.g. {"enable_thinking": false}); empty = none.
  std::string extra_context_json;

  // Messages from plain role/content turns (what the chat session keeps).
  static TemplateInputs from_turns(const std::vector<ChatTurn>& turns, bool add_generation_prompt = true);
};

class ChatTemplate {
 public:
  // Parses the template; throws TemplateError (with line and column) on syntax errors.
  static ChatTemplate parse(std::string_view source, std::string_view origin = "chat_template",
                            TemplateLimits limits = {});

  [[nodiscard]] std::string render(const TemplateInputs& inputs) const;
  [[nodiscard]] std::string render(const std::vector<ChatTurn>& turns, bool add_generation_prompt,
                                   std::string_view bos_token, std::string_view eos_token) const;
  [[nodiscard]] const std::string& origin() const;

 private:
  struct Impl;
  explicit ChatTemplate(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

// ChatML, used when a model carries no template.
std::string_view default_chatml_template();

struct ResolvedChatTemplate {
  ChatTemplate chat_template;
  bool used_fallback = false;  // true: the model had no template, ChatML is used
  std::string note;            // human-readable explanation when used_fallback
};

// The model's template when it has a non-empty one, otherwise ChatML with a note.
ResolvedChatTemplate resolve_chat_template(std::optional<std::string_view> model_template,
                                           std::string_view origin = "chat_template");

namespace fuzz {
// Fuzzing entry point: the first line of `data` (up to '\n') is used as the messages JSON when
// it parses, the rest as template source. Never throws, never crashes; returns 0.
int render_template_bytes(std::span<const std::byte> data);
}  // namespace fuzz

}  // namespace moe

// libFuzzer-style C entry point.
extern "C" int moe_fuzz_template(const uint8_t* data, size_t size);
