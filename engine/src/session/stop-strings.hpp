#pragma once
// Stop strings over streamed text: text that could still become a stop string is held back,
// so a reply never shows part of a stop string.
#include <string>
#include <string_view>
#include <vector>

namespace moe {

class StopStrings {
 public:
  explicit StopStrings(const std::vector<std::string>& stops) : stops_(stops) {
    held_.reserve(256);
    out_.reserve(256);
  }
  struct Result {
    std::string_view emit;  // text safe to show now (valid until the next push)
    bool matched = false;   // a stop string was found; emit holds the text before it
  };
  // final = no more text follows: everything held is released.
  Result push(std::string_view text, bool final);

 private:
  const std::vector<std::string>& stops_;
  std::string held_;
  std::string out_;
};

}  // namespace moe
