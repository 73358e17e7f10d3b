// K-quant reference quantizers (q2_K .. q6_K) and the q8_K activation format, bit-exact with
// ggml's quantize_row_*_ref. A super-block of 256 values is split into sub-blocks of 16 or 32;
// each sub-block gets its own scale (and for q2/q4/q5 a min) found by a small least-squares
// search, and those scales are themselves quantized to 4/6/8 bits against one f16 super-scale.
//
// Bit-exactness depends on evaluating every float expression in ggml's order (left to right,
// float, no fused multiply-add): the searches compare nearly equal candidates, and a last-bit
// difference can pick another one. Keep the operand order below as it is.
#include <algorithm>
#include <cmath>

#include "quant-internal.hpp"

namespace moe::kern::qref {
namespace {

float fl(int v) { return static_cast<float>(v); }

// Symmetric quantization of n values to [-nmax, nmax - 1] (stored as L + nmax), weights x^2
// (ggml's rmse_type 1, no importance matrix). Starts from the scale that maps the largest
// magnitude to -nmax, then tries 18 nearby scales and keeps the one maximising
// (sum w x l)^2 / sum w l^2, i.e. minimising the weighted squared error with the optimal scale.
// Returns that scale.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::fill(L, L + n, int8_t{0});
    return 0.f;
  }
  auto quant = [&](float iscale, int i) { return std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1); };
  float iscale = fl(-nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = quant(iscale, i);
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * fl(l);
    suml2 += w * fl(l) * fl(l);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(fl(nmax) + 0.1f * fl(is)) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = quant(iscale, i);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * fl(l);
      suml2 += w * fl(l) * fl(l);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(nmax + quant(iscale, i));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Symmetric 3-bit search of q3_K: start like make_qx_quants, then move single quants while that
// improves the weighted fit (coordinate descent, at most 5 sweeps). L receives l + nmax.
float make_q3_quants(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::fill(L, L + n, int8_t{0});
    return 0.f;
  }
  const float iscale = fl(-nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * fl(l);
    suml2 += w * fl(l) * fl(l);
  }
  for (int itry = 0; itry < 5; ++itry) {
    int n_changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * fl(L[i]);
      if (slx > 0) {
        float sl2 = suml2 - w * fl(L[i]) * fl(L[i]);
        const int new_l = std::clamp(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (new_l != L[i]) {
          slx += w * x[i] * fl(new_l);
          sl2 += w * fl(new_l) * fl(new_l);
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<int8_t>(new_l);
            sumlx = slx;
            suml2 = sl2;
            ++n_changed;
          }
        }
      }
    }
    if (n_changed == 0) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Asymmetric quantization x ~ scale * L - the_min with L in [0, nmax] (min clipped to <= 0),
// weighted by `weights`. Tries nstep+1 stretched grids; for each, the optimal (scale, min) of
// the weighted least-squares fit is solved in closed form and kept if its error (squared, or
// absolute when use_mad) beats the best so far. Returns the scale; *the_min gets -min >= 0.
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                       float* the_min, uint8_t* Laux, float rmin, float rdelta, int nstep,
                       bool use_mad) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::fill(L, L + n, uint8_t{0});
    *the_min = -min;
    return 0.f;
  }
  auto error_of = [&](float diff) { return use_mad ? std::fabs(diff) : diff * diff; };
  float iscale = fl(nmax) / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = nearest_int(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(std::clamp(l, 0, nmax));
    const float diff = scale * fl(L[i]) + min - x[i];
    best_error += weights[i] * error_of(diff);
  }
  if (nstep < 1) {
    *the_min = -min;
    return scale;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * fl(is) + fl(nmax)) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax);
      Laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * fl(l);
      sum_l2 += w * fl(l) * fl(l);
      sum_xl += w * fl(l) * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        const float diff = this_scale * fl(Laux[i]) + this_min - x[i];
        cur_error += weights[i] * error_of(diff);
      }
      if (cur_error < best_error) {
        std::copy(Laux, Laux + n, L);
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

// Shared by q4_K and q5_K: per 32-value sub-block scale/min search (weights av|x| + |x|), the
// 8 scales and 8 mins quantized to 6 bits against f16 super-scales d and dmin and packed as
// get_scale_min_k4 reads them, then every value requantized with the stored (rounded) scales.
// L receives 256 quants in [0, nmax].
void quantize_k4_scales(const float* x, int nmax, float rmin, int nstep, f16_bits& d_out,
                        f16_bits& dmin_out, uint8_t* packed, uint8_t* L) {
  uint8_t Laux[32];
  float weights[32];
  float mins[QK_K / 32];
  float scales[QK_K / 32];
  float max_scale = 0, max_min = 0;  // scales and mins are >= 0 here (the min is subtracted)
  for (int j = 0; j < QK_K / 32; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    scales[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin,
                                 0.1f, nstep, false);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < QK_K / 32; ++j) {
    // ggml narrows to uint8_t before clamping; values are small and non-negative anyway.
    const auto ls = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
    const auto lm = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
    if (j < 4) {
      packed[j] = ls;
      packed[j + 4] = lm;
    } else {
      packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      packed[j - 4] = static_cast<uint8_t>(packed[j - 4] | ((ls >> 4) << 6));
      packed[j] = static_cast<uint8_t>(packed[j] | ((lm >> 4) << 6));
    }
  }
  d_out = to_fp16(max_scale / 63.f);
  dmin_out = to_fp16(max_min / 63.f);
  for (int j = 0; j < QK_K / 32; ++j) {
    uint8_t sc, m;
    get_scale_min_k4(j, packed, sc, m);
    const float d = fp16(d_out) * fl(sc);
    if (d == 0.0f) continue;  // keep the search's quants, as ggml does
    const float dm = fp16(dmin_out) * fl(m);
    for (int ii = 0; ii < 32; ++ii)
      L[32 * j + ii] = static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + ii] + dm) / d), 0, nmax));
  }
}

}  // namespace

void quantize_q2_K(const float* x, block_q2_K* y, int64_t k) {
  constexpr float kQ4Scale = 15.f;
  for (int64_t b = 0; b < k / QK_K; ++b, x += QK_K) {
    block_q2_K& out = y[b];
    uint8_t L[QK_K], Laux[16];
    float weights[16], mins[QK_K / 16], scales[QK_K / 16];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < QK_K / 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f,
                                   0.1f, 15, true);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    // 4-bit scales in the low nibbles, 4-bit mins in the high nibbles.
    if (max_scale > 0) {
      const float iscale = kQ4Scale / max_scale;
      for (int j = 0; j < QK_K / 16; ++j)
        out.scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      out.d = to_fp16(max_scale / kQ4Scale);
    } else {
      std::fill(std::begin(out.scales), std::end(out.scales), uint8_t{0});
      out.d = to_fp16(0.f);
    }
    if (max_min > 0) {
      const float iscale = kQ4Scale / max_min;
      for (int j = 0; j < QK_K / 16; ++j)
        out.scales[j] = static_cast<uint8_t>(out.scales[j] | (nearest_int(iscale * mins[j]) << 4));
      out.dmin = to_fp16(max_min / kQ4Scale);
    } else {
      out.dmin = to_fp16(0.f);
    }
    for (int j = 0; j < QK_K / 16; ++j) {
      const float d = fp16(out.d) * fl(out.scales[j] & 0xF);
      if (d == 0.0f) continue;
      const float dm = fp16(out.dmin) * fl(out.scales[j] >> 4);
      for (int ii = 0; ii < 16; ++ii)
        L[16 * j + ii] = static_cast<uint8_t>(std::clamp(nearest_int((x[16 * j + ii] + dm) / d), 0, 3));
    }
    // Byte l of each 32-byte half holds values l, l+32, l+64, l+96 of its 128, 2 bits each.
    for (int j = 0; j < QK_K; j += 128)
      for (int l = 0; l < 32; ++l)
        out.qs[j / 4 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) |
                                                 (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
  }
}

void quantize_q3_K(const float* x, block_q3_K* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b, x += QK_K) {
    block_q3_K& out = y[b];
    int8_t L[QK_K];
    float scales[QK_K / 16];
    float max_scale = 0, amax = 0;
    for (int j = 0; j < QK_K / 16; ++j) {
      scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    // 6-bit signed scales (biased by 32): low nibbles in bytes 0-7, top 2 bits in bytes 8-11.
    std::fill(std::begin(out.scales), std::end(out.scales), uint8_t{0});
    if (max_scale != 0.0f) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < QK_K / 16; ++j) {
        // ggml narrows the rounded value to int8_t before clamping; |value| <= 32 here.
        const auto l0 = static_cast<int8_t>(nearest_int(iscale * scales[j]));
        const int l = std::clamp<int>(l0, -32, 31) + 32;
        if (j < 8)
          out.scales[j] = static_cast<uint8_t>(l & 0xF);
        else
          out.scales[j - 8] = static_cast<uint8_t>(out.scales[j - 8] | ((l & 0xF) << 4));
        out.scales[j % 4 + 8] = static_cast<uint8_t>(out.scales[j % 4 + 8] | ((l >> 4) << (2 * (j / 4))));
      }
      out.d = to_fp16(1 / iscale);
    } else {
      out.d = to_fp16(0.f);
    }
    for (int j = 0; j < QK_K / 16; ++j) {
      const float d = fp16(out.d) * fl(q3k_scale(out.scales, j));
      if (d == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii)
        L[16 * j + ii] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + ii] / d), -4, 3) + 4);
    }
    // Bit 2 of quant j goes to hmask[j % 32], bit j / 32; the low 2 bits pack like q2_K.
    std::fill(std::begin(out.hmask), std::end(out.hmask), uint8_t{0});
    for (int j = 0; j < QK_K; ++j) {
      if (L[j] > 3) {
        out.hmask[j % 32] = static_cast<uint8_t>(out.hmask[j % 32] | (1 << (j / 32)));
        L[j] = static_cast<int8_t>(L[j] - 4);
      }
    }
    for (int j = 0; j < QK_K; j += 128)
      for (int l = 0; l < 32; ++l)
        out.qs[j / 4 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) |
                                                 (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
  }
}

void quantize_q4_K(const float* x, block_q4_K* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b, x += QK_K) {
    uint8_t L[QK_K];
    quantize_k4_scales(x, 15, -1.f, 20, y[b].d, y[b].dmin, y[b].scales, L);
    // Byte l of each 32-byte group: value l in the low nibble, value l + 32 in the high one.
    uint8_t* q = y[b].qs;
    for (int j = 0; j < QK_K; j += 64, q += 32)
      for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
  }
}

void quantize_q5_K(const float* x, block_q5_K* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b, x += QK_K) {
    uint8_t L[QK_K];
    quantize_k4_scales(x, 31, -0.5f, 15, y[b].d, y[b].dmin, y[b].scales, L);
    // Low nibbles as q4_K; bit 4 of values (64 g + l, 64 g + 32 + l) goes to qh[l] bits 2g, 2g+1.
    uint8_t* qh = y[b].qh;
    uint8_t* ql = y[b].qs;
    std::fill(qh, qh + QK_K / 8, uint8_t{0});
    int m1 = 1, m2 = 2;
    for (int n = 0; n < QK_K; n += 64, ql += 32, m1 <<= 2, m2 <<= 2) {
      for (int j = 0; j < 32; ++j) {
        int l1 = L[n + j], l2 = L[n + j + 32];
        if (l1 > 15) {
          l1 -= 16;
          qh[j] = static_cast<uint8_t>(qh[j] | m1);
        }
        if (l2 > 15) {
          l2 -= 16;
          qh[j] = static_cast<uint8_t>(qh[j] | m2);
        }
        ql[j] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
    }
  }
}

void quantize_q6_K(const float* x, block_q6_K* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b, x += QK_K) {
    block_q6_K& out = y[b];
    int8_t L[QK_K];
    float scales[QK_K / 16];
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < QK_K / 16; ++ib) {
      scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
      if (std::fabs(scales[ib]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[ib]);
        max_scale = scales[ib];
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(&out, 0, sizeof out);
      out.d = to_fp16(0.f);
      continue;
    }
    // 8-bit signed sub-block scales; the largest maps to -128 (clamped to 127 on the other side).
    const float iscale = -128.f / max_scale;
    out.d = to_fp16(1 / iscale);
    for (int ib = 0; ib < QK_K / 16; ++ib)
      out.scales[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
    for (int j = 0; j < QK_K / 16; ++j) {
      const float d = fp16(out.d) * fl(out.scales[j]);
      if (d == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii)
        L[16 * j + ii] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + ii] / d), -32, 31) + 32);
    }
    // Per 128 values: ql[l] = low nibbles of values l and l+64, ql[l+32] of l+32 and l+96;
    // qh[l] = the top 2 bits of values l, l+32, l+64, l+96.
    uint8_t* ql = out.ql;
    uint8_t* qh = out.qh;
    for (int j = 0; j < QK_K; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        const int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
        ql[l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

// Activations for K-quant dot products: one float scale per 256 values (the extreme maps to
// -127), nearest_int rounding, plus the sums of each 16 quants so that dot products with
// K-quant minimums need no second pass. An all-zero block gets d = 0, zero quants and sums
// (ggml leaves the sums unwritten there).
void quantize_q8_K(const float* x, block_q8_K* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b, x += QK_K) {
    block_q8_K& out = y[b];
    float max = 0, amax = 0;
    for (int j = 0; j < QK_K; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      std::memset(&out, 0, sizeof out);
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < QK_K; ++j) out.qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    for (int j = 0; j < QK_K / 16; ++j) {
      int sum = 0;
      for (int ii = 0; ii < 16; ++ii) sum += out.qs[j * 16 + ii];
      out.bsums[j] = static_cast<int16_t>(sum);
    }
    out.d = 1 / iscale;
  }
}

}  // namespace moe::kern::qref
