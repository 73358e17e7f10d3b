// Python str/dict/list methods that chat templates call (`content.strip()`, `tool.items()`).
#include <algorithm>
#include <stdexcept>

#include "evaluator.hpp"
#include "string-utils.hpp"

namespace moe::tmpl {

namespace {

using Fn = std::function<Value(Evaluator&, CallArgs&)>;

std::string arg_str(Evaluator& ev, const CallArgs& a, size_t i, std::string_view name, const char* method) {
  Value v = a.get(i, name);
  if (!v.is_string()) ev.fail(std::string(method) + "() argument must be str, not " + v.type_name());
  return v.str();
}

bool affix_match(Evaluator& ev, const std::string& s, const Value& affix, bool prefix, const char* method) {
  auto one = [&](const Value& v) {
    if (!v.is_string()) ev.fail(std::string(method) + " first arg must be str or a tuple of str, not " + v.type_name());
    const std::string& a = v.str();
    if (a.size() > s.size()) return false;
    return prefix ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0;
  };
  if (affix.is_array()) {
    for (const auto& v : affix.arr())
      if (one(v)) return true;
    return false;
  }
  return one(affix);
}

Value string_method(const std::string& s, const std::string& name) {
  auto make = [&](Fn fn) { return Value::callable("str." + name, std::move(fn)); };
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    bool left = name != "rstrip", right = name != "lstrip";
    return make([s, left, right](Evaluator& e, CallArgs& a) -> Value {
      Value chars = a.get(0, "chars");
      if (chars.is_undefined() || chars.is_none()) return Value(py_strip(s, nullptr, left, right));
      if (!chars.is_string()) e.fail("strip arg must be None or str");
      return Value(py_strip(s, &chars.str(), left, right));
    });
  }
  if (name == "split" || name == "rsplit") {
    bool from_right = name == "rsplit";
    return make([s, from_right](Evaluator& e, CallArgs& a) -> Value {
      Value sep = a.get(0, "sep");
      Value maxv = a.get(1, "maxsplit");
      int64_t maxsplit = maxv.is_int() ? maxv.as_int() : -1;
      std::vector<std::string> parts;
      if (sep.is_undefined() || sep.is_none()) {
        parts = py_split_whitespace(s, maxsplit, from_right);
      } else {
        if (!sep.is_string()) e.fail("must be str or None, not " + sep.type_name());
        if (sep.str().empty()) e.fail("empty separator");
        parts = py_split(s, sep.str(), maxsplit, from_right);
      }
      e.check_container_size(parts.size());
      Array out;
      for (auto& p : parts) out.emplace_back(std::move(p));
      return Value(std::move(out));
    });
  }
  if (name == "splitlines") {
    return make([s](Evaluator& e, CallArgs&) -> Value {
      Array out;
      size_t start = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' || s[i] == '\r') {
          out.emplace_back(s.substr(start, i - start));
          if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
          start = i + 1;
        }
      }
      if (start < s.size()) out.emplace_back(s.substr(start));
      e.check_container_size(out.size());
      return Value(std::move(out));
    });
  }
  if (name == "startswith" || name == "endswith") {
    bool prefix = name == "startswith";
    return make([s, prefix, name](Evaluator& e, CallArgs& a) -> Value {
      return Value(affix_match(e, s, a.get(0, "prefix"), prefix, name.c_str()));
    });
  }
  if (name == "upper") return make([s](Evaluator&, CallArgs&) -> Value { return Value(ascii_upper(s)); });
  if (name == "lower") return make([s](Evaluator&, CallArgs&) -> Value { return Value(ascii_lower(s)); });
  if (name == "title") return make([s](Evaluator&, CallArgs&) -> Value { return Value(py_title(s)); });
  if (name == "capitalize") return make([s](Evaluator&, CallArgs&) -> Value { return Value(py_capitalize(s)); });
  if (name == "replace") {
    return make([s](Evaluator& e, CallArgs& a) -> Value {
      std::string from = arg_str(e, a, 0, "old", "replace");
      std::string to = arg_str(e, a, 1, "new", "replace");
      Value c = a.get(2, "count");
      std::string out;
      try {
        out = py_replace(s, from, to, c.is_int() ? c.as_int() : -1, e.limits().max_output_bytes);
      } catch (const std::length_error&) {
        e.fail("string too large");
      }
      e.charge(out.size() / 16);
      return Value(std::move(out));
    });
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "count") {
    return make([s, name](Evaluator& e, CallArgs& a) -> Value {
      std::string sub = arg_str(e, a, 0, "sub", name.c_str());
      if (name == "count") return Value(static_cast<int64_t>(py_count(s, sub)));
      size_t p = name == "rfind" ? s.rfind(sub) : s.find(sub);
      if (p == std::string::npos) {
        if (name == "index") e.fail("substring not found");
        return Value(int64_t{-1});
      }
      return Value(static_cast<int64_t>(utf8_length(std::string_view(s).substr(0, p))));
    });
  }
  if (name == "join") {
    return make([s](Evaluator& e, CallArgs& a) -> Value {
      std::string out;
      bool first = true;
      for (const auto& v : e.iterate(a.get(0, "iterable"))) {
        if (!v.is_string()) e.fail("sequence item: expected str instance, " + v.type_name() + " found");
        if (!first) out += s;
        first = false;
        out += v.str();
        if (out.size() > e.limits().max_output_bytes) e.fail("string too large");
      }
      return Value(std::move(out));
    });
  }
  if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" || name == "islower" ||
      name == "isupper") {
    return make([s, name](Evaluator&, CallArgs&) -> Value { return Value(py_is_class(s, name)); });
  }
  if (name == "format") {
    return make([s](Evaluator& e, CallArgs& a) -> Value { return Value(py_brace_format(e, s, a)); });
  }
  return Value::undefined();
}

Value dict_method(const Value& obj, const std::string& name) {
  auto make = [&](Fn fn) { return Value::callable("dict." + name, std::move(fn)); };
  if (name == "items") {
    return make([obj](Evaluator& e, CallArgs&) -> Value {
      Array out;
      for (const auto& [k, v] : obj.obj().entries()) out.push_back(Value::tuple(Array{Value(k), v}));
      e.charge(out.size() / 16);
      return Value(std::move(out));
    });
  }
  if (name == "keys") {
    return make([obj](Evaluator&, CallArgs&) -> Value {
      Array out;
      for (const auto& kv : obj.obj().entries()) out.emplace_back(kv.first);
      return Value(std::move(out));
    });
  }
  if (name == "values") {
    return make([obj](Evaluator&, CallArgs&) -> Value {
      Array out;
      for (const auto& kv : obj.obj().entries()) out.push_back(kv.second);
      return Value(std::move(out));
    });
  }
  if (name == "get") {
    return make([obj](Evaluator&, CallArgs& a) -> Value {
      Value key = a.get(0, "key");
      if (key.is_string())
        if (const Value* v = obj.obj().find(key.str())) return *v;
      Value d = a.get(1, "default");
      return d.is_undefined() ? Value::none() : d;
    });
  }
  return Value::undefined();
}

Value list_method(const Value& obj, const std::string& name) {
  auto make = [&](Fn fn) { return Value::callable("list." + name, std::move(fn)); };
  if (name == "append") {
    // Jinja2's immutable sandbox forbids this; templates written for llama.cpp use it.
    return make([obj](Evaluator& e, CallArgs& a) -> Value {
      e.check_container_size(obj.arr().size() + 1);
      obj.arr().push_back(a.get(0, "object"));
      return Value::none();
    });
  }
  if (name == "index" || name == "count") {
    return make([obj, name](Evaluator& e, CallArgs& a) -> Value {
      Value x = a.get(0, "value");
      int64_t n = 0;
      for (size_t i = 0; i < obj.arr().size(); ++i) {
        if (!values_equal(obj.arr()[i], x)) continue;
        if (name == "index") return Value(static_cast<int64_t>(i));
        ++n;
      }
      if (name == "index") e.fail(x.repr() + " is not in list");
      return Value(n);
    });
  }
  return Value::undefined();
}

}  // namespace

Value lookup_method(Evaluator& /*ev*/, const Value& obj, const std::string& name) {
  if (obj.is_string()) return string_method(obj.str(), name);
  if (obj.kind() == Value::Kind::Dict) return dict_method(obj, name);
  if (obj.is_array()) return list_method(obj, name);
  return Value::undefined();
}

}  // namespace moe::tmpl
