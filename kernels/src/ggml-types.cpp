#include "moe/kernels/ggml-types.hpp"

#include <array>
#include <cctype>

#include "moe/kernels/quant-blocks.hpp"

namespace moe::kern {
namespace {

using T = GgmlType;
// supported = quant_supported(): this build dequantizes, quantizes (ggml reference) and
// multiplies the type (quant.hpp); ids ggml retired are absent.
constexpr std::array kTypes = {
    TypeTraits{T::F32, "f32", 1, 4, false, true},
    TypeTraits{T::F16, "f16", 1, 2, false, true},
    TypeTraits{T::Q4_0, "q4_0", 32, sizeof(block_q4_0), true, true},
    TypeTraits{T::Q4_1, "q4_1", 32, sizeof(block_q4_1), true, true},
    TypeTraits{T::Q5_0, "q5_0", 32, sizeof(block_q5_0), true, true},
    TypeTraits{T::Q5_1, "q5_1", 32, sizeof(block_q5_1), true, true},
    TypeTraits{T::Q8_0, "q8_0", 32, sizeof(block_q8_0), true, true},
    TypeTraits{T::Q8_1, "q8_1", 32, sizeof(block_q8_1), true, false},
    TypeTraits{T::Q2_K, "q2_K", QK_K, sizeof(block_q2_K), true, true},
    TypeTraits{T::Q3_K, "q3_K", QK_K, sizeof(block_q3_K), true, true},
    TypeTraits{T::Q4_K, "q4_K", QK_K, sizeof(block_q4_K), true, true},
    TypeTraits{T::Q5_K, "q5_K", QK_K, sizeof(block_q5_K), true, true},
    TypeTraits{T::Q6_K, "q6_K", QK_K, sizeof(block_q6_K), true, true},
    TypeTraits{T::Q8_K, "q8_K", QK_K, sizeof(block_q8_K), true, false},  // activations only
    TypeTraits{T::IQ2_XXS, "iq2_xxs", QK_K, 66, true, false},
    TypeTraits{T::IQ2_XS, "iq2_xs", QK_K, 74, true, false},
    TypeTraits{T::IQ3_XXS, "iq3_xxs", QK_K, 98, true, false},
    TypeTraits{T::IQ1_S, "iq1_s", QK_K, 50, true, false},
    TypeTraits{T::IQ4_NL, "iq4_nl", 32, sizeof(block_iq4_nl), true, true},
    TypeTraits{T::IQ3_S, "iq3_s", QK_K, 110, true, false},
    TypeTraits{T::IQ2_S, "iq2_s", QK_K, 82, true, false},
    TypeTraits{T::IQ4_XS, "iq4_xs", QK_K, sizeof(block_iq4_xs), true, true},
    TypeTraits{T::I8, "i8", 1, 1, false, false},
    TypeTraits{T::I16, "i16", 1, 2, false, false},
    TypeTraits{T::I32, "i32", 1, 4, false, false},
    TypeTraits{T::I64, "i64", 1, 8, false, false},
    TypeTraits{T::F64, "f64", 1, 8, false, false},
    TypeTraits{T::IQ1_M, "iq1_m", QK_K, 56, true, false},
    TypeTraits{T::BF16, "bf16", 1, 2, false, true},
    TypeTraits{T::TQ1_0, "tq1_0", QK_K, 54, true, false},
    TypeTraits{T::TQ2_0, "tq2_0", QK_K, 66, true, false},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::optional<TypeTraits> type_traits(uint32_t raw_id) noexcept {
  for (const TypeTraits& t : kTypes)
    if (static_cast<uint32_t>(t.type) == raw_id) return t;
  return std::nullopt;
}

const TypeTraits& traits(GgmlType type) noexcept {
  for (const TypeTraits& t : kTypes)
    if (t.type == type) return t;
  return kTypes[0];  // unreachable for valid enumerators
}

std::string_view type_name(GgmlType t) noexcept { return traits(t).name; }

std::optional<GgmlType> type_from_name(std::string_view name) noexcept {
  for (const TypeTraits& t : kTypes)
    if (iequals(t.name, name)) return t.type;
  return std::nullopt;
}

}  // namespace moe::kern
