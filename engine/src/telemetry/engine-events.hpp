#pragma once
// Engine-level telemetry records that need engine types (reply stats, memory); the kernel,
// routing, cache and token-step helpers live in moe/telemetry/hub.hpp.
#include <cstdint>

#include "moe/engine.hpp"

namespace moe::tel {

void record_reply(const ReplyStats& s) noexcept;

struct MemoryFigures {
  uint64_t model_mapped_bytes = 0, expert_pool_bytes = 0, expert_pool_budget_bytes = 0, kv_bytes = 0;
};
// Adds the process's resident set size (from /proc/self/statm) and records a memory event.
void record_memory(const MemoryFigures& m) noexcept;

uint64_t rss_bytes() noexcept;  // 0 where unknown

}  // namespace moe::tel
