#pragma once
// Eviction policies of the expert cache. Keys are (layer * n_experts + expert); every policy
// keeps its state in arrays sized once for all keys, so no operation allocates.
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "moe/expert-cache.hpp"

namespace moe::cache {

inline constexpr int32_t kNil = -1;

// Intrusive doubly-linked lists over key indices; a key is in at most one list at a time.
class KeyLists {
 public:
  KeyLists(size_t n_keys, int n_lists);
  void push_front(int list, int32_t key);
  void remove(int32_t key);
  int32_t back(int list) const { return tail_[static_cast<size_t>(list)]; }
  int32_t prev(int32_t key) const { return prev_[static_cast<size_t>(key)]; }
  int list_of(int32_t key) const { return list_of_[static_cast<size_t>(key)]; }
  size_t size(int list) const { return size_[static_cast<size_t>(list)]; }

 private:
  std::vector<int32_t> prev_, next_, head_, tail_;
  std::vector<int> list_of_;
  std::vector<size_t> size_;
};

class CachePolicy {
 public:
  virtual ~CachePolicy() = default;
  virtual void on_hit(int32_t key) = 0;
  virtual void on_insert(int32_t key) = 0;  // key became resident after a miss or prefetch
  virtual void on_evict(int32_t key) = 0;
  // A resident key to evict so that `incoming` can come in; skips keys with pinned[key] != 0.
  // kNil when every resident key is pinned.
  virtual int32_t victim(int32_t incoming, const uint8_t* pinned) = 0;
};

// capacity: slots this policy instance manages; n_keys: size of the key space it may see.
std::unique_ptr<CachePolicy> make_policy(CachePolicyKind kind, size_t n_keys, size_t capacity);

}  // namespace moe::cache
