#include "session/kv-cache.hpp"

#include <cstring>
#include <string>

#include <unistd.h>

#include "moe/errors.hpp"
#include "moe/kernels/dispatch.hpp"
#include "moe/kernels/fp16.hpp"
#include "moe/kernels/quant.hpp"

namespace moe {

namespace {

size_t elem_row_bytes(KvType t, int n) {
  switch (t) {
    case KvType::F32: return static_cast<size_t>(n) * 4;
    case KvType::F16: return static_cast<size_t>(n) * 2;
    case KvType::Q8_0: return static_cast<size_t>(n / 32) * 34;
  }
  return 0;
}

uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

}  // namespace

KvCache::KvCache(const HParams& hp, int n_ctx, KvType type)
    : type_(type), n_ctx_(n_ctx), k_dim_(hp.k_dim()), v_dim_(hp.v_dim()), hd_k_(hp.head_dim_k), hd_v_(hp.head_dim_v) {
  if (n_ctx < 1) throw ConfigError("context length must be positive, got " + std::to_string(n_ctx));
  if (type == KvType::Q8_0 && (hd_k_ % 32 != 0 || hd_v_ % 32 != 0))
    throw ConfigError("KV cache type q8_0 needs head dimensions that are multiples of 32 (have " +
                      std::to_string(hd_k_) + "/" + std::to_string(hd_v_) + ")");
  k_row_bytes_ = elem_row_bytes(type, k_dim_);
  v_row_bytes_ = elem_row_bytes(type, v_dim_);
  const size_t rows = static_cast<size_t>(hp.n_layer) * static_cast<size_t>(n_ctx);
  // A context this machine cannot hold is the caller's configuration error, not a bad_alloc
  // (or, under AddressSanitizer, an abort) from deep inside the session's constructor.
  const uint64_t need = static_cast<uint64_t>(rows) * (k_row_bytes_ + v_row_bytes_);
  const uint64_t have = physical_memory_bytes();
  if (have != 0 && need > have)
    throw ConfigError("n_ctx " + std::to_string(n_ctx) + ": the KV cache would need " + std::to_string(need >> 20) +
                      " MiB, more than the " + std::to_string(have >> 20) + " MiB of memory of this machine");
  k_.resize(rows * k_row_bytes_);
  v_.resize(rows * v_row_bytes_);
}

void KvCache::store(int layer, int pos, const float* k, const float* v) {
  auto put = [&](std::vector<std::byte>& buf, size_t rb, const float* src, int n) {
    // Invariant: layer < n_layer and pos < n_ctx (the session stops at context_full).
    std::byte* dst = buf.data() + (static_cast<size_t>(layer) * static_cast<size_t>(n_ctx_) +
                                   static_cast<size_t>(pos)) * rb;
    switch (type_) {
      case KvType::F32:
        std::memcpy(dst, src, static_cast<size_t>(n) * 4);
        break;
      case KvType::F16: {
        kern::kernels().f32_to_f16(src, reinterpret_cast<uint16_t*>(dst), static_cast<size_t>(n));
        break;
      }
      case KvType::Q8_0:
        kern::quantize_row_ref(kern::GgmlType::Q8_0, src, dst, n);
        break;
    }
  };
  put(k_, k_row_bytes_, k, k_dim_);
  put(v_, v_row_bytes_, v, v_dim_);
}

const float* KvCache::head(const std::vector<std::byte>& buf, size_t rb, int hd, int layer, int pos, int h,
                           float* tmp) const {
  const std::byte* r = row(buf, rb, layer, pos);
  switch (type_) {
    case KvType::F32:
      return reinterpret_cast<const float*>(r) + static_cast<size_t>(h) * static_cast<size_t>(hd);
    case KvType::F16: {
      const auto* src = reinterpret_cast<const uint16_t*>(r) + static_cast<size_t>(h) * static_cast<size_t>(hd);
      for (int i = 0; i < hd; ++i) tmp[i] = kern::f16_to_f32(src[i]);
      return tmp;
    }
    case KvType::Q8_0: {
      // Invariant: head_dim % 32 == 0 (checked at creation), so a head starts on a block.
      const size_t blocks_before = static_cast<size_t>(h) * static_cast<size_t>(hd) / 32;
      kern::dequantize_row(kern::GgmlType::Q8_0, r + blocks_before * 34, tmp, hd);
      return tmp;
    }
  }
  return tmp;
}

const float* KvCache::k_head(int layer, int pos, int kv_head, float* tmp) const {
  return head(k_, k_row_bytes_, hd_k_, layer, pos, kv_head, tmp);
}
const float* KvCache::v_head(int layer, int pos, int kv_head, float* tmp) const {
  return head(v_, v_row_bytes_, hd_v_, layer, pos, kv_head, tmp);
}

}  // namespace moe
