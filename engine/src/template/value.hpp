#pragma once
// Dynamic value of the template language, modelled on the Python objects Jinja2 sees.
// Arrays and objects are shared (reference semantics like Python lists/dicts), objects keep
// insertion order because tojson and `items` must reproduce the order of the JSON input.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace moe::tmpl {

class Value;
struct CallArgs;
class Evaluator;

using Array = std::vector<Value>;

class Object {
 public:
  [[nodiscard]] const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  void set(const std::string& key, Value v);
  bool erase(std::string_view key);
  [[nodiscard]] size_t size() const;  // out of line: Value is incomplete here
  [[nodiscard]] const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  // Entry `i` in insertion order (for updating a known layout in place).
  Value& value_at(size_t i);

 private:
  std::vector<std::pair<std::string, Value>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

// A builtin function, bound method or macro; `name` is used in error messages.
struct Callable {
  std::string name;
  std::function<Value(Evaluator&, CallArgs&)> fn;
};

class Value {
 public:
  enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Callable };

  Value() = default;  // undefined
  static Value undefined(std::string hint = {});
  static Value none();
  Value(bool b);
  Value(int v) : Value(static_cast<int64_t>(v)) {}
  Value(int64_t v);
  Value(double v);
  Value(std::string s);
  Value(const char* s) : Value(std::string(s)) {}
  Value(std::string_view s) : Value(std::string(s)) {}
  Value(Array a);
  // A Python tuple: a list that prints with parentheses (dict items, `(a, b)` literals).
  static Value tuple(Array a);
  // A markupsafe.Markup string (`|safe`, `|escape`): `+` with a plain string HTML-escapes
  // the plain side, as Hugging Face's Jinja2 environment does.
  static Value markup(std::string s);
  static Value object();
  static Value object(Object o);
  static Value namespace_object();
  static Value callable(std::string name, std::function<Value(Evaluator&, CallArgs&)> fn);

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] bool is_undefined() const { return kind_ == Kind::Undefined; }
  [[nodiscard]] bool is_none() const { return kind_ == Kind::None; }
  [[nodiscard]] bool is_bool() const { return kind_ == Kind::Bool; }
  [[nodiscard]] bool is_int() const { return kind_ == Kind::Int; }
  [[nodiscard]] bool is_float() const { return kind_ == Kind::Float; }
  [[nodiscard]] bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool; }
  [[nodiscard]] bool is_string() const { return kind_ == Kind::String; }
  [[nodiscard]] bool is_array() const { return kind_ == Kind::List; }
  [[nodiscard]] bool is_tuple() const { return kind_ == Kind::List && tuple_; }
  [[nodiscard]] bool is_markup() const { return kind_ == Kind::String && tuple_; }
  [[nodiscard]] bool is_object() const { return kind_ == Kind::Dict || kind_ == Kind::Namespace; }
  [[nodiscard]] bool is_namespace() const { return kind_ == Kind::Namespace; }
  [[nodiscard]] bool is_callable() const { return kind_ == Kind::Callable; }

  [[nodiscard]] bool as_bool() const { return i_ != 0; }
  [[nodiscard]] int64_t as_int() const { return kind_ == Kind::Float ? static_cast<int64_t>(d_) : i_; }
  [[nodiscard]] double as_double() const { return kind_ == Kind::Float ? d_ : static_cast<double>(i_); }
  // Payload accessors; valid only for the matching kind (p_'s type is fixed by kind_).
  [[nodiscard]] const std::string& str() const { return *static_cast<const std::string*>(p_.get()); }
  [[nodiscard]] Array& arr() const { return *static_cast<Array*>(p_.get()); }
  [[nodiscard]] Object& obj() const { return *static_cast<Object*>(p_.get()); }
  [[nodiscard]] const Callable& fn() const { return *static_cast<const Callable*>(p_.get()); }
  // For undefined values: the expression that produced it, for "'x' is undefined" messages.
  [[nodiscard]] std::string_view hint() const {
    return kind_ == Kind::Undefined && p_ ? std::string_view(str()) : std::string_view();
  }

  [[nodiscard]] bool truthy() const;
  // Python str(): what `{{ x }}` prints.
  [[nodiscard]] std::string to_str() const;
  // Python repr(), used for containers printed with str().
  [[nodiscard]] std::string repr() const;
  [[nodiscard]] std::string type_name() const;

 private:
  // Kept small (32 bytes): templates build lists of thousands of values.
  Kind kind_ = Kind::Undefined;
  bool tuple_ = false;  // List: tuple; String: Markup
  union {
    int64_t i_ = 0;  // Int, Bool (0/1)
    double d_;       // Float
  };
  // std::string (String, and the hint of Undefined), Array, Object or Callable.
  std::shared_ptr<void> p_;
};

// Python ==, with 1 == 1.0 == True and deep comparison of containers.
bool values_equal(const Value& a, const Value& b);
// Python <; throws TemplateError-compatible std::runtime_error text via the evaluator.
// Returns -1/0/1; sets `ok` false when the types are not orderable.
int values_compare(const Value& a, const Value& b, bool& ok);

std::string format_python_float(double d);
std::string python_string_repr(std::string_view s);
// markupsafe.escape: & < > " ' as entities.
std::string html_escape(std::string_view s);

// UTF-8 helpers: Python strings index by code point.
std::vector<std::string_view> utf8_chars(std::string_view s);
size_t utf8_length(std::string_view s);

struct JsonDumpOptions {
  int indent = -1;  // -1: no newlines
  bool ensure_ascii = false;
  bool sort_keys = false;
  std::string item_sep = ", ";
  std::string key_sep = ": ";
};
// Python json.dumps; returns false when a value is not serializable (undefined, callable).
bool json_dumps(const Value& v, const JsonDumpOptions& opt, std::string& out, int depth = 0);

}  // namespace moe::tmpl
