#pragma once
// Vector ops written once with xsimd, templated on the architecture. Included only by the
// per-ISA table files; everything here is a template on Arch (no shared inline helpers: the
// linker could otherwise keep an AVX-512 copy and call it on an older CPU). For the same
// reason scalar tails use __builtin_* math rather than the inline std:: overloads.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace moe::kern::simd {

template <class Arch>
float hmax(xsimd::batch<float, Arch> v) {
  alignas(64) float tmp[xsimd::batch<float, Arch>::size];
  v.store_aligned(tmp);
  float m = tmp[0];
  for (size_t i = 1; i < xsimd::batch<float, Arch>::size; ++i) m = tmp[i] > m ? tmp[i] : m;
  return m;
}

template <class Arch>
float dot_f32(const float* a, const float* b, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  constexpr size_t W = batch::size;
  batch acc0(0.0f), acc1(0.0f);
  size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    acc0 = xsimd::fma(batch::load_unaligned(a + i), batch::load_unaligned(b + i), acc0);
    acc1 = xsimd::fma(batch::load_unaligned(a + i + W), batch::load_unaligned(b + i + W), acc1);
  }
  for (; i + W <= n; i += W)
    acc0 = xsimd::fma(batch::load_unaligned(a + i), batch::load_unaligned(b + i), acc0);
  float sum = xsimd::hadd(acc0 + acc1);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

template <class Arch>
void rms_norm(const float* x, const float* w, float* y, size_t n, float eps) {
  using batch = xsimd::batch<float, Arch>;
  constexpr size_t W = batch::size;
  const float sum_sq = dot_f32<Arch>(x, x, n);
  const float scale = 1.0f / __builtin_sqrtf(sum_sq / static_cast<float>(n) + eps);
  const batch vs(scale);
  size_t i = 0;
  for (; i + W <= n; i += W)
    (batch::load_unaligned(x + i) * vs * batch::load_unaligned(w + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = x[i] * scale * w[i];
}

template <class Arch>
void add(const float* a, const float* b, float* y, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  size_t i = 0;
  for (; i + batch::size <= n; i += batch::size)
    (batch::load_unaligned(a + i) + batch::load_unaligned(b + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = a[i] + b[i];
}

template <class Arch>
void scale(float* x, size_t n, float s) {
  using batch = xsimd::batch<float, Arch>;
  const batch vs(s);
  size_t i = 0;
  for (; i + batch::size <= n; i += batch::size) (batch::load_unaligned(x + i) * vs).store_unaligned(x + i);
  for (; i < n; ++i) x[i] *= s;
}

template <class Arch>
void axpy(float a, const float* x, float* y, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  const batch va(a);
  size_t i = 0;
  for (; i + batch::size <= n; i += batch::size)
    xsimd::fma(va, batch::load_unaligned(x + i), batch::load_unaligned(y + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] += a * x[i];
}

template <class Arch>
void softmax(float* x, size_t n, float s) {
  using batch = xsimd::batch<float, Arch>;
  constexpr size_t W = batch::size;
  if (n == 0) return;
  const batch vs(s);
  // Max of x * s (not s * max x: s may be negative).
  float mx = x[0] * s;
  size_t i = 0;
  if (n >= W) {
    batch m = batch::load_unaligned(x) * vs;
    for (i = W; i + W <= n; i += W) m = xsimd::max(m, batch::load_unaligned(x + i) * vs);
    mx = hmax<Arch>(m);
  }
  for (; i < n; ++i) mx = x[i] * s > mx ? x[i] * s : mx;
  const batch vm(mx);
  batch acc(0.0f);
  for (i = 0; i + W <= n; i += W) {
    const batch e = xsimd::exp(xsimd::fms(batch::load_unaligned(x + i), vs, vm));
    acc += e;
    e.store_unaligned(x + i);
  }
  float sum = xsimd::hadd(acc);
  for (; i < n; ++i) sum += x[i] = __builtin_expf(x[i] * s - mx);
  scale<Arch>(x, n, 1.0f / sum);
}

template <class Arch>
void silu(const float* x, float* y, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  const batch one(1.0f);
  size_t i = 0;
  for (; i + batch::size <= n; i += batch::size) {
    const batch v = batch::load_unaligned(x + i);
    (v / (one + xsimd::exp(-v))).store_unaligned(y + i);
  }
  for (; i < n; ++i) y[i] = x[i] / (1.0f + __builtin_expf(-x[i]));
}

template <class Arch>
void swiglu(const float* gate, const float* up, float* y, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  const batch one(1.0f);
  size_t i = 0;
  for (; i + batch::size <= n; i += batch::size) {
    const batch g = batch::load_unaligned(gate + i);
    (g / (one + xsimd::exp(-g)) * batch::load_unaligned(up + i)).store_unaligned(y + i);
  }
  for (; i < n; ++i) y[i] = gate[i] / (1.0f + __builtin_expf(-gate[i])) * up[i];
}

template <class Arch>
size_t argmax(const float* x, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  constexpr size_t W = batch::size;
  // Pass 1 finds the largest value, pass 2 its first index (same answer as a strict > scan).
  float mx = x[0];
  size_t i = 0;
  if (n >= W) {
    batch m = batch::load_unaligned(x);
    for (i = W; i + W <= n; i += W) m = xsimd::max(m, batch::load_unaligned(x + i));
    mx = hmax<Arch>(m);
  }
  for (; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  for (i = 0; i < n; ++i)
    if (x[i] == mx) return i;
  return 0;  // only NaN everywhere
}

template <class Arch>
void top_k(const float* x, size_t n, size_t k, int32_t* idx, float* val) {
  using batch = xsimd::batch<float, Arch>;
  constexpr size_t W = batch::size;
  if (k == 0) return;
  // Sorted insertion into (idx, val); a whole batch below the current k-th value is skipped,
  // which is almost every batch once the list is full. Equal values keep the earlier index
  // in front (strict > against the list), so ties go to the lower index.
  size_t count = 0;
  auto insert = [&](size_t i) {
    const float v = x[i];
    if (count == k && !(v > val[k - 1])) return;
    size_t pos = count < k ? count : k - 1;
    while (pos > 0 && v > val[pos - 1]) {
      val[pos] = val[pos - 1];
      idx[pos] = idx[pos - 1];
      --pos;
    }
    val[pos] = v;
    idx[pos] = static_cast<int32_t>(i);
    if (count < k) ++count;
  };
  size_t i = 0;
  for (; i + W <= n; i += W) {
    if (count == k && !xsimd::any(batch::load_unaligned(x + i) > batch(val[k - 1]))) continue;
    for (size_t j = i; j < i + W; ++j) insert(j);
  }
  for (; i < n; ++i) insert(i);
}

}  // namespace moe::kern::simd
