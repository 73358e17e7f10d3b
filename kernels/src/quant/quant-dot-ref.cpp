// Reference dot products weight row . activation row (activations already in
// vec_dot_type(weight) format), following ggml's generic C kernels: integer products summed
// per block (or sub-block), scaled once per block in float; float types multiply in float and
// accumulate in double. These define what the SIMD kernels must reproduce (up to the order of
// the float accumulation across blocks).
#include "quant-internal.hpp"

namespace moe::kern::qref {
namespace {

float fl(int v) { return static_cast<float>(v); }

// Sum of the 32 int8 activations of a q8_0 block (ggml stores it in q8_1 blocks instead).
int block_sum(const block_q8_0& y) {
  int s = 0;
  for (int8_t v : y.qs) s += v;
  return s;
}

}  // namespace

float dot_f32(const float* w, const float* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(w[i] * x[i]);
  return static_cast<float>(sum);
}

float dot_f16(const f16_bits* w, const f16_bits* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(f16_to_f32(w[i]) * f16_to_f32(x[i]));
  return static_cast<float>(sum);
}

float dot_bf16(const uint16_t* w, const uint16_t* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(bf16_to_f32(w[i]) * bf16_to_f32(x[i]));
  return static_cast<float>(sum);
}

float dot_q4_0(const block_q4_0* w, const block_q8_0* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK4_0; ++b) {
    int sumi = 0;
    for (int j = 0; j < QK4_0 / 2; ++j) {
      sumi += ((w[b].qs[j] & 0x0F) - 8) * x[b].qs[j];
      sumi += ((w[b].qs[j] >> 4) - 8) * x[b].qs[j + QK4_0 / 2];
    }
    sumf += fl(sumi) * fp16(w[b].d) * fp16(x[b].d);
  }
  return sumf;
}

// sum_j (d q_j + m) d8 y_j = d d8 sum q_j y_j + m d8 sum y_j.
float dot_q4_1(const block_q4_1* w, const block_q8_0* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK4_1; ++b) {
    int sumi = 0;
    for (int j = 0; j < QK4_1 / 2; ++j) {
      sumi += (w[b].qs[j] & 0x0F) * x[b].qs[j];
      sumi += (w[b].qs[j] >> 4) * x[b].qs[j + QK4_1 / 2];
    }
    const float dy = fp16(x[b].d);
    sumf += (fp16(w[b].d) * dy) * fl(sumi) + fp16(w[b].m) * (dy * fl(block_sum(x[b])));
  }
  return sumf;
}

float dot_q5_0(const block_q5_0* w, const block_q8_0* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK5_0; ++b) {
    uint32_t qh;
    std::memcpy(&qh, w[b].qh, sizeof qh);
    int sumi = 0;
    for (int j = 0; j < QK5_0 / 2; ++j) {
      const int h0 = static_cast<int>(((qh >> j) << 4) & 0x10);
      const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
      sumi += (((w[b].qs[j] & 0x0F) | h0) - 16) * x[b].qs[j];
      sumi += (((w[b].qs[j] >> 4) | h1) - 16) * x[b].qs[j + QK5_0 / 2];
    }
    sumf += (fp16(w[b].d) * fp16(x[b].d)) * fl(sumi);
  }
  return sumf;
}

float dot_q5_1(const block_q5_1* w, const block_q8_0* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK5_1; ++b) {
    uint32_t qh;
    std::memcpy(&qh, w[b].qh, sizeof qh);
    int sumi = 0;
    for (int j = 0; j < QK5_1 / 2; ++j) {
      const int h0 = static_cast<int>(((qh >> j) << 4) & 0x10);
      const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
      sumi += ((w[b].qs[j] & 0x0F) | h0) * x[b].qs[j];
      sumi += ((w[b].qs[j] >> 4) | h1) * x[b].qs[j + QK5_1 / 2];
    }
    const float dy = fp16(x[b].d);
    sumf += (fp16(w[b].d) * dy) * fl(sumi) + fp16(w[b].m) * (dy * fl(block_sum(x[b])));
  }
  return sumf;
}

float dot_q8_0(const block_q8_0* w, const block_q8_0* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK8_0; ++b) {
    int sumi = 0;
    for (int j = 0; j < QK8_0; ++j) sumi += w[b].qs[j] * x[b].qs[j];
    sumf += fl(sumi) * (fp16(w[b].d) * fp16(x[b].d));
  }
  return sumf;
}

float dot_iq4_nl(const block_iq4_nl* w, const block_q8_0* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK4_NL; ++b) {
    int sumi = 0;
    for (int j = 0; j < QK4_NL / 2; ++j) {
      sumi += kValuesIq4nl[w[b].qs[j] & 0xf] * x[b].qs[j];
      sumi += kValuesIq4nl[w[b].qs[j] >> 4] * x[b].qs[j + QK4_NL / 2];
    }
    sumf += (fp16(w[b].d) * fp16(x[b].d)) * fl(sumi);
  }
  return sumf;
}

// K-quants: sum_i (d sc_s q_i - dmin m_s) d8 y_i
//   = d d8 sum_s sc_s (sum q y) - dmin d8 sum_s m_s (sum y); q8_K's bsums give sum y per 16.
float dot_q2_K(const block_q2_K* w, const block_q8_K* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    const uint8_t* sc = w[b].scales;
    int summs = 0;
    for (int j = 0; j < QK_K / 16; ++j) summs += x[b].bsums[j] * (sc[j] >> 4);
    int isum = 0, is = 0;
    const uint8_t* q2 = w[b].qs;
    const int8_t* q8 = x[b].qs;
    for (int n128 = 0; n128 < QK_K / 128; ++n128, q2 += 32) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int half = 0; half < 2; ++half, q8 += 16) {
          int s = 0;
          for (int l = 0; l < 16; ++l) s += q8[l] * ((q2[l + 16 * half] >> shift) & 3);
          isum += (sc[is++] & 0xF) * s;
        }
      }
    }
    const float dall = x[b].d * fp16(w[b].d);
    const float dmin = x[b].d * fp16(w[b].dmin);
    sumf += dall * fl(isum) - dmin * fl(summs);
  }
  return sumf;
}

float dot_q3_K(const block_q3_K* w, const block_q8_K* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    const uint8_t* q3 = w[b].qs;
    const uint8_t* hm = w[b].hmask;
    const int8_t* q8 = x[b].qs;
    int isum = 0, is = 0, m = 1;
    for (int n128 = 0; n128 < QK_K / 128; ++n128, q3 += 32) {
      for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
        for (int half = 0; half < 2; ++half, q8 += 16) {
          int s = 0;
          for (int l = 16 * half; l < 16 * half + 16; ++l)
            s += q8[l - 16 * half] * (((q3[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4));
          isum += q3k_scale(w[b].scales, is++) * s;
        }
      }
    }
    sumf += fp16(w[b].d) * x[b].d * fl(isum);
  }
  return sumf;
}

namespace {
// q4_K / q5_K share scales and mins; `quant(i)` yields the unsigned quant of value i.
template <typename Block, typename Quant>
float dot_k4_like(const Block& w, const block_q8_K& x, Quant quant) {
  int summs = 0, isum = 0;
  for (int j = 0; j < QK_K / 32; ++j) {
    uint8_t sc, m;
    get_scale_min_k4(j, w.scales, sc, m);
    summs += m * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
    int s = 0;
    for (int l = 0; l < 32; ++l) s += quant(32 * j + l) * x.qs[32 * j + l];
    isum += sc * s;
  }
  return fp16(w.d) * x.d * fl(isum) - fp16(w.dmin) * x.d * fl(summs);
}
}  // namespace

float dot_q4_K(const block_q4_K* w, const block_q8_K* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    const uint8_t* qs = w[b].qs;
    // Value i: sub-block pair i / 64 shares 32 bytes; the first 32 values are low nibbles.
    sumf += dot_k4_like(w[b], x[b], [qs](int i) {
      const uint8_t byte = qs[32 * (i / 64) + i % 32];
      return (i % 64) < 32 ? (byte & 0xF) : (byte >> 4);
    });
  }
  return sumf;
}

float dot_q5_K(const block_q5_K* w, const block_q8_K* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    const uint8_t* qs = w[b].qs;
    const uint8_t* qh = w[b].qh;
    sumf += dot_k4_like(w[b], x[b], [qs, qh](int i) {
      const uint8_t byte = qs[32 * (i / 64) + i % 32];
      const int lo = (i % 64) < 32 ? (byte & 0xF) : (byte >> 4);
      const int hi = (qh[i % 32] >> (i / 32)) & 1;  // bit 2g (low half) / 2g+1 (high half)
      return lo | (hi << 4);
    });
  }
  return sumf;
}

float dot_q6_K(const block_q6_K* w, const block_q8_K* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    // Unpack to signed quants in value order, then one integer sum per 16-value sub-block.
    int8_t q[QK_K];
    const uint8_t* ql = w[b].ql;
    const uint8_t* qh = w[b].qh;
    for (int n128 = 0; n128 < QK_K; n128 += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        q[n128 + l] = static_cast<int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
        q[n128 + l + 32] = static_cast<int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
        q[n128 + l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
        q[n128 + l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
      }
    }
    int isum = 0;
    for (int s = 0; s < QK_K / 16; ++s) {
      int si = 0;
      for (int l = 0; l < 16; ++l) si += q[16 * s + l] * x[b].qs[16 * s + l];
      isum += w[b].scales[s] * si;
    }
    sumf += fp16(w[b].d) * x[b].d * fl(isum);
  }
  return sumf;
}

float dot_iq4_xs(const block_iq4_xs* w, const block_q8_K* x, int64_t n) {
  float sumf = 0;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    const float d4d8 = fp16(w[b].d) * x[b].d;
    const uint8_t* qs = w[b].qs;
    const int8_t* q8 = x[b].qs;
    for (int ib = 0; ib < QK_K / 32; ++ib, qs += 16, q8 += 32) {
      const int ls = ((w[b].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((w[b].scales_h >> 2 * ib) & 3) << 4);
      int sumi = 0;
      for (int j = 0; j < 16; ++j) {
        sumi += kValuesIq4nl[qs[j] & 0xf] * q8[j];
        sumi += kValuesIq4nl[qs[j] >> 4] * q8[j + 16];
      }
      sumf += d4d8 * fl(ls - 32) * fl(sumi);
    }
  }
  return sumf;
}

}  // namespace moe::kern::qref
