// Legacy 32-element formats q4_0, q4_1, q5_0, q5_1, q8_0: ggml's reference quantizers and
// dequantizers. Every block stores one f16 scale d (and for *_1 an f16 minimum m); value
// i of a block is d * q_i (+ m).
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "quant-internal.hpp"

namespace moe::kern::qref {
namespace {

// The element of largest magnitude, with its sign (the first one on ties, as ggml scans).
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void min_max(const float* x, int n, float& min, float& max) {
  min = FLT_MAX;
  max = -FLT_MAX;
  for (int j = 0; j < n; ++j) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
}

// The 5th bits of the 32 quants of a q5 block, as ggml stores them (a little-endian u32).
uint32_t load_qh(const uint8_t* qh) {
  uint32_t v;
  std::memcpy(&v, qh, sizeof v);
  return v;
}

}  // namespace

// Symmetric 4-bit: the extreme value maps to -8 exactly (d = max / -8), so the sign of the
// largest element decides which end of [-8, 7] gets the extra level. Quants are
// trunc(x/d + 8.5), i.e. round half up, clamped to 15 (the extreme's mirror would give 16).
void quantize_q4_0(const float* x, block_q4_0* y, int64_t k) {
  for (int64_t b = 0; b < k / QK4_0; ++b, x += QK4_0) {
    const float d = signed_absmax(x, QK4_0) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = to_fp16(d);
    for (int j = 0; j < QK4_0 / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
      const int q1 = std::min(15, static_cast<int>(x[QK4_0 / 2 + j] * id + 8.5f));
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

// Asymmetric 4-bit: [min, max] split into 15 steps; the minimum is stored exactly (as f16).
void quantize_q4_1(const float* x, block_q4_1* y, int64_t k) {
  for (int64_t b = 0; b < k / QK4_1; ++b, x += QK4_1) {
    float min, max;
    min_max(x, QK4_1, min, max);
    const float d = (max - min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = to_fp16(d);
    y[b].m = to_fp16(min);
    for (int j = 0; j < QK4_1 / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>((x[j] - min) * id + 0.5f));
      const int q1 = std::min(15, static_cast<int>((x[QK4_1 / 2 + j] - min) * id + 0.5f));
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

// Symmetric 5-bit, as q4_0 with [-16, 15]. The low nibbles go to qs, bit 4 of quant j to bit j
// of qh.
void quantize_q5_0(const float* x, block_q5_0* y, int64_t k) {
  for (int64_t b = 0; b < k / QK5_0; ++b, x += QK5_0) {
    const float d = signed_absmax(x, QK5_0) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < QK5_0 / 2; ++j) {
      const int q0 = std::min(31, static_cast<int>(x[j] * id + 16.5f));
      const int q1 = std::min(31, static_cast<int>(x[QK5_0 / 2 + j] * id + 16.5f));
      y[b].qs[j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= static_cast<uint32_t>((q0 & 0x10) >> 4) << j;
      qh |= static_cast<uint32_t>((q1 & 0x10) >> 4) << (j + QK5_0 / 2);
    }
    std::memcpy(y[b].qh, &qh, sizeof qh);
  }
}

// Asymmetric 5-bit. Unlike q4_1, ggml does not clamp here: (x - min) / d <= 31 up to rounding,
// and the uint8 conversion keeps whatever the +0.5 truncation gives.
void quantize_q5_1(const float* x, block_q5_1* y, int64_t k) {
  for (int64_t b = 0; b < k / QK5_1; ++b, x += QK5_1) {
    float min, max;
    min_max(x, QK5_1, min, max);
    const float d = (max - min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = to_fp16(d);
    y[b].m = to_fp16(min);
    uint32_t qh = 0;
    for (int j = 0; j < QK5_1 / 2; ++j) {
      const auto q0 = static_cast<uint32_t>((x[j] - min) * id + 0.5f);
      const auto q1 = static_cast<uint32_t>((x[QK5_1 / 2 + j] - min) * id + 0.5f);
      y[b].qs[j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= ((q0 & 0x10u) >> 4) << j;
      qh |= ((q1 & 0x10u) >> 4) << (j + QK5_1 / 2);
    }
    std::memcpy(y[b].qh, &qh, sizeof qh);
  }
}

// Symmetric 8-bit with d = amax / 127 and roundf (ties away from zero, not nearest_int).
// This is also the activation format for the 32-element weight types.
void quantize_q8_0(const float* x, block_q8_0* y, int64_t k) {
  for (int64_t b = 0; b < k / QK8_0; ++b, x += QK8_0) {
    float amax = 0.0f;
    for (int j = 0; j < QK8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = to_fp16(d);
    for (int j = 0; j < QK8_0; ++j) y[b].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

void dequantize_q4_0(const block_q4_0* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK4_0; ++b, y += QK4_0) {
    const float d = fp16(x[b].d);
    for (int j = 0; j < QK4_0 / 2; ++j) {
      y[j] = static_cast<float>((x[b].qs[j] & 0x0F) - 8) * d;
      y[j + QK4_0 / 2] = static_cast<float>((x[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_q4_1(const block_q4_1* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK4_1; ++b, y += QK4_1) {
    const float d = fp16(x[b].d), m = fp16(x[b].m);
    for (int j = 0; j < QK4_1 / 2; ++j) {
      y[j] = static_cast<float>(x[b].qs[j] & 0x0F) * d + m;
      y[j + QK4_1 / 2] = static_cast<float>(x[b].qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_q5_0(const block_q5_0* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK5_0; ++b, y += QK5_0) {
    const float d = fp16(x[b].d);
    const uint32_t qh = load_qh(x[b].qh);
    for (int j = 0; j < QK5_0 / 2; ++j) {
      const auto h0 = static_cast<int>(((qh >> j) << 4) & 0x10);
      const auto h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
      y[j] = static_cast<float>(((x[b].qs[j] & 0x0F) | h0) - 16) * d;
      y[j + QK5_0 / 2] = static_cast<float>(((x[b].qs[j] >> 4) | h1) - 16) * d;
    }
  }
}

void dequantize_q5_1(const block_q5_1* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK5_1; ++b, y += QK5_1) {
    const float d = fp16(x[b].d), m = fp16(x[b].m);
    const uint32_t qh = load_qh(x[b].qh);
    for (int j = 0; j < QK5_1 / 2; ++j) {
      const auto h0 = static_cast<int>(((qh >> j) << 4) & 0x10);
      const auto h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
      y[j] = static_cast<float>((x[b].qs[j] & 0x0F) | h0) * d + m;
      y[j + QK5_1 / 2] = static_cast<float>((x[b].qs[j] >> 4) | h1) * d + m;
    }
  }
}

void dequantize_q8_0(const block_q8_0* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK8_0; ++b, y += QK8_0) {
    const float d = fp16(x[b].d);
    for (int j = 0; j < QK8_0; ++j) y[j] = static_cast<float>(x[b].qs[j]) * d;
  }
}

}  // namespace moe::kern::qref
