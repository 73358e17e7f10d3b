#pragma once
// Scalar IEEE half and bfloat16 conversion, bit-exact with ggml's reference conversions
// (round to nearest even; NaN stays NaN).
// __builtin_bit_cast rather than std::bit_cast: the latter is one shared instantiation (ODR).
#include <cstdint>

namespace moe::kern {

// The conversions are templates on a tag so the per-ISA kernel files can instantiate their own
// copy (fp16_impl<Arch>): a plain inline function compiled with AVX-512 flags in one file and
// SSE flags in another is one ODR symbol, and the linker may keep the AVX-512 copy.
namespace fp16_impl {

template <class Tag>
constexpr float f16_to_f32(uint16_t h) noexcept {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 0) {
    if (mant == 0) return __builtin_bit_cast(float, sign);
    // Subnormal half: normalise into a float.
    int e = -1;
    do { ++e; mant <<= 1; } while ((mant & 0x400u) == 0);
    mant &= 0x3FFu;
    return __builtin_bit_cast(float, sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | (mant << 13));
  }
  if (exp == 0x1F) return __builtin_bit_cast(float, sign | 0x7F800000u | (mant << 13));
  return __builtin_bit_cast(float, sign | ((exp + (127 - 15)) << 23) | (mant << 13));
}

template <class Tag>
constexpr uint16_t f32_to_f16(float f) noexcept {
  const uint32_t x = __builtin_bit_cast(uint32_t, f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u | ((abs >> 13) & 0x3FFu));  // NaN
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds to inf
  if (abs < 0x38800000u) {  // result is subnormal or zero
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);
    const uint32_t e = abs >> 23;
    const uint32_t m = (abs & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126u - e;  // 14..24
    const uint32_t halfway = 1u << (shift - 1);
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1u);
    if (rem > halfway || (rem == halfway && (r & 1u))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  // Normal: rebias and round the 13 dropped bits to nearest even.
  uint32_t r = abs - 0x38000000u;
  r += 0x0FFFu + ((r >> 13) & 1u);
  return static_cast<uint16_t>(sign | (r >> 13));
}

template <class Tag>
constexpr float bf16_to_f32(uint16_t h) noexcept {
  return __builtin_bit_cast(float, static_cast<uint32_t>(h) << 16);
}

template <class Tag>
constexpr uint16_t f32_to_bf16(float f) noexcept {
  uint32_t x = __builtin_bit_cast(uint32_t, f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 64u);  // quiet NaN
  x += 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

}  // namespace fp16_impl

constexpr float f16_to_f32(uint16_t h) noexcept { return fp16_impl::f16_to_f32<void>(h); }
constexpr uint16_t f32_to_f16(float f) noexcept { return fp16_impl::f32_to_f16<void>(f); }
constexpr float bf16_to_f32(uint16_t h) noexcept { return fp16_impl::bf16_to_f32<void>(h); }
constexpr uint16_t f32_to_bf16(float f) noexcept { return fp16_impl::f32_to_bf16<void>(f); }

}  // namespace moe::kern
