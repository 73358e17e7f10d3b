#include <cstdio>
#include <string>

#include "moe/kernels/dispatch.hpp"
#include "moe/version.hpp"

int cmd_version(int, char**) {
  std::printf("moescope-cli %s\n", moe::kVersion);
  return 0;
}

int cmd_isa(int, char**) {
  for (moe::kern::Isa isa : moe::kern::runnable_isas())
    std::printf("%s%s\n", std::string(moe::kern::isa_name(isa)).c_str(),
                isa == moe::kern::best_isa() ? " (chosen)" : "");
  return 0;
}
