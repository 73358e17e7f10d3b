#include "cache-policies.hpp"

#include <cmath>
#include <limits>

namespace moe::cache {

KeyLists::KeyLists(size_t n_keys, int n_lists)
    : prev_(n_keys, kNil), next_(n_keys, kNil), head_(static_cast<size_t>(n_lists), kNil),
      tail_(static_cast<size_t>(n_lists), kNil), list_of_(n_keys, -1), size_(static_cast<size_t>(n_lists), 0) {}

void KeyLists::push_front(int list, int32_t key) {
  const auto k = static_cast<size_t>(key), l = static_cast<size_t>(list);
  prev_[k] = kNil;
  next_[k] = head_[l];
  if (head_[l] != kNil) prev_[static_cast<size_t>(head_[l])] = key;
  head_[l] = key;
  if (tail_[l] == kNil) tail_[l] = key;
  list_of_[k] = list;
  ++size_[l];
}

void KeyLists::remove(int32_t key) {
  const auto k = static_cast<size_t>(key);
  const int list = list_of_[k];
  if (list < 0) return;
  const auto l = static_cast<size_t>(list);
  if (prev_[k] != kNil) next_[static_cast<size_t>(prev_[k])] = next_[k]; else head_[l] = next_[k];
  if (next_[k] != kNil) prev_[static_cast<size_t>(next_[k])] = prev_[k]; else tail_[l] = prev_[k];
  prev_[k] = next_[k] = kNil;
  list_of_[k] = -1;
  --size_[l];
}

namespace {

// Least recently used.
class Lru final : public CachePolicy {
 public:
  explicit Lru(size_t n_keys) : lists_(n_keys, 1) {}
  void on_hit(int32_t key) override { lists_.remove(key); lists_.push_front(0, key); }
  void on_insert(int32_t key) override { lists_.push_front(0, key); }
  void on_evict(int32_t key) override { lists_.remove(key); }
  int32_t victim(int32_t, const uint8_t* pinned) override {
    for (int32_t k = lists_.back(0); k != kNil; k = lists_.prev(k))
      if (!pinned[k]) return k;
    return kNil;
  }

 private:
  KeyLists lists_;
};

// Least frequently used with ageing: counts are halved every `capacity * 8` accesses, so
// experts that were popular long ago do not stay forever. Ties go to the least recent.
class LfuAging final : public CachePolicy {
 public:
  LfuAging(size_t n_keys, size_t capacity)
      : count_(n_keys, 0), last_(n_keys, 0), resident_(n_keys, 0), period_(std::max<size_t>(capacity, 1) * 8) {}
  void on_hit(int32_t key) override { touch(key); }
  void on_insert(int32_t key) override {
    resident_[static_cast<size_t>(key)] = 1;
    touch(key);
  }
  void on_evict(int32_t key) override { resident_[static_cast<size_t>(key)] = 0; }
  int32_t victim(int32_t, const uint8_t* pinned) override {
    int32_t best = kNil;
    for (size_t k = 0; k < count_.size(); ++k) {
      if (!resident_[k] || pinned[k]) continue;
      if (best == kNil || count_[k] < count_[static_cast<size_t>(best)] ||
          (count_[k] == count_[static_cast<size_t>(best)] && last_[k] < last_[static_cast<size_t>(best)]))
        best = static_cast<int32_t>(k);
    }
    return best;
  }

 private:
  void touch(int32_t key) {
    ++count_[static_cast<size_t>(key)];
    last_[static_cast<size_t>(key)] = ++clock_;
    if (clock_ % period_ == 0)
      for (uint32_t& c : count_) c >>= 1;
  }
  std::vector<uint32_t> count_;
  std::vector<uint64_t> last_;
  std::vector<uint8_t> resident_;
  uint64_t clock_ = 0;
  size_t period_;
};

// Adaptive Replacement Cache (Megiddo & Modha, 2003): T1 (seen once recently), T2 (seen at
// least twice), and their ghosts B1/B2 steer the target size p of T1.
class Arc final : public CachePolicy {
  enum List { T1, T2, B1, B2 };

 public:
  Arc(size_t n_keys, size_t capacity) : lists_(n_keys, 4), c_(capacity) {}
  void on_hit(int32_t key) override {
    lists_.remove(key);
    lists_.push_front(T2, key);
  }
  void on_insert(int32_t key) override {
    const int was = lists_.list_of(key);
    if (was == B1) {
      const size_t delta = std::max<size_t>(1, lists_.size(B2) / std::max<size_t>(lists_.size(B1), 1));
      p_ = std::min(c_, p_ + delta);
    } else if (was == B2) {
      const size_t delta = std::max<size_t>(1, lists_.size(B1) / std::max<size_t>(lists_.size(B2), 1));
      p_ = p_ > delta ? p_ - delta : 0;
    }
    lists_.remove(key);
    lists_.push_front(was == B1 || was == B2 ? T2 : T1, key);
    // Keep the directory at most 2c: trim the ghosts.
    while (lists_.size(T1) + lists_.size(B1) > c_ && lists_.size(B1) > 0) lists_.remove(lists_.back(B1));
    while (lists_.size(T1) + lists_.size(T2) + lists_.size(B1) + lists_.size(B2) > 2 * c_ && lists_.size(B2) > 0)
      lists_.remove(lists_.back(B2));
  }
  void on_evict(int32_t key) override {
    const int was = lists_.list_of(key);
    lists_.remove(key);
    lists_.push_front(was == T2 ? B2 : B1, key);
  }
  int32_t victim(int32_t incoming, const uint8_t* pinned) override {
    const bool in_b2 = incoming >= 0 && lists_.list_of(incoming) == B2;
    const bool from_t1 = lists_.size(T1) > 0 && (lists_.size(T1) > p_ || (in_b2 && lists_.size(T1) == p_));
    const int order[2] = {from_t1 ? T1 : T2, from_t1 ? T2 : T1};
    for (int list : order)
      for (int32_t k = lists_.back(list); k != kNil; k = lists_.prev(k))
        if (!pinned[k]) return k;
    return kNil;
  }

 private:
  KeyLists lists_;
  size_t c_;
  size_t p_ = 0;
};

// Least-stale: frequency that decays with time since use (half-life `capacity` accesses), so
// the score mixes how often and how recently an expert was needed.
class LeastStale final : public CachePolicy {
 public:
  LeastStale(size_t n_keys, size_t capacity)
      : score_(n_keys, 0.0), stamp_(n_keys, 0), resident_(n_keys, 0),
        decay_per_access_(std::log(2.0) / static_cast<double>(std::max<size_t>(capacity, 1))) {}
  void on_hit(int32_t key) override { touch(key); }
  void on_insert(int32_t key) override {
    resident_[static_cast<size_t>(key)] = 1;
    touch(key);
  }
  void on_evict(int32_t key) override { resident_[static_cast<size_t>(key)] = 0; }
  int32_t victim(int32_t, const uint8_t* pinned) override {
    int32_t best = kNil;
    double best_score = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < score_.size(); ++k) {
      if (!resident_[k] || pinned[k]) continue;
      const double s = current(k);
      if (s < best_score) {
        best_score = s;
        best = static_cast<int32_t>(k);
      }
    }
    return best;
  }

 private:
  double current(size_t k) const {
    return score_[k] * std::exp(-decay_per_access_ * static_cast<double>(clock_ - stamp_[k]));
  }
  void touch(int32_t key) {
    const auto k = static_cast<size_t>(key);
    ++clock_;
    score_[k] = current(k) + 1.0;
    stamp_[k] = clock_;
  }
  std::vector<double> score_;
  std::vector<uint64_t> stamp_;
  std::vector<uint8_t> resident_;
  uint64_t clock_ = 0;
  double decay_per_access_;
};

}  // namespace

std::unique_ptr<CachePolicy> make_policy(CachePolicyKind kind, size_t n_keys, size_t capacity) {
  switch (kind) {
    case CachePolicyKind::lru: return std::make_unique<Lru>(n_keys);
    case CachePolicyKind::lfu: return std::make_unique<LfuAging>(n_keys, capacity);
    case CachePolicyKind::arc: return std::make_unique<Arc>(n_keys, capacity);
    case CachePolicyKind::least_stale: return std::make_unique<LeastStale>(n_keys, capacity);
  }
  return std::make_unique<Lru>(n_keys);
}

}  // namespace moe::cache
