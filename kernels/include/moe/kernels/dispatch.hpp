#pragma once
// Run-time choice of the instruction set: every kernel is compiled once per ISA (one object
// library each, with that ISA's flags) and one table of function pointers is picked at start-up.
#include <cstddef>
#include <span>
#include <string_view>

#include "moe/kernels/kernel-table.hpp"

namespace moe::kern {

enum class Isa { scalar, sse42, avx2, avx512, neon };

std::string_view isa_name(Isa isa) noexcept;

// True when this binary has a variant for `isa` and this CPU can execute it.
bool isa_runnable(Isa isa) noexcept;

// Every compiled variant this CPU can execute, from scalar (always) up.
std::span<const Isa> runnable_isas() noexcept;

// The best runnable variant; MOESCOPE_ISA=<name> in the environment caps it (for testing).
Isa best_isa() noexcept;

// The table of one variant; isa must be runnable.
const KernelTable& kernels_for(Isa isa);

// The table chosen once at start-up (best_isa()).
const KernelTable& kernels() noexcept;

}  // namespace moe::kern
