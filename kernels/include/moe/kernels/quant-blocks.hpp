#pragma once
// Block layouts of ggml's quantized types, byte for byte (little-endian, packed as ggml packs them).
#include <cstdint>

#include "moe/kernels/ggml-types.hpp"

namespace moe::kern {

using f16_bits = uint16_t;  // IEEE binary16 stored as raw bits

inline constexpr int QK4_0 = 32, QK4_1 = 32, QK5_0 = 32, QK5_1 = 32, QK8_0 = 32, QK8_1 = 32;
inline constexpr int QK4_NL = 32;
inline constexpr int K_SCALE_SIZE = 12;

struct block_q4_0 { f16_bits d; uint8_t qs[QK4_0 / 2]; };
struct block_q4_1 { f16_bits d; f16_bits m; uint8_t qs[QK4_1 / 2]; };
struct block_q5_0 { f16_bits d; uint8_t qh[4]; uint8_t qs[QK5_0 / 2]; };
struct block_q5_1 { f16_bits d; f16_bits m; uint8_t qh[4]; uint8_t qs[QK5_1 / 2]; };
struct block_q8_0 { f16_bits d; int8_t qs[QK8_0]; };
struct block_q8_1 { f16_bits d; f16_bits s; int8_t qs[QK8_1]; };

// K-quants: super-blocks of QK_K = 256 values.
struct block_q2_K { uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; f16_bits d; f16_bits dmin; };
struct block_q3_K { uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[12]; f16_bits d; };
struct block_q4_K { f16_bits d; f16_bits dmin; uint8_t scales[K_SCALE_SIZE]; uint8_t qs[QK_K / 2]; };
struct block_q5_K {
  f16_bits d; f16_bits dmin; uint8_t scales[K_SCALE_SIZE]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2];
};
struct block_q6_K { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; f16_bits d; };
// Activation type for K-quant dot products.
struct block_q8_K { float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16]; };

struct block_iq4_nl { f16_bits d; uint8_t qs[QK4_NL / 2]; };
struct block_iq4_xs { f16_bits d; uint16_t scales_h; uint8_t scales_l[QK_K / 64]; uint8_t qs[QK_K / 2]; };

static_assert(sizeof(block_q4_0) == 18 && sizeof(block_q4_1) == 20);
static_assert(sizeof(block_q5_0) == 22 && sizeof(block_q5_1) == 24);
static_assert(sizeof(block_q8_0) == 34 && sizeof(block_q8_1) == 36);
static_assert(sizeof(block_q2_K) == 84 && sizeof(block_q3_K) == 110);
static_assert(sizeof(block_q4_K) == 144 && sizeof(block_q5_K) == 176);
static_assert(sizeof(block_q6_K) == 210 && sizeof(block_q8_K) == 292);
static_assert(sizeof(block_iq4_nl) == 18 && sizeof(block_iq4_xs) == 136);

}  // namespace moe::kern
