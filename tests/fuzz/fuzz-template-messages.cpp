// libFuzzer target: the real chat templates of the conformance set rendered with fuzzed
// conversations. Input: byte 0 picks the template, byte 1 the flags (add_generation_prompt,
// first role), the rest is split at 0x1e into message contents whose roles alternate
// user/assistant (optionally after a system turn). Templates may refuse a conversation with
// raise_exception (a TemplateError); anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "moe/chat-template.hpp"
#include "moe/errors.hpp"

namespace {

constexpr const char* kTemplates[] = {
    "Qwen-Qwen2.5-7B-Instruct",        "Qwen-Qwen3-0.6B",
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "meta-llama-Llama-3.1-8B-Instruct",
    "microsoft-Phi-3.5-mini-instruct", "mistralai-Mistral-Nemo-Instruct-2407",
};

std::vector<moe::ChatTemplate> load_templates() {
  std::vector<moe::ChatTemplate> out;
  moe::TemplateLimits limits;
  limits.max_work = 5'000'000;
  limits.max_output_bytes = 1u << 20;
  for (const char* name : kTemplates) {
    const std::string path = std::string(MOE_SHARED_DIR) + "/conformance/templates/" + name + ".jinja";
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in || ss.str().empty()) {
      std::fprintf(stderr, "fuzz-template-messages: cannot read %s\n", path.c_str());
      __builtin_trap();
    }
    out.push_back(moe::ChatTemplate::parse(ss.str(), name, limits));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<moe::ChatTemplate> templates = load_templates();
  if (size < 2) return 0;
  const moe::ChatTemplate& tmpl = templates[data[0] % templates.size()];
  const uint8_t flags = data[1];
  const std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);

  std::vector<moe::ChatTurn> turns;
  size_t start = 0;
  bool system_first = (flags & 2) != 0;
  while (start <= rest.size()) {
    const size_t end = std::min(rest.find('\x1e', start), rest.size());
    std::string role;
    if (system_first && turns.empty())
      role = "system";
    else
      role = ((turns.size() - (system_first ? 1 : 0)) % 2 == 0) ? "user" : "assistant";
    turns.push_back({role, std::string(rest.substr(start, end - start))});
    start = end + 1;
  }
  try {
    (void)tmpl.render(turns, (flags & 1) != 0, "<s>", "</s>");
  } catch (const moe::TemplateError&) {
    // raise_exception for an unsupported conversation shape, or a sandbox limit.
  }
  return 0;
}
