#include <array>

#include "model/arch.hpp"

namespace moe {

std::span<const ArchDef* const> all_archs() noexcept {
  static const std::array<const ArchDef*, 6> table = {
      &arch_llama(),   // also Mixtral (llama + experts)
      &arch_qwen2(),
      &arch_qwen2moe(),
      &arch_qwen3(),
      &arch_qwen3moe(),
      &arch_olmoe(),
  };
  return table;
}

const ArchDef* find_arch(std::string_view name) noexcept {
  for (const ArchDef* a : all_archs())
    if (a->name == name) return a;
  return nullptr;
}

}  // namespace moe
