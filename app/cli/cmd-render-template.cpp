// moescope-cli render-template: render a chat template exactly as the engine will feed it to
// the tokenizer, for checking a model's prompt format against Hugging Face.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "cli-args.hpp"
#include "moe/chat-template.hpp"
#include "moe/errors.hpp"
#include "moe/gguf.hpp"

namespace {

constexpr const char* kUsage =
    "usage: moescope-cli render-template (MODEL.gguf | --template FILE) --messages FILE.json\n"
    "           [--tools FILE.json] [--add-generation-prompt] [--bos-token S] [--eos-token S]\n"
    "           [--now YYYY-MM-DDTHH:MM:SS] [--context FILE.json]\n"
    "Prints the rendered prompt exactly, without adding a newline. --context adds variables\n"
    "from a JSON object (e.g. {\"enable_thinking\": false}). With MODEL, the template and the\n"
    "BOS/EOS texts come from the GGUF (--bos-token/--eos-token override them).\n";

}  // namespace

int cmd_render_template(int argc, char** argv) {
  std::optional<std::string> model, template_file, messages_file, tools_file, context_file, bos, eos, now;
  bool add_generation_prompt = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::optional<std::string>& dst) {
      if (i + 1 >= argc) throw moe::ConfigError("option " + std::string(a) + " needs a value");
      dst = argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--template") value(template_file);
    else if (a == "--messages") value(messages_file);
    else if (a == "--tools") value(tools_file);
    else if (a == "--context") value(context_file);
    else if (a == "--bos-token") value(bos);
    else if (a == "--eos-token") value(eos);
    else if (a == "--now") value(now);
    else if (a == "--add-generation-prompt") add_generation_prompt = true;
    else if (!a.empty() && a[0] == '-') throw moe::ConfigError("unknown option '" + std::string(a) + "'");
    else if (!model) model = std::string(a);
    else throw moe::ConfigError("unexpected argument '" + std::string(a) + "'");
  }
  if (model.has_value() == template_file.has_value() || !messages_file) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  moe::TemplateInputs in;
  in.messages_json = moe::cli::read_file(*messages_file);
  if (tools_file) in.tools_json = moe::cli::read_file(*tools_file);
  if (context_file) in.extra_context_json = moe::cli::read_file(*context_file);
  in.add_generation_prompt = add_generation_prompt;
  in.now_iso8601 = now;

  std::optional<moe::ChatTemplate> tmpl;
  if (template_file) {
    tmpl = moe::ChatTemplate::parse(moe::cli::read_file(*template_file), *template_file);
  } else {
    moe::ModelChatFormat format = moe::chat_format_from_gguf(*moe::GgufFile::open(*model));
    if (format.chat_template.used_fallback) std::fprintf(stderr, "note: %s\n", format.chat_template.note.c_str());
    tmpl = std::move(format.chat_template.chat_template);
    in.bos_token = std::move(format.bos_token);
    in.eos_token = std::move(format.eos_token);
  }
  if (bos) in.bos_token = *bos;
  if (eos) in.eos_token = *eos;

  std::string out;
  try {
    out = tmpl->render(in);
  } catch (const moe::TemplateRaisedError& e) {
    // The template's own message, unchanged, so scripts can compare it.
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
