#pragma once
// Requantizing a GGUF model the way llama-quantize does (without an importance matrix):
// the same per-tensor type recipe (`_M` / `_S` mixes, the 8-expert attention rule, the
// block-size fallbacks), the same reference quantizers, metadata copied with
// general.file_type set to llama.cpp's LLAMA_FTYPE value. Used by `moescope-cli quantize`;
// the GUI can call it with a progress callback.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "moe/gguf.hpp"
#include "moe/kernels/ggml-types.hpp"

namespace moe {

// One user-selectable target: its name as llama-quantize spells it, the LLAMA_FTYPE value
// written to general.file_type, and the type most tensors get.
struct QuantTarget {
  std::string_view name;        // "Q4_K_M"
  uint32_t ftype = 0;           // llama.h LLAMA_FTYPE_MOSTLY_Q4_K_M = 15
  kern::GgmlType default_type;  // q4_K
};

// Case-insensitive lookup; the aliases Q3_K, Q4_K, Q5_K mean Q3_K_M, Q4_K_M, Q5_K_M as in
// llama-quantize. nullopt for unknown names.
std::optional<QuantTarget> find_quant_target(std::string_view name) noexcept;
// Every accepted name (aliases excluded), for usage messages.
std::vector<std::string_view> quant_target_names();

// What happens to one tensor.
struct TensorQuantPlan {
  std::string name;
  kern::GgmlType from = kern::GgmlType::F32;
  kern::GgmlType to = kern::GgmlType::F32;
  bool fallback = false;  // the recipe's type did not fit the row length (see plan_quantization)
};

// The per-tensor types for `target`, in llama-quantize's tensor order (non-block tensors
// first, then by layer number, names sorted within a layer). Tensors that llama-quantize never
// quantizes (1-D, norms, routers ffn_gate_inp*, anything not ending in "weight") keep their
// type. Rows whose length is not a multiple of the chosen type's block fall back like
// llama.cpp (q4_K -> q5_0, q5_K -> q5_1, q6_K -> q8_0, q2_K/q3_K -> q4_0, then f16).
// Throws ModelError naming the file when the hyper-parameters the recipe needs are missing.
std::vector<TensorQuantPlan> plan_quantization(const GgufFile& in, const QuantTarget& target);

struct QuantizeOptions {
  int n_threads = 0;  // 0 = oneTBB's default
  // Called before each tensor (index, count, plan); return false to cancel (CancelledError).
  std::function<bool(size_t index, size_t count, const TensorQuantPlan& plan)> progress;
};

struct QuantizeStats {
  size_t n_tensors = 0, n_converted = 0, n_fallback = 0;
  uint64_t bytes_in = 0, bytes_out = 0;  // tensor data only
};

// Reads `in_path`, converts every tensor to its planned type (dequantize to f32, then ggml's
// reference quantizer, row by row in parallel) and writes `out_path` atomically: on any error
// nothing is left at out_path. Tensors already of their target type are copied unchanged.
// Throws GgufError (input), ModelError (unsupported tensor type, naming file and tensor),
// IoError (output), CancelledError.
QuantizeStats quantize_model(const std::filesystem::path& in_path, const std::filesystem::path& out_path,
                             const QuantTarget& target, const QuantizeOptions& opts = {});

}  // namespace moe
