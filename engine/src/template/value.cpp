#include "value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace moe::tmpl {

const Value* Object::find(std::string_view key) const {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

Value* Object::find(std::string_view key) {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

void Object::set(const std::string& key, Value v) {
  if (auto it = index_.find(key); it != index_.end()) {
    entries_[it->second].second = std::move(v);
    return;
  }
  index_.emplace(key, entries_.size());
  entries_.emplace_back(key, std::move(v));
}

Value& Object::value_at(size_t i) { return entries_[i].second; }

size_t Object::size() const { return entries_.size(); }

bool Object::erase(std::string_view key) {
  auto it = index_.find(std::string(key));
  if (it == index_.end()) return false;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(it->second));
  index_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  return true;
}

Value Value::undefined(std::string hint) {
  Value v;
  if (!hint.empty()) v.p_ = std::make_shared<std::string>(std::move(hint));
  return v;
}
Value Value::none() {
  Value v;
  v.kind_ = Kind::None;
  return v;
}
Value::Value(bool b) : kind_(Kind::Bool), i_(b ? 1 : 0) {}
Value::Value(int64_t v) : kind_(Kind::Int), i_(v) {}
Value::Value(double v) : kind_(Kind::Float), d_(v) {}
Value::Value(std::string s) : kind_(Kind::String), p_(std::make_shared<std::string>(std::move(s))) {}
Value::Value(Array a) : kind_(Kind::List), p_(std::make_shared<Array>(std::move(a))) {}
Value Value::tuple(Array a) {
  Value v(std::move(a));
  v.tuple_ = true;
  return v;
}
Value Value::markup(std::string s) {
  Value v(std::move(s));
  v.tuple_ = true;
  return v;
}
Value Value::object() { return object(Object{}); }
Value Value::object(Object o) {
  Value v;
  v.kind_ = Kind::Dict;
  v.p_ = std::make_shared<Object>(std::move(o));
  return v;
}
Value Value::namespace_object() {
  Value v = object();
  v.kind_ = Kind::Namespace;
  return v;
}
Value Value::callable(std::string name, std::function<Value(Evaluator&, CallArgs&)> fn) {
  Value v;
  v.kind_ = Kind::Callable;
  v.p_ = std::make_shared<Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::Undefined:
    case Kind::None: return false;
    case Kind::Bool: return i_ != 0;
    case Kind::Int: return i_ != 0;
    case Kind::Float: return d_ != 0.0;
    case Kind::String: return !str().empty();
    case Kind::List: return !arr().empty();
    case Kind::Dict: return obj().size() != 0;
    case Kind::Namespace:
    case Kind::Callable: return true;
  }
  return false;
}

std::string format_python_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  // Python repr: shortest round-trip digits, fixed notation for 1e-4 <= |d| < 1e16.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  auto epos = sci.find('e');
  std::string mant = sci.substr(0, epos);
  int exp = std::stoi(sci.substr(epos + 1));
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out = neg ? "-" : "";
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exp + 1) {
      out += digits + std::string(static_cast<size_t>(exp + 1) - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(exp + 1)) + "." + digits.substr(static_cast<size_t>(exp + 1));
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char eb[16];
  std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  return out + eb;
}

std::string python_string_repr(std::string_view s) {
  // Python prefers single quotes unless the string contains ' and no ".
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char q = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, q);
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == static_cast<unsigned char>(q)) {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
          char b[8];
          std::snprintf(b, sizeof b, "\\x%02x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += q;
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Value::repr() const {
  switch (kind_) {
    case Kind::String: return python_string_repr(str());
    case Kind::List: {
      std::string out = tuple_ ? "(" : "[";
      for (size_t i = 0; i < arr().size(); ++i) {
        if (i) out += ", ";
        out += arr()[i].repr();
      }
      if (tuple_ && arr().size() == 1) out += ",";
      return out + (tuple_ ? ")" : "]");
    }
    case Kind::Dict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, v] : obj().entries()) {
        if (!first) out += ", ";
        first = false;
        out += python_string_repr(k) + ": " + v.repr();
      }
      return out + "}";
    }
    case Kind::Undefined: return "Undefined";
    default: return to_str();
  }
}

std::string Value::to_str() const {
  switch (kind_) {
    case Kind::Undefined: return {};
    case Kind::None: return "None";
    case Kind::Bool: return i_ != 0 ? "True" : "False";
    case Kind::Int: return std::to_string(i_);
    case Kind::Float: return format_python_float(d_);
    case Kind::String: return str();
    case Kind::List:
    case Kind::Dict: return repr();
    case Kind::Namespace: return "<Namespace " + Value::object(obj()).repr() + ">";
    case Kind::Callable: return "<function " + fn().name + ">";
  }
  return {};
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::Undefined: return "Undefined";
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Namespace: return "Namespace";
    case Kind::Callable: return "function";
  }
  return "object";
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::None: return true;
    case Value::Kind::String: return a.str() == b.str();
    case Value::Kind::List: {
      if (a.arr().size() != b.arr().size()) return false;
      for (size_t i = 0; i < a.arr().size(); ++i)
        if (!values_equal(a.arr()[i], b.arr()[i])) return false;
      return true;
    }
    case Value::Kind::Dict: {
      if (a.obj().size() != b.obj().size()) return false;
      for (const auto& [k, v] : a.obj().entries()) {
        const Value* o = b.obj().find(k);
        if (!o || !values_equal(v, *o)) return false;
      }
      return true;
    }
    case Value::Kind::Namespace: return &a.obj() == &b.obj();
    case Value::Kind::Callable: return &a.fn() == &b.fn();
    default: return false;
  }
}

int values_compare(const Value& a, const Value& b, bool& ok) {
  ok = true;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      double x = a.as_double(), y = b.as_double();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    int64_t x = a.as_int(), y = b.as_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    // Byte order of UTF-8 equals code point order, which is what Python compares.
    int c = a.str().compare(b.str());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_array() && b.is_array()) {
    const Array& x = a.arr();
    const Array& y = b.arr();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (values_equal(x[i], y[i])) continue;
      return values_compare(x[i], y[i], ok);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  ok = false;
  return 0;
}

std::vector<std::string_view> utf8_chars(std::string_view s) {
  std::vector<std::string_view> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;
  return n;
}

namespace {

void append_u16_escape(std::string& out, unsigned cp) {
  char b[8];
  std::snprintf(b, sizeof b, "\\u%04x", cp);
  out += b;
}

void json_string(std::string_view s, bool ensure_ascii, std::string& out) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      case '\b':
        out += "\\b";
        ++i;
        continue;
      case '\f':
        out += "\\f";
        ++i;
        continue;
      default: break;
    }
    if (c < 0x20) {
      append_u16_escape(out, c);
      ++i;
      continue;
    }
    if (c < 0x80 || !ensure_ascii) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence; malformed bytes are escaped as themselves.
    unsigned cp = c;
    size_t n = 1;
    if ((c >> 5) == 0x6) {
      cp = c & 0x1f;
      n = 2;
    } else if ((c >> 4) == 0xe) {
      cp = c & 0x0f;
      n = 3;
    } else if ((c >> 3) == 0x1e) {
      cp = c & 0x07;
      n = 4;
    }
    if (i + n > s.size()) n = 1;
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      append_u16_escape(out, 0xd800 + (cp >> 10));
      append_u16_escape(out, 0xdc00 + (cp & 0x3ff));
    } else {
      append_u16_escape(out, cp);
    }
    i += n;
  }
  out += '"';
}

void newline_indent(const JsonDumpOptions& opt, int level, std::string& out) {
  out += '\n';
  out.append(static_cast<size_t>(opt.indent) * static_cast<size_t>(level), ' ');
}

}  // namespace

bool json_dumps(const Value& v, const JsonDumpOptions& opt, std::string& out, int depth) {
  if (depth > 256) return false;
  switch (v.kind()) {
    case Value::Kind::None: out += "null"; return true;
    case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; return true;
    case Value::Kind::Int: out += std::to_string(v.as_int()); return true;
    case Value::Kind::Float: {
      double d = v.as_double();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else
        out += format_python_float(d);
      return true;
    }
    case Value::Kind::String: json_string(v.str(), opt.ensure_ascii, out); return true;
    case Value::Kind::List: {
      const Array& a = v.arr();
      if (a.empty()) {
        out += "[]";
        return true;
      }
      out += '[';
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out += opt.item_sep;
        if (opt.indent >= 0) newline_indent(opt, depth + 1, out);
        if (!json_dumps(a[i], opt, out, depth + 1)) return false;
      }
      if (opt.indent >= 0) newline_indent(opt, depth, out);
      out += ']';
      return true;
    }
    case Value::Kind::Dict:
    case Value::Kind::Namespace: {
      std::vector<const std::pair<std::string, Value>*> items;
      for (const auto& e : v.obj().entries()) items.push_back(&e);
      if (opt.sort_keys)
        std::stable_sort(items.begin(), items.end(), [](auto* x, auto* y) { return x->first < y->first; });
      if (items.empty()) {
        out += "{}";
        return true;
      }
      out += '{';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += opt.item_sep;
        if (opt.indent >= 0) newline_indent(opt, depth + 1, out);
        json_string(items[i]->first, opt.ensure_ascii, out);
        out += opt.key_sep;
        if (!json_dumps(items[i]->second, opt, out, depth + 1)) return false;
      }
      if (opt.indent >= 0) newline_indent(opt, depth, out);
      out += '}';
      return true;
    }
    default: return false;
  }
}

}  // namespace moe::tmpl
