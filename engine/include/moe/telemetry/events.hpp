#pragma once
// Telemetry records: fixed-size, trivially copyable values that cross from the engine's
// threads to consumers (GUI panels, trace export) through lock-free rings.
#include <cstdint>
#include <type_traits>

namespace moe::tel {

enum class EventKind : uint8_t { token_step = 1, routing, cache, kernel_span, reply, memory };

// What a kernel span measured. `layer` spans enclose the ops of one layer, `token` spans
// (recorded as token_step events) enclose the layers.
enum class OpKind : uint8_t {
  embedding, norm, attention, rope, router, expert_ffn, shared_expert, dense_ffn,
  output_head, sampling, page_in, layer, other,
  count_  // number of kinds
};
const char* op_name(OpKind op) noexcept;

enum class CacheAction : uint8_t { hit, miss, eviction, prefetch_issued, prefetch_used, prefetch_wasted };
const char* cache_action_name(CacheAction a) noexcept;

inline constexpr int kMaxRoutedPerEvent = 8;  // top-k beyond 8 is split over several events

struct TokenStepEvent {
  uint64_t t_start_ns, t_end_ns;
  uint32_t position;
  int32_t token;
  uint8_t prefill;   // 1 when the step was part of a prompt batch
  uint16_t n_tokens; // tokens in the step (prompt batch size, 1 for decode)
};

struct RoutingEvent {
  uint32_t position;
  uint16_t layer;
  uint8_t k;              // entries used in experts/weights
  uint8_t first;          // index of experts[0] in the full top-k (for k > 8)
  uint8_t resident_mask;  // bit i: experts[i] was resident in the expert cache
  uint8_t changed_mask;   // bit i: memory-aware routing picked experts[i] instead of the exact choice
  uint16_t experts[kMaxRoutedPerEvent];
  float weights[kMaxRoutedPerEvent];
};

struct CacheEvent {
  uint64_t t_ns;
  uint32_t bytes;
  uint32_t latency_ns;  // page-in time for misses and prefetches
  uint16_t layer;
  uint16_t expert;
  CacheAction action;
};

struct KernelSpanEvent {
  uint64_t t_start_ns, t_end_ns;
  uint64_t bytes;  // bytes of weights/activations moved, when known (0 = unknown)
  uint64_t flops;  // floating-point or integer operations, when known
  uint16_t layer;  // 0xFFFF for ops outside the layers
  OpKind op;
};

struct ReplyEvent {
  double prompt_tok_s, decode_tok_s, ttft_ms;
  uint32_t prompt_tokens, generated_tokens;
  uint8_t stop_reason;  // moe::StopReason
};

struct MemoryEvent {
  uint64_t model_mapped_bytes, expert_pool_bytes, expert_pool_budget_bytes, kv_bytes, rss_bytes;
};

struct Event {
  EventKind kind;
  uint8_t reserved_[7];
  union {
    TokenStepEvent token;
    RoutingEvent routing;
    CacheEvent cache;
    KernelSpanEvent span;
    ReplyEvent reply;
    MemoryEvent memory;
  };
};

static_assert(std::is_trivially_copyable_v<Event>);
static_assert(sizeof(Event) % 8 == 0 && sizeof(Event) <= 128);

inline constexpr uint16_t kNoLayer = 0xFFFF;

}  // namespace moe::tel
