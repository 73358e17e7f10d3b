#include "model/matmul.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>

#include "model/weight-ops.hpp"
#include "moe/kernels/dispatch.hpp"

namespace moe {

size_t matmul_scratch_bytes(int64_t n_in, int n_tok) {
  // Widest prepared activation: f16/bf16 at 2 bytes per element; 8-bit blocks are smaller.
  return static_cast<size_t>(n_tok) * (static_cast<size_t>(n_in) * 2 + 64);
}

namespace {

// Fixed blocks of rows: the kernels tile rows, so block boundaries must not depend on the
// thread count for results to be identical with 1 or N threads. Decode (GEMV) splits finely
// to balance the memory streams; a prefill GEMM takes 64 rows per call, so the AVX-512 panel
// GEMM prepares each activation chunk once for four 16-row panels (measured: pp512 of the
// bench model, see the kernels notes).
int64_t rows_per_block(const MatmulArgs& a) { return a.n_tok > 1 ? 64 : 16; }

struct Prepared {
  const void* x;   // f32 rows or prepared rows
  size_t stride;   // bytes between token rows
  bool fast;       // the SIMD table has a path for this weight type
};

Prepared prepare(const MatmulArgs& a, const MatmulArgs* same_input) {
  const WeightView& w = *a.w;
  const size_t xq_row = activation_row_bytes(w.type, w.n_in);
  Prepared p{a.x, static_cast<size_t>(a.x_stride) * sizeof(float), kern::kernels().has_fast_path(w.type)};
  if (xq_row == 0) return p;
  if (same_input) {
    p.x = same_input->xq;  // already prepared in the same format from the same rows
  } else {
    for (int t = 0; t < a.n_tok; ++t)
      prepare_activation(w.type, a.x + t * a.x_stride, a.xq + static_cast<size_t>(t) * xq_row, w.n_in);
    p.x = a.xq;
  }
  p.stride = xq_row;
  return p;
}

void run_rows(const MatmulArgs& a, const Prepared& p, size_t b0, size_t b1) {
  const WeightView& w = *a.w;
  const auto& k = kern::kernels();
  if (!p.fast) {
    // Types without a SIMD path: the quant library's scalar dot (exact ggml sums).
    for (int t = 0; t < a.n_tok; ++t) {
      const std::byte* xt = static_cast<const std::byte*>(p.x) + static_cast<size_t>(t) * p.stride;
      for (size_t o = b0; o < b1; ++o)
        a.y[static_cast<size_t>(t * a.y_stride) + o] =
            row_dot(w.type, w.row(static_cast<int64_t>(o)), reinterpret_cast<const float*>(xt), xt, w.n_in);
    }
  } else if (a.n_tok == 1) {
    k.gemv({w.type, w.data, w.row_bytes, static_cast<size_t>(w.n_in), p.x, a.y}, b0, b1);
  } else {
    k.gemm({w.type, w.data, w.row_bytes, static_cast<size_t>(w.n_in), p.x, p.stride, static_cast<size_t>(a.n_tok),
            a.y, static_cast<size_t>(a.y_stride)},
           b0, b1);
  }
  if (a.bias)
    for (int t = 0; t < a.n_tok; ++t)
      for (size_t o = b0; o < b1; ++o) a.y[static_cast<size_t>(t * a.y_stride) + o] += a.bias[o];
}

}  // namespace

// HOT SPOT: every projection of the forward pass goes through here. Several independent
// products share one parallel region (one fork/join instead of one per matrix).
void matmul_multi(std::span<const MatmulArgs> args) {
  constexpr size_t kMax = 16;
  Prepared prep[kMax];
  int64_t first_block[kMax + 1];
  const size_t n = std::min(args.size(), kMax);
  first_block[0] = 0;
  for (size_t i = 0; i < n; ++i) {
    const MatmulArgs* same = nullptr;
    for (size_t j = 0; j < i && !same; ++j)
      if (args[j].x == args[i].x && args[j].n_tok == args[i].n_tok && args[j].w->type == args[i].w->type &&
          args[j].w->n_in == args[i].w->n_in)
        same = &args[j];
    prep[i] = prepare(args[i], same);
    first_block[i + 1] = first_block[i] + (args[i].w->n_out + rows_per_block(args[i]) - 1) / rows_per_block(args[i]);
  }
  if (first_block[n] == 1) {
    // One block of rows (e.g. a small router): not worth a fork/join.
    run_rows(args[0], prep[0], 0, static_cast<size_t>(args[0].w->n_out));
    return;
  }
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, first_block[n]),
      [&](const tbb::blocked_range<int64_t>& br) {
        size_t i = 0;
        for (int64_t b = br.begin(); b < br.end(); ++b) {
          while (b >= first_block[i + 1]) ++i;
          const auto rows = static_cast<size_t>(rows_per_block(args[i]));
          const auto r0 = static_cast<size_t>(b - first_block[i]) * rows;
          const auto r1 = std::min(r0 + rows, static_cast<size_t>(args[i].w->n_out));
          run_rows(args[i], prep[i], r0, r1);
        }
      },
      // One contiguous share per thread: measured faster than work stealing here (auto
      // partitioner) for these short regions. Which thread runs a block never changes a result.
      tbb::static_partitioner());
  if (args.size() > kMax) matmul_multi(args.subspan(kMax));
}

void matmul(const MatmulArgs& a) { matmul_multi(std::span<const MatmulArgs>(&a, 1)); }

}  // namespace moe
