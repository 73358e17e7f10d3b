// K-quant dequantizers (q2_K .. q6_K, q8_K), value for value as ggml's dequantize_row_*.
// Each output is computed as ggml computes it (sub-block scale first, then times the quant,
// then minus the sub-block min) so results are bit-identical, not just close.
#include "quant-internal.hpp"

namespace moe::kern::qref {
namespace {
float fl(int v) { return static_cast<float>(v); }
}  // namespace

void dequantize_q2_K(const block_q2_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b) {
    const float d = fp16(x[b].d), dmin = fp16(x[b].dmin);
    const uint8_t* q = x[b].qs;
    int is = 0;
    // Each 128 values: 4 bit-planes (shift 0, 2, 4, 6) of 32 bytes, 16 values per sub-block.
    for (int n = 0; n < QK_K; n += 128, q += 32) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int half = 0; half < 2; ++half) {
          const uint8_t sc = x[b].scales[is++];
          const float dl = d * fl(sc & 0xF), ml = dmin * fl(sc >> 4);
          for (int l = 0; l < 16; ++l) *y++ = dl * fl((q[l + 16 * half] >> shift) & 3) - ml;
        }
      }
    }
  }
}

void dequantize_q3_K(const block_q3_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b) {
    const float d_all = fp16(x[b].d);
    const uint8_t* q = x[b].qs;
    const uint8_t* hm = x[b].hmask;
    int is = 0;
    int m = 1;  // hmask bit of the current 32 values
    for (int n = 0; n < QK_K; n += 128, q += 32) {
      for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
        for (int half = 0; half < 2; ++half) {
          const float dl = d_all * fl(q3k_scale(x[b].scales, is++));
          for (int l = 16 * half; l < 16 * half + 16; ++l) {
            // The stored high bit is set for quants >= 0 (after the -4 bias).
            const int v = ((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4);
            *y++ = dl * fl(v);
          }
        }
      }
    }
  }
}

void dequantize_q4_K(const block_q4_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b) {
    const float d = fp16(x[b].d), dmin = fp16(x[b].dmin);
    const uint8_t* q = x[b].qs;
    for (int j = 0; j < QK_K / 32; j += 2, q += 32) {
      uint8_t sc, m;
      get_scale_min_k4(j, x[b].scales, sc, m);
      const float d1 = d * fl(sc), m1 = dmin * fl(m);
      get_scale_min_k4(j + 1, x[b].scales, sc, m);
      const float d2 = d * fl(sc), m2 = dmin * fl(m);
      for (int l = 0; l < 32; ++l) *y++ = d1 * fl(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * fl(q[l] >> 4) - m2;
    }
  }
}

void dequantize_q5_K(const block_q5_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b) {
    const float d = fp16(x[b].d), dmin = fp16(x[b].dmin);
    const uint8_t* ql = x[b].qs;
    const uint8_t* qh = x[b].qh;
    int u1 = 1, u2 = 2;
    for (int j = 0; j < QK_K / 32; j += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      uint8_t sc, m;
      get_scale_min_k4(j, x[b].scales, sc, m);
      const float d1 = d * fl(sc), m1 = dmin * fl(m);
      get_scale_min_k4(j + 1, x[b].scales, sc, m);
      const float d2 = d * fl(sc), m2 = dmin * fl(m);
      for (int l = 0; l < 32; ++l) *y++ = d1 * fl((ql[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * fl((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
    }
  }
}

void dequantize_q6_K(const block_q6_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b) {
    const float d = fp16(x[b].d);
    const uint8_t* ql = x[b].ql;
    const uint8_t* qh = x[b].qh;
    const int8_t* sc = x[b].scales;
    for (int n = 0; n < QK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        // ggml: d * sc (float), then times the quant.
        y[l] = d * fl(sc[is + 0]) * fl(q1);
        y[l + 32] = d * fl(sc[is + 2]) * fl(q2);
        y[l + 64] = d * fl(sc[is + 4]) * fl(q3);
        y[l + 96] = d * fl(sc[is + 6]) * fl(q4);
      }
    }
  }
}

void dequantize_q8_K(const block_q8_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / QK_K; ++b, y += QK_K)
    for (int j = 0; j < QK_K; ++j) y[j] = x[b].d * fl(x[b].qs[j]);
}

}  // namespace moe::kern::qref
