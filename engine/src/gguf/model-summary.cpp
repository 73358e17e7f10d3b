// Model summary: classification of tensors into dense / routed-expert / shared-expert parts
// and the parameter arithmetic built on it.
#include "moe/model-summary.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

#include "moe/errors.hpp"

namespace moe {
namespace {

// Tensor base names (the part after `blk.N.`) of routed experts, in both layouts llama.cpp
// reads: merged `ffn_gate_exps` with the expert as ne[2], and the older one tensor per expert
// `ffn_gate.E.weight`. Anything with `_shexp` is a shared expert (always active).
constexpr std::array<std::string_view, 4> kMergedExpertBases = {
    "ffn_gate_exps", "ffn_up_exps", "ffn_down_exps", "ffn_gate_up_exps"};
constexpr std::array<std::string_view, 3> kPerExpertBases = {"ffn_gate", "ffn_up", "ffn_down"};
constexpr std::string_view kSharedExpertMarker = "_shexp";

constexpr std::string_view kKeyArch = "general.architecture";
constexpr std::string_view kKeyName = "general.name";
constexpr std::string_view kKeyFileType = "general.file_type";
constexpr std::string_view kKeyTokModel = "tokenizer.ggml.model";
constexpr std::string_view kKeyTokPre = "tokenizer.ggml.pre";
constexpr std::string_view kKeyTokens = "tokenizer.ggml.tokens";
constexpr std::string_view kKeyMerges = "tokenizer.ggml.merges";
constexpr std::string_view kKeyBos = "tokenizer.ggml.bos_token_id";
constexpr std::string_view kKeyEos = "tokenizer.ggml.eos_token_id";
constexpr std::string_view kKeyEot = "tokenizer.ggml.eot_token_id";
constexpr std::string_view kKeyPad = "tokenizer.ggml.padding_token_id";
constexpr std::string_view kKeyAddBos = "tokenizer.ggml.add_bos_token";
constexpr std::string_view kKeyAddEos = "tokenizer.ggml.add_eos_token";
constexpr std::string_view kKeyChatTemplate = "tokenizer.chat_template";

bool is_number(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '.') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

struct Classified {
  ParamRole role = ParamRole::Dense;
  bool merged = false;
  std::optional<uint32_t> expert_index;  // per-expert layout
};

Classified classify(const TensorInfo& t) {
  const std::vector<std::string_view> p = split_dots(t.name);
  Classified c;
  if (p.size() < 3 || p[0] != "blk" || !is_number(p[1])) return c;
  const std::string_view base = p[2];
  if (base.find(kSharedExpertMarker) != std::string_view::npos) {
    c.role = ParamRole::SharedExpert;
    return c;
  }
  if (std::find(kMergedExpertBases.begin(), kMergedExpertBases.end(), base) != kMergedExpertBases.end()) {
    c.role = ParamRole::RoutedExpert;
    c.merged = true;
    return c;
  }
  if (p.size() == 5 && is_number(p[3]) && p[3].size() <= 9 &&
      std::find(kPerExpertBases.begin(), kPerExpertBases.end(), base) != kPerExpertBases.end()) {
    uint32_t e = 0;
    std::from_chars(p[3].data(), p[3].data() + p[3].size(), e);
    c.role = ParamRole::RoutedExpert;
    c.expert_index = e;
  }
  return c;
}

std::optional<SpecialToken> special(const GgufFile& f, std::string_view key, const GgufArray* tokens) {
  const std::optional<uint32_t> id = f.opt_u32(key);
  if (!id) return std::nullopt;
  SpecialToken t;
  t.id = *id;
  if (tokens && *id < tokens->strings.size()) {
    t.in_vocab = true;
    t.text = std::string(tokens->strings[*id]);
  }
  return t;
}

TokenizerSummary summarize_tokenizer(const GgufFile& f) {
  TokenizerSummary s;
  if (const auto m = f.opt_string(kKeyTokModel)) {
    s.present = true;
    s.model = std::string(*m);
  }
  if (const auto pre = f.opt_string(kKeyTokPre)) s.pre = std::string(*pre);
  const GgufArray* tokens = nullptr;
  if (f.has(kKeyTokens)) {
    tokens = &f.get_array(kKeyTokens);
    if (tokens->elem_type != GgufType::STRING) (void)f.get_string_array(kKeyTokens);  // throws, naming the key
    s.vocab_size = tokens->count;
  }
  if (f.has(kKeyMerges)) s.n_merges = f.get_array(kKeyMerges).count;
  s.bos = special(f, kKeyBos, tokens);
  s.eos = special(f, kKeyEos, tokens);
  s.eot = special(f, kKeyEot, tokens);
  s.pad = special(f, kKeyPad, tokens);
  s.add_bos = f.opt_bool(kKeyAddBos);
  s.add_eos = f.opt_bool(kKeyAddEos);
  if (const auto tpl = f.opt_string(kKeyChatTemplate)) {
    s.has_chat_template = true;
    s.chat_template_bytes = tpl->size();
  }
  return s;
}

}  // namespace

std::string_view param_role_name(ParamRole r) noexcept {
  switch (r) {
    case ParamRole::Dense: return "dense";
    case ParamRole::RoutedExpert: return "routed-expert";
    case ParamRole::SharedExpert: return "shared-expert";
  }
  return "unknown";
}

ModelSummary summarize_model(std::shared_ptr<const GgufFile> file) {
  if (!file) throw ModelError("summarize_model: no file");
  const GgufFile& f = *file;
  ModelSummary s;
  s.file = file;
  s.path = f.name();
  s.gguf_version = f.version();
  s.alignment = f.alignment();
  s.file_size = f.file_size();
  s.n_metadata = f.metadata().size();
  if (const auto a = f.opt_string(kKeyArch)) s.architecture = std::string(*a);
  if (const auto n = f.opt_string(kKeyName)) s.name = std::string(*n);
  s.file_type = f.opt_u32(kKeyFileType);
  if (!s.architecture.empty()) {
    const std::string prefix = s.architecture + ".";
    for (const auto& [k, v] : f.metadata())
      if (k.starts_with(prefix)) s.hparams.push_back({std::string(k), v});
  }
  s.tokenizer = summarize_tokenizer(f);

  std::map<uint32_t, TypeTotal> by_type;
  uint32_t max_merged_experts = 0;
  uint32_t max_expert_index_plus_one = 0;
  for (const TensorInfo& t : f.tensors()) {
    TensorSummary ts;
    ts.name = std::string(t.name);
    ts.type = t.type;
    ts.shape.assign(t.ne, t.ne + t.n_dims);
    ts.n_elements = static_cast<uint64_t>(t.n_elements());
    ts.nbytes = t.nbytes;
    const Classified c = classify(t);
    ts.role = c.role;
    if (c.role == ParamRole::RoutedExpert) {
      if (c.merged) {
        if (t.n_dims < 3)
          s.warnings.push_back("tensor '" + ts.name + "' is named as merged experts but has " +
                               std::to_string(t.n_dims) + " dimensions");
        ts.experts_in_tensor = static_cast<uint32_t>(std::min<int64_t>(t.ne[2], UINT32_MAX));
        max_merged_experts = std::max(max_merged_experts, ts.experts_in_tensor);
      } else {
        ts.experts_in_tensor = 1;
        if (*c.expert_index < UINT32_MAX)
          max_expert_index_plus_one = std::max(max_expert_index_plus_one, *c.expert_index + 1);
      }
      s.routed_expert_params += ts.n_elements;
    } else if (c.role == ParamRole::SharedExpert) {
      s.shared_expert_params += ts.n_elements;
    }
    s.total_params += ts.n_elements;
    s.tensor_bytes += ts.nbytes;
    TypeTotal& tt = by_type[static_cast<uint32_t>(t.type)];
    tt.type = t.type;
    tt.n_tensors += 1;
    tt.n_elements += ts.n_elements;
    tt.nbytes += ts.nbytes;
    s.tensors.push_back(std::move(ts));
  }
  for (const auto& [id, tt] : by_type) s.type_totals.push_back(tt);

  const std::string arch_prefix = s.architecture.empty() ? std::string() : s.architecture + ".";
  const std::optional<uint32_t> n_expert = s.architecture.empty() ? std::nullopt : f.opt_u32(arch_prefix + "expert_count");
  const std::optional<uint32_t> n_used =
      s.architecture.empty() ? std::nullopt : f.opt_u32(arch_prefix + "expert_used_count");
  s.n_expert = n_expert.value_or(0);
  s.n_expert_used = n_used.value_or(0);

  if (!s.is_moe()) {
    s.active_params = s.total_params;
    if (s.n_expert > 0)
      s.warnings.push_back(arch_prefix + "expert_count is " + std::to_string(s.n_expert) +
                           " but no routed expert tensors were found");
    return s;
  }
  if (s.n_expert == 0) {
    s.n_expert = std::max(max_merged_experts, max_expert_index_plus_one);
    s.warnings.push_back(arch_prefix + "expert_count is missing; " + std::to_string(s.n_expert) +
                         " experts inferred from the tensors");
  }
  if (max_merged_experts > 0 && max_merged_experts != s.n_expert)
    s.warnings.push_back("merged expert tensors hold " + std::to_string(max_merged_experts) + " experts, " +
                         arch_prefix + "expert_count says " + std::to_string(s.n_expert));
  if (max_expert_index_plus_one > s.n_expert)
    s.warnings.push_back("per-expert tensors go up to expert " + std::to_string(max_expert_index_plus_one - 1) +
                         ", " + arch_prefix + "expert_count says " + std::to_string(s.n_expert));
  if (!n_used) {
    s.warnings.push_back(arch_prefix + "expert_used_count is missing: active parameters unknown");
    return s;
  }
  if (s.n_expert == 0 || s.n_expert_used > s.n_expert) {
    s.warnings.push_back(arch_prefix + "expert_used_count " + std::to_string(s.n_expert_used) +
                         " exceeds the " + std::to_string(s.n_expert) + " experts: active parameters unknown");
    return s;
  }
  // Every expert of a layer has the same size, so the used share of the routed parameters is
  // exact: routed * used / n_expert, split as q * used + r * used / n so that it cannot overflow.
  const uint64_t q = s.routed_expert_params / s.n_expert, r = s.routed_expert_params % s.n_expert;
  const uint64_t active_routed = q * s.n_expert_used + r * s.n_expert_used / s.n_expert;
  s.active_params = s.total_params - s.routed_expert_params + active_routed;
  return s;
}

}  // namespace moe
