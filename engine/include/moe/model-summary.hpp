#pragma once
// What a GGUF model is, without loading it for inference: architecture, hyper-parameters,
// tokenizer, tensor table, parameter counts (total and active per token for MoE models) and
// byte totals per tensor type. Shared by `moescope-cli inspect` and the GUI's Model panel.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "moe/gguf.hpp"
#include "moe/kernels/ggml-types.hpp"

namespace moe {

// How a tensor counts towards the parameters a token uses.
enum class ParamRole {
  Dense,         // used by every token (attention, norms, embeddings, dense FFN, router)
  RoutedExpert,  // one or all routed experts of a layer: only n_expert_used / n_expert active
  SharedExpert,  // an always-on shared expert (`*_shexp`): active
};
std::string_view param_role_name(ParamRole r) noexcept;

struct TensorSummary {
  std::string name;
  kern::GgmlType type = kern::GgmlType::F32;
  std::vector<int64_t> shape;  // ne, innermost first
  uint64_t n_elements = 0;
  uint64_t nbytes = 0;
  ParamRole role = ParamRole::Dense;
  uint32_t experts_in_tensor = 0;  // RoutedExpert: ne[2] for merged `*_exps`, 1 per-expert
};

struct TypeTotal {
  kern::GgmlType type = kern::GgmlType::F32;
  uint32_t n_tensors = 0;
  uint64_t n_elements = 0;
  uint64_t nbytes = 0;
};

struct SpecialToken {
  uint32_t id = 0;
  std::string text;  // the token's text, "" when the id is outside the vocabulary
  bool in_vocab = false;
};

struct TokenizerSummary {
  bool present = false;          // tokenizer.ggml.model exists
  std::string model;             // tokenizer.ggml.model: gpt2, llama, ...
  std::string pre;               // tokenizer.ggml.pre, "" if absent
  uint64_t vocab_size = 0;       // length of tokenizer.ggml.tokens
  uint64_t n_merges = 0;         // length of tokenizer.ggml.merges
  std::optional<SpecialToken> bos, eos, eot, pad;
  std::optional<bool> add_bos, add_eos;
  bool has_chat_template = false;
  uint64_t chat_template_bytes = 0;
};

struct HParam {
  std::string key;  // full key, "<arch>.block_count"
  GgufValue value;  // views into the file: valid while ModelSummary::file lives
};

struct ModelSummary {
  std::shared_ptr<const GgufFile> file;  // keeps the views of `hparams` alive
  std::string path;
  uint32_t gguf_version = 0;
  uint32_t alignment = 0;
  uint64_t file_size = 0;
  uint64_t n_metadata = 0;

  std::string architecture;  // general.architecture ("" if absent)
  std::string name;          // general.name ("" if absent)
  std::optional<uint32_t> file_type;  // general.file_type
  std::vector<HParam> hparams;        // every `<arch>.*` key, file order

  TokenizerSummary tokenizer;

  std::vector<TensorSummary> tensors;  // file order
  std::vector<TypeTotal> type_totals;  // by ggml type id
  uint64_t tensor_bytes = 0;

  // Parameters = tensor elements. Active per token = all but the routed experts, plus
  // n_expert_used / n_expert of the routed experts (shared experts and routers are active).
  uint64_t total_params = 0;
  uint64_t routed_expert_params = 0;
  uint64_t shared_expert_params = 0;
  std::optional<uint64_t> active_params;  // nullopt for an MoE model without expert_used_count
  uint32_t n_expert = 0;       // 0 for dense models
  uint32_t n_expert_used = 0;
  bool is_moe() const noexcept { return routed_expert_params > 0; }

  std::vector<std::string> warnings;  // inconsistencies worth showing, not fatal
};

// Summarises a validated file. Throws GgufError when a key the summary reads has the wrong
// type (e.g. a string where a token id belongs), naming the file and key.
ModelSummary summarize_model(std::shared_ptr<const GgufFile> file);

}  // namespace moe
