// Non-linear 4-bit formats iq4_nl (32-value blocks, f16 scale) and iq4_xs (256-value
// super-blocks with 6-bit sub-block scales): quants index kValuesIq4nl, a fixed table denser
// near zero. Reference quantizers as ggml's quantize_row_iq4_*_ref (no importance matrix).
#include <algorithm>
#include <cmath>

#include "quant-internal.hpp"

namespace moe::kern::qref {
namespace {

float fl(int v) { return static_cast<float>(v); }

// Index of the table value nearest to x (ties to the upper one), by bisection as ggml does.
int best_index_int8(const int8_t* val, float x) {
  constexpr int n = 16;
  if (x <= fl(val[0])) return 0;
  if (x >= fl(val[n - 1])) return n - 1;
  int ml = 0, mu = n - 1;
  while (mu - ml > 1) {
    const int mid = (ml + mu) / 2;
    if (x < fl(val[mid]))
      mu = mid;
    else
      ml = mid;
  }
  return x - fl(val[mu - 1]) < fl(val[mu]) - x ? mu - 1 : mu;
}

// ggml's quantize_row_iq4_nl_impl without importance weights (weights x^2) and ntry = 7:
// per 32-value block, search 15 scales around the one that maps the extreme to the table's
// end, keeping the weighted least-squares optimum. For a super-block (iq4_xs) the block scales
// are then quantized to 6 bits against one f16 scale and the values re-mapped with the stored
// scale. Writes d, the packed quants q4 (16 bytes per 32 values: value j low, j + 16 high) and,
// for super-blocks, scales_h / scales_l.
void quantize_iq4_impl(int super_block_size, const float* x, f16_bits& dh, uint8_t* q4,
                       uint16_t* scales_h, uint8_t* scales_l) {
  constexpr int kBlock = 32;
  constexpr int kNtry = 7;
  const int8_t* values = kValuesIq4nl;
  uint8_t L[QK_K];
  float weight[kBlock];
  float scales[QK_K / kBlock];
  const int nblocks = super_block_size / kBlock;

  std::fill(q4, q4 + super_block_size / 2, uint8_t{0});
  dh = to_fp16(0.f);
  float max_scale = 0, amax_scale = 0;
  for (int ib = 0; ib < nblocks; ++ib) {
    const float* xb = x + ib * kBlock;
    uint8_t* Lb = L + ib * kBlock;
    for (int j = 0; j < kBlock; ++j) weight[j] = xb[j] * xb[j];
    float amax = 0, max = 0;
    for (int j = 0; j < kBlock; ++j) {
      const float ax = std::fabs(xb[j]);
      if (ax > amax) {
        amax = ax;
        max = xb[j];
      }
    }
    if (amax < kGroupMaxEps) {
      scales[ib] = 0;  // Lb is written below: both branches re-map every value
      continue;
    }
    float d = -max / fl(values[0]);  // ntry > 0: the extreme maps to values[0] = -127
    float id = 1 / d;
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < kBlock; ++j) {
      const int l = best_index_int8(values, id * xb[j]);
      Lb[j] = static_cast<uint8_t>(l);
      const float q = fl(values[l]);
      sumqx += weight[j] * q * xb[j];
      sumq2 += weight[j] * q * q;
    }
    d = sumqx / sumq2;
    float best = d * sumqx;
    for (int itry = -kNtry; itry <= kNtry; ++itry) {
      id = fl(itry + values[0]) / max;
      sumqx = sumq2 = 0;
      for (int j = 0; j < kBlock; ++j) {
        const float q = fl(values[best_index_int8(values, id * xb[j])]);
        sumqx += weight[j] * q * xb[j];
        sumq2 += weight[j] * q * q;
      }
      if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
        d = sumqx / sumq2;
        best = d * sumqx;
      }
    }
    scales[ib] = d;
    if (std::fabs(d) > amax_scale) {
      amax_scale = std::fabs(d);
      max_scale = d;
    }
  }

  if (nblocks > 1) {
    *scales_h = 0;
    const float d = -max_scale / 32;
    dh = to_fp16(d);
    const float id = d != 0.0f ? 1 / d : 0.f;
    for (int ib = 0; ib < nblocks; ++ib) {
      int l = std::clamp(nearest_int(id * scales[ib]), -32, 31);
      const float dl = d * fl(l);
      const float idl = dl != 0.0f ? 1 / dl : 0.f;
      uint8_t* Lb = L + ib * kBlock;
      const float* xb = x + ib * kBlock;
      for (int j = 0; j < kBlock; ++j) Lb[j] = static_cast<uint8_t>(best_index_int8(values, idl * xb[j]));
      l += 32;
      const auto l_l = static_cast<uint8_t>(l & 0xf);
      const auto l_h = static_cast<uint16_t>(l >> 4);
      if (ib % 2 == 0)
        scales_l[ib / 2] = l_l;
      else
        scales_l[ib / 2] = static_cast<uint8_t>(scales_l[ib / 2] | (l_l << 4));
      *scales_h = static_cast<uint16_t>(*scales_h | (l_h << 2 * (ib % 8)));
    }
  } else {
    // Single block: the scale itself is stored; re-map with it (ggml's ntry > 0 branch).
    dh = to_fp16(scales[0]);
    const float id = scales[0] != 0.0f ? 1 / scales[0] : 0;
    for (int j = 0; j < super_block_size; ++j) L[j] = static_cast<uint8_t>(best_index_int8(values, id * x[j]));
  }

  for (int i = 0; i < super_block_size / 32; ++i)
    for (int j = 0; j < 16; ++j)
      q4[16 * i + j] = static_cast<uint8_t>(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}

}  // namespace

void quantize_iq4_nl(const float* x, block_iq4_nl* y, int64_t k) {
  for (int64_t b = 0; b < k / QK4_NL; ++b, x += QK4_NL)
    quantize_iq4_impl(QK4_NL, x, y[b].d, y[b].qs, nullptr, nullptr);
}

void quantize_iq4_xs(const float* x, block_iq4_xs* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b, x += QK_K) {
    uint16_t scales_h = 0;
    quantize_iq4_impl(static_cast<int>(QK_K), x, y[b].d, y[b].qs, &scales_h, y[b].scales_l);
    y[b].scales_h = scales_h;
  }
}

void dequantize_iq4_nl(const block_iq4_nl* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK4_NL; ++b, y += QK4_NL) {
    const float d = fp16(x[b].d);
    for (int j = 0; j < QK4_NL / 2; ++j) {
      y[j] = d * fl(kValuesIq4nl[x[b].qs[j] & 0xf]);
      y[j + QK4_NL / 2] = d * fl(kValuesIq4nl[x[b].qs[j] >> 4]);
    }
  }
}

void dequantize_iq4_xs(const block_iq4_xs* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b) {
    const float d = fp16(x[b].d);
    const uint8_t* qs = x[b].qs;
    for (int ib = 0; ib < QK_K / 32; ++ib, qs += 16, y += 32) {
      const int ls = ((x[b].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((x[b].scales_h >> 2 * ib) & 3) << 4);
      const float dl = d * fl(ls - 32);
      for (int j = 0; j < 16; ++j) {
        y[j] = dl * fl(kValuesIq4nl[qs[j] & 0xf]);
        y[j + 16] = dl * fl(kValuesIq4nl[qs[j] >> 4]);
      }
    }
  }
}

}  // namespace moe::kern::qref
