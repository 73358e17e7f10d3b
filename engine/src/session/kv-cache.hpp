#pragma once
// Key/value cache of one session, sized once at creation: K and V are each
// (n_layer, n_ctx, kv_dim) in F16 (default), F32 or Q8_0.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/hparams.hpp"
#include "moe/engine.hpp"

namespace moe {

class KvCache {
 public:
  KvCache(const HParams& hp, int n_ctx, KvType type);

  int n_ctx() const noexcept { return n_ctx_; }
  KvType type() const noexcept { return type_; }
  size_t bytes() const noexcept { return k_.size() + v_.size(); }

  // Stores the K and V rows (k_dim / v_dim floats) of one position.
  void store(int layer, int pos, const float* k, const float* v);
  // One head's K or V row as f32: points into the cache (F32) or into `tmp` (head_dim floats).
  const float* k_head(int layer, int pos, int kv_head, float* tmp) const;
  const float* v_head(int layer, int pos, int kv_head, float* tmp) const;
  // Start of one layer's K or V rows (n_ctx rows of k_dim / v_dim elements of type()).
  const std::byte* k_layer(int layer) const noexcept { return row(k_, k_row_bytes_, layer, 0); }
  const std::byte* v_layer(int layer) const noexcept { return row(v_, v_row_bytes_, layer, 0); }

 private:
  const std::byte* row(const std::vector<std::byte>& buf, size_t row_bytes, int layer, int pos) const noexcept {
    return buf.data() + (static_cast<size_t>(layer) * static_cast<size_t>(n_ctx_) + static_cast<size_t>(pos)) *
                            row_bytes;
  }
  const float* head(const std::vector<std::byte>& buf, size_t row_bytes, int hd, int layer, int pos, int h,
                    float* tmp) const;

  KvType type_;
  int n_ctx_;
  int k_dim_, v_dim_, hd_k_, hd_v_;
  size_t k_row_bytes_, v_row_bytes_;
  std::vector<std::byte> k_;  // (n_layer, n_ctx, k_dim) in type_
  std::vector<std::byte> v_;  // (n_layer, n_ctx, v_dim) in type_
};

}  // namespace moe
