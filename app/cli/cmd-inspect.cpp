// moescope-cli inspect MODEL [--json]: what a GGUF model holds, from moe::summarize_model.
// Errors (unreadable or corrupt file) propagate to main(), which prints
// "moescope-cli inspect: error: <file>: <problem>" and exits 1.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "moe/gguf.hpp"
#include "moe/model-summary.hpp"

namespace {

using nlohmann::json;

// Token texts and template-ish strings on one line: control bytes escaped, UTF-8 kept.
std::string escaped(std::string_view s, size_t max = 48) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

std::string grouped(uint64_t n) {  // 12345678 -> "12,345,678"
  const std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string human_count(uint64_t n) {  // parameters: 1.23 M
  char buf[32];
  if (n >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.2f B", static_cast<double>(n) / 1e9);
  else if (n >= 1'000'000) std::snprintf(buf, sizeof buf, "%.2f M", static_cast<double>(n) / 1e6);
  else if (n >= 1'000) std::snprintf(buf, sizeof buf, "%.2f K", static_cast<double>(n) / 1e3);
  else std::snprintf(buf, sizeof buf, "%" PRIu64, n);
  return buf;
}

std::string human_bytes(uint64_t n) {
  char buf[32];
  if (n >= (uint64_t{1} << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(n) / (1 << 30));
  else if (n >= (uint64_t{1} << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(n) / (1 << 20));
  else if (n >= 1024) std::snprintf(buf, sizeof buf, "%.2f KiB", static_cast<double>(n) / 1024);
  else std::snprintf(buf, sizeof buf, "%" PRIu64 " B", n);
  return buf;
}

std::string shape_of(const moe::TensorSummary& t) {
  std::string s = "[";
  for (size_t d = 0; d < t.shape.size(); ++d) s += (d ? ", " : "") + std::to_string(t.shape[d]);
  return s + "]";
}

json value_json(const moe::GgufValue& v) {
  switch (v.type) {
    case moe::GgufType::STRING: return std::string(std::get<std::string_view>(v.v));
    case moe::GgufType::BOOL: return std::get<bool>(v.v);
    case moe::GgufType::F32: case moe::GgufType::F64: return std::get<double>(v.v);
    case moe::GgufType::ARRAY: {
      const moe::GgufArray& a = *std::get<std::shared_ptr<const moe::GgufArray>>(v.v);
      json arr = json::array();
      if (a.elem_type == moe::GgufType::STRING) {
        for (std::string_view s : a.strings) arr.push_back(std::string(s));
      } else if (a.elem_type == moe::GgufType::ARRAY) {
        for (const moe::GgufValue& n : a.nested) arr.push_back(value_json(n));
      } else {
        // Fixed-size little-endian elements in the mapping.
        auto push_all = [&]<class T>(T) {
          for (uint64_t i = 0; i < a.count; ++i) {
            T x;
            std::memcpy(&x, a.raw + i * sizeof(T), sizeof x);
            arr.push_back(x);
          }
        };
        switch (a.elem_type) {
          case moe::GgufType::U8: push_all(uint8_t{}); break;
          case moe::GgufType::I8: push_all(int8_t{}); break;
          case moe::GgufType::U16: push_all(uint16_t{}); break;
          case moe::GgufType::I16: push_all(int16_t{}); break;
          case moe::GgufType::U32: push_all(uint32_t{}); break;
          case moe::GgufType::I32: push_all(int32_t{}); break;
          case moe::GgufType::U64: push_all(uint64_t{}); break;
          case moe::GgufType::I64: push_all(int64_t{}); break;
          case moe::GgufType::F32: push_all(float{}); break;
          case moe::GgufType::F64: push_all(double{}); break;
          case moe::GgufType::BOOL:
            for (uint64_t i = 0; i < a.count; ++i) arr.push_back(a.raw[i] != std::byte{0});
            break;
          default: break;
        }
      }
      return arr;
    }
    default:
      if (std::holds_alternative<uint64_t>(v.v)) return std::get<uint64_t>(v.v);
      return std::get<int64_t>(v.v);
  }
}

json special_json(const std::optional<moe::SpecialToken>& t) {
  if (!t) return nullptr;
  json j = {{"id", t->id}};
  j["text"] = t->in_vocab ? json(t->text) : json(nullptr);
  return j;
}

json summary_json(const moe::ModelSummary& s) {
  json j;
  j["file"] = s.path;
  j["gguf_version"] = s.gguf_version;
  j["alignment"] = s.alignment;
  j["file_size"] = s.file_size;
  j["metadata_count"] = s.n_metadata;
  j["architecture"] = s.architecture;
  j["name"] = s.name;
  j["file_type"] = s.file_type ? json(*s.file_type) : json(nullptr);
  json hp = json::object();
  for (const moe::HParam& h : s.hparams) hp[h.key] = value_json(h.value);
  j["hparams"] = hp;

  const moe::TokenizerSummary& t = s.tokenizer;
  j["tokenizer"] = {
      {"present", t.present},      {"model", t.model},           {"pre", t.pre},
      {"vocab_size", t.vocab_size}, {"merges", t.n_merges},       {"bos", special_json(t.bos)},
      {"eos", special_json(t.eos)}, {"eot", special_json(t.eot)}, {"padding", special_json(t.pad)},
      {"add_bos", t.add_bos ? json(*t.add_bos) : json(nullptr)},
      {"add_eos", t.add_eos ? json(*t.add_eos) : json(nullptr)},
      {"chat_template", t.has_chat_template},
      {"chat_template_bytes", t.chat_template_bytes},
  };

  json tensors = json::array();
  for (const moe::TensorSummary& x : s.tensors)
    tensors.push_back({{"name", x.name},
                       {"type", std::string(moe::kern::type_name(x.type))},
                       {"shape", x.shape},
                       {"elements", x.n_elements},
                       {"bytes", x.nbytes},
                       {"role", std::string(moe::param_role_name(x.role))}});
  j["tensors"] = tensors;
  json types = json::array();
  for (const moe::TypeTotal& x : s.type_totals)
    types.push_back({{"type", std::string(moe::kern::type_name(x.type))},
                     {"tensors", x.n_tensors},
                     {"elements", x.n_elements},
                     {"bytes", x.nbytes}});
  j["types"] = types;
  j["tensor_bytes"] = s.tensor_bytes;
  j["parameters"] = {
      {"total", s.total_params},
      {"active", s.active_params ? json(*s.active_params) : json(nullptr)},
      {"routed_experts", s.routed_expert_params},
      {"shared_experts", s.shared_expert_params},
      {"n_expert", s.n_expert},
      {"n_expert_used", s.n_expert_used},
      {"moe", s.is_moe()},
  };
  j["warnings"] = s.warnings;
  return j;
}

void print_special(const char* label, const std::optional<moe::SpecialToken>& t) {
  if (!t) return;
  if (t->in_vocab) std::printf("  %-4s %u \"%s\"\n", label, t->id, escaped(t->text).c_str());
  else std::printf("  %-4s %u (outside the vocabulary)\n", label, t->id);
}

void print_text(const moe::ModelSummary& s) {
  std::printf("file:          %s\n", s.path.c_str());
  std::printf("format:        GGUF v%u, alignment %u, %s (%s bytes), %" PRIu64 " metadata keys\n", s.gguf_version,
              s.alignment, human_bytes(s.file_size).c_str(), grouped(s.file_size).c_str(), s.n_metadata);
  std::printf("architecture:  %s\n", s.architecture.empty() ? "(none)" : s.architecture.c_str());
  if (!s.name.empty()) std::printf("name:          %s\n", escaped(s.name, 80).c_str());
  if (s.file_type) std::printf("file type:     %u\n", *s.file_type);

  std::printf("\nhyper-parameters:\n");
  if (s.hparams.empty()) std::printf("  (none)\n");
  for (const moe::HParam& h : s.hparams)
    std::printf("  %-44s %s\n", h.key.c_str(), h.value.to_display().c_str());

  const moe::TokenizerSummary& t = s.tokenizer;
  std::printf("\ntokenizer:\n");
  if (!t.present) {
    std::printf("  (none)\n");
  } else {
    std::printf("  model %s, pre %s, %s tokens, %s merges\n", t.model.c_str(), t.pre.empty() ? "(none)" : t.pre.c_str(),
                grouped(t.vocab_size).c_str(), grouped(t.n_merges).c_str());
    print_special("BOS", t.bos);
    print_special("EOS", t.eos);
    print_special("EOT", t.eot);
    print_special("PAD", t.pad);
    std::printf("  add_bos %s, add_eos %s\n", t.add_bos ? (*t.add_bos ? "true" : "false") : "(unset)",
                t.add_eos ? (*t.add_eos ? "true" : "false") : "(unset)");
  }
  std::printf("chat template: %s\n",
              t.has_chat_template ? ("yes (" + grouped(t.chat_template_bytes) + " bytes)").c_str() : "no");

  std::printf("\nparameters:\n");
  std::printf("  total           %s (%s)\n", human_count(s.total_params).c_str(), grouped(s.total_params).c_str());
  if (s.is_moe()) {
    std::printf("  routed experts  %s (%u experts, %u used per token)\n", grouped(s.routed_expert_params).c_str(),
                s.n_expert, s.n_expert_used);
    if (s.shared_expert_params) std::printf("  shared experts  %s\n", grouped(s.shared_expert_params).c_str());
  }
  if (s.active_params)
    std::printf("  active/token    %s (%s)\n", human_count(*s.active_params).c_str(), grouped(*s.active_params).c_str());
  else
    std::printf("  active/token    unknown\n");

  std::printf("\ntensors (%zu):\n", s.tensors.size());
  std::printf("  %-40s %-8s %-22s %14s  %s\n", "name", "type", "shape", "bytes", "role");
  for (const moe::TensorSummary& x : s.tensors)
    std::printf("  %-40s %-8s %-22s %14s  %s\n", escaped(x.name, 64).c_str(), std::string(moe::kern::type_name(x.type)).c_str(),
                shape_of(x).c_str(), grouped(x.nbytes).c_str(), std::string(moe::param_role_name(x.role)).c_str());

  std::printf("\nper type:\n");
  for (const moe::TypeTotal& x : s.type_totals)
    std::printf("  %-8s %4u tensors %16s elements %14s bytes (%s)\n", std::string(moe::kern::type_name(x.type)).c_str(),
                x.n_tensors, grouped(x.n_elements).c_str(), grouped(x.nbytes).c_str(), human_bytes(x.nbytes).c_str());
  std::printf("  %-8s %4zu tensors %16s elements %14s bytes (%s)\n", "total", s.tensors.size(),
              grouped(s.total_params).c_str(), grouped(s.tensor_bytes).c_str(), human_bytes(s.tensor_bytes).c_str());

  for (const std::string& w : s.warnings) std::printf("warning: %s\n", w.c_str());
}

void print_usage(FILE* to) {
  std::fprintf(to, "usage: moescope-cli inspect MODEL.gguf [--json]\n"
                   "  Shows architecture, hyper-parameters, tokenizer, tensors and parameter counts\n"
                   "  (total and active per token for MoE models).\n"
                   "  --json   print one JSON object instead of text\n");
}

}  // namespace

int cmd_inspect(int argc, char** argv) {
  const char* path = nullptr;
  bool as_json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--json") {
      as_json = true;
    } else if (a == "--help" || a == "-h") {
      print_usage(stdout);
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "moescope-cli inspect: error: unknown option '%s'\n", argv[i]);
      print_usage(stderr);
      return 2;
    } else if (path) {
      std::fprintf(stderr, "moescope-cli inspect: error: more than one model given\n");
      return 2;
    } else {
      path = argv[i];
    }
  }
  if (!path) {
    print_usage(stderr);
    return 2;
  }
  const moe::ModelSummary s = moe::summarize_model(moe::GgufFile::open(path));
  if (as_json) {
    // Strings from the file may be invalid UTF-8: replace rather than throw.
    std::printf("%s\n", summary_json(s).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    print_text(s);
  }
  return 0;
}
