// Python semantics of operators, attribute/item access, slicing and iteration.
#include <cmath>
#include <limits>

#include "evaluator.hpp"

namespace moe::tmpl {

namespace {

bool checked_add(int64_t a, int64_t b, int64_t& r) { return !__builtin_add_overflow(a, b, &r); }
bool checked_sub(int64_t a, int64_t b, int64_t& r) { return !__builtin_sub_overflow(a, b, &r); }
bool checked_mul(int64_t a, int64_t b, int64_t& r) { return !__builtin_mul_overflow(a, b, &r); }

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t floor_mod(int64_t a, int64_t b) {
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

std::string percent_format(Evaluator& ev, const std::string& fmt, const Value& arg) {
  std::vector<Value> args = arg.is_array() ? arg.arr() : std::vector<Value>{arg};
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) ev.fail("incomplete format");
    char c = fmt[i];
    if (c == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) ev.fail("not enough arguments for format string");
    const Value& v = args[next++];
    switch (c) {
      case 's': out += v.to_str(); break;
      case 'r': out += v.repr(); break;
      case 'd':
      case 'i':
        if (!v.is_number())
          ev.fail("%" + std::string(1, c) + " format: a real number is required, not " + v.type_name());
        out += std::to_string(v.is_float() ? static_cast<int64_t>(std::trunc(v.as_double())) : v.as_int());
        break;
      case 'f': {
        if (!v.is_number()) ev.fail("must be real number, not " + v.type_name());
        char b[64];
        std::snprintf(b, sizeof b, "%.6f", v.as_double());
        out += b;
        break;
      }
      default: ev.fail(std::string("unsupported format character '") + c + "'");
    }
  }
  if (next < args.size()) ev.fail("not all arguments converted during string formatting");
  return out;
}

std::string type_error(const std::string& op, const Value& a, const Value& b) {
  return "unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'";
}

}  // namespace

Value Evaluator::binary(const std::string& op, const Value& a, const Value& b) {
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  bool nums = a.is_number() && b.is_number();
  bool floats = nums && (a.is_float() || b.is_float());
  int64_t r = 0;
  if (op == "+") {
    if (floats) return Value(a.as_double() + b.as_double());
    if (nums) {
      if (!checked_add(a.as_int(), b.as_int(), r)) fail("integer overflow");
      return Value(r);
    }
    if (a.is_string() && b.is_string()) {
      if (a.str().size() + b.str().size() > limits_.max_output_bytes) fail("string too large");
      charge((a.str().size() + b.str().size()) / 16);
      if (a.is_markup() || b.is_markup()) {
        // Markup + str escapes the plain operand (markupsafe semantics).
        return Value::markup((a.is_markup() ? a.str() : html_escape(a.str())) +
                             (b.is_markup() ? b.str() : html_escape(b.str())));
      }
      return Value(a.str() + b.str());
    }
    if (a.is_array() && b.is_array()) {
      check_container_size(a.arr().size() + b.arr().size());
      Array out = a.arr();
      out.insert(out.end(), b.arr().begin(), b.arr().end());
      return Value(std::move(out));
    }
    if (a.is_string()) fail("can only concatenate str (not \"" + b.type_name() + "\") to str");
    if (a.is_array()) fail("can only concatenate list (not \"" + b.type_name() + "\") to list");
    fail(type_error("+", a, b));
  }
  if (op == "-") {
    if (floats) return Value(a.as_double() - b.as_double());
    if (!nums) fail(type_error("-", a, b));
    if (!checked_sub(a.as_int(), b.as_int(), r)) fail("integer overflow");
    return Value(r);
  }
  if (op == "*") {
    if (floats) return Value(a.as_double() * b.as_double());
    if (nums) {
      if (!checked_mul(a.as_int(), b.as_int(), r)) fail("integer overflow");
      return Value(r);
    }
    const Value& seq = a.is_number() ? b : a;
    const Value& count = a.is_number() ? a : b;
    if (!count.is_int() && !count.is_bool()) fail(type_error("*", a, b));
    int64_t n = std::max<int64_t>(0, count.as_int());
    if (seq.is_string()) {
      if (n > 0 && seq.str().size() > limits_.max_output_bytes / static_cast<size_t>(n)) fail("string too large");
      charge(seq.str().size() * static_cast<size_t>(n) / 16);
      std::string out;
      for (int64_t i = 0; i < n; ++i) out += seq.str();
      return Value(std::move(out));
    }
    if (seq.is_array()) {
      if (n > 0 && seq.arr().size() > limits_.max_container_items / static_cast<size_t>(n)) fail("list too large");
      check_container_size(seq.arr().size() * static_cast<size_t>(n));
      Array out;
      for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.arr().begin(), seq.arr().end());
      return Value(std::move(out));
    }
    fail(type_error("*", a, b));
  }
  if (op == "/") {
    if (!nums) fail(type_error("/", a, b));
    if (b.as_double() == 0.0) fail("division by zero");
    return Value(a.as_double() / b.as_double());
  }
  if (op == "//") {
    if (!nums) fail(type_error("//", a, b));
    if (floats) {
      if (b.as_double() == 0.0) fail("float floor division by zero");
      return Value(std::floor(a.as_double() / b.as_double()));
    }
    if (b.as_int() == 0) fail("integer division or modulo by zero");
    if (a.as_int() == INT64_MIN && b.as_int() == -1) fail("integer overflow");
    return Value(floor_div(a.as_int(), b.as_int()));
  }
  if (op == "%") {
    if (a.is_string()) return Value(percent_format(*this, a.str(), b));
    if (!nums) fail(type_error("%", a, b));
    if (floats) {
      double y = b.as_double();
      if (y == 0.0) fail("float modulo");
      double m = std::fmod(a.as_double(), y);
      if (m != 0.0 && ((m < 0) != (y < 0))) m += y;
      return Value(m);
    }
    if (b.as_int() == 0) fail("integer division or modulo by zero");
    if (b.as_int() == -1) return Value(int64_t{0});
    return Value(floor_mod(a.as_int(), b.as_int()));
  }
  if (op == "**") {
    if (!nums) fail(type_error("**", a, b));
    if (floats || b.as_int() < 0) return Value(std::pow(a.as_double(), b.as_double()));
    int64_t base = a.as_int(), e = b.as_int(), acc = 1;
    while (e > 0) {
      if (e & 1)
        if (!checked_mul(acc, base, acc)) fail("integer overflow");
      e >>= 1;
      if (e > 0 && !checked_mul(base, base, base)) fail("integer overflow");
    }
    return Value(acc);
  }
  fail("unknown operator '" + op + "'");
}

bool Evaluator::contains(const Value& c, const Value& item) {
  switch (c.kind()) {
    case Value::Kind::String:
      if (!item.is_string()) fail("'in <string>' requires string as left operand, not " + item.type_name());
      return c.str().find(item.str()) != std::string::npos;
    case Value::Kind::List:
      for (const auto& v : c.arr())
        if (values_equal(v, item)) return true;
      return false;
    case Value::Kind::Dict:
    case Value::Kind::Namespace: return item.is_string() && c.obj().find(item.str()) != nullptr;
    case Value::Kind::Undefined: return false;
    default: fail("argument of type '" + c.type_name() + "' is not iterable");
  }
}

bool Evaluator::compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return values_equal(a, b);
  if (op == "!=") return !values_equal(a, b);
  if (op == "in") return contains(b, a);
  if (op == "not in") return !contains(b, a);
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  bool ok = true;
  int c = values_compare(a, b, ok);
  if (!ok) fail("'" + op + "' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

std::vector<Value> Evaluator::iterate(const Value& v) {
  std::vector<Value> out;
  switch (v.kind()) {
    case Value::Kind::List: out = v.arr(); break;
    case Value::Kind::Dict:
      for (const auto& e : v.obj().entries()) out.emplace_back(e.first);
      break;
    case Value::Kind::String:
      for (auto ch : utf8_chars(v.str())) out.emplace_back(ch);
      break;
    case Value::Kind::Undefined: break;
    default: fail("'" + v.type_name() + "' object is not iterable");
  }
  charge(out.size() / 16);
  return out;
}

Value Evaluator::get_attr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (obj.is_namespace()) {
    if (const Value* v = obj.obj().find(name)) return *v;
    return Value::undefined("'Namespace' has no attribute '" + name + "'");
  }
  Value m = lookup_method(*this, obj, name);
  if (!m.is_undefined()) return m;
  if (obj.is_object()) {
    if (const Value* v = obj.obj().find(name)) return *v;
    return Value::undefined("'dict object' has no attribute '" + name + "'");
  }
  if (obj.is_none()) return Value::undefined("'None' has no attribute '" + name + "'");
  return Value::undefined("'" + obj.type_name() + " object' has no attribute '" + name + "'");
}

Value Evaluator::get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail_undefined(obj);
  bool int_key = key.is_int() || key.is_bool();
  if (obj.is_array() && int_key) {
    auto n = static_cast<int64_t>(obj.arr().size());
    int64_t i = key.as_int();
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value::undefined("list object has no element " + key.to_str());
    return obj.arr()[static_cast<size_t>(i)];
  }
  if (obj.is_string() && int_key) {
    auto chars = utf8_chars(obj.str());
    auto n = static_cast<int64_t>(chars.size());
    int64_t i = key.as_int();
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value::undefined("string index out of range");
    return Value(chars[static_cast<size_t>(i)]);
  }
  if (obj.is_object() && key.is_string()) {
    if (const Value* v = obj.obj().find(key.str())) return *v;
  }
  if (key.is_string()) {
    // Jinja2's subscript falls back to attribute lookup (methods such as items).
    if (obj.is_namespace()) return Value::undefined("'Namespace' has no attribute '" + key.str() + "'");
    Value m = lookup_method(*this, obj, key.str());
    if (!m.is_undefined()) return m;
    if (obj.is_object()) return Value::undefined("'dict object' has no attribute '" + key.str() + "'");
  }
  return Value::undefined("'" + obj.type_name() + " object' has no attribute '" + key.to_str() + "'");
}

Value Evaluator::eval_slice(const Expr& e) {
  Value obj = eval(*e.args[0]);
  auto opt_int = [&](const ExprPtr& p, bool& present) -> int64_t {
    present = false;
    if (!p) return 0;
    Value v = eval(*p);
    if (v.is_none() || v.is_undefined()) return 0;
    if (!v.is_int() && !v.is_bool()) fail("slice indices must be integers or None");
    present = true;
    return v.as_int();
  };
  bool has_start, has_stop, has_step;
  int64_t start = opt_int(e.args[1], has_start);
  int64_t stop = opt_int(e.args[2], has_stop);
  int64_t step = opt_int(e.args[3], has_step);
  if (!has_step) step = 1;
  if (step == 0) fail("slice step cannot be zero");
  if (obj.is_undefined()) fail_undefined(obj);

  std::vector<std::string_view> chars;
  int64_t n = 0;
  if (obj.is_array())
    n = static_cast<int64_t>(obj.arr().size());
  else if (obj.is_string()) {
    chars = utf8_chars(obj.str());
    n = static_cast<int64_t>(chars.size());
  } else {
    fail("'" + obj.type_name() + "' object is not subscriptable");
  }
  // Python's slice.indices().
  auto clamp = [&](int64_t v, bool present, int64_t dflt) {
    if (!present) return dflt;
    if (v < 0) v += n;
    if (step > 0) return std::clamp<int64_t>(v, 0, n);
    return std::clamp<int64_t>(v, -1, n - 1);
  };
  int64_t lo = clamp(start, has_start, step > 0 ? 0 : n - 1);
  int64_t hi = clamp(stop, has_stop, step > 0 ? n : -1);
  std::vector<size_t> idx;
  for (int64_t i = lo; step > 0 ? i < hi : i > hi; i += step) idx.push_back(static_cast<size_t>(i));
  charge(idx.size() / 16);
  if (obj.is_array()) {
    Array out;
    out.reserve(idx.size());
    for (size_t i : idx) out.push_back(obj.arr()[i]);
    return Value(std::move(out));
  }
  std::string out;
  for (size_t i : idx) out += chars[i];
  return Value(std::move(out));
}

}  // namespace moe::tmpl
