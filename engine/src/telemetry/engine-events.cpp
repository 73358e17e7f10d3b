#include "telemetry/engine-events.hpp"

#include <unistd.h>

#include <cstdio>

#include "moe/telemetry/hub.hpp"

namespace moe::tel {

void record_reply(const ReplyStats& s) noexcept {
  if (!on()) return;
  Event e{};
  e.kind = EventKind::reply;
  e.reply = ReplyEvent{s.prompt_tok_s, s.decode_tok_s, s.time_to_first_token_ms, static_cast<uint32_t>(s.prompt_tokens),
                       static_cast<uint32_t>(s.generated_tokens), static_cast<uint8_t>(s.stop_reason)};
  Hub::instance().record(e);
}

uint64_t rss_bytes() noexcept {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long pages_total = 0, pages_resident = 0;
  const int got = std::fscanf(f, "%llu %llu", &pages_total, &pages_resident);
  std::fclose(f);
  if (got != 2) return 0;
  return pages_resident * static_cast<unsigned long long>(::sysconf(_SC_PAGESIZE));
}

void record_memory(const MemoryFigures& m) noexcept {
  if (!on()) return;
  Event e{};
  e.kind = EventKind::memory;
  e.memory = MemoryEvent{m.model_mapped_bytes, m.expert_pool_bytes, m.expert_pool_budget_bytes, m.kv_bytes, rss_bytes()};
  Hub::instance().record(e);
}

}  // namespace moe::tel
