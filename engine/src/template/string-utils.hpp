#pragma once
// Python str semantics over UTF-8 text. Case mapping is ASCII-only: chat templates only
// change the case of role names and keywords.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moe::tmpl {

class Evaluator;
struct CallArgs;

bool is_py_space(unsigned char c);
std::string py_strip(std::string_view s, const std::string* chars, bool left, bool right);
std::vector<std::string> py_split(std::string_view s, std::string_view sep, int64_t maxsplit, bool from_right);
std::vector<std::string> py_split_whitespace(std::string_view s, int64_t maxsplit, bool from_right);
std::string py_replace(std::string_view s, std::string_view from, std::string_view to, int64_t count, size_t max_bytes);
size_t py_count(std::string_view s, std::string_view sub);
std::string ascii_upper(std::string_view s);
std::string ascii_lower(std::string_view s);
std::string py_title(std::string_view s);
std::string py_capitalize(std::string_view s);
bool py_is_class(std::string_view s, std::string_view method);
std::string py_brace_format(Evaluator& ev, std::string_view fmt, const CallArgs& args);

}  // namespace moe::tmpl
