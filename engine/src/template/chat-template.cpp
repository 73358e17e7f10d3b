#include "moe/chat-template.hpp"

#include <ctime>
#include <exception>
#include <new>

#include "builtins.hpp"
#include "evaluator.hpp"
#include "lexer.hpp"
#include "parser.hpp"

namespace moe {

struct ChatTemplate::Impl {
  std::string origin;
  TemplateLimits limits;
  tmpl::Body body;
};

namespace {

constexpr std::string_view kChatMl =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
    "'\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

std::tm current_local_time() {
  std::time_t t = std::time(nullptr);
  std::tm out{};
  localtime_r(&t, &out);
  return out;
}

// nlohmann-free JSON string quoting for building the messages array from turns.
void append_json_string(std::string& out, std::string_view s) {
  tmpl::JsonDumpOptions opt;
  tmpl::json_dumps(tmpl::Value(s), opt, out);
}

}  // namespace

TemplateInputs TemplateInputs::from_turns(const std::vector<ChatTurn>& turns, bool add_generation_prompt) {
  TemplateInputs in;
  in.messages_json = "[";
  for (size_t i = 0; i < turns.size(); ++i) {
    if (i) in.messages_json += ", ";
    in.messages_json += "{\"role\": ";
    append_json_string(in.messages_json, turns[i].role);
    in.messages_json += ", \"content\": ";
    append_json_string(in.messages_json, turns[i].content);
    in.messages_json += "}";
  }
  in.messages_json += "]";
  in.add_generation_prompt = add_generation_prompt;
  return in;
}

ChatTemplate::ChatTemplate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

ChatTemplate ChatTemplate::parse(std::string_view source, std::string_view origin, TemplateLimits limits) {
  auto impl = std::make_shared<Impl>();
  impl->origin = std::string(origin);
  impl->limits = limits;
  std::string normalized = tmpl::normalize_template_source(source);
  auto tokens = tmpl::tokenize(normalized, origin);
  impl->body = tmpl::parse_template(tokens, origin);
  return ChatTemplate(std::move(impl));
}

const std::string& ChatTemplate::origin() const { return impl_->origin; }

std::string ChatTemplate::render(const TemplateInputs& in) const {
  using tmpl::Value;
  tmpl::Limits limits;
  limits.max_call_depth = impl_->limits.max_call_depth;
  limits.max_loop_iterations = impl_->limits.max_loop_iterations;
  limits.max_work = impl_->limits.max_work;
  limits.max_output_bytes = impl_->limits.max_output_bytes;
  limits.max_container_items = impl_->limits.max_container_items;
  tmpl::Evaluator ev(impl_->origin, limits);

  std::tm now{};
  if (in.now_iso8601) {
    if (!tmpl::parse_iso8601(*in.now_iso8601, now))
      throw TemplateError("invalid time '" + *in.now_iso8601 + "', expected YYYY-MM-DDTHH:MM:SS");
  } else {
    now = current_local_time();
  }
  tmpl::install_globals(ev, now);

  Value messages = tmpl::value_from_json_text(in.messages_json, "messages");
  if (!messages.is_array()) throw TemplateError("messages must be a JSON array");
  ev.set_global("messages", messages);
  ev.set_global("tools", in.tools_json ? tmpl::value_from_json_text(*in.tools_json, "tools") : Value::none());
  ev.set_global("documents", Value::none());
  ev.set_global("add_generation_prompt", Value(in.add_generation_prompt));
  ev.set_global("bos_token", Value(in.bos_token));
  ev.set_global("eos_token", Value(in.eos_token));
  if (!in.extra_context_json.empty()) {
    Value extra = tmpl::value_from_json_text(in.extra_context_json, "extra context");
    if (!extra.is_object()) throw TemplateError("extra template context must be a JSON object");
    for (const auto& [k, v] : extra.obj().entries()) ev.set_global(k, v);
  }
  try {
    return ev.render(impl_->body);
  } catch (const std::bad_alloc&) {
    throw TemplateError("chat template '" + impl_->origin + "': out of memory while rendering");
  }
}

std::string ChatTemplate::render(const std::vector<ChatTurn>& turns, bool add_generation_prompt,
                                 std::string_view bos_token, std::string_view eos_token) const {
  TemplateInputs in = TemplateInputs::from_turns(turns, add_generation_prompt);
  in.bos_token = std::string(bos_token);
  in.eos_token = std::string(eos_token);
  return render(in);
}

std::string_view default_chatml_template() { return kChatMl; }

ResolvedChatTemplate resolve_chat_template(std::optional<std::string_view> model_template, std::string_view origin) {
  if (model_template && !model_template->empty()) return {ChatTemplate::parse(*model_template, origin), false, {}};
  return {ChatTemplate::parse(kChatMl, "chatml-fallback"), true,
          "the model has no tokenizer.chat_template; using the ChatML format"};
}

namespace fuzz {

int render_template_bytes(std::span<const std::byte> data) {
  std::string_view all(reinterpret_cast<const char*>(data.data()), data.size());
  size_t nl = all.find('\n');
  std::string_view first = nl == std::string_view::npos ? std::string_view{} : all.substr(0, nl);
  std::string_view source = nl == std::string_view::npos ? all : all.substr(nl + 1);
  TemplateLimits limits;
  limits.max_work = 2'000'000;
  limits.max_loop_iterations = 100'000;
  limits.max_output_bytes = 1u << 20;
  limits.max_container_items = 100'000;
  try {
    ChatTemplate t = ChatTemplate::parse(source, "fuzz", limits);
    TemplateInputs in;
    in.messages_json = R"([{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}])";
    if (!first.empty() && first.front() == '[') in.messages_json = std::string(first);
    in.bos_token = "<s>";
    in.eos_token = "</s>";
    in.now_iso8601 = "2025-01-15T10:30:00";
    (void)t.render(in);
  } catch (const Error&) {
    // Rejections are the expected outcome for most inputs.
  }
  return 0;
}

}  // namespace fuzz

}  // namespace moe

extern "C" int moe_fuzz_template(const uint8_t* data, size_t size) {
  return moe::fuzz::render_template_bytes(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
}
