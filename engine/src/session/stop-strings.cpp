#include "session/stop-strings.hpp"

#include <algorithm>

namespace moe {

StopStrings::Result StopStrings::push(std::string_view text, bool final) {
  held_.append(text);
  out_.clear();
  Result r;
  size_t first = std::string::npos;
  for (const std::string& s : stops_)
    if (!s.empty()) first = std::min(first, held_.find(s));
  if (first != std::string::npos) {
    out_.assign(held_, 0, first);
    held_.clear();
    r.emit = out_;
    r.matched = true;
    return r;
  }
  // Hold back the longest suffix that is a proper prefix of some stop string.
  size_t keep = 0;
  if (!final) {
    for (const std::string& s : stops_)
      for (size_t len = std::min(s.size() - (s.empty() ? 0 : 1), held_.size()); len > keep; --len)
        if (held_.compare(held_.size() - len, len, s, 0, len) == 0) {
          keep = len;
          break;
        }
  }
  out_.assign(held_, 0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  r.emit = out_;
  return r;
}

}  // namespace moe
