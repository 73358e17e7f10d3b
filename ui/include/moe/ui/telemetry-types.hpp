#pragma once
// The panel side of the telemetry stream: small fixed-size records the engine (or, until it
// emits them, the worker) produces and the GUI drains at <= 30 Hz. They are PODs so the
// lock-free rings that replace TelemetryFeed later can copy them without allocation.
#include <array>
#include <cstdint>
#include <string_view>

namespace moe::ui {

inline constexpr int kMaxExpertsUsed = 16;

// One router decision: the experts one layer chose for one token position.
struct RoutingSample {
  int layer = 0;
  int position = 0;
  int nUsed = 0;                                  // valid entries in experts / weights
  std::array<int16_t, kMaxExpertsUsed> experts{};
  std::array<float, kMaxExpertsUsed> weights{};
};

enum class CacheEvent : uint8_t { hit, miss, evict };

// One expert-cache lookup (hit / miss) or eviction for (layer, expert) at a token position.
struct CacheSample {
  int position = 0;
  int layer = 0;
  int expert = 0;
  CacheEvent event = CacheEvent::hit;
};

enum class KernelOp : uint8_t { attention, router, experts, sharedExpert, norm, output, other };
inline constexpr int kKernelOpCount = 7;
std::string_view kernelOpName(KernelOp op) noexcept;

// Time one op spent on one token (summed over layers by the producer or by the aggregator).
struct KernelSpan {
  int position = 0;
  KernelOp op = KernelOp::other;
  double micros = 0.0;
};

// One generated token (or the end of the prompt, index -1) with the time since the request began.
struct TokenStep {
  uint64_t replyId = 0;
  int index = 0;        // 0 = first generated token; -1 = prompt processed
  double elapsedMs = 0.0;
};

}  // namespace moe::ui
