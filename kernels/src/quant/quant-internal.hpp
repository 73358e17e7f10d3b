#pragma once
// Per-type scalar references behind the type switch of quant-dispatch.cpp. Not public: the
// model and SIMD code go through moe/kernels/quant.hpp.
//
// Every function takes k = number of elements (a multiple of the block size, checked by the
// caller) and processes k / block_elems consecutive blocks.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "moe/kernels/fp16.hpp"
#include "moe/kernels/quant-blocks.hpp"

namespace moe::kern::qref {

// ggml treats a group whose largest magnitude is below this as all zero.
inline constexpr float kGroupMaxEps = 1e-15f;

// ggml's nearest_int: adding 1.5 * 2^23 pushes the fraction out of the float's mantissa, so the
// FPU rounds to nearest, ties to even (unlike roundf, which rounds ties away from zero). The
// integer then sits in the low 22 mantissa bits. Valid for |v| <= 2^22 - 1, as in ggml.
inline int nearest_int(float v) noexcept {
  const float shifted = v + 12582912.f;
  const auto bits = std::bit_cast<int32_t>(shifted);
  return (bits & 0x007fffff) - 0x00400000;
}

inline float fp16(f16_bits h) noexcept { return f16_to_f32(h); }
inline f16_bits to_fp16(float f) noexcept { return f32_to_f16(f); }

// The 6-bit scale and min of sub-block j (0..7) of a q4_K / q5_K super-block. The 12 bytes hold
// 8 scales and 8 mins: sub-blocks 0-3 keep theirs in the low 6 bits of bytes 0-3 (scales) and
// 4-7 (mins); sub-blocks 4-7 keep their low 4 bits in the nibbles of bytes 8-11 and their top
// 2 bits in the spare top bits of bytes 0-7.
inline void get_scale_min_k4(int j, const uint8_t* q, uint8_t& sc, uint8_t& m) noexcept {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// The signed 6-bit scale of sub-block j (0..15) of a q3_K super-block: low nibbles in bytes
// 0-7 (sub-blocks 0-7 low nibble, 8-15 high nibble), top 2 bits packed four per byte in 8-11.
inline int q3k_scale(const uint8_t* scales, int j) noexcept {
  const int lo = j < 8 ? (scales[j] & 0xF) : (scales[j - 8] >> 4);
  const int hi = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (lo | (hi << 4)) - 32;
}

// The 16 non-linear levels of iq4_nl / iq4_xs.
inline constexpr int8_t kValuesIq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

// --- legacy 32-element types (quant-legacy.cpp) ---
void quantize_q4_0(const float* x, block_q4_0* y, int64_t k);
void quantize_q4_1(const float* x, block_q4_1* y, int64_t k);
void quantize_q5_0(const float* x, block_q5_0* y, int64_t k);
void quantize_q5_1(const float* x, block_q5_1* y, int64_t k);
void quantize_q8_0(const float* x, block_q8_0* y, int64_t k);
void dequantize_q4_0(const block_q4_0* x, float* y, int64_t k);
void dequantize_q4_1(const block_q4_1* x, float* y, int64_t k);
void dequantize_q5_0(const block_q5_0* x, float* y, int64_t k);
void dequantize_q5_1(const block_q5_1* x, float* y, int64_t k);
void dequantize_q8_0(const block_q8_0* x, float* y, int64_t k);

// --- K-quants (quant-k.cpp: quantizers, quant-k-dequant.cpp: dequantizers) ---
void quantize_q2_K(const float* x, block_q2_K* y, int64_t k);
void quantize_q3_K(const float* x, block_q3_K* y, int64_t k);
void quantize_q4_K(const float* x, block_q4_K* y, int64_t k);
void quantize_q5_K(const float* x, block_q5_K* y, int64_t k);
void quantize_q6_K(const float* x, block_q6_K* y, int64_t k);
void quantize_q8_K(const float* x, block_q8_K* y, int64_t k);
void dequantize_q2_K(const block_q2_K* x, float* y, int64_t k);
void dequantize_q3_K(const block_q3_K* x, float* y, int64_t k);
void dequantize_q4_K(const block_q4_K* x, float* y, int64_t k);
void dequantize_q5_K(const block_q5_K* x, float* y, int64_t k);
void dequantize_q6_K(const block_q6_K* x, float* y, int64_t k);
void dequantize_q8_K(const block_q8_K* x, float* y, int64_t k);

// --- non-linear 4-bit types (quant-iq.cpp) ---
void quantize_iq4_nl(const float* x, block_iq4_nl* y, int64_t k);
void quantize_iq4_xs(const float* x, block_iq4_xs* y, int64_t k);
void dequantize_iq4_nl(const block_iq4_nl* x, float* y, int64_t k);
void dequantize_iq4_xs(const block_iq4_xs* x, float* y, int64_t k);

// --- dot products weight . activation (quant-dot-ref.cpp); n elements ---
float dot_f32(const float* w, const float* x, int64_t n);
float dot_f16(const f16_bits* w, const f16_bits* x, int64_t n);
float dot_bf16(const uint16_t* w, const uint16_t* x, int64_t n);
float dot_q4_0(const block_q4_0* w, const block_q8_0* x, int64_t n);
float dot_q4_1(const block_q4_1* w, const block_q8_0* x, int64_t n);
float dot_q5_0(const block_q5_0* w, const block_q8_0* x, int64_t n);
float dot_q5_1(const block_q5_1* w, const block_q8_0* x, int64_t n);
float dot_q8_0(const block_q8_0* w, const block_q8_0* x, int64_t n);
float dot_iq4_nl(const block_iq4_nl* w, const block_q8_0* x, int64_t n);
float dot_q2_K(const block_q2_K* w, const block_q8_K* x, int64_t n);
float dot_q3_K(const block_q3_K* w, const block_q8_K* x, int64_t n);
float dot_q4_K(const block_q4_K* w, const block_q8_K* x, int64_t n);
float dot_q5_K(const block_q5_K* w, const block_q8_K* x, int64_t n);
float dot_q6_K(const block_q6_K* w, const block_q8_K* x, int64_t n);
float dot_iq4_xs(const block_iq4_xs* w, const block_q8_K* x, int64_t n);

}  // namespace moe::kern::qref
