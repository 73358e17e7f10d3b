#include "moe/cached-expert-source.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>

#include <algorithm>

#include "model/model.hpp"
#include "moe/errors.hpp"

namespace moe {

namespace {

// File offset of a pointer into the model's mapping.
uint64_t file_offset(const GgufFile& f, const std::byte* p) {
  const TensorInfo& t0 = f.tensors().front();
  // Invariant: every tensor's data = mapping + data_offset + offset, so this is the mapping start.
  const std::byte* base = t0.data - t0.offset - f.data_offset();
  return static_cast<uint64_t>(p - base);
}

std::vector<ExpertSlices> build_slices(const Model& m) {
  const HParams& hp = m.hp;
  std::vector<ExpertSlices> out(static_cast<size_t>(hp.n_layer) * static_cast<size_t>(hp.n_expert));
  for (int il = 0; il < hp.n_layer; ++il) {
    const auto& experts = m.weights.layers[static_cast<size_t>(il)].experts;
    for (size_t e = 0; e < experts.size(); ++e) {
      ExpertSlices& s = out[static_cast<size_t>(il) * static_cast<size_t>(hp.n_expert) + e];
      const WeightView* mats[3] = {&experts[e].gate, &experts[e].up, &experts[e].down};
      for (size_t j = 0; j < 3; ++j) {
        s.mapped[j] = mats[j]->data;
        s.bytes[j] = static_cast<size_t>(mats[j]->n_out) * mats[j]->row_bytes;
        s.file_offset[j] = file_offset(*m.file, mats[j]->data);
      }
    }
  }
  return out;
}

}  // namespace

CachedExpertSource::CachedExpertSource(const Model& m, const ExpertCacheConfig& config) : w_(m.weights) {
  if (!m.hp.is_moe() || m.file->tensors().empty())
    throw ConfigError("expert cache: " + m.info.name + " has no experts to cache");
  TaskSpawner spawn;
  ParallelFor parallel;
  // With one arena thread the session thread is the only worker: an enqueued read could not
  // run while it waits for it, so prefetch reads run inline instead.
  if (m.arena().max_concurrency() > 1) {
    spawn = [&arena = m.arena()](std::function<void()> task) { arena.enqueue(std::move(task)); };
    // acquire() runs inside the arena (forward()); execute() from inside it is a direct call.
    parallel = [&arena = m.arena()](size_t n, const std::function<void(size_t)>& body) {
      arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1),
                          [&](const tbb::blocked_range<size_t>& r) {
                            for (size_t i = r.begin(); i != r.end(); ++i) body(i);
                          },
                          tbb::simple_partitioner());
      });
    };
  }
  cache_ = std::make_unique<ExpertCache>(m.hp.n_layer, m.hp.n_expert, m.hp.n_expert_used, build_slices(m),
                                         std::filesystem::path(m.info.path), config, std::move(spawn),
                                         std::move(parallel));
}

void CachedExpertSource::acquire(int layer, std::span<const int32_t> experts, ExpertView* out) const {
  const auto& templ = w_.layers[static_cast<size_t>(layer)].experts;
  constexpr size_t kChunk = 64;  // the cache serves at most 64 experts per call
  ExpertData data[kChunk];
  for (size_t i0 = 0; i0 < experts.size(); i0 += kChunk) {
    const size_t n = std::min(kChunk, experts.size() - i0);
    cache_->acquire(layer, experts.subspan(i0, n), data);
    for (size_t i = 0; i < n; ++i) {
      ExpertView& v = out[i0 + i];
      v = templ[static_cast<size_t>(experts[i0 + i])];
      v.gate.data = data[i].gate;
      v.up.data = data[i].up;
      v.down.data = data[i].down;
    }
  }
}

void CachedExpertSource::release(int layer, std::span<const int32_t> experts) const { cache_->release(layer, experts); }

void CachedExpertSource::prefetch(int layer, std::span<const int32_t> experts) const {
  constexpr size_t kChunk = 64;
  for (size_t i0 = 0; i0 < experts.size(); i0 += kChunk)
    cache_->prefetch(layer, experts.subspan(i0, std::min(kChunk, experts.size() - i0)));
}

int CachedExpertSource::max_acquire(int layer) const { return cache_->max_pinned(layer); }

bool CachedExpertSource::residency(int layer, uint8_t* resident) const noexcept {
  cache_->residency(layer, resident);
  return true;
}

}  // namespace moe
