#include "string-utils.hpp"

#include <algorithm>

#include "evaluator.hpp"

namespace moe::tmpl {

bool is_py_space(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f); }

std::string py_strip(std::string_view s, const std::string* chars, bool left, bool right) {
  if (!chars) {
    size_t b = 0, e = s.size();
    if (left)
      while (b < e && is_py_space(static_cast<unsigned char>(s[b]))) ++b;
    if (right)
      while (e > b && is_py_space(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
  }
  auto set = utf8_chars(*chars);
  auto in_set = [&](std::string_view c) { return std::find(set.begin(), set.end(), c) != set.end(); };
  auto cs = utf8_chars(s);
  size_t b = 0, e = cs.size();
  if (left)
    while (b < e && in_set(cs[b])) ++b;
  if (right)
    while (e > b && in_set(cs[e - 1])) --e;
  std::string out;
  for (size_t i = b; i < e; ++i) out += cs[i];
  return out;
}

std::vector<std::string> py_split(std::string_view s, std::string_view sep, int64_t maxsplit, bool from_right) {
  std::vector<std::string> out;
  if (!from_right) {
    size_t start = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      size_t p = s.find(sep, start);
      if (p == std::string_view::npos) break;
      out.emplace_back(s.substr(start, p - start));
      start = p + sep.size();
    }
    out.emplace_back(s.substr(start));
    return out;
  }
  size_t end = s.size();
  int64_t splits = 0;
  while (maxsplit < 0 || splits < maxsplit) {
    if (end < sep.size()) break;
    size_t p = s.rfind(sep, end - sep.size());
    if (p == std::string_view::npos) break;
    out.emplace_back(s.substr(p + sep.size(), end - p - sep.size()));
    end = p;
    ++splits;
  }
  out.emplace_back(s.substr(0, end));
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> py_split_whitespace(std::string_view s, int64_t maxsplit, bool from_right) {
  std::vector<std::string> out;
  auto sp = [&](size_t i) { return is_py_space(static_cast<unsigned char>(s[i])); };
  if (!from_right) {
    size_t i = 0;
    while (true) {
      while (i < s.size() && sp(i)) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
        size_t e = s.size();
        while (e > i && sp(e - 1)) --e;
        out.emplace_back(s.substr(i, e - i));
        break;
      }
      size_t b = i;
      while (i < s.size() && !sp(i)) ++i;
      out.emplace_back(s.substr(b, i - b));
    }
    return out;
  }
  size_t i = s.size();
  while (true) {
    while (i > 0 && sp(i - 1)) --i;
    if (i == 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      size_t b = 0;
      while (b < i && sp(b)) ++b;
      out.emplace_back(s.substr(b, i - b));
      break;
    }
    size_t e = i;
    while (i > 0 && !sp(i - 1)) --i;
    out.emplace_back(s.substr(i, e - i));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string py_replace(std::string_view s, std::string_view from, std::string_view to, int64_t count,
                       size_t max_bytes) {
  std::string out;
  int64_t done = 0;
  auto room = [&] {
    if (out.size() > max_bytes) throw std::length_error("string too large");
  };
  if (from.empty()) {
    for (auto c : utf8_chars(s)) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      out += c;
      room();
    }
    if (count < 0 || done < count) out += to;
    room();
    return out;
  }
  size_t start = 0;
  while (count < 0 || done < count) {
    size_t p = s.find(from, start);
    if (p == std::string_view::npos) break;
    out += s.substr(start, p - start);
    out += to;
    room();
    start = p + from.size();
    ++done;
  }
  out += s.substr(start);
  room();
  return out;
}

size_t py_count(std::string_view s, std::string_view sub) {
  if (sub.empty()) return utf8_length(s) + 1;
  size_t n = 0, p = 0;
  while ((p = s.find(sub, p)) != std::string_view::npos) {
    ++n;
    p += sub.size();
  }
  return n;
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

std::string py_title(std::string_view s) {
  std::string out(s);
  bool prev_cased = false;
  for (char& c : out) {
    bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
    if (lower && !prev_cased)
      c = static_cast<char>(c - 32);
    else if (upper && prev_cased)
      c = static_cast<char>(c + 32);
    prev_cased = lower || upper;
  }
  return out;
}

std::string py_capitalize(std::string_view s) {
  std::string out = ascii_lower(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

bool py_is_class(std::string_view s, std::string_view method) {
  if (s.empty()) return false;
  bool any_cased = false;
  for (unsigned char c : s) {
    bool digit = c >= '0' && c <= '9';
    bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
    if (method == "isdigit" && !digit) return false;
    if (method == "isalpha" && !(lower || upper)) return false;
    if (method == "isalnum" && !(lower || upper || digit)) return false;
    if (method == "isspace" && !is_py_space(c)) return false;
    if (method == "islower" && upper) return false;
    if (method == "isupper" && lower) return false;
    any_cased = any_cased || lower || upper;
  }
  return (method == "islower" || method == "isupper") ? any_cased : true;
}

std::string py_brace_format(Evaluator& ev, std::string_view fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      size_t close = fmt.find('}', i);
      if (close == std::string_view::npos) ev.fail("single '{' encountered in format string");
      std::string field(fmt.substr(i + 1, close - i - 1));
      Value v;
      if (field.empty()) {
        v = args.get(auto_index++, "");
      } else if (field.size() < 9 &&
                 std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
        v = args.get(static_cast<size_t>(std::stoul(field)), "");
      } else {
        v = args.get(SIZE_MAX, field);
      }
      if (v.is_undefined()) ev.fail("format field '" + field + "' has no value");
      out += v.to_str();
      i = close;
    } else if (c == '}') {
      ev.fail("single '}' encountered in format string");
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace moe::tmpl
