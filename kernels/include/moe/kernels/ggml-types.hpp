#pragma once
// Tensor element types with ggml's numeric ids (the values stored in GGUF tensor infos).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace moe::kern {

enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35,
};

inline constexpr int64_t QK_K = 256;  // super-block size of the K-quants

struct TypeTraits {
  GgmlType type;
  std::string_view name;     // ggml's spelling: "f32", "q4_K", ...
  int64_t block_elems;       // elements per block (1 for plain types)
  size_t block_bytes;        // bytes per block
  bool quantized;
  bool supported;            // this build can dequantize / multiply it
};

// Traits of a known type id, or nullopt for ids ggml never defined.
std::optional<TypeTraits> type_traits(uint32_t raw_id) noexcept;
const TypeTraits& traits(GgmlType t) noexcept;  // t must be a known id
std::string_view type_name(GgmlType t) noexcept;
std::optional<GgmlType> type_from_name(std::string_view name) noexcept;  // case-insensitive

// Bytes of a row of n elements; n must be a multiple of the block size.
inline size_t row_bytes(GgmlType t, int64_t n) noexcept {
  const TypeTraits& tt = traits(t);
  return static_cast<size_t>(n / tt.block_elems) * tt.block_bytes;
}

}  // namespace moe::kern
